// Package regions reads a --regions value and the regions enabled in an
// account (ec2:DescribeRegions), and says which regions of an account are
// scanned and why the others are not.
package regions

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/agext/levenshtein"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
)

// AllEnabled is the --regions value that scans every region enabled in each
// account (the default).
const AllEnabled = "all-enabled"

// known are the regions of AWS's partitions (aws, aws-us-gov, aws-cn,
// aws-eusc). The SDK keeps its endpoint tables internal, so the list is
// here; it serves only to catch a mistyped --regions value before a run
// starts. What an account has is always read from ec2:DescribeRegions.
var known = map[string]bool{}

func init() {
	for _, r := range strings.Fields(`
		us-east-1 us-east-2 us-west-1 us-west-2 ca-central-1 ca-west-1 mx-central-1 sa-east-1
		af-south-1 il-central-1 me-south-1 me-central-1
		eu-central-1 eu-central-2 eu-west-1 eu-west-2 eu-west-3 eu-south-1 eu-south-2 eu-north-1
		ap-east-1 ap-east-2 ap-south-1 ap-south-2 ap-northeast-1 ap-northeast-2 ap-northeast-3
		ap-southeast-1 ap-southeast-2 ap-southeast-3 ap-southeast-4 ap-southeast-5 ap-southeast-6 ap-southeast-7
		us-gov-west-1 us-gov-east-1 cn-north-1 cn-northwest-1 eusc-de-east-1`) {
		known[r] = true
	}
}

// Known reports whether name is a region of one of AWS's partitions.
func Known(name string) bool { return known[name] }

// Selection is a parsed --regions value: every enabled region, or a list.
type Selection struct {
	AllEnabled bool
	Names      []string // sorted, unique; empty when AllEnabled
}

// Parse reads a --regions value: "all-enabled" (also the empty string) or a
// comma-separated list of region names. An unknown or malformed name is an
// error naming it.
func Parse(s string) (Selection, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == AllEnabled {
		return Selection{AllEnabled: true}, nil
	}
	seen := map[string]bool{}
	var names []string
	for _, part := range strings.Split(s, ",") {
		r := strings.TrimSpace(part)
		switch {
		case r == "":
			return Selection{}, fmt.Errorf("%q has an empty region name (a comma-separated list such as us-east-1,eu-west-1, or %s)", s, AllEnabled)
		case r == AllEnabled:
			return Selection{}, fmt.Errorf("%q: %s stands alone, it cannot be combined with region names", s, AllEnabled)
		case !Known(r):
			return Selection{}, fmt.Errorf("%q is not an AWS region%s", r, suggest(r))
		}
		if !seen[r] {
			seen[r] = true
			names = append(names, r)
		}
	}
	sort.Strings(names)
	return Selection{Names: names}, nil
}

// String is the value Parse reads back.
func (s Selection) String() string {
	if s.AllEnabled || len(s.Names) == 0 {
		return AllEnabled
	}
	return strings.Join(s.Names, ",")
}

// Resolve is the regions of an account to scan, given the regions enabled
// in it, and the regions of the selection it skips with the reason (a
// region not enabled in the account is skipped, not failed).
func (s Selection) Resolve(enabled []string) (scan []string, skipped map[string]string) {
	on := map[string]bool{}
	for _, r := range enabled {
		on[r] = true
	}
	if s.AllEnabled || len(s.Names) == 0 {
		scan = append(scan, enabled...)
		sort.Strings(scan)
		return scan, nil
	}
	for _, r := range s.Names {
		if on[r] {
			scan = append(scan, r)
			continue
		}
		if skipped == nil {
			skipped = map[string]string{}
		}
		skipped[r] = "region " + r + " is not enabled in the account"
	}
	return scan, skipped
}

// DescribeRegionsAPI is the EC2 call Enabled makes.
type DescribeRegionsAPI interface {
	DescribeRegions(ctx context.Context, in *ec2.DescribeRegionsInput, opts ...func(*ec2.Options)) (*ec2.DescribeRegionsOutput, error)
}

// Enabled lists the regions enabled in the account of api's credentials,
// sorted: those whose opt-in status is "opt-in-not-required" or
// "opted-in" (an empty status counts as enabled).
func Enabled(ctx context.Context, api DescribeRegionsAPI) ([]string, error) {
	out, err := api.DescribeRegions(ctx, &ec2.DescribeRegionsInput{AllRegions: aws.Bool(true)})
	if err != nil {
		return nil, err
	}
	var names []string
	for _, r := range out.Regions {
		if aws.ToString(r.OptInStatus) == "not-opted-in" || aws.ToString(r.RegionName) == "" {
			continue
		}
		names = append(names, aws.ToString(r.RegionName))
	}
	sort.Strings(names)
	return names, nil
}

// suggest names the known region closest to a mistyped one.
func suggest(r string) string {
	best, bestD := "", 3
	for k := range known {
		if d := levenshtein.Distance(r, k, nil); d < bestD || (d == bestD && best != "" && k < best) {
			best, bestD = k, d
		}
	}
	if best == "" {
		return " (a name such as us-east-1, or " + AllEnabled + ")"
	}
	return " (did you mean " + best + "?)"
}
