package policygen

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/orgiam/orgiam/internal/config"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/orgiam/orgiam/internal/iamdata"
	"github.com/orgiam/orgiam/internal/snapshot"
	"github.com/orgiam/orgiam/internal/store"
)

// The unattended generation is three steps a state machine wires (deploy/:
// EventBridge schedule → plan → a Map over the principals → generate →
// commit). Only keys and file hashes travel between them; the policies go
// to the store. Each generate item deletes the run's generation record
// before writing its files, and commit writes it again last, over exactly
// the files the items reported: until then no reader sees a complete
// generation, and a failed or interrupted execution leaves none.

// StepEnv is what the unattended steps read and write through.
type StepEnv struct {
	Store store.Store
	// Trail opens the trail at a cloudtrail URL (s3://bucket/prefix),
	// reading it as role (empty: the step's own credentials).
	Trail func(ctx context.Context, url, role string) (Source, error)
	// Git holds the git remote's credentials (GitAuth's).
	Git config.GitCredentials
	Now func() time.Time
}

// PlanInput names the run and the principals of one scheduled generation.
type PlanInput struct {
	// Run is the snapshot the principals are checked against and the
	// policies are written under; empty: the latest complete run.
	Run        string   `json:"run,omitempty"`
	Principals []string `json:"principals"`
}

// PlanOutput is the run resolved and the principals as the Map's items.
type PlanOutput struct {
	Run        string   `json:"run"`
	Principals []string `json:"principals"`
}

// PlanGeneration resolves the run and checks every principal is a user or
// role of it (an unknown principal fails the execution before any trail is
// read).
func PlanGeneration(ctx context.Context, env StepEnv, in PlanInput) (PlanOutput, error) {
	run, err := snapshot.ResolveRun(ctx, env.Store, in.Run)
	if err != nil {
		return PlanOutput{}, err
	}
	if len(in.Principals) == 0 {
		return PlanOutput{}, errors.New("principals: none given")
	}
	r := snapshot.Reader{Store: env.Store, Run: run}
	known := map[string]map[string]bool{} // account → Principal.Key → true
	out := PlanOutput{Run: run, Principals: []string{}}
	for i, s := range in.Principals {
		p, err := ParsePrincipal(s)
		if err != nil {
			return PlanOutput{}, fmt.Errorf("principals[%d]: %v", i, err)
		}
		if known[p.Account] == nil {
			var users []snapshot.User
			var roles []snapshot.Role
			if err := r.IAM(ctx, p.Account, store.DataUsers, &users); err != nil {
				return PlanOutput{}, fmt.Errorf("principals[%d] %s: account %s not in run %s: %v", i, s, p.Account, run, err)
			}
			if err := r.IAM(ctx, p.Account, store.DataRoles, &roles); err != nil {
				return PlanOutput{}, fmt.Errorf("principals[%d] %s: account %s not in run %s: %v", i, s, p.Account, run, err)
			}
			known[p.Account] = map[string]bool{}
			for _, u := range users {
				if q, err := ParsePrincipal(u.Arn); err == nil {
					known[p.Account][q.Key()] = true
				}
			}
			for _, x := range roles {
				if q, err := ParsePrincipal(x.Arn); err == nil {
					known[p.Account][q.Key()] = true
				}
			}
		}
		if !known[p.Account][p.Key()] {
			return PlanOutput{}, fmt.Errorf("principals[%d] %s: no such user or role in run %s", i, s, run)
		}
		out.Principals = append(out.Principals, s)
	}
	return out, nil
}

// GenerateInput is one Map item: one principal's generation.
type GenerateInput struct {
	Run        string `json:"run"`
	Principal  string `json:"principal"`
	Cloudtrail string `json:"cloudtrail"`
	// TrailRole is the role that reads the trail bucket (a log archive
	// account's), empty for the step's own credentials.
	TrailRole     string `json:"trailRole,omitempty"`
	Days          int    `json:"days,omitempty"` // default 90
	Resources     string `json:"resources,omitempty"`
	IncludeDenied bool   `json:"includeDenied,omitempty"`
	// Allow and Deny are the custom rules (a policy document or a list of
	// actions), inline.
	Allow json.RawMessage `json:"allow,omitempty"`
	Deny  json.RawMessage `json:"deny,omitempty"`
}

// GenerateOutput says what one item wrote: small, whatever the policy size.
type GenerateOutput struct {
	Run       string           `json:"run"`
	Principal string           `json:"principal"`
	Owner     string           `json:"owner"` // <account>/<name>
	Files     []GenerationFile `json:"files"`
	Events    int              `json:"events"`
	Actions   int              `json:"actions"`
	Note      string           `json:"note,omitempty"`
}

// GeneratePrincipal reads the trail for one principal over the last Days
// days (up to today, by env.Now), generates its policy and writes its
// policy and report files under the run's policies/ folder.
func GeneratePrincipal(ctx context.Context, env StepEnv, in GenerateInput) (GenerateOutput, error) {
	p, err := ParsePrincipal(in.Principal)
	if err != nil {
		return GenerateOutput{}, fmt.Errorf("principal: %v", err)
	}
	if in.Run == "" {
		return GenerateOutput{}, errors.New("run: required (the plan step's output)")
	}
	if in.Cloudtrail == "" || !strings.HasPrefix(in.Cloudtrail, "s3://") {
		return GenerateOutput{}, fmt.Errorf("cloudtrail %q: expected s3://bucket/prefix", in.Cloudtrail)
	}
	days := in.Days
	if days == 0 {
		days = 90
	}
	if days < 0 {
		return GenerateOutput{}, fmt.Errorf("days %d: must be positive", days)
	}
	level, err := ParseResourceLevel(in.Resources)
	if err != nil {
		return GenerateOutput{}, fmt.Errorf("resources %v", err)
	}
	cat, err := iamdata.Load()
	if err != nil {
		return GenerateOutput{}, err
	}
	var rules Rules
	if present(in.Allow) {
		if rules.Allow, err = ParseRules(cat, "allow", in.Allow, "Allow"); err != nil {
			return GenerateOutput{}, err
		}
	}
	if present(in.Deny) {
		if rules.Deny, err = ParseRules(cat, "deny", in.Deny, "Deny"); err != nil {
			return GenerateOutput{}, err
		}
	}
	now := env.Now().UTC()
	until := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, 1)
	since := until.AddDate(0, 0, -days)
	src, err := env.Trail(ctx, in.Cloudtrail, in.TrailRole)
	if err != nil {
		return GenerateOutput{}, fmt.Errorf("cloudtrail %s: %w", in.Cloudtrail, err)
	}
	act, err := Read(ctx, src, cat, ReadOptions{Since: since, Until: until, Principals: map[string]bool{p.Key(): true}, Resources: level})
	if err != nil {
		return GenerateOutput{}, fmt.Errorf("cloudtrail %s: %w", in.Cloudtrail, err)
	}
	results, err := Generate(act, []Principal{p}, Options{IncludeDenied: in.IncludeDenied, Rules: rules, Since: since, Until: until, Resources: level})
	if err != nil {
		return GenerateOutput{}, err
	}
	if len(results) != 1 {
		return GenerateOutput{}, fmt.Errorf("principal %s: %d results", p.ARN, len(results))
	}
	r := results[0]
	files := r.PolicyFiles()
	k, v := r.ReportFile()
	files[k] = v
	if err := env.Store.Delete(ctx, store.PolicyKey(in.Run, store.PolicyGenerationFile)); err != nil {
		return GenerateOutput{}, err
	}
	out := GenerateOutput{Run: in.Run, Principal: p.ARN, Owner: path.Join(p.Account, p.Name), Files: []GenerationFile{}, Events: r.Report.Events, Actions: len(r.Report.Actions), Note: r.Report.Note}
	for _, n := range SortedNames(files) {
		if err := env.Store.Put(ctx, store.PolicyKey(in.Run, n), files[n]); err != nil {
			return GenerateOutput{}, err
		}
		sum := sha256.Sum256(files[n])
		out.Files = append(out.Files, GenerationFile{Name: n, SHA256: hex.EncodeToString(sum[:]), Bytes: len(files[n])})
	}
	return out, nil
}

// GitTarget says where the commit step pushes (empty URL: no commit).
type GitTarget struct {
	URL    string `json:"url,omitempty"`
	Branch string `json:"branch,omitempty"`
	Path   string `json:"path,omitempty"`
}

// CommitInput is the Map's outputs and the repository.
type CommitInput struct {
	Run   string           `json:"run"`
	Items []GenerateOutput `json:"items"`
	Git   GitTarget        `json:"git"`
}

// CommitOutput says what the commit step sealed and pushed.
type CommitOutput struct {
	Run    string        `json:"run"`
	Files  int           `json:"files"`
	Commit *CommitResult `json:"commit,omitempty"`
}

// CommitGeneration checks every file the items reported against its hash,
// deletes the other files under the run's policies/ folder, writes the
// generation record (from then on the set reads as complete), and commits
// the policy documents (not the reports) to git when a URL is given.
func CommitGeneration(ctx context.Context, env StepEnv, in CommitInput) (CommitOutput, error) {
	if in.Run == "" {
		return CommitOutput{}, errors.New("run: required")
	}
	gen := Generation{Version: 1, Generated: env.Now().UTC().Format(time.RFC3339), Files: []GenerationFile{}}
	policies := map[string][]byte{}
	var owners []string
	names := map[string]bool{}
	for i, it := range in.Items {
		if it.Run != in.Run {
			return CommitOutput{}, fmt.Errorf("items[%d] %s: run %q, not %q", i, it.Principal, it.Run, in.Run)
		}
		owners = append(owners, it.Owner)
		for _, f := range it.Files {
			if names[f.Name] {
				return CommitOutput{}, fmt.Errorf("items[%d] %s: %s written twice", i, it.Principal, f.Name)
			}
			names[f.Name] = true
			data, err := env.Store.Get(ctx, store.PolicyKey(in.Run, f.Name))
			if err != nil {
				return CommitOutput{}, fmt.Errorf("items[%d] %s: %s: %w", i, it.Principal, f.Name, err)
			}
			if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != f.SHA256 {
				return CommitOutput{}, fmt.Errorf("items[%d] %s: %s is not the file the item wrote (another generation overwrote it)", i, it.Principal, f.Name)
			}
			gen.Files = append(gen.Files, f)
			if !strings.HasSuffix(f.Name, ".report.json") {
				policies[f.Name] = data
			}
		}
	}
	sort.Slice(gen.Files, func(i, j int) bool { return gen.Files[i].Name < gen.Files[j].Name })
	recKey := store.PolicyKey(in.Run, store.PolicyGenerationFile)
	folder := store.PolicyKey(in.Run, "") + "/"
	old, err := env.Store.List(ctx, folder)
	if err != nil {
		return CommitOutput{}, err
	}
	for _, k := range old {
		if !names[strings.TrimPrefix(k, folder)] && k != recKey {
			if err := env.Store.Delete(ctx, k); err != nil {
				return CommitOutput{}, err
			}
		}
	}
	b, err := json.MarshalIndent(gen, "", "  ")
	if err != nil {
		return CommitOutput{}, err
	}
	if err := env.Store.Put(ctx, recKey, append(b, '\n')); err != nil {
		return CommitOutput{}, err
	}
	out := CommitOutput{Run: in.Run, Files: len(gen.Files)}
	if in.Git.URL == "" {
		return out, nil
	}
	auth, err := GitAuth(in.Git.URL, env.Git)
	if err != nil {
		return out, err
	}
	res, err := Commit(ctx, GitOptions{URL: in.Git.URL, Branch: in.Git.Branch, Path: in.Git.Path, Auth: auth, Now: env.Now}, policies, owners)
	if err != nil {
		return out, fmt.Errorf("git %s: %w", in.Git.URL, err)
	}
	out.Commit = &res
	return out, nil
}

// present says a rules field was given (absent and null are not).
func present(raw json.RawMessage) bool {
	return len(raw) > 0 && string(raw) != "null"
}
