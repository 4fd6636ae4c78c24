package access

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orgiam/orgiam/internal/evaluate"
	"github.com/orgiam/orgiam/internal/snapshot"
	"github.com/orgiam/orgiam/internal/store"
)

// resourceOrg is testOrg with resource policies stored as collect stores
// them: an S3 bucket of 222 in its resources.json, a KMS key and an SQS
// queue of 333 in its us-east-1 region file, and a damaged eu-west-1 file.
//
//	bucket b-data (222): allows carol (111) s3:GetObject; denies role app (222)
//	bucket m-logs (111): allows carol (111) s3:GetObject
//	key k1 (333):        allows dave kms:Decrypt; does not delegate to IAM
//	queue q (333):       a policy that does not compile
func resourceOrg(t *testing.T) snapshot.Reader {
	t.Helper()
	r := testOrg(t)
	ctx := context.Background()
	put := func(key string, v any) { putJSON(t, r, key, v) }
	put(store.AccountResourcesKey(run, acB), snapshot.AccountResources{SchemaVersion: 1, AccountID: acB, Resources: []snapshot.Resource{
		{Service: "s3", Type: "bucket", ARN: "arn:aws:s3:::b-data", Name: "b-data", Region: "us-east-1", Account: acB, Policy: doc(
			`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + mgmt + `:user/carol"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b-data/*"},` +
				`{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::` + acB + `:role/app"},"Action":"s3:*","Resource":"arn:aws:s3:::b-data/*"}`)},
		{Service: "s3", Type: "bucket", ARN: "arn:aws:s3:::b-open", Name: "b-open", Region: "us-east-1", Account: acB},
	}})
	put(store.AccountResourcesKey(run, mgmt), snapshot.AccountResources{SchemaVersion: 1, AccountID: mgmt, Resources: []snapshot.Resource{
		{Service: "s3", Type: "bucket", ARN: "arn:aws:s3:::m-logs", Name: "m-logs", Region: "us-east-1", Account: mgmt, Policy: doc(
			`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + mgmt + `:user/carol"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::m-logs/*"}`)},
	}})
	key := "arn:aws:kms:us-east-1:" + acC + ":key/k1"
	put(store.RegionKey(run, acC, "us-east-1"), snapshot.RegionScan{SchemaVersion: 1, AccountID: acC, Region: "us-east-1", Status: "ok", Resources: []snapshot.Resource{
		{Service: "kms", Type: "key", ARN: key, Name: "k1", Region: "us-east-1", Account: acC, Policy: doc(
			`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acC + `:user/dave"},"Action":"kms:Decrypt","Resource":"*"}`)},
		{Service: "sqs", Type: "queue", ARN: "arn:aws:sqs:us-east-1:" + acC + ":q", Name: "q", Region: "us-east-1", Account: acC,
			Policy: json.RawMessage(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sqs:SendMessage","Resource":"*","Condition":{"StringEquals":"x"}}]}`)},
	}})
	if err := r.Store.Put(ctx, store.RegionKey(run, acC, "eu-west-1"), []byte("{not json")); err != nil {
		t.Fatal(err)
	}
	// A manifest makes the run complete, so that a load can be cached.
	put(store.ManifestKey(run), snapshot.Manifest{SchemaVersion: 1, RunID: run, Prefix: run})
	return r
}

func TestResourcePoliciesFromSnapshot(t *testing.T) {
	ctx := context.Background()
	r := resourceOrg(t)
	dir := t.TempDir()
	// From the JSON, then through the model cache (written by the first
	// load, read by the second), then from the JSON again when the cache
	// breaks off halfway (the accounts built from its first half dropped).
	for i, cacheDir := range []string{"", dir, dir, dir} {
		if i == 3 {
			files, _ := filepath.Glob(filepath.Join(dir, "access", "*.bin"))
			if len(files) != 1 {
				t.Fatalf("cache files %v, want one", files)
			}
			b, err := os.ReadFile(files[0])
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(files[0], b[:len(b)*2/3], 0o600); err != nil {
				t.Fatal(err)
			}
		}
		var cached bool
		o, err := LoadWith(ctx, r, LoadOptions{CacheDir: cacheDir, Cached: &cached})
		if err != nil {
			t.Fatal(err)
		}
		if cached != (i == 2) {
			t.Fatalf("load %d: cached=%v", i+1, cached)
		}
		key := "arn:aws:kms:us-east-1:" + acC + ":key/k1"
		if o.ResourcePolicies["arn:aws:s3:::b-data"] == nil || o.ResourcePolicies[key] == nil {
			t.Fatalf("resource policies not loaded: %v", o.ResourcePolicies)
		}
		if len(o.ResourcePolicies) != 3 {
			t.Errorf("%d resource policies, want 3 (b-open has none, q's does not compile)", len(o.ResourcePolicies))
		}
		w := strings.Join(o.Warnings, "\n")
		if !strings.Contains(w, "resource policy of arn:aws:sqs:us-east-1:"+acC+":q") || !strings.Contains(w, "eu-west-1.json") || len(o.Warnings) != 2 {
			t.Errorf("warnings, want the queue's policy and the damaged region file:\n%s", w)
		}
		if len(o.Accounts[acC].ID) == 0 || func() bool { _, ok := o.Principal("arn:aws:iam::" + acC + ":user/dave"); return !ok }() {
			t.Fatal("account 333 lost over a damaged region file")
		}
		for _, c := range []struct {
			who, action, resource, want, why string
		}{
			// Across accounts both sides must allow: the bucket policy
			// names carol, her own policies allow nothing.
			{"arn:aws:iam::" + mgmt + ":user/carol", "s3:GetObject", "arn:aws:s3:::b-data/x", evaluate.ImplicitlyDenied, "cross-account: carol's own policies allow nothing"},
			{"arn:aws:iam::" + acB + ":role/app", "s3:GetObject", "arn:aws:s3:::b-data/x", evaluate.ExplicitlyDenied, "the bucket policy denies app"},
			{"arn:aws:iam::" + acB + ":role/app", "s3:GetObject", "arn:aws:s3:::b-open/x", evaluate.Allowed, "no bucket policy: app's identity policy decides"},
			{"arn:aws:iam::" + acC + ":user/dave", "kms:Decrypt", key, evaluate.Allowed, "the key policy names dave: it decides alone in its account"},
			{"arn:aws:iam::" + acC + ":role/mfa-admin", "kms:Decrypt", key, evaluate.ImplicitlyDenied, "admin in the key's account, but the key policy does not delegate to IAM"},
			{"arn:aws:iam::" + acC + ":user/erin", "kms:Decrypt", key, evaluate.ImplicitlyDenied, "neither side allows erin"},
		} {
			d := simulate(t, o, c.who, Ask{Action: c.action, Resource: c.resource})
			if d.Decision != c.want {
				t.Errorf("%s %s %s: %s, want %s (%s)\n%s", c.who, c.action, c.resource, d.Decision, c.want, c.why, explained(d))
			}
		}
		// The bucket's account is known from the snapshot: 222, not the
		// caller's (a request from 111 is cross-account).
		if req := o.Request(mustPrincipal(t, o, "arn:aws:iam::"+mgmt+":user/carol"), Ask{Action: "s3:GetObject", Resource: "arn:aws:s3:::b-data/x"}); req.ResourceAccount != acB {
			t.Errorf("resource account of b-data/x: %q, want %s", req.ResourceAccount, acB)
		}
		gs, err := o.WhoCan(ctx, Ask{Action: "kms:Decrypt", Resource: key}, WhoCanOptions{MaxDepth: -1})
		if err != nil {
			t.Fatal(err)
		}
		if got := grantsString(gs); got != "arn:aws:iam::"+acC+":user/dave Allowed" {
			t.Errorf("who-can kms:Decrypt on k1:\n%s", got)
		}
		// carol's own policies allow nothing: only m-logs' policy, which
		// names her in her own account, lets her in.
		gs, err = o.WhoCan(ctx, Ask{Action: "s3:GetObject", Resource: "arn:aws:s3:::m-logs/a"}, WhoCanOptions{MaxDepth: -1})
		if err != nil {
			t.Fatal(err)
		}
		if got := grantsString(gs); !strings.Contains(got, "arn:aws:iam::"+mgmt+":user/carol Allowed") {
			t.Errorf("who-can s3:GetObject on m-logs/a, want carol by the bucket policy:\n%s", got)
		}
	}
}

// putJSON writes v as JSON at key of r's store.
func putJSON(t *testing.T, r snapshot.Reader, key string, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Store.Put(context.Background(), key, b); err != nil {
		t.Fatal(err)
	}
}

// TestResourceNames checks the filter that spares who-can the evaluation
// of principals a resource policy cannot let in.
func TestResourceNames(t *testing.T) {
	acct := &Account{ID: acB}
	role := &Principal{ARN: "arn:aws:iam::" + acB + ":role/ops/deploy", Name: "deploy", Kind: "role", Account: acct}
	user := &Principal{ARN: "arn:aws:iam::" + acB + ":user/bob", Name: "bob", Kind: "user", Account: acct}
	other := &Principal{ARN: "arn:aws:iam::" + acC + ":user/dave", Name: "dave", Kind: "user", Account: &Account{ID: acC}}
	pol := func(stmt string) *evaluate.Policy { return evaluate.MustCompile("rp", string(doc(stmt))) }
	for _, c := range []struct {
		name, stmt       string
		role, user, dave bool
	}{
		{"session ARN names its role", `{"Effect":"Allow","Principal":{"AWS":"arn:aws:sts::` + acB + `:assumed-role/deploy/s1"},"Action":"s3:GetObject","Resource":"*"}`, true, false, false},
		{"account root", `{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acB + `:root"},"Action":"s3:*","Resource":"*"}`, true, true, false},
		{"user ARN", `{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acB + `:user/bob"},"Action":"s3:GetObject","Resource":"*"}`, false, true, false},
		{"everyone", `{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}`, true, true, true},
		{"Allow with NotPrincipal", `{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::` + acB + `:user/bob"},"Action":"s3:GetObject","Resource":"*"}`, true, true, true},
		{"another action", `{"Effect":"Allow","Principal":"*","Action":"s3:PutObject","Resource":"*"}`, false, false, false},
		{"deny only", `{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"*"}`, false, false, false},
	} {
		f := resourceNames(pol(c.stmt), "s3:getobject")
		if f(role) != c.role || f(user) != c.user || f(other) != c.dave {
			t.Errorf("%s: role %v user %v other %v, want %v %v %v", c.name, f(role), f(user), f(other), c.role, c.user, c.dave)
		}
	}
}

func mustPrincipal(t *testing.T, o *Org, arn string) *Principal {
	t.Helper()
	p, ok := o.Principal(arn)
	if !ok {
		t.Fatalf("no principal %s", arn)
	}
	return p
}
