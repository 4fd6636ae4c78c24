package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/spf13/cobra"

	"github.com/orgiam/orgiam/internal/access"
	"github.com/orgiam/orgiam/internal/evaluate"
	"github.com/orgiam/orgiam/internal/iamdata"
	"github.com/orgiam/orgiam/internal/snapshot"
)

func newSimulate(stdio IO) *cobra.Command {
	var f readFlags
	var cacheDir string
	var input, principal, action, resource, resourceAccount, format string
	var contextKV []string
	var explain bool
	cmd := &cobra.Command{
		Use:   "simulate --input FILE|- | --principal ARN --action A --resource ARN",
		Short: "Evaluate one request with AWS's policy evaluation logic",
		Long: `simulate decides one request as AWS would: explicit denies, SCPs from the root
down, RCPs, permissions boundary, session policy, identity and resource policies,
conditions and policy variables.

  orgiam simulate --input FILE|-     a pure request (JSON, below)
  orgiam simulate --principal ARN --action A --resource ARN [--context KEY=VALUE …]
                                     against the latest snapshot of --store: the
                                     principal's policies, boundary, its role's
                                     trust policy for sts:AssumeRole, the
                                     resource's stored policy (S3 bucket, KMS
                                     key, SQS, SNS, Lambda, Secrets Manager,
                                     ECR), and the organization's SCPs and
                                     RCPs when stored

The request: {"principal": ARN, "action": A, "resource": ARN, "resourceAccount": ID,
"context": {KEY: VALUE or [VALUES]}, "identityPolicies": [DOC…],
"permissionBoundary": DOC|null, "sessionPolicy": DOC|null, "resourcePolicy": DOC|null,
"scps": [[DOC…] per level from the root down], "rcps": [[DOC…] per level],
"unknownKeys": [KEY…], "managementAccount": ID}. Unknown fields are an error.

The decision is Allowed, ImplicitlyDenied, ExplicitlyDenied, or Conditional when
it depends on context keys that are not known (in a snapshot every key the
snapshot cannot know — source IP, MFA, time … — unless given with --context;
with --input the keys listed in "unknownKeys"). --explain says which statements
of which policies decided, level by level. --format json prints
{"decision": …, "unknownKeys": […], "matches": […], "explain": […]}.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if format != "" && format != "text" && format != "json" {
				return usageErr(fmt.Errorf("--format %q: text or json", format))
			}
			var d *evaluate.Decision
			var notes []string
			var names func(string) string // SCP and RCP levels' names (snapshot only)
			switch {
			case input != "":
				if principal != "" || action != "" || resource != "" || len(contextKV) > 0 {
					return usageErr(errors.New("--input takes the whole request: --principal, --action, --resource and --context go with a snapshot"))
				}
				req, err := readRequest(c.InOrStdin(), input)
				if err != nil {
					return err
				}
				if err := checkAction("--input "+input+": action", req.Action); err != nil {
					return err
				}
				notes = actionNotes(req.Action)
				if d, err = evaluate.Evaluate(req); err != nil {
					return usageErr(err)
				}
			case principal == "" || action == "":
				return usageErr(errors.New("give --input FILE, or --principal and --action (and --resource) to evaluate against a snapshot"))
			default:
				kv, err := parseContext(contextKV)
				if err != nil {
					return err
				}
				if resource == "" {
					resource = "*"
				}
				if resource != "*" && !strings.HasPrefix(resource, "arn:") {
					return usageErr(fmt.Errorf("--resource %q: not an ARN (or \"*\")", resource))
				}
				if err := checkAction("--action", action); err != nil {
					return err
				}
				defer access.GCForLoad()()
				o, err := loadOrg(c.Context(), &f, cacheDir)
				if err != nil {
					return err
				}
				p, ok := o.Principal(principal)
				if !ok {
					return usageErr(fmt.Errorf("--principal %s: no such user or role in run %s", principal, o.Run))
				}
				notes = append(actionNotes(action), orgNotes(o)...)
				names = o.LevelName
				as := ""
				if strings.Contains(principal, ":assumed-role/") {
					as = principal // resource policies may name this very session
				}
				if d, err = o.Simulate(p, access.Ask{Action: action, Resource: resource, ResourceAccount: resourceAccount, Context: kv, As: as}); err != nil {
					return usageErr(err)
				}
			}
			for _, n := range notes {
				fmt.Fprintln(stdio.Err, "orgiam: "+n)
			}
			for _, w := range dedupe(d.Warnings) {
				fmt.Fprintln(stdio.Err, "orgiam: warning: "+w)
			}
			return printDecision(stdio.Out, d, explain, format, names)
		},
	}
	f.register(cmd, "")
	cacheDirFlag(cmd, &cacheDir)
	cmd.Flags().StringVar(&input, "input", "", "request file (JSON), - for standard input")
	cmd.Flags().StringVar(&principal, "principal", "", "user or role ARN (or a role session ARN) of the snapshot")
	cmd.Flags().StringVar(&action, "action", "", "the action, service:Action")
	cmd.Flags().StringVar(&resource, "resource", "", "the resource ARN (default *)")
	cmd.Flags().StringVar(&resourceAccount, "resource-account", "", "the resource's account when its ARN does not say (S3)")
	cmd.Flags().StringArrayVar(&contextKV, "context", nil, "context key KEY=VALUE (repeat a key for several values)")
	cmd.Flags().BoolVar(&explain, "explain", false, "say why: the statements that applied and the steps of the evaluation")
	cmd.Flags().StringVar(&format, "format", "", "output format: text or json (default text)")
	return cmd
}

// readRequest reads and parses a request file; mistakes are usage errors
// naming the file and where in it.
func readRequest(stdin io.Reader, path string) (*evaluate.Request, error) {
	var data []byte
	var err error
	name := path
	if path == "-" {
		name = "standard input"
		data, err = io.ReadAll(stdin)
	} else {
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, usageErr(fmt.Errorf("--input: %w", err))
	}
	req, err := evaluate.ParseRequest(data)
	if err != nil {
		return nil, usageErr(fmt.Errorf("--input %s: %w", name, err))
	}
	return req, nil
}

func parseContext(kvs []string) (map[string][]string, error) {
	out := map[string][]string{}
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, usageErr(fmt.Errorf("--context %q: expected KEY=VALUE", kv))
		}
		out[k] = append(out[k], v)
	}
	return out, nil
}

func dedupe(ss []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// checkAction refuses a wildcard in a request's action: a request is for
// one action ("orgiam can" lists what a principal may do over many).
func checkAction(flag, action string) error {
	if strings.Count(action, ":") != 1 {
		return usageErr(fmt.Errorf("%s %q: expected service:Action", flag, action))
	}
	if strings.ContainsAny(action, "*?") {
		return usageErr(fmt.Errorf("%s %q: a request names one action, without wildcards (orgiam can PRINCIPAL --service S lists many)", flag, action))
	}
	return nil
}

// actionNotes warns about an action the catalogue does not know: it is
// still evaluated, literally.
func actionNotes(action string) []string {
	c, err := iamdata.Load()
	if err != nil {
		return []string{err.Error()}
	}
	var out []string
	if _, ok := c.Action(action); !ok {
		out = append(out, fmt.Sprintf("warning: action %s is not in the IAM catalogue (%s): evaluated literally", action, c.Source))
	}
	if svc, _, _ := strings.Cut(strings.ToLower(action), ":"); svc == "s3" || svc == "*" {
		out = append(out, s3Note)
	}
	return out
}

// s3Note says what of S3's access control the evaluator leaves out: it
// evaluates policies (bucket policies included) only, and S3 also decides
// by its own settings.
const s3Note = "note: S3 bucket policies are evaluated, S3 Block Public Access settings and S3 ACLs are not: an Allowed answer through a public bucket policy can still be blocked by Block Public Access, and access granted only by an ACL is not shown"

func orgNotes(o *access.Org) []string {
	var out []string
	switch {
	case !o.HasOrgPolicies && len(o.NoOrgPolicies) == 0:
		out = append(out, fmt.Sprintf("note: run %s holds no SCPs or RCPs: they are not part of this evaluation", o.Run))
	case len(o.NoOrgPolicies) > 0:
		// Runs made before orgiam read organization policies, or by a
		// list role that may not read them: unknown, not absent.
		out = append(out, fmt.Sprintf("note: run %s holds no SCPs or RCPs of %s %s: they are not part of this evaluation for %s accounts",
			o.Run, plural(len(o.NoOrgPolicies), "organization", "organizations"), strings.Join(o.NoOrgPolicies, ", "), plural(len(o.NoOrgPolicies), "its", "their")))
	}
	if n := len(o.Warnings); n > 0 {
		out = append(out, fmt.Sprintf("note: %d problems reading the snapshot (first: %s)", n, o.Warnings[0]))
	}
	return out
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// levelRef matches the evaluator's names of SCP and RCP levels in its
// explanation: "SCP level 2 (ou-ab12-34567890)".
var levelRef = regexp.MustCompile(`\b(SCP|RCP) level (\d+) \(([^)]+)\)`)

// levelLabel names a level by its target id: "OU Root/Workloads/Prod,
// ou-…", "account prod-app, 1111…", "root Root, r-…"; the id alone when
// the run does not name it.
func levelLabel(names func(string) string, id string) string {
	name := ""
	if names != nil {
		name = names(id)
	}
	switch {
	case name == "":
		return id
	case strings.HasPrefix(id, "r-"):
		return "root " + name + ", " + id
	case strings.HasPrefix(id, "ou-"):
		return "OU " + name + ", " + id
	}
	return "account " + name + ", " + id
}

// nameLevels rewrites the levels an explanation line names with their OU
// paths and account names: "SCP level 2 (OU Root/Workloads/Prod, ou-…)".
func nameLevels(names func(string) string, s string) string {
	if names == nil {
		return s
	}
	return levelRef.ReplaceAllStringFunc(s, func(m string) string {
		g := levelRef.FindStringSubmatch(m)
		return g[1] + " level " + g[2] + " (" + levelLabel(names, g[3]) + ")"
	})
}

// printDecision prints a decision; names, when not nil, names SCP and
// RCP levels by their target ids (access.Org.LevelName).
func printDecision(w io.Writer, d *evaluate.Decision, explain bool, format string, names func(string) string) error {
	if format == "json" {
		out := *d
		if !explain {
			out.Explain = nil
		} else if names != nil {
			out.Explain = make([]string, len(d.Explain))
			for i, s := range d.Explain {
				out.Explain[i] = nameLevels(names, s)
			}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	line := d.Decision
	if len(d.UnknownKeys) > 0 {
		line += " (depends on " + strings.Join(d.UnknownKeys, ", ") + ")"
	}
	fmt.Fprintln(w, line)
	if !explain {
		return nil
	}
	for _, s := range d.Explain {
		fmt.Fprintln(w, "  "+nameLevels(names, s))
	}
	for _, m := range d.Matches {
		where := m.Type
		if m.Type == "scp" || m.Type == "rcp" {
			where = fmt.Sprintf("%s level %d", strings.ToUpper(m.Type), m.Level)
			if m.LevelID != "" {
				where += " (" + levelLabel(names, m.LevelID) + ")"
			}
		}
		sid := ""
		if m.Sid != "" {
			sid = " " + m.Sid
		}
		extra := ""
		if m.Principal != "" {
			extra = ", principal matched as " + m.Principal
		}
		if m.Conditional {
			extra += ", if its conditions on unknown keys hold"
		}
		fmt.Fprintf(w, "  %s: %s statement %d%s: %s%s\n", where, m.Policy, m.Statement, sid, m.Effect, extra)
	}
	for _, s := range d.Warnings {
		fmt.Fprintln(w, "  warning: "+s)
	}
	return nil
}

// loadOrg opens the store and loads the run for the evaluator, through
// the model cache in cacheDir unless it is "" or "none".
func loadOrg(ctx context.Context, f *readFlags, cacheDir string) (*access.Org, error) {
	// The action catalogue, which every command that loads an organization
	// reads next (actionNotes, wildcard expansion), decodes meanwhile.
	go iamdata.Load()
	st, run, err := f.open(ctx, false)
	if err != nil {
		return nil, err
	}
	if cacheDir == "none" {
		cacheDir = ""
	}
	return access.LoadWith(ctx, snapshot.Reader{Store: st, Run: run}, access.LoadOptions{CacheDir: cacheDir})
}

// cacheDirFlag registers --cache-dir: where the evaluator keeps the
// decoded IAM data of complete runs (access.LoadOptions.CacheDir), by
// default the user's cache folder.
func cacheDirFlag(cmd *cobra.Command, v *string) {
	def := ""
	if d, err := os.UserCacheDir(); err == nil {
		def = filepath.Join(d, "orgiam")
	}
	cmd.Flags().StringVar(v, "cache-dir", def, "folder for the evaluator's cache of complete runs (\"none\": no cache)")
}
