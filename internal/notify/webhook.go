package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"
)

// Webhook POSTs {"text": "..."} (Slack-compatible) to a URL. The URL is a
// secret: it never appears in String(), logs or errors.
type Webhook struct {
	url    string
	envVar string // set when the URL came from the environment
	Client *http.Client
}

var envVarRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func newWebhook(rest string) (*Webhook, error) {
	w := &Webhook{Client: &http.Client{Timeout: 10 * time.Second}}
	raw := rest
	if v, ok := strings.CutPrefix(rest, "env:"); ok {
		if !envVarRe.MatchString(v) {
			return nil, fmt.Errorf("notify webhook:env:%s: %q is not a valid environment variable name", v, v)
		}
		raw = os.Getenv(v)
		if raw == "" {
			return nil, fmt.Errorf("notify webhook:env:%s: environment variable %s is not set or empty", v, v)
		}
		w.envVar = v
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		where := "the URL"
		if w.envVar != "" {
			where = "the URL in $" + w.envVar
		}
		return nil, fmt.Errorf("notify webhook: %s is not a valid http(s) URL", where)
	}
	w.url = raw
	return w, nil
}

// redactURL keeps only scheme and host of a URL.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "<redacted>"
	}
	return u.Scheme + "://" + u.Host
}

// String shows the scheme and host only (and the variable the URL came from).
func (w *Webhook) String() string {
	s := "webhook:" + redactURL(w.url)
	if w.envVar != "" {
		s += " (from $" + w.envVar + ")"
	}
	return s
}

// Notify POSTs the text. 2xx is success; 429 and 5xx are retried by Send;
// any other status is a permanent failure.
func (w *Webhook) Notify(ctx context.Context, s Summary) error {
	body, err := json.Marshal(map[string]string{"text": Text(s)})
	if err != nil {
		return permanent(fmt.Errorf("notify %s: encode payload: %w", w, err))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return permanent(fmt.Errorf("notify %s: build request: %w", w, stripURL(err)))
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := w.Client.Do(req)
	if err != nil {
		return fmt.Errorf("notify %s: POST: %w", w, stripURL(err))
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	err = fmt.Errorf("notify %s: POST answered %s", w, resp.Status)
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 {
		return err
	}
	return permanent(err)
}

// stripURL drops the *url.Error wrapper, whose message contains the URL.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if ue.Timeout() {
			return fmt.Errorf("timeout: %w", ue.Err)
		}
		return ue.Err
	}
	return err
}
