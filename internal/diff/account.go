package diff

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/orgiam/orgiam/internal/iamarn"
	"github.com/orgiam/orgiam/internal/policy"
	"github.com/orgiam/orgiam/internal/snapshot"
	"github.com/orgiam/orgiam/internal/store"
)

// principalState is what is compared of a user, role or group.
type principalState struct {
	kind, name, id string
}

// attachment is a policy reaching a principal: directly, through a group,
// or as its permissions boundary.
type attachment struct {
	policyID, policyName, policyKind, via string
}

// policyState is a managed or inline policy's default document.
type policyState struct {
	name, kind, version string
	stmts               []Statement
	admin               bool
	err                 error
}

// trust is one principal a role's trust policy allows.
type trust struct {
	typ, value, trusted     string
	cross, external, public bool
	conditional, externalID bool
}

type keyState struct {
	user, status string
}

type credState struct {
	password, mfa bool
	rootKeys      int
}

// accountState is one account of one run, reduced to what is compared.
type accountState struct {
	principals map[string]principalState
	attach     map[string]map[string]attachment // principal → via|policy → attachment
	policies   map[string]*policyState          // customer managed ARN or inline id
	trusts     map[string]map[string]trust      // role ARN → type|value → trust
	keys       map[string]keyState
	creds      map[string]credState // principal ARN ("root" for the root user) → state
	hasCreds   bool
}

func inlineID(principal, name string) string { return "inline:" + principal + ":" + name }

// groupArn builds a group's ARN from a member user's ARN (same account and
// partition; group paths are not in a user's GroupList, so the group's own
// ARN is looked up first).
func groupArn(groups map[string]string, userArn, name string) string {
	if a, ok := groups[name]; ok {
		return a
	}
	if a, ok := iamarn.Parse(userArn); ok && a.Type == "user" {
		return a.Sibling("group", name)
	}
	return name
}

func managedKind(arn string) string {
	if iamarn.IsAWSManagedPolicy(arn) {
		return "aws"
	}
	return "customer"
}

// loadAccount reads one account of a run.
func loadAccount(ctx context.Context, s store.Store, run, id string, member func(string) bool) (*accountState, error) {
	r := snapshot.Reader{Store: s, Run: run}
	var (
		users    []snapshot.User
		roles    []snapshot.Role
		groups   []snapshot.Group
		policies []snapshot.ManagedPolicy
	)
	for _, ds := range []struct {
		name string
		v    any
	}{{store.DataUsers, &users}, {store.DataRoles, &roles}, {store.DataGroups, &groups}, {store.DataPolicies, &policies}} {
		if err := r.IAM(ctx, id, ds.name, ds.v); err != nil {
			return nil, err
		}
	}
	st := &accountState{
		principals: map[string]principalState{},
		attach:     map[string]map[string]attachment{},
		policies:   map[string]*policyState{},
		trusts:     map[string]map[string]trust{},
		keys:       map[string]keyState{},
		creds:      map[string]credState{},
	}
	add := func(principal string, at attachment) {
		m := st.attach[principal]
		if m == nil {
			m = map[string]attachment{}
			st.attach[principal] = m
		}
		m[at.via+"|"+at.policyID] = at
	}
	inline := func(principal string, list []snapshot.InlinePolicy) {
		for _, p := range list {
			pid := inlineID(principal, p.PolicyName)
			ps := &policyState{name: p.PolicyName, kind: "inline"}
			ps.stmts, ps.err = Normalize(p.PolicyDocument)
			ps.admin = anyAdmin(ps.stmts)
			st.policies[pid] = ps
			add(principal, attachment{policyID: pid, policyName: p.PolicyName, policyKind: "inline", via: "direct"})
		}
	}
	managed := func(principal string, list []snapshot.AttachedPolicy) {
		for _, p := range list {
			add(principal, attachment{policyID: p.PolicyArn, policyName: p.PolicyName, policyKind: managedKind(p.PolicyArn), via: "direct"})
		}
	}
	boundary := func(principal string, b *snapshot.Boundary) {
		if b != nil && b.PermissionsBoundaryArn != "" {
			name := b.PermissionsBoundaryArn[strings.LastIndex(b.PermissionsBoundaryArn, "/")+1:]
			add(principal, attachment{policyID: b.PermissionsBoundaryArn, policyName: name, policyKind: managedKind(b.PermissionsBoundaryArn), via: "boundary"})
		}
	}
	for _, p := range policies {
		ps := &policyState{name: p.PolicyName, kind: "customer", version: p.DefaultVersionID}
		ps.stmts, ps.err = Normalize(p.DefaultDocument())
		ps.admin = anyAdmin(ps.stmts)
		st.policies[p.Arn] = ps
	}
	groupArns := map[string]string{}
	groupPolicies := map[string][]attachment{}
	for _, g := range groups {
		st.principals[g.Arn] = principalState{kind: "group", name: g.GroupName, id: g.GroupID}
		groupArns[g.GroupName] = g.Arn
		inline(g.Arn, g.GroupPolicyList)
		managed(g.Arn, g.AttachedManagedPolicies)
		for _, at := range st.attach[g.Arn] {
			groupPolicies[g.GroupName] = append(groupPolicies[g.GroupName], at)
		}
	}
	for _, u := range users {
		st.principals[u.Arn] = principalState{kind: "user", name: u.UserName, id: u.UserID}
		inline(u.Arn, u.UserPolicyList)
		managed(u.Arn, u.AttachedManagedPolicies)
		boundary(u.Arn, u.PermissionsBoundary)
		for _, g := range u.GroupList {
			// The membership itself, then every policy the group brings.
			add(u.Arn, attachment{policyID: groupArn(groupArns, u.Arn, g), policyName: g, policyKind: "group", via: "member"})
			for _, at := range groupPolicies[g] {
				at.via = "group " + g
				add(u.Arn, at)
			}
		}
		for _, k := range u.AccessKeys {
			st.keys[k.AccessKeyID] = keyState{user: u.Arn, status: k.Status}
		}
	}
	for _, ro := range roles {
		st.principals[ro.Arn] = principalState{kind: "role", name: ro.RoleName, id: ro.RoleID}
		inline(ro.Arn, ro.RolePolicyList)
		managed(ro.Arn, ro.AttachedManagedPolicies)
		boundary(ro.Arn, ro.PermissionsBoundary)
		if len(ro.AssumeRolePolicyDocument) == 0 {
			continue
		}
		d, err := policy.Parse(ro.AssumeRolePolicyDocument)
		if err != nil {
			return nil, fmt.Errorf("role %s trust policy: %w", ro.Arn, err)
		}
		m := map[string]trust{}
		for _, s := range d.Statement {
			if !s.Allow() {
				continue
			}
			for _, pv := range s.Principal.All() {
				ta := trustedAccount(pv[0], pv[1])
				t := trust{typ: pv[0], value: pv[1], trusted: ta,
					cross: ta != "" && ta != id, public: ta == "*",
					conditional: s.HasCondition(), externalID: hasExternalID(s.Condition)}
				t.external = t.cross && (t.public || !member(ta))
				m[pv[0]+"|"+pv[1]] = t
			}
		}
		st.trusts[ro.Arn] = m
	}
	rows, _, err := r.CredentialReport(ctx, id)
	if err != nil {
		return nil, err
	}
	st.hasCreds = rows != nil
	for _, row := range rows {
		k := row.Arn
		if row.IsRoot() {
			k = "root"
		}
		cs := credState{password: row.PasswordEnabled.Bool(), mfa: row.MFAActive}
		if row.IsRoot() {
			for _, slot := range row.AccessKeys {
				if slot.Active {
					cs.rootKeys++
				}
			}
		}
		st.creds[k] = cs
	}
	return st, nil
}

func anyAdmin(stmts []Statement) bool {
	for _, s := range stmts {
		if s.Admin {
			return true
		}
	}
	return false
}

// trustedAccount derives the account a trust principal belongs to ("*" for
// anyone, "" for services and providers without an account).
func trustedAccount(typ, value string) string {
	switch typ {
	case "*":
		return "*"
	case "AWS":
		if value == "*" {
			return "*"
		}
		if store.ValidAccountID(value) {
			return value
		}
		return arnAccount(value)
	case "Federated":
		return arnAccount(value)
	}
	return ""
}

func arnAccount(arn string) string { return iamarn.Account(arn) }

func hasExternalID(cond []byte) bool {
	return len(cond) > 0 && strings.Contains(strings.ToLower(string(cond)), "sts:externalid")
}

// compareAccount compares one account of the two runs.
func compareAccount(ctx context.Context, s store.Store, a, b *runSide, id string, keep func(string) bool) ([]Change, error) {
	ra, inA := a.account(id)
	rb, inB := b.account(id)
	name := rb.name
	if name == "" {
		name = ra.name
	}
	acct := func(action, sev, detail string) []Change {
		if !keep(KindAccounts) {
			return nil
		}
		return []Change{{Kind: KindAccounts, Action: action, Severity: sev, AccountID: id, AccountName: name, Detail: detail}}
	}
	switch {
	case !inA:
		return acct(Added, SevLow, "account scanned for the first time"), nil
	case !inB:
		return acct(Removed, SevLow, "account no longer scanned (left the organization, suspended or filtered out)"), nil
	// A partial account (a collector was denied part of its data) has its
	// IAM data and is compared; only a failed one is not.
	case !snapshot.Scanned(rb.status):
		return acct(NotCompared, SevMedium, "scan failed in "+b.ref.Run+": "+oneLine(rb.err)), nil
	case !snapshot.Scanned(ra.status):
		return acct(NotCompared, SevLow, "scan failed in "+a.ref.Run+" (the previous run): nothing to compare with"), nil
	}
	sa, err := loadAccount(ctx, s, a.ref.Run, id, a.member)
	if err != nil {
		return nil, fmt.Errorf("run %s: %w", a.ref.Run, err)
	}
	sb, err := loadAccount(ctx, s, b.ref.Run, id, b.member)
	if err != nil {
		return nil, fmt.Errorf("run %s: %w", b.ref.Run, err)
	}
	var out []Change
	emit := func(c Change) {
		if keep(c.Kind) {
			c.AccountID, c.AccountName = id, name
			out = append(out, c)
		}
	}
	comparePrincipals(sa, sb, emit)
	compareAttachments(sa, sb, emit)
	comparePolicies(sa, sb, emit)
	compareTrusts(sa, sb, emit)
	compareKeys(sa, sb, emit)
	compareCreds(sa, sb, emit)
	sortChanges(out)
	return out, nil
}

func sortChanges(cs []Change) {
	order := map[string]int{}
	for i, k := range Kinds {
		order[k] = i
	}
	sort.SliceStable(cs, func(i, j int) bool {
		x, y := cs[i], cs[j]
		if order[x.Kind] != order[y.Kind] {
			return order[x.Kind] < order[y.Kind]
		}
		if x.Principal != y.Principal {
			return x.Principal < y.Principal
		}
		if x.Subject != y.Subject {
			return x.Subject < y.Subject
		}
		return x.Via < y.Via
	})
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func comparePrincipals(a, b *accountState, emit func(Change)) {
	for _, arn := range sortedKeys(b.principals) {
		p := b.principals[arn]
		old, ok := a.principals[arn]
		switch {
		case !ok:
			sev := SevLow
			if p.kind == "user" {
				sev = SevMedium
			}
			emit(Change{Kind: KindPrincipals, Action: Added, Severity: sev, Principal: arn, Subject: p.kind, Detail: p.kind + " " + p.name + " created"})
		case old.id != "" && p.id != "" && old.id != p.id:
			emit(Change{Kind: KindPrincipals, Action: Changed, Severity: SevMedium, Principal: arn, Subject: p.kind,
				Detail: fmt.Sprintf("%s %s deleted and created again (id %s → %s)", p.kind, p.name, old.id, p.id)})
		}
	}
	for _, arn := range sortedKeys(a.principals) {
		if _, ok := b.principals[arn]; !ok {
			p := a.principals[arn]
			emit(Change{Kind: KindPrincipals, Action: Removed, Severity: SevInfo, Principal: arn, Subject: p.kind, Detail: p.kind + " " + p.name + " deleted"})
		}
	}
}

// isAdminPolicy tells whether a policy reaching a principal grants full access.
func isAdminPolicy(st *accountState, at attachment) bool {
	if at.policyKind == "aws" {
		return policy.AWSManagedAdminPolicies[at.policyName]
	}
	if p := st.policies[at.policyID]; p != nil {
		return p.admin
	}
	return false
}

func compareAttachments(a, b *accountState, emit func(Change)) {
	for _, arn := range sortedKeys(b.attach) {
		old := a.attach[arn]
		cur := b.attach[arn]
		for _, k := range sortedKeys(cur) {
			if _, ok := old[k]; ok {
				continue
			}
			at := cur[k]
			emit(attachChange(b, arn, at, Added))
		}
	}
	for _, arn := range sortedKeys(a.attach) {
		if _, still := b.principals[arn]; !still {
			continue // the principal's removal says it all
		}
		cur := b.attach[arn]
		for _, k := range sortedKeys(a.attach[arn]) {
			if _, ok := cur[k]; !ok {
				emit(attachChange(a, arn, a.attach[arn][k], Removed))
			}
		}
	}
}

func attachChange(st *accountState, principal string, at attachment, action string) Change {
	c := Change{Kind: KindAttachments, Action: action, Principal: principal, Subject: at.policyID, Via: at.via}
	admin := isAdminPolicy(st, at)
	what := at.policyKind + " policy " + at.policyName
	switch at.via {
	case "member":
		what = "membership of group " + at.policyName
	case "boundary":
		what = "permissions boundary " + at.policyName
	}
	how := ""
	if strings.HasPrefix(at.via, "group ") {
		how = " through " + at.via
	}
	if action == Added {
		c.Severity = SevMedium
		if admin && at.via != "boundary" {
			c.Severity = SevHigh
			how += " (administrator access)"
		}
		if at.via == "boundary" {
			c.Severity = SevLow
		}
		c.Detail = what + " attached" + how
		if at.via == "member" {
			c.Detail = "added to group " + at.policyName
		}
		return c
	}
	c.Severity = SevLow
	if at.via == "boundary" {
		c.Severity = SevMedium // a boundary removed widens what the principal can do
	}
	c.Detail = what + " detached" + how
	if at.via == "member" {
		c.Detail = "removed from group " + at.policyName
	}
	return c
}

func comparePolicies(a, b *accountState, emit func(Change)) {
	for _, id := range sortedKeys(b.policies) {
		p := b.policies[id]
		old := a.policies[id]
		if old == nil {
			if p.kind == "customer" {
				sev := SevLow
				if p.admin {
					sev = SevMedium
				}
				emit(Change{Kind: KindPolicies, Action: Added, Severity: sev, Subject: id, ToVersion: p.version, Detail: "customer managed policy " + p.name + " created", Added: p.stmts})
			}
			continue // a new inline policy is an attachment
		}
		if c, ok := policyChange(id, old, p); ok {
			if p.kind == "inline" {
				c.Principal = strings.TrimSuffix(strings.TrimPrefix(id, "inline:"), ":"+p.name)
			}
			emit(c)
		}
	}
	for _, id := range sortedKeys(a.policies) {
		p := a.policies[id]
		if _, ok := b.policies[id]; !ok && p.kind == "customer" {
			emit(Change{Kind: KindPolicies, Action: Removed, Severity: SevInfo, Subject: id, FromVersion: p.version, Detail: "customer managed policy " + p.name + " deleted"})
		}
	}
}

// policyChange compares two documents of one policy; a new default version
// whose statements are the same after normalisation is not a change.
func policyChange(id string, old, cur *policyState) (Change, bool) {
	if cur.err != nil || old.err != nil {
		if (cur.err == nil) == (old.err == nil) {
			return Change{}, false
		}
		return Change{Kind: KindPolicies, Action: Changed, Severity: SevLow, Subject: id, FromVersion: old.version, ToVersion: cur.version,
			Detail: cur.kind + " policy " + cur.name + ": document no longer comparable (" + errText(old.err, cur.err) + ")"}, true
	}
	added, removed := statementDiff(old.stmts, cur.stmts)
	if len(added) == 0 && len(removed) == 0 {
		return Change{}, false
	}
	sev := SevLow
	for _, s := range added {
		if s.Effect == "Allow" {
			sev = SevMedium
		}
		if s.Admin {
			sev = SevHigh
		}
	}
	for _, s := range removed {
		if s.Effect == "Deny" && sev == SevLow {
			sev = SevMedium // a Deny removed widens access
		}
	}
	detail := fmt.Sprintf("%s policy %s: %d statement(s) added, %d removed", cur.kind, cur.name, len(added), len(removed))
	if cur.version != "" && cur.version != old.version {
		detail += fmt.Sprintf("; default version %s → %s", old.version, cur.version)
	}
	return Change{Kind: KindPolicies, Action: Changed, Severity: sev, Subject: id, FromVersion: old.version, ToVersion: cur.version,
		Detail: detail, Added: added, Removed: removed}, true
}

func errText(errs ...error) string {
	for _, e := range errs {
		if e != nil {
			return e.Error()
		}
	}
	return ""
}

func compareTrusts(a, b *accountState, emit func(Change)) {
	for _, role := range sortedKeys(b.trusts) {
		old := a.trusts[role]
		for _, k := range sortedKeys(b.trusts[role]) {
			t := b.trusts[role][k]
			if _, ok := old[k]; ok || !t.cross {
				continue
			}
			emit(trustChange(role, t, Added))
		}
	}
	for _, role := range sortedKeys(a.trusts) {
		if _, still := b.principals[role]; !still {
			continue
		}
		cur := b.trusts[role]
		for _, k := range sortedKeys(a.trusts[role]) {
			t := a.trusts[role][k]
			if _, ok := cur[k]; ok || !t.cross {
				continue
			}
			emit(trustChange(role, t, Removed))
		}
	}
}

func trustChange(role string, t trust, action string) Change {
	what := "cross-account trust of account " + t.trusted
	sev := SevMedium
	switch {
	case t.public:
		what, sev = "public trust (any AWS principal)", SevHigh
	case t.external:
		what, sev = "external trust of account "+t.trusted+" (outside the organization)", SevHigh
	}
	var notes []string
	if t.conditional {
		notes = append(notes, "conditional")
	}
	if t.externalID {
		notes = append(notes, "sts:ExternalId required")
	}
	if len(notes) > 0 {
		what += " (" + strings.Join(notes, ", ") + ")"
	}
	c := Change{Kind: KindTrusts, Action: action, Severity: sev, Principal: role, Subject: t.typ + ":" + t.value}
	if action == Added {
		c.Detail = "new " + what + ": " + t.value
	} else {
		c.Severity = SevLow
		c.Detail = "removed " + what + ": " + t.value
	}
	return c
}

func compareKeys(a, b *accountState, emit func(Change)) {
	for _, id := range sortedKeys(b.keys) {
		k := b.keys[id]
		old, ok := a.keys[id]
		switch {
		case !ok:
			emit(Change{Kind: KindKeys, Action: Added, Severity: SevMedium, Principal: k.user, Subject: id, Detail: "access key " + id + " created (" + k.status + ")"})
		case old.status != k.status && k.status == "Active":
			emit(Change{Kind: KindKeys, Action: Activated, Severity: SevMedium, Principal: k.user, Subject: id, Detail: "access key " + id + " activated"})
		case old.status != k.status:
			emit(Change{Kind: KindKeys, Action: Deactivated, Severity: SevInfo, Principal: k.user, Subject: id, Detail: "access key " + id + " deactivated"})
		}
	}
	for _, id := range sortedKeys(a.keys) {
		if _, ok := b.keys[id]; !ok {
			emit(Change{Kind: KindKeys, Action: Removed, Severity: SevInfo, Principal: a.keys[id].user, Subject: id, Detail: "access key " + id + " deleted"})
		}
	}
	if ra, rb := a.creds["root"], b.creds["root"]; a.hasCreds && b.hasCreds && rb.rootKeys > ra.rootKeys {
		emit(Change{Kind: KindKeys, Action: Added, Severity: SevHigh, Principal: "root", Subject: "root", Detail: fmt.Sprintf("root user has %d active access key(s), had %d", rb.rootKeys, ra.rootKeys)})
	}
}

// compareCreds compares console passwords and MFA from the two credential
// reports (only when both runs have one: a missing report is not a change).
func compareCreds(a, b *accountState, emit func(Change)) {
	if !b.hasCreds {
		return
	}
	for _, p := range sortedKeys(b.creds) {
		cur := b.creds[p]
		old, ok := a.creds[p]
		if !a.hasCreds || (!ok && p == "root") {
			continue
		}
		who := p
		if p == "root" {
			who = "the root user"
		}
		if cur.password && (!ok || !old.password) {
			emit(Change{Kind: KindPasswords, Action: Added, Severity: SevMedium, Principal: p, Subject: "password", Detail: "console password enabled for " + who})
		}
		if ok && old.password && !cur.password {
			emit(Change{Kind: KindPasswords, Action: Removed, Severity: SevInfo, Principal: p, Subject: "password", Detail: "console password removed from " + who})
		}
		if ok && old.mfa && !cur.mfa {
			emit(Change{Kind: KindMFA, Action: Removed, Severity: SevHigh, Principal: p, Subject: "mfa", Detail: "MFA removed from " + who})
		}
		if ok && !old.mfa && cur.mfa {
			emit(Change{Kind: KindMFA, Action: Added, Severity: SevInfo, Principal: p, Subject: "mfa", Detail: "MFA enabled for " + who})
		}
	}
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 200 {
		s = s[:199] + "…"
	}
	return s
}
