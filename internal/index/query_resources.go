package index

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/orgiam/orgiam/internal/exposure"
)

// ResourceFilter selects the resources Resources lists.
type ResourceFilter struct {
	// Public, CrossAccount and External select grants of those classes
	// (any of them); none set selects all three.
	Public, CrossAccount, External bool
	// Service keeps one service ("s3", "kms", …); Account one account (id,
	// name or alias).
	Service, Account string
}

// classes returns the grant classes the filter selects, widest first.
func (f ResourceFilter) classes() []exposure.Class {
	var out []exposure.Class
	all := !f.Public && !f.CrossAccount && !f.External
	if all || f.Public {
		out = append(out, exposure.ClassPublic)
	}
	if all || f.External {
		out = append(out, exposure.ClassExternal)
	}
	if all || f.CrossAccount {
		out = append(out, exposure.ClassCrossAccount)
	}
	return out
}

// ResourceColumns are the columns of Resources' answer.
var ResourceColumns = []string{"account_id", "account_name", "region", "service", "type", "name", "arn",
	"exposure", "conditional", "principals", "conditions", "statements", "grants"}

// Resources lists the resources whose effective grants (not cancelled by a
// Deny, not neutralised by S3 Block Public Access) reach a selected class:
// one row per resource. exposure is the widest selected class it reaches;
// conditional is "yes" when every grant of that class has a restricting
// condition (shown in conditions), "no" when at least one has none.
// principals, conditions and statements are those of the selected grants;
// grants details each as "class principal (statement) [conditions]".
func (db *DB) Resources(ctx context.Context, f ResourceFilter) (Rows, error) {
	out := Rows{Columns: ResourceColumns, Data: [][]string{}}
	if f.Service != "" && !exposure.KnownService(f.Service) {
		return out, fmt.Errorf("unknown service %q (valid: %s)", f.Service, strings.Join(exposure.Services, ", "))
	}
	classes := f.classes()
	var args []any
	marks := make([]string, len(classes))
	for i, c := range classes {
		marks[i] = "?"
		args = append(args, string(c))
	}
	q := `
SELECT g.account_id, a.name, coalesce(g.region, ''), g.service, r.type, r.name, g.resource_arn,
       g.class, g.conditional, g.principal_type, g.principal_value, g.not_principal, coalesce(g.conditions, ''),
       g.stmt_idx, coalesce(g.sid, ''), coalesce(g.actions, ''), g.not_action
FROM resource_grants g
JOIN resources r ON r.arn = g.resource_arn AND r.account_id = g.account_id AND coalesce(r.region, '') = coalesce(g.region, '')
LEFT JOIN accounts a ON a.id = g.account_id
WHERE g.class IN (` + strings.Join(marks, ",") + `) AND g.denied_by IS NULL AND g.blocked_by IS NULL`
	if f.Service != "" {
		q += " AND g.service = ?"
		args = append(args, f.Service)
	}
	if f.Account != "" {
		id, err := db.resolveAccount(ctx, f.Account)
		if err != nil {
			return out, err
		}
		q += " AND g.account_id = ?"
		args = append(args, id)
	}
	q += " ORDER BY g.account_id, g.region, g.service, g.resource_arn, g.stmt_idx, g.principal_type, g.principal_value"
	raw, err := db.query(ctx, q, args...)
	if err != nil {
		return out, fmt.Errorf("index %s: resources: %w", db.path, err)
	}
	type resource struct {
		row    []string
		grants []exposure.Grant
		text   []string
		sids   []string
		conds  []string
	}
	var order []*resource
	byKey := map[string]*resource{}
	for _, r := range raw.Data {
		key := r[0] + "\x00" + r[2] + "\x00" + r[6]
		res := byKey[key]
		if res == nil {
			res = &resource{row: r[:7]}
			byKey[key] = res
			order = append(order, res)
		}
		g := exposure.Grant{Class: exposure.Class(r[7]), Conditional: r[8] == "1", PrincipalType: r[9], PrincipalValue: r[10],
			NotPrincipal: r[11] == "1", DeniedBy: -1}
		res.grants = append(res.grants, g)
		principal := r[9] + ":" + r[10]
		if g.NotPrincipal {
			principal = "NotPrincipal " + principal
		}
		where := "ACL"
		if r[13] != "-1" {
			where = "#" + r[13]
			if r[14] != "" {
				where = r[14]
			}
			res.sids = append(res.sids, where)
		}
		acts := r[15]
		if r[16] == "1" {
			acts = "NotAction " + acts
		}
		t := fmt.Sprintf("%s %s (%s: %s)", r[7], principal, where, acts)
		if r[12] != "" {
			t += " [" + r[12] + "]"
			res.conds = append(res.conds, strings.Split(r[12], " & ")...)
		}
		res.text = append(res.text, t)
	}
	for _, res := range order {
		exp, cond := exposure.Summarize(res.grants)
		var principals []string
		for _, g := range res.grants {
			p := g.PrincipalType + ":" + g.PrincipalValue
			if g.NotPrincipal {
				p = "NotPrincipal " + p
			}
			principals = append(principals, p)
		}
		yes := "no"
		if cond {
			yes = "yes"
		}
		row := append(append([]string(nil), res.row...), string(exp), yes, strings.Join(sortedUniq(principals), ","),
			strings.Join(sortedUniq(res.conds), "; "), strings.Join(sortedUniq(res.sids), ","), strings.Join(res.text, "; "))
		out.Data = append(out.Data, row)
	}
	return out, nil
}

func sortedUniq(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range s {
		if v != "" && !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	sort.Strings(out)
	return out
}
