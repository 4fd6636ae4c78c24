package deploy

import (
	"os"
	"slices"
	"testing"

	"gopkg.in/yaml.v3"
)

// mapGet is the value of key in a YAML mapping node (nil when absent).
func mapGet(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// scalars are every scalar under n, with its tag ("!Ref", "!Sub", or the
// plain "!!str").
func scalars(n *yaml.Node, out *[][2]string) {
	if n == nil {
		return
	}
	if n.Kind == yaml.ScalarNode {
		*out = append(*out, [2]string{n.Tag, n.Value})
	}
	for _, c := range n.Content {
		scalars(c, out)
	}
}

// TestExecRolesTemplate checks the exec roles' template: a read-only role
// always, an admin role only with its own principals, both trusting only
// the given operators with sts:AssumeRole, each with one AWS managed policy
// and no inline grant, under the names the README's examples use.
func TestExecRolesTemplate(t *testing.T) {
	b, err := os.ReadFile("cloudformation/exec-roles.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	root := doc.Content[0]
	params := mapGet(root, "Parameters")
	for name, def := range map[string]string{"ReadOnlyRoleName": "orgiam-exec-readonly", "AdminRoleName": "orgiam-exec-admin", "ReadOnlyManagedPolicy": "ReadOnlyAccess", "AdminPrincipalArns": ""} {
		if d := mapGet(mapGet(params, name), "Default"); d == nil || d.Value != def {
			t.Errorf("parameter %s: default %v, want %q", name, d, def)
		}
	}
	res := mapGet(root, "Resources")
	if n := len(res.Content) / 2; n != 2 {
		t.Fatalf("%d resources, want the two roles", n)
	}
	for _, tc := range []struct {
		resource, name, principals, policy, condition string
	}{
		{"ExecReadOnlyRole", "ReadOnlyRoleName", "OperatorPrincipalArns", "arn:${AWS::Partition}:iam::aws:policy/${ReadOnlyManagedPolicy}", ""},
		{"ExecAdminRole", "AdminRoleName", "AdminPrincipalArns", "arn:${AWS::Partition}:iam::aws:policy/AdministratorAccess", "HasAdmin"},
	} {
		t.Run(tc.resource, func(t *testing.T) {
			r := mapGet(res, tc.resource)
			if mapGet(r, "Type").Value != "AWS::IAM::Role" {
				t.Fatalf("%s is not an AWS::IAM::Role", tc.resource)
			}
			if c := mapGet(r, "Condition"); (c == nil && tc.condition != "") || (c != nil && c.Value != tc.condition) {
				t.Errorf("condition %v, want %q", c, tc.condition)
			}
			props := mapGet(r, "Properties")
			if n := mapGet(props, "RoleName"); n.Tag != "!Ref" || n.Value != tc.name {
				t.Errorf("RoleName %s %s, want !Ref %s", n.Tag, n.Value, tc.name)
			}
			if mapGet(props, "Policies") != nil {
				t.Error("an inline policy: the role's grants are its one managed policy")
			}
			var managed [][2]string
			scalars(mapGet(props, "ManagedPolicyArns"), &managed)
			if len(managed) != 1 || managed[0] != [2]string{"!Sub", tc.policy} {
				t.Errorf("ManagedPolicyArns %v, want [!Sub %s]", managed, tc.policy)
			}
			trust := mapGet(props, "AssumeRolePolicyDocument")
			var all [][2]string
			scalars(trust, &all)
			var actions, refs []string
			for i, s := range all {
				if s[1] == "Action" && i+1 < len(all) {
					actions = append(actions, all[i+1][1])
				}
				if s[0] == "!Ref" {
					refs = append(refs, s[1])
				}
			}
			if len(actions) != 2 || actions[0] != "sts:AssumeRole" || actions[1] != "sts:AssumeRole" {
				t.Errorf("trust actions %v, want sts:AssumeRole in both branches", actions)
			}
			if !slices.Contains(refs, tc.principals) || !slices.Contains(refs, "ExternalId") {
				t.Errorf("the trust refers to %v: want %s and ExternalId", refs, tc.principals)
			}
			other := "AdminPrincipalArns"
			if tc.principals == other {
				other = "OperatorPrincipalArns"
			}
			if slices.Contains(refs, other) {
				t.Errorf("the trust of %s names %s too", tc.resource, other)
			}
		})
	}
}
