package collect

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/orgiam/orgiam/internal/regions"
)

// EC2API is the part of the EC2 client the collectors use.
type EC2API = regions.DescribeRegionsAPI

func (c *sdkClients) EC2() EC2API {
	return client(c, "ec2", func(cfg aws.Config) EC2API { return ec2.NewFromConfig(cfg) })
}

// RegionsCollector reads the regions enabled in the account
// (ec2:DescribeRegions, once per account) for the pipeline to build the
// account's region items. It writes nothing itself.
type RegionsCollector struct{}

var _ Collector = RegionsCollector{}

// Name is "regions".
func (RegionsCollector) Name() string { return "regions" }

// Scope is ScopeAccount.
func (RegionsCollector) Scope() Scope { return ScopeAccount }

// Actions is ec2:DescribeRegions.
func (RegionsCollector) Actions() []string { return []string{"ec2:DescribeRegions"} }

// Collect records the enabled regions of the account's partition on the
// item. A refusal or a failure
// is a warning of the account, which keeps its other data: its regions are
// then unknown (Item.EnabledRegions says so).
func (c RegionsCollector) Collect(ctx context.Context, it *Item, _ Writer) error {
	enabled, err := regions.Enabled(ctx, it.Clients.EC2())
	if err != nil {
		if ctx.Err() != nil {
			return opErr(it.Account, "ec2:DescribeRegions", err)
		}
		w := WarningOf(c.Name(), "", opErr(it.Account, "ec2:DescribeRegions", err))
		it.Missed(w)
		return nil
	}
	it.SetEnabledRegions(inPartition(enabled, it.Partition))
	return nil
}

// inPartition keeps the regions of the account's partition ("" is aws).
// AWS lists only those; an emulator (moto) lists every partition's
// regions as enabled, and a region of another partition cannot be reached
// with the account's credentials.
func inPartition(names []string, partition string) []string {
	if partition == "" {
		partition = "aws"
	}
	out := names[:0:0]
	for _, n := range names {
		if partitionOf(n) == partition {
			out = append(out, n)
		}
	}
	return out
}
