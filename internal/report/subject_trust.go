package report

import (
	"encoding/json"
	"sort"
	"strings"

	"github.com/orgiam/orgiam/internal/iamarn"
	"github.com/orgiam/orgiam/internal/policy"
	"github.com/orgiam/orgiam/internal/snapshot"
	"github.com/orgiam/orgiam/internal/store"
)

// trustStmt is one Allow statement of a role's trust policy.
type trustStmt struct {
	index int
	st    policy.Statement
	// conds maps each condition key (lower-case) to its values under every
	// operator; ops to the operators that test it.
	conds map[string][]string
	ops   map[string][]string
}

// roleTrust is a role with the Allow statements of its trust policy.
type roleTrust struct {
	role  *snapshot.Role
	stmts []trustStmt
	// err is set when the trust policy could not be parsed (the trust
	// checks pass over the role).
	err error
}

// roleTrusts parses the account's trust policies, once per account.
func (s *subject) roleTrusts() []roleTrust {
	if s.trDone {
		return s.trusts
	}
	s.trDone = true
	for i := range s.a.roles {
		r := &s.a.roles[i]
		rt := roleTrust{role: r}
		doc, err := policy.Parse(r.AssumeRolePolicyDocument)
		if err != nil {
			rt.err = err
			s.trusts = append(s.trusts, rt)
			continue
		}
		for j, st := range doc.Statement {
			if !st.Allow() {
				continue
			}
			ts := trustStmt{index: j, st: st, conds: map[string][]string{}, ops: map[string][]string{}}
			var block map[string]map[string]json.RawMessage
			if st.HasCondition() && json.Unmarshal(st.Condition, &block) == nil {
				for op, keys := range block {
					for k, raw := range keys {
						lk := strings.ToLower(k)
						ts.conds[lk] = append(ts.conds[lk], condValues(raw)...)
						ts.ops[lk] = append(ts.ops[lk], op)
					}
				}
			}
			rt.stmts = append(rt.stmts, ts)
		}
		s.trusts = append(s.trusts, rt)
	}
	return s.trusts
}

// condValues reads a condition's value (policy.ConditionValues). A value
// IAM's grammar refuses (null, an object) narrows nothing: the key is seen
// with no values, so a check asking for one finds none.
func condValues(raw json.RawMessage) []string {
	vals, err := policy.ConditionValues(raw)
	if err != nil {
		return nil
	}
	return vals
}

// assumes: the statement allows one of the actions (sts:AssumeRole,
// sts:AssumeRoleWithWebIdentity, …).
func (t trustStmt) assumes(actions ...string) bool {
	for _, a := range actions {
		if t.st.CoversAction(a) {
			return true
		}
	}
	return false
}

// principals are the statement's values of one principal type (AWS,
// Service, Federated); "*" for "Principal": "*".
func (t trustStmt) principals(typ string) []string {
	p := t.st.Principal
	if p == nil {
		return nil
	}
	if p.Wildcard {
		return []string{"*"}
	}
	for k, v := range p.Values {
		if strings.EqualFold(k, typ) {
			return v
		}
	}
	return nil
}

// hasKey: the statement has a condition on one of the keys (lower-case).
func (t trustStmt) hasKey(keys ...string) bool {
	for _, k := range keys {
		if len(t.ops[k]) > 0 {
			return true
		}
	}
	return false
}

// condKeys lists the statement's condition keys, sorted, for evidence.
func (t trustStmt) condKeys() string {
	if len(t.conds) == 0 {
		return "no condition"
	}
	keys := make([]string, 0, len(t.conds))
	for k := range t.ops {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return "conditions on " + strings.Join(keys, ", ")
}

// principalAccount is the account of an AWS principal value (an account
// id, a root, user or role ARN), "" for "*" and values it cannot read.
func principalAccount(v string) string {
	if store.ValidAccountID(v) {
		return v
	}
	return iamarn.Account(v)
}

// orgAccounts is the set of the run's account ids (nil when the run is not
// known: a single check's test).
func (s *subject) orgAccounts() map[string]bool {
	if s.a.rn == nil {
		return nil
	}
	if s.a.rn.accountSet == nil {
		s.a.rn.accountSet = map[string]bool{}
		for _, a := range s.a.rn.list {
			s.a.rn.accountSet[a.ID] = true
		}
		for _, a := range s.a.rn.skipped {
			s.a.rn.accountSet[a.ID] = true
		}
	}
	return s.a.rn.accountSet
}
