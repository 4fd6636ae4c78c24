package cli

import (
	"context"
	"fmt"

	"github.com/orgiam/orgiam/internal/awsauth"
	"github.com/orgiam/orgiam/internal/report"
	"github.com/orgiam/orgiam/internal/securityhub"
	"github.com/orgiam/orgiam/internal/snapshot"
)

// maxFailedShown bounds the refused findings printed per region.
const maxFailedShown = 20

// importSecurityHub is `report findings --to security-hub`: the run's
// findings, one account at a time, into Security Hub in each region, as the
// current credentials' account (the Security Hub administrator). A region
// that refuses (Security Hub not enabled there) is reported and the others
// go on; it makes the exit code 2 once every region is done.
func importSecurityHub(ctx context.Context, stdio IO, f readFlags, regionList []string, r snapshot.Reader, o report.Options) error {
	cfg, err := awsauth.LoadBase(ctx, awsauth.Options{Region: f.region, Profile: f.profile})
	if err != nil {
		return usageErr(err)
	}
	id, err := awsauth.WhoAmI(ctx, cfg)
	if err != nil {
		return usageErr(fmt.Errorf("--to security-hub: %w", err))
	}
	if len(regionList) == 0 {
		region := cfg.Region
		if region == "" {
			region = report.HomeRegion(id.Partition)
		}
		regionList = []string{region}
	}
	im := &securityhub.Importer{Clients: securityhub.NewClients(cfg, regionList), Regions: regionList, ProductAccount: id.Account, Now: o.Now}
	if err := report.EachAccountFindings(ctx, r, o, func(account string, fs []report.Finding) error {
		return im.Add(ctx, account, fs)
	}); err != nil {
		return err
	}
	refused, failed := 0, 0
	for _, res := range im.Results() {
		if res.Err != nil {
			refused++
			fmt.Fprintf(stdio.Err, "orgiam: security-hub %s: %v\n", res.Region, res.Err)
			continue
		}
		fmt.Fprintf(stdio.Out, "security-hub %s: %d findings of %d accounts imported in %d calls into %s\n",
			res.Region, res.Imported, res.Accounts, res.Calls, fmt.Sprintf("arn:%s:securityhub:%s:%s:product/%s/default", id.Partition, res.Region, id.Account, id.Account))
		for i, fl := range res.Failed {
			if i == maxFailedShown {
				fmt.Fprintf(stdio.Err, "orgiam: security-hub %s: %d more findings refused\n", res.Region, len(res.Failed)-i)
				break
			}
			fmt.Fprintf(stdio.Err, "orgiam: security-hub %s: finding %s of account %s refused: %s: %s\n", res.Region, fl.ID, fl.Account, fl.Code, fl.Message)
		}
		failed += len(res.Failed)
	}
	switch {
	case refused > 0:
		return &exitError{code: ExitUsage, err: errSilent}
	case failed > 0:
		return &exitError{code: ExitError, err: fmt.Errorf("security-hub: %d findings refused", failed)}
	}
	return nil
}
