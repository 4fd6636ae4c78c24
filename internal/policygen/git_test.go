package policygen

import (
	"context"
	"errors"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-git/go-billy/v5/memfs"
	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	"github.com/go-git/go-git/v5/storage/memory"

	orgiamconfig "github.com/orgiam/orgiam/internal/config"
)

var fixed = func() time.Time { return time.Date(2026, 11, 5, 12, 0, 0, 0, time.UTC) }

func bareRepo(t *testing.T) string {
	dir := filepath.Join(t.TempDir(), "policies.git")
	if _, err := git.PlainInit(dir, true); err != nil {
		t.Fatal(err)
	}
	return dir
}

// headFiles reads the branch's files and commit count from the remote.
func headFiles(t *testing.T, url string, auth *githttp.BasicAuth) (map[string]string, int) {
	t.Helper()
	fs := memfs.New()
	opts := &git.CloneOptions{URL: url, ReferenceName: plumbing.NewBranchReferenceName("main"), SingleBranch: true}
	if auth != nil {
		opts.Auth = auth
	}
	r, err := git.Clone(memory.NewStorage(), fs, opts)
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
	n := 0
	iter, _ := r.Log(&git.LogOptions{From: head.Hash()})
	iter.ForEach(func(*object.Commit) error { n++; return nil })
	return out, n
}

func TestCommitLocalBare(t *testing.T) {
	url := bareRepo(t)
	ctx := context.Background()
	opt := GitOptions{URL: url, Branch: "main", Path: "iam", Now: fixed}
	files := map[string][]byte{"111122223333/app.json": []byte("{1}\n"), "111122223333/app-2.json": []byte("{2}\n")}
	r, err := Commit(ctx, opt, files, []string{"111122223333/app"})
	if err != nil || r.Hash == "" || len(r.Changed) != 2 {
		t.Fatalf("first commit: %+v %v", r, err)
	}
	// Same content: nothing to commit.
	r, err = Commit(ctx, opt, files, []string{"111122223333/app"})
	if err != nil || r.Hash != "" {
		t.Fatalf("unchanged: %+v %v", r, err)
	}
	// The policy now fits one part: the second part goes.
	r, err = Commit(ctx, opt, map[string][]byte{"111122223333/app.json": []byte("{3}\n")}, []string{"111122223333/app"})
	if err != nil || len(r.Removed) != 1 || r.Removed[0] != "iam/111122223333/app-2.json" {
		t.Fatalf("shrink: %+v %v", r, err)
	}
	got, n := headFiles(t, url, nil)
	if n != 2 || len(got) != 1 || got["iam/111122223333/app.json"] != "{3}\n" {
		t.Fatalf("remote: %d commits, %v", n, got)
	}
}

// gitHTTP serves bare repositories under root with git's own smart HTTP
// server (git http-backend), behind basic auth; before the first push it
// runs beforePush, to move the remote on.
func gitHTTP(t *testing.T, root, user, pass string, beforePush func()) *httptest.Server {
	gitBin, err := exec.LookPath("git")
	if err != nil {
		t.Skip("git is not installed: the HTTP remote uses git http-backend")
	}
	h := &cgi.Handler{Path: gitBin, Args: []string{"http-backend"}, Env: []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1", "REMOTE_USER=" + user}}
	var pushed atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		if !ok || u != user || p != pass {
			w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		if r.URL.Query().Get("service") == "git-receive-pack" && beforePush != nil && !pushed.Swap(true) {
			beforePush()
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestCommitHTTPRejectedPushRetried(t *testing.T) {
	root := t.TempDir()
	bare := filepath.Join(root, "p.git")
	if _, err := git.PlainInit(bare, true); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("git", "-C", bare, "config", "http.receivepack", "true").CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	ctx := context.Background()
	auth := &githttp.BasicAuth{Username: "ci", Password: "s3cret"}
	// Seed the branch directly (file URL), then let someone else push
	// between our clone and our push.
	if _, err := Commit(ctx, GitOptions{URL: bare, Now: fixed}, map[string][]byte{"README": []byte("policies\n")}, nil); err != nil {
		t.Fatal(err)
	}
	other := func() {
		if _, err := Commit(ctx, GitOptions{URL: bare, Now: fixed}, map[string][]byte{"other/x.json": []byte("{}\n")}, nil); err != nil {
			t.Error(err)
		}
	}
	srv := gitHTTP(t, root, "ci", "s3cret", other)
	url := srv.URL + "/p.git"
	r, err := Commit(ctx, GitOptions{URL: url, Auth: auth, Path: "iam", Now: fixed}, map[string][]byte{"111122223333/app.json": []byte("{}\n")}, []string{"111122223333/app"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Attempts != 2 {
		t.Errorf("attempts %d, want 2 (one rejected push, one on the new head)", r.Attempts)
	}
	got, n := headFiles(t, url, auth)
	if n != 3 || got["other/x.json"] != "{}\n" || got["iam/111122223333/app.json"] != "{}\n" || got["README"] != "policies\n" {
		t.Fatalf("remote: %d commits, %v", n, got)
	}

	_, err = Commit(ctx, GitOptions{URL: url, Auth: &githttp.BasicAuth{Username: "ci", Password: "wrong"}, Now: fixed}, map[string][]byte{"a.json": []byte("{}")}, nil)
	if !errors.Is(err, ErrGitAuth) {
		t.Fatalf("bad credentials: %v", err)
	}
	if _, n2 := headFiles(t, url, auth); n2 != n {
		t.Fatal("a refused push changed the remote")
	}
}

func TestGitAuthFromVariables(t *testing.T) {
	// The variables read through the configuration table, as the command does.
	env := func(kv map[string]string) orgiamconfig.GitCredentials {
		return orgiamconfig.GitFromEnv(func(k string) (string, bool) { v, ok := kv[k]; return v, ok })
	}
	a, err := GitAuth("https://git.example.com/org/policies.git", env(map[string]string{"ORGIAM_GIT_TOKEN": "t0ken"}))
	if err != nil {
		t.Fatal(err)
	}
	basic, ok := a.(*githttp.BasicAuth)
	if !ok || basic.Username != "x-access-token" || basic.Password != "t0ken" {
		t.Fatalf("https with a token: got %#v", a)
	}
	a, _ = GitAuth("https://git.example.com/x.git", env(map[string]string{"ORGIAM_GIT_TOKEN": "t", "ORGIAM_GIT_USER": "ci"}))
	if basic, ok := a.(*githttp.BasicAuth); !ok || basic.Username != "ci" {
		t.Fatalf("ORGIAM_GIT_USER not used: %#v", a)
	}
	// A token is not sent to an SSH or file remote.
	for _, u := range []string{"git@git.example.com:org/x.git", "file:///tmp/x.git", "/tmp/x.git"} {
		if a, err := GitAuth(u, env(map[string]string{"ORGIAM_GIT_TOKEN": "t"})); a != nil || err != nil {
			t.Errorf("%s with a token: got %#v, %v; want no credential", u, a, err)
		}
	}
	_, err = GitAuth("git@git.example.com:org/x.git", env(map[string]string{"ORGIAM_GIT_SSH_KEY": filepath.Join(t.TempDir(), "missing")}))
	if err == nil || !strings.Contains(err.Error(), "ORGIAM_GIT_SSH_KEY") {
		t.Fatalf("missing key file: got %v, want an error naming ORGIAM_GIT_SSH_KEY", err)
	}
	if a, err := GitAuth("https://git.example.com/x.git", env(nil)); a != nil || err != nil {
		t.Fatalf("no variables: got %#v, %v", a, err)
	}
}
