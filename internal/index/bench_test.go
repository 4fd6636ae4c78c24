package index

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/orgiam/orgiam/internal/snapshot"
	"github.com/orgiam/orgiam/internal/store"
)

// Benchmarks read the run at ORGIAM_BENCH_STORE (a folder) +
// ORGIAM_BENCH_RUN when both are set, otherwise a synthetic run of
// benchAccounts accounts written once per process.
const benchAccounts = 1000

var (
	benchOnce   sync.Once
	benchReader snapshot.Reader
	benchDB     string
	benchErr    error
	benchDir    string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if benchDir != "" {
		os.RemoveAll(benchDir)
	}
	os.Exit(code)
}

func benchSetup(b *testing.B) (snapshot.Reader, string) {
	b.Helper()
	benchOnce.Do(func() {
		benchDir, benchErr = os.MkdirTemp("", "orgiam-index-bench-")
		if benchErr != nil {
			return
		}
		if s, run := os.Getenv("ORGIAM_BENCH_STORE"), os.Getenv("ORGIAM_BENCH_RUN"); s != "" && run != "" {
			benchReader = snapshot.Reader{Store: store.NewFile(s), Run: run}
		} else {
			root := filepath.Join(benchDir, "store")
			benchErr = writeSynthetic(root, "2026-11-20", benchAccounts)
			benchReader = snapshot.Reader{Store: store.NewFile(root), Run: "2026-11-20"}
		}
		if benchErr == nil {
			benchDB = filepath.Join(benchDir, "index.sqlite")
			_, benchErr = Build(context.Background(), benchReader, benchDB, BuildOptions{})
		}
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchReader, benchDB
}

func writeJSONFile(path string, v any) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o600)
}

func benchAcct(i int) string { return fmt.Sprintf("%012d", 100000000000+i) }

// writeSynthetic writes a run of n accounts of realistic size: 10 users with
// keys, 15 roles, 5 groups, 10 customer policies of 3 versions with 3–6
// statements each, a credential report.
func writeSynthetic(root, run string, n int) error {
	base := filepath.Join(root, filepath.FromSlash(run))
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var accts []snapshot.Account
	for i := 0; i < n; i++ {
		accts = append(accts, snapshot.Account{ID: benchAcct(i), Name: fmt.Sprintf("acct-%d", i), OrgID: "o-bench", Status: "ACTIVE", OUPath: "Root"})
	}
	if err := writeJSONFile(filepath.Join(base, "accounts.json"), accts); err != nil {
		return err
	}
	if err := writeJSONFile(filepath.Join(base, "organizations/o-bench/accounts.json"), accts); err != nil {
		return err
	}
	if err := writeJSONFile(filepath.Join(base, "organizations/o-bench/organization.json"), snapshot.Organization{ID: "o-bench", MasterAccountID: benchAcct(0)}); err != nil {
		return err
	}
	for _, name := range []string{"AdministratorAccess", "ReadOnlyAccess"} {
		d := json.RawMessage(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:Get*","s3:List*","ec2:Describe*","iam:Get*","iam:List*"],"Resource":"*"}]}`)
		if name == "AdministratorAccess" {
			d = json.RawMessage(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)
		}
		p := snapshot.ManagedPolicy{PolicyName: name, Arn: "arn:aws:iam::aws:policy/" + name, DefaultVersionID: "v1",
			PolicyVersionList: []snapshot.PolicyVersion{{VersionID: "v1", IsDefaultVersion: true, Document: d}}}
		if err := writeJSONFile(filepath.Join(base, "aws-managed-policies", name+".json"), p); err != nil {
			return err
		}
	}
	services := []string{"s3", "ec2", "dynamodb", "sqs", "sns", "lambda", "kms", "logs"}
	for i, a := range accts {
		id := a.ID
		dir := filepath.Join(base, "accounts", id)
		arn := func(kind, name string) string { return "arn:aws:iam::" + id + ":" + kind + "/" + name }
		var pols []snapshot.ManagedPolicy
		for p := 0; p < 10; p++ {
			mp := snapshot.ManagedPolicy{PolicyName: fmt.Sprintf("policy-%d", p), PolicyID: fmt.Sprintf("ANPA%s%02d", id, p), Arn: arn("policy", fmt.Sprintf("policy-%d", p)),
				Path: "/", DefaultVersionID: "v3", AttachmentCount: 1}
			for v := 1; v <= 3; v++ {
				var stmts []string
				for s := 0; s < 3+(p+v)%4; s++ {
					svc := services[(p+s)%len(services)]
					effect := "Allow"
					if s == 2 {
						effect = "Deny"
					}
					stmts = append(stmts, fmt.Sprintf(`{"Effect":%q,"Action":["%s:Get*","%s:Put%dItem","%s:Describe?"],"Resource":["arn:aws:%s:::bucket-%d/*","arn:aws:%s:::bucket-%d"]}`,
						effect, svc, svc, s, svc, svc, p, svc, p))
				}
				mp.PolicyVersionList = append(mp.PolicyVersionList, snapshot.PolicyVersion{VersionID: fmt.Sprintf("v%d", v), IsDefaultVersion: v == 3,
					Document: json.RawMessage(`{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`)})
			}
			pols = append(pols, mp)
		}
		inline := func(name string) []snapshot.InlinePolicy {
			return []snapshot.InlinePolicy{{PolicyName: name, PolicyDocument: json.RawMessage(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::x/*"},{"Effect":"Allow","NotAction":"iam:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}]}`)}}
		}
		var groups []snapshot.Group
		for g := 0; g < 5; g++ {
			groups = append(groups, snapshot.Group{GroupName: fmt.Sprintf("group-%d", g), GroupID: fmt.Sprintf("AGPA%s%d", id, g), Arn: arn("group", fmt.Sprintf("group-%d", g)), Path: "/",
				AttachedManagedPolicies: []snapshot.AttachedPolicy{{PolicyName: pols[g].PolicyName, PolicyArn: pols[g].Arn}}, GroupPolicyList: inline("group-inline")})
		}
		var users []snapshot.User
		report := strings.Join(snapshot.CredentialReportColumns, ",") + "\n"
		for u := 0; u < 10; u++ {
			name := fmt.Sprintf("user-%d", u)
			created := t0.Add(time.Duration(i*10+u) * time.Minute)
			c := created
			keyID := fmt.Sprintf("AKIA%s%04d", id, u)
			users = append(users, snapshot.User{UserName: name, UserID: "AIDA" + id + name, Arn: arn("user", name), Path: "/", CreateDate: &c,
				GroupList:               []string{groups[u%5].GroupName},
				AttachedManagedPolicies: []snapshot.AttachedPolicy{{PolicyName: pols[5+u%5].PolicyName, PolicyArn: pols[5+u%5].Arn}},
				AccessKeys:              []snapshot.AccessKey{{AccessKeyID: keyID, Status: "Active", CreateDate: &c}}})
			ct := created.Format(time.RFC3339)
			report += fmt.Sprintf("%s,%s,%s,true,%s,N/A,N/A,true,true,%s,%s,us-east-1,s3,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n",
				name, arn("user", name), ct, ct, ct, ct)
		}
		var roles []snapshot.Role
		for r := 0; r < 15; r++ {
			trusted := benchAcct((i + r + 1) % n)
			if r%5 == 4 {
				trusted = "999999999999"
			}
			tr := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::%s:root"},"Action":"sts:AssumeRole"},{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`, trusted)
			roles = append(roles, snapshot.Role{RoleName: fmt.Sprintf("role-%d", r), RoleID: fmt.Sprintf("AROA%s%02d", id, r), Arn: arn("role", fmt.Sprintf("role-%d", r)), Path: "/",
				AssumeRolePolicyDocument: json.RawMessage(tr), RolePolicyList: inline("role-inline"),
				AttachedManagedPolicies: []snapshot.AttachedPolicy{{PolicyName: "ReadOnlyAccess", PolicyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess"}}})
		}
		for name, v := range map[string]any{"users": users, "groups": groups, "roles": roles, "policies": pols} {
			if err := writeJSONFile(filepath.Join(dir, "iam", name+".json"), v); err != nil {
				return err
			}
		}
		if err := writeJSONFile(filepath.Join(dir, "account.json"), snapshot.AccountInfo{Account: a, Partition: "aws"}); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, "credential-report.csv"), []byte(report), 0o600); err != nil {
			return err
		}
	}
	return nil
}

func BenchmarkBuild(b *testing.B) {
	r, _ := benchSetup(b)
	path := filepath.Join(b.TempDir(), "index.sqlite")
	var st Stats
	var total time.Duration
	cpu0 := cpuTime()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var err error
		st, err = Build(context.Background(), r, path, BuildOptions{})
		if err != nil {
			b.Fatal(err)
		}
		total += st.Duration
	}
	cpu := cpuTime() - cpu0
	secs := total.Seconds() / float64(b.N)
	b.ReportMetric(cpu.Seconds()*1000/float64(b.N), "cpu-ms/op")
	b.ReportMetric(float64(st.Principals+st.Statements)/secs, "principal+stmt-rows/s")
	b.ReportMetric(float64(st.Rows)/secs, "rows/s")
	b.ReportMetric(float64(st.Bytes)/float64(max(st.Accounts, 1)), "bytes/account")
	b.ReportMetric(float64(st.Accounts), "accounts")
}

// cpuTime is the process's user + system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchQuery runs q b.N times and reports the median latency.
func benchQuery(b *testing.B, q func(ctx context.Context, db *DB) error) {
	_, path := benchSetup(b)
	db, err := Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t := time.Now()
		if err := q(ctx, db); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t))
	}
	b.StopTimer()
	sortDurations(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "median-ms")
}

func sortDurations(d []time.Duration) {
	for i := 1; i < len(d); i++ {
		for j := i; j > 0 && d[j] < d[j-1]; j-- {
			d[j], d[j-1] = d[j-1], d[j]
		}
	}
}

// benchSample picks a key, a principal ARN and an account from the index.
func benchSample(ctx context.Context, db *DB) (key, arn, account string, err error) {
	r, err := db.SQL(ctx, "SELECT k.key_id, k.user_arn, k.account_id FROM access_keys k ORDER BY k.rowid LIMIT 1 OFFSET (SELECT count(*) / 2 FROM access_keys)")
	if err != nil || len(r.Data) == 0 {
		return "", "", "", fmt.Errorf("no access key in the benchmark index: %v", err)
	}
	return r.Data[0][0], r.Data[0][1], r.Data[0][2], nil
}

func BenchmarkQueryKey(b *testing.B) {
	var key string
	benchQuery(b, func(ctx context.Context, db *DB) (err error) {
		if key == "" {
			if key, _, _, err = benchSample(ctx, db); err != nil {
				return err
			}
		}
		_, err = db.Key(ctx, key)
		return err
	})
}

func BenchmarkQueryPrincipalARN(b *testing.B) {
	var arn string
	benchQuery(b, func(ctx context.Context, db *DB) (err error) {
		if arn == "" {
			if _, arn, _, err = benchSample(ctx, db); err != nil {
				return err
			}
		}
		_, err = db.Principal(ctx, arn)
		return err
	})
}

func BenchmarkQueryTrustsAccount(b *testing.B) {
	var account string
	benchQuery(b, func(ctx context.Context, db *DB) (err error) {
		if account == "" {
			if _, _, account, err = benchSample(ctx, db); err != nil {
				return err
			}
		}
		_, err = db.Trusts(ctx, account, false)
		return err
	})
}
