package index

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"modernc.org/sqlite"

	"github.com/orgiam/orgiam/internal/policy"
	"github.com/orgiam/orgiam/internal/store"
	"github.com/orgiam/orgiam/internal/tableout"
)

// Rows is a query's answer: column names and string cells (NULL is "").
type Rows = tableout.Rows

func init() {
	// iam_match(pattern, value, fold): IAM wildcard match ('*' and '?'),
	// case-insensitive when fold is 1. NULL pattern or value gives 0.
	err := sqlite.RegisterDeterministicScalarFunction("iam_match", 3, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		p, ok1 := args[0].(string)
		v, ok2 := args[1].(string)
		if !ok1 || !ok2 {
			return int64(0), nil
		}
		fold, _ := args[2].(int64)
		if policy.Match(p, v, fold != 0) {
			return int64(1), nil
		}
		return int64(0), nil
	})
	if err != nil {
		panic("index: registering iam_match: " + err.Error())
	}
}

// DB is an index opened read-only.
type DB struct {
	db   *sql.DB
	path string
	// Run is the run prefix the index was built from (meta.run).
	Run string
	// explain makes every query return its plan (EXPLAIN QUERY PLAN)
	// instead of its rows: tests check that the lookups use indexes.
	explain bool
}

// Open opens the index at path read-only (mode=ro, PRAGMA query_only).
func Open(path string) (*DB, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("index %s: %w", path, err)
	}
	if _, err := os.Stat(abs); err != nil {
		return nil, fmt.Errorf("index %s: %w", path, err)
	}
	dsn := (&url.URL{Scheme: "file", Path: abs}).String() + "?mode=ro&_query_only=1"
	sdb, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("index %s: %w", path, err)
	}
	db := &DB{db: sdb, path: path}
	var version int
	if err := sdb.QueryRow("SELECT version FROM schema_version").Scan(&version); err != nil {
		sdb.Close()
		return nil, fmt.Errorf("index %s: not an orgiam index (schema_version: %v)", path, err)
	}
	if version != SchemaVersion {
		sdb.Close()
		return nil, fmt.Errorf("index %s: schema version %d, this orgiam reads version %d: rebuild it with `orgiam index`", path, version, SchemaVersion)
	}
	if err := sdb.QueryRow("SELECT value FROM meta WHERE key = 'run'").Scan(&db.Run); err != nil {
		sdb.Close()
		return nil, fmt.Errorf("index %s: meta.run: %w", path, err)
	}
	return db, nil
}

// Close closes the index.
func (db *DB) Close() error { return db.db.Close() }

// Meta returns the meta table as a map.
func (db *DB) Meta(ctx context.Context) (map[string]string, error) {
	r, err := db.query(ctx, "SELECT key, value FROM meta ORDER BY key")
	if err != nil {
		return nil, err
	}
	m := map[string]string{}
	for _, row := range r.Data {
		m[row[0]] = row[1]
	}
	return m, nil
}

func str(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case []byte:
		return string(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case time.Time:
		return x.UTC().Format(time.RFC3339)
	}
	return fmt.Sprint(v)
}

func (db *DB) query(ctx context.Context, q string, args ...any) (Rows, error) {
	if db.explain {
		q = "EXPLAIN QUERY PLAN " + q
	}
	rows, err := db.db.QueryContext(ctx, q, args...)
	if err != nil {
		return Rows{}, err
	}
	return collectRows(rows)
}

// collectRows reads every row as text and closes rows.
func collectRows(rows *sql.Rows) (Rows, error) {
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return Rows{}, err
	}
	out := Rows{Columns: cols, Data: [][]string{}}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return Rows{}, err
		}
		rec := make([]string, len(cols))
		for i, v := range vals {
			rec[i] = str(v)
		}
		out.Data = append(out.Data, rec)
	}
	return out, rows.Err()
}

const yesNo = "CASE WHEN %s THEN 'yes' ELSE 'no' END"

func yn(expr string) string { return fmt.Sprintf(yesNo, expr) }

// Key answers who owns an access key: user, account (id and name), status,
// created and last use.
func (db *DB) Key(ctx context.Context, keyID string) (Rows, error) {
	id := strings.ToUpper(strings.TrimSpace(keyID))
	r, err := db.query(ctx, `
SELECT k.key_id, k.status, k.created, k.last_used_date AS last_used, k.last_used_service, k.last_used_region,
       k.user_name AS user, k.user_arn, k.account_id, a.name AS account_name
FROM access_keys k LEFT JOIN accounts a ON a.id = k.account_id
WHERE k.key_id = ?`, id)
	if err != nil {
		return r, fmt.Errorf("index %s: key %s: %w", db.path, id, err)
	}
	if len(r.Data) == 0 {
		return r, fmt.Errorf("access key %s is not in run %s", id, db.Run)
	}
	return r, nil
}

const principalCols = `
SELECT p.kind, p.name, p.arn, p.account_id, a.name AS account_name, p.id, p.path, p.created, p.last_used, p.mfa,
       (SELECT group_concat(group_name, ',') FROM (SELECT group_name FROM group_members g WHERE g.user_arn = p.arn ORDER BY group_name)) AS groups,
       (SELECT group_concat(n, ',') FROM (
          SELECT policy_name AS n FROM policy_attachments WHERE principal_arn = p.arn
          UNION
          SELECT a.policy_name FROM group_members m JOIN policy_attachments a ON a.principal_arn = m.group_arn WHERE m.user_arn = p.arn
          ORDER BY 1)) AS policies
FROM principals p LEFT JOIN accounts a ON a.id = p.account_id`

// Principal finds users, roles and groups by exact ARN, by exact name
// (case-insensitive), or by a glob with '*' and '?' over name and ARN
// (case-insensitive).
func (db *DB) Principal(ctx context.Context, q string) (Rows, error) {
	q = strings.TrimSpace(q)
	if q == "" {
		return Rows{}, errors.New("principal: empty query (give an ARN, a name, or a glob such as 'deploy-*')")
	}
	const order = " ORDER BY p.account_id, p.kind, p.name, p.arn"
	tries := []struct {
		where string
		args  []any
	}{
		{" WHERE p.arn = ?", []any{q}},
		{" WHERE lower(p.name) = lower(?)", []any{q}},
	}
	if strings.ContainsAny(q, "*?") {
		tries = append(tries, struct {
			where string
			args  []any
		}{" WHERE iam_match(?1, p.name, 1) OR iam_match(?1, p.arn, 1)", []any{q}})
	}
	for _, t := range tries {
		r, err := db.query(ctx, principalCols+t.where+order, t.args...)
		if err != nil {
			return r, fmt.Errorf("index %s: principal %q: %w", db.path, q, err)
		}
		if len(r.Data) > 0 {
			return r, nil
		}
	}
	return Rows{}, fmt.Errorf("principal %q is not in run %s (no user, role or group with that ARN or name)", q, db.Run)
}

// resolveAccount turns an account id, name or alias into an account id.
func (db *DB) resolveAccount(ctx context.Context, account string) (string, error) {
	account = strings.TrimSpace(account)
	if store.ValidAccountID(account) {
		return account, nil
	}
	r, err := db.query(ctx, "SELECT id FROM accounts WHERE lower(name) = lower(?1) OR lower(alias) = lower(?1) ORDER BY id", account)
	if err != nil {
		return "", err
	}
	switch len(r.Data) {
	case 0:
		return "", fmt.Errorf("account %q is not in run %s (give a 12-digit id, a name or an alias)", account, db.Run)
	case 1:
		return r.Data[0][0], nil
	}
	ids := make([]string, len(r.Data))
	for i, row := range r.Data {
		ids[i] = row[0]
	}
	return "", fmt.Errorf("account %q is ambiguous in run %s: %s", account, db.Run, strings.Join(ids, ", "))
}

// Trusts lists roles assumable from other accounts: trust policy Allow
// statements whose principal belongs to another account (or is "*").
// account, when set, keeps the roles IN that account (the trusting side),
// given as an id, a name or an alias; externalOnly keeps principals from
// outside every organization of the run.
func (db *DB) Trusts(ctx context.Context, account string, externalOnly bool) (Rows, error) {
	q := `
SELECT t.account_id, a.name AS account_name, t.role_name, t.role_arn, t.principal_type, t.principal_value,
       t.trusted_account, ta.name AS trusted_account_name, ` + yn("t.external_to_org = 1") + ` AS external_to_org,
       ` + yn("t.has_external_id = 1") + ` AS external_id, ` + yn("t.has_condition = 1") + ` AS conditional
FROM trusts t LEFT JOIN accounts a ON a.id = t.account_id LEFT JOIN accounts ta ON ta.id = t.trusted_account
WHERE t.cross_account = 1 AND lower(t.effect) = 'allow'`
	var args []any
	if account != "" {
		id, err := db.resolveAccount(ctx, account)
		if err != nil {
			return Rows{}, err
		}
		q += " AND t.account_id = ?"
		args = append(args, id)
	}
	if externalOnly {
		q += " AND t.external_to_org = 1"
	}
	q += " ORDER BY t.account_id, t.role_name, t.stmt_idx, t.principal_type, t.principal_value"
	r, err := db.query(ctx, q, args...)
	if err != nil {
		return r, fmt.Errorf("index %s: trusts: %w", db.path, err)
	}
	return r, nil
}

// Admins lists principals with an unconditioned Allow of "*" (or "*:*") on
// "*" in an identity policy, or with AWS managed AdministratorAccess
// attached, directly or through a group.
func (db *DB) Admins(ctx context.Context) (Rows, error) {
	names := make([]string, 0, len(policy.AWSManagedAdminPolicies))
	for n := range policy.AWSManagedAdminPolicies {
		names = append(names, "'"+strings.ReplaceAll(n, "'", "''")+"'")
	}
	sort.Strings(names)
	q := `
WITH admin_policies AS (
  SELECT DISTINCT policy_id FROM statements
  WHERE service = '*' AND action IN ('*', '*:*') AND resource = '*' AND not_action = 0 AND not_resource = 0
    AND has_condition = 0 AND lower(effect) = 'allow' AND source IN ('managed', 'inline')
)
SELECT p.account_id, a.name AS account_name, p.kind, p.name AS principal, p.arn AS principal_arn,
       t.policy_name AS policy, t.policy_kind, t.via,
       CASE WHEN t.policy_kind = 'aws' AND t.policy_name IN (` + strings.Join(names, ", ") + `) THEN 'AWS managed ' || t.policy_name
            ELSE 'Allow * on *' END AS reason
FROM attachments t JOIN principals p ON p.arn = t.principal_arn LEFT JOIN accounts a ON a.id = p.account_id
WHERE t.policy_id IN (SELECT policy_id FROM admin_policies)
   OR (t.policy_kind = 'aws' AND t.policy_name IN (` + strings.Join(names, ", ") + `))
ORDER BY p.account_id, p.kind, p.name, t.policy_name, t.via`
	r, err := db.query(ctx, q)
	if err != nil {
		return r, fmt.Errorf("index %s: admins: %w", db.path, err)
	}
	return r, nil
}

// Can lists principals whose identity policies (inline, attached managed
// including AWS managed, directly or through groups) allow action on
// resource. Wildcards in policies are honoured ('*', '?', actions
// case-insensitive); NotAction and NotResource are applied; an explicit
// Deny without a condition in the principal's policies removes the
// principal. Conditions are not evaluated: an allowing statement with a
// Condition is flagged in "conditional", and Deny statements with a
// Condition are named in "conditional_deny". resource "" asks about any
// resource (an Allow on some resource is enough; only a Deny on "*"
// subtracts); "*" asks about every resource. Permissions boundaries, SCPs and
// resource policies are not taken into account.
func (db *DB) Can(ctx context.Context, action, resource string) (Rows, error) {
	action = strings.TrimSpace(action)
	resource = strings.TrimSpace(resource)
	if action == "" {
		return Rows{}, errors.New("can: empty action (give one such as s3:GetObject)")
	}
	svc := serviceOf(action)
	q := `
WITH st AS (
  SELECT policy_id, stmt_idx, lower(effect) AS effect, max(has_condition) AS cond,
         max(not_action) AS na, max(iam_match(action, ?1, 1)) AS am,
         max(not_resource) AS nr, max(iam_match(resource, ?2, 0)) AS rm, max(resource = '*') AS star,
         group_concat(DISTINCT resource) AS resources
  FROM statements
  WHERE source IN ('managed', 'inline') AND (not_action = 1 OR service IN (?3, '*'))
  GROUP BY policy_id, stmt_idx
),
-- The policies with a statement about the action, and who has them:
-- attached directly, or (users) through a group. The attachments view
-- spelled out, so that each part is looked up by policy.
pol AS (SELECT DISTINCT policy_id FROM st WHERE (na = 1 AND am = 0) OR (na = 0 AND am = 1)),
att AS (
  SELECT a.principal_arn, a.policy_id, a.policy_name, a.policy_kind, 'direct' AS via
  FROM pol JOIN policy_attachments a ON a.policy_id = pol.policy_id
  UNION ALL
  SELECT m.user_arn, a.policy_id, a.policy_name, a.policy_kind, m.group_name
  FROM pol JOIN policy_attachments a ON a.policy_id = pol.policy_id JOIN group_members m ON m.group_arn = a.principal_arn
)
SELECT t.principal_arn, t.policy_id, t.policy_name, t.policy_kind, t.via,
       st.effect, st.cond, st.na, st.am, st.nr, st.rm, st.star, st.resources
FROM st JOIN att t ON t.policy_id = st.policy_id
WHERE (st.na = 1 AND st.am = 0) OR (st.na = 0 AND st.am = 1)
ORDER BY t.principal_arn, t.policy_id, t.via, st.stmt_idx`
	raw, err := db.query(ctx, q, action, resource, svc)
	if err != nil {
		return Rows{}, fmt.Errorf("index %s: can %s: %w", db.path, action, err)
	}
	type grant struct {
		policy, kind, via string
		conditional       bool
		resources         []string
	}
	type acc struct {
		grants   []*grant
		byKey    map[string]*grant
		denied   bool
		condDeny []string
	}
	byPrincipal := map[string]*acc{}
	var order []string
	for _, r := range raw.Data {
		arn, pid, pname, pkind, via := r[0], r[1], r[2], r[3], r[4]
		effect, cond, nr, rm, star := r[5], r[6] == "1", r[9] == "1", r[10] == "1", r[11] == "1"
		a := byPrincipal[arn]
		if a == nil {
			a = &acc{byKey: map[string]*grant{}}
			byPrincipal[arn] = a
			order = append(order, arn)
		}
		if effect == "allow" {
			if resource != "" && nr == rm {
				continue // resource not covered
			}
			key := pid + "\x00" + via
			g := a.byKey[key]
			if g == nil {
				g = &grant{policy: pname, kind: pkind, via: via, conditional: true}
				a.byKey[key] = g
				a.grants = append(a.grants, g)
			}
			g.conditional = g.conditional && cond
			if nr {
				g.resources = append(g.resources, "NotResource "+r[12])
			} else {
				g.resources = append(g.resources, r[12])
			}
			continue
		}
		covered := false
		if resource == "" {
			covered = !nr && star
		} else {
			covered = nr != rm
		}
		if !covered {
			continue
		}
		if cond {
			a.condDeny = append(a.condDeny, pname)
		} else {
			a.denied = true
		}
	}
	out := Rows{Columns: []string{"account_id", "account_name", "kind", "principal", "principal_arn", "policy", "policy_kind", "via", "resources", "conditional", "conditional_deny"}, Data: [][]string{}}
	info, err := db.principalInfo(ctx, order)
	if err != nil {
		return out, err
	}
	for _, arn := range order {
		a := byPrincipal[arn]
		if a.denied || len(a.grants) == 0 {
			continue
		}
		pi := info[arn]
		for _, g := range a.grants {
			condYN := "no"
			if g.conditional {
				condYN = "yes"
			}
			out.Data = append(out.Data, []string{pi[0], pi[1], pi[2], pi[3], arn, g.policy, g.kind, g.via,
				strings.Join(uniq(g.resources), ","), condYN, strings.Join(uniq(a.condDeny), ",")})
		}
	}
	sort.SliceStable(out.Data, func(i, j int) bool {
		a, b := out.Data[i], out.Data[j]
		for _, k := range []int{0, 2, 3, 4} {
			if a[k] != b[k] {
				return a[k] < b[k]
			}
		}
		return false
	})
	return out, nil
}

func uniq(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range s {
		for _, p := range strings.Split(v, ",") {
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	sort.Strings(out)
	return out
}

// principalInfo returns account id, account name, kind and name per ARN.
func (db *DB) principalInfo(ctx context.Context, arns []string) (map[string][4]string, error) {
	out := make(map[string][4]string, len(arns))
	const chunk = 500
	for i := 0; i < len(arns); i += chunk {
		part := arns[i:min(i+chunk, len(arns))]
		args := make([]any, len(part))
		for j, a := range part {
			args[j] = a
		}
		r, err := db.query(ctx, `SELECT p.arn, p.account_id, a.name, p.kind, p.name FROM principals p LEFT JOIN accounts a ON a.id = p.account_id
WHERE p.arn IN (`+strings.TrimSuffix(strings.Repeat("?,", len(part)), ",")+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("index %s: principals: %w", db.path, err)
		}
		for _, row := range r.Data {
			out[row[0]] = [4]string{row[1], row[2], row[3], row[4]}
		}
	}
	return out, nil
}

// SQL runs a read-only query. The index is opened read-only, so SQLite itself
// refuses any write.
func (db *DB) SQL(ctx context.Context, query string) (Rows, error) {
	if strings.TrimSpace(query) == "" {
		return Rows{}, errors.New("sql: empty query")
	}
	r, err := db.guardedQuery(ctx, query)
	if err != nil {
		msg := err.Error()
		if strings.Contains(msg, "readonly") || strings.Contains(msg, "read-only") || strings.Contains(msg, "query_only") {
			return Rows{}, fmt.Errorf("sql: the index is read-only, only queries are allowed: %w", err)
		}
		return Rows{}, fmt.Errorf("sql: %w", err)
	}
	return r, nil
}
