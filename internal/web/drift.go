package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/orgiam/orgiam/internal/diff"
	"github.com/orgiam/orgiam/internal/snapshot"
	"github.com/orgiam/orgiam/internal/store"
)

// driftSummary is what the timeline shows of one run's diff.json.
type driftSummary struct {
	from       string
	changes    int
	bySeverity map[string]int
	byKind     map[string]int
	missing    bool
	read       time.Time
}

// driftCache keeps the timeline's summaries for a minute: a page of the
// timeline then reads at most one diff.json per run per minute.
type driftCache struct {
	mu sync.Mutex
	m  map[string]driftSummary
}

func newDriftCache() *driftCache { return &driftCache{m: map[string]driftSummary{}} }

const driftCacheTTL = time.Minute

func (s *Server) readDiff(r *req, run string) (*diff.Report, error) {
	data, err := s.o.Store.Get(r.ctx, store.ReportKey(run, "diff.json"))
	if err != nil {
		return nil, err
	}
	var rep diff.Report
	if err := json.Unmarshal(data, &rep); err != nil {
		return nil, fmt.Errorf("%s: %w", store.ReportKey(run, "diff.json"), err)
	}
	return &rep, nil
}

func (s *Server) summary(r *req, run string) (driftSummary, error) {
	s.drift.mu.Lock()
	d, ok := s.drift.m[run]
	s.drift.mu.Unlock()
	if ok && time.Since(d.read) < driftCacheTTL {
		return d, nil
	}
	rep, err := s.readDiff(r, run)
	switch {
	case errors.Is(err, store.ErrNotFound):
		d = driftSummary{missing: true}
	case err != nil:
		return d, err
	default:
		d = driftSummary{from: rep.From.Run, changes: len(rep.Changes), bySeverity: rep.BySeverity, byKind: rep.Counts}
	}
	d.read = time.Now()
	s.drift.mu.Lock()
	s.drift.m[run] = d
	s.drift.mu.Unlock()
	return d, nil
}

// driftTimeline: every complete run, newest first, with what changed since
// the run before it.
func (s *Server) driftTimeline(r *req, v *view) error {
	v.Title, v.Nav = "Drift", "drift"
	runs, err := snapshot.Runs(r.ctx, s.o.Store)
	if err != nil {
		return err
	}
	page := r.pageNum()
	const per = 20
	sec := &section{ID: "timeline", Heading: "Changes run by run", Columns: []string{"run", "compared with", "changes", "high", "medium", "low", "info", "by kind"},
		Note: "Each run's reports/diff.json: the run against the complete run before it.", Empty: "No complete run."}
	start := len(runs) - 1 - page*per
	for i := start; i >= 0 && i > start-per; i-- {
		run := runs[i]
		d, err := s.summary(r, run)
		if err != nil {
			return err
		}
		if d.missing {
			note := "not compared (first run, or compared with nothing)"
			sec.Rows = append(sec.Rows, []cell{txt(run), {Text: note, Class: "note"}, txt(""), txt(""), txt(""), txt(""), txt(""), txt("")})
			continue
		}
		var kinds []string
		for _, k := range diff.Kinds {
			if n := d.byKind[k]; n > 0 {
				kinds = append(kinds, fmt.Sprintf("%s %d", k, n))
			}
		}
		high := txt(fmt.Sprint(d.bySeverity[diff.SevHigh]))
		if d.bySeverity[diff.SevHigh] > 0 {
			high.Class = "high"
		}
		link := cell{Text: run, Href: "/drift/run?run=" + urlq(run)}
		sec.Rows = append(sec.Rows, []cell{link, txt(d.from), {Text: fmt.Sprint(d.changes), Href: "/drift/run?run=" + urlq(run)}, high,
			txt(fmt.Sprint(d.bySeverity[diff.SevMedium])), txt(fmt.Sprint(d.bySeverity[diff.SevLow])), txt(fmt.Sprint(d.bySeverity[diff.SevInfo])), txt(strings.Join(kinds, ", "))})
	}
	sec.Pager = r.pagerFor(page, start-per >= 0, fmt.Sprintf("%d runs", len(runs)))
	v.Sections = append(v.Sections, sec)
	return nil
}

// driftRun: one run's changes, filtered by kind and severity, paged.
func (s *Server) driftRun(r *req, v *view) error {
	v.Title, v.Nav = "Changes in run "+r.run, "drift"
	rep, err := s.readDiff(r, r.run)
	if errors.Is(err, store.ErrNotFound) {
		return notFound("run %s has no reports/diff.json: it was not compared with a previous run (the first run, or `--reports=false`); `orgiam diff --to %s` compares it", r.run, r.run)
	}
	if err != nil {
		return err
	}
	kind, severity := r.q("kind"), r.q("severity")
	var list []diff.Change
	for _, c := range rep.Changes {
		if (kind == "" || c.Kind == kind) && (severity == "" || c.Severity == severity) {
			list = append(list, c)
		}
	}
	v.Sections = append(v.Sections, &section{ID: "drift-summary", KV: [][2]cell{
		{txt("compared with"), {Text: rep.From.Run, Href: "/drift/run?run=" + urlq(rep.From.Run)}},
		{txt("changes"), txt(rep.Headline())}}})
	kinds := [][2]string{{"", "all"}}
	for _, k := range diff.Kinds {
		kinds = append(kinds, [2]string{k, k})
	}
	sevs := [][2]string{{"", "all"}}
	for _, x := range diff.Severities {
		sevs = append(sevs, [2]string{x, x})
	}
	page := r.pageNum()
	lo := min(page*PageSize, len(list))
	hi := min(lo+PageSize, len(list))
	sec := &section{ID: "changes", Heading: "Changes", Columns: []string{"severity", "kind", "action", "account", "principal", "subject", "detail"}, Empty: "No change matches.",
		Form: &form{Action: "/drift/run", Hidden: [][2]string{{"run", r.run}}, Fields: []field{
			{Name: "kind", Label: "kind", Value: kind, Options: kinds}, {Name: "severity", Label: "severity", Value: severity, Options: sevs}}}}
	// What was removed or resolved is in the older run's index.
	older := &req{Request: r.Request, ctx: r.ctx, run: rep.From.Run}
	for _, c := range list[lo:hi] {
		who := r.principalLink(c.Principal, shortArn(c.Principal))
		if c.Action == diff.Removed || c.Action == diff.Resolved {
			who = older.principalLink(c.Principal, shortArn(c.Principal))
		}
		sec.Rows = append(sec.Rows, []cell{sev(c.Severity), txt(c.Kind), txt(c.Action), r.accountLink(c.AccountID, c.AccountName),
			who, txt(c.Subject), txt(c.Detail)})
	}
	sec.Pager = r.pagerFor(page, hi < len(list), fmt.Sprintf("%d of %d", hi-lo, len(list)))
	v.Sections = append(v.Sections, sec)
	return nil
}

func urlq(s string) string { return url.QueryEscape(s) }
