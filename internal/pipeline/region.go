package pipeline

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go/middleware"

	"github.com/orgiam/orgiam/internal/collect"
	"github.com/orgiam/orgiam/internal/regions"
	"github.com/orgiam/orgiam/internal/snapshot"
	"github.com/orgiam/orgiam/internal/store"
)

// ScanRegionInput is one account × region item: an account of the run and
// one of the regions its ScanAccount returned.
type ScanRegionInput struct {
	Run       string `json:"run"`
	AccountID string `json:"accountId"`
	Region    string `json:"region"`
}

// ScanRegionOutput is small: the item's data is in the store.
type ScanRegionOutput struct {
	Run       string `json:"run"`
	AccountID string `json:"accountId"`
	Region    string `json:"region"`
	Status    string `json:"status"` // ok, partial or failed
	Reason    string `json:"reason,omitempty"`
	Resources int    `json:"resources"`
	Warnings  int    `json:"warnings"`
	APICalls  int64  `json:"apiCalls"`
}

// ScanRegion runs every regional collector in one account × region and
// writes exactly one object, accounts/<id>/regions/<region>.json
// (snapshot.RegionScan), when the item ends — also when it failed. A
// collector denied part of its data (an SCP, a region not opted in) leaves
// a warning and the item partial; a collector that fails otherwise leaves
// the item failed, with what the other collectors read kept. A failure is
// data: the error return is only for bad input, a store that cannot be
// written, or a cancelled run. --account-timeout bounds the item's calls.
func ScanRegion(ctx context.Context, env *Env, in ScanRegionInput) (ScanRegionOutput, error) {
	if !store.ValidAccountID(in.AccountID) {
		return ScanRegionOutput{}, fmt.Errorf("scan-region: account id %q is not 12 digits", in.AccountID)
	}
	if !regions.Known(in.Region) {
		return ScanRegionOutput{}, fmt.Errorf("scan-region: account %s: %q is not an AWS region", in.AccountID, in.Region)
	}
	env.init()
	return scanRegion(ctx, env, in, env.AccountConfig(in.AccountID))
}

// scanRegion is ScanRegion with the account's configuration (the local
// runner passes the account item's, whose credentials are already cached).
func scanRegion(ctx context.Context, env *Env, in ScanRegionInput, cfg aws.Config) (ScanRegionOutput, error) {
	env.init()
	start := env.now()
	t0 := time.Now()
	out := ScanRegionOutput{Run: in.Run, AccountID: in.AccountID, Region: in.Region, Status: snapshot.StatusOK}
	wctx := ctx
	if d := env.Cfg.AccountTimeout; d > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d)
		defer cancel()
	}
	var calls atomic.Int64
	cfg = cfg.Copy()
	cfg.Region = in.Region
	cfg.APIOptions = append(append([]func(*middleware.Stack) error{}, cfg.APIOptions...), countCalls(&calls))

	all, err := env.Collectors()
	if err != nil {
		return out, err
	}
	collectors := collect.OfScope(all, collect.ScopeRegion)
	rec := snapshot.RegionScan{SchemaVersion: snapshot.SchemaVersion, AccountID: in.AccountID, Region: in.Region,
		Status: snapshot.StatusOK, CollectedAt: start, Collectors: []string{}, Resources: []snapshot.Resource{}}
	for _, c := range collectors {
		rec.Collectors = append(rec.Collectors, c.Name())
	}

	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		rec.Status = snapshot.StatusFailed
		rec.Reason = describe(&collect.OpError{Account: in.AccountID, Operation: "sts:AssumeRole " + env.CollectRoleARN(in.AccountID), Err: err})
	} else {
		item := &collect.Item{Account: in.AccountID, Region: in.Region, Clients: env.clients(cfg), Parallel: env.accountParallel(),
			Partition: env.Auth.Identity.Partition}
		w := &regionWriter{}
		failed := make([]error, len(collectors))
		var wg sync.WaitGroup
		// The collectors of a region are independent: they run at once,
		// each bounding its own calls by item.Parallel.
		for i, c := range collectors {
			wg.Add(1)
			go func() {
				defer wg.Done()
				failed[i] = c.Collect(ctx, item, w)
			}()
		}
		wg.Wait()
		rec.Warnings = item.CollectorWarnings()
		var reasons []string
		for i, err := range failed {
			if err == nil {
				continue
			}
			cw := collect.WarningOf(collectors[i].Name(), in.Region, err)
			if errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
				cw.Code = "Timeout"
			}
			rec.Warnings = append(rec.Warnings, cw)
			reasons = append(reasons, collectors[i].Name()+": "+cw.Message)
		}
		rec.Resources = w.list()
		switch {
		case len(reasons) > 0:
			rec.Status = snapshot.StatusFailed
			rec.Reason = strings.Join(reasons, "; ")
		case len(rec.Warnings) > 0:
			rec.Status = snapshot.StatusPartial
		}
	}
	if err := wctx.Err(); err != nil {
		return out, err
	}
	rec.APICalls = calls.Load()
	rec.DurationMS = time.Since(t0).Milliseconds()
	if err := env.putJSON(wctx, store.RegionKey(in.Run, in.AccountID, in.Region), rec); err != nil {
		return out, err
	}
	out.Status, out.Reason = rec.Status, rec.Reason
	out.Resources, out.Warnings, out.APICalls = len(rec.Resources), len(rec.Warnings), rec.APICalls
	return out, nil
}

// regionWriter is the regional collectors' Writer: it keeps their resources
// for the item's one object. Regional collectors write no other data set.
type regionWriter struct {
	mu        sync.Mutex
	resources []snapshot.Resource
}

var _ collect.Writer = (*regionWriter)(nil)

func (w *regionWriter) DataSet(_ context.Context, service, name string, _ any) error {
	return &storeWriteError{fmt.Errorf("no store layout for data set %s/%s in a region item", service, name)}
}

func (w *regionWriter) CredentialReport(context.Context, []byte) error {
	return &storeWriteError{errors.New("no credential report in a region item")}
}

func (w *regionWriter) AWSManagedPolicy(context.Context, snapshot.ManagedPolicy) error {
	return &storeWriteError{errors.New("no AWS managed policy in a region item")}
}

func (w *regionWriter) Account(collect.AccountFacts)                         {}
func (w *regionWriter) Counts(map[string]int)                                {}
func (w *regionWriter) AccountBlockPublicAccess(*snapshot.BlockPublicAccess) {}

func (w *regionWriter) Resources(rs []snapshot.Resource) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.resources = append(w.resources, rs...)
}

// list is every resource, by ARN (services apart, each sorted), never nil.
func (w *regionWriter) list() []snapshot.Resource {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := append([]snapshot.Resource{}, w.resources...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].ARN < out[j].ARN })
	return out
}
