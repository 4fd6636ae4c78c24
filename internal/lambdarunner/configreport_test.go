package lambdarunner

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/orgiam/orgiam/internal/awsauth"
	"github.com/orgiam/orgiam/internal/fakeaws"
	"github.com/orgiam/orgiam/internal/pipeline"
	"github.com/orgiam/orgiam/internal/report"
)

// configReportNow is the clock of the config-report tests: the report's
// folder comes from it, on any day.
func configReportNow() time.Time { return time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC) }

type configWorld struct {
	srv   *fakeaws.Server
	url   string
	world *fakeaws.World
	topic string
}

func startConfigWorld(t *testing.T, k fakeaws.Knobs) *configWorld {
	t.Helper()
	w := fakeaws.NewWorld(fakeaws.Options{
		Seed: 19, Orgs: 1, AccountsPerOrg: 7, Size: fakeaws.Size{Users: 30, Roles: 1, Groups: 1, Policies: 1},
		Now: configReportNow(), ConfigAggregator: "org-users", ConfigAggregatorRegion: "eu-west-1", ConfigAccountAggregator: "some-accounts",
	})
	srv := fakeaws.New(w, k)
	url, err := srv.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	srv.CreateBucket("orgiam-data")
	topic := srv.CreateTopic("us-east-1", w.Orgs()[0].ManagementAccountID, "orgiam")
	return &configWorld{srv: srv, url: url, world: w, topic: topic}
}

func (c *configWorld) builder(vars map[string]string) *EnvBuilder {
	return &EnvBuilder{
		Lookup: func(k string) (string, bool) { v, ok := vars[k]; return v, ok },
		Auth:   awsauth.Options{Endpoint: c.url, Credentials: credentials.NewStaticCredentialsProvider("AKIACONFIGREPORT0001", "secret", "")},
		Now:    configReportNow,
	}
}

func (c *configWorld) object(t *testing.T, key string) []byte {
	t.Helper()
	resp, err := http.Get(c.url + "/orgiam-data/" + key)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", key, resp.StatusCode, b)
	}
	return b
}

// The EventBridge rule's input: a scheduled event.
const scheduledEvent = `{"version":"0","id":"53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa","detail-type":"Scheduled Event","source":"aws.events","account":"123456789012","time":"2026-12-07T09:00:00Z","region":"eu-west-1","resources":["arn:aws:events:eu-west-1:123456789012:rule/orgiam-config-report"],"detail":{}}`

func TestConfigReportHandlerAgainstFakeaws(t *testing.T) {
	// Config answers at most 10 calls a second with no burst: the calls of
	// one report come faster, so some are throttled and must be absorbed.
	cw := startConfigWorld(t, fakeaws.Knobs{ConfigRate: 10, ConfigBurst: 1})
	h := Handlers(cw.builder(map[string]string{
		"ORGIAM_STORE":                    "s3://orgiam-data/inventory",
		"ORGIAM_REGION":                   "us-east-1",
		"ORGIAM_CONFIG_AGGREGATOR":        "org-users",
		"ORGIAM_CONFIG_AGGREGATOR_REGION": "eu-west-1",
		"ORGIAM_NOTIFY":                   "sns:" + cw.topic,
	}))
	raw, err := h["config-report"](context.Background(), json.RawMessage(scheduledEvent))
	if err != nil {
		t.Fatalf("config-report: %v", err)
	}
	data, _ := json.Marshal(raw)
	var out pipeline.ConfigReportOutput
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}

	// Every user of every active account, from every page.
	want := map[string]bool{}
	for _, a := range cw.world.Accounts() {
		if a.Status != "ACTIVE" {
			continue
		}
		for _, u := range cw.world.Account(a.ID).Users {
			want[u.Arn] = true
		}
	}
	if len(want) <= 100 {
		t.Fatalf("the world has %d users: too few to need a second page", len(want))
	}
	if out.Users != len(want) || out.Region != "eu-west-1" || out.Date != "2026-12-07" || out.Folder != "config-reports/2026-12-07" {
		t.Fatalf("output %+v, want %d users in eu-west-1 under config-reports/2026-12-07", out, len(want))
	}
	if st := cw.srv.Stats(); st.Throttles == 0 || out.ThrottlesAbsorbed == 0 {
		t.Errorf("no Config throttling seen (server %d, absorbed %d): the test does not exercise the retryer", st.Throttles, out.ThrottlesAbsorbed)
	}
	if len(cw.srv.Published()) != 0 {
		t.Errorf("a successful report sent a failure notification: %+v", cw.srv.Published())
	}
	wantKeys := []string{"config-reports/2026-12-07/users.csv", "config-reports/2026-12-07/users.json", "config-reports/2026-12-07/users.html", "config-reports/2026-12-07/manifest.json"}
	if strings.Join(out.Keys, " ") != strings.Join(wantKeys, " ") {
		t.Fatalf("keys %v, want %v", out.Keys, wantKeys)
	}
	for _, k := range wantKeys {
		if sse, ok := cw.srv.ObjectSSE("orgiam-data", "inventory/"+k); !ok || sse == "" {
			t.Errorf("inventory/%s: stored %v, server-side encryption %q", k, ok, sse)
		}
	}

	rows, err := csv.NewReader(strings.NewReader(string(cw.object(t, "inventory/config-reports/2026-12-07/users.csv")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(rows[0], ",") != strings.Join(report.UserColumns, ",") || len(rows)-1 != len(want) {
		t.Fatalf("users.csv: header %v, %d rows; want %d rows", rows[0], len(rows)-1, len(want))
	}
	arnCol := report.UserColIndex("arn")
	for _, r := range rows[1:] {
		if !want[r[arnCol]] {
			t.Errorf("users.csv has %s, not a user of the world", r[arnCol])
		}
		for _, col := range report.ConfigUnavailableColumns {
			if v := r[report.UserColIndex(col)]; v != "" {
				t.Errorf("%s: column %s = %q, but the report says Config cannot give it", r[arnCol], col, v)
			}
		}
	}

	var js struct {
		Notes []string         `json:"notes"`
		Users []map[string]any `json:"users"`
	}
	if err := json.Unmarshal(cw.object(t, "inventory/config-reports/2026-12-07/users.json"), &js); err != nil {
		t.Fatal(err)
	}
	notes := strings.Join(js.Notes, " ")
	for _, w := range []string{"access keys", "MFA", "last use", "key1_last_used", "mfa"} {
		if !strings.Contains(notes, w) {
			t.Errorf("users.json notes do not mention %q: %s", w, notes)
		}
	}
	if len(js.Users) != len(want) {
		t.Errorf("users.json has %d users, want %d", len(js.Users), len(want))
	}
	html := string(cw.object(t, "inventory/config-reports/2026-12-07/users.html"))
	if !strings.Contains(html, `class="note"`) || !strings.Contains(html, "access keys") || !strings.Contains(html, "org-users") {
		t.Errorf("users.html lacks the notes or the aggregator's name")
	}
	var m pipeline.ConfigReportManifest
	if err := json.Unmarshal(cw.object(t, "inventory/config-reports/2026-12-07/manifest.json"), &m); err != nil {
		t.Fatal(err)
	}
	if m.Aggregator != "org-users" || m.Users != len(want) || !strings.Contains(m.AggregatorArn, ":config-aggregator/") || len(m.UnavailableColumns) != len(report.ConfigUnavailableColumns) || len(m.Files) != 3 {
		t.Errorf("manifest %+v", m)
	}
}

func TestConfigReportHandlerErrors(t *testing.T) {
	cw := startConfigWorld(t, fakeaws.Knobs{})
	base := map[string]string{
		"ORGIAM_STORE":                    "s3://orgiam-data/inventory",
		"ORGIAM_REGION":                   "us-east-1",
		"ORGIAM_CONFIG_AGGREGATOR":        "org-users",
		"ORGIAM_CONFIG_AGGREGATOR_REGION": "eu-west-1",
		"ORGIAM_NOTIFY":                   "sns:" + cw.topic,
	}
	tests := []struct {
		name   string
		set    map[string]string
		want   []string
		notify bool // the failure reaches the --notify targets
	}{
		{"unknown aggregator", map[string]string{"ORGIAM_CONFIG_AGGREGATOR": "no-such-aggregator"}, []string{`"no-such-aggregator" does not exist in region eu-west-1`}, true},
		{"aggregator in another region", map[string]string{"ORGIAM_CONFIG_AGGREGATOR_REGION": ""}, []string{`"org-users" does not exist in region us-east-1`, "ORGIAM_CONFIG_AGGREGATOR_REGION"}, true},
		{"not organization-wide", map[string]string{"ORGIAM_CONFIG_AGGREGATOR": "some-accounts"}, []string{`"some-accounts"`, "not organization-wide"}, true},
		{"missing bucket", map[string]string{"ORGIAM_STORE": "s3://no-such-bucket/x"}, []string{`bucket "no-such-bucket" does not exist`}, true},
		{"no aggregator set", map[string]string{"ORGIAM_CONFIG_AGGREGATOR": ""}, []string{"ORGIAM_CONFIG_AGGREGATOR"}, true},
		// Settings that cannot be right fail at cold start, before any call.
		{"bad aggregator name", map[string]string{"ORGIAM_CONFIG_AGGREGATOR": "org users!"}, []string{"--config-aggregator", `"org users!"`}, false},
		{"prefix that looks like a run", map[string]string{"ORGIAM_CONFIG_REPORT_PREFIX": "2026-12-07"}, []string{"--config-report-prefix", "may not be a date"}, false},
		{"prefix escaping the store", map[string]string{"ORGIAM_CONFIG_REPORT_PREFIX": "../reports"}, []string{"--config-report-prefix"}, false},
		{"bad region", map[string]string{"ORGIAM_CONFIG_AGGREGATOR_REGION": "Europe"}, []string{"--config-aggregator-region", `"Europe"`}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			vars := map[string]string{}
			for k, v := range base {
				vars[k] = v
			}
			for k, v := range tc.set {
				vars[k] = v
			}
			before := len(cw.srv.Published())
			_, err := Handlers(cw.builder(vars))["config-report"](context.Background(), json.RawMessage(scheduledEvent))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			msgs := cw.srv.Published()[before:]
			if tc.notify {
				if len(msgs) != 1 || !strings.Contains(msgs[0].Subject, "config report 2026-12-07 failed") || !strings.Contains(msgs[0].Message, tc.want[0]) {
					t.Errorf("notification %+v, want one naming the failure", msgs)
				}
			} else if len(msgs) != 0 {
				t.Errorf("unexpected notification %+v", msgs)
			}
		})
	}
	// Nothing claims to be a complete report.
	if _, ok := cw.srv.ObjectSSE("orgiam-data", "inventory/config-reports/2026-12-07/manifest.json"); ok {
		t.Error("a failed report left a manifest")
	}
}

// EventBridge invokes the function by name through the Lambda Invoke API;
// "orgiam-config-report" must reach config-report, not report.
func TestConfigReportThroughTheInvokeAPI(t *testing.T) {
	cw := startConfigWorld(t, fakeaws.Knobs{})
	s := &InvokeServer{Handlers: Handlers(cw.builder(map[string]string{
		"ORGIAM_STORE":                    "s3://orgiam-data/inventory",
		"ORGIAM_REGION":                   "us-east-1",
		"ORGIAM_CONFIG_AGGREGATOR":        "org-users",
		"ORGIAM_CONFIG_AGGREGATOR_REGION": "eu-west-1",
	}))}
	url, err := s.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	resp, err := http.Post(url+"/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:orgiam-config-report/invocations", "application/json", strings.NewReader(scheduledEvent))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("X-Amz-Function-Error") != "" {
		t.Fatalf("invoke: %d %s %s", resp.StatusCode, resp.Header.Get("X-Amz-Function-Error"), body)
	}
	var out pipeline.ConfigReportOutput
	if err := json.Unmarshal(body, &out); err != nil || out.Users == 0 || len(out.Keys) != 4 {
		t.Fatalf("output %s (%v)", body, err)
	}
	if c := s.Calls(); c["config-report"] != 1 || c["report"] != 0 {
		t.Errorf("calls %v", c)
	}
}
