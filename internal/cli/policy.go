package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/accessanalyzer"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/spf13/cobra"

	"github.com/orgiam/orgiam/internal/access"
	"github.com/orgiam/orgiam/internal/awsauth"
	"github.com/orgiam/orgiam/internal/config"
	"github.com/orgiam/orgiam/internal/iamdata"
	"github.com/orgiam/orgiam/internal/policygen"
	"github.com/orgiam/orgiam/internal/snapshot"
	"github.com/orgiam/orgiam/internal/store"
	"github.com/orgiam/orgiam/internal/tableout"
)

func newPolicy(stdio IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Least-privilege policies generated from CloudTrail activity",
	}
	cmd.AddCommand(newPolicyGenerate(stdio))
	cmd.AddCommand(newPolicyUnused(stdio))
	return cmd
}

type policyGenerateOptions struct {
	read                   readFlags
	principals             []string
	account                string
	allRoles               bool
	days                   int
	since, until           string
	cloudtrail, trailRole  string
	allow, deny, resources string
	includeDenied          bool
	outDir                 string
	gitURL, branch, path   string
	workers                int
	storeSet               bool
	accessAnalyzer         bool
	trailARN, accessRole   string
	analyzerRole           string
}

func newPolicyGenerate(stdio IO) *cobra.Command {
	var o policyGenerateOptions
	cmd := &cobra.Command{
		Use:   "generate --cloudtrail URL [--principal ARN ...] [--account ID --all-roles] [--days N | --since DATE --until DATE]",
		Short: "Generate least-privilege policies from what principals did, as CloudTrail recorded it",
		Long: `generate reads a CloudTrail trail (s3://bucket/prefix, or a local folder of
.json.gz/.json files), attributes each record to the IAM user or role that made
the call (every session of a role; cross-account calls recorded in the resource
account's trail too), maps events to IAM actions with the embedded catalogue and
a table of known mismatches, and writes one policy per principal, scoped to the
resources the events named (--resources), merged with --allow and --deny rules
(deny wins), split at the 6,144-character managed-policy limit.

Each policy comes with a report: the time range and files read, denied attempts,
events that could not be mapped, what CloudTrail cannot show (iam:PassRole, data
events the trail does not record) and, when the store holds a snapshot, the
actions attached policies grant today that were never used.

Output: --out DIR, else the store under the latest run (policies/<account>/
<principal-name>.json). --git URL commits the policies (one commit, never a
force push); credentials from ORGIAM_GIT_TOKEN (HTTPS) or ORGIAM_GIT_SSH_KEY.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			o.storeSet = c.Flags().Changed("store") || o.read.storeEnv != ""
			return runPolicyGenerate(c.Context(), stdio, &o)
		},
	}
	o.read.register(cmd, "")
	f := cmd.Flags()
	f.StringArrayVar(&o.principals, "principal", nil, "user or role ARN (repeatable; default: every principal seen)")
	f.StringVar(&o.account, "account", "", "account id (with --all-roles)")
	f.BoolVar(&o.allRoles, "all-roles", false, "every role of --account")
	f.IntVar(&o.days, "days", 0, "the last N days (default 90 when no --since)")
	f.StringVar(&o.since, "since", "", "first day, YYYY-MM-DD (UTC)")
	f.StringVar(&o.until, "until", "", "last day, YYYY-MM-DD (UTC, included; default today)")
	f.StringVar(&o.cloudtrail, "cloudtrail", "", "the trail: s3://bucket/prefix or a local folder")
	f.StringVar(&o.trailRole, "cloudtrail-role", "", "role ARN to assume to read the trail bucket (a log archive account)")
	f.StringVar(&o.allow, "allow", "", "allow rules: an IAM policy document or a JSON list of actions")
	f.StringVar(&o.deny, "deny", "", "deny rules: an IAM policy document or a JSON list of actions")
	f.StringVar(&o.resources, "resources", "service", "how far resource ARNs are generalised: exact, service or none")
	f.BoolVar(&o.includeDenied, "include-denied", false, "also grant actions whose calls were denied")
	f.StringVar(&o.outDir, "out", "", "write policies and reports to DIR instead of the store")
	f.StringVar(&o.gitURL, "git", "", "git repository URL to commit the policies to")
	f.StringVar(&o.branch, "branch", "main", "git branch")
	f.StringVar(&o.path, "path", "", "folder inside the git repository")
	f.BoolVar(&o.accessAnalyzer, "access-analyzer", false, "generate with IAM Access Analyzer instead of reading the trail (--trail-arn, --access-role)")
	f.StringVar(&o.trailARN, "trail-arn", "", "with --access-analyzer: the CloudTrail trail ARN")
	f.StringVar(&o.accessRole, "access-role", "", "with --access-analyzer: the role Access Analyzer assumes to read the trail (with --analyzer-role, a role name is that role in each principal's account)")
	f.StringVar(&o.analyzerRole, "analyzer-role", "", "with --access-analyzer: role name ([path/]name) assumed in each principal's account to run its generations there (default: the current credentials run them all)")
	f.IntVar(&o.workers, "workers", 0, "files read at once (default: the number of CPUs)")
	return cmd
}

func parseDay(flag, s string) (time.Time, error) {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return time.Time{}, usageErr(fmt.Errorf("--%s %q: expected YYYY-MM-DD", flag, s))
	}
	return t, nil
}

func runPolicyGenerate(ctx context.Context, stdio IO, o *policyGenerateOptions) error {
	switch {
	case o.accessAnalyzer && o.cloudtrail != "":
		return usageErr(errors.New("--access-analyzer and --cloudtrail: give one or the other"))
	case o.accessAnalyzer && (o.trailARN == "" || o.accessRole == ""):
		return usageErr(errors.New("--access-analyzer needs --trail-arn and --access-role"))
	case !o.accessAnalyzer && o.cloudtrail == "":
		return usageErr(errors.New("--cloudtrail: required (s3://bucket/prefix or a folder), or --access-analyzer"))
	case o.analyzerRole != "" && !o.accessAnalyzer:
		return usageErr(errors.New("--analyzer-role is for --access-analyzer"))
	case o.accessAnalyzer && o.analyzerRole == "" && !strings.HasPrefix(o.accessRole, "arn:"):
		return usageErr(fmt.Errorf("--access-role %q: an ARN (a role name only with --analyzer-role, which names the account)", o.accessRole))
	case strings.HasPrefix(o.analyzerRole, "arn:"):
		return usageErr(fmt.Errorf("--analyzer-role %q: a role name ([path/]name), assumed in each principal's account", o.analyzerRole))
	}
	level, err := policygen.ParseResourceLevel(o.resources)
	if err != nil {
		return usageErr(fmt.Errorf("--resources %v", err))
	}
	if o.allRoles != (o.account != "") {
		return usageErr(errors.New("--all-roles and --account go together"))
	}
	if o.allRoles && len(o.principals) > 0 {
		return usageErr(errors.New("--principal and --all-roles: give one or the other"))
	}
	var want []policygen.Principal
	keys := map[string]bool{}
	for _, p := range o.principals {
		pr, err := policygen.ParsePrincipal(p)
		if err != nil {
			return usageErr(fmt.Errorf("--principal: %v", err))
		}
		want = append(want, pr)
		keys[pr.Key()] = true
	}
	now := stdio.now()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	until := today.AddDate(0, 0, 1)
	if o.until != "" {
		u, err := parseDay("until", o.until)
		if err != nil {
			return err
		}
		until = u.AddDate(0, 0, 1)
	}
	var since time.Time
	switch {
	case o.since != "" && o.days != 0:
		return usageErr(errors.New("--days and --since: give one or the other"))
	case o.since != "":
		if since, err = parseDay("since", o.since); err != nil {
			return err
		}
	default:
		d := o.days
		if d == 0 {
			d = 90
		}
		if d < 0 {
			return usageErr(errors.New("--days: must be positive"))
		}
		since = until.AddDate(0, 0, -d)
	}
	if !since.Before(until) {
		return usageErr(fmt.Errorf("--since %s is after --until", since.Format("2006-01-02")))
	}
	if o.accessAnalyzer {
		if err := policygen.ValidateAnalyzerRange(since, until); err != nil {
			return usageErr(fmt.Errorf("--days/--since/--until: %v", err))
		}
	}
	cat, err := iamdata.Load()
	if err != nil {
		return err
	}
	rules, err := policygen.LoadRules(cat, o.allow, o.deny)
	if err != nil {
		return usageErr(err)
	}
	// Output checked before the trail is read, so a bad destination costs nothing.
	var st store.Store
	var run string
	// With --out, a snapshot is read only when --store is given: it is
	// what the gap (granted but unused) and unknown principals are judged
	// against.
	if o.outDir == "" || o.storeSet {
		st, run, err = o.read.open(ctx, false)
		if err != nil {
			return err
		}
	}
	var src policygen.Source
	if !o.accessAnalyzer {
		if src, err = trailSource(ctx, o); err != nil {
			return err
		}
	}
	var org *access.Org
	if st != nil && run != "" {
		org, err = access.Load(ctx, snapshot.Reader{Store: st, Run: run})
		if err != nil {
			return err
		}
		for i, p := range want {
			sp, ok := org.Principal(p.ARN)
			if !ok {
				return usageErr(fmt.Errorf("--principal %s: no such user or role in run %s", p.ARN, run))
			}
			want[i].ARN = sp.ARN
		}
		if o.allRoles {
			for _, p := range org.Principals {
				if p.Kind == "role" && p.Account != nil && p.Account.ID == o.account {
					pr, err := policygen.ParsePrincipal(p.ARN)
					if err == nil {
						want = append(want, pr)
					}
				}
			}
		}
	}
	var results []policygen.Result
	var trail policygen.TrailReport
	if o.accessAnalyzer {
		if len(want) == 0 {
			return usageErr(errors.New("--access-analyzer: name the principals (--principal, or --account with --all-roles and a snapshot in --store)"))
		}
		cfg, err := awsauth.LoadBase(ctx, awsauth.Options{Region: o.read.region, Profile: o.read.profile})
		if err != nil {
			return usageErr(err)
		}
		aopt := policygen.AnalyzerOptions{TrailARN: o.trailARN, AccessRole: o.accessRole, Since: since, Until: until}
		var out []policygen.AnalyzerResult
		if o.analyzerRole == "" {
			out, err = policygen.GenerateWithAnalyzer(ctx, accessanalyzer.NewFromConfig(cfg), want, aopt)
		} else {
			out, err = policygen.GenerateWithAnalyzerPerAccount(ctx, func(account string) policygen.AnalyzerAPI {
				return accessanalyzer.NewFromConfig(assumeIn(cfg, account, o.analyzerRole))
			}, func(account string) string {
				if strings.HasPrefix(o.accessRole, "arn:") {
					return o.accessRole
				}
				return roleIn(cfg, account, o.accessRole)
			}, want, aopt, 8) // accounts at once: each runs its own queue of jobs
		}
		if err != nil {
			return err
		}
		if results, err = policygen.AnalyzerResults(out, policygen.Options{Rules: rules, Since: since, Until: until, Resources: level}); err != nil {
			return err
		}
		trail = policygen.TrailReport{Source: "access-analyzer " + o.trailARN, Read: []string{}}
	} else {
		act, err := policygen.Read(ctx, src, cat, policygen.ReadOptions{Since: since, Until: until, Principals: keys, Account: o.account, Resources: level, Workers: o.workers})
		if err != nil {
			return usageErr(fmt.Errorf("--cloudtrail %s: %w", src, err))
		}
		trail = act.Trail(src.String(), since, until)
		results, err = policygen.Generate(act, want, policygen.Options{IncludeDenied: o.includeDenied, Rules: rules, Since: since, Until: until, Resources: level})
		if err != nil {
			return err
		}
	}
	if org != nil {
		for i, r := range results {
			p, ok := org.Principal(r.Principal.ARN)
			if !ok {
				continue
			}
			caps, err := org.Can(ctx, p, "")
			if err != nil {
				return err
			}
			var granted []string
			for _, c := range caps {
				granted = append(granted, c.Action)
			}
			results[i].Report.Unused = policygen.Gap(granted, r.Report.Actions)
		}
	}
	files := policygen.Files(results, trail)
	if err := writePolicies(ctx, o.outDir, st, run, files, now); err != nil {
		return err
	}
	if o.gitURL != "" {
		if err := commitPolicies(ctx, stdio, o, results); err != nil {
			return err
		}
	}
	for _, p := range trail.Problems {
		msg := p.Error
		if msg == "" {
			msg = fmt.Sprintf("%d bad records (first: %s)", p.BadRecords, p.FirstBad)
		}
		fmt.Fprintf(stdio.Err, "orgiam: %s: %s\n", p.Name, msg)
	}
	if src != nil {
		fmt.Fprintf(stdio.Err, "orgiam: read %d files (%d records, %d bad files, %d bad records) from %s\n", trail.Files, trail.Records, trail.BadFiles, trail.BadRecords, src)
	}
	rows := make([][]string, 0, len(results))
	for _, r := range results {
		rows = append(rows, []string{r.Principal.ARN, fmt.Sprint(r.Report.Events), fmt.Sprint(len(r.Report.Actions)), fmt.Sprint(len(r.Report.Denied)), fmt.Sprint(len(r.Report.Unmapped)), fmt.Sprint(len(r.Report.Unused)), fmt.Sprint(len(r.Policies)), r.Report.Note})
	}
	return tableout.Write(stdio.Out, "table", []string{"principal", "events", "actions", "denied", "unmapped", "unused", "parts", "note"}, rows)
}

// roleIn is the ARN of role ([path/]name) in account, in the partition of
// cfg's region.
func roleIn(cfg aws.Config, account, role string) string {
	path, name := "/", role
	if i := strings.LastIndexByte(role, '/'); i >= 0 {
		path, name = "/"+strings.Trim(role[:i], "/")+"/", role[i+1:]
	}
	return awsauth.RoleARN(awsauth.PartitionOfRegion(cfg.Region), account, path, name)
}

// assumeIn is cfg with the credentials of role assumed in account.
func assumeIn(cfg aws.Config, account, role string) aws.Config {
	c := cfg.Copy()
	c.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(cfg), roleIn(cfg, account, role), func(ao *stscreds.AssumeRoleOptions) {
		ao.RoleSessionName = awsauth.SessionName("access-analyzer")
	}))
	return c
}

func trailSource(ctx context.Context, o *policyGenerateOptions) (policygen.Source, error) {
	if !strings.HasPrefix(o.cloudtrail, "s3://") {
		if strings.Contains(o.cloudtrail, "://") {
			return nil, usageErr(fmt.Errorf("--cloudtrail %q: expected s3://bucket/prefix or a folder", o.cloudtrail))
		}
		fi, err := os.Stat(o.cloudtrail)
		if err != nil || !fi.IsDir() {
			return nil, usageErr(fmt.Errorf("--cloudtrail %s: not a folder", o.cloudtrail))
		}
		return policygen.Dir(o.cloudtrail), nil
	}
	bucket, prefix, err := policygen.ParseS3URL(o.cloudtrail)
	if err != nil {
		return nil, usageErr(fmt.Errorf("--cloudtrail: %v", err))
	}
	cfg, err := awsauth.LoadBase(ctx, awsauth.Options{Region: o.read.region, Profile: o.read.profile})
	if err != nil {
		return nil, usageErr(err)
	}
	if o.trailRole != "" {
		cfg = cfg.Copy()
		cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(cfg), o.trailRole, func(ao *stscreds.AssumeRoleOptions) {
			ao.RoleSessionName = awsauth.SessionName("cloudtrail")
		}))
	}
	client := s3.NewFromConfig(cfg, func(so *s3.Options) {
		if so.BaseEndpoint != nil || cfg.BaseEndpoint != nil {
			so.UsePathStyle = true
		}
	})
	src := policygen.S3Source{Client: client, Bucket: bucket, Prefix: prefix}
	// One listing call up front: an unreadable bucket is a usage error
	// named here, not a run that reads nothing.
	if _, err := client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix), MaxKeys: aws.Int32(1)}); err != nil {
		return nil, usageErr(fmt.Errorf("--cloudtrail %s: cannot list the bucket: %v", o.cloudtrail, err))
	}
	return src, nil
}

// writePolicies writes every file, or none that looks complete: files go
// to a staging folder renamed into place (a folder), or into the store
// under the run's policies/ prefix as one generation whose record is
// written last (policygen.WriteGeneration).
func writePolicies(ctx context.Context, outDir string, st store.Store, run string, files map[string][]byte, now time.Time) error {
	if outDir == "" {
		return policygen.WriteGeneration(ctx, st, run, files, now)
	}
	if err := os.MkdirAll(outDir, 0o700); err != nil {
		return usageErr(fmt.Errorf("--out: %w", err))
	}
	stage, err := os.MkdirTemp(outDir, ".policies-")
	if err != nil {
		return usageErr(fmt.Errorf("--out: %w", err))
	}
	defer os.RemoveAll(stage)
	for _, n := range policygen.SortedNames(files) {
		p := filepath.Join(stage, filepath.FromSlash(n))
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			return err
		}
		if err := os.WriteFile(p, files[n], 0o600); err != nil {
			return err
		}
	}
	for _, n := range policygen.SortedNames(files) {
		dst := filepath.Join(outDir, filepath.FromSlash(n))
		if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
			return err
		}
		if err := os.Rename(filepath.Join(stage, filepath.FromSlash(n)), dst); err != nil {
			return err
		}
	}
	return nil
}

// commitPolicies commits the policy documents (not the reports, whose
// time range changes every run: the repository is what CI applies).
func commitPolicies(ctx context.Context, stdio IO, o *policyGenerateOptions, results []policygen.Result) error {
	auth, err := policygen.GitAuth(o.gitURL, config.GitFromEnv(os.LookupEnv))
	if err != nil {
		return usageErr(err)
	}
	files := map[string][]byte{}
	var owners []string
	for _, r := range results {
		for k, v := range r.PolicyFiles() {
			files[k] = v
		}
		owners = append(owners, path.Join(r.Principal.Account, r.Principal.Name))
	}
	res, err := policygen.Commit(ctx, policygen.GitOptions{URL: o.gitURL, Branch: o.branch, Path: o.path, Auth: auth, Now: stdio.now}, files, owners)
	if err != nil {
		if errors.Is(err, policygen.ErrGitAuth) {
			return usageErr(fmt.Errorf("--git %s: %v", o.gitURL, err))
		}
		return fmt.Errorf("--git %s: %w", o.gitURL, err)
	}
	if res.Hash == "" {
		fmt.Fprintf(stdio.Err, "orgiam: %s: policies unchanged, nothing committed\n", o.gitURL)
	} else {
		fmt.Fprintf(stdio.Err, "orgiam: %s: committed %s (%d changed, %d removed)\n", o.gitURL, res.Hash[:12], len(res.Changed), len(res.Removed))
	}
	return nil
}
