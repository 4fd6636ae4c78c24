package cli

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/spf13/cobra"

	"github.com/orgiam/orgiam/internal/awsauth"
	"github.com/orgiam/orgiam/internal/config"
	"github.com/orgiam/orgiam/internal/fakeaws"
)

func newDemo(stdio IO) *cobra.Command {
	var accounts, orgs, fail, runs int
	var storePath string
	var seed int64
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the whole pipeline against a simulated organization (no AWS account needed)",
		Long: `demo starts an AWS emulator (internal/fakeaws) on a loopback port with a
generated organization, then runs exactly what ` + "`orgiam collect`" + ` runs against it:
the same code, the real AWS SDK over HTTP — discovery, the scan of every
account, credential reports, reports and the index. It ends with the summary
and where the files are; try ` + "`orgiam query admins --store <store>`" + ` next.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if accounts < 2 {
				return usageErr(fmt.Errorf("--accounts: %d is too few (at least 2)", accounts))
			}
			if orgs < 1 {
				return usageErr(fmt.Errorf("--orgs: %d is too few (at least 1)", orgs))
			}
			if orgs > accounts {
				return usageErr(fmt.Errorf("--orgs: %d organizations cannot share %d accounts (at least one each)", orgs, accounts))
			}
			if fail < 0 || fail >= accounts {
				return usageErr(fmt.Errorf("--fail: %d is out of range (0 to %d)", fail, accounts-1))
			}
			if runs != 1 && runs != 2 {
				return usageErr(fmt.Errorf("--runs: %d (use 1, or 2 for a second run a day later with changes)", runs))
			}
			// With two runs every generated account is kept, so that the
			// changes made between them stay.
			keep := 0
			if runs == 2 {
				keep = accounts + orgs
			}
			world := fakeaws.NewWorld(fakeaws.Options{Seed: seed, Orgs: orgs, AccountsPerOrg: (accounts + orgs - 1) / orgs, CacheAccounts: keep, Now: stdio.now().Truncate(24 * time.Hour)})
			var deny []string
			for _, a := range world.Accounts() {
				if len(deny) >= fail {
					break
				}
				if !a.Management && a.Status == "ACTIVE" {
					deny = append(deny, a.ID)
				}
			}
			sim, err := simulate(world, fakeaws.Knobs{CredReportDelay: 300 * time.Millisecond, DenyAssume: deny})
			if err != nil {
				return err
			}
			defer sim.Close()
			cfg := sim.Config
			abs, err := filepath.Abs(storePath)
			if err != nil {
				return usageErr(err)
			}
			cfg.Store = abs
			cfg.RunID = stdio.now().Format("150405")
			cfg.CredentialReportWait = 200 * time.Millisecond
			// The demo is not quiet, so a terminal shows the progress bar;
			// it sets no rate ceiling, so it runs at the speed the emulator
			// answers, as collect does against AWS.
			if err := cfg.Validate(); err != nil {
				return err
			}
			fmt.Fprintf(stdio.Err, "simulated AWS at %s: %d organization(s), %d accounts\n", sim.URL, len(world.Orgs()), len(world.Accounts()))
			if runs == 2 {
				// The first run a day earlier; then the organization changes.
				first := stdio
				first.Now = func() time.Time { return stdio.now().Add(-24 * time.Hour) }
				c1 := *cfg
				if err := runCollect(ctx, first, &c1, sim.Auth); err != nil {
					return err
				}
				ch, err := simulateDrift(world, stdio.now())
				if err != nil {
					return err
				}
				fmt.Fprintf(stdio.Err, "changed account %s: new user %s (AdministratorAccess, key %s), role %s trusting %s\n", ch.AccountID, ch.UserArn, ch.AccessKeyID, ch.RoleArn, ch.Outside)
			}
			err = runCollect(ctx, stdio, cfg, sim.Auth)
			self := selfCommand(os.Args[0])
			if runs == 2 {
				fmt.Fprintf(stdio.Out, "\nwhat changed: %s diff --store %s\n", self, shellQuote(abs))
			}
			fmt.Fprintf(stdio.Out, "\nnext: %s query admins --store %s\n      %s report users --store %s --format html --out users.html\n", self, shellQuote(abs), self, shellQuote(abs))
			return err
		},
	}
	cmd.Flags().IntVar(&accounts, "accounts", 25, "accounts in the simulated organizations")
	cmd.Flags().IntVar(&orgs, "orgs", 1, "simulated organizations")
	cmd.Flags().IntVar(&runs, "runs", 1, "runs to collect: 2 collects a day earlier first, then changes the organization (to see drift)")
	cmd.Flags().IntVar(&fail, "fail", 0, "accounts whose collect role cannot be assumed (to see failures isolated)")
	cmd.Flags().Int64Var(&seed, "seed", 1, "seed of the generated organization")
	cmd.Flags().StringVar(&storePath, "store", filepath.Join(os.TempDir(), "orgiam-demo"), "folder the demo writes its snapshot to")
	return cmd
}

// selfCommand is how to run this binary again from the user's shell: "go
// run ./cmd/orgiam" when it was started by go run (a binary in go's
// temporary build folder, gone once it exits), "orgiam" when that name on
// PATH is this binary, else the path it was started with.
func selfCommand(arg0 string) string {
	if strings.Contains(filepath.ToSlash(arg0), "/go-build") {
		return "go run ./cmd/orgiam"
	}
	if p, err := exec.LookPath("orgiam"); err == nil {
		if a, err1 := filepath.Abs(p); err1 == nil {
			if b, err2 := filepath.Abs(arg0); err2 == nil && a == b {
				return "orgiam"
			}
		}
	}
	if !strings.ContainsRune(arg0, filepath.Separator) {
		return arg0 // found on PATH under another name
	}
	return shellQuote(arg0)
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/._-+:=@,", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// simulation is a fakeaws server with a collect configuration for it.
type simulation struct {
	*fakeaws.Server
	URL string
	// Config lists one org role per organization of the world; Auth holds
	// the base credentials, which act as the first management account.
	Config *config.Config
	Auth   awsauth.Options
}

// simulate serves world with knobs on a loopback port; Close stops it.
func simulate(world *fakeaws.World, knobs fakeaws.Knobs) (*simulation, error) {
	srv := fakeaws.New(world, knobs)
	url, err := srv.Start()
	if err != nil {
		return nil, err
	}
	cfg := config.Defaults()
	for _, o := range world.Orgs() {
		cfg.OrgRoles = append(cfg.OrgRoles, world.CollectRoleArn(o.ManagementAccountID))
	}
	return &simulation{Server: srv, URL: url, Config: cfg, Auth: awsauth.Options{
		Region:      "us-east-1",
		Endpoint:    url,
		Credentials: credentials.NewStaticCredentialsProvider("AKIASIMULATEDBASE000", "simulated", ""),
	}}, nil
}
