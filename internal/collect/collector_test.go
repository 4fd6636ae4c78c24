package collect

import (
	"context"
	"encoding/json"
	"strings"
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
	if len(got) != 15 || got[0] != "account:GetAlternateContact" || got[1] != "iam:GenerateCredentialReport" || !strings.Contains(strings.Join(got, ","), "iam:ListServerCertificates") {
		t.Errorf("role actions %v", got)
	}
}
