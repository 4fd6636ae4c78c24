package pipeline

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/organizations"

	"github.com/orgiam/orgiam/internal/awsauth"
	"github.com/orgiam/orgiam/internal/config"
	"github.com/orgiam/orgiam/internal/discover"
	"github.com/orgiam/orgiam/internal/fakeaws"
	"github.com/orgiam/orgiam/internal/fanout"
	"github.com/orgiam/orgiam/internal/snapshot"
	"github.com/orgiam/orgiam/internal/store"
)

// orgView changes what the Organizations API answers discovery: an account
// the OU tree does not show (as one moved between two OUs while they were
// walked), an account list that fails, or one that answers only once an
// account's scan is written.
type orgView struct {
	discover.OrgAPI
	hidden     string                      // left out of ListAccountsForParent
	listErr    error                       // ListAccounts' answer
	listAfter  func(context.Context) error // ListAccounts waits for it
	listCalled chan struct{}
}

func (v orgView) ListAccountsForParent(ctx context.Context, in *organizations.ListAccountsForParentInput, o ...func(*organizations.Options)) (*organizations.ListAccountsForParentOutput, error) {
	out, err := v.OrgAPI.ListAccountsForParent(ctx, in, o...)
	if err != nil || v.hidden == "" {
		return out, err
	}
	kept := out.Accounts[:0]
	for _, a := range out.Accounts {
		if aws.ToString(a.Id) != v.hidden {
			kept = append(kept, a)
		}
	}
	out.Accounts = kept
	return out, nil
}

func (v orgView) ListAccounts(ctx context.Context, in *organizations.ListAccountsInput, o ...func(*organizations.Options)) (*organizations.ListAccountsOutput, error) {
	if v.listErr != nil {
		return nil, v.listErr
	}
	if v.listAfter != nil && in.NextToken == nil {
		if err := v.listAfter(ctx); err != nil {
			return nil, err
		}
	}
	return v.OrgAPI.ListAccounts(ctx, in, o...)
}

// fakeEnv is a local run's Env against a fakeaws organization of n
// accounts, with view wrapping its Organizations API.
func fakeEnv(t *testing.T, n int, view func(discover.OrgAPI) discover.OrgAPI) (*Env, *fakeaws.World) {
	t.Helper()
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	world := fakeaws.NewWorld(fakeaws.Options{Seed: 11, Orgs: 1, AccountsPerOrg: n, Now: now, Size: fakeaws.Size{Users: 2, Roles: 1, Groups: 1, Policies: 1}})
	srv := fakeaws.New(world, fakeaws.Knobs{})
	url, err := srv.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	cfg := config.Defaults()
	cfg.OrgRoles = []string{world.CollectRoleArn(world.Orgs()[0].ManagementAccountID)}
	cfg.Store = t.TempDir()
	cfg.Date = "2026-11-23"
	cfg.CredentialReportWait = 10 * time.Millisecond
	cfg.Index, cfg.Reports = false, false
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	auth, err := awsauth.New(context.Background(), awsauth.Options{
		Region: "us-east-1", Endpoint: url,
		Credentials: credentials.NewStaticCredentialsProvider("AKIATESTBASE00000000", "test", ""),
		SessionName: "orgiam-test",
	})
	if err != nil {
		t.Fatal(err)
	}
	lim := fanout.New(fanout.Options{})
	auth.Base.APIOptions = append(auth.Base.APIOptions, lim.Middleware())
	env := &Env{Cfg: cfg, Auth: auth, Store: store.NewFile(cfg.Store), Limiter: lim, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Version: "test", Now: func() time.Time { return now }}
	env.NewOrganizations = func(c aws.Config) discover.OrgAPI { return view(organizations.NewFromConfig(c)) }
	return env, world
}

// memberNotManagement is an active member account of the world's one
// organization.
func memberNotManagement(t *testing.T, w *fakeaws.World) string {
	t.Helper()
	for _, a := range w.Accounts() {
		if !a.Management && a.Status == "ACTIVE" {
			return a.ID
		}
	}
	t.Fatal("no active member account")
	return ""
}

// An account ListAccounts lists and the OU tree does not show is scanned
// too, after the tree's accounts, and is in the run's account list without
// an OU.
func TestAccountOnlyInTheAccountListIsScanned(t *testing.T) {
	var hidden string
	env, world := fakeEnv(t, 8, func(api discover.OrgAPI) discover.OrgAPI { return orgView{OrgAPI: api, hidden: hidden} })
	hidden = memberNotManagement(t, world)
	res, err := RunLocal(context.Background(), env, PlanInput{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var found *snapshot.AccountResult
	for i, a := range res.Manifest.Accounts {
		if a.ID == hidden {
			found = &res.Manifest.Accounts[i]
		}
	}
	if found == nil || found.Status != snapshot.StatusOK {
		t.Fatalf("the account only ListAccounts listed: %+v (manifest %+v)", found, res.Manifest.Totals)
	}
	accounts, err := snapshot.Reader{Store: env.Store, Run: res.Plan.Run}.Accounts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	in := false
	for _, a := range accounts {
		if a.ID == hidden {
			in = true
			if a.OUPath != "" || a.ParentID != "" {
				t.Errorf("the account has a place in the tree: %+v", a)
			}
		}
	}
	if !in {
		t.Errorf("accounts.json lacks %s", hidden)
	}
	if res.Manifest.Totals.Failed != 0 || len(res.Manifest.Errors) != 0 {
		t.Errorf("failed %d, errors %v", res.Manifest.Totals.Failed, res.Manifest.Errors)
	}
}

// An account list that cannot be read is a run error naming the role; the
// accounts of the tree are scanned and the run completes.
func TestAccountListFailureKeepsTheTreesAccounts(t *testing.T) {
	env, world := fakeEnv(t, 6, func(api discover.OrgAPI) discover.OrgAPI {
		return orgView{OrgAPI: api, listErr: errors.New("AccessDenied: not allowed")}
	})
	res, err := RunLocal(context.Background(), env, PlanInput{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, a := range world.Accounts() {
		if a.Status == "ACTIVE" {
			want++
		}
	}
	if res.Manifest.Totals.OK != want {
		t.Errorf("%d accounts ok, want the %d active accounts of the tree", res.Manifest.Totals.OK, want)
	}
	if len(res.Manifest.Errors) != 1 || !strings.Contains(res.Manifest.Errors[0], "organizations:ListAccounts") || !strings.Contains(res.Manifest.Errors[0], env.Cfg.OrgRoles[0]) {
		t.Errorf("run errors %q: want the account list's failure, naming the role", res.Manifest.Errors)
	}
}

// The scan begins with the tree's accounts, before the account list is
// read: here ListAccounts answers only once an account's scan is stored,
// which a run that waited for it would never reach (its list then fails
// and says so in the run's errors).
func TestScanStartsBeforeTheAccountListEnds(t *testing.T) {
	var env *Env
	env, _ = fakeEnv(t, 6, func(api discover.OrgAPI) discover.OrgAPI {
		return orgView{OrgAPI: api, listAfter: func(ctx context.Context) error {
			deadline := time.Now().Add(10 * time.Second)
			for time.Now().Before(deadline) {
				keys, err := env.Store.List(ctx, "2026-11-23/accounts/")
				if err != nil {
					return err
				}
				for _, k := range keys {
					if strings.HasSuffix(k, "/account.json") {
						return nil
					}
				}
				time.Sleep(5 * time.Millisecond)
			}
			return errors.New("no account scanned while the account list waited")
		}}
	})
	res, err := RunLocal(context.Background(), env, PlanInput{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Manifest.Errors) != 0 || res.Manifest.Totals.Failed != 0 {
		t.Fatalf("errors %v, failed %d", res.Manifest.Errors, res.Manifest.Totals.Failed)
	}
}
