// Package moto starts moto_server (a third-party AWS emulator) on a free
// loopback port for integration tests.
//
// moto 5.2 does not implement IAM Access Analyzer, which collect reads in
// every region (access-analyzer:ListAnalyzers). Endpoint is therefore a
// small reverse proxy in front of moto_server: requests signed for
// access-analyzer get the answer of an account without analyzers; every
// other request goes to moto unchanged.
package moto

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Server is a running moto_server.
type Server struct {
	Endpoint string // http://127.0.0.1:PORT of the proxy in front of moto
	// Direct is moto_server's own address.
	Direct string
	cmd    *exec.Cmd
}

// signedService is the service of a SigV4 Authorization header's
// credential scope (AKID/date/region/service/aws4_request).
var signedService = regexp.MustCompile(`Credential=[^/]+/[^/]+/[^/]+/([^/]+)/aws4_request`)

// proxy serves Access Analyzer's ListAnalyzers (no analyzer) and sends the
// rest to moto.
func proxy(t testing.TB, direct string) string {
	u, err := url.Parse(direct)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m := signedService.FindStringSubmatch(r.Header.Get("Authorization"))
		if m == nil || m[1] != "access-analyzer" {
			rp.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if r.Method == http.MethodGet && r.URL.Path == "/analyzer" {
			fmt.Fprint(w, `{"analyzers":[]}`)
			return
		}
		w.Header().Set("X-Amzn-Errortype", "NotImplemented")
		w.WriteHeader(http.StatusNotImplemented)
		fmt.Fprintf(w, `{"message":"the test proxy answers only ListAnalyzers, not %s %s"}`, r.Method, r.URL.Path)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// Start starts moto_server for the test and stops it when the test ends. The
// test fails if moto_server is not installed (CI installs it).
func Start(t testing.TB, env ...string) *Server {
	t.Helper()
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		t.Fatalf("moto_server not found on PATH: %v (it is installed by .ci/run)", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	cmd.Env = append(WithoutEmptyAWS(os.Environ()), env...)
	if testing.Verbose() {
		cmd.Stderr = os.Stderr
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start moto_server: %v", err)
	}
	s := &Server{Direct: fmt.Sprintf("http://127.0.0.1:%d", port), cmd: cmd}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(s.Direct + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("moto_server did not start on %s: %v", s.Direct, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.Endpoint = proxy(t, s.Direct)
	return s
}

// Reset clears every backend of the server.
func (s *Server) Reset(t testing.TB) {
	t.Helper()
	resp, err := http.Post(s.Direct+"/moto-api/reset", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}

// WithoutEmptyAWS is environ without the AWS_* variables a test set empty
// to hide the machine's. moto_server starts with it (moto's CloudFormation
// backend builds boto clients, which take an empty AWS_PROFILE for a
// profile name and fail), and so should a Python AWS tool a test runs.
func WithoutEmptyAWS(environ []string) []string {
	out := make([]string, 0, len(environ))
	for _, kv := range environ {
		if k, v, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "AWS_") && v == "" {
			continue
		}
		out = append(out, kv)
	}
	return out
}
