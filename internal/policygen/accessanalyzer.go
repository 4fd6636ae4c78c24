package policygen

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	aa "github.com/aws/aws-sdk-go-v2/service/accessanalyzer"
	aatypes "github.com/aws/aws-sdk-go-v2/service/accessanalyzer/types"
	"github.com/aws/smithy-go"

	"github.com/orgiam/orgiam/internal/fanout"
	"github.com/orgiam/orgiam/internal/policy"
)

// AnalyzerMaxRange is the longest trail range Access Analyzer generates
// from.
const AnalyzerMaxRange = 90 * 24 * time.Hour

// AnalyzerAPI is the part of the Access Analyzer client generation uses.
type AnalyzerAPI interface {
	StartPolicyGeneration(context.Context, *aa.StartPolicyGenerationInput, ...func(*aa.Options)) (*aa.StartPolicyGenerationOutput, error)
	GetGeneratedPolicy(context.Context, *aa.GetGeneratedPolicyInput, ...func(*aa.Options)) (*aa.GetGeneratedPolicyOutput, error)
}

var _ AnalyzerAPI = (*aa.Client)(nil)

// AnalyzerOptions are an Access Analyzer generation's inputs.
type AnalyzerOptions struct {
	TrailARN, AccessRole string
	Since, Until         time.Time
	// Sleep waits between polls and before retrying a start refused
	// because another generation runs (tests pass one that does not
	// sleep); nil sleeps for real.
	Sleep func(ctx context.Context, d time.Duration) error
	// MaxPoll caps the backoff between polls (default 30s); MaxWait is how
	// long one job may take (default 1h), counted in slept time.
	MaxPoll, MaxWait time.Duration
}

// ValidateAnalyzerRange checks the range before anything is called:
// Access Analyzer reads at most 90 days of trail.
func ValidateAnalyzerRange(since, until time.Time) error {
	if since.IsZero() || until.IsZero() || !since.Before(until) {
		return errors.New("Access Analyzer needs a range with a start before its end")
	}
	if d := until.Sub(since); d > AnalyzerMaxRange {
		return fmt.Errorf("Access Analyzer reads at most 90 days of trail; the range %s to %s is %d days", since.Format("2006-01-02"), until.Format("2006-01-02"), int(d.Hours()/24))
	}
	return nil
}

// AnalyzerResult is one principal's Access Analyzer outcome.
type AnalyzerResult struct {
	Principal Principal
	JobID     string
	Status    string // SUCCEEDED, FAILED, CANCELED
	Error     string
	Grants    Grants
}

// GenerateWithAnalyzer runs one Access Analyzer generation per principal,
// one at a time (the service allows one per account and region; a start
// refused because another is running waits and tries again), polling each
// with exponential backoff. A FAILED or CANCELED job is recorded in its
// result and the next principal goes on.
func GenerateWithAnalyzer(ctx context.Context, api AnalyzerAPI, principals []Principal, opt AnalyzerOptions) ([]AnalyzerResult, error) {
	if err := ValidateAnalyzerRange(opt.Since, opt.Until); err != nil {
		return nil, err
	}
	if opt.Sleep == nil {
		opt.Sleep = func(ctx context.Context, d time.Duration) error {
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-t.C:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	if opt.MaxPoll <= 0 {
		opt.MaxPoll = 30 * time.Second
	}
	if opt.MaxWait <= 0 {
		opt.MaxWait = time.Hour
	}
	var out []AnalyzerResult
	for _, p := range principals {
		r, err := analyzeOne(ctx, api, p, opt)
		if err != nil {
			return out, fmt.Errorf("%s: %w", p.ARN, err)
		}
		out = append(out, r)
	}
	return out, nil
}

func analyzeOne(ctx context.Context, api AnalyzerAPI, p Principal, opt AnalyzerOptions) (AnalyzerResult, error) {
	res := AnalyzerResult{Principal: p}
	in := &aa.StartPolicyGenerationInput{
		PolicyGenerationDetails: &aatypes.PolicyGenerationDetails{PrincipalArn: aws.String(p.ARN)},
		CloudTrailDetails: &aatypes.CloudTrailDetails{
			AccessRole: aws.String(opt.AccessRole), StartTime: aws.Time(opt.Since), EndTime: aws.Time(opt.Until),
			Trails: []aatypes.Trail{{CloudTrailArn: aws.String(opt.TrailARN), AllRegions: aws.Bool(true)}},
		},
	}
	wait, waited := time.Second, time.Duration(0)
	backoff := func() error {
		if waited > opt.MaxWait {
			return fmt.Errorf("access-analyzer: gave up after waiting %s", waited)
		}
		if err := opt.Sleep(ctx, wait); err != nil {
			return err
		}
		waited += wait
		wait = min(wait*2, opt.MaxPoll)
		return nil
	}
	for {
		o, err := api.StartPolicyGeneration(ctx, in)
		var ae smithy.APIError
		if errors.As(err, &ae) && ae.ErrorCode() == "ConflictException" {
			// Another generation runs in this account and region: queue.
			if err := backoff(); err != nil {
				return res, err
			}
			continue
		}
		if err != nil {
			return res, fmt.Errorf("access-analyzer:StartPolicyGeneration: %w", err)
		}
		res.JobID = aws.ToString(o.JobId)
		break
	}
	wait, waited = time.Second, 0
	for {
		o, err := api.GetGeneratedPolicy(ctx, &aa.GetGeneratedPolicyInput{JobId: aws.String(res.JobID), IncludeResourcePlaceholders: aws.Bool(false), IncludeServiceLevelTemplate: aws.Bool(false)})
		if err != nil {
			return res, fmt.Errorf("access-analyzer:GetGeneratedPolicy %s: %w", res.JobID, err)
		}
		st := aatypes.JobStatusInProgress
		if o.JobDetails != nil {
			st = o.JobDetails.Status
		}
		switch st {
		case aatypes.JobStatusSucceeded:
			res.Status = string(st)
			res.Grants = Grants{}
			if o.GeneratedPolicyResult != nil {
				for i, gp := range o.GeneratedPolicyResult.GeneratedPolicies {
					if err := addGrants(res.Grants, aws.ToString(gp.Policy)); err != nil {
						return res, fmt.Errorf("access-analyzer: job %s: policy %d: %w", res.JobID, i+1, err)
					}
				}
			}
			return res, nil
		case aatypes.JobStatusFailed, aatypes.JobStatusCanceled:
			res.Status = string(st)
			if je := o.JobDetails.JobError; je != nil {
				res.Error = string(je.Code) + ": " + aws.ToString(je.Message)
			}
			return res, nil
		}
		if err := backoff(); err != nil {
			return res, err
		}
	}
}

// addGrants adds the Allow statements of a generated policy to g. Access
// Analyzer's resource placeholders were not asked for, so resources are
// "*" or real ARNs.
func addGrants(g Grants, doc string) error {
	d, err := policy.Parse([]byte(doc))
	if err != nil {
		return err
	}
	for _, s := range d.Statement {
		if !s.Allow() || len(s.NotAction) > 0 {
			continue
		}
		res := s.Resource
		if len(res) == 0 || len(s.NotResource) > 0 {
			res = []string{"*"}
		}
		for _, a := range s.Action {
			set := g[a]
			if set == nil {
				set = map[string]bool{}
				g[a] = set
			}
			for _, r := range res {
				if strings.Contains(r, "${") {
					r = "*"
				}
				set[r] = true
			}
		}
	}
	return nil
}

// AnalyzerResults turns Access Analyzer outcomes into results that go
// through the same merge, split and git steps as the trail path.
func AnalyzerResults(in []AnalyzerResult, opt Options) ([]Result, error) {
	var out []Result
	for _, r := range in {
		pa := newPrincipalActivity(r.Principal)
		for a, set := range r.Grants {
			pa.Used[a] = set
		}
		res, err := generateOne(newActivity(), pa, opt)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", r.Principal.ARN, err)
		}
		res.Report.Events = 0
		res.Report.NotVisible = []string{"Access Analyzer never includes iam:PassRole or data events; add them with --allow where needed"}
		switch r.Status {
		case "SUCCEEDED":
			res.Report.Note = "generated by IAM Access Analyzer, job " + r.JobID
		default:
			res.Report.Note = fmt.Sprintf("Access Analyzer job %s ended %s (%s): the policy holds only the allow rules", r.JobID, r.Status, r.Error)
		}
		out = append(out, res)
	}
	return out, nil
}

// GenerateWithAnalyzerPerAccount runs each account's principals through a
// client of that account (clientFor, typically a role assumed there):
// Access Analyzer's one-generation-at-a-time limit is per account and
// region, so the accounts' queues run side by side, up to concurrency at
// once, and each account's principals one after another. accessRole gives
// the AccessRole of an account's jobs (the role Access Analyzer uses
// there to read the trail). Results are in the order of principals.
func GenerateWithAnalyzerPerAccount(ctx context.Context, clientFor func(account string) AnalyzerAPI, accessRole func(account string) string, principals []Principal, opt AnalyzerOptions, concurrency int) ([]AnalyzerResult, error) {
	if err := ValidateAnalyzerRange(opt.Since, opt.Until); err != nil {
		return nil, err
	}
	type queue struct {
		account string
		idx     []int
		out     []AnalyzerResult
		err     error
	}
	byAcct := map[string]*queue{}
	var queues []*queue
	for i, p := range principals {
		q := byAcct[p.Account]
		if q == nil {
			q = &queue{account: p.Account}
			byAcct[p.Account] = q
			queues = append(queues, q)
		}
		q.idx = append(q.idx, i)
	}
	err := fanout.Run(ctx, queues, concurrency, 0, func(ctx context.Context, q *queue) error {
		o := opt
		o.AccessRole = accessRole(q.account)
		ps := make([]Principal, len(q.idx))
		for j, i := range q.idx {
			ps[j] = principals[i]
		}
		q.out, q.err = GenerateWithAnalyzer(ctx, clientFor(q.account), ps, o)
		return q.err
	}, nil)
	if err != nil {
		return nil, err
	}
	out := make([]AnalyzerResult, len(principals))
	for _, q := range queues {
		if q.err != nil {
			return nil, fmt.Errorf("account %s: %w", q.account, q.err)
		}
		for j, i := range q.idx {
			out[i] = q.out[j]
		}
	}
	return out, nil
}
