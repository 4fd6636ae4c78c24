package report

import (
	"encoding/json"
	"testing"

	"github.com/orgiam/orgiam/internal/snapshot"
)

// trustRole is a role of the test account with the trust statements given.
func trustRole(name string, statements ...string) snapshot.Role {
	doc := `{"Version":"2012-10-17","Statement":[`
	for i, s := range statements {
		if i > 0 {
			doc += ","
		}
		doc += s
	}
	return snapshot.Role{RoleName: name, Path: "/", Arn: roleArn(name), AssumeRolePolicyDocument: json.RawMessage(doc + `]}`)}
}

func linkedRole(statements ...string) snapshot.Role {
	r := trustRole("AWSServiceRoleForX", statements...)
	r.Path = "/aws-service-role/x.amazonaws.com/"
	return r
}

func TestCheckTrustAnyPrincipal(t *testing.T) {
	t.Parallel()
	anyone := `{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}`
	star := `{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Condition":{"Bool":{"aws:SecureTransport":"true"}}}`
	inOrg := `{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc"}}}`
	named := `{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole"}`
	testCheck(t, CheckTrustAnyPrincipal, []checkCase{
		{"roles", &acct{roles: []snapshot.Role{trustRole("open", named, anyone), trustRole("star", star), trustRole("org", inOrg), trustRole("named", named), linkedRole(anyone)}}, []result{
			fail(roleArn("open"), "Any AWS principal may assume the role: statement 1 (no condition)."),
			fail(roleArn("star"), "Any AWS principal may assume the role: statement 0 (conditions on aws:securetransport)."),
			pass(roleArn("org"), "The trust policy does not let every AWS principal in."),
			pass(roleArn("named"), "The trust policy does not let every AWS principal in."),
		}},
		{"no roles.json", &acct{}, nil},
	})
}

func TestCheckGitHubOIDCSub(t *testing.T) {
	t.Parallel()
	gh := func(cond string) string {
		return `{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::` + testAccount + `:oidc-provider/token.actions.githubusercontent.com"},"Action":"sts:AssumeRoleWithWebIdentity"` + cond + `}`
	}
	aud := `,"Condition":{"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"}}`
	anyRepo := `,"Condition":{"StringLike":{"token.actions.githubusercontent.com:sub":"repo:*"}}`
	mine := `,"Condition":{"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"},"StringLike":{"token.actions.githubusercontent.com:sub":"repo:my-org/*"}}`
	eks := `{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::` + testAccount + `:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC"},"Action":"sts:AssumeRoleWithWebIdentity"}`
	testCheck(t, CheckGitHubOIDCSub, []checkCase{
		{"roles", &acct{roles: []snapshot.Role{trustRole("deploy-any", gh(aud)), trustRole("deploy-star", gh(anyRepo)), trustRole("deploy", gh(mine)), trustRole("eks", eks)}}, []result{
			fail(roleArn("deploy-any"), "Web identity trust without a subject: statement 0: no condition on token.actions.githubusercontent.com:sub."),
			fail(roleArn("deploy-star"), "Web identity trust without a subject: statement 0: token.actions.githubusercontent.com:sub only matches wildcards (repo:*)."),
			pass(roleArn("deploy"), "Web identity trust restricted by sub (token.actions.githubusercontent.com)."),
		}},
	})
}

func TestCheckOIDCSub(t *testing.T) {
	t.Parallel()
	eks := func(cond string) string {
		return `{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::` + testAccount + `:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC"},"Action":"sts:AssumeRoleWithWebIdentity"` + cond + `}`
	}
	sub := `,"Condition":{"StringEquals":{"oidc.eks.us-east-1.amazonaws.com/id/ABC:sub":"system:serviceaccount:app:web"}}`
	star := `,"Condition":{"StringLike":{"oidc.eks.us-east-1.amazonaws.com/id/ABC:sub":"*"}}`
	cognito := `{"Effect":"Allow","Principal":{"Federated":"cognito-identity.amazonaws.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"cognito-identity.amazonaws.com:aud":"us-east-1:pool"}}}`
	testCheck(t, CheckOIDCSub, []checkCase{
		{"roles", &acct{roles: []snapshot.Role{trustRole("web", eks(sub)), trustRole("any", eks("")), trustRole("star", eks(star)), trustRole("cognito", cognito)}}, []result{
			pass(roleArn("web"), "Web identity trust restricted by sub (oidc.eks.us-east-1.amazonaws.com/id/ABC)."),
			fail(roleArn("any"), "Web identity trust without a subject: statement 0: no condition on oidc.eks.us-east-1.amazonaws.com/id/ABC:sub."),
			fail(roleArn("star"), "Web identity trust without a subject: statement 0: oidc.eks.us-east-1.amazonaws.com/id/ABC:sub only matches wildcards (*)."),
		}},
	})
}

// inRun puts the account in a run whose account list holds the given ids.
func inRun(a *acct, ids ...string) *acct {
	rn := &run{awsAdmin: map[string]bool{}}
	for _, id := range ids {
		rn.list = append(rn.list, snapshot.Account{ID: id})
	}
	a.rn = rn
	return a
}

func TestCheckExternalID(t *testing.T) {
	t.Parallel()
	from := func(p, cond string) string {
		return `{"Effect":"Allow","Principal":{"AWS":"` + p + `"},"Action":"sts:AssumeRole"` + cond + `}`
	}
	ext := `,"Condition":{"StringEquals":{"sts:ExternalId":"x-123"}}`
	roles := []snapshot.Role{
		trustRole("vendor", from("arn:aws:iam::999988887777:root", "")),
		trustRole("vendor-ext", from("999988887777", ext)),
		trustRole("sibling", from("arn:aws:iam::111122223333:role/ci", "")),
		trustRole("self", from("arn:aws:iam::"+testAccount+":root", "")),
	}
	testCheck(t, CheckExternalID, []checkCase{
		{"roles", inRun(&acct{roles: roles}, testAccount, "111122223333"), []result{
			fail(roleArn("vendor"), "Trusted outside the organization without sts:ExternalId: arn:aws:iam::999988887777:root."),
			pass(roleArn("vendor-ext"), "Trusted outside the organization with sts:ExternalId: 999988887777."),
		}},
		{"run unknown", &acct{roles: roles}, nil},
	})
}

func TestCheckConfusedDeputy(t *testing.T) {
	t.Parallel()
	svc := func(p, cond string) string {
		return `{"Effect":"Allow","Principal":{"Service":"` + p + `"},"Action":"sts:AssumeRole"` + cond + `}`
	}
	src := `,"Condition":{"StringEquals":{"aws:SourceAccount":"` + testAccount + `"}}`
	testCheck(t, CheckConfusedDeputy, []checkCase{
		{"roles", &acct{roles: []snapshot.Role{
			trustRole("config", svc("config.amazonaws.com", "")),
			trustRole("states", svc("states.amazonaws.com", src)),
			trustRole("lambda", svc("lambda.amazonaws.com", "")), // Lambda cannot set the keys: not judged
		}}, []result{
			fail(roleArn("config"), "Service trust without aws:SourceAccount or aws:SourceArn: config.amazonaws.com."),
			pass(roleArn("states"), "Service trust restricted by source: states.amazonaws.com."),
		}},
	})
}

func TestCheckCrossAccountPaths(t *testing.T) {
	t.Parallel()
	from := func(p string) string {
		return `{"Effect":"Allow","Principal":{"AWS":"` + p + `"},"Action":"sts:AssumeRole"}`
	}
	admin := trustRole("admin", from("arn:aws:iam::111122223333:root"))
	admin.AttachedManagedPolicies = []snapshot.AttachedPolicy{adminAccess}
	audit := trustRole("audit", from("arn:aws:iam::999988887777:role/scanner"))
	audit.AttachedManagedPolicies = []snapshot.AttachedPolicy{{PolicyName: "SecurityAudit", PolicyArn: "arn:aws:iam::aws:policy/SecurityAudit"}}
	local := trustRole("local", from("arn:aws:iam::"+testAccount+":root"))
	testCheck(t, CheckCrossAccountPaths, []checkCase{
		{"roles", inRun(&acct{roles: []snapshot.Role{admin, audit, local}}, testAccount, "111122223333"), []result{
			fail(roleArn("admin"), "arn:aws:iam::111122223333:root (in the organization) → sts:AssumeRole → an administrator (through AdministratorAccess (AWS managed))."),
			fail(roleArn("audit"), "arn:aws:iam::999988887777:role/scanner (outside the organization) → sts:AssumeRole → a role with SecurityAudit (AWS managed)."),
			pass(roleArn("local"), "No principal of another account may assume the role."),
		}},
	})
}

// The trust checks read condition values with policy.ConditionValues: a
// list, number or boolean is read as its texts; null or an object narrows
// nothing, so a sub condition with one is no condition on sub.
func TestCheckOIDCSubConditionValueKinds(t *testing.T) {
	t.Parallel()
	eks := func(value string) string {
		return `{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::` + testAccount + `:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"oidc.eks.us-east-1.amazonaws.com/id/ABC:sub":` + value + `}}}`
	}
	const none = "Web identity trust without a subject: statement 0: no condition on oidc.eks.us-east-1.amazonaws.com/id/ABC:sub."
	const named = "Web identity trust restricted by sub (oidc.eks.us-east-1.amazonaws.com/id/ABC)."
	testCheck(t, CheckOIDCSub, []checkCase{
		{"value kinds", &acct{roles: []snapshot.Role{
			trustRole("list", eks(`["system:serviceaccount:app:web", "system:serviceaccount:app:api"]`)),
			trustRole("number", eks(`42`)),
			trustRole("bool", eks(`true`)),
			trustRole("null", eks(`null`)),
			trustRole("object", eks(`{"a": "system:serviceaccount:app:web"}`)),
		}}, []result{
			pass(roleArn("list"), named),
			pass(roleArn("number"), named),
			pass(roleArn("bool"), named),
			fail(roleArn("null"), none),
			fail(roleArn("object"), none),
		}},
	})
}
