package web

import (
	"fmt"
	"html/template"
	"sort"
	"strconv"
	"strings"

	"github.com/orgiam/orgiam/internal/store"
)

// trustEdge is one cross-account trust: principals of account from may
// assume role in account to.
type trustEdge struct {
	from, fromName, to, toName, role, roleArn, principal string
	external, public                                     bool
}

// trusts: the cross-account trusts of the organization (or of one
// account), drawn as a graph of accounts, and listed; paged.
func (s *Server) trusts(r *req, v *view) error {
	v.Title, v.Nav = "Trust graph", "trusts"
	acct, ext := r.q("account"), r.q("external") == "1"
	where, args := []string{"t.cross_account = 1", "lower(t.effect) = 'allow'"}, []any{}
	if acct != "" {
		if !store.ValidAccountID(acct) {
			return notFound("account %q is not a 12-digit account id", acct)
		}
		// Both directions: roles in the account, and roles that trust it.
		where = append(where, "(t.account_id = ? OR t.trusted_account = ?)")
		args = append(args, acct, acct)
	}
	if ext {
		where = append(where, "t.external_to_org = 1")
	}
	// ?after=ROWID (the next link) seeks instead of skipping rows.
	page := r.pageNum()
	if after, err := strconv.ParseInt(r.q("after"), 10, 64); err == nil && after > 0 {
		where = append(where, "t.rowid > ?")
		args = append(args, after)
		page = 0
	}
	rows, err := r.query(`SELECT t.trusted_account, ta.name, t.account_id, a.name, t.role_name, t.role_arn, t.principal_type || ' ' || t.principal_value, t.external_to_org, t.rowid
FROM trusts t LEFT JOIN accounts a ON a.id = t.account_id LEFT JOIN accounts ta ON ta.id = t.trusted_account
WHERE `+strings.Join(where, " AND ")+` ORDER BY t.rowid LIMIT ? OFFSET ?`, append(args, PageSize+1, page*PageSize)...)
	if err != nil {
		return err
	}
	more := len(rows.Data) > PageSize
	if more {
		rows.Data = rows.Data[:PageSize]
	}
	var edges []trustEdge
	for _, x := range rows.Data {
		edges = append(edges, trustEdge{from: x[0], fromName: x[1], to: x[2], toName: x[3], role: x[4], roleArn: x[5], principal: x[6],
			external: x[7] == "1", public: x[0] == "*"})
	}
	form := &form{Action: "/trusts", Hidden: [][2]string{{"run", r.run}}, Fields: []field{
		{Name: "account", Label: "account id", Value: acct},
		{Name: "external", Label: "only from outside the organization", Value: r.q("external"), Options: [][2]string{{"", "no"}, {"1", "yes"}}}}}
	v.Sections = append(v.Sections, &section{ID: "graph", Heading: "Who can assume what", Form: form, SVG: drawTrusts(r, edges),
		Note: "Left: the accounts trusted; right: the accounts whose roles they can assume. Red: outside every organization of the run (or anyone). This page's trusts; use the pager for more."})
	sec := &section{ID: "trust-list", Heading: "Trusts", Columns: []string{"trusted account", "principal", "can assume", "in account", "outside the organization"}, Empty: "No cross-account trust matches."}
	for _, e := range edges {
		from := r.accountLink(e.from, e.fromName)
		if e.from == "*" {
			from = cell{Text: "anyone (*)", Class: "external"}
		} else if e.external {
			from = cell{Text: e.from + " (external)", Class: "external", Href: r.link("/trusts", "account", e.from)}
		}
		ext := txt("no")
		if e.external {
			ext = cell{Text: "yes", Class: "external"}
		}
		sec.Rows = append(sec.Rows, []cell{from, txt(e.principal), r.principalLink(e.roleArn, e.role), r.accountLink(e.to, e.toName), ext})
	}
	sec.Pager = r.pagerFor(page, false, fmt.Sprintf("page %d", page+1))
	if r.q("after") != "" {
		sec.Pager = &pager{Prev: r.link("/trusts", "account", acct, "external", r.q("external")), Info: "continued"}
	}
	if more {
		sec.Pager.Next = r.link("/trusts", "account", acct, "external", r.q("external"), "after", rows.Data[len(rows.Data)-1][8])
	}
	v.Sections = append(v.Sections, sec)
	return nil
}

// drawTrusts draws the edges as an SVG: trusted accounts on the left,
// trusting accounts on the right, one line per trust (deduplicated by
// account pair). Built on the server: no script, no external library.
func drawTrusts(r *req, edges []trustEdge) template.HTML {
	if len(edges) == 0 {
		return ""
	}
	type node struct {
		id, label string
		external  bool
		y         int
	}
	left, right := map[string]*node{}, map[string]*node{}
	var lo, ro []*node
	pairs := map[[2]string]bool{}
	for _, e := range edges {
		if left[e.from] == nil {
			lbl := e.from
			if e.fromName != "" {
				lbl = e.fromName + " " + e.from
			}
			if e.public {
				lbl = "anyone (*)"
			}
			left[e.from] = &node{id: e.from, label: lbl, external: e.external || e.public}
			lo = append(lo, left[e.from])
		}
		if right[e.to] == nil {
			lbl := e.to
			if e.toName != "" {
				lbl = e.toName + " " + e.to
			}
			right[e.to] = &node{id: e.to, label: lbl}
			ro = append(ro, right[e.to])
		}
		pairs[[2]string{e.from, e.to}] = true
	}
	sort.Slice(lo, func(i, j int) bool { return lo[i].label < lo[j].label })
	sort.Slice(ro, func(i, j int) bool { return ro[i].label < ro[j].label })
	const rowH, top, w, lx, rx = 26, 20, 900, 250, 650
	for i, n := range lo {
		n.y = top + i*rowH
	}
	for i, n := range ro {
		n.y = top + i*rowH
	}
	h := top*2 + max(len(lo), len(ro))*rowH
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="trust graph" id="trust-svg">`, w, h, w, h)
	keys := make([][2]string, 0, len(pairs))
	for k := range pairs {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i][0]+keys[i][1] < keys[j][0]+keys[j][1] })
	for _, k := range keys {
		a, c := left[k[0]], right[k[1]]
		color := "#7a8aa6"
		if a.external {
			color = "#b42318"
		}
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="1.5"/>`, lx, a.y, rx, c.y, color)
	}
	esc := template.HTMLEscapeString
	for _, n := range lo {
		fill := "#2457c5"
		cls := "node"
		if n.external {
			fill, cls = "#b42318", "node external"
		}
		fmt.Fprintf(&b, `<circle cx="%d" cy="%d" r="6" fill="%s"/>`, lx, n.y, fill)
		label := fmt.Sprintf(`<text x="%d" y="%d" text-anchor="end" font-size="12" fill="%s" class="%s">%s</text>`, lx-10, n.y+4, fill, cls, esc(n.label))
		if n.id != "*" {
			label = `<a href="` + esc(r.link("/trusts", "account", n.id)) + `">` + label + `</a>`
		}
		b.WriteString(label)
	}
	for _, n := range ro {
		fmt.Fprintf(&b, `<circle cx="%d" cy="%d" r="6" fill="#067647"/>`, rx, n.y)
		fmt.Fprintf(&b, `<a href="%s"><text x="%d" y="%d" font-size="12" fill="#1d2330">%s</text></a>`, esc(r.link("/account/"+n.id)), rx+10, n.y+4, esc(n.label))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}
