package fakeaws

import (
	"fmt"
	"strings"
)

// OrgPolicyOptions shape the organization policies of every generated
// organization. The zero value is a typical organization: SCPs enabled,
// FullAWSAccess attached to the root, every OU and every account (as AWS
// attaches it), a handful of deny guardrails on the root and on OUs, RCPs
// disabled, two delegated administrators.
type OrgPolicyOptions struct {
	// SCPs is how many custom SCPs each organization has besides
	// FullAWSAccess (default 4; negative: none). The first ones are the
	// guardrails of scpTemplates, the rest deny made-up actions on OUs.
	SCPs int
	// DisableSCPs leaves the SCP policy type disabled (no SCP at all).
	DisableSCPs bool
	// RCPs is how many custom RCPs each organization has (default 0: the
	// RCP policy type is disabled). With RCPs the type is enabled and
	// RCPFullAWSAccess is attached everywhere.
	RCPs int
	// DelegatedAdmins is how many member accounts are delegated
	// administrators (default 2; negative: none).
	DelegatedAdmins int
}

// OrgPolicy is one SCP or RCP of a generated organization.
type OrgPolicy struct {
	ID, Arn, Name, Description string
	Type                       string // SERVICE_CONTROL_POLICY or RESOURCE_CONTROL_POLICY
	AwsManaged                 bool
	Content                    string   // the policy document (JSON)
	Targets                    []string // root, OU or account ids
}

// DelegatedAdmin is a member account registered as a delegated
// administrator for some services.
type DelegatedAdmin struct {
	AccountID string
	Services  []string
}

const (
	fullAWSAccess = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
	rcpFullAccess = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`
)

// scpTemplates are common guardrails: where they attach (an OU path, or ""
// for the root) and what they deny. None denies what the evaluator's tests
// ask about by default (IAM user and role management, S3 reads).
var scpTemplates = []struct{ name, ou, doc string }{
	{"DenyLeaveOrganization", "", `{"Version":"2012-10-17","Statement":[{"Sid":"DenyLeave","Effect":"Deny","Action":"organizations:LeaveOrganization","Resource":"*"}]}`},
	{"ProtectSecurityServices", "", `{"Version":"2012-10-17","Statement":[{"Sid":"ProtectLogging","Effect":"Deny","Action":["cloudtrail:StopLogging","cloudtrail:DeleteTrail","guardduty:DeleteDetector","config:DeleteConfigurationRecorder","config:StopConfigurationRecorder"],"Resource":"*"}]}`},
	{"SandboxNoCommitments", "Sandbox", `{"Version":"2012-10-17","Statement":[{"Sid":"NoCommitments","Effect":"Deny","Action":["ec2:PurchaseReservedInstancesOffering","ec2:ModifyReservedInstances","savingsplans:CreateSavingsPlan"],"Resource":"*"}]}`},
	{"ProdProtectData", "Workloads/Prod", `{"Version":"2012-10-17","Statement":[{"Sid":"NoDataDeletion","Effect":"Deny","Action":["s3:DeleteBucket","kms:ScheduleKeyDeletion","rds:DeleteDBCluster"],"Resource":"*"}]}`},
	{"DevRegions", "Workloads/NonProd/Dev", `{"Version":"2012-10-17","Statement":[{"Sid":"OnlyEU","Effect":"Deny","NotAction":["iam:*","sts:*","organizations:*","support:*"],"Resource":"*","Condition":{"StringNotEquals":{"aws:RequestedRegion":["eu-west-1","eu-central-1"]}}}]}`},
}

// rcpTemplates are common RCPs (deny only, as AWS requires).
var rcpTemplates = []struct{ name, ou, doc string }{
	{"EnforceOrgIdentities", "", `{"Version":"2012-10-17","Statement":[{"Sid":"OrgOnly","Effect":"Deny","Principal":"*","Action":["s3:*","sqs:*","kms:*","secretsmanager:*","sts:AssumeRole"],"Resource":"*","Condition":{"StringNotEqualsIfExists":{"aws:PrincipalOrgID":"%ORG%"},"BoolIfExists":{"aws:PrincipalIsAWSService":"false"}}}]}`},
	{"EnforceTLS", "Workloads/Prod", `{"Version":"2012-10-17","Statement":[{"Sid":"TLSOnly","Effect":"Deny","Principal":"*","Action":["s3:*","sqs:*"],"Resource":"*","Condition":{"BoolIfExists":{"aws:SecureTransport":"false"}}}]}`},
}

var delegatedServices = [][]string{
	{"guardduty.amazonaws.com", "securityhub.amazonaws.com"},
	{"config.amazonaws.com", "member.org.stacksets.cloudformation.amazonaws.com"},
	{"access-analyzer.amazonaws.com"},
	{"ipam.amazonaws.com"},
}

// generateOrgPolicies builds org's policies from a random stream of its own,
// so that the rest of the world does not depend on these options.
func (w *World) generateOrgPolicies(org *Org) {
	o := w.opts.OrgPolicies
	r := w.rng("orgpolicies", org.ID)
	p := w.opts.Partition
	ouByPath := map[string]string{"": org.RootID}
	for _, ou := range org.OUs {
		ouByPath[strings.TrimPrefix(ou.Path, "Root/")] = ou.ID
	}
	everywhere := make([]string, 0, 1+len(org.OUs)+len(org.AccountIDs))
	everywhere = append(everywhere, org.RootID)
	for _, ou := range org.OUs {
		everywhere = append(everywhere, ou.ID)
	}
	everywhere = append(everywhere, org.AccountIDs...)
	arn := func(typ, id string) string {
		kind := "service_control_policy"
		if typ == "RESOURCE_CONTROL_POLICY" {
			kind = "resource_control_policy"
		}
		return fmt.Sprintf("arn:%s:organizations::%s:policy/%s/%s/%s", p, org.ManagementAccountID, org.ID, kind, id)
	}
	add := func(typ, id, name, desc, doc string, managed bool, targets []string) {
		org.Policies = append(org.Policies, &OrgPolicy{ID: id, Arn: arn(typ, id), Name: name, Description: desc, Type: typ,
			AwsManaged: managed, Content: doc, Targets: targets})
	}
	custom := func(typ, name, ou, doc string) {
		target, ok := ouByPath[ou]
		if !ok {
			target = org.OUs[r.IntN(len(org.OUs))].ID
		}
		add(typ, "p-"+randString(r, lowerAlnum, 8), name, "", strings.ReplaceAll(doc, "%ORG%", org.ID), false, []string{target})
	}
	if !o.DisableSCPs {
		org.PolicyTypes = append(org.PolicyTypes, "SERVICE_CONTROL_POLICY")
		add("SERVICE_CONTROL_POLICY", "p-FullAWSAccess", "FullAWSAccess", "Allows access to every operation", fullAWSAccess, true, everywhere)
		n := o.SCPs
		if n == 0 {
			n = 4
		}
		for i := 0; i < n; i++ {
			if i < len(scpTemplates) {
				t := scpTemplates[i]
				custom("SERVICE_CONTROL_POLICY", t.name, t.ou, t.doc)
				continue
			}
			custom("SERVICE_CONTROL_POLICY", fmt.Sprintf("Guardrail%d", i+1), "?", fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"guardrail%d:*","Resource":"*"}]}`, i+1))
		}
	}
	if o.RCPs > 0 {
		org.PolicyTypes = append(org.PolicyTypes, "RESOURCE_CONTROL_POLICY")
		add("RESOURCE_CONTROL_POLICY", "p-RCPFullAWSAccess", "RCPFullAWSAccess", "Allows access to every resource", rcpFullAccess, true, everywhere)
		for i := 0; i < o.RCPs; i++ {
			if i < len(rcpTemplates) {
				t := rcpTemplates[i]
				custom("RESOURCE_CONTROL_POLICY", t.name, t.ou, t.doc)
				continue
			}
			custom("RESOURCE_CONTROL_POLICY", fmt.Sprintf("ResourceGuardrail%d", i+1), "?", fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:PutBucketPolicy","Resource":"*","Condition":{"StringNotEquals":{"aws:PrincipalTag/guardrail%d":"yes"}}}]}`, i+1))
		}
	}
	n := o.DelegatedAdmins
	if n == 0 {
		n = 2
	}
	for i := 1; i < len(org.AccountIDs) && len(org.DelegatedAdmins) < n; i++ {
		a := w.byID[org.AccountIDs[i]]
		if a.Status != "ACTIVE" {
			continue
		}
		k := len(org.DelegatedAdmins)
		org.DelegatedAdmins = append(org.DelegatedAdmins, &DelegatedAdmin{AccountID: a.ID, Services: delegatedServices[k%len(delegatedServices)]})
	}
}

// orgPolicyOps are the Organizations operations of orgpolicies.go; the
// DenyOrgPolicies knob answers them AccessDenied.
var orgPolicyOps = map[string]bool{
	"ListPolicies": true, "DescribePolicy": true, "ListTargetsForPolicy": true,
	"ListDelegatedAdministrators": true, "ListDelegatedServicesForAccount": true,
}

// serveOrgPolicies answers an organization-policy operation; false if op is
// not one.
func (s *Server) serveOrgPolicies(c *call, org *Org, req jsonReq, page func(string, []any)) bool {
	if !orgPolicyOps[c.op] {
		return false
	}
	if s.Knobs().DenyOrgPolicies {
		c.fail(400, "AccessDeniedException", fmt.Sprintf("User: %s is not authorized to perform: organizations:%s", c.id.arn, c.op))
		return true
	}
	summary := func(p *OrgPolicy) map[string]any {
		return map[string]any{"Id": p.ID, "Arn": p.Arn, "Name": p.Name, "Description": p.Description, "Type": p.Type, "AwsManaged": p.AwsManaged}
	}
	policy := func(id string) *OrgPolicy {
		for _, p := range org.Policies {
			if p.ID == id {
				return p
			}
		}
		c.fail(400, "PolicyNotFoundException", "We can't find a policy with the PolicyId that you specified.")
		return nil
	}
	switch c.op {
	case "ListPolicies":
		typ := req.str("Filter")
		switch typ {
		case "SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY", "TAG_POLICY", "BACKUP_POLICY", "AISERVICES_OPT_OUT_POLICY", "CHATBOT_POLICY", "DECLARATIVE_POLICY_EC2":
		default:
			c.fail(400, "InvalidInputException", "You provided a value that does not match the required pattern: Filter")
			return true
		}
		items := []any{}
		for _, p := range org.Policies {
			if p.Type == typ {
				items = append(items, summary(p))
			}
		}
		page("Policies", items)
	case "DescribePolicy":
		if p := policy(req.str("PolicyId")); p != nil {
			c.writeJSON(map[string]any{"Policy": map[string]any{"PolicySummary": summary(p), "Content": p.Content}})
		}
	case "ListTargetsForPolicy":
		p := policy(req.str("PolicyId"))
		if p == nil {
			return true
		}
		items := make([]any, 0, len(p.Targets))
		for _, t := range p.Targets {
			items = append(items, s.target(org, t))
		}
		page("Targets", items)
	case "ListDelegatedAdministrators":
		sp := req.str("ServicePrincipal")
		items := []any{}
		for _, d := range org.DelegatedAdmins {
			if sp != "" && !contains(d.Services, sp) {
				continue
			}
			a := s.w.byID[d.AccountID]
			items = append(items, map[string]any{"Id": a.ID, "Arn": a.Arn, "Email": a.Email, "Name": a.Name, "Status": a.Status, "State": a.Status,
				"JoinedMethod": a.JoinedMethod, "JoinedTimestamp": float64(a.Joined.Unix()), "DelegationEnabledDate": float64(a.Joined.Unix() + 86400)})
		}
		page("DelegatedAdministrators", items)
	case "ListDelegatedServicesForAccount":
		id := req.str("AccountId")
		for _, d := range org.DelegatedAdmins {
			if d.AccountID == id {
				items := make([]any, 0, len(d.Services))
				for _, sv := range d.Services {
					items = append(items, map[string]any{"ServicePrincipal": sv, "DelegationEnabledDate": float64(s.w.byID[id].Joined.Unix() + 86400)})
				}
				page("DelegatedServices", items)
				return true
			}
		}
		if a := s.w.byID[id]; a != nil && a.OrgID == org.ID {
			c.fail(400, "AccountNotRegisteredException", "The provided account is not a registered delegated administrator for your organization.")
		} else {
			c.fail(400, "AccountNotFoundException", "You specified an account that doesn't exist.")
		}
	}
	return true
}

// target is a policy target in ListTargetsForPolicy's shape.
func (s *Server) target(org *Org, id string) map[string]any {
	if id == org.RootID {
		return map[string]any{"TargetId": id, "Arn": org.RootArn, "Name": "Root", "Type": "ROOT"}
	}
	for _, ou := range org.OUs {
		if ou.ID == id {
			return map[string]any{"TargetId": id, "Arn": ou.Arn, "Name": ou.Name, "Type": "ORGANIZATIONAL_UNIT"}
		}
	}
	a := s.w.byID[id]
	return map[string]any{"TargetId": id, "Arn": a.Arn, "Name": a.Name, "Type": "ACCOUNT"}
}

// rootPolicyTypes is ListRoots' PolicyTypes of org.
func rootPolicyTypes(org *Org) []any {
	out := []any{}
	for _, t := range org.PolicyTypes {
		out = append(out, map[string]any{"Type": t, "Status": "ENABLED"})
	}
	return out
}
