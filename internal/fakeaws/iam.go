package fakeaws

import (
	"bytes"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/orgiam/orgiam/internal/snapshot"
)

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

type crState struct {
	started    time.Time
	limitCalls int
}

func (s *Server) serveIAM(c *call) {
	d := s.w.Account(c.id.account)
	if d == nil {
		c.fail(403, "AccessDenied", fmt.Sprintf("User: %s is not authorized to perform: iam:%s", c.id.arn, c.op))
		return
	}
	f := c.form
	noEntity := func(msg string) { c.fail(404, "NoSuchEntity", msg) }
	switch c.op {
	case "GetAccountAuthorizationDetails":
		s.gaad(c, d)
	case "GetAccountSummary":
		b := new(x).open("SummaryMap")
		for k, v := range accountSummary(d) {
			b.open("entry").el("key", k).int("value", v).close("entry")
		}
		c.writeQuery(b.close("SummaryMap").String())
	case "GetAccountPasswordPolicy":
		pp := d.PasswordPolicy
		if pp == nil {
			noEntity(fmt.Sprintf("The Password Policy with domain name %s cannot be found.", d.Meta.ID))
			return
		}
		b := new(x).open("PasswordPolicy").int("MinimumPasswordLength", int(pp.MinimumPasswordLength)).bool("RequireSymbols", pp.RequireSymbols).
			bool("RequireNumbers", pp.RequireNumbers).bool("RequireUppercaseCharacters", pp.RequireUppercaseCharacters).
			bool("RequireLowercaseCharacters", pp.RequireLowercaseCharacters).bool("AllowUsersToChangePassword", pp.AllowUsersToChangePassword).
			bool("ExpirePasswords", pp.ExpirePasswords)
		if pp.MaxPasswordAge > 0 {
			b.int("MaxPasswordAge", int(pp.MaxPasswordAge))
		}
		if pp.PasswordReusePrevention > 0 {
			b.int("PasswordReusePrevention", int(pp.PasswordReusePrevention))
		}
		c.writeQuery(b.bool("HardExpiry", pp.HardExpiry).close("PasswordPolicy").String())
	case "ListAccountAliases":
		b := new(x).open("AccountAliases")
		for _, a := range d.Aliases {
			b.el("member", a)
		}
		c.writeQuery(b.close("AccountAliases").bool("IsTruncated", false).String())
	case "ListSAMLProviders":
		b := new(x).open("SAMLProviderList")
		for _, p := range d.SAMLProviders {
			b.open("member").el("Arn", p.Arn).tm("ValidUntil", p.ValidUntil).tm("CreateDate", p.CreateDate).close("member")
		}
		c.writeQuery(b.close("SAMLProviderList").String())
	case "GetSAMLProvider":
		for _, p := range d.SAMLProviders {
			if p.Arn == f.Get("SAMLProviderArn") {
				c.writeQuery(new(x).el("SAMLMetadataDocument", p.SAMLMetadataDocument).tm("CreateDate", p.CreateDate).tm("ValidUntil", p.ValidUntil).open("Tags").close("Tags").String())
				return
			}
		}
		noEntity("Manifest not found for arn " + f.Get("SAMLProviderArn"))
	case "ListOpenIDConnectProviders":
		b := new(x).open("OpenIDConnectProviderList")
		for _, p := range d.OIDCProviders {
			b.open("member").el("Arn", p.Arn).close("member")
		}
		c.writeQuery(b.close("OpenIDConnectProviderList").String())
	case "GetOpenIDConnectProvider":
		for _, p := range d.OIDCProviders {
			if p.Arn == f.Get("OpenIDConnectProviderArn") {
				b := new(x).el("Url", p.Url).open("ClientIDList")
				for _, v := range p.ClientIDList {
					b.el("member", v)
				}
				b.close("ClientIDList").open("ThumbprintList")
				for _, v := range p.ThumbprintList {
					b.el("member", v)
				}
				c.writeQuery(b.close("ThumbprintList").tm("CreateDate", p.CreateDate).open("Tags").close("Tags").String())
				return
			}
		}
		noEntity("OpenIDConnect Provider not found for arn " + f.Get("OpenIDConnectProviderArn"))
	case "ListVirtualMFADevices":
		status := f.Get("AssignmentStatus")
		var items []string
		for _, m := range d.VirtualMFADevices {
			if (status == "Assigned" && m.User == nil) || (status == "Unassigned" && m.User != nil) {
				continue
			}
			b := new(x).open("member").el("SerialNumber", m.SerialNumber).tm("EnableDate", m.EnableDate)
			if m.User != nil {
				b.open("User").el("Path", "/").el("UserName", m.User.UserName).el("UserId", m.User.UserID).el("Arn", m.User.Arn).tm("CreateDate", &d.Root.Created).close("User")
			}
			items = append(items, b.close("member").String())
		}
		s.pageList(c, "VirtualMFADevices", items)
	case "ListMFADevices":
		name := f.Get("UserName")
		u := d.User(name)
		if name != "" && u == nil {
			noEntity(fmt.Sprintf("The user with name %s cannot be found.", name))
			return
		}
		var items []string
		if u != nil && u.MFA != MFANone {
			items = append(items, new(x).open("member").el("UserName", u.UserName).el("SerialNumber", u.MFASerial).tm("EnableDate", u.MFAEnableDate).close("member").String())
		}
		s.pageList(c, "MFADevices", items)
	case "ListAccessKeys":
		name := f.Get("UserName")
		u := d.User(name)
		if u == nil {
			noEntity(fmt.Sprintf("The user with name %s cannot be found.", name))
			return
		}
		var items []string
		for _, k := range u.AccessKeys {
			items = append(items, new(x).open("member").el("UserName", u.UserName).el("AccessKeyId", k.AccessKeyID).el("Status", k.Status).tm("CreateDate", k.CreateDate).close("member").String())
		}
		s.pageList(c, "AccessKeyMetadata", items)
	case "GetAccessKeyLastUsed":
		id := f.Get("AccessKeyId")
		for _, u := range d.Users {
			for i, k := range u.AccessKeys {
				if k.AccessKeyID == id {
					use := u.KeyUse[i]
					b := new(x).el("UserName", u.UserName).open("AccessKeyLastUsed")
					if use.LastUsed != nil {
						b.tm("LastUsedDate", use.LastUsed).el("ServiceName", use.Service).el("Region", use.Region)
					} else {
						b.el("ServiceName", "N/A").el("Region", "N/A")
					}
					c.writeQuery(b.close("AccessKeyLastUsed").String())
					return
				}
			}
		}
		c.fail(403, "AccessDenied", "The access key "+id+" does not belong to account "+d.Meta.ID)
	case "ListInstanceProfiles":
		var items []string
		for _, ip := range d.InstanceProfiles {
			b := new(x).open("member")
			instanceProfileXML(b, ip, d)
			items = append(items, b.close("member").String())
		}
		s.pageList(c, "InstanceProfiles", items)
	case "ListUsers":
		var items []string
		for _, u := range d.Users {
			b := new(x).open("member").el("Path", u.Path).el("UserName", u.UserName).el("UserId", u.UserID).el("Arn", u.Arn).tm("CreateDate", u.CreateDate)
			if u.PasswordEnabled {
				b.tm("PasswordLastUsed", u.PasswordLastUsed)
			}
			items = append(items, b.close("member").String())
		}
		s.pageList(c, "Users", items)
	case "GenerateCredentialReport":
		s.generateCredentialReport(c, d)
	case "GetCredentialReport":
		s.getCredentialReport(c, d)
	case "GenerateServiceLastAccessedDetails", "GetServiceLastAccessedDetails":
		s.serveLastAccessed(c, d)
	case "ListServerCertificates":
		// The synthetic organizations store no server certificates.
		c.writeQuery(new(x).open("ServerCertificateMetadataList").close("ServerCertificateMetadataList").bool("IsTruncated", false).String())
	default:
		c.fail(400, "InvalidAction", "Could not find operation "+c.op+" for version 2010-05-08")
	}
}

// pageList writes a Marker/MaxItems paginated list of pre-rendered members.
func (s *Server) pageList(c *call, key string, items []string) {
	start, end, next, ok := pageBounds(c, len(items))
	if !ok {
		return
	}
	b := new(x).open(key)
	for _, it := range items[start:end] {
		b.raw(it)
	}
	b.close(key).bool("IsTruncated", next != "")
	b.opt("Marker", next)
	c.writeQuery(b.String())
}

func pageBounds(c *call, n int) (start, end int, next string, ok bool) {
	max := 100
	if v := c.form.Get("MaxItems"); v != "" {
		m, err := strconv.Atoi(v)
		if err != nil || m < 1 || m > 1000 {
			c.fail(400, "ValidationError", "1 validation error detected: Value '"+v+"' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 1000")
			return 0, 0, "", false
		}
		max = m
	}
	if m := c.form.Get("Marker"); m != "" {
		raw, err := base64.RawURLEncoding.DecodeString(m)
		st, err2 := strconv.Atoi(string(raw))
		if err != nil || err2 != nil || st < 0 || st > n {
			c.fail(400, "ValidationError", "Invalid Marker: "+m)
			return 0, 0, "", false
		}
		start = st
	}
	end = min(start+max, n)
	if end < n {
		next = base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(end)))
	}
	return start, end, next, true
}

func instanceProfileXML(b *x, ip snapshot.InstanceProfile, d *AccountData) {
	b.el("Path", ip.Path).el("InstanceProfileName", ip.InstanceProfileName).el("InstanceProfileId", ip.InstanceProfileID).el("Arn", ip.Arn).tm("CreateDate", ip.CreateDate).open("Roles")
	for _, rr := range ip.Roles {
		b.open("member").el("Path", rr.Path).el("RoleName", rr.RoleName).el("RoleId", rr.RoleID).el("Arn", rr.Arn)
		if ro := d.Role(rr.RoleName); ro != nil {
			b.tm("CreateDate", ro.CreateDate).el("AssumeRolePolicyDocument", urlEncodeDoc(ro.AssumeRolePolicyDocument))
		}
		b.close("member")
	}
	b.close("Roles")
}

func inlineXML(b *x, key string, list []snapshot.InlinePolicy) {
	b.open(key)
	for _, p := range list {
		b.open("member").el("PolicyName", p.PolicyName).el("PolicyDocument", urlEncodeDoc(p.PolicyDocument)).close("member")
	}
	b.close(key)
}

func attachedXML(b *x, list []snapshot.AttachedPolicy) {
	b.open("AttachedManagedPolicies")
	for _, p := range list {
		b.open("member").el("PolicyName", p.PolicyName).el("PolicyArn", p.PolicyArn).close("member")
	}
	b.close("AttachedManagedPolicies")
}

func tagsXML(b *x, tags []snapshot.Tag) {
	if len(tags) == 0 {
		return
	}
	b.open("Tags")
	for _, t := range tags {
		b.open("member").el("Key", t.Key).el("Value", t.Value).close("member")
	}
	b.close("Tags")
}

func boundaryXML(b *x, pb *snapshot.Boundary) {
	if pb != nil {
		b.open("PermissionsBoundary").el("PermissionsBoundaryType", pb.PermissionsBoundaryType).el("PermissionsBoundaryArn", pb.PermissionsBoundaryArn).close("PermissionsBoundary")
	}
}

func policyXML(b *x, p snapshot.ManagedPolicy) {
	b.el("PolicyName", p.PolicyName).el("PolicyId", p.PolicyID).el("Arn", p.Arn).el("Path", p.Path).el("DefaultVersionId", p.DefaultVersionID).
		int("AttachmentCount", int(p.AttachmentCount)).int("PermissionsBoundaryUsageCount", int(p.PermissionsBoundaryUsageCount)).
		bool("IsAttachable", p.IsAttachable).opt("Description", p.Description).tm("CreateDate", p.CreateDate).tm("UpdateDate", p.UpdateDate).open("PolicyVersionList")
	for _, v := range p.PolicyVersionList {
		b.open("member").el("Document", urlEncodeDoc(v.Document)).el("VersionId", v.VersionID).bool("IsDefaultVersion", v.IsDefaultVersion).tm("CreateDate", v.CreateDate).close("member")
	}
	b.close("PolicyVersionList")
}

// gaad answers GetAccountAuthorizationDetails: the filtered entities in the
// order users, groups, roles, policies, paginated across that sequence.
func (s *Server) gaad(c *call, d *AccountData) {
	filters := map[string]bool{}
	for i := 1; ; i++ {
		v := c.form.Get(fmt.Sprintf("Filter.member.%d", i))
		if v == "" {
			break
		}
		filters[v] = true
	}
	all := len(filters) == 0
	type item struct {
		kind string
		xml  string
	}
	var items []item
	if all || filters["User"] {
		for _, u := range d.Users {
			b := new(x).open("member").el("Path", u.Path).el("UserName", u.UserName).el("UserId", u.UserID).el("Arn", u.Arn).tm("CreateDate", u.CreateDate)
			inlineXML(b, "UserPolicyList", u.UserPolicyList)
			b.open("GroupList")
			for _, g := range u.GroupList {
				b.el("member", g)
			}
			b.close("GroupList")
			attachedXML(b, u.AttachedManagedPolicies)
			boundaryXML(b, u.PermissionsBoundary)
			tagsXML(b, u.Tags)
			items = append(items, item{"UserDetailList", b.close("member").String()})
		}
	}
	if all || filters["Group"] {
		for _, g := range d.Groups {
			b := new(x).open("member").el("Path", g.Path).el("GroupName", g.GroupName).el("GroupId", g.GroupID).el("Arn", g.Arn).tm("CreateDate", g.CreateDate)
			inlineXML(b, "GroupPolicyList", g.GroupPolicyList)
			attachedXML(b, g.AttachedManagedPolicies)
			items = append(items, item{"GroupDetailList", b.close("member").String()})
		}
	}
	if all || filters["Role"] {
		for _, ro := range d.Roles {
			b := new(x).open("member").el("Path", ro.Path).el("RoleName", ro.RoleName).el("RoleId", ro.RoleID).el("Arn", ro.Arn).tm("CreateDate", ro.CreateDate).
				el("AssumeRolePolicyDocument", urlEncodeDoc(ro.AssumeRolePolicyDocument)).open("InstanceProfileList")
			for _, ip := range ro.InstanceProfileList {
				b.open("member")
				instanceProfileXML(b, ip, d)
				b.close("member")
			}
			b.close("InstanceProfileList")
			inlineXML(b, "RolePolicyList", ro.RolePolicyList)
			attachedXML(b, ro.AttachedManagedPolicies)
			boundaryXML(b, ro.PermissionsBoundary)
			tagsXML(b, ro.Tags)
			if ro.RoleLastUsed != nil {
				b.open("RoleLastUsed").tm("LastUsedDate", ro.RoleLastUsed.LastUsedDate).opt("Region", ro.RoleLastUsed.Region).close("RoleLastUsed")
			}
			items = append(items, item{"RoleDetailList", b.close("member").String()})
		}
	}
	var pols []snapshot.ManagedPolicy
	if all || filters["LocalManagedPolicy"] {
		pols = append(pols, d.Policies...)
	}
	if all || filters["AWSManagedPolicy"] {
		pols = append(pols, d.AWSManaged...)
	}
	for _, p := range pols {
		b := new(x).open("member")
		policyXML(b, p)
		items = append(items, item{"Policies", b.close("member").String()})
	}
	start, end, next, ok := pageBounds(c, len(items))
	if !ok {
		return
	}
	b := new(x)
	for _, key := range []string{"UserDetailList", "GroupDetailList", "RoleDetailList", "Policies"} {
		b.open(key)
		for _, it := range items[start:end] {
			if it.kind == key {
				b.raw(it.xml)
			}
		}
		b.close(key)
	}
	b.bool("IsTruncated", next != "").opt("Marker", next)
	c.writeQuery(b.String())
}

// AccountSummary is GetAccountSummary's map for the account.
func AccountSummary(d *AccountData) map[string]int { return accountSummary(d) }

func accountSummary(d *AccountData) map[string]int {
	mfaInUse, keys := 0, 0
	for _, u := range d.Users {
		if u.MFA != MFANone {
			mfaInUse++
		}
	}
	if d.Root.MFA != MFANone {
		mfaInUse++
	}
	if d.Root.AccessKey != nil {
		keys = 1
	}
	b2i := map[bool]int{true: 1, false: 0}
	return map[string]int{
		"Users": len(d.Users), "UsersQuota": 5000, "Groups": len(d.Groups), "GroupsQuota": 300, "Roles": len(d.Roles), "RolesQuota": 1000,
		"Policies": len(d.Policies), "PoliciesQuota": 1500, "InstanceProfiles": len(d.InstanceProfiles), "InstanceProfilesQuota": 1000,
		"MFADevices": len(d.VirtualMFADevices), "MFADevicesInUse": mfaInUse, "AccountMFAEnabled": b2i[d.Root.MFA != MFANone],
		"AccountAccessKeysPresent": keys, "AccountSigningCertificatesPresent": 0, "Providers": len(d.SAMLProviders) + len(d.OIDCProviders),
		"ServerCertificates": 0, "ServerCertificatesQuota": 20, "GroupsPerUserQuota": 10, "AttachedPoliciesPerUserQuota": 10,
		"AttachedPoliciesPerGroupQuota": 10, "AttachedPoliciesPerRoleQuota": 10, "PolicySizeQuota": 6144, "PolicyVersionsInUse": countVersions(d),
		"PolicyVersionsInUseQuota": 10000, "VersionsPerPolicyQuota": 5, "GlobalEndpointTokenVersion": 1, "AccessKeysPerUserQuota": 2,
		"SigningCertificatesPerUserQuota": 2, "AssumeRolePolicySizeQuota": 2048,
	}
}

func countVersions(d *AccountData) int {
	n := 0
	for _, p := range d.Policies {
		n += len(p.PolicyVersionList)
	}
	return n
}

const reportTTL = 4 * time.Hour

func (s *Server) credReportLimited(acct string, k Knobs) bool {
	if contains(k.CredReportLimitExceeded, acct) {
		return true
	}
	return k.CredReportLimitFraction > 0 && float64(hash64(fmt.Sprint(s.w.opts.Seed), "limit", acct)%1000000)/1e6 < k.CredReportLimitFraction
}

func (s *Server) generateCredentialReport(c *call, d *AccountData) {
	k := s.Knobs()
	acct := d.Meta.ID
	now := time.Now()
	s.crMu.Lock()
	st := s.cr[acct]
	if st == nil {
		st = &crState{}
		s.cr[acct] = st
	}
	if s.credReportLimited(acct, k) && st.limitCalls < k.CredReportLimitTimes {
		st.limitCalls++
		s.crMu.Unlock()
		c.fail(409, "LimitExceeded", "Report generation limit exceeded for account "+acct+". Try again later.")
		return
	}
	state := ""
	never := contains(k.CredReportNever, acct)
	switch {
	case st.started.IsZero() || (!never && now.Sub(st.started.Add(k.CredReportDelay)) > reportTTL):
		st.started = now
		state = "STARTED"
		if k.CredReportDelay <= 0 && !never {
			state = "COMPLETE"
		}
	case never || now.Before(st.started.Add(k.CredReportDelay)):
		state = "INPROGRESS"
	default:
		state = "COMPLETE"
	}
	s.crMu.Unlock()
	desc := map[string]string{"STARTED": "No report exists. Starting a new report generation task", "INPROGRESS": "Report generation in progress.", "COMPLETE": "Report generation is complete."}[state]
	c.writeQuery(new(x).el("State", state).el("Description", desc).String())
}

func (s *Server) getCredentialReport(c *call, d *AccountData) {
	k := s.Knobs()
	acct := d.Meta.ID
	s.crMu.Lock()
	st := s.cr[acct]
	var started time.Time
	if st != nil {
		started = st.started
	}
	s.crMu.Unlock()
	now := time.Now()
	switch {
	case started.IsZero():
		c.fail(410, "ReportNotPresent", "Credential report not present. Use GenerateCredentialReport to generate a report.")
		return
	case contains(k.CredReportNever, acct) || now.Before(started.Add(k.CredReportDelay)):
		c.fail(404, "ReportInProgress", "Credential report generation is in progress.")
		return
	case now.Sub(started.Add(k.CredReportDelay)) > reportTTL:
		c.fail(410, "ReportExpired", "Credential report expired. Use GenerateCredentialReport to generate a new report.")
		return
	}
	gen := started.Add(k.CredReportDelay).UTC().Truncate(time.Second)
	content := CredentialReport(d, gen)
	c.writeQuery(new(x).el("Content", base64.StdEncoding.EncodeToString(content)).el("ReportFormat", "text/csv").tm("GeneratedTime", &gen).String())
}

// CredentialReport renders the account's credential report as IAM does
// (root row first, then users in creation order of the world).
func CredentialReport(d *AccountData, generated time.Time) []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write(snapshot.CredentialReportColumns)
	ts := func(t *time.Time) string {
		if t == nil {
			return "N/A"
		}
		return t.UTC().Format("2006-01-02T15:04:05+00:00")
	}
	keyCols := func(active bool, created *time.Time, use KeyUse) []string {
		if created == nil {
			return []string{"false", "N/A", "N/A", "N/A", "N/A"}
		}
		if use.LastUsed == nil {
			return []string{fmt.Sprint(active), ts(created), "N/A", "N/A", "N/A"}
		}
		return []string{fmt.Sprint(active), ts(created), ts(use.LastUsed), use.Region, use.Service}
	}
	noCerts := []string{"false", "N/A", "false", "N/A"}
	root := d.Root
	rootArn := fmt.Sprintf("arn:%s:iam::%s:root", partitionOf(d), d.Meta.ID)
	row := []string{snapshot.RootUser, rootArn, ts(&root.Created), "not_supported"}
	if root.PasswordLastUsed != nil {
		row = append(row, ts(root.PasswordLastUsed))
	} else {
		row = append(row, "no_information")
	}
	row = append(row, "not_supported", "not_supported", fmt.Sprint(root.MFA != MFANone))
	if rk := root.AccessKey; rk != nil {
		row = append(row, keyCols(rk.Active, &rk.Created, rk.Use)...)
	} else {
		row = append(row, keyCols(false, nil, KeyUse{})...)
	}
	row = append(row, keyCols(false, nil, KeyUse{})...)
	w.Write(append(row, noCerts...))
	for _, u := range d.Users {
		row := []string{u.UserName, u.Arn, ts(u.CreateDate), fmt.Sprint(u.PasswordEnabled)}
		if !u.PasswordEnabled {
			row = append(row, "N/A", "N/A", "N/A")
		} else {
			if u.PasswordLastUsed != nil {
				row = append(row, ts(u.PasswordLastUsed))
			} else {
				row = append(row, "no_information")
			}
			row = append(row, ts(u.PasswordLastChanged))
			if pp := d.PasswordPolicy; pp != nil && pp.ExpirePasswords && pp.MaxPasswordAge > 0 && u.PasswordLastChanged != nil {
				n := u.PasswordLastChanged.AddDate(0, 0, int(pp.MaxPasswordAge))
				row = append(row, ts(&n))
			} else {
				row = append(row, "N/A")
			}
		}
		row = append(row, fmt.Sprint(u.MFA != MFANone))
		for i := 0; i < 2; i++ {
			if i < len(u.AccessKeys) {
				k := u.AccessKeys[i]
				row = append(row, keyCols(k.Status == "Active", k.CreateDate, u.KeyUse[i])...)
			} else {
				row = append(row, keyCols(false, nil, KeyUse{})...)
			}
		}
		w.Write(append(row, noCerts...))
	}
	w.Flush()
	return buf.Bytes()
}

func partitionOf(d *AccountData) string {
	// Account ARNs are arn:<partition>:organizations::...
	a := d.Meta.Arn
	if len(a) > 4 {
		rest := a[4:]
		for i := 0; i < len(rest); i++ {
			if rest[i] == ':' {
				return rest[:i]
			}
		}
	}
	return "aws"
}
