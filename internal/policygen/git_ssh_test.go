package policygen

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"fmt"
	"github.com/orgiam/orgiam/internal/config"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// sshGitServer is an SSH git remote in the test process:
// golang.org/x/crypto/ssh for the connection (public-key authentication of
// one key only), git-upload-pack and git-receive-pack run on the bare
// repositories under root.
type sshGitServer struct {
	addr string
	ln   net.Listener
	wg   sync.WaitGroup
}

func startSSHGitServer(t *testing.T, root string, hostKey ssh.Signer, allowed ssh.PublicKey) *sshGitServer {
	t.Helper()
	cfg := &ssh.ServerConfig{
		PublicKeyCallback: func(c ssh.ConnMetadata, k ssh.PublicKey) (*ssh.Permissions, error) {
			if c.User() == "git" && string(k.Marshal()) == string(allowed.Marshal()) {
				return nil, nil
			}
			return nil, fmt.Errorf("key refused for %s", c.User())
		},
	}
	cfg.AddHostKey(hostKey)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &sshGitServer{addr: ln.Addr().String(), ln: ln}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				s.serveConn(conn, cfg, root)
			}()
		}
	}()
	t.Cleanup(func() { ln.Close(); s.wg.Wait() })
	return s
}

func (s *sshGitServer) serveConn(conn net.Conn, cfg *ssh.ServerConfig, root string) {
	defer conn.Close()
	sc, chans, reqs, err := ssh.NewServerConn(conn, cfg)
	if err != nil {
		return
	}
	defer sc.Close()
	go ssh.DiscardRequests(reqs)
	for nc := range chans {
		if nc.ChannelType() != "session" {
			nc.Reject(ssh.UnknownChannelType, "session only")
			continue
		}
		ch, chReqs, err := nc.Accept()
		if err != nil {
			return
		}
		go func() {
			defer ch.Close()
			for req := range chReqs {
				if req.Type != "exec" {
					req.Reply(false, nil)
					continue
				}
				req.Reply(true, nil)
				status := 0
				if err := serveGit(root, ch, string(req.Payload[4:])); err != nil {
					fmt.Fprintln(ch.Stderr(), err)
					status = 1
				}
				var b [4]byte
				binary.BigEndian.PutUint32(b[:], uint32(status))
				ch.SendRequest("exit-status", false, b[:])
				return
			}
		}()
	}
}

// serveGit runs one "git-upload-pack '/path'" or "git-receive-pack
// '/path'" with the channel as its input and output, as an SSH git host
// does. It runs git's own programs: go-git's server-side transport
// refuses shallow fetches ("unsupported capability: shallow"), and Commit
// clones with depth 1.
func serveGit(root string, ch ssh.Channel, cmd string) error {
	verb, arg, _ := strings.Cut(cmd, " ")
	if verb != "git-upload-pack" && verb != "git-receive-pack" {
		return fmt.Errorf("%s: not a git command", verb)
	}
	repo := filepath.Join(root, filepath.Clean("/"+strings.Trim(arg, "'")))
	c := exec.Command(verb, repo)
	c.Stdin, c.Stdout, c.Stderr = ch, ch, ch.Stderr()
	return c.Run()
}

// writeKey writes an OpenSSH private key file, as ssh-keygen would.
func writeKey(t *testing.T, dir, name string, key ed25519.PrivateKey) string {
	t.Helper()
	blk, err := ssh.MarshalPrivateKey(key, "")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, pem.EncodeToMemory(blk), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestCommitSSH pushes generated policies to an SSH remote with the key
// ORGIAM_GIT_SSH_KEY names, the server's host key checked against
// SSH_KNOWN_HOSTS: the pushed commit is read back from the bare repository
// on the server side. A key the server refuses is ErrGitAuth, and nothing
// is pushed.
func TestCommitSSH(t *testing.T) {
	dir := t.TempDir()
	_, hostPriv, _ := ed25519.GenerateKey(rand.Reader)
	hostKey, err := ssh.NewSignerFromKey(hostPriv)
	if err != nil {
		t.Fatal(err)
	}
	clientPub, clientPriv, _ := ed25519.GenerateKey(rand.Reader)
	_, otherPriv, _ := ed25519.GenerateKey(rand.Reader)
	allowed, _ := ssh.NewPublicKey(clientPub)
	root := filepath.Join(dir, "srv")
	repoDir := filepath.Join(root, "policies.git")
	if _, err := git.PlainInit(repoDir, true); err != nil {
		t.Fatal(err)
	}
	srv := startSSHGitServer(t, root, hostKey, allowed)
	known := filepath.Join(dir, "known_hosts")
	if err := os.WriteFile(known, []byte(knownhosts.Line([]string{srv.addr}, hostKey.PublicKey())+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SSH_KNOWN_HOSTS", known)
	url := "ssh://git@" + srv.addr + "/policies.git"
	authWith := func(key string) transport.AuthMethod {
		t.Helper()
		a, err := GitAuth(url, config.GitCredentials{SSHKey: key})
		if err != nil || a == nil {
			t.Fatalf("GitAuth: %v %v", a, err)
		}
		return a
	}
	files := map[string][]byte{"111122223333/app.json": []byte(`{"Version":"2012-10-17","Statement":[]}` + "\n")}
	ctx := context.Background()

	// A key the server does not know: refused, nothing pushed.
	_, err = Commit(ctx, GitOptions{URL: url, Path: "iam", Auth: authWith(writeKey(t, dir, "other", otherPriv)), Now: fixed}, files, []string{"111122223333/app"})
	if !errors.Is(err, ErrGitAuth) {
		t.Fatalf("refused key: %v, want ErrGitAuth", err)
	}
	bare, err := git.PlainOpen(repoDir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bare.Reference(plumbing.NewBranchReferenceName("main"), true); err == nil {
		t.Fatal("refused key: the branch exists")
	}

	res, err := Commit(ctx, GitOptions{URL: url, Path: "iam", Auth: authWith(writeKey(t, dir, "id_ed25519", clientPriv)), Now: fixed}, files, []string{"111122223333/app"})
	if err != nil {
		t.Fatal(err)
	}
	ref, err := bare.Reference(plumbing.NewBranchReferenceName("main"), true)
	if err != nil {
		t.Fatalf("pushed branch: %v", err)
	}
	if ref.Hash().String() != res.Hash {
		t.Fatalf("remote main is %s, the commit made %s", ref.Hash(), res.Hash)
	}
	c, err := bare.CommitObject(ref.Hash())
	if err != nil {
		t.Fatal(err)
	}
	f, err := c.File("iam/111122223333/app.json")
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := f.Contents(); s != string(files["111122223333/app.json"]) {
		t.Errorf("pushed file %q", s)
	}
	if !c.Author.When.Equal(fixed()) || !strings.Contains(c.Message, "iam/111122223333/app.json") {
		t.Errorf("commit %v %q", c.Author.When, c.Message)
	}
	n := 0
	iter, _ := bare.Log(&git.LogOptions{From: ref.Hash()})
	iter.ForEach(func(*object.Commit) error { n++; return nil })
	if n != 1 {
		t.Errorf("%d commits, want 1", n)
	}
	// Nothing changed: no second commit.
	again, err := Commit(ctx, GitOptions{URL: url, Path: "iam", Auth: authWith(filepath.Join(dir, "id_ed25519")), Now: fixed}, files, []string{"111122223333/app"})
	if err != nil || again.Hash != "" {
		t.Fatalf("unchanged: %+v %v", again, err)
	}
	// A changed policy: a second commit on the fetched head.
	files["111122223333/app.json"] = []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}` + "\n")
	next, err := Commit(ctx, GitOptions{URL: url, Path: "iam", Auth: authWith(filepath.Join(dir, "id_ed25519")), Now: fixed}, files, []string{"111122223333/app"})
	if err != nil {
		t.Fatal(err)
	}
	ref, _ = bare.Reference(plumbing.NewBranchReferenceName("main"), true)
	c, _ = bare.CommitObject(ref.Hash())
	if ref.Hash().String() != next.Hash || len(c.ParentHashes) != 1 || c.ParentHashes[0].String() != res.Hash {
		t.Fatalf("second push: remote %s (parents %v), made %s on %s", ref.Hash(), c.ParentHashes, next.Hash, res.Hash)
	}
}
