package collect

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// regionsEC2 answers DescribeRegions with a fixed list.
type regionsEC2 struct{ regions map[string]string } // name → opt-in status

func (f regionsEC2) DescribeRegions(context.Context, *ec2.DescribeRegionsInput, ...func(*ec2.Options)) (*ec2.DescribeRegionsOutput, error) {
	out := &ec2.DescribeRegionsOutput{}
	for n, s := range f.regions {
		out.Regions = append(out.Regions, ec2types.Region{RegionName: aws.String(n), OptInStatus: aws.String(s)})
	}
	return out, nil
}

type ec2Clients struct {
	Clients
	ec2 EC2API
}

func (c ec2Clients) EC2() EC2API { return c.ec2 }

func TestRegionsCollectorKeepsTheAccountsPartition(t *testing.T) {
	// moto lists the regions of every partition as enabled.
	api := regionsEC2{regions: map[string]string{
		"us-east-1": "opt-in-not-required", "eu-west-1": "opt-in-not-required", "ap-east-1": "not-opted-in", "me-south-1": "opted-in",
		"cn-north-1": "opt-in-not-required", "us-gov-west-1": "opt-in-not-required", "us-iso-east-1": "opt-in-not-required",
	}}
	for partition, want := range map[string]string{
		"aws": "eu-west-1,me-south-1,us-east-1", "": "eu-west-1,me-south-1,us-east-1",
		"aws-cn": "cn-north-1", "aws-us-gov": "us-gov-west-1", "aws-iso": "us-iso-east-1", "aws-iso-b": "",
	} {
		it := &Item{Account: "111122223333", Partition: partition, Clients: ec2Clients{ec2: api}}
		if err := (RegionsCollector{}).Collect(context.Background(), it, nil); err != nil {
			t.Fatal(err)
		}
		got, ok := it.EnabledRegions()
		if !ok || strings.Join(got, ",") != want {
			t.Errorf("partition %q: enabled %v (known %v), want %s", partition, got, ok, want)
		}
	}
}
