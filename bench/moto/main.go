// Command moto benchmarks orgiam against moto_server (a third-party AWS
// emulator, on PATH): it builds one organization in moto — by default 100
// member accounts, each with 20 users (one inline policy each, no access
// keys), 20 roles, 20 customer managed policies and 20 groups — then runs the
// orgiam binary (`orgiam collect`, built from this checkout) against it, three
// times with default settings and three times with the rate controller off
// (--rate-control off), and prints and records wall time, API calls, objects
// written and peak RSS.
//
//	go run ./bench/moto
//	go run ./bench/moto -accounts 10 -runs 1 -record=false   # a quick look
//	go run ./bench/moto -serve                                # seed, then keep moto up
//
// Every run collects IAM alone (--collectors iam,credential-report), the
// data the peer's figure it is compared with was measured on (IAM only);
// -collectors "" runs orgiam's own default, every collector in every enabled
// region, which against moto is mostly regional calls moto answers slowly
// or not at all (it has no Access Analyzer).
//
// moto does not throttle, so "defaults" and "controller off" should take the
// same time: the controller must cost nothing when AWS does not push back.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/orgiam/orgiam/internal/snapshot"
)

// Shape is the organization the benchmark builds.
type Shape struct {
	Accounts, Users, Roles, Policies, Groups int
}

func main() {
	var shape Shape
	flag.IntVar(&shape.Accounts, "accounts", 100, "member accounts")
	flag.IntVar(&shape.Users, "users", 20, "users per account (one inline policy each)")
	flag.IntVar(&shape.Roles, "roles", 20, "roles per account")
	flag.IntVar(&shape.Policies, "policies", 20, "customer managed policies per account")
	flag.IntVar(&shape.Groups, "groups", 20, "groups per account")
	runs := flag.Int("runs", 3, "runs of each variant")
	record := flag.Bool("record", true, "write the table under bench/results/")
	serveFlag := flag.Bool("serve", false, "seed moto, print how to reach it, and keep it up until interrupted (no runs)")
	collectors := flag.String("collectors", "iam,credential-report", "orgiam's --collectors for every run (\"\": orgiam's default, every collector in every enabled region)")
	extra := flag.String("collect-args", "", "more arguments for every `orgiam collect`, space-separated (e.g. \"--collectors iam,credential-report\")")
	flag.Parse()
	collectorsFlag, extraFlag = *collectors, *extra
	if *collectors != "" {
		collectArgs = append(collectArgs, "--collectors", *collectors)
	}
	collectArgs = append(collectArgs, strings.Fields(*extra)...)
	serve = *serveFlag
	if err := run(shape, *runs, *record); err != nil {
		fmt.Fprintln(os.Stderr, "bench/moto:", err)
		os.Exit(1)
	}
}

// peerWall is the range of wall times of the TypeScript peer a user would
// pick instead (@cloud-copilot/iam-collect 0.1.206), measured on this
// organization in moto on these machines when the targets were set; its
// npm package is not served by the registry reachable here, so it cannot be
// run beside orgiam.
var peerWall = [2]time.Duration{7600 * time.Millisecond, 9300 * time.Millisecond}

// collectArgs are passed to every `orgiam collect` after the benchmark's own.
var collectArgs []string

// collectorsFlag and extraFlag are the -collectors and -collect-args given.
var collectorsFlag, extraFlag string

// serve: seed, then keep moto up for a look by hand.
var serve bool

// Result is one run of orgiam.
type Result struct {
	Variant   string
	Wall      time.Duration
	Calls     int64
	Objects   int64
	Throttles int64
	OK        int
	Failed    int
	PeakRSSMB float64
	Entities  int
	// CPU is orgiam's user+system time; MotoCPU is moto_server's during
	// the same run. Both share the machine's cores, so together they say
	// how much of the wall is orgiam's own work and how much the emulator's.
	CPU, MotoCPU time.Duration
}

func run(shape Shape, runs int, record bool) error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "orgiam-bench-moto-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	bin := filepath.Join(dir, "orgiam")
	build := exec.Command("go", "build", "-o", bin, "./cmd/orgiam")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("go build ./cmd/orgiam (run from the repository root): %w", err)
	}

	endpoint, motoPID, stop, err := startMoto()
	if err != nil {
		return err
	}
	defer stop()

	t0 := time.Now()
	mgmt, err := seed(ctx, endpoint, shape)
	if err != nil {
		return fmt.Errorf("seeding moto: %w", err)
	}
	fmt.Fprintf(os.Stderr, "seeded %d accounts in %v\n", shape.Accounts, time.Since(t0).Round(time.Millisecond))
	if serve {
		// For a look by hand: the seeded moto stays up until interrupted.
		fmt.Printf("AWS_ENDPOINT_URL=%s AWS_ACCESS_KEY_ID=AKIABENCHMOTO0000000 AWS_SECRET_ACCESS_KEY=bench AWS_REGION=us-east-1 \\\n  orgiam collect --org-role arn:aws:iam::%s:role/OrganizationAccountAccessRole\n", endpoint, mgmt)
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
		<-sig
		return nil
	}

	// One warm-up run, not recorded: moto's first answers of an account
	// are slower than the later ones.
	if _, err := collect(ctx, bin, endpoint, mgmt, filepath.Join(dir, "store-warm-up"), "adaptive"); err != nil {
		return fmt.Errorf("warm-up: %w", err)
	}
	type variant struct{ name, control string }
	variants := []variant{{"defaults", "adaptive"}, {"--rate-control off", "off"}}
	var results []Result
	for i := 0; i < runs; i++ {
		// The order alternates, so neither variant always runs first.
		order := variants
		if i%2 == 1 {
			order = []variant{variants[1], variants[0]}
		}
		for _, v := range order {
			m0 := procCPU(motoPID)
			r, err := collect(ctx, bin, endpoint, mgmt, filepath.Join(dir, fmt.Sprintf("store-%s-%d", v.control, i)), v.control)
			if err != nil {
				return fmt.Errorf("%s: %w", v.name, err)
			}
			r.MotoCPU = procCPU(motoPID) - m0
			r.Variant = v.name
			results = append(results, r)
			fmt.Fprintf(os.Stderr, "%s: %v\n", v.name, r.Wall.Round(time.Millisecond))
		}
	}
	sort.SliceStable(results, func(a, b int) bool { return results[a].Variant < results[b].Variant })

	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "variant\twall\tAPI calls\tcalls/account\tobjects written\tthrottles\tok\tfailed\tentities\tpeak RSS MB\torgiam CPU\tmoto CPU\t")
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%v\t%d\t%.1f\t%d\t%d\t%d\t%d\t%d\t%.0f\t%v\t%v\t\n", r.Variant, r.Wall.Round(time.Millisecond), r.Calls,
			float64(r.Calls)/float64(max(r.OK+r.Failed, 1)), r.Objects, r.Throttles, r.OK, r.Failed, r.Entities, r.PeakRSSMB,
			r.CPU.Round(10*time.Millisecond), r.MotoCPU.Round(10*time.Millisecond))
	}
	tw.Flush()
	med := map[string][]time.Duration{}
	for _, r := range results {
		med[r.Variant] = append(med[r.Variant], r.Wall)
	}
	def, off := median(med["defaults"]), median(med["--rate-control off"])
	fmt.Fprintf(&b, "\nmedian wall: defaults %v, --rate-control off %v, ratio %.2f (target <= 1.2)\n", def.Round(time.Millisecond), off.Round(time.Millisecond), float64(def)/float64(off))
	fmt.Fprintf(&b, "defaults against the peer (%v-%v on this organization, IAM only, by the figures the targets were set with): %.2f-%.2f of its wall (target <= 0.5)\n",
		peerWall[0], peerWall[1], float64(def)/float64(peerWall[1]), float64(def)/float64(peerWall[0]))
	fmt.Print(b.String())
	if record {
		load, _ := os.ReadFile("/proc/loadavg")
		host, _ := os.Hostname()
		name := filepath.Join("bench", "results", "moto-"+time.Now().UTC().Format("2006-01-02")+".md")
		head := fmt.Sprintf("# moto benchmark, %s\n\nmachine: %s, %d CPUs, %s; load average before the runs: %s; command: `go run ./bench/moto -accounts %d -users %d -roles %d -policies %d -groups %d -runs %d -collectors %q -collect-args %q`; orgiam `collect %s` otherwise with default settings (index and reports included) against moto_server, %d member accounts + the management account.\n\n",
			time.Now().UTC().Format(time.RFC3339), host, runtime.NumCPU(), runtime.Version(), strings.TrimSpace(string(load)),
			shape.Accounts, shape.Users, shape.Roles, shape.Policies, shape.Groups, runs, collectorsFlag, extraFlag, strings.Join(collectArgs, " "), shape.Accounts)
		f, err := os.OpenFile(name, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			return err
		}
		defer f.Close()
		if _, err := f.WriteString(head + "```\n" + b.String() + "```\n\n"); err != nil {
			return err
		}
		fmt.Fprintln(os.Stderr, "recorded", name)
	}
	return nil
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration{}, ds...)
	sort.Slice(s, func(a, b int) bool { return s[a] < s[b] })
	return s[len(s)/2]
}

// procCPU is the user+system CPU time of a process and its threads so far,
// from /proc/<pid>/stat (fields 14 and 15, in clock ticks of 1/100 s on
// Linux). Zero where /proc is missing.
func procCPU(pid int) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name (field 2) is in parentheses and may hold spaces.
	i := strings.LastIndexByte(string(data), ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(data[i+1:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond
}

// startMoto starts moto_server on a free loopback port.
func startMoto() (string, int, func(), error) {
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		return "", 0, nil, fmt.Errorf("moto_server not on PATH: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", 0, nil, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	if err := cmd.Start(); err != nil {
		return "", 0, nil, err
	}
	stop := func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }
	endpoint := fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(endpoint + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			return endpoint, cmd.Process.Pid, stop, nil
		}
		if time.Now().After(deadline) {
			stop()
			return "", 0, nil, fmt.Errorf("moto_server did not start: %w", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func baseConfig(endpoint string) aws.Config {
	return aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(endpoint),
		Credentials: credentials.NewStaticCredentialsProvider("AKIABENCHMOTO0000000", "bench", "")}
}

const trust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

func doc(action string) string {
	return fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":%q,"Resource":"*"}]}`, action)
}

// seed creates the organization and every account's IAM entities, and
// returns the management account id.
func seed(ctx context.Context, endpoint string, shape Shape) (string, error) {
	base := baseConfig(endpoint)
	orgs := organizations.NewFromConfig(base)
	org, err := orgs.CreateOrganization(ctx, &organizations.CreateOrganizationInput{FeatureSet: orgtypes.OrganizationFeatureSetAll})
	if err != nil {
		return "", fmt.Errorf("organizations:CreateOrganization: %w", err)
	}
	mgmt := aws.ToString(org.Organization.MasterAccountId)
	ids := []string{mgmt}
	for i := 0; i < shape.Accounts; i++ {
		out, err := orgs.CreateAccount(ctx, &organizations.CreateAccountInput{AccountName: aws.String(fmt.Sprintf("member-%03d", i)), Email: aws.String(fmt.Sprintf("member-%03d@example.com", i))})
		if err != nil {
			return "", fmt.Errorf("organizations:CreateAccount: %w", err)
		}
		ids = append(ids, aws.ToString(out.CreateAccountStatus.AccountId))
	}
	// Member accounts get the entities; eight accounts at a time.
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for _, id := range ids[1:] {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := seedAccount(ctx, base, id, shape); err != nil {
				mu.Lock()
				if first == nil {
					first = fmt.Errorf("account %s: %w", id, err)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return mgmt, first
}

func seedAccount(ctx context.Context, base aws.Config, id string, shape Shape) error {
	cfg := base.Copy()
	cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(base), fmt.Sprintf("arn:aws:iam::%s:role/OrganizationAccountAccessRole", id)))
	c := iam.NewFromConfig(cfg)
	for i := 0; i < shape.Users; i++ {
		name := fmt.Sprintf("user-%02d", i)
		if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
			return err
		}
		if _, err := c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String("inline"), PolicyDocument: aws.String(doc("s3:GetObject"))}); err != nil {
			return err
		}
	}
	for i := 0; i < shape.Roles; i++ {
		if _, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(fmt.Sprintf("role-%02d", i)), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
			return err
		}
	}
	for i := 0; i < shape.Policies; i++ {
		if _, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(fmt.Sprintf("policy-%02d", i)), PolicyDocument: aws.String(doc("ec2:Describe*"))}); err != nil {
			return err
		}
	}
	for i := 0; i < shape.Groups; i++ {
		if _, err := c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String(fmt.Sprintf("group-%02d", i))}); err != nil {
			return err
		}
	}
	return nil
}

// collect runs `orgiam collect` against moto and reads its manifest.
func collect(ctx context.Context, bin, endpoint, mgmt, storeDir, control string) (Result, error) {
	var res Result
	args := append([]string{"collect",
		"--org-role", fmt.Sprintf("arn:aws:iam::%s:role/OrganizationAccountAccessRole", mgmt),
		"--store", storeDir, "--rate-control", control, "--quiet"}, collectArgs...)
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), "AWS_ENDPOINT_URL="+endpoint, "AWS_ACCESS_KEY_ID=AKIABENCHMOTO0000000",
		"AWS_SECRET_ACCESS_KEY=bench", "AWS_REGION=us-east-1", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_EC2_METADATA_DISABLED=true")
	var stderr strings.Builder
	cmd.Stdout, cmd.Stderr = io.Discard, &stderr
	t0 := time.Now()
	err := cmd.Run()
	res.Wall = time.Since(t0)
	if err != nil {
		return res, fmt.Errorf("%v: %s", err, stderr.String())
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		res.PeakRSSMB = float64(ru.Maxrss) / 1024
		res.CPU = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	matches, _ := filepath.Glob(filepath.Join(storeDir, "*", "manifest.json"))
	if len(matches) != 1 {
		return res, fmt.Errorf("expected one manifest under %s, found %d", storeDir, len(matches))
	}
	data, err := os.ReadFile(matches[0])
	if err != nil {
		return res, err
	}
	var m snapshot.Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return res, err
	}
	res.Calls, res.Objects, res.Throttles = m.Totals.APICalls, m.Totals.ObjectsWritten, m.Totals.Throttles
	res.OK, res.Failed = m.Totals.OK, m.Totals.Failed
	for _, n := range m.Totals.Entities {
		res.Entities += n
	}
	return res, nil
}
