package snapshot

import "encoding/json"

// Organization policy types, as Organizations names them.
const (
	PolicyTypeSCP = "SERVICE_CONTROL_POLICY"
	PolicyTypeRCP = "RESOURCE_CONTROL_POLICY"
)

// OrgPolicy is one SCP or RCP of an organization with where it is attached;
// organizations/<org-id>/policies.json is an OrgList of them. Field names
// are Organizations' (PolicySummary, and DescribePolicy's Content decoded),
// then orgiam's targets (camelCase) gathered from ListTargetsForPolicy.
type OrgPolicy struct {
	ID          string `json:"Id"`
	Arn         string `json:"Arn,omitempty"`
	Name        string `json:"Name"`
	Description string `json:"Description,omitempty"`
	Type        string `json:"Type"` // SERVICE_CONTROL_POLICY or RESOURCE_CONTROL_POLICY
	AwsManaged  bool   `json:"AwsManaged"`
	// Content is the policy document as a JSON object.
	Content json.RawMessage `json:"Content"`
	Targets []PolicyTarget  `json:"targets,case:ignore"`
}

// PolicyTarget is organizations:ListTargetsForPolicy's shape.
type PolicyTarget struct {
	TargetID string `json:"TargetId"`
	Arn      string `json:"Arn,omitempty"`
	Name     string `json:"Name,omitempty"`
	Type     string `json:"Type"` // ROOT, ORGANIZATIONAL_UNIT, ACCOUNT
}

// DelegatedAdministrator is organizations:ListDelegatedAdministrators'
// shape plus the services delegated to the account (orgiam's field, from
// ListDelegatedServicesForAccount); organizations/<org-id>/
// delegated-administrators.json is an OrgList of them.
type DelegatedAdministrator struct {
	ID                string   `json:"Id"`
	Arn               string   `json:"Arn,omitempty"`
	Name              string   `json:"Name,omitempty"`
	Email             string   `json:"Email,omitempty"`
	Status            string   `json:"Status,omitempty"`
	ServicePrincipals []string `json:"servicePrincipals,case:ignore"`
}

// PolicyLevel is one level of an account's place in its organization, from
// the root down to the account itself, with the policies attached there.
// An action is allowed by SCPs only if every level allows it.
type PolicyLevel struct {
	TargetID string   `json:"targetId"` // r-…, ou-…, or the account id
	Type     string   `json:"type"`     // ROOT, ORGANIZATIONAL_UNIT, ACCOUNT
	Name     string   `json:"name,omitempty"`
	Policies []string `json:"policies"` // OrgPolicy ids attached at this level
}

// PolicyChain is the effective chain of one account for one policy type:
// organizations/<org-id>/policy-chains.json is an OrgList of them (SCPs and
// RCPs of every account of the organization).
type PolicyChain struct {
	AccountID string        `json:"accountId"`
	Type      string        `json:"type"` // SERVICE_CONTROL_POLICY or RESOURCE_CONTROL_POLICY
	Levels    []PolicyLevel `json:"levels"`
}

// PolicyTypeSummary is a root's policy type and its status (ENABLED,
// PENDING_ENABLE, PENDING_DISABLE), as organizations:ListRoots gives it.
type PolicyTypeSummary struct {
	Type   string `json:"Type"`
	Status string `json:"Status"`
}

// PolicyTypeEnabled tells whether a policy type is in force on the root of
// ous (ous.json of one organization): ENABLED, or PENDING_DISABLE (still
// enforced until disabled). A type the root does not list is disabled: none
// of its policies apply.
func PolicyTypeEnabled(ous []OU, typ string) bool {
	for _, u := range ous {
		if u.Type != "ROOT" {
			continue
		}
		for _, t := range u.PolicyTypes {
			if t.Type == typ && (t.Status == "ENABLED" || t.Status == "PENDING_DISABLE") {
				return true
			}
		}
	}
	return false
}
