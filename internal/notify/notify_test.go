package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/orgiam/orgiam/internal/testutil/moto"
)

// fastRetries is a Retry with short waits and the given timeout.
func fastRetries(timeout time.Duration) Retry {
	return Retry{Timeout: timeout, Backoff: []time.Duration{10 * time.Millisecond, 10 * time.Millisecond}}
}

func sample() Summary {
	start := time.Date(2026, 11, 23, 6, 0, 0, 0, time.UTC)
	return Summary{
		Run: "2026-11-23", Store: "s3://bucket/orgiam", Started: start, Finished: start.Add(95 * time.Second),
		OK: 97, Failed: 3, Skipped: 0,
		FailedAccounts: []AccountError{
			{ID: "111122223333", Name: "prod", Error: "sts:AssumeRole: AccessDenied\nUser is not authorized"},
			{ID: "444455556666", Error: "iam:GetAccountAuthorizationDetails: throttled"},
			{ID: "777788889999", Name: "dev", Error: "timeout"},
		},
		NewHighFindings: 4,
		ReportLinks:     []string{"s3://bucket/orgiam/2026-11-23/reports/findings.html"},
	}
}

func TestText(t *testing.T) {
	t.Parallel()
	s := sample()
	got := Text(s)
	wants := []string{
		"orgiam run 2026-11-23: 97 ok, 3 failed, 0 skipped\n",
		"- 111122223333 (prod): sts:AssumeRole: AccessDenied User is not authorized\n",
		"- 444455556666: iam:GetAccountAuthorizationDetails: throttled\n",
		"new high-severity findings: 4\n",
		"took 1m35s",
		"reports/findings.html",
	}
	if !strings.HasPrefix(got, wants[0]) {
		t.Errorf("text does not start with the title:\n%s", got)
	}
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("text lacks %q:\n%s", w, got)
		}
	}
}

func TestTextCapsFailedAccounts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		n        int
		wantMore string
		wantRows int
	}{
		{n: MaxFailedLines, wantRows: MaxFailedLines},
		{n: MaxFailedLines + 1, wantRows: MaxFailedLines, wantMore: "… and 1 more"},
		{n: 1000, wantRows: MaxFailedLines, wantMore: "… and 950 more"},
	}
	for _, tt := range tests {
		s := Summary{Run: "2026-11-23", Failed: tt.n}
		for i := 0; i < tt.n; i++ {
			s.FailedAccounts = append(s.FailedAccounts, AccountError{ID: fmt.Sprintf("%012d", i), Error: strings.Repeat("e", 5000)})
		}
		got := Text(s)
		if rows := strings.Count(got, "\n- "); rows != tt.wantRows {
			t.Errorf("n=%d: %d account lines, want %d", tt.n, rows, tt.wantRows)
		}
		if tt.wantMore != "" && !strings.Contains(got, tt.wantMore) {
			t.Errorf("n=%d: text lacks %q", tt.n, tt.wantMore)
		}
		if tt.wantMore == "" && strings.Contains(got, "more") {
			t.Errorf("n=%d: unexpected \"more\" line", tt.n)
		}
		if len(got) > 64*1024 {
			t.Errorf("n=%d: text is %d bytes: error lines are not capped", tt.n, len(got))
		}
	}
}

func TestSNSSubjectAndTruncate(t *testing.T) {
	t.Parallel()
	long := Title(Summary{Run: "2026-11-23/" + strings.Repeat("r", 64), OK: 123456, Failed: 7, Skipped: 8})
	if got := snsSubject(long); len(got) > 100 || !strings.HasPrefix(got, "orgiam run") {
		t.Errorf("snsSubject = %q (%d chars), want ≤ 100", got, len(got))
	}
	if got := snsSubject("a\nb…c"); got != "a b   c" {
		t.Errorf("snsSubject = %q, want control and non-ASCII replaced", got)
	}
	big := strings.Repeat("é", 200*1024)
	got := truncateBytes(big, snsMaxMessage)
	if len(got) > snsMaxMessage || !strings.HasSuffix(got, "(truncated)") {
		t.Errorf("truncateBytes: %d bytes, suffix %q", len(got), got[len(got)-20:])
	}
	if !json.Valid([]byte(`"` + strings.TrimSuffix(got, "\n… (truncated)") + `"`)) {
		t.Errorf("truncateBytes cut inside a rune")
	}
}

func TestParse(t *testing.T) {
	cfg := &aws.Config{Region: "us-east-1"}
	t.Setenv("ORGIAM_TEST_HOOK", "https://hooks.example.com/services/T000/B000/SECRET")
	tests := []struct {
		spec    string
		cfg     *aws.Config
		want    string // String() of the notifier
		wantErr string
	}{
		{spec: "sns:arn:aws:sns:eu-west-1:123456789012:orgiam", cfg: cfg, want: "sns:arn:aws:sns:eu-west-1:123456789012:orgiam"},
		{spec: "sns:arn:aws:sns:eu-west-1:123456789012:orgiam.fifo", cfg: cfg, want: "sns:arn:aws:sns:eu-west-1:123456789012:orgiam.fifo"},
		{spec: "webhook:https://hooks.example.com/services/T000/B000/SECRET", want: "webhook:https://hooks.example.com"},
		{spec: "webhook:env:ORGIAM_TEST_HOOK", want: "webhook:https://hooks.example.com (from $ORGIAM_TEST_HOOK)"},
		{spec: "email:ops@example.com", wantErr: `unknown scheme "email"`},
		{spec: "slack", wantErr: "expected sns:"},
		{spec: "sns:arn:aws:sqs:us-east-1:123456789012:q", cfg: cfg, wantErr: "not a valid SNS topic ARN"},
		{spec: "sns:arn:aws:sns:us-east-1:12345:topic", cfg: cfg, wantErr: "not a valid SNS topic ARN"},
		{spec: "sns:topic", cfg: cfg, wantErr: "not a valid SNS topic ARN"},
		{spec: "sns:arn:aws:sns:us-east-1:123456789012:topic", wantErr: "needs AWS credentials"},
		{spec: "webhook:env:ORGIAM_TEST_UNSET_VAR", wantErr: "environment variable ORGIAM_TEST_UNSET_VAR is not set"},
		{spec: "webhook:env:BAD-NAME", wantErr: "not a valid environment variable name"},
		{spec: "webhook:ftp://hooks.example.com/SECRET", wantErr: "not a valid http(s) URL"},
		{spec: "webhook:hooks.example.com/SECRET", wantErr: "not a valid http(s) URL"},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			n, err := Parse(tt.spec, tt.cfg)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Parse(%q) err = %v, want %q", tt.spec, err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "SECRET") {
					t.Errorf("error leaks the webhook URL: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.spec, err)
			}
			if n.String() != tt.want {
				t.Errorf("String() = %q, want %q", n.String(), tt.want)
			}
		})
	}
}

// hook is an httptest webhook answering statuses in turn (the last repeats).
type hook struct {
	srv      *httptest.Server
	calls    atomic.Int32
	payloads chan map[string]string
}

func newHook(t *testing.T, delay time.Duration, statuses ...int) *hook {
	h := &hook{payloads: make(chan map[string]string, 10)}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(h.calls.Add(1)) - 1
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("request %s with Content-Type %q, want POST application/json", r.Method, r.Header.Get("Content-Type"))
		}
		var p map[string]string
		body, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(body, &p); err != nil {
			t.Errorf("payload is not JSON: %v: %s", err, body)
		}
		select {
		case h.payloads <- p:
		default:
		}
		if delay > 0 {
			select {
			case <-time.After(delay):
			case <-r.Context().Done():
			}
		}
		w.WriteHeader(statuses[min(i, len(statuses)-1)])
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func TestSendWebhook(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		statuses  []int
		wantCalls int32
		wantLog   string
	}{
		{"ok first time", []int{200}, 1, "notification sent"},
		{"500 then 200 is retried", []int{500, 200}, 2, "notification sent"},
		{"429 is retried", []int{429, 204}, 2, "notification sent"},
		{"500 three times gives up", []int{500}, 3, "notification failed"},
		{"400 is not retried", []int{400}, 1, "notification failed"},
		{"404 is not retried", []int{404, 200}, 1, "notification failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := fastRetries(5 * time.Second)
			h := newHook(t, 0, tt.statuses...)
			n, err := Parse("webhook:"+h.srv.URL+"/services/SECRET", nil)
			if err != nil {
				t.Fatal(err)
			}
			var logs bytes.Buffer
			SendRetry(context.Background(), slog.New(slog.NewTextHandler(&logs, nil)), []Notifier{n}, sample(), r)
			if got := h.calls.Load(); got != tt.wantCalls {
				t.Errorf("calls = %d, want %d", got, tt.wantCalls)
			}
			if !strings.Contains(logs.String(), tt.wantLog) {
				t.Errorf("log lacks %q:\n%s", tt.wantLog, logs.String())
			}
			if strings.Contains(logs.String(), "SECRET") {
				t.Errorf("log leaks the webhook URL:\n%s", logs.String())
			}
			p := <-h.payloads
			if !strings.HasPrefix(p["text"], "orgiam run 2026-11-23: 97 ok, 3 failed, 0 skipped\n") ||
				!strings.Contains(p["text"], "111122223333") {
				t.Errorf("payload text = %q", p["text"])
			}
		})
	}
}

func TestWebhookErrorHidesURL(t *testing.T) {
	t.Parallel()
	h := newHook(t, 0, 503)
	n, err := Parse("webhook:"+h.srv.URL+"/services/SECRET", nil)
	if err != nil {
		t.Fatal(err)
	}
	err = n.Notify(context.Background(), sample())
	if err == nil || !strings.Contains(err.Error(), "503") || strings.Contains(err.Error(), "SECRET") {
		t.Errorf("Notify = %v, want a 503 error without the URL path", err)
	}
	// A connection failure: net/http puts the URL in its error; it must be dropped.
	h.srv.Close()
	err = n.Notify(context.Background(), sample())
	if err == nil || strings.Contains(err.Error(), "SECRET") {
		t.Errorf("Notify to a closed server = %v, want an error without the URL path", err)
	}
}

// hang is a notifier that ignores its context.
type hang struct{ release chan struct{} }

func (h hang) Notify(context.Context, Summary) error { <-h.release; return nil }
func (h hang) String() string                        { return "hang" }

func TestSendTimeout(t *testing.T) {
	t.Parallel()
	t.Run("slow webhook is cut at the timeout", func(t *testing.T) {
		t.Parallel()
		r := fastRetries(300 * time.Millisecond)
		h := newHook(t, 5*time.Second, 200)
		n, err := Parse("webhook:"+h.srv.URL, nil)
		if err != nil {
			t.Fatal(err)
		}
		var logs bytes.Buffer
		start := time.Now()
		SendRetry(context.Background(), slog.New(slog.NewTextHandler(&logs, nil)), []Notifier{n}, sample(), r)
		if d := time.Since(start); d > time.Second {
			t.Errorf("Send took %s, want about the 300ms timeout", d)
		}
		if !strings.Contains(logs.String(), "notification failed") {
			t.Errorf("log lacks the failure:\n%s", logs.String())
		}
	})
	t.Run("notifier ignoring its context does not block Send", func(t *testing.T) {
		t.Parallel()
		r := fastRetries(200 * time.Millisecond)
		h := hang{release: make(chan struct{})}
		defer close(h.release)
		start := time.Now()
		SendRetry(context.Background(), nil, []Notifier{h}, sample(), r)
		if d := time.Since(start); d > time.Second {
			t.Errorf("Send took %s, want about the 200ms timeout", d)
		}
	})
	t.Run("caller deadline is honoured", func(t *testing.T) {
		t.Parallel()
		r := fastRetries(10 * time.Second)
		h := newHook(t, 5*time.Second, 200)
		n, _ := Parse("webhook:"+h.srv.URL, nil)
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		start := time.Now()
		SendRetry(ctx, nil, []Notifier{n}, sample(), r)
		if d := time.Since(start); d > time.Second {
			t.Errorf("Send took %s, want about the caller's 200ms", d)
		}
	})
}

func TestSNSMoto(t *testing.T) {
	t.Parallel()
	srv := moto.Start(t)
	ctx := context.Background()
	cfg := aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("testing", "testing", ""),
		BaseEndpoint: aws.String(srv.Endpoint),
	}
	topic, err := sns.NewFromConfig(cfg).CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("orgiam-runs")})
	if err != nil {
		t.Fatalf("CreateTopic: %v", err)
	}
	arn := aws.ToString(topic.TopicArn)
	n, err := Parse("sns:"+arn, &cfg)
	if err != nil {
		t.Fatal(err)
	}
	s := sample()
	for i := 0; i < 200; i++ {
		s.FailedAccounts = append(s.FailedAccounts, AccountError{ID: fmt.Sprintf("%012d", i), Error: "denied"})
	}
	id, err := n.(*SNS).publish(ctx, s)
	if err != nil {
		t.Fatalf("publish: %v", err)
	}
	if id == "" {
		t.Error("Publish returned no MessageId")
	}
	var logs bytes.Buffer
	Send(ctx, slog.New(slog.NewTextHandler(&logs, nil)), []Notifier{n}, s)
	if !strings.Contains(logs.String(), "notification sent") {
		t.Errorf("Send to SNS did not succeed:\n%s", logs.String())
	}

	// A topic that does not exist: a client error, not retried.
	missing, err := Parse("sns:arn:aws:sns:us-east-1:123456789012:no-such-topic", &cfg)
	if err != nil {
		t.Fatal(err)
	}
	err = missing.Notify(ctx, s)
	if err == nil || !strings.Contains(err.Error(), "sns:Publish") || !strings.Contains(err.Error(), "no-such-topic") {
		t.Errorf("Notify to a missing topic = %v, want an sns:Publish error naming the topic", err)
	}
}

func TestTitleOverride(t *testing.T) {
	t.Parallel()
	s := Summary{Run: "config-reports/2026-12-07", Failed: 1, Title: "orgiam config report 2026-12-07 failed (aggregator a)"}
	if got := Title(s); got != s.Title {
		t.Errorf("title %q", got)
	}
	if !strings.HasPrefix(Text(s), s.Title+"\n") {
		t.Errorf("text does not start with the title:\n%s", Text(s))
	}
	s.Title = ""
	if got := Title(s); !strings.HasPrefix(got, "orgiam run config-reports/2026-12-07:") {
		t.Errorf("default title %q", got)
	}
}

func TestPartialAccountsCountedAndListed(t *testing.T) {
	s := Summary{Run: "2026-11-23", OK: 5, Failed: 1, Skipped: 0, Partial: 2,
		PartialAccounts: []AccountError{{ID: "111111111111", Name: "prod", Error: "kms (eu-west-1): AccessDeniedException"}, {ID: "222222222222", Error: "region us-west-2 failed"}}}
	if got := Title(s); got != "orgiam run 2026-11-23: 5 ok, 2 partial, 1 failed, 0 skipped" {
		t.Errorf("title %q", got)
	}
	txt := Text(s)
	for _, want := range []string{"partial accounts (2, data kept, some of it missing):", "- 111111111111 (prod): kms (eu-west-1): AccessDeniedException", "- 222222222222: region us-west-2 failed"} {
		if !strings.Contains(txt, want) {
			t.Errorf("text lacks %q:\n%s", want, txt)
		}
	}
	s.Partial, s.PartialAccounts = 0, nil
	if got := Title(s); got != "orgiam run 2026-11-23: 5 ok, 1 failed, 0 skipped" || strings.Contains(Text(s), "partial") {
		t.Errorf("no partial account: %q\n%s", got, Text(s))
	}
}
