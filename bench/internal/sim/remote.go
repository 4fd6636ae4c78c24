package sim

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime/pprof"
	"time"

	"github.com/orgiam/orgiam/bench/internal/measure"
	"github.com/orgiam/orgiam/internal/fakeaws"
	"github.com/orgiam/orgiam/internal/gctune"
)

// Emulator is the part of the emulator a benchmark drives while orgiam
// runs: *fakeaws.Server in-process, or a *Remote in a process of its own.
type Emulator interface {
	Knobs() fakeaws.Knobs
	SetKnobs(fakeaws.Knobs)
	Stats() fakeaws.Stats
	ResetStats()
}

var _ Emulator = (*fakeaws.Server)(nil)
var _ Emulator = (*Remote)(nil)

// ServeArg is the first argument that makes a benchmark binary serve the
// emulator instead of benchmarking (see ServeMain).
const ServeArg = "-serve-fakeaws"

// hello is the line the emulator process prints once it serves.
type hello struct {
	URL, Control, OrgRole string
}

// ServeMain runs the emulator in this process until its standard input
// closes (the benchmark that started it ended): a benchmark binary calls it
// when started with ServeArg first. The flags give the world and the first
// knobs; a control listener answers GET /stats, POST /reset, GET and POST
// /knobs (JSON) for the benchmark's process.
func ServeMain(args []string) {
	fs := flag.NewFlagSet("fakeaws", flag.ExitOnError)
	accounts := fs.Int("accounts", 100, "accounts of the one organization (seed 7)")
	size := fs.String("size", "{}", "fakeaws.Size as JSON")
	knobs := fs.String("knobs", "{}", "fakeaws.Knobs as JSON")
	profile := fs.String("cpuprofile", os.Getenv("FAKEAWS_CPUPROFILE"), "write the emulator's CPU profile to this file (default: $FAKEAWS_CPUPROFILE)")
	_ = fs.Parse(args)
	if *profile != "" {
		f, err := os.Create(*profile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "fakeaws: -cpuprofile:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	var sz fakeaws.Size
	var k fakeaws.Knobs
	if err := json.Unmarshal([]byte(*size), &sz); err != nil {
		fmt.Fprintln(os.Stderr, "fakeaws: -size:", err)
		os.Exit(2)
	}
	if err := json.Unmarshal([]byte(*knobs), &k); err != nil {
		fmt.Fprintln(os.Stderr, "fakeaws: -knobs:", err)
		os.Exit(2)
	}
	// The emulator stands in for AWS's servers, which do not share orgiam's
	// cores: it collects garbage less often (GOGC=400 under a 2 GiB soft
	// limit) so that less of the machine goes to it.
	defer gctune.Relax(400, 2<<30)()
	world := fakeaws.NewWorld(fakeaws.Options{Seed: 7, Orgs: 1, AccountsPerOrg: *accounts, Size: sz})
	srv := fakeaws.New(world, k)
	url, err := srv.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, _ *http.Request) { _ = json.NewEncoder(w).Encode(srv.Stats()) })
	mux.HandleFunc("POST /reset", func(http.ResponseWriter, *http.Request) { srv.ResetStats() })
	mux.HandleFunc("GET /cpu", func(w http.ResponseWriter, _ *http.Request) { _ = json.NewEncoder(w).Encode(measure.CPUTime()) })
	mux.HandleFunc("GET /knobs", func(w http.ResponseWriter, _ *http.Request) { _ = json.NewEncoder(w).Encode(srv.Knobs()) })
	mux.HandleFunc("POST /knobs", func(w http.ResponseWriter, r *http.Request) {
		var k fakeaws.Knobs
		if err := json.NewDecoder(r.Body).Decode(&k); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		srv.SetKnobs(k)
	})
	go func() { _ = (&http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}).Serve(ln) }()
	b, _ := json.Marshal(hello{URL: url, Control: "http://" + ln.Addr().String(), OrgRole: world.CollectRoleArn(world.Orgs()[0].ManagementAccountID)})
	fmt.Println(string(b))
	_, _ = io.Copy(io.Discard, os.Stdin)
	_ = srv.Close()
}

// Remote is an emulator in a child process (this binary started with
// ServeArg), so that its CPU time is not the benchmark's: the process
// measured is orgiam alone.
type Remote struct {
	cmd     *exec.Cmd
	stdin   io.Closer
	URL     string
	OrgRole string
	control string
	client  *http.Client
}

// StartRemote starts the emulator process for a world of accounts.
func StartRemote(accounts int, size fakeaws.Size, k fakeaws.Knobs) (*Remote, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	sz, _ := json.Marshal(size)
	kn, _ := json.Marshal(k)
	cmd := exec.Command(exe, ServeArg, "-accounts", fmt.Sprint(accounts), "-size", string(sz), "-knobs", string(kn))
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	r := &Remote{cmd: cmd, stdin: in, client: &http.Client{Timeout: 30 * time.Second}}
	line, err := bufio.NewReader(out).ReadBytes('\n')
	var h hello
	if err == nil {
		err = json.Unmarshal(line, &h)
	}
	if err != nil {
		r.Close()
		return nil, fmt.Errorf("emulator process: %w", err)
	}
	r.URL, r.OrgRole, r.control = h.URL, h.OrgRole, h.Control
	return r, nil
}

// Close ends the emulator process (its standard input closes) and waits for it.
func (r *Remote) Close() error {
	_ = r.stdin.Close()
	done := make(chan error, 1)
	go func() { done <- r.cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		_ = r.cmd.Process.Kill()
		return <-done
	}
}

func (r *Remote) do(method, path string, body, into any) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, r.control+path, rd)
	resp, err := r.client.Do(req)
	if err != nil {
		fmt.Fprintln(os.Stderr, "emulator control:", err)
		return
	}
	defer resp.Body.Close()
	if into != nil {
		if err := json.NewDecoder(resp.Body).Decode(into); err != nil {
			fmt.Fprintln(os.Stderr, "emulator control:", err)
		}
	}
}

// Knobs returns the emulator's knobs.
func (r *Remote) Knobs() fakeaws.Knobs {
	var k fakeaws.Knobs
	r.do(http.MethodGet, "/knobs", nil, &k)
	return k
}

// SetKnobs replaces the emulator's knobs.
func (r *Remote) SetKnobs(k fakeaws.Knobs) { r.do(http.MethodPost, "/knobs", k, nil) }

// Stats returns the emulator's counters.
func (r *Remote) Stats() fakeaws.Stats {
	var s fakeaws.Stats
	r.do(http.MethodGet, "/stats", nil, &s)
	return s
}

// CPUTime is the emulator process's CPU time so far.
func (r *Remote) CPUTime() time.Duration {
	var d time.Duration
	r.do(http.MethodGet, "/cpu", nil, &d)
	return d
}

// ResetStats zeroes the emulator's counters.
func (r *Remote) ResetStats() { r.do(http.MethodPost, "/reset", nil, nil) }
