package policygen

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/orgiam/orgiam/internal/iamdata"
	"github.com/orgiam/orgiam/internal/policygen/trailgen"
)

var start = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

func writeTrail(t *testing.T, cfg trailgen.Config) (string, *trailgen.Expected) {
	t.Helper()
	dir := t.TempDir()
	if cfg.Start.IsZero() {
		cfg.Start = start
	}
	exp, err := trailgen.Write(dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return dir, exp
}

func keyOf(t *testing.T, arn string) string {
	p, err := ParsePrincipal(arn)
	if err != nil {
		t.Fatal(err)
	}
	return p.Key()
}

func TestGeneratedTrailExactActions(t *testing.T) {
	cat := iamdata.MustLoad()
	dir, exp := writeTrail(t, trailgen.Config{Seed: 1, Accounts: 3, UsersPerAccount: 3, RolesPerAccount: 4, Files: 60, EventsPerFile: 300, Days: 3, OrgID: "o-abc123"})
	for _, level := range []ResourceLevel{ResourcesExact, ResourcesService, ResourcesNone} {
		t.Run(string(level), func(t *testing.T) {
			act, err := Read(context.Background(), Dir(dir), cat, ReadOptions{Since: start, Until: start.AddDate(0, 0, 3), Resources: level, Workers: 3})
			if err != nil {
				t.Fatal(err)
			}
			tr := act.Trail("dir", start, start.AddDate(0, 0, 3))
			if tr.Files != len(exp.Files) || tr.Bytes != exp.Bytes || tr.BadFiles != 0 || tr.BadRecords != 0 {
				t.Fatalf("trail report %+v; want %d files, %d bytes, no problems", tr, len(exp.Files), exp.Bytes)
			}
			if tr.Records != exp.Records+exp.OutOfRange || tr.OutOfRange != exp.OutOfRange {
				t.Fatalf("records %d (out of range %d), want %d (%d)", tr.Records, tr.OutOfRange, exp.Records+exp.OutOfRange, exp.OutOfRange)
			}
			results, err := Generate(act, nil, Options{Resources: level})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]Result{}
			for _, r := range results {
				got[r.Principal.Key()] = r
			}
			if len(exp.Actions) < 10 {
				t.Fatalf("generator wrote activity for only %d principals", len(exp.Actions))
			}
			for arn, actions := range exp.Actions {
				r, ok := got[keyOf(t, arn)]
				if !ok {
					t.Errorf("%s: no policy generated", arn)
					continue
				}
				want := sortedKeys(actions)
				var policyActions []string
				for _, d := range r.Policies {
					policyActions = append(policyActions, d.Actions()...)
				}
				if g := dedupe(policyActions); !reflect.DeepEqual(g, want) {
					t.Errorf("%s: actions\n got %v\nwant %v", arn, g, want)
				}
				for a, wantRes := range actions {
					gotRes := resourcesOf(r.Policies, a)
					w := expectedResources(sortedKeys(wantRes), level)
					if !reflect.DeepEqual(gotRes, w) {
						t.Errorf("%s %s: resources %v, want %v", arn, a, gotRes, w)
					}
				}
				for a := range exp.Denied[arn] {
					found := false
					for _, d := range r.Report.Denied {
						if d.Action == a && !d.Granted {
							found = true
						}
					}
					if !found {
						t.Errorf("%s: denied %s not reported: %+v", arn, a, r.Report.Denied)
					}
				}
				for u := range exp.Unmapped[arn] {
					found := false
					for _, c := range r.Report.Unmapped {
						found = found || c.Name == u
					}
					if !found {
						t.Errorf("%s: unmapped %s not reported", arn, u)
					}
				}
			}
			if len(results) != len(exp.Actions) {
				t.Errorf("%d policies for %d principals with activity", len(results), len(exp.Actions))
			}
		})
	}
}

func resourcesOf(docs []Document, action string) []string {
	var out []string
	for _, d := range docs {
		for _, s := range d.Statement {
			if s.Effect != "Allow" {
				continue
			}
			for _, a := range s.Action {
				if a == action {
					out = append(out, s.Resource...)
				}
			}
		}
	}
	return dedupe(out)
}

// expectedResources generalises exact ARNs the way the documentation of
// ResourcesService says, written out independently of the code.
func expectedResources(exact []string, level ResourceLevel) []string {
	switch level {
	case ResourcesNone:
		return []string{"*"}
	case ResourcesExact:
		return exact
	}
	var out []string
	for _, a := range exact {
		switch {
		case a == "*":
		case strings.HasPrefix(a, "arn:aws:s3:::") && strings.Contains(a, "/"):
			a = a[:strings.Index(a, "/")] + "/*"
		case strings.HasPrefix(a, "arn:aws:s3:::"):
		case strings.Contains(a, ":function:"):
			a = a[:strings.Index(a, ":function:")] + ":function:*"
		default: // table/x, key/x, role/x
			a = a[:strings.Index(a, "/")] + "/*"
		}
		out = append(out, a)
	}
	return dedupe(out)
}

func TestMismatchTableInCatalogue(t *testing.T) {
	cat := iamdata.MustLoad()
	for ev, acts := range eventAction {
		for _, a := range acts {
			if _, ok := cat.Action(a); !ok {
				t.Errorf("%s → %s: not in the catalogue", ev, a)
			}
		}
	}
	for src, prefix := range sourcePrefix {
		if _, ok := cat.Service(prefix); !ok {
			t.Errorf("%s → %s: no such service in the catalogue", src, prefix)
		}
	}
}

func TestMap(t *testing.T) {
	m := NewMapper(iamdata.MustLoad())
	for _, c := range []struct {
		source, name string
		want         []string
		notIAM       bool
	}{
		{"s3.amazonaws.com", "ListObjectsV2", []string{"s3:ListBucket"}, false},
		{"s3.amazonaws.com", "HeadObject", []string{"s3:GetObject"}, false},
		{"s3.amazonaws.com", "UploadPart", []string{"s3:PutObject"}, false},
		{"s3.amazonaws.com", "ListObjectVersions", []string{"s3:ListBucketVersions"}, false},
		{"s3.amazonaws.com", "GetObject", []string{"s3:GetObject"}, false},
		{"lambda.amazonaws.com", "ListFunctions20150331", []string{"lambda:ListFunctions"}, false},
		{"lambda.amazonaws.com", "GetFunctionConfiguration20150331v2", []string{"lambda:GetFunctionConfiguration"}, false},
		{"monitoring.amazonaws.com", "PutMetricData", []string{"cloudwatch:PutMetricData"}, false},
		{"ec2.amazonaws.com", "describeinstances", []string{"ec2:DescribeInstances"}, false},
		{"signin.amazonaws.com", "ConsoleLogin", nil, true},
		{"ec2.amazonaws.com", "NoSuchEvent", nil, false},
		{"nosuchservice.amazonaws.com", "GetThing", nil, false},
		{"example.com", "GetThing", nil, false},
	} {
		got, notIAM := m.Map(c.source, c.name)
		if !reflect.DeepEqual(got, c.want) || notIAM != c.notIAM {
			t.Errorf("%s %s: %v %v, want %v %v", c.source, c.name, got, notIAM, c.want, c.notIAM)
		}
	}
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	good := `{"eventTime":"2026-11-01T10:00:00Z","eventSource":"ec2.amazonaws.com","eventName":"DescribeVpcs","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333"}}`
	full := gz([]byte(`{"Records":[` + good + `,` + good + `]}`))
	files := map[string][]byte{
		"a/good.json.gz":      full,
		"a/truncated.json.gz": full[:len(full)-12],
		"a/notjson.json.gz":   gz([]byte("hello, this is not JSON\n")),
		"a/notgzip.json.gz":   {0x1f, 0x8b, 0, 1, 2, 3},
		"a/plain.json":        []byte(`{"Records":[` + good + `]}`),
		"a/missing.json":      []byte(`{"Records":[{"eventTime":"2026-11-01T10:00:00Z","eventSource":"s3.amazonaws.com","userIdentity":{"type":"IAMUser"}},{"eventName":"X"},` + good + `,{"eventTime":"2026-11-01T10:00:00Z","eventSource":"ec2.amazonaws.com","eventName":"DescribeVpcs","userIdentity":"not an object"}]}`),
		"a/norecords.json":    []byte(`{"foo":1}`),
		"a/README.txt":        []byte("ignored"),
	}
	for n, b := range files {
		p := filepath.Join(dir, n)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	act, err := Read(context.Background(), Dir(dir), iamdata.MustLoad(), ReadOptions{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]FileResult{}
	for _, f := range act.Files {
		byName[f.Name] = f
	}
	check := func(name, errPart string, records, bad int) {
		t.Helper()
		f, ok := byName[name]
		if !ok {
			t.Fatalf("%s not read", name)
		}
		if errPart == "" && f.Error != "" || errPart != "" && !strings.Contains(f.Error, errPart) {
			t.Errorf("%s: error %q, want %q", name, f.Error, errPart)
		}
		if f.Records != records || f.BadRecords != bad {
			t.Errorf("%s: %d records (%d bad), want %d (%d)", name, f.Records, f.BadRecords, records, bad)
		}
	}
	check("a/good.json.gz", "", 2, 0)
	check("a/truncated.json.gz", "truncated", 2, 0)
	check("a/notjson.json.gz", "not a CloudTrail file", 0, 0)
	check("a/notgzip.json.gz", "gzip", 0, 0)
	check("a/plain.json", "", 1, 0)
	check("a/missing.json", "", 4, 3)
	check("a/norecords.json", "no Records", 0, 0)
	if _, ok := byName["a/README.txt"]; ok {
		t.Error("a non-trail file was read")
	}
	if f := byName["a/missing.json"]; !strings.Contains(f.FirstBad, "record 1: no eventName") {
		t.Errorf("first bad record: %q", f.FirstBad)
	}
	tr := act.Trail(dir, time.Time{}, time.Time{})
	if tr.BadFiles != 4 || tr.BadRecords != 3 || len(tr.Problems) != 5 {
		t.Errorf("trail report: %d bad files, %d bad records, %d problems", tr.BadFiles, tr.BadRecords, len(tr.Problems))
	}
	res, err := Generate(act, nil, Options{})
	if err != nil || len(res) != 1 || !reflect.DeepEqual(res[0].Report.Actions, []string{"ec2:DescribeVpcs"}) {
		t.Fatalf("generate: %v %+v", err, res)
	}
}

func TestNoActivityPrincipal(t *testing.T) {
	act := newActivity()
	p, _ := ParsePrincipal("arn:aws:iam::111122223333:role/idle")
	res, err := Generate(act, []Principal{p}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || len(res[0].Policies) != 1 || len(res[0].Policies[0].Statement) != 0 || res[0].Report.Note == "" {
		t.Fatalf("%+v", res)
	}
	var v map[string]any
	if err := json.Unmarshal(Marshal(res[0].Policies[0]), &v); err != nil || v["Statement"] == nil {
		t.Fatalf("empty policy: %s", Marshal(res[0].Policies[0]))
	}
}

func TestAttribution(t *testing.T) {
	for _, c := range []struct {
		id   UserIdentity
		want string
		skip string
	}{
		{UserIdentity{Type: "IAMUser", ARN: "arn:aws:iam::111122223333:user/dev/alice"}, "111122223333/user/alice", ""},
		{UserIdentity{Type: "AssumedRole", ARN: "arn:aws:sts::111122223333:assumed-role/App/i-123", SessionContext: &SessionContext{SessionIssuer: struct {
			Type string `json:"type"`
			ARN  string `json:"arn"`
		}{"Role", "arn:aws:iam::111122223333:role/svc/App"}}}, "111122223333/role/app", ""},
		{UserIdentity{Type: "AssumedRole", ARN: "arn:aws:sts::444455556666:assumed-role/Deployer/ci"}, "444455556666/role/deployer", ""},
		{UserIdentity{Type: "AWSService", InvokedBy: "lambda.amazonaws.com"}, "", "AWSService"},
		{UserIdentity{Type: "Root", ARN: "arn:aws:iam::111122223333:root"}, "", "Root"},
	} {
		p, skip := attribute(&Record{UserIdentity: &c.id})
		if skip != c.skip || skip == "" && p.Key() != c.want {
			t.Errorf("%+v: %q %q, want %q %q", c.id, p.Key(), skip, c.want, c.skip)
		}
	}
}

func TestReadDeterministic(t *testing.T) {
	cat := iamdata.MustLoad()
	dir, _ := writeTrail(t, trailgen.Config{Seed: 9, Accounts: 2, UsersPerAccount: 2, RolesPerAccount: 2, Files: 20, EventsPerFile: 100, Days: 1})
	var prev map[string][]byte
	for _, w := range []int{1, 4} {
		act, err := Read(context.Background(), Dir(dir), cat, ReadOptions{Workers: w, Resources: ResourcesExact})
		if err != nil {
			t.Fatal(err)
		}
		res, err := Generate(act, nil, Options{})
		if err != nil {
			t.Fatal(err)
		}
		files := Files(res, act.Trail("x", time.Time{}, time.Time{}))
		if prev != nil && !reflect.DeepEqual(files, prev) {
			t.Fatal("output differs with the number of workers")
		}
		prev = files
	}
	names := SortedNames(prev)
	if !sort.StringsAreSorted(names) || len(names) < 3 {
		t.Fatalf("files: %v", names)
	}
}

func TestIncludeDenied(t *testing.T) {
	dir, exp := writeTrail(t, trailgen.Config{Seed: 2, Accounts: 1, UsersPerAccount: 3, RolesPerAccount: 3, Files: 20, EventsPerFile: 200, Days: 1})
	act, err := Read(context.Background(), Dir(dir), iamdata.MustLoad(), ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Generate(act, nil, Options{IncludeDenied: true})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range res {
		arn := ""
		for a := range exp.Actions {
			if keyOf(t, a) == r.Principal.Key() {
				arn = a
			}
		}
		granted := map[string]bool{}
		for _, d := range r.Policies {
			for _, a := range d.Actions() {
				granted[a] = true
			}
		}
		for a := range exp.Denied[arn] {
			n++
			if !granted[a] {
				t.Errorf("%s: denied %s not granted with IncludeDenied", arn, a)
			}
		}
	}
	if n == 0 {
		t.Fatal("the trail has no denied attempts")
	}
}
