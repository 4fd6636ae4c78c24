package lambdarunner

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/orgiam/orgiam/internal/awsauth"
	"github.com/orgiam/orgiam/internal/pipeline"
	"github.com/orgiam/orgiam/internal/snapshot"
	"github.com/orgiam/orgiam/internal/store"
	"github.com/orgiam/orgiam/internal/testutil/moto"
)

func call[O any](t *testing.T, h map[string]Func, name string, in any) O {
	t.Helper()
	raw, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := h[name](context.Background(), raw)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	// Round-trip through JSON, as Lambda does.
	data, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) > 256*1024 {
		t.Fatalf("%s output is %d bytes: over the Step Functions payload limit", name, len(data))
	}
	var o O
	if err := json.Unmarshal(data, &o); err != nil {
		t.Fatal(err)
	}
	return o
}

// TestHandlersAgainstMoto runs the handlers in the order the state machine
// does, against moto (Organizations, STS, IAM, S3).
func TestHandlersAgainstMoto(t *testing.T) {
	srv := moto.Start(t)
	ctx := context.Background()
	creds := credentials.NewStaticCredentialsProvider("AKIAEXAMPLEBASE00000", "secret", "")
	base := aws.Config{Region: "us-east-1", Credentials: creds, BaseEndpoint: aws.String(srv.Endpoint)}
	org := organizations.NewFromConfig(base)
	if _, err := org.CreateOrganization(ctx, &organizations.CreateOrganizationInput{FeatureSet: "ALL"}); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"a", "b"} {
		if _, err := org.CreateAccount(ctx, &organizations.CreateAccountInput{AccountName: aws.String(n), Email: aws.String(n + "@example.com")}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s3.NewFromConfig(base, func(o *s3.Options) { o.UsePathStyle = true }).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("orgiam-data")}); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{
		"ORGIAM_STORE":                  "s3://orgiam-data/inventory",
		"ORGIAM_ORG_ROLES":              "arn:aws:iam::123456789012:role/orgiam-list",
		"ORGIAM_LIST_INITIAL_ROLE":      "",
		"ORGIAM_CREDENTIAL_REPORT_WAIT": "1s",
		"ORGIAM_REGION":                 "us-east-1",
	}
	b := &EnvBuilder{
		Lookup: func(k string) (string, bool) { v, ok := vars[k]; return v, ok },
		Auth:   awsauth.Options{Endpoint: srv.Endpoint, Credentials: creds},
		// The steps read this clock, not the machine's: the run's date and
		// the second run's id come from it, on any day and in any zone.
		Now: func() time.Time { return time.Date(2026, 11, 23, 8, 30, 15, 0, time.UTC) },
	}
	h := Handlers(b)

	plan := call[pipeline.PlanOutput](t, h, "plan", map[string]any{"source": "aws.events"})
	if plan.Run != "2026-11-23" || plan.Bucket != "orgiam-data" || plan.StorePrefix != "inventory" {
		t.Fatalf("plan: %+v", plan)
	}
	disc := call[pipeline.DiscoverOutput](t, h, "discover", map[string]any{"run": plan.Run})
	if disc.Count != 3 || disc.AccountsKey != "2026-11-23/accounts.json" || disc.ItemsBucket != "orgiam-data" || disc.ItemsKey != "inventory/2026-11-23/accounts.json" {
		t.Fatalf("discover: %+v", disc)
	}
	env, err := b.Env(ctx)
	if err != nil {
		t.Fatal(err)
	}
	accounts, err := snapshot.Reader{Store: env.Store, Run: plan.Run}.Accounts(ctx)
	if err != nil || len(accounts) != 3 {
		t.Fatalf("account list: %v %d", err, len(accounts))
	}
	for _, a := range accounts {
		// The Distributed Map's ItemSelector passes {"run", "account"}.
		scan := call[pipeline.ScanOutput](t, h, "scan-account", map[string]any{"run": plan.Run, "account": a})
		if scan.Status != "ok" || scan.CredentialReport == nil {
			t.Fatalf("scan %s: %+v", a.ID, scan)
		}
		st := *scan.CredentialReport
		if st.Done && st.Status != "ok" {
			t.Fatalf("scan %s stored no report: %+v", a.ID, st)
		}
		// Even when the scan stored the report (moto generates it at
		// once), the poll step is exercised.
		st.Done = false
		for i := 0; ; i++ {
			cr := call[pipeline.CredentialReportOutput](t, h, "credential-report", st)
			if cr.Done {
				if cr.Status != "ok" {
					t.Fatalf("credential report %s: %+v", a.ID, cr)
				}
				break
			}
			if i > 10 || cr.WaitSeconds < 1 {
				t.Fatalf("credential report loop: %+v", cr)
			}
			st = pipeline.CredentialReportInput{Run: cr.Run, AccountID: cr.AccountID, Attempt: cr.Attempt, WaitSeconds: float64(cr.WaitSeconds)}
		}
	}
	// Then the regional Map: the items listed in the store, one
	// scan-region each.
	listed := call[pipeline.RegionItemsOutput](t, h, "region-items", map[string]any{"run": plan.Run})
	items := readItems(t, env, listed)
	if len(items) < len(accounts) {
		t.Fatalf("region items %+v", listed)
	}
	for _, it := range items {
		call[pipeline.ScanRegionOutput](t, h, "scan-region", it)
	}
	fin := call[pipeline.FinalizeOutput](t, h, "finalize", map[string]any{"run": plan.Run})
	if fin.OK != 3 || fin.Failed != 0 {
		t.Fatalf("finalize: %+v", fin)
	}
	keys, err := env.Store.List(ctx, plan.Run+"/")
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(keys, "\n")
	for _, want := range []string{store.ManifestKey(plan.Run), store.CredentialReportKey(plan.Run, accounts[0].ID), store.IAMKey(plan.Run, accounts[1].ID, store.DataUsers)} {
		if !strings.Contains(joined, want) {
			t.Errorf("missing %s in S3 store:\n%s", want, joined)
		}
	}
	if env.Store.String() != "s3://orgiam-data/inventory" {
		t.Errorf("store %s", env.Store)
	}

	// A second scheduled run the same day gets its own run id.
	plan2 := call[pipeline.PlanOutput](t, h, "plan", map[string]any{})
	if plan2.Date != "2026-11-23" || plan2.RunID != "083015" || plan2.Run != "2026-11-23/083015" {
		t.Fatalf("second plan: %+v", plan2)
	}
}

func TestHandlerNames(t *testing.T) {
	want := "config-report credential-report diff discover finalize index notify-summary operations-items operations-results plan policygen region-items report scan-account scan-region"
	if got := strings.Join(Names(), " "); got != want {
		t.Fatalf("handlers %q, want %q", got, want)
	}
	if got := strings.Join(StateMachineNames(), " "); got != "credential-report diff discover finalize index notify-summary plan region-items report scan-account scan-region" {
		t.Errorf("state machine handlers %q", got)
	}
	if _, err := Handler(context.Background(), "nope", func(string) (string, bool) { return "", false }); err == nil || !strings.Contains(err.Error(), "expected one of") {
		t.Fatalf("unknown handler: %v", err)
	}
}

func TestInvokeServerPicksTheLongestHandlerName(t *testing.T) {
	s := &InvokeServer{Handlers: Handlers(&EnvBuilder{})}
	for fn, want := range map[string]string{
		"orgiam-credential-report":                                                     "credential-report",
		"arn:aws:lambda:us-east-1:111122223333:function:orgiam-report":                 "report",
		"arn:aws:lambda:us-east-1:111122223333:function:prod-orgiam-scan-account:live": "scan-account",
		"notify-summary": "notify-summary",
	} {
		if got, _ := s.handlerFor(fn); got != want {
			t.Errorf("%s: %q, want %q", fn, got, want)
		}
	}
	if got, h := s.handlerFor("orgiam-nothing"); got != "" || h != nil {
		t.Errorf("unknown function matched %q", got)
	}
}
