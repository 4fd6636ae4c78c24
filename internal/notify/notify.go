// Package notify sends one message per run (failed accounts, new
// high-severity findings, what changed since the previous run) to SNS topics and Slack-compatible webhooks.
// Notifying never fails nor blocks a run: Send retries, is bounded by a
// timeout, logs what failed and returns nothing.
package notify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// AccountError is one failed account of a run.
type AccountError struct {
	ID    string `json:"id"`
	Name  string `json:"name,omitempty"`
	Error string `json:"error"`
}

// Summary is what a notification says about one run.
type Summary struct {
	Run            string         `json:"run"`   // run prefix: <YYYY-MM-DD>[/<run-id>]
	Store          string         `json:"store"` // store URL
	Started        time.Time      `json:"started"`
	Finished       time.Time      `json:"finished"`
	OK             int            `json:"ok"`
	Failed         int            `json:"failed"`
	Skipped        int            `json:"skipped"`
	FailedAccounts []AccountError `json:"failedAccounts,omitempty"`
	// Partial counts the accounts scanned with part of their data missing
	// (a collector denied, a region item failed); PartialAccounts says what
	// each one misses (its Error).
	Partial         int            `json:"partial,omitempty"`
	PartialAccounts []AccountError `json:"partialAccounts,omitempty"`
	NewHighFindings int            `json:"newHighFindings"`
	ReportLinks     []string       `json:"reportLinks,omitempty"`
	// Title replaces the run title for messages that are not about a
	// collect run (the config-report handler's failure).
	Title string `json:"title,omitempty"`
	// Drift is what changed since the previous complete run (nil when the
	// run was not compared with one).
	Drift *Drift `json:"drift,omitempty"`
}

// Drift is a run's changes against the previous complete run.
type Drift struct {
	From       string         `json:"from"` // the previous run
	Changes    int            `json:"changes"`
	BySeverity map[string]int `json:"bySeverity,omitempty"`
	ByKind     map[string]int `json:"byKind,omitempty"`
	// Lines are the most severe changes, at most a screenful.
	Lines []DriftLine `json:"lines,omitempty"`
}

// DriftLine is one change in a message.
type DriftLine struct {
	Severity  string `json:"severity"`
	Kind      string `json:"kind"`
	Action    string `json:"action"`
	AccountID string `json:"accountId,omitempty"`
	Principal string `json:"principal,omitempty"`
	Detail    string `json:"detail"`
}

// HasDrift reports whether the summary says something changed.
func (s Summary) HasDrift() bool { return s.Drift != nil && s.Drift.Changes > 0 }

// driftSeverities orders the severity counts of a message.
var driftSeverities = []string{"high", "medium", "low", "info"}

// Notifier delivers a run summary somewhere.
type Notifier interface {
	Notify(ctx context.Context, s Summary) error
	// String names the destination without secrets (a webhook shows only its
	// scheme and host).
	String() string
}

// MaxFailedLines caps the failed accounts listed in a message.
const MaxFailedLines = 50

// maxErrorLen caps one account's error in a message.
const maxErrorLen = 300

// Title is the one-line summary: "orgiam run 2026-11-23: 97 ok, 3 failed, 0 skipped".
func Title(s Summary) string {
	if s.Title != "" {
		return s.Title
	}
	t := fmt.Sprintf("orgiam run %s: %d ok, %d failed, %d skipped", s.Run, s.OK, s.Failed, s.Skipped)
	if s.Partial > 0 {
		t = fmt.Sprintf("orgiam run %s: %d ok, %d partial, %d failed, %d skipped", s.Run, s.OK, s.Partial, s.Failed, s.Skipped)
	}
	if s.HasDrift() {
		t += fmt.Sprintf(", %d changes", s.Drift.Changes)
		if n := s.Drift.BySeverity["high"]; n > 0 {
			t += fmt.Sprintf(" (%d high)", n)
		}
	}
	return t
}

// Text renders the whole message: the title, the failed accounts (at most
// MaxFailedLines, then "and N more"), the new high-severity findings and the
// report links.
func Text(s Summary) string {
	var b strings.Builder
	b.WriteString(Title(s))
	b.WriteString("\n")
	if s.Store != "" {
		fmt.Fprintf(&b, "store: %s\n", s.Store)
	}
	if !s.Started.IsZero() && !s.Finished.IsZero() {
		fmt.Fprintf(&b, "started %s, took %s\n", s.Started.UTC().Format(time.RFC3339), s.Finished.Sub(s.Started).Round(time.Second))
	}
	if len(s.FailedAccounts) > 0 {
		fmt.Fprintf(&b, "\nfailed accounts (%d):\n", len(s.FailedAccounts))
		for i, a := range s.FailedAccounts {
			if i == MaxFailedLines {
				fmt.Fprintf(&b, "… and %d more\n", len(s.FailedAccounts)-MaxFailedLines)
				break
			}
			name := ""
			if a.Name != "" {
				name = " (" + oneLine(a.Name, 80) + ")"
			}
			fmt.Fprintf(&b, "- %s%s: %s\n", a.ID, name, oneLine(a.Error, maxErrorLen))
		}
	}
	if len(s.PartialAccounts) > 0 {
		fmt.Fprintf(&b, "\npartial accounts (%d, data kept, some of it missing):\n", len(s.PartialAccounts))
		for i, a := range s.PartialAccounts {
			if i == MaxFailedLines {
				fmt.Fprintf(&b, "… and %d more\n", len(s.PartialAccounts)-MaxFailedLines)
				break
			}
			name := ""
			if a.Name != "" {
				name = " (" + oneLine(a.Name, 80) + ")"
			}
			fmt.Fprintf(&b, "- %s%s: %s\n", a.ID, name, oneLine(a.Error, maxErrorLen))
		}
	}
	fmt.Fprintf(&b, "\nnew high-severity findings: %d\n", s.NewHighFindings)
	if d := s.Drift; d != nil {
		var sev []string
		for _, k := range driftSeverities {
			if n := d.BySeverity[k]; n > 0 {
				sev = append(sev, fmt.Sprintf("%d %s", n, k))
			}
		}
		counts := ""
		if len(sev) > 0 {
			counts = " (" + strings.Join(sev, ", ") + ")"
		}
		fmt.Fprintf(&b, "\nchanges since run %s: %d%s\n", d.From, d.Changes, counts)
		for _, l := range d.Lines {
			acct := ""
			if l.AccountID != "" {
				acct = " " + l.AccountID
			}
			fmt.Fprintf(&b, "- [%s] %s %s%s: %s\n", l.Severity, l.Kind, l.Action, acct, oneLine(l.Detail, maxErrorLen))
		}
		if more := d.Changes - len(d.Lines); more > 0 && len(d.Lines) > 0 {
			fmt.Fprintf(&b, "… and %d more (reports/diff.json)\n", more)
		}
	}
	if len(s.ReportLinks) > 0 {
		b.WriteString("\nreports:\n")
		for _, l := range s.ReportLinks {
			fmt.Fprintf(&b, "- %s\n", l)
		}
	}
	return b.String()
}

var spaceRe = regexp.MustCompile(`\s+`)

// oneLine folds whitespace and cuts s to max runes.
func oneLine(s string, max int) string {
	s = strings.TrimSpace(spaceRe.ReplaceAllString(s, " "))
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return string(r[:max-1]) + "…"
}

// truncateBytes cuts s to at most n bytes on a rune boundary.
func truncateBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const more = "\n… (truncated)"
	cut := n - len(more)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + more
}

// Parse builds a notifier from a spec:
//
//	sns:arn:aws:sns:us-east-1:123456789012:topic
//	webhook:https://hooks.example.com/…
//	webhook:env:VAR   (URL read from the environment variable VAR)
//
// awsCfg is needed for SNS only.
func Parse(spec string, awsCfg *aws.Config) (Notifier, error) {
	scheme, rest, ok := strings.Cut(strings.TrimSpace(spec), ":")
	if !ok || rest == "" {
		return nil, fmt.Errorf("notify %q: expected sns:<topic-arn>, webhook:<url> or webhook:env:<VAR>", redactSpec(spec))
	}
	switch scheme {
	case "sns":
		return newSNS(rest, awsCfg)
	case "webhook":
		return newWebhook(rest)
	}
	return nil, fmt.Errorf("notify %q: unknown scheme %q (use sns: or webhook:)", redactSpec(spec), scheme)
}

// redactSpec keeps a spec fit for messages: a literal webhook URL is cut to
// scheme and host.
func redactSpec(spec string) string {
	if rest, ok := strings.CutPrefix(spec, "webhook:"); ok && !strings.HasPrefix(rest, "env:") {
		return "webhook:" + redactURL(rest)
	}
	return spec
}

// Attempts is how many times Send tries each notifier.
const Attempts = 3

// Retry is how Send spends its time: a value passed in (not package
// variables a test swaps), so sends with different settings can run at once.
type Retry struct {
	// Timeout bounds one Send call when ctx has no earlier deadline.
	Timeout time.Duration
	// Backoff is the wait before the 2nd and 3rd attempts (the last entry
	// repeats).
	Backoff []time.Duration
}

// DefaultRetry is what Send uses: 20 s overall, 1 s then 3 s between attempts.
func DefaultRetry() Retry {
	return Retry{Timeout: 20 * time.Second, Backoff: []time.Duration{time.Second, 3 * time.Second}}
}

// permanentError marks a failure a retry cannot fix (a 4xx answer).
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

func permanent(err error) error { return permanentError{err} }

// Send delivers s to every notifier concurrently with DefaultRetry (see
// SendRetry).
func Send(ctx context.Context, log *slog.Logger, ns []Notifier, s Summary) {
	SendRetry(ctx, log, ns, s, DefaultRetry())
}

// SendRetry delivers s to every notifier concurrently, retrying each up to
// Attempts times with r's backoff, within r's timeout overall. Failures are
// logged, never returned; it returns by the deadline even if a notifier hangs.
func SendRetry(ctx context.Context, log *slog.Logger, ns []Notifier, s Summary, r Retry) {
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if len(ns) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, r.Timeout)
	defer cancel()
	var wg sync.WaitGroup
	for _, n := range ns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			attempts, err := deliver(ctx, n, s, r.Backoff)
			if err != nil {
				log.Warn("notification failed", "notifier", n.String(), "run", s.Run, "attempts", attempts, "error", err.Error())
				return
			}
			log.Info("notification sent", "notifier", n.String(), "run", s.Run, "attempts", attempts)
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		// Notifiers get ctx and stop on their own; do not wait for one that
		// ignores it.
		select {
		case <-done:
		case <-time.After(100 * time.Millisecond):
			log.Warn("notifications still pending at the timeout; giving up", "run", s.Run, "timeout", r.Timeout.String())
		}
	}
}

// deliver tries one notifier with retries; it returns the attempts made.
func deliver(ctx context.Context, n Notifier, s Summary, backoff []time.Duration) (int, error) {
	var err error
	for i := 0; i < Attempts; i++ {
		if i > 0 {
			d := backoff[min(i-1, len(backoff)-1)]
			t := time.NewTimer(d)
			select {
			case <-ctx.Done():
				t.Stop()
				return i, fmt.Errorf("%w (gave up at the timeout; last error: %v)", ctx.Err(), err)
			case <-t.C:
			}
		}
		err = n.Notify(ctx, s)
		if err == nil {
			return i + 1, nil
		}
		var p permanentError
		if errors.As(err, &p) || ctx.Err() != nil {
			return i + 1, err
		}
	}
	return Attempts, err
}
