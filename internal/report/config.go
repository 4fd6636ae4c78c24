package report

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/configservice"

	"github.com/orgiam/orgiam/internal/iamarn"
	"github.com/orgiam/orgiam/internal/policy"
	"github.com/orgiam/orgiam/internal/snapshot"
)

// configUserQuery selects every IAM user an AWS Config aggregator recorded.
const configUserQuery = "SELECT accountId, resourceName, arn, configuration WHERE resourceType = 'AWS::IAM::User'"

// ConfigNotes explain what a users report built from AWS Config lacks.
var ConfigNotes = []string{
	"Source: AWS Config aggregator (the recorded configuration of AWS::IAM::User), not an orgiam snapshot.",
	"AWS Config does not record access keys, MFA, console passwords or last use: those columns and the stale flag are empty.",
	"Account names and OU paths are not in AWS Config: those columns are empty.",
	"The administrator flag considers only the user's own inline policies and the AWS managed AdministratorAccess attached to the user; group policies and customer managed policy documents are not in the user's configuration item.",
}

// ConfigUnavailableColumns are the users-report columns an AWS Config
// aggregator cannot fill (always empty in a report built from one); the
// snapshot-based report, which reads each account with a role, fills them.
var ConfigUnavailableColumns = []string{
	"account_name", "ou_path", "console_access", "password_last_used", "mfa",
	"key1_id", "key1_status", "key1_age_days", "key1_last_used", "key1_last_used_service",
	"key2_id", "key2_status", "key2_age_days", "key2_last_used", "key2_last_used_service",
	"stale", "last_activity",
}

// configItem is one SelectAggregateResourceConfig result.
type configItem struct {
	AccountID     string          `json:"accountId"`
	ResourceName  string          `json:"resourceName"`
	Arn           string          `json:"arn"`
	Configuration json.RawMessage `json:"configuration"`
}

type configUser struct {
	UserName                string          `json:"userName"`
	UserID                  string          `json:"userId"`
	Path                    string          `json:"path"`
	Arn                     string          `json:"arn"`
	CreateDate              json.RawMessage `json:"createDate"`
	GroupList               []string        `json:"groupList"`
	AttachedManagedPolicies []struct {
		PolicyName string `json:"policyName"`
		PolicyArn  string `json:"policyArn"`
	} `json:"attachedManagedPolicies"`
	UserPolicyList []struct {
		PolicyName     string `json:"policyName"`
		PolicyDocument string `json:"policyDocument"`
	} `json:"userPolicyList"`
	PermissionsBoundary *struct {
		PermissionsBoundaryArn string `json:"permissionsBoundaryArn"`
	} `json:"permissionsBoundary"`
	Tags []struct {
		Key   string `json:"key"`
		Value string `json:"value"`
	} `json:"tags"`
}

// UsersFromConfigAggregator lists IAM users from an AWS Config aggregator
// (configservice:SelectAggregateResourceConfig, every page). The notes say
// which columns Config cannot fill; callers show them above the table (or on
// stderr for CSV).
func UsersFromConfigAggregator(ctx context.Context, cfg aws.Config, aggregator string, o Options) ([]UserRow, []string, error) {
	o = o.withDefaults()
	if aggregator == "" {
		return nil, nil, fmt.Errorf("config:SelectAggregateResourceConfig: no aggregator name given")
	}
	client := configservice.NewFromConfig(cfg)
	p := configservice.NewSelectAggregateResourceConfigPaginator(client, &configservice.SelectAggregateResourceConfigInput{
		ConfigurationAggregatorName: aws.String(aggregator),
		Expression:                  aws.String(configUserQuery),
	})
	rows := []UserRow{}
	seen := map[string]bool{}
	page := 0
	for p.HasMorePages() {
		page++
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("aggregator %s: config:SelectAggregateResourceConfig (page %d): %w", aggregator, page, err)
		}
		for i, res := range out.Results {
			row, err := parseConfigUser(res, o)
			if err != nil {
				return nil, nil, fmt.Errorf("aggregator %s: config:SelectAggregateResourceConfig page %d result %d: %w", aggregator, page, i+1, err)
			}
			// A global resource may be recorded in several regions.
			if k := row.AccountID + "|" + row.ARN; !seen[k] {
				seen[k] = true
				rows = append(rows, row)
			}
		}
	}
	sortUsers(rows)
	return rows, append([]string{}, ConfigNotes...), nil
}

func parseConfigUser(res string, o Options) (UserRow, error) {
	var it configItem
	if err := json.Unmarshal([]byte(res), &it); err != nil {
		return UserRow{}, fmt.Errorf("configuration item: %w", err)
	}
	conf := bytes.TrimSpace(it.Configuration)
	if len(conf) > 0 && conf[0] == '"' {
		var s string
		if err := json.Unmarshal(conf, &s); err != nil {
			return UserRow{}, fmt.Errorf("configuration item %s: configuration: %w", it.Arn, err)
		}
		conf = []byte(s)
	}
	var cu configUser
	if len(conf) > 0 && !bytes.Equal(conf, []byte("null")) {
		if err := json.Unmarshal(conf, &cu); err != nil {
			return UserRow{}, fmt.Errorf("configuration item %s: configuration: %w", it.Arn, err)
		}
	}
	row := UserRow{
		AccountID:  it.AccountID,
		UserName:   cu.UserName,
		ARN:        it.Arn,
		Groups:     append([]string{}, cu.GroupList...),
		AccessKeys: []KeyInfo{},
		Policies:   []PolicyRef{},
		Tags:       []string{},
	}
	if row.UserName == "" {
		row.UserName = it.ResourceName
	}
	if row.ARN == "" {
		row.ARN = cu.Arn
	}
	created, err := configTime(cu.CreateDate)
	if err != nil {
		return UserRow{}, fmt.Errorf("configuration item %s: createDate: %w", it.Arn, err)
	}
	row.Created = created
	for _, p := range cu.UserPolicyList {
		doc, err := url.QueryUnescape(p.PolicyDocument)
		if err != nil {
			return UserRow{}, fmt.Errorf("configuration item %s: inline policy %s: policyDocument is not URL-encoded: %w", it.Arn, p.PolicyName, err)
		}
		admin := false
		if d, err := policy.Parse([]byte(doc)); err == nil {
			admin = d.IsAdmin()
		}
		row.Policies = append(row.Policies, PolicyRef{Name: p.PolicyName, Kind: KindInline, Admin: admin})
	}
	for _, p := range cu.AttachedManagedPolicies {
		ref := PolicyRef{Name: p.PolicyName, ARN: p.PolicyArn, Kind: KindCustomerManaged}
		if iamarn.IsAWSManagedPolicy(p.PolicyArn) {
			ref.Kind = KindAWSManaged
			ref.Admin = policy.AWSManagedAdminPolicies[p.PolicyName]
		}
		row.Policies = append(row.Policies, ref)
	}
	for _, pr := range row.Policies {
		row.Admin = row.Admin || pr.Admin
	}
	if cu.PermissionsBoundary != nil {
		row.PermissionBound = cu.PermissionsBoundary.PermissionsBoundaryArn
	}
	tags := make([]snapshot.Tag, 0, len(cu.Tags))
	for _, t := range cu.Tags {
		tags = append(tags, snapshot.Tag{Key: t.Key, Value: t.Value})
	}
	row.Tags = tagStrings(tags)
	return row, nil
}

// configTime reads a Config timestamp: an ISO 8601 string or epoch milliseconds.
func configTime(raw json.RawMessage) (*time.Time, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, nil
	}
	if raw[0] != '"' {
		ms, err := strconv.ParseFloat(string(raw), 64)
		if err != nil {
			return nil, fmt.Errorf("%s is neither a time string nor epoch milliseconds", raw)
		}
		t := time.UnixMilli(int64(ms)).UTC()
		return &t, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, err
	}
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.000Z0700", "Jan 2, 2006 3:04:05 PM"} {
		if t, err := time.Parse(layout, s); err == nil {
			u := t.UTC()
			return &u, nil
		}
	}
	return nil, fmt.Errorf("time %q is not ISO 8601", s)
}
