package lambdarunner

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/go-git/go-billy/v5/memfs"
	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/memory"

	"github.com/orgiam/orgiam/internal/awsauth"
	"github.com/orgiam/orgiam/internal/policygen"
	"github.com/orgiam/orgiam/internal/policygen/trailgen"
	"github.com/orgiam/orgiam/internal/store"
	"github.com/orgiam/orgiam/internal/testutil/moto"
)

// TestPolicygenHandlerAgainstMoto runs the unattended generation's steps
// as its state machine does (plan → one generate per principal → commit),
// reading a generated trail from moto's S3 over exactly its range (its
// records outside the range name rds:DescribeDBInstances, which must not
// appear), writing into a store on moto's
// S3 and committing to a local bare repository.
func TestPolicygenHandlerAgainstMoto(t *testing.T) {
	srv := moto.Start(t)
	ctx := context.Background()
	creds := credentials.NewStaticCredentialsProvider("AKIAEXAMPLEBASE00000", "secret", "")
	base := aws.Config{Region: "us-east-1", Credentials: creds, BaseEndpoint: aws.String(srv.Endpoint)}
	c := s3.NewFromConfig(base, func(o *s3.Options) { o.UsePathStyle = true })
	for _, b := range []string{"orgiam-data", "log-archive"} {
		if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	exp, err := trailgen.Write(dir, trailgen.Config{Seed: 3, Accounts: 1, UsersPerAccount: 2, RolesPerAccount: 2, Files: 12, EventsPerFile: 80, Days: 2, Start: time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range exp.Files {
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f)))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("log-archive"), Key: aws.String("trail/" + f), Body: bytes.NewReader(b)}); err != nil {
			t.Fatal(err)
		}
	}
	var arns []string
	for a := range exp.Actions {
		arns = append(arns, a)
	}
	sort.Strings(arns)
	if len(arns) < 2 {
		t.Fatalf("trail has activity for %d principals", len(arns))
	}
	principals := arns[:2]

	// A complete run whose snapshot knows the principals, and a stale file
	// of an earlier generation under its policies/.
	st, err := store.Open(ctx, "s3://orgiam-data/inventory", &base)
	if err != nil {
		t.Fatal(err)
	}
	const run = "2026-11-22"
	put := func(key string, v any) {
		b, _ := json.Marshal(v)
		if err := st.Put(ctx, key, b); err != nil {
			t.Fatal(err)
		}
	}
	put(store.ManifestKey(run), map[string]any{"schemaVersion": 2, "date": run, "prefix": run, "finished": "2026-11-22T10:00:00Z"})
	byAccount := map[string][2][]map[string]string{}
	for _, a := range principals {
		p, _ := policygen.ParsePrincipal(a)
		e := byAccount[p.Account]
		if p.Kind == "user" {
			e[0] = append(e[0], map[string]string{"UserName": p.Name, "Arn": a})
		} else {
			e[1] = append(e[1], map[string]string{"RoleName": p.Name, "Arn": a})
		}
		byAccount[p.Account] = e
	}
	for acct, e := range byAccount {
		put(store.IAMKey(run, acct, store.DataUsers), append([]map[string]string{}, e[0]...))
		put(store.IAMKey(run, acct, store.DataRoles), append([]map[string]string{}, e[1]...))
	}
	put(store.PolicyKey(run, "999999999999/gone.json"), map[string]any{})

	vars := map[string]string{"ORGIAM_STORE": "s3://orgiam-data/inventory", "ORGIAM_REGION": "us-east-1"}
	b := &EnvBuilder{
		Lookup: func(k string) (string, bool) { v, ok := vars[k]; return v, ok },
		Auth:   awsauth.Options{Endpoint: srv.Endpoint, Credentials: creds},
		Now:    func() time.Time { return time.Date(2026, 11, 21, 8, 30, 0, 0, time.UTC) },
	}
	h := Handlers(b)

	// An unknown principal fails the plan, naming it.
	bad := "arn:aws:iam::" + strings.Split(principals[0], ":")[4] + ":role/nobody"
	raw, _ := json.Marshal(map[string]any{"action": "plan", "principals": []string{bad}})
	if _, err := h["policygen"](ctx, raw); err == nil || !strings.Contains(err.Error(), "role/nobody") || !strings.Contains(err.Error(), "no such user or role") {
		t.Fatalf("unknown principal: %v", err)
	}
	if _, err := h["policygen"](ctx, json.RawMessage(`{"action":"nope"}`)); err == nil || !strings.Contains(err.Error(), `action "nope"`) {
		t.Fatalf("unknown action: %v", err)
	}

	plan := call[policygen.PlanOutput](t, h, "policygen", map[string]any{"action": "plan", "principals": principals})
	if plan.Run != run || !reflect.DeepEqual(plan.Principals, principals) {
		t.Fatalf("plan: %+v", plan)
	}
	var items []policygen.GenerateOutput
	for _, p := range plan.Principals {
		items = append(items, call[policygen.GenerateOutput](t, h, "policygen", map[string]any{
			"action": "generate", "run": plan.Run, "principal": p, "cloudtrail": "s3://log-archive/trail/AWSLogs/", "days": 2, "resources": "exact",
		}))
	}
	// An unreadable trail bucket is named, and writes nothing.
	raw, _ = json.Marshal(map[string]any{"action": "generate", "run": plan.Run, "principal": principals[0], "cloudtrail": "s3://no-such-trail/AWSLogs/"})
	if _, err := h["policygen"](ctx, raw); err == nil || !strings.Contains(err.Error(), "s3://no-such-trail/AWSLogs/") || !strings.Contains(err.Error(), "cannot list the bucket") {
		t.Fatalf("unreadable trail: %v", err)
	}
	// A file changed after its item wrote it: commit refuses to seal.
	tampered := items[0].Files[0]
	orig, err := st.Get(ctx, store.PolicyKey(run, tampered.Name))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Put(ctx, store.PolicyKey(run, tampered.Name), []byte("{}")); err != nil {
		t.Fatal(err)
	}
	raw, _ = json.Marshal(map[string]any{"action": "commit", "run": plan.Run, "items": items})
	if _, err := h["policygen"](ctx, raw); err == nil || !strings.Contains(err.Error(), tampered.Name) {
		t.Fatalf("tampered file: %v", err)
	}
	if err := st.Put(ctx, store.PolicyKey(run, tampered.Name), orig); err != nil {
		t.Fatal(err)
	}
	// Items written, generation not sealed: nothing reads as complete.
	if _, _, err := policygen.ReadGeneration(ctx, st, run); !errors.Is(err, policygen.ErrIncomplete) {
		t.Fatalf("before commit: %v", err)
	}
	repo := filepath.Join(t.TempDir(), "policies.git")
	if _, err := git.PlainInit(repo, true); err != nil {
		t.Fatal(err)
	}
	out := call[policygen.CommitOutput](t, h, "policygen", map[string]any{"action": "commit", "run": plan.Run, "items": items, "git": map[string]string{"url": repo, "path": "iam"}})
	if out.Commit == nil || out.Commit.Hash == "" {
		t.Fatalf("commit: %+v", out)
	}
	gen, files, err := policygen.ReadGeneration(ctx, st, run)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := files["999999999999/gone.json"]; ok || len(gen.Files) != out.Files {
		t.Fatalf("generation %+v", gen)
	}
	committed := repoFiles(t, repo)
	for i, arn := range principals {
		p, _ := policygen.ParsePrincipal(arn)
		name := p.Account + "/" + p.Name + ".json"
		var doc policygen.Document
		if err := json.Unmarshal(files[name], &doc); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want := make([]string, 0, len(exp.Actions[arn]))
		for a := range exp.Actions[arn] {
			want = append(want, a)
		}
		sort.Strings(want)
		got := doc.Actions()
		sort.Strings(got)
		if !reflect.DeepEqual(dedupeSorted(got), want) {
			t.Errorf("%s: actions\n got %v\nwant %v", arn, got, want)
		}
		if items[i].Actions != len(want) {
			t.Errorf("%s: item says %d actions, want %d", arn, items[i].Actions, len(want))
		}
		if _, ok := files[p.Account+"/"+p.Name+".report.json"]; !ok {
			t.Errorf("%s: no report in the store", arn)
		}
		if committed["iam/"+name] != string(files[name]) {
			t.Errorf("%s: committed policy differs from the stored one", name)
		}
		if _, ok := committed["iam/"+p.Account+"/"+p.Name+".report.json"]; ok {
			t.Errorf("%s: report committed", arn)
		}
	}
}

func dedupeSorted(s []string) []string {
	var out []string
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

func repoFiles(t *testing.T, url string) map[string]string {
	t.Helper()
	r, err := git.Clone(memory.NewStorage(), memfs.New(), &git.CloneOptions{URL: url, ReferenceName: plumbing.NewBranchReferenceName("main"), SingleBranch: true})
	if err != nil {
		t.Fatal(err)
	}
	head, _ := r.Head()
	c, _ := r.CommitObject(head.Hash())
	tree, _ := c.Tree()
	out := map[string]string{}
	tree.Files().ForEach(func(f *object.File) error {
		s, _ := f.Contents()
		out[f.Name] = s
		return nil
	})
	return out
}
