package fakeaws

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/time/rate"

	"github.com/orgiam/orgiam/internal/snapshot"
)

// ConfigItem is the JSON of one AWS::IAM::User configuration item as
// SelectAggregateResourceConfig returns it.
func (w *World) ConfigItem(d *AccountData, u *User, region string) string {
	type cfg struct {
		Path                    string              `json:"path"`
		UserName                string              `json:"userName"`
		UserId                  string              `json:"userId"`
		Arn                     string              `json:"arn"`
		CreateDate              string              `json:"createDate"`
		UserPolicyList          []map[string]string `json:"userPolicyList"`
		GroupList               []string            `json:"groupList"`
		AttachedManagedPolicies []map[string]string `json:"attachedManagedPolicies"`
		PermissionsBoundary     *snapshot.Boundary  `json:"permissionsBoundary"`
		Tags                    []map[string]string `json:"tags"`
	}
	c := cfg{Path: u.Path, UserName: u.UserName, UserId: u.UserID, Arn: u.Arn, CreateDate: u.CreateDate.Format("2006-01-02T15:04:05.000Z"),
		UserPolicyList: []map[string]string{}, GroupList: u.GroupList, AttachedManagedPolicies: []map[string]string{}, PermissionsBoundary: u.PermissionsBoundary, Tags: []map[string]string{}}
	for _, p := range u.UserPolicyList {
		c.UserPolicyList = append(c.UserPolicyList, map[string]string{"policyName": p.PolicyName, "policyDocument": urlEncodeDoc(p.PolicyDocument)})
	}
	for _, p := range u.AttachedManagedPolicies {
		c.AttachedManagedPolicies = append(c.AttachedManagedPolicies, map[string]string{"policyName": p.PolicyName, "policyArn": p.PolicyArn})
	}
	for _, t := range u.Tags {
		c.Tags = append(c.Tags, map[string]string{"key": t.Key, "value": t.Value})
	}
	b, _ := json.Marshal(map[string]any{"accountId": d.Meta.ID, "awsRegion": "global", "resourceId": u.UserID, "resourceName": u.UserName,
		"resourceType": "AWS::IAM::User", "arn": u.Arn, "configuration": c})
	return string(b)
}

// configLimiterKey keys the Config limiter in the per-origin limiter map
// (no account id looks like it).
const configLimiterKey = "\x00config"

// configAllowed applies Knobs.ConfigRate to every Config call.
func (s *Server) configAllowed(k Knobs) bool {
	if k.ConfigRate <= 0 {
		return true
	}
	s.kmu.Lock()
	l := s.limiters[configLimiterKey]
	if l == nil {
		l = rate.NewLimiter(rate.Limit(k.ConfigRate), max(k.ConfigBurst, 1))
		s.limiters[configLimiterKey] = l
	}
	s.kmu.Unlock()
	return l.Allow()
}

// aggregatorKnown reports whether name is an aggregator in the call's region.
func (s *Server) aggregatorKnown(c *call, name string) bool {
	o := s.w.opts
	if o.ConfigAggregatorRegion != "" && c.region != o.ConfigAggregatorRegion {
		return false
	}
	return name != "" && (name == o.ConfigAggregator || name == o.ConfigAccountAggregator)
}

func (s *Server) serveConfig(c *call) {
	if !s.configAllowed(s.Knobs()) {
		s.smu.Lock()
		s.stats.Throttles++
		s.smu.Unlock()
		c.fail(400, "ThrottlingException", "Rate exceeded")
		return
	}
	if c.op != "SelectAggregateResourceConfig" && c.op != "DescribeConfigurationAggregators" {
		c.fail(400, "UnknownOperationException", "fakeaws does not emulate config:"+c.op)
		return
	}
	var req jsonReq
	if err := json.Unmarshal(c.body, &req); err != nil {
		c.fail(400, "SerializationException", err.Error())
		return
	}
	if c.op == "DescribeConfigurationAggregators" {
		s.describeAggregators(c, req)
		return
	}
	agg := req.str("ConfigurationAggregatorName")
	if !s.aggregatorKnown(c, agg) {
		c.fail(400, "NoSuchConfigurationAggregatorException", fmt.Sprintf("The configuration aggregator %s does not exist.", agg))
		return
	}
	if agg == s.w.opts.ConfigAccountAggregator {
		// It aggregates accounts the world does not hold: nothing recorded.
		c.writeJSON(map[string]any{"Results": []string{}, "QueryInfo": map[string]any{"SelectFields": []any{}}})
		return
	}
	expr := req.str("Expression")
	limit := req.num("Limit")
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	// NextToken is "<account index>.<user index>".
	ai, ui := 0, 0
	if t := req.str("NextToken"); t != "" {
		a, u, ok := strings.Cut(t, ".")
		var e1, e2 error
		ai, e1 = strconv.Atoi(a)
		ui, e2 = strconv.Atoi(u)
		if !ok || e1 != nil || e2 != nil {
			c.fail(400, "InvalidNextTokenException", "The nextToken provided is invalid")
			return
		}
	}
	results := []string{}
	next := ""
	if strings.Contains(expr, "AWS::IAM::User") {
		accts := s.w.accounts
		for ; ai < len(accts) && next == ""; ai, ui = ai+1, 0 {
			if accts[ai].Status != "ACTIVE" {
				continue
			}
			d := s.w.Account(accts[ai].ID)
			for ; ui < len(d.Users); ui++ {
				if len(results) == limit {
					next = fmt.Sprintf("%d.%d", ai, ui)
					break
				}
				results = append(results, s.w.ConfigItem(d, d.Users[ui], c.region))
			}
		}
	}
	out := map[string]any{"Results": results, "QueryInfo": map[string]any{"SelectFields": []any{map[string]string{"Name": "*"}}}}
	if next != "" {
		out["NextToken"] = next
	}
	c.writeJSON(out)
}

// describeAggregators answers DescribeConfigurationAggregators: the
// organization aggregator (and the account aggregator, when configured).
func (s *Server) describeAggregators(c *call, req jsonReq) {
	o := s.w.opts
	var names []string
	if l, ok := req["ConfigurationAggregatorNames"].([]any); ok {
		for _, v := range l {
			n, _ := v.(string)
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		names = []string{o.ConfigAggregator}
		if o.ConfigAccountAggregator != "" {
			names = append(names, o.ConfigAccountAggregator)
		}
	}
	mgmt := ""
	if len(s.w.orgs) > 0 {
		mgmt = s.w.orgs[0].ManagementAccountID
	}
	out := []map[string]any{}
	for _, n := range names {
		if !s.aggregatorKnown(c, n) {
			c.fail(400, "NoSuchConfigurationAggregatorException", "The configuration aggregator does not exist. Check the configuration aggregator name and try again.")
			return
		}
		a := map[string]any{
			"ConfigurationAggregatorName": n,
			"ConfigurationAggregatorArn":  fmt.Sprintf("arn:%s:config:%s:%s:config-aggregator/config-aggregator-%08x", o.Partition, c.region, mgmt, hash64("aggregator", n)%(1<<32)),
			"CreationTime":                float64(o.Now.Unix()),
		}
		if n == o.ConfigAccountAggregator {
			a["AccountAggregationSources"] = []any{map[string]any{"AccountIds": []string{mgmt}, "AllAwsRegions": true}}
		} else {
			a["OrganizationAggregationSource"] = map[string]any{"RoleArn": fmt.Sprintf("arn:%s:iam::%s:role/orgiam-config-aggregator", o.Partition, mgmt), "AllAwsRegions": true}
		}
		out = append(out, a)
	}
	c.writeJSON(map[string]any{"ConfigurationAggregators": out})
}
