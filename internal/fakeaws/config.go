package fakeaws

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

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
	c := cfg{Path: u.Path, UserName: u.UserName, UserId: u.UserId, Arn: u.Arn, CreateDate: u.CreateDate.Format("2006-01-02T15:04:05.000Z"),
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
	b, _ := json.Marshal(map[string]any{"accountId": d.Meta.ID, "awsRegion": "global", "resourceId": u.UserId, "resourceName": u.UserName,
		"resourceType": "AWS::IAM::User", "arn": u.Arn, "configuration": c})
	return string(b)
}

func (s *Server) serveConfig(c *call) {
	if c.op != "SelectAggregateResourceConfig" {
		c.fail(400, "UnknownOperationException", "fakeaws does not emulate config:"+c.op)
		return
	}
	var req jsonReq
	if err := json.Unmarshal(c.body, &req); err != nil {
		c.fail(400, "SerializationException", err.Error())
		return
	}
	agg := req.str("ConfigurationAggregatorName")
	if agg != s.w.opts.ConfigAggregator {
		c.fail(400, "NoSuchConfigurationAggregatorException", fmt.Sprintf("The configuration aggregator %s does not exist.", agg))
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
