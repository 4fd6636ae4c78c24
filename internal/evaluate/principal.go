package evaluate

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/orgiam/orgiam/internal/iamarn"
	"github.com/orgiam/orgiam/internal/policy"
)

// principals is a compiled Principal or NotPrincipal element.
type principals struct {
	any bool // "*" or {"AWS": "*"}
	aws []string
	// awsParsed holds, for each aws value, what matching reads of it,
	// parsed once at compile time rather than per request.
	awsParsed []awsValue
	service   []string
	federated []string
	canonical []string
}

func compilePrincipals(p *policy.Principal) (*principals, error) {
	if p == nil {
		return nil, nil
	}
	out := &principals{any: p.Wildcard}
	for typ, vals := range p.Values {
		switch typ {
		case "AWS":
			for _, v := range vals {
				if v == "*" {
					out.any = true
					continue
				}
				out.aws = append(out.aws, v)
				out.awsParsed = append(out.awsParsed, parseAWSValue(v))
			}
		case "Service":
			out.service = append(out.service, vals...)
		case "Federated":
			out.federated = append(out.federated, vals...)
		case "CanonicalUser":
			out.canonical = append(out.canonical, vals...)
		default:
			return nil, fmt.Errorf("unknown principal type %q (AWS, Service, Federated, CanonicalUser)", typ)
		}
	}
	return out, nil
}

// awsValue is an AWS principal value as matching reads it.
type awsValue struct {
	// account is the account an account id or an iam root ARN names
	// ("" for other values, or a root-like value that is not one).
	account string
	// role is set for an iam role ARN: its partition, account and name.
	role                                 bool
	rolePartition, roleAccount, roleName string
}

func parseAWSValue(v string) awsValue {
	var out awsValue
	if iamarn.ValidAccount(v) {
		out.account = v
	} else if strings.HasSuffix(v, ":root") {
		if a, err := arn.Parse(v); err == nil && a.Service == "iam" && a.Resource == "root" {
			out.account = a.AccountID
		}
	}
	if a, err := arn.Parse(v); err == nil && a.Service == "iam" && strings.HasPrefix(a.Resource, "role/") {
		out.role, out.rolePartition, out.roleAccount, out.roleName = true, a.Partition, a.AccountID, lastSegment(a.Resource)
	}
	return out
}

// PrincipalKind is what kind of caller a request principal is.
type PrincipalKind uint8

const (
	KindAnonymous PrincipalKind = iota
	KindUser
	KindRole        // the role itself (its ARN given as the principal)
	KindRoleSession // arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION
	KindFederatedUser
	KindRoot
	KindService // an AWS service principal (s3.amazonaws.com)
	KindOther   // a federated or canonical identity given as a string
)

// Principal is the request's caller, parsed.
type Principal struct {
	Kind      PrincipalKind
	ARN       string // as given
	Partition string
	Account   string
	// RoleARN is the role of a session (without its path, which session
	// ARNs do not carry); RoleName its name.
	RoleARN, RoleName string
	// ServiceLinked is true for roles under /aws-service-role/.
	ServiceLinked bool
	// Name is the user or role name (aws:username for users).
	Name string
}

var canonicalID = regexp.MustCompile(`^[0-9a-f]{64}$`)

// ParsePrincipal reads a request principal: an IAM user, role or root ARN,
// an STS assumed-role or federated-user session ARN, an AWS service
// principal (s3.amazonaws.com), "anonymous" (or "*") for an unsigned
// request, or any other string as a federated or canonical identity.
func ParsePrincipal(s string) (Principal, error) {
	p := Principal{ARN: s}
	switch {
	case s == "" || s == "anonymous" || s == "*":
		p.Kind = KindAnonymous
		return p, nil
	case !strings.HasPrefix(s, "arn:"):
		switch {
		case strings.HasSuffix(s, ".amazonaws.com") || strings.HasSuffix(s, ".amazonaws.com.cn"):
			p.Kind = KindService
		case canonicalID.MatchString(s) || (strings.Contains(s, ".") && !strings.ContainsAny(s, "/: ")):
			// A canonical user id, or a web identity provider
			// (accounts.google.com, graph.facebook.com, …).
			p.Kind = KindOther
		default:
			return p, fmt.Errorf("principal %q: not an ARN, a service principal, a canonical user id, an identity provider or \"anonymous\"", s)
		}
		return p, nil
	}
	a, err := arn.Parse(s)
	if err != nil {
		return p, fmt.Errorf("principal %q: not an ARN: %v", s, err)
	}
	p.Partition, p.Account = a.Partition, a.AccountID
	if !iamarn.ValidAccount(a.AccountID) {
		return p, fmt.Errorf("principal %q: account %q is not a 12-digit account id", s, a.AccountID)
	}
	switch {
	case a.Service == "iam" && a.Resource == "root":
		p.Kind = KindRoot
	case a.Service == "iam" && strings.HasPrefix(a.Resource, "user/"):
		p.Kind = KindUser
		p.Name = lastSegment(a.Resource)
	case a.Service == "iam" && strings.HasPrefix(a.Resource, "role/"):
		p.Kind = KindRole
		p.Name = lastSegment(a.Resource)
		p.RoleName = p.Name
		p.RoleARN = s
		p.ServiceLinked = strings.HasPrefix(a.Resource, "role/aws-service-role/")
	case a.Service == "sts" && strings.HasPrefix(a.Resource, "assumed-role/"):
		// assumed-role/ROLE/SESSION: exactly three non-empty parts.
		role, session, _ := strings.Cut(a.Resource[len("assumed-role/"):], "/")
		if role == "" || session == "" || strings.Contains(session, "/") {
			return p, fmt.Errorf("principal %q: an assumed-role ARN is arn:PARTITION:sts::ACCOUNT:assumed-role/ROLE/SESSION", s)
		}
		p.Kind = KindRoleSession
		p.RoleName, p.Name = role, role
		p.RoleARN = "arn:" + a.Partition + ":iam::" + a.AccountID + ":role/" + role
		p.ServiceLinked = strings.HasPrefix(role, "AWSServiceRoleFor")
	case a.Service == "sts" && strings.HasPrefix(a.Resource, "federated-user/"):
		p.Kind = KindFederatedUser
		p.Name = lastSegment(a.Resource)
	default:
		return p, fmt.Errorf("principal %q: not a user, role, root or session ARN", s)
	}
	return p, nil
}

func lastSegment(r string) string {
	if i := strings.LastIndexByte(r, '/'); i >= 0 {
		return r[i+1:]
	}
	return r
}

// principalMatch is how a Principal element names the caller. The kinds
// matter beyond yes or no: within one account a grant to the account defers
// to the caller's identity policies, and a grant to a role's ARN (rather than
// to the session's) is still limited by the session's boundary and session
// policy.
type principalMatch uint8

const (
	pmNone    principalMatch = iota
	pmAccount                // the caller's account ("123456789012" or its root ARN)
	pmRole                   // the role ARN of the calling session
	pmDirect                 // the caller itself: its ARN, session ARN, service or identity
	pmAny                    // "*"
)

// match returns the strongest way p names the caller.
func (ps *principals) match(p *Principal) principalMatch {
	if ps == nil {
		return pmNone
	}
	best := pmNone
	if ps.any {
		best = pmAny
	}
	switch p.Kind {
	case KindService:
		for _, s := range ps.service {
			if s == p.ARN {
				return max(best, pmDirect)
			}
		}
		return best
	case KindOther:
		for _, s := range ps.federated {
			if s == p.ARN {
				return max(best, pmDirect)
			}
		}
		for _, s := range ps.canonical {
			if s == p.ARN {
				return max(best, pmDirect)
			}
		}
		return best
	case KindAnonymous:
		return best
	}
	for i, v := range ps.aws {
		switch {
		case v == p.ARN:
			best = max(best, pmDirect)
		case iamarn.ValidAccount(v) || strings.HasSuffix(v, ":root"):
			if acct := ps.awsParsed[i].account; acct != "" && acct == p.Account {
				best = max(best, pmAccount)
			}
		case p.Kind == KindRoleSession && sameRole(v, &ps.awsParsed[i], p):
			best = max(best, pmRole)
		}
	}
	if best == pmAny && p.Kind != KindRoot {
		return pmAny
	}
	return best
}

// sameRole reports whether v is the ARN of the session's role. Session ARNs
// drop the role's path, so a role ARN with a path names the session's role
// when account and name agree.
func sameRole(v string, pv *awsValue, p *Principal) bool {
	if v == p.RoleARN {
		return true
	}
	return pv.role && pv.roleAccount == p.Account && pv.rolePartition == p.Partition && pv.roleName == p.RoleName
}
