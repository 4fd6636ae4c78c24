package policygen

import (
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
)

// Principal is an IAM user or role that made calls.
type Principal struct {
	// ARN is the IAM ARN (arn:aws:iam::111122223333:role/path/Name). A role
	// seen only through assumed-role session ARNs has no path in it.
	ARN     string `json:"arn"`
	Account string `json:"account"`
	Kind    string `json:"kind"` // user or role
	Name    string `json:"name"`
}

// Key identifies a principal regardless of its path: IAM names are unique
// per account and kind, and assumed-role ARNs do not carry the role's path.
func (p Principal) Key() string {
	return p.Account + "/" + p.Kind + "/" + strings.ToLower(p.Name)
}

// ParsePrincipal reads a user ARN, a role ARN or an assumed-role session ARN.
func ParsePrincipal(s string) (Principal, error) {
	a, err := arn.Parse(s)
	if err != nil {
		return Principal{}, fmt.Errorf("%q is not an ARN", s)
	}
	switch {
	case a.Service == "iam" && strings.HasPrefix(a.Resource, "user/"):
		return Principal{ARN: s, Account: a.AccountID, Kind: "user", Name: lastSegment(a.Resource)}, nil
	case a.Service == "iam" && strings.HasPrefix(a.Resource, "role/"):
		return Principal{ARN: s, Account: a.AccountID, Kind: "role", Name: lastSegment(a.Resource)}, nil
	case a.Service == "sts" && strings.HasPrefix(a.Resource, "assumed-role/"):
		parts := strings.Split(a.Resource, "/")
		if len(parts) < 2 || parts[1] == "" {
			return Principal{}, fmt.Errorf("%q: assumed-role ARN without a role name", s)
		}
		return Principal{ARN: arn.ARN{Partition: a.Partition, Service: "iam", AccountID: a.AccountID, Resource: "role/" + parts[1]}.String(), Account: a.AccountID, Kind: "role", Name: parts[1]}, nil
	}
	return Principal{}, fmt.Errorf("%q is not an IAM user, role or assumed-role ARN", s)
}

func lastSegment(res string) string {
	return res[strings.LastIndexByte(res, '/')+1:]
}

// attribute returns the principal of a record: IAM users by
// userIdentity.arn, roles by sessionContext.sessionIssuer.arn (every session
// of the role), or by the assumed-role ARN when the issuer is not recorded
// (some cross-account records in the resource account's trail). skip is
// the reason a record is not attributed (its identity type), "" if it is.
func attribute(r *Record) (p Principal, skip string) {
	u := r.UserIdentity
	switch u.Type {
	case "IAMUser":
		p, err := ParsePrincipal(u.ARN)
		if err != nil {
			return Principal{}, "IAMUser without a user ARN"
		}
		return p, ""
	case "AssumedRole":
		if sc := u.SessionContext; sc != nil && sc.SessionIssuer.Type == "Role" && sc.SessionIssuer.ARN != "" {
			if p, err := ParsePrincipal(sc.SessionIssuer.ARN); err == nil && p.Kind == "role" {
				return p, ""
			}
		}
		p, err := ParsePrincipal(u.ARN)
		if err != nil {
			return Principal{}, "AssumedRole without a role ARN"
		}
		return p, ""
	case "":
		return Principal{}, "no identity type"
	}
	return Principal{}, u.Type
}
