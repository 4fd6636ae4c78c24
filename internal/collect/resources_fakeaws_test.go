package collect

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/orgiam/orgiam/internal/fakeaws"
	"github.com/orgiam/orgiam/internal/snapshot"
)

// resWriter keeps what the resource collectors write.
type resWriter struct {
	mu  sync.Mutex
	res []snapshot.Resource
	bpa *snapshot.BlockPublicAccess
}

func (w *resWriter) DataSet(context.Context, string, string, any) error             { return nil }
func (w *resWriter) CredentialReport(context.Context, []byte) error                 { return nil }
func (w *resWriter) AWSManagedPolicy(context.Context, snapshot.ManagedPolicy) error { return nil }
func (w *resWriter) Account(AccountFacts)                                           {}
func (w *resWriter) Counts(map[string]int)                                          {}
func (w *resWriter) Resources(rs []snapshot.Resource) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.res = append(w.res, rs...)
}
func (w *resWriter) AccountBlockPublicAccess(b *snapshot.BlockPublicAccess) { w.bpa = b }

// fakeRegions are the regions of the fakeaws world in these tests.
var fakeRegions = []string{"eu-west-1", "us-east-1"}

// startFake serves a one-account world with resources in fakeRegions and
// returns the item of the account in region (base credentials: the
// management account).
func startFake(t *testing.T, k fakeaws.Knobs, region string) (*fakeaws.Server, *Item) {
	t.Helper()
	k.Regions = fakeRegions
	s := fakeaws.New(fakeaws.NewWorld(fakeaws.Options{Seed: 3, AccountsPerOrg: 2, Now: time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC)}), k)
	u, err := s.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	r := region
	if r == "" {
		r = "us-east-1"
	}
	cfg := aws.Config{Region: r, BaseEndpoint: aws.String(u),
		Credentials: credentials.NewStaticCredentialsProvider("AKIABASEEXAMPLE00001", "secret", ""),
		Retryer:     func() aws.Retryer { return retry.NewStandard(func(o *retry.StandardOptions) { o.MaxAttempts = 1 }) }}
	acct := s.World().Orgs()[0].ManagementAccountID
	return s, &Item{Account: acct, Region: region, Clients: NewClients(cfg), Parallel: 3, Partition: "aws"}
}

func byType(rs []snapshot.Resource) map[string][]snapshot.Resource {
	out := map[string][]snapshot.Resource{}
	for _, r := range rs {
		out[r.Service+"/"+r.Type] = append(out[r.Service+"/"+r.Type], r)
	}
	return out
}

// principalOf is the Principal of a generated policy's only statement.
func principalOf(t *testing.T, r snapshot.Resource) any {
	t.Helper()
	var doc struct {
		Statement []map[string]any
	}
	if err := json.Unmarshal(r.Policy, &doc); err != nil || len(doc.Statement) != 1 {
		t.Fatalf("%s: policy %s is not a JSON object with one statement (%v)", r.ARN, r.Policy, err)
	}
	return doc.Statement[0]["Principal"]
}

func TestRegionalCollectorsOnFakeAWS(t *testing.T) {
	// Three resources per service per region, paged two at a time: every
	// collector has to follow the list tokens to see the third.
	want := map[string]int{"kms/key": 3, "sqs/queue": 3, "sns/topic": 3, "lambda/function": 3, "lambda/alias": 2,
		"secretsmanager/secret": 3, "ecr/repository": 3}
	for _, region := range fakeRegions {
		t.Run(region, func(t *testing.T) {
			s, it := startFake(t, fakeaws.Knobs{}, region)
			w := &resWriter{}
			for _, c := range OfScope(List(Options{}), ScopeRegion) {
				if err := c.Collect(context.Background(), it, w); err != nil {
					t.Fatalf("%s: %v", c.Name(), err)
				}
			}
			if ws := it.CollectorWarnings(); len(ws) > 0 {
				t.Fatalf("warnings: %+v", ws)
			}
			got := byType(w.res)
			if fakeaws.HasRegistryPolicy(it.Account, region) {
				want["ecr/registry"] = 1
			} else {
				delete(want, "ecr/registry")
			}
			if s.HasAnalyzer(it.Account, region) {
				want["access-analyzer/analyzer"] = 1
			} else {
				delete(want, "access-analyzer/analyzer")
			}
			for _, a := range got["access-analyzer/analyzer"] {
				if a.Attributes["Status"] != "ACTIVE" || a.Attributes["AnalyzerType"] != "ACCOUNT" || a.Name == "" || a.Policy != nil {
					t.Errorf("analyzer %+v", a)
				}
			}
			for typ, n := range want {
				if len(got[typ]) != n {
					t.Errorf("%s: %d resources, want %d", typ, len(got[typ]), n)
				}
			}
			if len(got) != len(want) {
				t.Errorf("resource types %v, want %v", keys(got), want)
			}
			for _, r := range w.res {
				if r.Region != region || r.Account != it.Account {
					t.Errorf("%s: region %q account %q", r.ARN, r.Region, r.Account)
				}
				if !strings.HasPrefix(r.ARN, "arn:aws:") || !strings.Contains(r.ARN, ":"+region+":") {
					t.Errorf("ARN %s", r.ARN)
				}
			}
			// Policies: index 1 of every service is public, index 2 names
			// the outside account; the account's own secret and repository
			// carry none, and the AWS managed key is left out.
			for _, typ := range []string{"kms/key", "sqs/queue", "sns/topic", "lambda/function", "secretsmanager/secret", "ecr/repository"} {
				public, outside, none := 0, 0, 0
				for _, r := range got[typ] {
					if r.Policy == nil {
						none++
						continue
					}
					switch p := principalOf(t, r).(type) {
					case string:
						if p == "*" {
							public++
						}
					case map[string]any:
						if a, _ := p["AWS"].(string); strings.Contains(a, s.World().OutsideAccounts()[0]) {
							outside++
						}
					}
				}
				wantNone := 0
				if typ == "lambda/function" || typ == "secretsmanager/secret" || typ == "ecr/repository" {
					wantNone = 1
				}
				if public != 1 || outside != 1 || none != wantNone {
					t.Errorf("%s: %d public, %d outside, %d without policy; want 1, 1, %d", typ, public, outside, none, wantNone)
				}
			}
			for _, a := range got["lambda/alias"] {
				if a.Policy == nil || a.Attributes["FunctionVersion"] != "1" || !strings.HasSuffix(a.Name, ":live") {
					t.Errorf("alias %+v", a)
				}
			}
			st := s.Stats()
			for _, op := range []string{"kms:ListKeys", "sqs:ListQueues", "sns:ListTopics", "lambda:ListFunctions", "secretsmanager:ListSecrets", "ecr:DescribeRepositories"} {
				if st.Calls[op] != 2 {
					t.Errorf("%s called %d times, want 2 pages", op, st.Calls[op])
				}
			}
		})
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestS3CollectorOnFakeAWS(t *testing.T) {
	s, it := startFake(t, fakeaws.Knobs{}, "")
	w := &resWriter{}
	if err := (S3Collector{}).Collect(context.Background(), it, w); err != nil {
		t.Fatal(err)
	}
	if ws := it.CollectorWarnings(); len(ws) > 0 {
		t.Fatalf("warnings: %+v", ws)
	}
	if len(w.res) != 6 {
		t.Fatalf("%d buckets, want 3 in each of 2 regions", len(w.res))
	}
	for _, r := range w.res {
		if !strings.Contains(r.Name, "-"+r.Region+"-") {
			t.Errorf("bucket %s has region %q", r.Name, r.Region)
		}
		i := r.Name[len(r.Name)-1]
		switch i {
		case '0':
			if r.BlockPublicAccess == nil || !r.BlockPublicAccess.RestrictPublicBuckets {
				t.Errorf("%s: Block Public Access %+v", r.Name, r.BlockPublicAccess)
			}
		case '1':
			if len(r.PublicGrants) != 1 || r.PublicGrants[0] != (snapshot.ACLGrant{Grantee: "AllUsers", Permission: "READ"}) {
				t.Errorf("%s: public grants %+v", r.Name, r.PublicGrants)
			}
			if principalOf(t, r) != "*" {
				t.Errorf("%s: policy %s", r.Name, r.Policy)
			}
		}
		if i != '1' && len(r.PublicGrants) != 0 {
			t.Errorf("%s: public grants %+v", r.Name, r.PublicGrants)
		}
		if i != '0' && r.BlockPublicAccess != nil {
			t.Errorf("%s: Block Public Access %+v", r.Name, r.BlockPublicAccess)
		}
		if r.Policy == nil {
			t.Errorf("%s: no policy", r.Name)
		}
	}
	// A bucket is read through its own region's endpoint: fakeaws answers
	// PermanentRedirect otherwise, which would have failed the collector.
	if n := s.Stats().Calls["s3:GetBucketPolicy"]; n != 6 {
		t.Errorf("GetBucketPolicy called %d times", n)
	}
}

func TestDeniedServiceIsAWarning(t *testing.T) {
	_, it := startFake(t, fakeaws.Knobs{DenyServices: []string{"sqs", "lambda"}}, "eu-west-1")
	w := &resWriter{}
	for _, c := range OfScope(List(Options{}), ScopeRegion) {
		if err := c.Collect(context.Background(), it, w); err != nil {
			t.Fatalf("%s: a denied call failed the collector: %v", c.Name(), err)
		}
	}
	ws := it.CollectorWarnings()
	if len(ws) != 2 {
		t.Fatalf("warnings %+v, want one for sqs and one for lambda", ws)
	}
	for i, want := range []struct{ collector, op string }{{"lambda", "lambda:ListFunctions"}, {"sqs", "sqs:ListQueues"}} {
		got := ws[i]
		if ws[0].Collector == "sqs" {
			got = ws[1-i]
		}
		if got.Collector != want.collector || got.Region != "eu-west-1" || got.Code != "AccessDeniedException" || got.Operation != want.op {
			t.Errorf("warning %+v, want collector %s, region eu-west-1, code AccessDeniedException, operation %s", got, want.collector, want.op)
		}
	}
	got := byType(w.res)
	if len(got["sqs/queue"]) != 0 || len(got["lambda/function"]) != 0 {
		t.Errorf("denied services have resources: %v", keys(got))
	}
	if len(got["kms/key"]) != 3 || len(got["sns/topic"]) != 3 || len(got["ecr/repository"]) != 3 {
		t.Errorf("the other services lost data: %v", keys(got))
	}
}
