package collect

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// CredentialReportState is where an account's credential report stands
// between polls. It is small and JSON-serialisable: the serverless runner
// carries it through a Step Functions Wait loop; the local runner loops over
// PollCredentialReport with it.
type CredentialReportState struct {
	Attempt int `json:"attempt"` // polls made so far
	// Wait is the next wait in seconds (the backoff so far).
	Wait float64 `json:"waitSeconds"`
}

// CredentialReportPoll is one poll's outcome.
type CredentialReportPoll struct {
	Done bool // the report is in CSV
	CSV  []byte
	// Generated is when IAM generated the report.
	Generated time.Time
	// Next is the state to poll with after waiting Next.Wait seconds.
	Next CredentialReportState
}

// CredentialReportPolicy bounds the polling.
type CredentialReportPolicy struct {
	MaxPolls  int           // default 45
	FirstWait time.Duration // default 2s
	MaxWait   time.Duration // default 30s
}

func (p CredentialReportPolicy) withDefaults() CredentialReportPolicy {
	if p.MaxPolls <= 0 {
		p.MaxPolls = 45
	}
	if p.FirstWait <= 0 {
		p.FirstWait = 2 * time.Second
	}
	if p.MaxWait <= 0 {
		p.MaxWait = 30 * time.Second
	}
	// A first wait above the cap is kept, not cut: a deployment that waits
	// a minute between polls (as the Step Functions peers do) gets a minute.
	if p.MaxWait < p.FirstWait {
		p.MaxWait = p.FirstWait
	}
	return p
}

// ErrCredentialReportTimeout is returned when the poll budget is spent.
var ErrCredentialReportTimeout = errors.New("credential report not complete")

// StartCredentialReport asks IAM to generate the report (IAM reuses one
// younger than four hours). LimitExceeded is not an error: the poll loop
// tries again.
func StartCredentialReport(ctx context.Context, api IAMAPI, account string) error {
	_, err := api.GenerateCredentialReport(ctx, &iam.GenerateCredentialReportInput{})
	if err != nil && !isRetryLater(err) {
		return opErr(account, "iam:GenerateCredentialReport", err)
	}
	return nil
}

func isRetryLater(err error) bool {
	var le *types.LimitExceededException
	code := ErrorCode(err)
	return errors.As(err, &le) || code == "LimitExceeded" || code == "LimitExceededException"
}

// PollCredentialReport makes one poll: GetCredentialReport, and when IAM says
// the report is not there yet (ReportInProgress, ReportNotPresent,
// ReportExpired, LimitExceeded) it (re)starts generation where needed and
// returns the state to poll again with, after a backed-off wait. Once the
// budget of polls is spent it returns an error wrapping
// ErrCredentialReportTimeout that names the account.
func PollCredentialReport(ctx context.Context, api IAMAPI, account string, st CredentialReportState, pol CredentialReportPolicy) (CredentialReportPoll, error) {
	pol = pol.withDefaults()
	st.Attempt++
	out, err := api.GetCredentialReport(ctx, &iam.GetCredentialReportInput{})
	if err == nil {
		return CredentialReportPoll{Done: true, CSV: out.Content, Generated: derefTime(out.GeneratedTime), Next: st}, nil
	}
	code := ErrorCode(err)
	switch {
	case code == "ReportInProgress" || code == "ReportNotReady":
	case code == "ReportNotPresent" || code == "ReportExpired" || code == "ReportNotPresentException" || code == "CredentialReportNotPresentException" || code == "CredentialReportExpiredException":
		if err := StartCredentialReport(ctx, api, account); err != nil {
			return CredentialReportPoll{Next: st}, err
		}
	case isRetryLater(err):
	default:
		var nre *types.CredentialReportNotReadyException
		var npe *types.CredentialReportNotPresentException
		var exp *types.CredentialReportExpiredException
		switch {
		case errors.As(err, &nre):
		case errors.As(err, &npe), errors.As(err, &exp):
			if err := StartCredentialReport(ctx, api, account); err != nil {
				return CredentialReportPoll{Next: st}, err
			}
		default:
			return CredentialReportPoll{Next: st}, opErr(account, "iam:GetCredentialReport", err)
		}
	}
	if st.Attempt >= pol.MaxPolls {
		return CredentialReportPoll{Next: st}, fmt.Errorf("account %s: iam:GetCredentialReport: %w after %d polls (last answer %s); raise --credential-report-max-polls if the account has many users", account, ErrCredentialReportTimeout, st.Attempt, ErrorText(err))
	}
	w := time.Duration(st.Wait * float64(time.Second))
	if w <= 0 {
		w = pol.FirstWait
	} else {
		w = w * 3 / 2
	}
	if w > pol.MaxWait {
		w = pol.MaxWait
	}
	st.Wait = w.Seconds()
	return CredentialReportPoll{Next: st}, nil
}

func derefTime(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// WaitCredentialReport loops PollCredentialReport, sleeping between polls
// (never busy-waiting) until the report is done, the budget is spent or ctx
// ends. The local runner uses it; the serverless runner waits in Step
// Functions instead.
func WaitCredentialReport(ctx context.Context, api IAMAPI, account string, pol CredentialReportPolicy) (CredentialReportPoll, error) {
	var st CredentialReportState
	for {
		res, err := PollCredentialReport(ctx, api, account, st, pol)
		if err != nil || res.Done {
			return res, err
		}
		st = res.Next
		t := time.NewTimer(time.Duration(st.Wait * float64(time.Second)))
		select {
		case <-ctx.Done():
			t.Stop()
			return res, opErr(account, "iam:GetCredentialReport", ctx.Err())
		case <-t.C:
		}
	}
}

// CredentialReportCollector stores the account's credential report (the CSV
// as IAM returns it). Its Start asks IAM to generate the report as the
// collectors start; the report is read once, by whichever of the IAM collector
// (which needs it to skip ListAccessKeys) or this collector asks first.
type CredentialReportCollector struct{}

var _ Collector = CredentialReportCollector{}
var _ Starter = CredentialReportCollector{}

// Name is "credential-report".
func (CredentialReportCollector) Name() string { return "credential-report" }

// Scope is ScopeAccount.
func (CredentialReportCollector) Scope() Scope { return ScopeAccount }

// Actions are the report's two calls.
func (CredentialReportCollector) Actions() []string {
	return []string{"iam:GenerateCredentialReport", "iam:GetCredentialReport"}
}

// Start asks IAM to generate the report (a failure is a warning: the poll
// starts it again).
func (CredentialReportCollector) Start(ctx context.Context, it *Item) error {
	it.reportState(true)
	return StartCredentialReport(ctx, it.Clients.IAM(), it.Account)
}

// Collect stores the report. When the item does not wait for it and it is
// not ready yet, that is no failure: the outcome says a later step polls
// again.
func (CredentialReportCollector) Collect(ctx context.Context, it *Item, w Writer) error {
	it.reportState(true)
	res, err := it.credentialReport(ctx)
	if err != nil {
		if it.WaitCredentialReport {
			return err
		}
		it.setOutcome(CredentialReportOutcome{Attempt: res.Next.Attempt})
		return nil
	}
	if err := w.CredentialReport(ctx, res.CSV); err != nil {
		return err
	}
	it.setOutcome(CredentialReportOutcome{Done: true, Attempt: res.Next.Attempt})
	return nil
}

// reportOnce is an item's credential report, read at most once.
type reportOnce struct {
	once sync.Once
	res  CredentialReportPoll
	err  error
}

// reportState is the item's report state, created when create is set (nil
// when the report is not collected).
func (it *Item) reportState(create bool) *reportOnce {
	it.mu.Lock()
	defer it.mu.Unlock()
	if it.report == nil && create {
		it.report = &reportOnce{}
	}
	return it.report
}

// credentialReport reads the report once: waiting for it when the item
// waits, else one poll. Its errors are in the "credential-report" phase.
func (it *Item) credentialReport(ctx context.Context) (CredentialReportPoll, error) {
	r := it.reportState(true)
	it.mu.Lock()
	if it.accountCtx != nil {
		ctx = it.accountCtx
	}
	it.mu.Unlock()
	r.once.Do(func() {
		// A read before IAM was asked to generate the report would only
		// be told it is not there, and ask again.
		it.starts.Wait()
		api := it.Clients.IAM()
		if it.WaitCredentialReport {
			r.res, r.err = WaitCredentialReport(ctx, api, it.Account, it.ReportPolicy)
		} else {
			// One poll: the report is often ready by now. If not, the
			// serverless runner's loop collects it later.
			r.res, r.err = PollCredentialReport(ctx, api, it.Account, CredentialReportState{}, it.ReportPolicy)
			if r.err == nil && !r.res.Done {
				r.err = fmt.Errorf("account %s: iam:GetCredentialReport: not ready during the scan", it.Account)
			}
		}
		if r.err != nil {
			r.err = &PhaseError{Phase: "credential-report", Err: r.err}
		}
	})
	return r.res, r.err
}
