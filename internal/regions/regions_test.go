package regions

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    Selection
		wantErr string
	}{
		{"", Selection{AllEnabled: true}, ""},
		{"all-enabled", Selection{AllEnabled: true}, ""},
		{"eu-west-1, us-east-1,eu-west-1", Selection{Names: []string{"eu-west-1", "us-east-1"}}, ""},
		{"us-east-1,,eu-west-1", Selection{}, "empty region name"},
		{"us-east-1,all-enabled", Selection{}, "stands alone"},
		{"us-est-1", Selection{}, `"us-est-1" is not an AWS region (did you mean us-east-1?)`},
		{"mars-1", Selection{}, `"mars-1" is not an AWS region`},
	} {
		got, err := Parse(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("Parse(%q) error = %v, want %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Parse(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
		if back, _ := Parse(got.String()); !reflect.DeepEqual(back, got) {
			t.Errorf("Parse(%q).String() = %q does not read back", tc.in, got.String())
		}
	}
}

func TestResolve(t *testing.T) {
	enabled := []string{"us-east-1", "eu-west-1"}
	scan, skipped := Selection{AllEnabled: true}.Resolve(enabled)
	if !reflect.DeepEqual(scan, []string{"eu-west-1", "us-east-1"}) || skipped != nil {
		t.Errorf("all-enabled: %v %v", scan, skipped)
	}
	scan, skipped = Selection{Names: []string{"ap-east-1", "us-east-1"}}.Resolve(enabled)
	if !reflect.DeepEqual(scan, []string{"us-east-1"}) || !strings.Contains(skipped["ap-east-1"], "not enabled") || len(skipped) != 1 {
		t.Errorf("list: %v %v", scan, skipped)
	}
}

type fakeEC2 struct{ regions []ec2types.Region }

func (f fakeEC2) DescribeRegions(_ context.Context, in *ec2.DescribeRegionsInput, _ ...func(*ec2.Options)) (*ec2.DescribeRegionsOutput, error) {
	if !aws.ToBool(in.AllRegions) {
		panic("AllRegions not asked: opted-out regions would be missing, not told apart")
	}
	return &ec2.DescribeRegionsOutput{Regions: f.regions}, nil
}

func TestEnabled(t *testing.T) {
	api := fakeEC2{[]ec2types.Region{
		{RegionName: aws.String("us-east-1"), OptInStatus: aws.String("opt-in-not-required")},
		{RegionName: aws.String("af-south-1"), OptInStatus: aws.String("not-opted-in")},
		{RegionName: aws.String("ap-east-1"), OptInStatus: aws.String("opted-in")},
		{RegionName: aws.String("eu-west-1")},
	}}
	got, err := Enabled(context.Background(), api)
	if err != nil || !reflect.DeepEqual(got, []string{"ap-east-1", "eu-west-1", "us-east-1"}) {
		t.Errorf("Enabled = %v, %v", got, err)
	}
}
