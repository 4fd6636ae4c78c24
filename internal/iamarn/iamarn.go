// Package iamarn reads IAM ARNs: github.com/aws/aws-sdk-go-v2/aws/arn splits
// the ARN, and this package names the IAM-specific parts of its resource
// (type, path, name), so that no other package splits an ARN by hand and
// questions such as "is this an AWS managed policy" have one answer.
package iamarn

import (
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
)

// Partitions are the partitions orgiam works in (awsauth maps regions to
// them). A set, not a pattern: a new partition is one more entry.
var partitions = map[string]bool{"aws": true, "aws-cn": true, "aws-us-gov": true}

// KnownPartition reports whether p is a partition orgiam works in.
func KnownPartition(p string) bool { return partitions[p] }

// ARN is an IAM ARN with its resource split as IAM writes it:
// <type><path><name>, as "role" "/ops/" "deploy" for role/ops/deploy.
type ARN struct {
	arn.ARN
	// Type is the resource type: user, role, group, policy, root, mfa, …
	Type string
	// Path is "/" or "/a/b/" ("" for a resource without one, as root).
	Path string
	// Name is the last element of the resource.
	Name string
}

// Parse parses an IAM ARN (service iam). ok is false for anything else.
func Parse(s string) (a ARN, ok bool) {
	p, err := arn.Parse(s)
	if err != nil || p.Service != "iam" {
		return ARN{}, false
	}
	a.ARN = p
	typ, rest, found := strings.Cut(p.Resource, "/")
	a.Type = typ
	if !found {
		return a, true
	}
	if i := strings.LastIndexByte(rest, '/'); i >= 0 {
		a.Path, a.Name = "/"+rest[:i+1], rest[i+1:]
	} else {
		a.Path, a.Name = "/", rest
	}
	return a, true
}

// IsAWSManagedPolicy reports whether s is the ARN of an AWS managed policy
// (arn:<partition>:iam::aws:policy/…): the account field is "aws".
func IsAWSManagedPolicy(s string) bool {
	a, ok := Parse(s)
	return ok && a.AccountID == "aws" && a.Type == "policy" && a.Name != ""
}

// Account is the account id of an ARN of any service ("" when the ARN has
// none or it is not a 12-digit account id).
func Account(s string) string {
	a, err := arn.Parse(s)
	if err != nil || !ValidAccount(a.AccountID) {
		return ""
	}
	return a.AccountID
}

// Partition is the partition of an ARN of any service ("" if s is not an ARN).
func Partition(s string) string {
	a, err := arn.Parse(s)
	if err != nil {
		return ""
	}
	return a.Partition
}

// ParseRole checks an IAM role ARN: a partition orgiam works in, a 12-digit
// account, resource role/<path><name> whose characters IAM allows.
func ParseRole(s string) (ARN, bool) {
	a, ok := Parse(s)
	if !ok || a.Type != "role" || !KnownPartition(a.Partition) || a.Region != "" || !ValidAccount(a.AccountID) || a.Name == "" {
		return ARN{}, false
	}
	for _, r := range a.Path + a.Name {
		if !roleChar(r) {
			return ARN{}, false
		}
	}
	return a, true
}

// roleChar is a character IAM allows in a role's path or name (letters,
// digits, _ and +=,.@-, and / between path elements).
func roleChar(r rune) bool {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		return true
	}
	return strings.ContainsRune("_+=,.@/-", r)
}

// ValidAccount reports whether s is a 12-digit account id.
func ValidAccount(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Sibling is the ARN of another IAM entity of the same account and
// partition: typ "group" and name "admins" give …:group/admins.
func (a ARN) Sibling(typ, name string) string {
	return "arn:" + a.Partition + ":iam::" + a.AccountID + ":" + typ + "/" + name
}
