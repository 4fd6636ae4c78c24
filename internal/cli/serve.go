package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/orgiam/orgiam/internal/awsauth"
	"github.com/orgiam/orgiam/internal/config"
	"github.com/orgiam/orgiam/internal/web"
)

func newServe(stdio IO) *cobra.Command {
	var storeURL, addr, token, tokenFile, region, profile string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Read-only web dashboard over the runs of a store",
		Long: `serve starts a read-only web dashboard over the store: the organization tree
with scan status and findings per account, users and roles with filters (no
MFA, stale, administrators, trusted from outside), a principal's policies with
their statements, groups, trusts, keys and findings, the findings, the trust
graph, and the drift of every run against the one before it. Any run can be
looked at (?run=); pages read the run's index.sqlite and are paged in SQL.

It listens on loopback (127.0.0.1:8080) by default. Listening on any other
address needs --token or --token-file, and then every request must carry the
token (Authorization: Bearer TOKEN, or ?token=TOKEN once, which sets a cookie).`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			ctx := c.Context()
			if tokenFile != "" {
				if token != "" {
					return usageErr(errors.New("--token and --token-file: give one"))
				}
				b, err := os.ReadFile(tokenFile)
				if err != nil {
					return usageErr(fmt.Errorf("--token-file: %w", err))
				}
				token = strings.TrimSpace(string(b))
				if token == "" {
					return usageErr(fmt.Errorf("--token-file %s: empty", tokenFile))
				}
			}
			loopback, err := isLoopback(addr)
			if err != nil {
				return usageErr(fmt.Errorf("--addr %q: %w", addr, err))
			}
			if !loopback && token == "" {
				return usageErr(fmt.Errorf("--addr %s is not a loopback address: give --token or --token-file (every request will then need it)", addr))
			}
			if token != "" && len(token) < 16 {
				return usageErr(errors.New("--token: at least 16 characters"))
			}
			cfg := config.Defaults()
			cfg.Store, cfg.Region, cfg.Profile = storeURL, region, profile
			st, err := openStore(ctx, cfg, awsauth.Options{})
			if err != nil {
				return err
			}
			srv, err := web.New(web.Options{Store: st, Token: token, Log: newLogger(stdio.Err, "text", false),
				IndexPath: func(ctx context.Context, run string) (string, func(), error) { return indexPath(ctx, st, run) }})
			if err != nil {
				return err
			}
			defer srv.Close()
			latest, err := srv.Check(ctx)
			if err != nil {
				return usageErr(fmt.Errorf("store %s: %w", st, err))
			}
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return usageErr(fmt.Errorf("--addr %s: cannot listen: %w", addr, err))
			}
			hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second, WriteTimeout: 60 * time.Second, IdleTimeout: 2 * time.Minute}
			fmt.Fprintf(stdio.Out, "orgiam dashboard on http://%s/ (store %s, latest run %s); Ctrl-C stops it\n", ln.Addr(), st, latest)
			errc := make(chan error, 1)
			go func() { errc <- hs.Serve(ln) }()
			select {
			case err := <-errc:
				return err
			case <-ctx.Done():
				sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				return hs.Shutdown(sctx)
			}
		},
	}
	fl := cmd.Flags()
	storeFlags(fl, &storeURL, &region, &profile)
	fl.StringVar(&addr, "addr", "127.0.0.1:8080", "address to listen on (a non-loopback address needs --token)")
	fl.StringVar(&token, "token", "", "token every request must carry (required off loopback; prefer --token-file: a flag shows in the process list)")
	fl.StringVar(&tokenFile, "token-file", "", "file holding the token")
	return cmd
}

// isLoopback tells whether addr (host:port) binds only loopback. An empty
// host binds every interface.
func isLoopback(addr string) (bool, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false, err
	}
	if host == "localhost" {
		return true, nil
	}
	ip := net.ParseIP(host)
	if ip == nil {
		if host == "" {
			return false, nil
		}
		return false, fmt.Errorf("host %q is not an IP address or localhost", host)
	}
	return ip.IsLoopback(), nil
}
