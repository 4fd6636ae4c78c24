package pipeline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/configservice"
	cstypes "github.com/aws/aws-sdk-go-v2/service/configservice/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/orgiam/orgiam/internal/notify"
	"github.com/orgiam/orgiam/internal/report"
	"github.com/orgiam/orgiam/internal/store"
)

// ConfigReportInput is what the config-report handler receives: an
// EventBridge scheduled event (whose fields are ignored) or {"date": …} to
// file a report under another day.
type ConfigReportInput struct {
	// Date is the YYYY-MM-DD folder of the report (default: today, UTC).
	Date string `json:"date,omitempty"`
}

// ConfigReportOutput says where the report went and what it holds.
type ConfigReportOutput struct {
	Aggregator string `json:"aggregator"`
	Region     string `json:"region"`
	Date       string `json:"date"`
	// Folder is the store folder of the report (<prefix>/<date>).
	Folder string   `json:"folder"`
	Keys   []string `json:"keys"`
	Users  int      `json:"users"`
	// Accounts is how many accounts have at least one user.
	Accounts int `json:"accounts"`
	// ThrottlesAbsorbed counts Config (and S3) answers the SDK's retryer
	// absorbed.
	ThrottlesAbsorbed int64    `json:"throttlesAbsorbed"`
	Unavailable       []string `json:"unavailableColumns"`
}

// ConfigReportManifest is <prefix>/<date>/manifest.json, written after the
// report files: without it the folder is not a complete report.
type ConfigReportManifest struct {
	Version       int       `json:"version"`
	Source        string    `json:"source"`
	Aggregator    string    `json:"aggregator"`
	AggregatorArn string    `json:"aggregatorArn,omitempty"`
	Region        string    `json:"region"`
	GeneratedAt   time.Time `json:"generatedAt"`
	Users         int       `json:"users"`
	Accounts      int       `json:"accounts"`
	// UnavailableColumns are the users-report columns Config cannot give
	// (empty in every row); Notes say so in words.
	UnavailableColumns []string `json:"unavailableColumns"`
	Notes              []string `json:"notes"`
	Files              []string `json:"files"`
	OrgiamVersion      string   `json:"orgiamVersion,omitempty"`
}

// ConfigReport writes the organization's IAM users report from an AWS Config
// aggregator (no role in any member account) under
// <config-report-prefix>/<date>/: users.csv, users.json and users.html, then
// manifest.json. It first checks what would otherwise fail silently every
// schedule — the aggregator name, the bucket, that the aggregator exists in
// its region and aggregates the whole organization — and names what is
// wrong. Every page of results is read; Config throttling is absorbed by the
// SDK's adaptive retryer the Env's AWS configuration carries. A failure is
// sent to the --notify targets and returned.
func ConfigReport(ctx context.Context, env *Env, in ConfigReportInput) (ConfigReportOutput, error) {
	started := env.now()
	var throttles0 int64
	if env.Limiter != nil {
		throttles0 = env.Limiter.Throttles()
	}
	out, err := configReport(ctx, env, in, started)
	if env.Limiter != nil {
		out.ThrottlesAbsorbed = env.Limiter.Throttles() - throttles0
	}
	if err != nil {
		notifyConfigReportFailure(ctx, env, out, started, err)
		return out, err
	}
	return out, nil
}

func configReport(ctx context.Context, env *Env, in ConfigReportInput, now time.Time) (ConfigReportOutput, error) {
	cfg := env.Cfg
	out := ConfigReportOutput{Aggregator: cfg.ConfigAggregator, Date: in.Date, Unavailable: append([]string{}, report.ConfigUnavailableColumns...)}
	if out.Date == "" {
		out.Date = now.Format("2006-01-02")
	}
	if !store.ValidDate(out.Date) {
		return out, fmt.Errorf("config report: input date %q is not a date in the form YYYY-MM-DD", in.Date)
	}
	if err := store.CheckConfigReportPrefix(cfg.ConfigReportPrefix); err != nil {
		return out, fmt.Errorf("config report: ORGIAM_CONFIG_REPORT_PREFIX %v", err)
	}
	out.Folder = store.ConfigReportFolder(cfg.ConfigReportPrefix, out.Date)
	if cfg.ConfigAggregator == "" {
		return out, fmt.Errorf("config report: no aggregator: set ORGIAM_CONFIG_AGGREGATOR (--config-aggregator) to the organization-wide AWS Config aggregator's name")
	}
	if env.Auth == nil {
		return out, fmt.Errorf("config report: no AWS credentials in the environment")
	}
	awsCfg := env.Auth.Base.Copy()
	if cfg.ConfigAggregatorRegion != "" {
		awsCfg.Region = cfg.ConfigAggregatorRegion
	}
	out.Region = awsCfg.Region

	if err := env.Store.Check(ctx); err != nil {
		// HeadBucket needs s3:ListBucket, which a role limited to writing
		// its prefix may lack: then the writes below are the check.
		if !isStatus(err, http.StatusForbidden) {
			return out, fmt.Errorf("config report: %w", err)
		}
		env.logger().Warn("cannot check the bucket (no s3:ListBucket); the report's writes will", "store", env.Store.String(), "error", err.Error())
	}
	aggArn, err := checkAggregator(ctx, env, awsCfg, cfg.ConfigAggregator)
	if err != nil {
		return out, err
	}

	rows, notes, err := report.UsersFromConfigAggregator(ctx, awsCfg, cfg.ConfigAggregator, report.Options{Now: now})
	if err != nil {
		return out, fmt.Errorf("config report: %w", err)
	}
	accounts := map[string]bool{}
	for _, r := range rows {
		accounts[r.AccountID] = true
	}
	out.Users, out.Accounts = len(rows), len(accounts)
	doc, err := report.NewDoc(report.KindUsers, rows)
	if err != nil {
		return out, err
	}
	doc.Title = "IAM users (AWS Config aggregator " + cfg.ConfigAggregator + ")"
	doc.Notes = append(notes, "Columns AWS Config cannot give (empty in every row): "+strings.Join(report.ConfigUnavailableColumns, ", ")+".")

	// An earlier report of the same day stops counting as complete before
	// its files are replaced. A role allowed only to put objects cannot:
	// then the old manifest stands until the new one replaces it.
	manifestKey := store.ConfigReportKey(cfg.ConfigReportPrefix, out.Date, "manifest.json")
	if err := env.Store.Delete(ctx, manifestKey); err != nil && !errors.Is(err, store.ErrNotFound) {
		if !isStatus(err, http.StatusForbidden) {
			return out, fmt.Errorf("config report: remove the previous %s: %w", manifestKey, err)
		}
		env.logger().Warn("cannot remove the previous manifest (no s3:DeleteObject); it stands until the new one is written", "key", manifestKey)
	}
	for _, f := range []struct{ name, format string }{
		{"users.csv", report.FormatCSV}, {"users.json", report.FormatJSON}, {"users.html", report.FormatHTML},
	} {
		var b bytes.Buffer
		if err := report.WriteDoc(&b, f.format, doc); err != nil {
			return out, fmt.Errorf("config report %s: %w", f.name, err)
		}
		key := store.ConfigReportKey(cfg.ConfigReportPrefix, out.Date, f.name)
		if err := env.put(ctx, key, b.Bytes()); err != nil {
			return out, fmt.Errorf("config report: %w", err)
		}
		out.Keys = append(out.Keys, key)
	}
	m := ConfigReportManifest{
		Version: 1, Source: "aws-config-aggregator", Aggregator: cfg.ConfigAggregator, AggregatorArn: aggArn, Region: out.Region,
		GeneratedAt: now, Users: out.Users, Accounts: out.Accounts, UnavailableColumns: out.Unavailable, Notes: doc.Notes,
		Files: append([]string{}, out.Keys...), OrgiamVersion: env.Version,
	}
	if err := env.putJSON(ctx, manifestKey, m); err != nil {
		return out, fmt.Errorf("config report: %w", err)
	}
	out.Keys = append(out.Keys, manifestKey)
	env.logger().Info("config report written", "aggregator", cfg.ConfigAggregator, "region", out.Region, "folder", env.Store.String()+"/"+out.Folder, "users", out.Users, "accounts", out.Accounts)
	return out, nil
}

// checkAggregator finds the aggregator in its region and requires an
// organization source: an account-based aggregator would silently report on
// a few accounts only. A role without config:DescribeConfigurationAggregators
// skips the check (with a warning); the query itself still names a missing
// aggregator.
func checkAggregator(ctx context.Context, env *Env, awsCfg aws.Config, name string) (string, error) {
	client := configservice.NewFromConfig(awsCfg)
	res, err := client.DescribeConfigurationAggregators(ctx, &configservice.DescribeConfigurationAggregatorsInput{ConfigurationAggregatorNames: []string{name}})
	var nsa *cstypes.NoSuchConfigurationAggregatorException
	var ae smithy.APIError
	switch {
	case errors.As(err, &nsa) || (errors.As(err, &ae) && ae.ErrorCode() == "NoSuchConfigurationAggregatorException"):
		return "", fmt.Errorf("config report: AWS Config aggregator %q does not exist in region %s (check ORGIAM_CONFIG_AGGREGATOR and ORGIAM_CONFIG_AGGREGATOR_REGION)", name, awsCfg.Region)
	case errors.As(err, &ae) && (ae.ErrorCode() == "AccessDeniedException" || ae.ErrorCode() == "AccessDenied"):
		env.logger().Warn("cannot check the aggregator is organization-wide (no config:DescribeConfigurationAggregators)", "aggregator", name, "region", awsCfg.Region)
		return "", nil
	case err != nil:
		return "", fmt.Errorf("config report: aggregator %s: config:DescribeConfigurationAggregators: %w", name, err)
	}
	for _, a := range res.ConfigurationAggregators {
		if aws.ToString(a.ConfigurationAggregatorName) != name {
			continue
		}
		if a.OrganizationAggregationSource == nil {
			return "", fmt.Errorf("config report: AWS Config aggregator %q in region %s is not organization-wide (it aggregates listed accounts): the users report needs an aggregator with an organization source", name, awsCfg.Region)
		}
		return aws.ToString(a.ConfigurationAggregatorArn), nil
	}
	return "", fmt.Errorf("config report: AWS Config aggregator %q does not exist in region %s (config:DescribeConfigurationAggregators did not list it)", name, awsCfg.Region)
}

// notifyConfigReportFailure tells the --notify targets; it never fails.
func notifyConfigReportFailure(ctx context.Context, env *Env, out ConfigReportOutput, started time.Time, err error) {
	ns, nerr := env.Notifiers()
	if nerr != nil {
		env.logger().Error("notification targets", "error", nerr.Error())
		return
	}
	if len(ns) == 0 {
		return
	}
	agg := out.Aggregator
	if agg == "" {
		agg = "(none set)"
	}
	s := notify.Summary{
		Title: fmt.Sprintf("orgiam config report %s failed (aggregator %s)", out.Date, agg),
		Run:   out.Folder, Store: env.Store.String(), Started: started, Finished: env.now(), Failed: 1,
		FailedAccounts: []notify.AccountError{{ID: "-", Name: "config aggregator " + agg, Error: err.Error()}},
	}
	notify.Send(ctx, env.logger(), ns, s)
}

func isStatus(err error, status int) bool {
	var re *smithyhttp.ResponseError
	return errors.As(err, &re) && re.HTTPStatusCode() == status
}
