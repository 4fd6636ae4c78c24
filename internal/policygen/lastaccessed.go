package policygen

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// LastAccessedAPI is the part of the IAM client that reads IAM's
// last-accessed data (Access Advisor).
type LastAccessedAPI interface {
	GenerateServiceLastAccessedDetails(ctx context.Context, in *iam.GenerateServiceLastAccessedDetailsInput, opts ...func(*iam.Options)) (*iam.GenerateServiceLastAccessedDetailsOutput, error)
	GetServiceLastAccessedDetails(ctx context.Context, in *iam.GetServiceLastAccessedDetailsInput, opts ...func(*iam.Options)) (*iam.GetServiceLastAccessedDetailsOutput, error)
}

// LastAccessedOptions shape one account's reading.
type LastAccessedOptions struct {
	// Now and Days: a service or action last used before Now − Days (or
	// never) is unused. Days 0 means never used at all.
	Now  time.Time
	Days int
	// Sleep waits between polls (default: a timer that ctx can end);
	// tests pass one that does not wait.
	Sleep func(context.Context, time.Duration) error
	// FirstPoll and MaxPoll bound the backoff between polls (default 1s,
	// doubling to 20s); MaxWait is how long one job may take (default 15m).
	FirstPoll, MaxPoll, MaxWait time.Duration
}

// Unused is one service, or one action of a service, that a principal's
// policies grant and that it did not use in the window.
type Unused struct {
	Account   string `json:"account"`
	Principal string `json:"principal"` // ARN of the user, role or group
	Service   string `json:"service"`   // IAM prefix (ServiceNamespace)
	// Action is empty for a whole service unused; else "prefix:Action",
	// an action IAM tracks, of a service that was used.
	Action string `json:"action,omitempty"`
	// LastAccessed is when it was last used (RFC 3339), empty for never.
	LastAccessed string `json:"lastAccessed,omitempty"`
}

// UnusedError is a principal whose job could not be read.
type UnusedError struct {
	Principal string `json:"principal"`
	Error     string `json:"error"`
}

// LastAccessed runs one GenerateServiceLastAccessedDetails job
// (ACTION_LEVEL) per principal of one account, one after another (IAM
// runs the jobs of an account itself; the rate limiter of the client's
// config paces the calls across accounts), polls each with backoff and
// returns what was granted and not used. A principal whose job fails is
// returned in the errors and the others go on; only ctx ending stops it.
func LastAccessed(ctx context.Context, api LastAccessedAPI, account string, principals []string, opt LastAccessedOptions) ([]Unused, []UnusedError, error) {
	if opt.Sleep == nil {
		opt.Sleep = sleepCtx
	}
	if opt.FirstPoll <= 0 {
		opt.FirstPoll = time.Second
	}
	if opt.MaxPoll <= 0 {
		opt.MaxPoll = 20 * time.Second
	}
	if opt.MaxWait <= 0 {
		opt.MaxWait = 15 * time.Minute
	}
	cutoff := opt.Now.AddDate(0, 0, -opt.Days)
	var out []Unused
	var errs []UnusedError
	for _, p := range principals {
		services, err := lastAccessedJob(ctx, api, p, opt)
		if ctx.Err() != nil {
			return out, errs, ctx.Err()
		}
		if err != nil {
			errs = append(errs, UnusedError{Principal: p, Error: err.Error()})
			continue
		}
		out = append(out, unusedOf(account, p, services, cutoff, opt.Days == 0)...)
	}
	return out, errs, nil
}

func lastAccessedJob(ctx context.Context, api LastAccessedAPI, arn string, opt LastAccessedOptions) ([]types.ServiceLastAccessed, error) {
	job, err := api.GenerateServiceLastAccessedDetails(ctx, &iam.GenerateServiceLastAccessedDetailsInput{Arn: aws.String(arn), Granularity: types.AccessAdvisorUsageGranularityTypeActionLevel})
	if err != nil {
		return nil, fmt.Errorf("iam:GenerateServiceLastAccessedDetails: %w", err)
	}
	wait, waited := opt.FirstPoll, time.Duration(0)
	for {
		if err := opt.Sleep(ctx, wait); err != nil {
			return nil, err
		}
		waited += wait
		wait = min(2*wait, opt.MaxPoll)
		var services []types.ServiceLastAccessed
		var marker *string
		var status types.JobStatusType
		for {
			res, err := api.GetServiceLastAccessedDetails(ctx, &iam.GetServiceLastAccessedDetailsInput{JobId: job.JobId, Marker: marker})
			if err != nil {
				return nil, fmt.Errorf("iam:GetServiceLastAccessedDetails: %w", err)
			}
			status = res.JobStatus
			if status != types.JobStatusTypeCompleted {
				if status == types.JobStatusTypeFailed {
					msg := "job failed"
					if res.Error != nil {
						msg = aws.ToString(res.Error.Code) + ": " + aws.ToString(res.Error.Message)
					}
					return nil, fmt.Errorf("iam:GetServiceLastAccessedDetails: %s", msg)
				}
				break
			}
			services = append(services, res.ServicesLastAccessed...)
			if !res.IsTruncated {
				return services, nil
			}
			marker = res.Marker
		}
		if waited >= opt.MaxWait {
			return nil, fmt.Errorf("iam:GetServiceLastAccessedDetails: job %s still %s after %v", aws.ToString(job.JobId), status, waited)
		}
	}
}

// unusedOf turns a principal's services into rows: a service not used
// since the cutoff is one row; of a service used, each tracked action not
// used since the cutoff is one row.
func unusedOf(account, principal string, services []types.ServiceLastAccessed, cutoff time.Time, never bool) []Unused {
	old := func(t *time.Time) bool { return t == nil || !never && t.Before(cutoff) }
	stamp := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	var out []Unused
	for _, s := range services {
		ns := aws.ToString(s.ServiceNamespace)
		if old(s.LastAuthenticated) {
			out = append(out, Unused{Account: account, Principal: principal, Service: ns, LastAccessed: stamp(s.LastAuthenticated)})
			continue
		}
		for _, a := range s.TrackedActionsLastAccessed {
			if old(a.LastAccessedTime) {
				out = append(out, Unused{Account: account, Principal: principal, Service: ns, Action: ns + ":" + aws.ToString(a.ActionName), LastAccessed: stamp(a.LastAccessedTime)})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Service != out[j].Service {
			return out[i].Service < out[j].Service
		}
		return out[i].Action < out[j].Action
	})
	return out
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
