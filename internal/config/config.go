// Package config holds orgiam's settings. One table of fields drives the
// command-line flags, the ORGIAM_* environment variables, the YAML config file
// keys and the commented file `orgiam init` writes. Precedence: flags, then
// environment, then the file, then defaults.
package config

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/agext/levenshtein"
	"github.com/spf13/pflag"
	"gopkg.in/yaml.v3"

	"github.com/orgiam/orgiam/internal/iamarn"
	"github.com/orgiam/orgiam/internal/regions"
	"github.com/orgiam/orgiam/internal/store"
)

// Config is every setting of a run.
type Config struct {
	OrgRoles         []string
	CollectRole      string
	CollectRolePath  string
	InitialRole      string
	ListInitialRole  string
	ListInitialIsSet bool // ListInitialRole was given (even empty); otherwise InitialRole is used
	ExternalID       string
	Accounts         []string
	ExcludeAccounts  []string
	OUs              []string
	// Regions is the --regions value: all-enabled or a comma list
	// (RegionSelection parses it).
	Regions string
	// Collectors are the --collectors names (empty: every collector); the
	// pipeline checks them against its collectors (Env.Collectors).
	Collectors     []string
	Store          string
	Date           string
	RunID          string
	Overwrite      bool
	Concurrency    int
	RateLimit      float64
	RateControl    string
	AccountTimeout time.Duration
	Region         string
	Profile        string

	CredentialReport         bool
	CredentialReportMaxPolls int
	CredentialReportWait     time.Duration

	Index   bool
	Reports bool
	Notify  []string
	// NotifyOnDriftOnly sends the notification only when the run changed
	// something since the previous complete run.
	NotifyOnDriftOnly bool

	// Mutelist is the YAML file of accepted findings (--mutelist); FailOn
	// the lowest severity whose unmuted FAIL findings fail the run
	// (--fail-on high|medium|low; "" never).
	Mutelist string
	FailOn   string

	LogFormat string
	Quiet     bool

	// The config-report Lambda handler (users report from an AWS Config
	// aggregator); see configreport.go.
	ConfigAggregator       string
	ConfigAggregatorRegion string
	ConfigReportPrefix     string

	// Debug turns on debug logs (ORGIAM_DEBUG, any value but "").
	Debug string
	// Git holds policy generate's git credentials (policygen.GitAuth).
	Git GitCredentials
	// Lambda: the handler a function serves (ORGIAM_HANDLER); a file store
	// allowed ("true", tests); the local invoke server's debug output.
	Handler, AllowFileStore, DebugInvoke string

	// sources names where each field's value came from (flag name → the
	// flag, variable or file:line), so errors point at what the user wrote.
	sources map[string]string
}

// source is where the field with this flag name was set ("--" + flag by default).
func (c *Config) source(flag string) string {
	if s, ok := c.sources[flag]; ok {
		return s
	}
	return "--" + flag
}

func (c *Config) setSource(f Field, src string) {
	if c.sources == nil {
		c.sources = map[string]string{}
	}
	c.sources[f.FlagName()] = src
}

// GitCredentials are the git remote's credentials of policy generate: a
// token for HTTPS (user default x-access-token), or a private key file for
// SSH with its password. Set only through the environment (EnvOnly fields).
type GitCredentials struct {
	Token, User, SSHKey, SSHKeyPassword string
}

// Kind of a field's value.
type Kind int

const (
	String Kind = iota
	List
	Int
	Float
	Bool
	Duration
)

// Field is one setting: its flag name is also its YAML key; its environment
// variable is ORGIAM_ + the name upper-cased with '-' as '_'.
type Field struct {
	Name    string
	Kind    Kind
	Default string
	Usage   string
	// Flag is the flag name when it differs from Name (--org-role for org-roles).
	Flag string
	// Secret values (webhook URLs carry tokens) are never put in a message,
	// and their items are split only before a new target's scheme, so a
	// comma inside a URL stays in it.
	Secret bool
	// EnvOnly fields are set only through their variable: no flag, no
	// config-file key (a git token never sits in a file, and debug logs are
	// a property of the process), documented by `orgiam init` as a comment.
	EnvOnly bool
	ptr     func(*Config) any
}

// FlagName is the command-line flag of the field.
func (f Field) FlagName() string {
	if f.Flag != "" {
		return f.Flag
	}
	return f.Name
}

// EnvName is the field's environment variable.
func (f Field) EnvName() string {
	return "ORGIAM_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
}

// Fields lists every setting in the order `orgiam init` documents them.
var Fields = []Field{
	{Name: "org-roles", Flag: "org-role", Kind: List, Usage: "role ARN that can call organizations:ListAccounts, one per organization (repeatable); none = scan only the account of the current credentials", ptr: func(c *Config) any { return &c.OrgRoles }},
	{Name: "collect-role", Kind: String, Default: "orgiam-collect", Usage: "role name assumed in every target account", ptr: func(c *Config) any { return &c.CollectRole }},
	{Name: "collect-role-path", Kind: String, Default: "/", Usage: "path of the collect role", ptr: func(c *Config) any { return &c.CollectRolePath }},
	{Name: "initial-role", Kind: String, Usage: "optional intermediate role ARN assumed first, from which the list and collect roles are assumed", ptr: func(c *Config) any { return &c.InitialRole }},
	{Name: "list-initial-role", Kind: String, Usage: "intermediate role ARN for listing organizations only (default: initial-role; set to \"\" for none)", ptr: func(c *Config) any { return &c.ListInitialRole }},
	{Name: "external-id", Kind: String, Usage: "external id passed on every AssumeRole into target accounts", ptr: func(c *Config) any { return &c.ExternalID }},
	{Name: "accounts", Kind: List, Usage: "only these account ids (comma list)", ptr: func(c *Config) any { return &c.Accounts }},
	{Name: "exclude-accounts", Kind: List, Usage: "leave out these account ids (comma list)", ptr: func(c *Config) any { return &c.ExcludeAccounts }},
	{Name: "ous", Kind: List, Usage: "only accounts under these OU ids, nested OUs included (comma list)", ptr: func(c *Config) any { return &c.OUs }},
	{Name: "regions", Kind: String, Default: "all-enabled", Usage: "regions whose resource policies are collected: all-enabled (every region enabled in each account, read with ec2:DescribeRegions) or a comma list such as us-east-1,eu-west-1 (a listed region not enabled in an account is skipped there)", ptr: func(c *Config) any { return &c.Regions }},
	{Name: "collectors", Kind: List, Usage: "only these collectors (comma list; default: all): iam, credential-report, server-certificates, security-contact, regions, s3, kms, sqs, sns, lambda, secretsmanager, ecr, access-analyzer; a regional one brings regions with it (e.g. iam,credential-report for IAM alone)", ptr: func(c *Config) any { return &c.Collectors }},
	{Name: "store", Kind: String, Default: "./orgiam-data", Usage: "where snapshots go: a folder path, file:///path, or s3://bucket/prefix[?region=R&sse=aws:kms&kms-key=K]", ptr: func(c *Config) any { return &c.Store }},
	{Name: "date", Kind: String, Usage: "snapshot date YYYY-MM-DD (default today, UTC)", ptr: func(c *Config) any { return &c.Date }},
	{Name: "run-id", Kind: String, Usage: "run id, for more than one run a day (the run goes to <date>/<run-id>/)", ptr: func(c *Config) any { return &c.RunID }},
	{Name: "overwrite", Kind: Bool, Default: "false", Usage: "replace a complete run of the same date and run id", ptr: func(c *Config) any { return &c.Overwrite }},
	{Name: "concurrency", Kind: Int, Default: "50", Usage: "accounts scanned at once", ptr: func(c *Config) any { return &c.Concurrency }},
	{Name: "rate-limit", Kind: Float, Default: "none", Usage: "optional hard ceiling on IAM, STS and Organizations calls per second, shared by all workers (none: no ceiling; the rate adapts to AWS's throttling either way)", ptr: func(c *Config) any { return &c.RateLimit }},
	{Name: "rate-control", Kind: String, Default: "adaptive", Usage: "adaptive: one rate per origin account, raised while calls succeed and cut on throttling, throttles absorbed; off: no pacing beyond rate-limit, throttles left to the SDK's retries (for comparison)", ptr: func(c *Config) any { return &c.RateControl }},
	{Name: "account-timeout", Kind: Duration, Default: "15m", Usage: "time allowed to scan one account", ptr: func(c *Config) any { return &c.AccountTimeout }},
	{Name: "region", Kind: String, Usage: "AWS region for STS and Organizations calls (default: from the AWS config, else us-east-1)", ptr: func(c *Config) any { return &c.Region }},
	{Name: "profile", Kind: String, Usage: "AWS shared config profile for the base credentials (default: the SDK's chain)", ptr: func(c *Config) any { return &c.Profile }},
	{Name: "credential-report", Kind: Bool, Default: "true", Usage: "collect each account's IAM credential report", ptr: func(c *Config) any { return &c.CredentialReport }},
	{Name: "credential-report-max-polls", Kind: Int, Default: "45", Usage: "polls of GetCredentialReport before an account's report is given up", ptr: func(c *Config) any { return &c.CredentialReportMaxPolls }},
	{Name: "credential-report-wait", Kind: Duration, Default: "2s", Usage: "first wait between credential report polls (backs off to 30s)", ptr: func(c *Config) any { return &c.CredentialReportWait }},
	{Name: "index", Kind: Bool, Default: "true", Usage: "build index.sqlite after the scan", ptr: func(c *Config) any { return &c.Index }},
	{Name: "reports", Kind: Bool, Default: "true", Usage: "write the reports under reports/ after the scan", ptr: func(c *Config) any { return &c.Reports }},
	{Name: "notify", Kind: List, Secret: true, Usage: "where to send the run summary: sns:TOPIC-ARN, webhook:URL or webhook:env:VAR (repeatable)", ptr: func(c *Config) any { return &c.Notify }},
	{Name: "notify-on-drift-only", Kind: Bool, Default: "false", Usage: "notify only when something changed since the previous complete run (reports/diff.json)", ptr: func(c *Config) any { return &c.NotifyOnDriftOnly }},
	{Name: "mutelist", Kind: String, Usage: "YAML file of accepted findings (account, principal, check and resource globs, reason, expiry): they are reported as muted and not counted", ptr: func(c *Config) any { return &c.Mutelist }},
	{Name: "fail-on", Kind: String, Usage: "exit 4 when FAIL findings of this severity or higher remain unmuted: high, medium or low (default: never)", ptr: func(c *Config) any { return &c.FailOn }},
	{Name: "log-format", Kind: String, Default: "text", Usage: "log format: text or json", ptr: func(c *Config) any { return &c.LogFormat }},
	{Name: "quiet", Kind: Bool, Default: "false", Usage: "only warnings and errors, no progress bar", ptr: func(c *Config) any { return &c.Quiet }},
	{Name: "config-aggregator", Kind: String, Usage: "config-report handler: name of the organization-wide AWS Config aggregator the users report is read from", ptr: func(c *Config) any { return &c.ConfigAggregator }},
	{Name: "config-aggregator-region", Kind: String, Usage: "config-report handler: region of the Config aggregator (default: the function's region)", ptr: func(c *Config) any { return &c.ConfigAggregatorRegion }},
	{Name: "config-report-prefix", Kind: String, Default: "config-reports", Usage: "config-report handler: store folder the reports go under, as <prefix>/<YYYY-MM-DD>/users.{csv,json,html}", ptr: func(c *Config) any { return &c.ConfigReportPrefix }},
	{Name: "debug", Kind: String, EnvOnly: true, Usage: "debug logs when set to any value", ptr: func(c *Config) any { return &c.Debug }},
	{Name: "git-token", Kind: String, EnvOnly: true, Secret: true, Usage: "policy generate --git-url: token for an HTTPS remote", ptr: func(c *Config) any { return &c.Git.Token }},
	{Name: "git-user", Kind: String, EnvOnly: true, Usage: "policy generate --git-url: user name sent with the token (default x-access-token)", ptr: func(c *Config) any { return &c.Git.User }},
	{Name: "git-ssh-key", Kind: String, EnvOnly: true, Usage: "policy generate --git-url: private key file for an SSH remote", ptr: func(c *Config) any { return &c.Git.SSHKey }},
	{Name: "git-ssh-key-password", Kind: String, EnvOnly: true, Secret: true, Usage: "policy generate --git-url: password of the SSH key", ptr: func(c *Config) any { return &c.Git.SSHKeyPassword }},
	{Name: "handler", Kind: String, EnvOnly: true, Usage: "Lambda functions: the pipeline step the function serves (set by the deployment)", ptr: func(c *Config) any { return &c.Handler }},
	{Name: "allow-file-store", Kind: String, EnvOnly: true, Usage: "Lambda functions: \"true\" accepts a folder as the store (tests; the functions share no disk)", ptr: func(c *Config) any { return &c.AllowFileStore }},
	{Name: "debug-invoke", Kind: String, EnvOnly: true, Usage: "the local Lambda invoke server (tests): log every invocation when set to any value", ptr: func(c *Config) any { return &c.DebugInvoke }},
}

// EnvValue is the value of the field name's variable (its alias too) for
// code that does not load the whole configuration (the logger, policy
// generate's git credentials): "" when unset. lookup is os.LookupEnv in
// production. It panics for a name the table does not hold, so no variable
// is read without being declared here.
func EnvValue(name string, lookup func(string) (string, bool)) string {
	f, ok := FieldByName(name)
	if !ok {
		panic("config: no field " + name)
	}
	for _, v := range []string{f.EnvName(), f.EnvAlias()} {
		if v == "" {
			continue
		}
		if val, ok := lookup(v); ok && val != "" {
			return val
		}
	}
	return ""
}

// GitFromEnv reads policy generate's git credentials from their variables.
func GitFromEnv(lookup func(string) (string, bool)) GitCredentials {
	return GitCredentials{
		Token:          EnvValue("git-token", lookup),
		User:           EnvValue("git-user", lookup),
		SSHKey:         EnvValue("git-ssh-key", lookup),
		SSHKeyPassword: EnvValue("git-ssh-key-password", lookup),
	}
}

// EnvAlias is the variable named after the flag when the flag's name differs
// from the field's (ORGIAM_ORG_ROLE for --org-role): it is honoured too, since
// that is the name a user derives from the flag.
func (f Field) EnvAlias() string {
	if f.Flag == "" || f.Flag == f.Name {
		return ""
	}
	return "ORGIAM_" + strings.ToUpper(strings.ReplaceAll(f.Flag, "-", "_"))
}

// FieldByName finds a field by its YAML key.
func FieldByName(name string) (Field, bool) {
	for _, f := range Fields {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// Error is a configuration error: it names the source (flag, environment
// variable, file and line) and the field.
type Error struct {
	Source string // "--concurrency", "ORGIAM_CONCURRENCY", "orgiam.yaml:12"
	Msg    string
}

func (e *Error) Error() string { return e.Source + ": " + e.Msg }

// Defaults returns a Config with every default applied.
func Defaults() *Config {
	c := &Config{}
	for _, f := range Fields {
		if err := set(c, f, f.Default); err != nil {
			panic(fmt.Sprintf("config: default of %s: %v", f.Name, err))
		}
	}
	c.ListInitialIsSet = false
	return c
}

func set(c *Config, f Field, v string) error {
	switch p := f.ptr(c).(type) {
	case *string:
		*p = v
		if f.Name == "list-initial-role" {
			c.ListInitialIsSet = true
		}
	case *[]string:
		// "" is an empty list; "a,,b" or "," is a slip that must not widen
		// the scope to everything.
		items := strings.Split(v, ",")
		if f.Secret {
			items = splitTargets(v)
		}
		if strings.TrimSpace(v) != "" {
			for i, it := range items {
				if strings.TrimSpace(it) == "" {
					if f.Secret {
						return fmt.Errorf("item %d of %d is empty", i+1, len(items))
					}
					return fmt.Errorf("%q has an empty item", v)
				}
			}
		}
		*p = nil
		for _, it := range items {
			if it = strings.TrimSpace(it); it != "" {
				*p = append(*p, it)
			}
		}
	case *int:
		if v == "" {
			*p = 0
			return nil
		}
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return fmt.Errorf("%q is not a whole number", v)
		}
		*p = n
	case *float64:
		// A Float field is an optional positive ceiling: "none" (or empty)
		// is no ceiling and is stored as 0; an explicit 0, a negative
		// number, NaN or Inf is a mistake, not a way to say "none".
		t := strings.TrimSpace(v)
		if t == "" || strings.EqualFold(t, "none") {
			*p = 0
			return nil
		}
		n, err := strconv.ParseFloat(t, 64)
		if err != nil {
			return fmt.Errorf("%q is not a number (or none)", v)
		}
		if n <= 0 || math.IsNaN(n) || math.IsInf(n, 0) {
			return fmt.Errorf("%s: give a number more than 0, or none for no ceiling", t)
		}
		*p = n
	case *bool:
		if v == "" {
			*p = false
			return nil
		}
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			return fmt.Errorf("%q is not true or false", v)
		}
		*p = b
	case *time.Duration:
		if v == "" {
			*p = 0
			return nil
		}
		d, err := time.ParseDuration(strings.TrimSpace(v))
		if err != nil {
			return fmt.Errorf("%q is not a duration (e.g. 30s, 15m)", v)
		}
		*p = d
	default:
		return fmt.Errorf("unsupported field type %T", p)
	}
	return nil
}

// splitTargets splits a list of notify targets at the commas that start a
// new target (one followed by "sns:" or "webhook:").
func splitTargets(v string) []string {
	var out []string
	start := 0
	for i := 0; i < len(v); i++ {
		if v[i] != ',' {
			continue
		}
		next := strings.TrimLeft(v[i+1:], " ")
		if next == "" || strings.HasPrefix(next, ",") || strings.HasPrefix(next, "sns:") || strings.HasPrefix(next, "webhook:") {
			out = append(out, v[start:i])
			start = i + 1
		}
	}
	return append(out, v[start:])
}

func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// RegisterFlags adds every field as a flag to fs (defaults shown in help).
func RegisterFlags(fs *pflag.FlagSet) {
	d := Defaults()
	for _, f := range Fields {
		if f.EnvOnly {
			continue
		}
		name := f.FlagName()
		usage := f.Usage + " [env " + f.EnvName() + "]"
		switch p := f.ptr(d).(type) {
		case *string:
			fs.String(name, *p, usage)
		case *[]string:
			// StringArray, not StringSlice: StringSlice parses each value as
			// CSV, and a stray quote makes pflag print the whole value (a
			// webhook token) in its error. Commas are split by set().
			fs.StringArray(name, *p, usage)
		case *int:
			fs.Int(name, *p, usage)
		case *float64:
			// A string flag, so that "none" is accepted.
			fs.String(name, f.Default, usage)
		case *bool:
			fs.Bool(name, *p, usage)
		case *time.Duration:
			fs.Duration(name, *p, usage)
		}
	}
	fs.String("config", "", "YAML config file (see `orgiam init`) [env ORGIAM_CONFIG]")
}

// Load builds the Config: defaults, then the file (--config or ORGIAM_CONFIG),
// then ORGIAM_* environment variables, then the flags that were set. lookup
// is os.LookupEnv in production; a variable set to "" counts as set (so
// ORGIAM_LIST_INITIAL_ROLE="" means "no intermediate role for listing").
func Load(fs *pflag.FlagSet, lookup func(string) (string, bool)) (*Config, error) {
	c := Defaults()
	file := ""
	if fs != nil {
		if fl := fs.Lookup("config"); fl != nil && fl.Changed {
			file = fl.Value.String()
		}
	}
	if file == "" {
		file, _ = lookup("ORGIAM_CONFIG")
	}
	if file != "" {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, &Error{Source: "--config", Msg: fmt.Sprintf("cannot read %s: %v", file, err)}
		}
		if err := applyYAML(c, file, data); err != nil {
			return nil, err
		}
	}
	for _, f := range Fields {
		name := f.EnvName()
		v, ok := lookup(name)
		if alias := f.EnvAlias(); alias != "" {
			if av, aok := lookup(alias); aok {
				if ok {
					return nil, &Error{Source: alias, Msg: fmt.Sprintf("set together with %s: set one of them", name)}
				}
				name, v, ok = alias, av, true
			}
		}
		if !ok {
			continue
		}
		if err := set(c, f, v); err != nil {
			return nil, &Error{Source: name, Msg: err.Error()}
		}
		c.setSource(f, name)
	}
	if fs != nil {
		for _, f := range Fields {
			fl := fs.Lookup(f.FlagName())
			if fl == nil || !fl.Changed {
				continue
			}
			var v string
			if sv, ok := fl.Value.(pflag.SliceValue); ok {
				items := sv.GetSlice()
				if len(items) == 0 {
					return nil, &Error{Source: "--" + f.FlagName(), Msg: "empty list (leave the flag out for none)"}
				}
				for i, it := range items {
					if strings.TrimSpace(it) == "" {
						msg := fmt.Sprintf("%q has an empty item", strings.Join(items, ","))
						if f.Secret {
							msg = fmt.Sprintf("value %d of %d is empty", i+1, len(items))
						}
						return nil, &Error{Source: "--" + f.FlagName(), Msg: msg}
					}
				}
				v = strings.Join(items, ",")
			} else {
				v = fl.Value.String()
			}
			if err := set(c, f, v); err != nil {
				return nil, &Error{Source: "--" + f.FlagName(), Msg: err.Error()}
			}
			c.setSource(f, "--"+f.FlagName())
		}
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

func applyYAML(c *Config, file string, data []byte) error {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return &Error{Source: file, Msg: "not valid YAML: " + err.Error()}
	}
	if len(root.Content) == 0 {
		return nil // empty file
	}
	m := root.Content[0]
	if m.Kind != yaml.MappingNode {
		return &Error{Source: fmt.Sprintf("%s:%d", file, m.Line), Msg: "expected a mapping of settings (key: value)"}
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		src := fmt.Sprintf("%s:%d", file, k.Line)
		// yaml.v3 keeps both entries of a duplicate key in a node tree; a
		// second value silently winning is a trap, so it is refused.
		if first, dup := seen[k.Value]; dup {
			return &Error{Source: src, Msg: fmt.Sprintf("setting %q appears twice (first at line %d)", k.Value, first)}
		}
		seen[k.Value] = k.Line
		f, ok := FieldByName(k.Value)
		if !ok {
			return &Error{Source: src, Msg: fmt.Sprintf("unknown setting %q%s", k.Value, suggest(k.Value))}
		}
		if f.EnvOnly {
			return &Error{Source: src, Msg: fmt.Sprintf("%s is set only through the environment variable %s, not in a file", f.Name, f.EnvName())}
		}
		var val string
		switch v.Kind {
		case yaml.ScalarNode:
			val = v.Value
			if v.Tag == "!!null" {
				val = ""
			}
		case yaml.SequenceNode:
			if f.Kind != List {
				return &Error{Source: src, Msg: fmt.Sprintf("%s takes a single value, not a list", f.Name)}
			}
			var items []string
			for _, it := range v.Content {
				if it.Kind != yaml.ScalarNode {
					return &Error{Source: fmt.Sprintf("%s:%d", file, it.Line), Msg: fmt.Sprintf("%s: list items must be strings", f.Name)}
				}
				if strings.TrimSpace(it.Value) == "" || (strings.Contains(it.Value, ",") && !f.Secret) {
					return &Error{Source: fmt.Sprintf("%s:%d", file, it.Line), Msg: fmt.Sprintf("%s: %q: an empty item, or a comma inside an item", f.Name, it.Value)}
				}
				items = append(items, it.Value)
			}
			val = strings.Join(items, ",")
		default:
			return &Error{Source: src, Msg: fmt.Sprintf("%s: expected a value", f.Name)}
		}
		if err := set(c, f, val); err != nil {
			return &Error{Source: src, Msg: f.Name + ": " + err.Error()}
		}
		c.setSource(f, src)
	}
	return nil
}

func suggest(key string) string {
	best, bestD := "", 4
	for _, f := range Fields {
		if f.EnvOnly {
			continue
		}
		if d := levenshtein.Distance(key, f.Name, nil); d < bestD {
			best, bestD = f.Name, d
		}
	}
	if best == "" {
		return " (see `orgiam init` for every setting)"
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

var (
	roleNameRe = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
	rolePathRe = regexp.MustCompile(`^/([\x21-\x7e]+/)?$`)
	ouRe       = regexp.MustCompile(`^(ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}|r-[0-9a-z]{4,32})$`)
	extIDRe    = regexp.MustCompile(`^[\w+=,.@:/-]+$`)
	regionRe   = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d{1,2}$`)
)

// ParseRoleARN checks an IAM role ARN and returns its partition and account.
func ParseRoleARN(arn string) (partition, account string, ok bool) {
	a, ok := iamarn.ParseRole(arn)
	if !ok {
		return "", "", false
	}
	return a.Partition, a.AccountID, true
}

// Validate checks every field and returns the first problem as an *Error
// naming the flag.
func (c *Config) Validate() error {
	bad := func(field, msg string) error { return &Error{Source: c.source(field), Msg: msg} }
	switch c.FailOn {
	case "", "high", "medium", "low":
	default:
		return bad("fail-on", fmt.Sprintf("%q: expected high, medium or low", c.FailOn))
	}
	for _, r := range c.OrgRoles {
		if _, _, ok := ParseRoleARN(r); !ok {
			return bad("org-role", fmt.Sprintf("%q is not an IAM role ARN (expected arn:aws:iam::123456789012:role/NAME)", r))
		}
	}
	for _, pair := range [][2]string{{"initial-role", c.InitialRole}, {"list-initial-role", c.ListInitialRole}} {
		if pair[1] != "" {
			if _, _, ok := ParseRoleARN(pair[1]); !ok {
				return bad(pair[0], fmt.Sprintf("%q is not an IAM role ARN (expected arn:aws:iam::123456789012:role/NAME)", pair[1]))
			}
		}
	}
	if !roleNameRe.MatchString(c.CollectRole) {
		return bad("collect-role", fmt.Sprintf("%q is not a valid role name (1-64 of letters, digits and +=,.@_-)", c.CollectRole))
	}
	if !rolePathRe.MatchString(c.CollectRolePath) {
		return bad("collect-role-path", fmt.Sprintf("%q is not a valid IAM path (it starts and ends with '/', e.g. / or /security/)", c.CollectRolePath))
	}
	if c.ExternalID != "" && (len(c.ExternalID) < 2 || len(c.ExternalID) > 1224 || !extIDRe.MatchString(c.ExternalID)) {
		return bad("external-id", "must be 2-1224 characters of letters, digits and +=,.@:/-")
	}
	for _, pair := range []struct {
		name string
		ids  []string
	}{{"accounts", c.Accounts}, {"exclude-accounts", c.ExcludeAccounts}} {
		for _, id := range pair.ids {
			if !store.ValidAccountID(id) {
				return bad(pair.name, fmt.Sprintf("%q is not an AWS account id (12 digits)", id))
			}
		}
	}
	for _, ou := range c.OUs {
		if !ouRe.MatchString(ou) {
			return bad("ous", fmt.Sprintf("%q is not an OU id (ou-xxxx-xxxxxxxx) or root id (r-xxxx)", ou))
		}
	}
	if _, err := regions.Parse(c.Regions); err != nil {
		return bad("regions", err.Error())
	}
	if _, err := store.ParseURL(c.Store); err != nil {
		return bad("store", err.Error())
	}
	if c.Date != "" && !store.ValidDate(c.Date) {
		return bad("date", fmt.Sprintf("%q is not a date in the form YYYY-MM-DD", c.Date))
	}
	if c.RunID != "" && !store.ValidRunID(c.RunID) {
		return bad("run-id", fmt.Sprintf("%q is not valid (letters, digits, '.', '_' and '-', at most 64)", c.RunID))
	}
	if store.ReservedRunID(c.RunID) {
		return bad("run-id", fmt.Sprintf("%q is reserved: a run's own folders are %s", c.RunID, strings.Join(store.RunLevelDirs, ", ")))
	}
	if c.Concurrency < 1 || c.Concurrency > 1000 {
		return bad("concurrency", fmt.Sprintf("%d is out of range (1 to 1000)", c.Concurrency))
	}
	if c.RateLimit < 0 || math.IsNaN(c.RateLimit) || math.IsInf(c.RateLimit, 0) {
		return bad("rate-limit", fmt.Sprintf("%v: give a number of calls per second more than 0, or none for no ceiling", c.RateLimit))
	}
	if c.RateControl != "adaptive" && c.RateControl != "off" {
		return bad("rate-control", fmt.Sprintf("%q: expected adaptive or off", c.RateControl))
	}
	if c.AccountTimeout < time.Second {
		return bad("account-timeout", fmt.Sprintf("%v is too short (at least 1s)", c.AccountTimeout))
	}
	if c.CredentialReportMaxPolls < 1 {
		return bad("credential-report-max-polls", "must be at least 1")
	}
	if c.CredentialReportWait <= 0 {
		return bad("credential-report-wait", "must be more than 0")
	}
	for i, n := range c.Notify {
		if !strings.HasPrefix(n, "sns:") && !strings.HasPrefix(n, "webhook:") {
			// The value is not shown: it may be a URL with a token in it.
			return bad("notify", fmt.Sprintf("target %d of %d does not start with sns: or webhook: (expected sns:TOPIC-ARN, webhook:URL or webhook:env:VAR)", i+1, len(c.Notify)))
		}
	}
	if c.Region != "" && !regionRe.MatchString(c.Region) {
		return bad("region", fmt.Sprintf("%q is not an AWS region name (e.g. us-east-1, eu-west-3)", c.Region))
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		return bad("log-format", fmt.Sprintf("%q: expected text or json", c.LogFormat))
	}
	return c.validateConfigReport()
}

// FieldError is an error about the value of the named field, with where
// that value came from (flag, variable, or file and line): for checks made
// outside this package, such as the collector names.
func (c *Config) FieldError(field, msg string) error {
	return &Error{Source: c.source(field), Msg: msg}
}

// RegionSelection is the parsed --regions value (Validate has refused a
// value that does not parse; a Config built in code may still hold one).
func (c *Config) RegionSelection() (regions.Selection, error) {
	sel, err := regions.Parse(c.Regions)
	if err != nil {
		return sel, &Error{Source: c.source("regions"), Msg: err.Error()}
	}
	return sel, nil
}

// ListInitial is the intermediate role for listing organizations.
func (c *Config) ListInitial() string {
	if c.ListInitialIsSet {
		return c.ListInitialRole
	}
	return c.InitialRole
}

// Template is the commented YAML `orgiam init` writes: every setting with its
// default, commented out where the default applies.
func Template() []byte {
	var b bytes.Buffer
	b.WriteString("# orgiam configuration. Every key is also a flag (--KEY) and an environment\n")
	b.WriteString("# variable (ORGIAM_KEY, upper-case, '-' as '_'). Flags win over the environment,\n")
	b.WriteString("# the environment over this file. Lists take YAML lists or comma-separated strings.\n\n")
	for _, f := range Fields {
		if f.EnvOnly {
			fmt.Fprintf(&b, "# %s\n# env %s only (no flag, no key in this file)\n\n", f.Usage, f.EnvName())
			continue
		}
		fmt.Fprintf(&b, "# %s\n# env %s, flag --%s\n", f.Usage, f.EnvName(), f.FlagName())
		switch {
		case f.Kind == List:
			fmt.Fprintf(&b, "# %s: []\n\n", f.Name)
		case f.Default == "":
			fmt.Fprintf(&b, "# %s: \"\"\n\n", f.Name)
		case f.Kind == String:
			fmt.Fprintf(&b, "# %s: %q\n\n", f.Name, f.Default)
		default:
			fmt.Fprintf(&b, "# %s: %s\n\n", f.Name, f.Default)
		}
	}
	return b.Bytes()
}

// Names returns every field name, sorted (for tests and docs).
func Names() []string {
	var out []string
	for _, f := range Fields {
		out = append(out, f.Name)
	}
	sort.Strings(out)
	return out
}
