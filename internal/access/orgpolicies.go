package access

import (
	"context"
	"fmt"
	"strings"

	"github.com/orgiam/orgiam/internal/evaluate"
	"github.com/orgiam/orgiam/internal/snapshot"
)

// orgLevels are the SCP and RCP levels of every account of the run's
// organizations, from the stored chains (policy-chains.json) and policies
// (policies.json). Accounts share the compiled policies and the levels of
// the root and OUs: a level's evaluate.Level is built once per target.
type orgLevels struct {
	scps, rcps map[string][]evaluate.Level // account id → levels, root first
	// known are the organizations whose policies the run holds.
	known map[string]bool
	// names are the levels' names: OU paths ("Root/Workloads/Prod") and
	// account names, by target id.
	names map[string]string
}

// loadOrgPolicies reads every organization's stored policies and chains
// and compiles each policy once. A policy that does not compile is left
// out of its levels, with a warning. Runs without the files have no
// levels: their answers say SCPs and RCPs were not part of them.
func (o *Org) loadOrgPolicies(ctx context.Context, r snapshot.Reader, ids []string, ous map[string][]snapshot.OU) (*orgLevels, error) {
	ol := &orgLevels{scps: map[string][]evaluate.Level{}, rcps: map[string][]evaluate.Level{}, known: map[string]bool{}, names: map[string]string{}}
	for _, id := range ids {
		set, err := r.OrgPolicies(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("run %s: organization %s policies: %w", r.Run, id, err)
		}
		if !set.HasPolicies {
			continue
		}
		ol.known[id] = true
		for _, u := range ous[id] {
			ol.names[u.ID] = u.Path
		}
		compiled := make(map[string]*evaluate.Policy, len(set.Policies))
		for _, p := range set.Policies {
			name := p.Name + " (" + p.ID + ")"
			cp, err := evaluate.Compile(name, p.Content)
			if err != nil {
				o.Warnings = append(o.Warnings, fmt.Sprintf("organization %s: %s %s: %v (left out of evaluations)", id, typeName(p.Type), name, err))
				continue
			}
			compiled[p.ID] = cp
		}
		shared := map[string]evaluate.Level{} // type + target id → level (root and OUs)
		for _, c := range set.Chains {
			dst := ol.scps
			if c.Type == snapshot.PolicyTypeRCP {
				dst = ol.rcps
			} else if c.Type != snapshot.PolicyTypeSCP {
				continue
			}
			levels := make([]evaluate.Level, 0, len(c.Levels))
			for _, l := range c.Levels {
				key := c.Type + "\x00" + l.TargetID
				if lvl, ok := shared[key]; ok {
					levels = append(levels, lvl)
					continue
				}
				lvl := evaluate.Level{ID: l.TargetID, Policies: make([]*evaluate.Policy, 0, len(l.Policies))}
				for _, pid := range l.Policies {
					if cp := compiled[pid]; cp != nil {
						lvl.Policies = append(lvl.Policies, cp)
					} else if set.Policy(pid) == nil {
						o.Warnings = append(o.Warnings, fmt.Sprintf("organization %s: %s chain of account %s names policy %s, which policies.json does not hold", id, typeName(c.Type), c.AccountID, pid))
					}
				}
				if l.Type != "ACCOUNT" {
					shared[key] = lvl
				} else if l.Name != "" {
					ol.names[l.TargetID] = l.Name
				}
				levels = append(levels, lvl)
			}
			dst[c.AccountID] = levels
		}
	}
	return ol, nil
}

func typeName(t string) string {
	switch t {
	case snapshot.PolicyTypeSCP:
		return "SCP"
	case snapshot.PolicyTypeRCP:
		return "RCP"
	}
	return strings.ToLower(t)
}

// LevelName names an SCP or RCP level by its target id: an OU's path from
// the root, an account's name ("" when the run does not say).
func (o *Org) LevelName(targetID string) string {
	return o.levelNames[targetID]
}
