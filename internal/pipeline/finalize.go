package pipeline

import (
	"context"
	"errors"
	"sort"
	"strings"
	"time"

	"github.com/orgiam/orgiam/internal/snapshot"
	"github.com/orgiam/orgiam/internal/store"
)

// FinalizeInput names the run; the local runner adds what it measured.
type FinalizeInput struct {
	Run string `json:"run"`
	// Measured are API calls, throttles, objects and wall time, when the
	// caller measured them (the local runner).
	Measured *snapshot.Totals `json:"measured,omitempty"`
}

// FinalizeOutput counts the run.
type FinalizeOutput struct {
	Run         string `json:"run"`
	OK          int    `json:"ok"`
	Failed      int    `json:"failed"`
	Partial     int    `json:"partial"`
	Skipped     int    `json:"skipped"`
	ManifestKey string `json:"manifestKey"`
}

// BuildManifest derives the manifest from the store: the account list,
// skipped accounts, organizations, and each account's account.json and
// error.json. The local and the serverless runner build it the same way.
func BuildManifest(ctx context.Context, env *Env, run string) (snapshot.Manifest, error) {
	r := snapshot.Reader{Store: env.Store, Run: run}
	var info snapshot.RunInfo
	if err := snapshot.ReadJSON(ctx, env.Store, store.RunInfoKey(run), &info); err != nil {
		return snapshot.Manifest{}, err
	}
	accounts, err := r.Accounts(ctx)
	if err != nil {
		return snapshot.Manifest{}, err
	}
	skipped, err := r.Skipped(ctx)
	if err != nil {
		return snapshot.Manifest{}, err
	}
	m := snapshot.Manifest{
		SchemaVersion: snapshot.SchemaVersion,
		ToolVersion:   env.Version, RunID: info.RunID, Date: info.Date, Prefix: run, Store: env.Store.String(),
		Started: info.Started, Organizations: []snapshot.Organization{}, Collectors: info.Collectors,
	}
	orgKeys, err := env.Store.List(ctx, store.OrgPrefix(run))
	if err != nil {
		return m, err
	}
	for _, k := range orgKeys {
		if strings.HasSuffix(k, "/organization.json") {
			var o snapshot.Organization
			if err := snapshot.ReadJSON(ctx, env.Store, k, &o); err != nil {
				return m, err
			}
			o.SchemaVersion = 0 // the manifest's own version dates the copy
			m.Organizations = append(m.Organizations, o)
		}
	}
	var runErrors []string
	if err := snapshot.ReadJSON(ctx, env.Store, store.RunErrorsKey(run), &runErrors); err != nil && !errors.Is(err, store.ErrNotFound) {
		return m, err
	}
	m.Errors = runErrors

	results := make([]snapshot.AccountResult, len(accounts))
	reports := make([]bool, len(accounts))
	cs, err := env.Collectors()
	if err != nil {
		return m, err
	}
	collected := collectsReport(cs)
	if err := eachAccount(len(accounts), func(i int) (err error) {
		if results[i], err = r.Result(ctx, accounts[i]); err != nil || !collected {
			return err
		}
		reports[i], err = env.Store.Exists(ctx, store.CredentialReportKey(run, accounts[i].ID))
		return err
	}); err != nil {
		return m, err
	}
	for _, ok := range reports {
		if ok {
			m.Totals.CredentialReports++
		}
	}
	m.Totals.Entities = map[string]int{}
	for _, res := range results {
		switch res.Status {
		case snapshot.StatusOK:
			m.Totals.OK++
		case snapshot.StatusFailed:
			m.Totals.Failed++
		case snapshot.StatusPartial:
			m.Totals.Partial++
		}
		for k, v := range res.Counts {
			m.Totals.Entities[k] += v
		}
	}
	for _, s := range skipped {
		results = append(results, snapshot.AccountResult{ID: s.ID, Name: s.Name, OrgID: s.OrgID, Status: snapshot.StatusSkipped, Error: s.SkipReason})
	}
	sort.SliceStable(results, func(i, j int) bool { return results[i].ID < results[j].ID })
	m.Accounts = results
	m.Totals.Skipped = len(skipped)
	m.Totals.Accounts = len(results)
	return m, nil
}

// Finalize writes manifest.json, last: from then on the run is complete.
func Finalize(ctx context.Context, env *Env, in FinalizeInput) (FinalizeOutput, error) {
	out := FinalizeOutput{Run: in.Run, ManifestKey: store.ManifestKey(in.Run)}
	m, err := BuildManifest(ctx, env, in.Run)
	if err != nil {
		return out, err
	}
	m.Finished = env.now()
	if mt := in.Measured; mt != nil {
		m.Totals.APICalls, m.Totals.Throttles, m.Totals.WallSeconds = mt.APICalls, mt.Throttles, mt.WallSeconds
		m.Totals.ObjectsWritten = mt.ObjectsWritten + 1 // the manifest itself
		m.Totals.MeanRate, m.Totals.PeakRate = mt.MeanRate, mt.PeakRate
	} else {
		m.Totals.WallSeconds = m.Finished.Sub(m.Started).Round(time.Millisecond).Seconds()
	}
	// Checked last: a cancelled run must not be marked complete.
	if err := ctx.Err(); err != nil {
		return out, err
	}
	if err := env.putJSON(ctx, out.ManifestKey, m); err != nil {
		return out, err
	}
	out.OK, out.Failed, out.Partial, out.Skipped = m.Totals.OK, m.Totals.Failed, m.Totals.Partial, m.Totals.Skipped
	return out, nil
}
