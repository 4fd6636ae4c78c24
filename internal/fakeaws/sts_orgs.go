package fakeaws

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/orgiam/orgiam/internal/iamarn"
)

func (s *Server) serveSTS(c *call) {
	switch c.op {
	case "GetCallerIdentity":
		c.writeQuery(new(x).el("Arn", c.id.arn).el("UserId", c.id.userID).el("Account", c.id.account).String())
	case "AssumeRole":
		s.assumeRole(c)
	default:
		c.fail(400, "InvalidAction", "Could not find operation "+c.op+" for version 2011-06-15")
	}
}

func (s *Server) assumeRole(c *call) {
	roleArn, sessName := c.form.Get("RoleArn"), c.form.Get("RoleSessionName")
	if roleArn == "" || sessName == "" {
		c.fail(400, "ValidationError", "1 validation error detected: RoleArn and RoleSessionName are required")
		return
	}
	denied := func() {
		c.fail(403, "AccessDenied", fmt.Sprintf("User: %s is not authorized to perform: sts:AssumeRole on resource: %s", c.id.arn, roleArn))
	}
	// arn:partition:iam::account:role/path/name
	ra, ok := iamarn.Parse(roleArn)
	if !ok || ra.Type != "role" || ra.Name == "" {
		c.fail(400, "ValidationError", fmt.Sprintf("%s is invalid", roleArn))
		return
	}
	acct, path, name := ra.AccountID, ra.Path, ra.Name
	d := s.w.Account(acct)
	if d == nil {
		denied()
		return
	}
	role := d.Role(name)
	if role == nil || (path != "/" && path != role.Path) {
		denied()
		return
	}
	k := s.Knobs()
	if name == s.w.opts.CollectRoleName && contains(k.DenyAssume, acct) {
		denied()
		return
	}
	if eid, ok := d.RoleExternalIDs[name]; ok && c.form.Get("ExternalId") != eid {
		denied()
		return
	}
	dur := 3600
	if v := c.form.Get("DurationSeconds"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 900 || n > 43200 {
			c.fail(400, "ValidationError", "1 validation error detected: Value '"+v+"' at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and 43200")
			return
		}
		dur = n
	}
	s.sessMu.Lock()
	akid := "ASIA" + randString(s.keyRand, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
	secret := randString(s.keyRand, lowerAlnum+"ABCDEFGHIJKLMNOPQRSTUVWXYZ", 40)
	token := "FQoGZXIvYXdzE" + randString(s.keyRand, lowerAlnum+"ABCDEFGHIJKLMNOPQRSTUVWXYZ", 100)
	exp := time.Now().Add(time.Duration(dur) * time.Second).UTC().Truncate(time.Second)
	s.sessions[akid] = &session{account: acct, roleName: name, roleArn: role.Arn, roleID: role.RoleID, sessionName: sessName, origin: c.id.origin, expires: exp}
	s.sessMu.Unlock()
	b := new(x).open("Credentials").el("AccessKeyId", akid).el("SecretAccessKey", secret).el("SessionToken", token).tm("Expiration", &exp).close("Credentials")
	b.open("AssumedRoleUser").el("AssumedRoleId", role.RoleID+":"+sessName).
		el("Arn", fmt.Sprintf("arn:%s:sts::%s:assumed-role/%s/%s", s.w.opts.Partition, acct, name, sessName)).close("AssumedRoleUser")
	b.int("PackedPolicySize", 0)
	c.writeQuery(b.String())
}

// Organizations (JSON 1.1).

type jsonReq map[string]any

func (r jsonReq) str(k string) string { v, _ := r[k].(string); return v }
func (r jsonReq) num(k string) int    { v, _ := r[k].(float64); return int(v) }

func (s *Server) serveOrgs(c *call) {
	var req jsonReq
	if len(c.body) > 0 {
		if err := jsonUnmarshal(c.body, &req); err != nil {
			c.fail(400, "SerializationException", err.Error())
			return
		}
	}
	org := s.w.OrgOf(c.id.account)
	if org == nil {
		c.fail(400, "AWSOrganizationsNotInUseException", "Your account is not a member of an organization.")
		return
	}
	if org.ManagementAccountID != c.id.account && c.op != "DescribeOrganization" {
		c.fail(400, "AccessDeniedException", "You don't have permissions to access this resource.")
		return
	}
	acctJSON := func(a *AccountMeta) map[string]any {
		return map[string]any{"Id": a.ID, "Arn": a.Arn, "Email": a.Email, "Name": a.Name, "Status": a.Status, "State": a.Status,
			"JoinedMethod": a.JoinedMethod, "JoinedTimestamp": float64(a.Joined.Unix())}
	}
	page := func(key string, items []any) {
		max := req.num("MaxResults")
		if max <= 0 || max > 20 {
			max = 20
		}
		start := 0
		if t := req.str("NextToken"); t != "" {
			n, err := strconv.Atoi(strings.TrimPrefix(t, "tok-"))
			if err != nil || n < 0 || n > len(items) {
				c.fail(400, "InvalidInputException", "The NextToken is invalid.")
				return
			}
			start = n
		}
		end := min(start+max, len(items))
		out := map[string]any{key: items[start:end]}
		if end < len(items) {
			out["NextToken"] = fmt.Sprintf("tok-%d", end)
		}
		c.writeJSON(out)
	}
	parentOK := func(id string) bool {
		if id == org.RootID {
			return true
		}
		for _, ou := range org.OUs {
			if ou.ID == id {
				return true
			}
		}
		return false
	}
	if s.serveOrgPolicies(c, org, req, page) {
		return
	}
	switch c.op {
	case "DescribeOrganization":
		c.writeJSON(map[string]any{"Organization": map[string]any{"Id": org.ID, "Arn": org.Arn, "FeatureSet": "ALL",
			"MasterAccountArn": fmt.Sprintf("arn:%s:organizations::%s:account/%s/%s", s.w.opts.Partition, org.ManagementAccountID, org.ID, org.ManagementAccountID),
			"MasterAccountId":  org.ManagementAccountID, "MasterAccountEmail": org.ManagementEmail,
			"AvailablePolicyTypes": rootPolicyTypes(org)}})
	case "ListAccounts":
		items := make([]any, 0, len(org.AccountIDs))
		for _, id := range org.AccountIDs {
			items = append(items, acctJSON(s.w.byID[id]))
		}
		page("Accounts", items)
	case "ListRoots":
		page("Roots", []any{map[string]any{"Id": org.RootID, "Arn": org.RootArn, "Name": "Root", "PolicyTypes": rootPolicyTypes(org)}})
	case "ListOrganizationalUnitsForParent", "ListAccountsForParent", "ListChildren":
		parent := req.str("ParentId")
		if !parentOK(parent) {
			c.fail(400, "ParentNotFoundException", "We can't find a root or OU with the ParentId that you specified: "+parent)
			return
		}
		childType := req.str("ChildType")
		var items []any
		if c.op == "ListOrganizationalUnitsForParent" || childType == "ORGANIZATIONAL_UNIT" {
			for _, ou := range org.OUs {
				if ou.ParentID == parent {
					if c.op == "ListChildren" {
						items = append(items, map[string]any{"Id": ou.ID, "Type": "ORGANIZATIONAL_UNIT"})
					} else {
						items = append(items, map[string]any{"Id": ou.ID, "Arn": ou.Arn, "Name": ou.Name})
					}
				}
			}
		} else if c.op == "ListAccountsForParent" || childType == "ACCOUNT" {
			for _, id := range org.AccountIDs {
				a := s.w.byID[id]
				if a.ParentID == parent {
					if c.op == "ListChildren" {
						items = append(items, map[string]any{"Id": a.ID, "Type": "ACCOUNT"})
					} else {
						items = append(items, acctJSON(a))
					}
				}
			}
		} else {
			c.fail(400, "InvalidInputException", "ChildType must be ACCOUNT or ORGANIZATIONAL_UNIT")
			return
		}
		key := map[string]string{"ListOrganizationalUnitsForParent": "OrganizationalUnits", "ListAccountsForParent": "Accounts", "ListChildren": "Children"}[c.op]
		if items == nil {
			items = []any{}
		}
		page(key, items)
	default:
		c.fail(400, "UnknownOperationException", "fakeaws does not emulate organizations:"+c.op)
	}
}
