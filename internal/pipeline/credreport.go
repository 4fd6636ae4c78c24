package pipeline

import (
	"context"
	"errors"
	"math"

	"github.com/orgiam/orgiam/internal/collect"
	"github.com/orgiam/orgiam/internal/snapshot"
	"github.com/orgiam/orgiam/internal/store"
)

// CredentialReportInput is the state of one account's credential report loop.
type CredentialReportInput struct {
	Run       string `json:"run"`
	AccountID string `json:"accountId"`
	Attempt   int    `json:"attempt"`
	// WaitSeconds is the wait before this poll (the backoff so far).
	WaitSeconds float64 `json:"waitSeconds"`
	// Done is true when the scan already read and stored the report (the
	// state machine's Choice reads it, and Status, from the scan's output
	// as it does from a poll's); then there is nothing to poll.
	Done   bool   `json:"done"`
	Status string `json:"status,omitempty"`
}

// CredentialReportOutput says whether to ask again, and after how long.
type CredentialReportOutput struct {
	Run         string `json:"run"`
	AccountID   string `json:"accountId"`
	Attempt     int    `json:"attempt"`
	Done        bool   `json:"done"`
	WaitSeconds int    `json:"waitSeconds"`
	Status      string `json:"status"` // ok, pending or failed
	Error       string `json:"error,omitempty"`
}

func (e *Env) reportPolicy() collect.CredentialReportPolicy {
	return collect.CredentialReportPolicy{MaxPolls: e.Cfg.CredentialReportMaxPolls, FirstWait: e.Cfg.CredentialReportWait}
}

// CredentialReport makes one poll of an account's credential report. When
// the report is ready it is stored as AWS returned it; when it is not, the
// output says "ask me again in WaitSeconds" with the state to pass back;
// when the poll budget is spent, the account's error.json says so and the
// status is failed. The serverless runner calls it from a Wait loop.
func CredentialReport(ctx context.Context, env *Env, in CredentialReportInput) (CredentialReportOutput, error) {
	env.init()
	out := CredentialReportOutput{Run: in.Run, AccountID: in.AccountID}
	id := in.AccountID
	api := env.clients(env.AccountConfig(id)).IAM()
	res, err := collect.PollCredentialReport(ctx, api, id, collect.CredentialReportState{Attempt: in.Attempt, Wait: in.WaitSeconds}, env.reportPolicy())
	out.Attempt = res.Next.Attempt
	if err != nil {
		if errors.Is(ctx.Err(), context.Canceled) {
			return out, ctx.Err()
		}
		out.Done, out.Status, out.Error = true, snapshot.StatusFailed, describe(err)
		// The scan's own error, if any, is kept: it came first.
		if e, rerr := (snapshot.Reader{Store: env.Store, Run: in.Run}).Error(ctx, id); rerr != nil {
			return out, rerr
		} else if e == nil {
			if err := writeError(ctx, env, in.Run, id, "credential-report", err, false); err != nil {
				return out, err
			}
		}
		return out, nil
	}
	if res.Done {
		if err := env.put(ctx, store.CredentialReportKey(in.Run, id), res.CSV); err != nil {
			return out, err
		}
		out.Done, out.Status = true, snapshot.StatusOK
		return out, nil
	}
	out.Status = "pending"
	out.WaitSeconds = int(math.Ceil(res.Next.Wait))
	return out, nil
}
