package policygen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/go-git/go-billy/v5"
	"github.com/go-git/go-billy/v5/memfs"
	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
	"github.com/go-git/go-git/v5/storage/memory"

	orgiamconfig "github.com/orgiam/orgiam/internal/config"
)

// GitOptions say where generated policies are committed.
type GitOptions struct {
	URL    string
	Branch string // default main
	Path   string // folder inside the repository ("" for its root)
	// Auth is the credential (nil: none, for file URLs and open remotes).
	Auth transport.AuthMethod
	// Author and Now sign the commit.
	Author, Email string
	Now           func() time.Time
	// Retries is how many times a push the remote rejected (it moved on)
	// is redone on the fetched head (default 3).
	Retries int
}

// ErrGitAuth marks a remote that refused the credentials.
var ErrGitAuth = errors.New("git remote refused the credentials")

// GitAuth returns the credential for url among c (the configuration's
// environment-only git fields, config.GitFromEnv): the token for an HTTPS
// remote (ORGIAM_GIT_TOKEN; user ORGIAM_GIT_USER, default x-access-token),
// the key file for an SSH remote (ORGIAM_GIT_SSH_KEY;
// ORGIAM_GIT_SSH_KEY_PASSWORD). None that fits: nil, for file URLs and open
// remotes.
func GitAuth(url string, c orgiamconfig.GitCredentials) (transport.AuthMethod, error) {
	if tok := c.Token; tok != "" && (strings.HasPrefix(url, "https://") || strings.HasPrefix(url, "http://")) {
		user := c.User
		if user == "" {
			user = "x-access-token"
		}
		return &githttp.BasicAuth{Username: user, Password: tok}, nil
	}
	if key := c.SSHKey; key != "" && !strings.HasPrefix(url, "http") && !strings.HasPrefix(url, "file://") && !strings.HasPrefix(url, "/") {
		a, err := gitssh.NewPublicKeysFromFile("git", key, c.SSHKeyPassword)
		if err != nil {
			return nil, fmt.Errorf("ORGIAM_GIT_SSH_KEY: %w", err)
		}
		return a, nil
	}
	return nil, nil
}

// CommitResult says what a commit did.
type CommitResult struct {
	Hash    string   `json:"hash,omitempty"`
	Changed []string `json:"changed"` // added or modified files
	Removed []string `json:"removed"`
	// Attempts is the number of pushes made (more than one: the remote
	// moved on and the commit was redone on its new head).
	Attempts int `json:"attempts"`
}

// Commit writes files (relative to opt.Path) into the branch and pushes
// one commit, never forcing. Files of the same principals that the
// generation no longer produces (a policy that needs fewer parts) are
// removed; other files are left alone. Nothing changed: no commit. When
// the push is rejected because the remote moved on, the branch is fetched
// again and the commit redone on its head (no rebase, no merge), up to
// opt.Retries times; then the rejection is returned. The clone is in
// memory: nothing is written locally.
func Commit(ctx context.Context, opt GitOptions, files map[string][]byte, owners []string) (CommitResult, error) {
	if opt.Branch == "" {
		opt.Branch = "main"
	}
	if opt.Retries <= 0 {
		opt.Retries = 3
	}
	var res CommitResult
	for attempt := 1; ; attempt++ {
		res.Attempts = attempt
		r, err := commitOnce(ctx, opt, files, owners)
		r.Attempts = attempt
		if err == nil || !moved(err) || attempt > opt.Retries {
			return r, err
		}
	}
}

func wrapGit(op string, err error) error {
	// golang.org/x/crypto/ssh reports a refused key with an untyped error
	// ("ssh: handshake failed: ssh: unable to authenticate, attempted
	// methods …"): its text is all there is to recognise it by.
	if errors.Is(err, transport.ErrAuthenticationRequired) || errors.Is(err, transport.ErrAuthorizationFailed) || strings.Contains(err.Error(), "ssh: unable to authenticate") {
		return fmt.Errorf("git %s: %w (%v)", op, ErrGitAuth, err)
	}
	return fmt.Errorf("git %s: %w", op, err)
}

func commitOnce(ctx context.Context, opt GitOptions, files map[string][]byte, owners []string) (CommitResult, error) {
	var res CommitResult
	fs := memfs.New()
	ref := plumbing.NewBranchReferenceName(opt.Branch)
	repo, err := git.CloneContext(ctx, memory.NewStorage(), fs, &git.CloneOptions{URL: opt.URL, Auth: opt.Auth, ReferenceName: ref, SingleBranch: true, Depth: 1})
	switch {
	case err == nil:
	case errors.Is(err, transport.ErrEmptyRemoteRepository) || errors.Is(err, plumbing.ErrReferenceNotFound) || strings.Contains(err.Error(), "couldn't find remote ref"):
		// A new repository or a new branch: start from nothing.
		repo, err = git.Init(memory.NewStorage(), fs)
		if err != nil {
			return res, wrapGit("init", err)
		}
		if _, err := repo.CreateRemote(&config.RemoteConfig{Name: "origin", URLs: []string{opt.URL}}); err != nil {
			return res, wrapGit("remote", err)
		}
		if err := repo.Storer.SetReference(plumbing.NewSymbolicReference(plumbing.HEAD, ref)); err != nil {
			return res, wrapGit("init", err)
		}
	default:
		return res, wrapGit("clone "+opt.URL, err)
	}
	wt, err := repo.Worktree()
	if err != nil {
		return res, wrapGit("worktree", err)
	}
	want := map[string][]byte{}
	for name, b := range files {
		want[path.Join(opt.Path, name)] = b
	}
	// Stale parts of the principals generated: <owner>.json, <owner>-N.json.
	for _, o := range owners {
		dir := path.Dir(path.Join(opt.Path, o))
		base := path.Base(o)
		entries, _ := fs.ReadDir(dir)
		for _, e := range entries {
			n := e.Name()
			p := path.Join(dir, n)
			if _, keep := want[p]; keep || e.IsDir() || !isPart(n, base) {
				continue
			}
			if _, err := wt.Remove(p); err != nil {
				return res, wrapGit("rm "+p, err)
			}
			res.Removed = append(res.Removed, p)
		}
	}
	names := make([]string, 0, len(want))
	for n := range want {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		old, err := readAll(fs, n)
		if err == nil && string(old) == string(want[n]) {
			continue
		}
		if err := fs.MkdirAll(path.Dir(n), 0o755); err != nil {
			return res, err
		}
		f, err := fs.Create(n)
		if err != nil {
			return res, err
		}
		if _, err := f.Write(want[n]); err != nil {
			f.Close()
			return res, err
		}
		f.Close()
		if _, err := wt.Add(n); err != nil {
			return res, wrapGit("add "+n, err)
		}
		res.Changed = append(res.Changed, n)
	}
	if len(res.Changed) == 0 && len(res.Removed) == 0 {
		return res, nil
	}
	now := time.Now
	if opt.Now != nil {
		now = opt.Now
	}
	author := opt.Author
	if author == "" {
		author = "orgiam"
	}
	email := opt.Email
	if email == "" {
		email = "orgiam@localhost"
	}
	h, err := wt.Commit(commitMessage(res), &git.CommitOptions{Author: &object.Signature{Name: author, Email: email, When: now()}, AllowEmptyCommits: false})
	if err != nil {
		return res, wrapGit("commit", err)
	}
	res.Hash = h.String()
	err = repo.PushContext(ctx, &git.PushOptions{RemoteName: "origin", Auth: opt.Auth, RefSpecs: []config.RefSpec{config.RefSpec(ref + ":" + ref)}})
	if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
		return res, wrapGit("push "+opt.URL, err)
	}
	return res, nil
}

func isPart(name, base string) bool {
	rest, ok := strings.CutPrefix(name, base)
	if !ok {
		return false
	}
	if rest == ".json" {
		return true
	}
	num, ok := strings.CutSuffix(strings.TrimPrefix(rest, "-"), ".json")
	return ok && strings.HasPrefix(rest, "-") && num != "" && allDigits(num)
}

func readAll(fs billy.Filesystem, name string) ([]byte, error) {
	f, err := fs.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

func commitMessage(r CommitResult) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Generated IAM policies: %d changed, %d removed\n\n", len(r.Changed), len(r.Removed))
	for _, c := range r.Changed {
		b.WriteString("M " + c + "\n")
	}
	for _, c := range r.Removed {
		b.WriteString("D " + c + "\n")
	}
	return b.String()
}

// moved reports whether a push was refused because the remote branch moved
// on: go-git's own check against the advertised head, or the server's
// (a ref it could not update from the old value we sent).
func moved(err error) bool {
	if errors.Is(err, git.ErrNonFastForwardUpdate) {
		return true
	}
	m := err.Error()
	return strings.Contains(m, "non-fast-forward") || strings.Contains(m, "fetch first") || strings.Contains(m, "failed to update ref")
}
