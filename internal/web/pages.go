package web

import (
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/orgiam/orgiam/internal/iamarn"
	"github.com/orgiam/orgiam/internal/index"
	"github.com/orgiam/orgiam/internal/policy"
	"github.com/orgiam/orgiam/internal/store"
)

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

func (r *req) query(q string, args ...any) (index.Rows, error) {
	return r.or.db.Query(r.ctx, q, args...)
}

func txt(s string) cell { return cell{Text: s} }

func sev(s string) cell { return cell{Text: s, Class: strings.ToLower(s)} }

func (r *req) accountLink(id, name string) cell {
	label := id
	if name != "" {
		label = name + " (" + id + ")"
	}
	if id == "" {
		return txt("")
	}
	return cell{Text: label, Href: r.link("/account/" + url.PathEscape(id))}
}

func (r *req) principalLink(arn, label string) cell {
	if label == "" {
		label = arn
	}
	if !strings.HasPrefix(arn, "arn:") {
		return txt(label)
	}
	return cell{Text: label, Href: r.link("/principal", "arn", arn)}
}

func (r *req) policyLink(id, label string) cell {
	return cell{Text: label, Href: r.link("/policy", "id", id)}
}

func scanClass(s string) string {
	switch s {
	case "ok":
		return "ok"
	case "failed", "missing":
		return "failed"
	}
	return "note"
}

// arnRange is the [lo, hi) range of the ARNs of an account's IAM entities:
// the principals table's primary key keeps them together, so an account's
// principals are a range scan, not a table scan.
func arnRange(partition, account string) (string, string) {
	if partition == "" {
		partition = "aws"
	}
	p := "arn:" + partition + ":iam::" + account + ":"
	return p, p[:len(p)-1] + ";"
}

// tree: organizations, their OUs with account counts, and the accounts of
// the selected OU, paged.
func (s *Server) tree(r *req, v *view) error {
	v.Title, v.Nav = "Organization", "tree"
	orgs, err := r.query(`SELECT id, master_account_id, feature_set FROM organizations ORDER BY id`)
	if err != nil {
		return err
	}
	ous, err := r.query(`SELECT org_id, id, name, parent_id, path FROM ous ORDER BY org_id, path`)
	if err != nil {
		return err
	}
	byPath := r.c.ous
	sel := r.q("ou")
	var roots []*treeNode
	for _, o := range orgs.Data {
		org := &treeNode{Label: txt("Organization " + o[0]), Note: "management account " + o[1]}
		nodes := map[string]*treeNode{}
		for _, u := range ous.Data {
			if u[0] != o[0] {
				continue
			}
			c := byPath[u[4]]
			note := ""
			if c.all > 0 {
				note = plural(c.all, "account")
				if c.failed > 0 {
					note += fmt.Sprintf(", %d failed", c.failed)
				}
			}
			label := cell{Text: u[2], Href: r.link("/", "ou", u[4])}
			if u[4] == sel {
				label.Class = "current"
			}
			n := &treeNode{Label: label, Note: note}
			nodes[u[1]] = n
			if p := nodes[u[3]]; p != nil {
				p.Children = append(p.Children, n)
			} else {
				org.Children = append(org.Children, n)
			}
		}
		roots = append(roots, org)
	}
	if c := byPath[""]; c.all > 0 {
		roots = append(roots, &treeNode{Label: cell{Text: "Accounts without an OU", Href: r.link("/", "ou", "-")}, Note: plural(c.all, "account")})
	}
	v.Sections = append(v.Sections, &section{ID: "org-tree", Heading: "Organizational units", Tree: roots,
		Note: "Click an OU to list its accounts.", Empty: "No organization in this run."})

	if sel == "" {
		// Default: the OU with the most accounts, so the first page is useful.
		best := -1
		for p, c := range byPath {
			if c.all > best || (c.all == best && p < sel) {
				sel, best = p, c.all
			}
		}
		if sel == "" && best >= 0 {
			sel = "-"
		}
	}
	page := r.pageNum()
	where, args := "ou_path = ?", []any{sel}
	if sel == "-" {
		where, args = "ou_path IS NULL OR ou_path = ''", nil
	}
	rows, err := r.query(`SELECT id, name, alias, status, scan_status, scan_error FROM accounts WHERE `+where+` ORDER BY name, id LIMIT ? OFFSET ?`,
		append(args, PageSize+1, page*PageSize)...)
	if err != nil {
		return err
	}
	more := len(rows.Data) > PageSize
	if more {
		rows.Data = rows.Data[:PageSize]
	}
	ids := make([]any, 0, len(rows.Data))
	for _, a := range rows.Data {
		ids = append(ids, a[0])
	}
	fc := map[string][2]string{}
	for _, id := range ids {
		if f := r.c.findings[id.(string)]; f != nil {
			fc[id.(string)] = [2]string{strconv.Itoa(f.fail), strconv.Itoa(f.high)}
		}
	}
	sec := &section{ID: "accounts", Heading: "Accounts in " + ouLabel(sel), Columns: []string{"account", "alias", "status", "scan", "findings", "high"}}
	for _, a := range rows.Data {
		scan := cell{Text: a[4], Class: scanClass(a[4])}
		if a[5] != "" {
			scan.Text += ": " + a[5]
		}
		f := fc[a[0]]
		sec.Rows = append(sec.Rows, []cell{r.accountLink(a[0], a[1]), txt(a[2]), txt(a[3]), scan,
			{Text: zero(f[0]), Href: r.link("/findings", "account", a[0])}, sev2(zero(f[1]))})
	}
	sec.Pager = r.pagerFor(page, more, fmt.Sprintf("page %d", page+1))
	v.Sections = append(v.Sections, sec)
	return nil
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

func sev2(n string) cell {
	if n != "0" {
		return cell{Text: n, Class: "high"}
	}
	return txt(n)
}

func ouLabel(p string) string {
	if p == "-" {
		return "no OU"
	}
	return p
}

func zero(s string) string {
	if s == "" {
		return "0"
	}
	return s
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }

func placeholders(n int) string { return strings.TrimSuffix(strings.Repeat("?,", n), ",") }

// account: the account, its principals (paged, by kind), findings and trusts.
func (s *Server) account(r *req, v *view) error {
	id := r.PathValue("id")
	if !store.ValidAccountID(id) {
		return notFound("%q is not an account id (12 digits)", id)
	}
	a, err := r.query(`SELECT id, name, email, org_id, ou_path, status, alias, management, partition, scan_status, scan_phase, scan_error, collected_at FROM accounts WHERE id = ?`, id)
	if err != nil {
		return err
	}
	if len(a.Data) == 0 {
		return notFound("account %s is not in run %s", id, r.run)
	}
	row := a.Data[0]
	v.Title, v.Nav = "Account "+row[1]+" ("+id+")", "tree"
	kv := [][2]cell{{txt("id"), txt(id)}, {txt("name"), txt(row[1])}, {txt("email"), txt(row[2])}, {txt("organization"), txt(row[3])},
		{txt("OU"), cell{Text: row[4], Href: r.link("/", "ou", row[4])}}, {txt("status"), txt(row[5])}, {txt("alias"), txt(row[6])},
		{txt("scan"), cell{Text: row[9] + " " + row[10] + " " + row[11], Class: scanClass(row[9])}}, {txt("collected"), txt(row[12])}}
	if row[7] == "1" {
		kv = append(kv, [2]cell{txt("management account"), txt("yes")})
	}
	v.Sections = append(v.Sections, &section{ID: "account", KV: kv})

	lo, hi := arnRange(row[8], id)
	kind := r.q("kind")
	where, args := "arn >= ? AND arn < ?", []any{lo, hi}
	if kind == "user" || kind == "role" || kind == "group" {
		where += " AND kind = ?"
		args = append(args, kind)
	}
	page := r.pageNum()
	ps, err := r.query(`SELECT kind, name, arn, created, last_used, mfa FROM principals WHERE `+where+` ORDER BY arn LIMIT ? OFFSET ?`, append(args, PageSize+1, page*PageSize)...)
	if err != nil {
		return err
	}
	kc, err := r.query(`SELECT kind, count(*) FROM principals WHERE arn >= ? AND arn < ? GROUP BY kind ORDER BY kind`, lo, hi)
	if err != nil {
		return err
	}
	var parts []string
	for _, k := range kc.Data {
		parts = append(parts, k[1]+" "+k[0]+"s")
	}
	more := len(ps.Data) > PageSize
	if more {
		ps.Data = ps.Data[:PageSize]
	}
	sec := &section{ID: "principals", Heading: "Principals", Note: strings.Join(parts, ", "), Columns: []string{"kind", "name", "created", "last used", "MFA"},
		Form: &form{Action: "/account/" + id, Hidden: [][2]string{{"run", r.run}}, Fields: []field{{Name: "kind", Label: "kind", Value: kind, Options: kindOptions}}}}
	for _, p := range ps.Data {
		sec.Rows = append(sec.Rows, []cell{txt(p[0]), r.principalLink(p[2], p[1]), txt(p[3]), txt(p[4]), txt(p[5])})
	}
	sec.Pager = r.pagerFor(page, more, fmt.Sprintf("page %d", page+1))
	v.Sections = append(v.Sections, sec)

	tr, err := r.query(`SELECT role_name, role_arn, principal_type, principal_value, trusted_account, external_to_org, has_external_id FROM trusts
WHERE account_id = ? AND cross_account = 1 AND lower(effect) = 'allow' ORDER BY role_name, principal_value LIMIT 100`, id)
	if err != nil {
		return err
	}
	ts := &section{ID: "trusts", Heading: "Roles other accounts can assume", Columns: []string{"role", "trusted principal", "account", "outside the organization", "external id"}, Empty: "No cross-account trust."}
	for _, t := range tr.Data {
		ext := txt("no")
		if t[5] == "1" {
			ext = cell{Text: "yes", Class: "external"}
		}
		ts.Rows = append(ts.Rows, []cell{r.principalLink(t[1], t[0]), txt(t[2] + " " + t[3]), txt(t[4]), ext, txt(yesNo(t[6]))})
	}
	v.Sections = append(v.Sections, ts)

	flo, fhi := r.c.findingRange(id)
	fs, err := r.query(`SELECT check_id, severity, principal, title FROM findings WHERE rowid BETWEEN ? AND ? AND account_id = ? AND status = 'FAIL' ORDER BY check_id, principal LIMIT 51`, flo, fhi, id)
	if err != nil {
		return err
	}
	fsec := &section{ID: "findings", Heading: "Findings", Columns: []string{"check", "severity", "principal", "title"}, Empty: "No failing check."}
	for i, f := range fs.Data {
		if i == PageSize {
			fsec.Note = "The first 50: see all on the findings page."
			break
		}
		fsec.Rows = append(fsec.Rows, []cell{txt(f[0]), sev(f[1]), r.principalLink(f[2], shortArn(f[2])), txt(f[3])})
	}
	fsec.Pager = &pager{Next: r.link("/findings", "account", id), Info: ""}
	v.Sections = append(v.Sections, fsec)
	return nil
}

var kindOptions = [][2]string{{"", "all"}, {"user", "users"}, {"role", "roles"}, {"group", "groups"}}

func yesNo(s string) string {
	if s == "1" {
		return "yes"
	}
	return "no"
}

func shortArn(a string) string {
	if p, ok := iamarn.Parse(a); ok {
		if p.Name == "" {
			return p.Resource
		}
		return p.Type + "/" + p.Name
	}
	return a
}

// adminSQL selects the principals with administrator access: an
// unconditioned Allow of * on * in an attached or inline policy, or an AWS
// managed administrator policy, directly or through a group.
func adminSQL() string {
	names := make([]string, 0, len(policy.AWSManagedAdminPolicies))
	for n := range policy.AWSManagedAdminPolicies {
		names = append(names, "'"+strings.ReplaceAll(n, "'", "''")+"'")
	}
	sort.Strings(names)
	pol := `SELECT policy_id FROM statements WHERE service = '*' AND action IN ('*', '*:*') AND resource = '*' AND not_action = 0 AND not_resource = 0
  AND has_condition = 0 AND lower(effect) = 'allow' AND source IN ('managed', 'inline')
  UNION SELECT arn FROM policies WHERE aws_managed = 1 AND name IN (` + strings.Join(names, ", ") + `)`
	return `SELECT principal_arn FROM policy_attachments WHERE policy_id IN (` + pol + `)
  UNION SELECT m.user_arn FROM group_members m JOIN policy_attachments a ON a.principal_arn = m.group_arn WHERE a.policy_id IN (` + pol + `)`
}

// principals: users, roles and groups of the organization with filters,
// paged in primary-key order.
func (s *Server) principals(r *req, v *view) error {
	v.Title, v.Nav = "Users and roles", "principals"
	kind, filter, name, acct := r.q("kind"), r.q("filter"), r.q("q"), r.q("account")
	var where []string
	var args []any
	switch kind {
	case "user", "role", "group":
		where = append(where, "p.kind = ?")
		args = append(args, kind)
	case "":
	default:
		return notFound("kind %q: use user, role or group", kind)
	}
	if acct != "" {
		if !store.ValidAccountID(acct) {
			return notFound("account %q is not a 12-digit account id", acct)
		}
		part, err := r.query(`SELECT coalesce(partition, 'aws') FROM accounts WHERE id = ?`, acct)
		if err != nil {
			return err
		}
		p := "aws"
		if len(part.Data) > 0 {
			p = part.Data[0][0]
		}
		lo, hi := arnRange(p, acct)
		where = append(where, "p.arn >= ? AND p.arn < ?")
		args = append(args, lo, hi)
	}
	if name != "" {
		where = append(where, "instr(lower(p.name), lower(?)) > 0")
		args = append(args, name)
	}
	cutoff := staleCutoff(r.or.built)
	switch filter {
	case "":
	case "no-mfa":
		where = append(where, "p.kind = 'user' AND p.mfa = 'none'")
	case "console-no-mfa":
		where = append(where, "p.kind = 'user' AND p.mfa = 'none' AND p.password_enabled = 1")
	case "stale":
		where = append(where, "p.kind IN ('user', 'role') AND (p.last_used < ? OR (p.last_used IS NULL AND p.created < ?))")
		args = append(args, cutoff, cutoff)
	case "admin":
		// From the run's cache: the sorted ARNs, looked up a chunk at a time.
	case "external":
		// From the run's cache, as administrators.
	default:
		return notFound("filter %q: use no-mfa, console-no-mfa, stale, admin or external", filter)
	}
	// Pages follow the primary key: ?after=ARN (the next link) seeks to the
	// page instead of skipping rows, so a deep page costs what the first does.
	after := r.q("after")
	if after != "" {
		where = append(where, "p.arn > ?")
		args = append(args, after)
	}
	w := ""
	if len(where) > 0 {
		w = " WHERE " + strings.Join(where, " AND ")
	}
	page := r.pageNum()
	if after != "" {
		page = 0
	}
	const cols = `SELECT p.kind, p.name, p.arn, p.account_id, a.name, p.created, p.last_used, p.mfa, p.password_enabled
FROM principals p LEFT JOIN accounts a ON a.id = p.account_id`
	var rows index.Rows
	var err error
	if filter == "admin" || filter == "external" {
		cand := r.c.admins
		if filter == "external" {
			cand = r.c.external
		}
		if after != "" {
			cand = cand[sort.SearchStrings(cand, after+"\x00"):]
		}
		skip := page * PageSize
		const chunk = 200
		for len(cand) > 0 && len(rows.Data) < skip+PageSize+1 {
			part := cand[:min(chunk, len(cand))]
			cand = cand[len(part):]
			cargs := append([]any{}, args...)
			for _, a := range part {
				cargs = append(cargs, a)
			}
			cw := w
			if cw == "" {
				cw = " WHERE "
			} else {
				cw += " AND "
			}
			x, err := r.query(cols+cw+"p.arn IN ("+placeholders(len(part))+") ORDER BY p.arn", cargs...)
			if err != nil {
				return err
			}
			rows.Data = append(rows.Data, x.Data...)
		}
		rows.Data = rows.Data[min(skip, len(rows.Data)):]
		rows.Data = rows.Data[:min(len(rows.Data), PageSize+1)]
	} else {
		rows, err = r.query(cols+w+` ORDER BY p.arn LIMIT ? OFFSET ?`, append(args, PageSize+1, page*PageSize)...)
		if err != nil {
			return err
		}
	}
	more := len(rows.Data) > PageSize
	if more {
		rows.Data = rows.Data[:PageSize]
	}
	sec := &section{ID: "principal-list", Columns: []string{"kind", "name", "account", "created", "last used", "MFA", "console password"}, Empty: "No principal matches.",
		Form: &form{Action: "/principals", Hidden: [][2]string{{"run", r.run}}, Fields: []field{
			{Name: "kind", Label: "kind", Value: kind, Options: kindOptions},
			{Name: "filter", Label: "filter", Value: filter, Options: [][2]string{{"", "none"}, {"no-mfa", "no MFA"}, {"console-no-mfa", "console password, no MFA"},
				{"stale", "stale (unused 90 days)"}, {"admin", "administrators"}, {"external", "trusted from outside the organization"}}},
			{Name: "q", Label: "name contains", Value: name},
			{Name: "account", Label: "account id", Value: acct},
		}}}
	if filter == "stale" {
		sec.Note = "Stale: not used since " + cutoff + " (90 days before the run), or never used and created before then."
	}
	for _, p := range rows.Data {
		pw := ""
		if p[0] == "user" {
			pw = yesNo(p[8])
		}
		mfa := txt(p[7])
		if p[7] == "none" {
			mfa.Class = "medium"
		}
		sec.Rows = append(sec.Rows, []cell{txt(p[0]), r.principalLink(p[2], p[1]), r.accountLink(p[3], p[4]), txt(p[5]), txt(p[6]), mfa, txt(pw)})
	}
	sec.Pager = r.pagerFor(page, false, fmt.Sprintf("page %d", page+1))
	if after != "" {
		sec.Pager = &pager{Prev: r.link("/principals", "kind", kind, "filter", filter, "q", name, "account", acct), Info: "after " + after}
	}
	if more && len(rows.Data) > 0 {
		sec.Pager.Next = r.link("/principals", "kind", kind, "filter", filter, "q", name, "account", acct, "after", rows.Data[len(rows.Data)-1][2])
	}
	v.Sections = append(v.Sections, sec)
	return nil
}

func staleCutoff(date string) string {
	t, err := time.Parse("2006-01-02", date)
	if err != nil {
		return ""
	}
	return t.AddDate(0, 0, -90).Format(time.RFC3339)
}

// principal: one user, role or group with its policies (and their
// statements), groups, trusts, keys and findings.
func (s *Server) principal(r *req, v *view) error {
	arn := r.q("arn")
	p, err := r.query(`SELECT p.kind, p.name, p.arn, p.account_id, a.name, p.id, p.path, p.created, p.last_used, p.last_used_region, p.password_enabled, p.mfa, p.boundary_arn
FROM principals p LEFT JOIN accounts a ON a.id = p.account_id WHERE p.arn = ?`, arn)
	if err != nil {
		return err
	}
	if len(p.Data) == 0 {
		return notFound("no user, role or group %q in run %s", arn, r.run)
	}
	row := p.Data[0]
	kind := row[0]
	v.Title, v.Nav = kind+" "+row[1], "principals"
	kv := [][2]cell{{txt("ARN"), txt(arn)}, {txt("account"), r.accountLink(row[3], row[4])}, {txt("id"), txt(row[5])}, {txt("path"), txt(row[6])},
		{txt("created"), txt(row[7])}}
	if kind != "group" {
		kv = append(kv, [2]cell{txt("last used"), txt(strings.TrimSpace(row[8] + " " + row[9]))})
	}
	if kind == "user" {
		kv = append(kv, [2]cell{txt("console password"), txt(yesNo(row[10]))}, [2]cell{txt("MFA"), txt(row[11])})
	}
	if row[12] != "" {
		kv = append(kv, [2]cell{txt("permissions boundary"), r.policyLink(row[12], row[12])})
	}
	v.Sections = append(v.Sections, &section{ID: "principal", KV: kv})

	// Policies: attached directly, inline, and through groups.
	att, err := r.query(`SELECT policy_id, policy_name, policy_kind, 'direct' FROM policy_attachments WHERE principal_arn = ?1
UNION ALL SELECT a.policy_id, a.policy_name, a.policy_kind, 'group ' || m.group_name FROM group_members m JOIN policy_attachments a ON a.principal_arn = m.group_arn WHERE m.user_arn = ?1
ORDER BY 4, 2`, arn)
	if err != nil {
		return err
	}
	ps := &section{ID: "policies", Heading: "Policies", Columns: []string{"policy", "kind", "via"}, Empty: "No policy."}
	for _, a := range att.Data {
		ps.Rows = append(ps.Rows, []cell{r.policyLink(a[0], a[1]), txt(a[2]), txt(a[3])})
	}
	v.Sections = append(v.Sections, ps)

	// Inline policies' statements, from their documents (the id range keeps
	// this to the principal's rows of the primary key).
	lo := "inline:" + arn + ":"
	in, err := r.query(`SELECT id, name, document FROM inline_policies WHERE id >= ? AND id < ? ORDER BY name`, lo, lo[:len(lo)-1]+";")
	if err != nil {
		return err
	}
	for _, x := range in.Data {
		sec := statementSection("Inline policy "+x[1], x[2])
		sec.Heading = ""
		sec.Note = "Inline policy " + x[1]
		v.Sections = append(v.Sections, sec)
	}

	switch kind {
	case "user":
		g, err := r.query(`SELECT group_arn, group_name FROM group_members WHERE user_arn = ? ORDER BY group_name`, arn)
		if err != nil {
			return err
		}
		gs := &section{ID: "groups", Heading: "Groups", Columns: []string{"group"}, Empty: "In no group."}
		for _, x := range g.Data {
			gs.Rows = append(gs.Rows, []cell{r.principalLink(x[0], x[1])})
		}
		v.Sections = append(v.Sections, gs)
		klo, khi := r.c.keyRange(row[3])
		k, err := r.query(`SELECT key_id, status, created, last_used_date, last_used_service, last_used_region FROM access_keys WHERE rowid BETWEEN ? AND ? AND user_arn = ? ORDER BY created`, klo, khi, arn)
		if err != nil {
			return err
		}
		ks := &section{ID: "keys", Heading: "Access keys", Columns: []string{"key", "status", "created", "last used", "service", "region"}, Empty: "No access key."}
		for _, x := range k.Data {
			ks.Rows = append(ks.Rows, []cell{txt(x[0]), txt(x[1]), txt(x[2]), txt(x[3]), txt(x[4]), txt(x[5])})
		}
		v.Sections = append(v.Sections, ks)
	case "group":
		m, err := r.query(`SELECT user_arn, user_name FROM group_members WHERE group_arn = ? ORDER BY user_name LIMIT 200`, arn)
		if err != nil {
			return err
		}
		ms := &section{ID: "members", Heading: "Members", Columns: []string{"user"}, Empty: "No member."}
		for _, x := range m.Data {
			ms.Rows = append(ms.Rows, []cell{r.principalLink(x[0], x[1])})
		}
		v.Sections = append(v.Sections, ms)
	case "role":
		t, err := r.query(`SELECT stmt_idx, effect, actions, principal_type, principal_value, trusted_account, cross_account, external_to_org, has_external_id, has_condition
FROM trusts WHERE account_id = ? AND role_arn = ? ORDER BY stmt_idx, principal_type, principal_value`, row[3], arn)
		if err != nil {
			return err
		}
		ts := &section{ID: "trust", Heading: "Who can assume this role", Columns: []string{"statement", "effect", "actions", "principal", "account", "cross-account", "outside the organization", "external id", "condition"}, Empty: "No trust policy statement."}
		for _, x := range t.Data {
			ext := txt(yesNo(x[7]))
			if x[7] == "1" {
				ext.Class = "external"
			}
			ts.Rows = append(ts.Rows, []cell{txt(x[0]), txt(x[1]), txt(x[2]), txt(x[3] + " " + x[4]), txt(x[5]), txt(yesNo(x[6])), ext, txt(yesNo(x[8])), txt(yesNo(x[9]))})
		}
		v.Sections = append(v.Sections, ts)
	}

	flo, fhi := r.c.findingRange(row[3])
	f, err := r.query(`SELECT check_id, severity, title, evidence FROM findings WHERE rowid BETWEEN ? AND ? AND principal = ? AND status = 'FAIL' ORDER BY check_id`, flo, fhi, arn)
	if err != nil {
		return err
	}
	fs := &section{ID: "findings", Heading: "Findings", Columns: []string{"check", "severity", "title", "evidence"}, Empty: "No failing check."}
	for _, x := range f.Data {
		fs.Rows = append(fs.Rows, []cell{txt(x[0]), sev(x[1]), txt(x[2]), txt(x[3])})
	}
	v.Sections = append(v.Sections, fs)
	return nil
}

// statementSection renders a policy document as a table of its statements.
func statementSection(heading, doc string) *section {
	sec := &section{ID: "statements", Heading: heading, Columns: []string{"#", "sid", "effect", "actions", "resources", "condition"}, Empty: "No statement."}
	d, err := policy.Parse([]byte(doc))
	if err != nil {
		sec.Note = "The document could not be read: " + err.Error()
		return sec
	}
	for i, st := range d.Statement {
		acts := strings.Join(st.Action, ", ")
		if len(st.NotAction) > 0 {
			acts = "NOT " + strings.Join(st.NotAction, ", ")
		}
		res := strings.Join(st.Resource, ", ")
		if len(st.NotResource) > 0 {
			res = "NOT " + strings.Join(st.NotResource, ", ")
		}
		eff := txt(st.Effect)
		if policy.IsAdminStatement(st) {
			eff = cell{Text: st.Effect + " (administrator)", Class: "high"}
		}
		sec.Rows = append(sec.Rows, []cell{txt(strconv.Itoa(i)), txt(st.Sid), eff, txt(acts), txt(res), txt(string(st.Condition))})
	}
	return sec
}

// policyPage: a managed or inline policy, its statements, its document and
// who has it.
func (s *Server) policyPage(r *req, v *view) error {
	id := r.q("id")
	v.Nav = "principals"
	var doc string
	if strings.HasPrefix(id, "inline:") {
		x, err := r.query(`SELECT name, principal_arn, account_id, document FROM inline_policies WHERE id = ?`, id)
		if err != nil {
			return err
		}
		if len(x.Data) == 0 {
			return notFound("no inline policy %q in run %s", id, r.run)
		}
		v.Title = "Inline policy " + x.Data[0][0]
		v.Sections = append(v.Sections, &section{ID: "policy", KV: [][2]cell{{txt("of"), r.principalLink(x.Data[0][1], x.Data[0][1])}, {txt("account"), r.accountLink(x.Data[0][2], "")}}})
		doc = x.Data[0][3]
	} else {
		x, err := r.query(`SELECT name, account_id, aws_managed, default_version, attachment_count, description, created, updated FROM policies WHERE arn = ?`, id)
		if err != nil {
			return err
		}
		if len(x.Data) == 0 {
			return notFound("no managed policy %q in run %s", id, r.run)
		}
		row := x.Data[0]
		v.Title = "Policy " + row[0]
		owner := r.accountLink(row[1], "")
		if row[2] == "1" {
			owner = txt("AWS managed")
		}
		v.Sections = append(v.Sections, &section{ID: "policy", KV: [][2]cell{{txt("ARN"), txt(id)}, {txt("owner"), owner},
			{txt("default version"), txt(row[3])}, {txt("attachments"), txt(row[4])}, {txt("description"), txt(row[5])}, {txt("created"), txt(row[6])}, {txt("updated"), txt(row[7])}}})
		vr := r.c.versionRange(id)
		d, err := r.query(`SELECT document FROM policy_versions WHERE rowid BETWEEN ? AND ? AND policy_arn = ? AND is_default = 1`, vr[0], vr[1], id)
		if err != nil {
			return err
		}
		if len(d.Data) > 0 {
			doc = d.Data[0][0]
		}
	}
	v.Sections = append(v.Sections, statementSection("Statements", doc))
	if doc != "" {
		var pretty any
		if json.Unmarshal([]byte(doc), &pretty) == nil {
			b, _ := json.MarshalIndent(pretty, "", "  ")
			doc = string(b)
		}
		v.Sections = append(v.Sections, &section{ID: "document", Heading: "Document", Pre: doc})
	}
	page := r.pageNum()
	who, err := r.query(`SELECT a.principal_arn, p.kind, p.name, p.account_id FROM policy_attachments a LEFT JOIN principals p ON p.arn = a.principal_arn
WHERE a.policy_id = ? ORDER BY a.rowid LIMIT ? OFFSET ?`, id, PageSize+1, page*PageSize)
	if err != nil {
		return err
	}
	more := len(who.Data) > PageSize
	if more {
		who.Data = who.Data[:PageSize]
	}
	ws := &section{ID: "attached", Heading: "Attached to", Columns: []string{"principal", "kind", "account"}, Empty: "Attached to nothing in this run.",
		Note: "Users also get the policies of their groups."}
	for _, x := range who.Data {
		ws.Rows = append(ws.Rows, []cell{r.principalLink(x[0], x[2]), txt(x[1]), r.accountLink(x[3], "")})
	}
	ws.Pager = r.pagerFor(page, more, fmt.Sprintf("page %d", page+1))
	v.Sections = append(v.Sections, ws)
	return nil
}

// findings: failing checks with filters, paged in row order.
func (s *Server) findings(r *req, v *view) error {
	v.Title, v.Nav = "Findings", "findings"
	severity, check, acct := strings.ToLower(r.q("severity")), r.q("check"), r.q("account")
	where, args := []string{"status = 'FAIL'"}, []any{}
	if severity != "" {
		where = append(where, "lower(severity) = ?")
		args = append(args, severity)
	}
	if check != "" {
		where = append(where, "check_id = ?")
		args = append(args, check)
	}
	if acct != "" {
		lo, hi := r.c.findingRange(acct)
		where = append(where, "rowid BETWEEN ? AND ? AND account_id = ?")
		args = append(args, lo, hi, acct)
	}
	w := " WHERE " + strings.Join(where, " AND ")
	checks := r.c.checks
	opts := [][2]string{{"", "all"}}
	sum := &section{ID: "checks", Heading: "By check", Columns: []string{"check", "severity", "title", "failing"}}
	for _, c := range checks.Data {
		opts = append(opts, [2]string{c[0], c[0]})
		sum.Rows = append(sum.Rows, []cell{{Text: c[0], Href: r.link("/findings", "check", c[0])}, sev(c[2]), txt(c[1]), txt(c[3])})
	}
	page := r.pageNum()
	rows, err := r.query(`SELECT account_id, account_name, principal, check_id, severity, title, evidence FROM findings`+w+` ORDER BY rowid LIMIT ? OFFSET ?`, append(args, PageSize+1, page*PageSize)...)
	if err != nil {
		return err
	}
	more := len(rows.Data) > PageSize
	if more {
		rows.Data = rows.Data[:PageSize]
	}
	sec := &section{ID: "finding-list", Heading: "Failing checks", Columns: []string{"account", "principal", "check", "severity", "title", "evidence"}, Empty: "No finding matches.",
		Form: &form{Action: "/findings", Hidden: [][2]string{{"run", r.run}}, Fields: []field{
			{Name: "severity", Label: "severity", Value: severity, Options: [][2]string{{"", "all"}, {"high", "high"}, {"medium", "medium"}, {"low", "low"}}},
			{Name: "check", Label: "check", Value: check, Options: opts},
			{Name: "account", Label: "account id", Value: acct}}}}
	for _, f := range rows.Data {
		sec.Rows = append(sec.Rows, []cell{r.accountLink(f[0], f[1]), r.principalLink(f[2], shortArn(f[2])), txt(f[3]), sev(f[4]), txt(f[5]), txt(f[6])})
	}
	sec.Pager = r.pagerFor(page, more, fmt.Sprintf("page %d", page+1))
	v.Sections = append(v.Sections, sec, sum)
	return nil
}
