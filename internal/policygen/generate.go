package policygen

import (
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strings"
	"time"
)

// Options are a generation's choices beyond reading.
type Options struct {
	IncludeDenied bool
	Rules         Rules
	Since, Until  time.Time
	Resources     ResourceLevel
	// TrailHasDataEvents says whether the trail records data events; nil
	// means unknown, and it is then judged from the records read.
	TrailHasDataEvents *bool
}

// Result is one principal's generated policies and their report.
type Result struct {
	Principal Principal
	Policies  []Document
	Report    Report
}

// Report says what a principal's policy rests on and what it cannot see.
type Report struct {
	Principal  Principal `json:"principal"`
	Since      string    `json:"since,omitempty"`
	Until      string    `json:"until,omitempty"`
	FirstEvent string    `json:"firstEvent,omitempty"`
	LastEvent  string    `json:"lastEvent,omitempty"`
	Events     int       `json:"events"`
	DataEvents int       `json:"dataEvents"`
	Resources  string    `json:"resources"`
	// Actions are the actions granted from activity (before the allow rules).
	Actions []string `json:"actions"`
	// Denied are attempts that failed authorisation.
	Denied []DeniedAction `json:"denied,omitempty"`
	// Unmapped are events the catalogue and the mismatch table do not know.
	Unmapped []Count `json:"unmapped,omitempty"`
	// RemovedByDeny are allowed actions a deny rule removed.
	RemovedByDeny []string `json:"removedByDeny,omitempty"`
	// Generalised are actions whose distinct resources were too many to list.
	Generalised []string `json:"generalised,omitempty"`
	// NotVisible lists what CloudTrail cannot show for this principal.
	NotVisible []string `json:"notVisible"`
	// Unused are actions the principal's attached policies grant today and
	// the trail never shows it using (from the snapshot; empty if none was
	// read).
	Unused    []string `json:"unused,omitempty"`
	Policies  []string `json:"policies"`
	FilesRead int      `json:"filesRead"`
	Note      string   `json:"note,omitempty"`
}

// DeniedAction is an action whose calls were denied.
type DeniedAction struct {
	Action   string `json:"action"`
	Attempts int    `json:"attempts"`
	Granted  bool   `json:"granted"`
}

// Count is a named count.
type Count struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

// TrailReport is the generation's account of what it read.
type TrailReport struct {
	Source     string         `json:"source"`
	Since      string         `json:"since,omitempty"`
	Until      string         `json:"until,omitempty"`
	FirstEvent string         `json:"firstEvent,omitempty"`
	LastEvent  string         `json:"lastEvent,omitempty"`
	Files      int            `json:"files"`
	Bytes      int64          `json:"bytes"`
	Records    int            `json:"records"`
	BadRecords int            `json:"badRecords"`
	BadFiles   int            `json:"badFiles"`
	OutOfRange int            `json:"outOfRange"`
	Skipped    map[string]int `json:"skippedIdentities,omitempty"`
	DataEvents int            `json:"dataEvents"`
	// Problems are the files with an error or bad records, named.
	Problems []FileResult `json:"problems,omitempty"`
	// Read names every file read.
	Read []string `json:"read"`
}

// Trail summarises an activity's files.
func (a *Activity) Trail(source string, since, until time.Time) TrailReport {
	t := TrailReport{Source: source, Since: fmtTime(since), Until: fmtTime(until), FirstEvent: a.First, LastEvent: a.Last, Files: len(a.Files), OutOfRange: a.OutOfRange, Skipped: a.Skipped, DataEvents: a.DataEvents, Read: []string{}}
	for _, f := range a.Files {
		t.Bytes += f.Bytes
		t.Records += f.Records
		t.BadRecords += f.BadRecords
		t.Read = append(t.Read, f.Name)
		if f.Error != "" || f.BadRecords > 0 {
			t.Problems = append(t.Problems, f)
			if f.Error != "" {
				t.BadFiles++
			}
		}
	}
	return t
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// Generate builds the policy and report of each principal: the principals
// asked for (want, in order; one without activity gets an empty policy and
// a note), or every principal seen when want is empty.
func Generate(a *Activity, want []Principal, opt Options) ([]Result, error) {
	if len(want) == 0 {
		for _, k := range sortedKeys(a.Principals) {
			want = append(want, a.Principals[k].Principal)
		}
	}
	var out []Result
	for _, p := range want {
		pa := a.Principals[p.Key()]
		if pa == nil {
			pa = newPrincipalActivity(p)
		} else if p.ARN != "" && len(p.ARN) >= len(pa.Principal.ARN) {
			pa.Principal.ARN = p.ARN
		}
		r, err := generateOne(a, pa, opt)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", pa.Principal.ARN, err)
		}
		out = append(out, r)
	}
	return out, nil
}

func generateOne(a *Activity, pa *PrincipalActivity, opt Options) (Result, error) {
	g := pa.Grants(opt.IncludeDenied)
	doc, removed := Build(g, opt.Rules)
	parts, err := Split(doc)
	if err != nil {
		return Result{}, err
	}
	rep := Report{Principal: pa.Principal, Since: fmtTime(opt.Since), Until: fmtTime(opt.Until), FirstEvent: pa.First, LastEvent: pa.Last, Events: pa.Events, DataEvents: pa.DataEvents, Resources: string(opt.Resources), Actions: sortedKeys(g), RemovedByDeny: removed, Generalised: sortedKeys(pa.Generalised), FilesRead: len(a.Files)}
	if rep.Resources == "" {
		rep.Resources = string(ResourcesService)
	}
	for _, act := range sortedKeys(pa.Denied) {
		_, used := pa.Used[act]
		rep.Denied = append(rep.Denied, DeniedAction{Action: act, Attempts: pa.Denied[act], Granted: used || opt.IncludeDenied})
	}
	for _, k := range sortedKeys(pa.Unmapped) {
		rep.Unmapped = append(rep.Unmapped, Count{Name: k, Count: pa.Unmapped[k]})
	}
	rep.NotVisible = []string{"iam:PassRole: CloudTrail never logs it (it is checked when a role is handed to a service); add it with --allow if the principal passes roles"}
	hasData := a.DataEvents > 0
	if opt.TrailHasDataEvents != nil {
		hasData = *opt.TrailHasDataEvents
	}
	if !hasData {
		rep.NotVisible = append(rep.NotVisible, "data events (s3 object reads and writes, lambda:InvokeFunction, dynamodb item calls …): the files read hold none, so the trail likely does not record them")
	}
	if len(rep.Unmapped) > 0 {
		rep.NotVisible = append(rep.NotVisible, fmt.Sprintf("%d kinds of event could not be mapped to IAM actions (listed under unmapped)", len(rep.Unmapped)))
	}
	if pa.Events == 0 {
		rep.Note = "no activity in the range: the policy is empty"
	}
	return Result{Principal: pa.Principal, Policies: parts, Report: rep}, nil
}

// Gap returns the granted actions (expanded, catalogue spelling) that used
// does not contain, sorted.
func Gap(granted, used []string) []string {
	u := map[string]bool{}
	for _, a := range used {
		u[strings.ToLower(a)] = true
	}
	var out []string
	for _, a := range granted {
		if !u[strings.ToLower(a)] {
			out = append(out, a)
		}
	}
	return dedupe(out)
}

// PolicyFiles returns a result's files, relative to the output root:
// <account>/<name>.json, <account>/<name>-2.json … for its parts.
func (r Result) PolicyFiles() map[string][]byte {
	out := map[string][]byte{}
	for i, d := range r.Policies {
		out[r.policyName(i)] = Marshal(d)
	}
	return out
}

func (r Result) policyName(i int) string {
	base := path.Join(r.Principal.Account, r.Principal.Name)
	if i == 0 {
		return base + ".json"
	}
	return fmt.Sprintf("%s-%d.json", base, i+1)
}

// ReportFile returns the report's file name and content.
func (r Result) ReportFile() (string, []byte) {
	rep := r.Report
	rep.Policies = nil
	for i := range r.Policies {
		rep.Policies = append(rep.Policies, r.policyName(i))
	}
	b, _ := json.MarshalIndent(rep, "", "  ")
	return path.Join(r.Principal.Account, r.Principal.Name) + ".report.json", append(b, '\n')
}

// Files renders every result and the trail report, relative to the output
// root, ready to be written all at once.
func Files(results []Result, trail TrailReport) map[string][]byte {
	out := map[string][]byte{}
	for _, r := range results {
		for k, v := range r.PolicyFiles() {
			out[k] = v
		}
		k, v := r.ReportFile()
		out[k] = v
	}
	b, _ := json.MarshalIndent(trail, "", "  ")
	out["trail-report.json"] = append(b, '\n')
	return out
}

// SortedNames returns a file map's names, sorted.
func SortedNames(files map[string][]byte) []string {
	n := sortedKeys(files)
	sort.Strings(n)
	return n
}
