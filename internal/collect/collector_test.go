package collect

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/orgiam/orgiam/internal/snapshot"
)

// recordWriter keeps what collectors write, as JSON.
type recordWriter struct {
	sets    map[string]string
	report  []byte
	managed []string
	facts   AccountFacts
	counts  map[string]int

	mu        sync.Mutex
	resources []snapshot.Resource
	bpa       *snapshot.BlockPublicAccess
}

func (r *recordWriter) DataSet(_ context.Context, service, name string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if r.sets == nil {
		r.sets = map[string]string{}
	}
	r.sets[service+"/"+name] = string(b)
	return nil
}
func (r *recordWriter) CredentialReport(_ context.Context, csv []byte) error {
	r.report = csv
	return nil
}
func (r *recordWriter) AWSManagedPolicy(_ context.Context, p snapshot.ManagedPolicy) error {
	r.managed = append(r.managed, p.PolicyName)
	return nil
}
func (r *recordWriter) Account(f AccountFacts) { r.facts = f }
func (r *recordWriter) Counts(c map[string]int) {
	r.counts = c
}
func (r *recordWriter) Resources(rs []snapshot.Resource) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.resources = append(r.resources, rs...)
}
func (r *recordWriter) AccountBlockPublicAccess(b *snapshot.BlockPublicAccess) { r.bpa = b }

func TestEmptyDataSetsAreWrittenAsEmptyArrays(t *testing.T) {
	w := &recordWriter{}
	d := &IAMData{Users: []snapshot.User{{UserName: "alice"}}, AWSManaged: []snapshot.ManagedPolicy{{PolicyName: "ReadOnlyAccess"}}} // every other set nil
	if err := writeIAMData(context.Background(), w, d); err != nil {
		t.Fatal(err)
	}
	if len(w.sets) != len(IAMDataSets()) {
		t.Fatalf("wrote %d data sets, want %d", len(w.sets), len(IAMDataSets()))
	}
	for _, name := range IAMDataSets() {
		got, ok := w.sets["iam/"+name]
		switch {
		case !ok:
			t.Errorf("iam/%s not written", name)
		case name == "users" && !strings.Contains(got, `"alice"`):
			t.Errorf("users = %s", got)
		case name != "users" && got != "[]":
			t.Errorf("iam/%s = %s, want []", name, got)
		}
	}
	if len(w.managed) != 1 || w.counts["users"] != 1 || w.counts["aws-managed-policies"] != 1 {
		t.Errorf("managed %v counts %v", w.managed, w.counts)
	}
}

func TestCollectorList(t *testing.T) {
	names := map[string]bool{}
	for _, c := range List(Options{CredentialReport: true}) {
		if names[c.Name()] {
			t.Errorf("collector name %s used twice", c.Name())
		}
		names[c.Name()] = true
		if len(c.Actions()) == 0 {
			t.Errorf("%s lists no actions", c.Name())
		}
		for _, a := range c.Actions() {
			if svc, op, ok := strings.Cut(a, ":"); !ok || svc == "" || op == "" || strings.Contains(a, "*") {
				t.Errorf("%s: action %q is not service:Action", c.Name(), a)
			}
		}
	}
	if !names["iam"] || !names["credential-report"] {
		t.Fatalf("collectors %v", names)
	}
	for _, c := range List(Options{}) {
		if c.Name() == "credential-report" {
			t.Error("credential report collected although off")
		}
	}
	got := RoleActions()
	// 14 IAM actions (with iam:ListServerCertificates);
	// account:GetAlternateContact; ec2:DescribeRegions; S3 6, KMS 3, SQS 2,
	// SNS 2, Lambda 3, Secrets Manager 2, ECR 3, Access Analyzer 1.
	if len(got) != 38 || got[0] != "access-analyzer:ListAnalyzers" || !slices.Contains(got, "account:GetAlternateContact") || !slices.Contains(got, "ec2:DescribeRegions") || !slices.Contains(got, "iam:ListServerCertificates") || !slices.Contains(got, "iam:GenerateCredentialReport") || !slices.Contains(got, "s3:GetAccountPublicAccessBlock") {
		t.Errorf("role actions %v", got)
	}
	for _, a := range got {
		if strings.Contains(a, "GetSecretValue") || strings.Contains(a, "Decrypt") {
			t.Errorf("role action %s reads data, not policies", a)
		}
	}
	regional := 0
	for _, c := range List(Options{}) {
		if c.Scope() == ScopeRegion {
			regional++
		}
	}
	if regional != 7 {
		t.Errorf("%d regional collectors, want 7 (kms, sqs, sns, lambda, secretsmanager, ecr, access-analyzer)", regional)
	}
}

func TestSelectKeepsTheNamedCollectors(t *testing.T) {
	all := List(Options{CredentialReport: true})
	got, err := Select(all, []string{"kms", "iam"})
	if err != nil {
		t.Fatal(err)
	}
	// In List's order, and kms brings the regions collector that finds its regions.
	if want := []string{"iam", "regions", "kms"}; !slices.Equal(Names(got), want) {
		t.Errorf("Select(kms, iam) = %q, want %q", Names(got), want)
	}
	if got, _ := Select(all, nil); len(got) != len(all) {
		t.Errorf("no names kept %d of %d collectors, want all", len(got), len(all))
	}
	if got, _ := Select(all, []string{"iam", "credential-report"}); !slices.Equal(Names(got), []string{"iam", "credential-report"}) {
		t.Errorf("IAM alone: %q", Names(got))
	}
	if _, err := Select(all, []string{"iam", "s4"}); err == nil || !strings.Contains(err.Error(), `"s4" is not a collector`) || !strings.Contains(err.Error(), "access-analyzer") {
		t.Errorf("unknown name: %v", err)
	}
}
