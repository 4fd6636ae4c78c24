package report

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/orgiam/orgiam/internal/iamarn"
	"github.com/orgiam/orgiam/internal/policy"
	"github.com/orgiam/orgiam/internal/snapshot"
)

// MFA kinds of a user.
const (
	MFANone     = "none"
	MFAVirtual  = "virtual"
	MFAHardware = "hardware"
)

// KeyInfo is one access key of a user, joined with its credential report
// slot (the slot whose last_rotated equals the key's CreateDate, to the second).
type KeyInfo struct {
	ID              string     `json:"id"`
	Status          string     `json:"status"`
	Active          bool       `json:"active"`
	Created         *time.Time `json:"created"`
	AgeDays         int        `json:"age_days"`
	LastUsed        *time.Time `json:"last_used"`
	LastUsedService string     `json:"last_used_service"`
	LastUsedRegion  string     `json:"last_used_region"`
}

// PolicyRef is a policy that reaches a user.
type PolicyRef struct {
	Name string `json:"name"`
	// ARN is empty for inline policies.
	ARN string `json:"arn,omitempty"`
	// Kind is inline, customer-managed or aws-managed.
	Kind string `json:"kind"`
	// Group names the group the policy comes through ("" = attached to the user).
	Group string `json:"group,omitempty"`
	Admin bool   `json:"admin"`
}

// Policy kinds.
const (
	KindInline          = "inline"
	KindCustomerManaged = "customer-managed"
	KindAWSManaged      = "aws-managed"
)

func (p PolicyRef) String() string {
	s := p.Name + " (" + p.Kind
	if p.Group != "" {
		s += " via group " + p.Group
	}
	return s + ")"
}

// UserRow is one IAM user of the organization.
type UserRow struct {
	AccountID   string     `json:"account_id"`
	AccountName string     `json:"account_name"`
	OUPath      string     `json:"ou_path"`
	UserName    string     `json:"user_name"`
	ARN         string     `json:"arn"`
	Created     *time.Time `json:"created"`
	// ConsoleAccess is whether the user has a console password (nil = unknown).
	ConsoleAccess    *bool       `json:"console_access"`
	PasswordLastUsed *time.Time  `json:"password_last_used"`
	MFA              string      `json:"mfa"` // none, virtual, hardware; "" = unknown
	AccessKeys       []KeyInfo   `json:"access_keys"`
	Groups           []string    `json:"groups"`
	Policies         []PolicyRef `json:"policies"`
	PermissionBound  string      `json:"permission_boundary"`
	Tags             []string    `json:"tags"` // key=value
	Admin            bool        `json:"admin"`
	// Stale is nil when last use is unknown (a source without usage data).
	Stale *bool `json:"stale"`
	// LastActivity is the latest password or key use.
	LastActivity *time.Time `json:"last_activity"`
}

// Users lists every IAM user of the run's accounts, sorted by account id
// then user name. The accounts are read one by one; only the rows are kept.
func Users(ctx context.Context, r snapshot.Reader, o Options) ([]UserRow, error) {
	o = o.withDefaults()
	rn, err := openRun(ctx, r)
	if err != nil {
		return nil, err
	}
	out := []UserRow{}
	err = rn.eachAccount(ctx, r, func(group []*acct) error {
		out = append(out, groupUsers(rn, group, o)...)
		return nil
	})
	return out, err
}

// groupUsers is the users rows of the list entries that share one account
// id, in the report's order.
func groupUsers(rn *run, group []*acct, o Options) []UserRow {
	var out []UserRow
	for _, a := range group {
		out = append(out, accountUsers(rn, a, o)...)
	}
	sortUsers(out)
	return out
}

func sortUsers(rows []UserRow) {
	sort.SliceStable(rows, func(i, j int) bool {
		if rows[i].AccountID != rows[j].AccountID {
			return rows[i].AccountID < rows[j].AccountID
		}
		return rows[i].UserName < rows[j].UserName
	})
}

func accountUsers(rn *run, a *acct, o Options) []UserRow {
	var out []UserRow
	for _, p := range a.principals() {
		u := p.user
		row := UserRow{
			AccountID:   a.account.ID,
			AccountName: a.name(),
			OUPath:      a.ouPath(),
			UserName:    u.UserName,
			ARN:         u.Arn,
			Created:     u.CreateDate,
			Groups:      append([]string{}, u.GroupList...),
			Tags:        tagStrings(u.Tags),
			AccessKeys:  joinKeys(u.AccessKeys, p.row, o.Now),
		}
		if u.PermissionsBoundary != nil {
			row.PermissionBound = u.PermissionsBoundary.PermissionsBoundaryArn
		}
		if p.row != nil {
			console := p.row.PasswordEnabled.Bool()
			row.ConsoleAccess = &console
			row.PasswordLastUsed = p.row.PasswordLastUsed
			row.MFA = mfaKind(a, u, p.row)
			row.LastActivity = p.row.LastActivity()
			stale := isStale(row.LastActivity, u.CreateDate, o)
			row.Stale = &stale
		}
		row.Policies = userPolicies(rn, a, u)
		for _, pr := range row.Policies {
			if pr.Admin {
				row.Admin = true
			}
		}
		out = append(out, row)
	}
	return out
}

// isStale: no use in StaleDays; a user created within StaleDays and never
// used is not stale.
func isStale(last, created *time.Time, o Options) bool {
	limit := time.Duration(o.StaleDays) * 24 * time.Hour
	if last != nil {
		return o.Now.Sub(*last) > limit
	}
	if created != nil {
		return o.Now.Sub(*created) > limit
	}
	return true
}

func mfaKind(a *acct, u snapshot.User, row *snapshot.CredentialReportRow) string {
	if !row.MFAActive {
		return MFANone
	}
	for _, d := range a.mfa {
		if d.User == nil {
			continue
		}
		if (u.Arn != "" && d.User.Arn == u.Arn) || (d.User.Arn == "" && d.User.UserName == u.UserName) {
			return MFAVirtual
		}
	}
	return MFAHardware
}

// joinKeys pairs users.json keys with their credential report slots.
func joinKeys(keys []snapshot.AccessKey, row *snapshot.CredentialReportRow, now time.Time) []KeyInfo {
	out := []KeyInfo{}
	taken := [2]bool{}
	for _, k := range keys {
		ki := KeyInfo{ID: k.AccessKeyID, Status: k.Status, Active: strings.EqualFold(k.Status, "Active"), Created: k.CreateDate}
		if k.CreateDate != nil {
			ki.AgeDays = days(now, *k.CreateDate)
		}
		if row != nil && k.CreateDate != nil {
			for i, slot := range row.AccessKeys {
				if taken[i] || slot.LastRotated == nil {
					continue
				}
				if slot.LastRotated.Truncate(time.Second).Equal(k.CreateDate.UTC().Truncate(time.Second)) {
					taken[i] = true
					ki.LastUsed = slot.LastUsedDate
					ki.LastUsedService = slot.LastUsedService
					ki.LastUsedRegion = slot.LastUsedRegion
					break
				}
			}
		}
		out = append(out, ki)
	}
	return out
}

func tagStrings(tags []snapshot.Tag) []string {
	out := []string{}
	for _, t := range tags {
		out = append(out, t.Key+"="+t.Value)
	}
	sort.Strings(out)
	return out
}

// userPolicies lists the policies reaching a user: its inline and attached
// policies, then each group's, naming the group.
func userPolicies(rn *run, a *acct, u snapshot.User) []PolicyRef {
	out := []PolicyRef{}
	add := func(group string, inline []snapshot.InlinePolicy, attached []snapshot.AttachedPolicy) {
		for _, p := range inline {
			out = append(out, PolicyRef{Name: p.PolicyName, Kind: KindInline, Group: group, Admin: docIsAdmin(p.PolicyDocument)})
		}
		for _, p := range attached {
			kind, admin := managedAdmin(rn, a, p)
			out = append(out, PolicyRef{Name: p.PolicyName, ARN: p.PolicyArn, Kind: kind, Group: group, Admin: admin})
		}
	}
	add("", u.UserPolicyList, u.AttachedManagedPolicies)
	groups := map[string]snapshot.Group{}
	for _, g := range a.groups {
		groups[g.GroupName] = g
	}
	for _, name := range u.GroupList {
		if g, ok := groups[name]; ok {
			add(name, g.GroupPolicyList, g.AttachedManagedPolicies)
		}
	}
	return out
}

func docIsAdmin(raw json.RawMessage) bool {
	doc, err := policy.Parse(raw)
	if err != nil {
		return false
	}
	return doc.IsAdmin()
}

// managedAdmin classifies an attached managed policy and says whether its
// default version grants full administrator access.
func managedAdmin(rn *run, a *acct, p snapshot.AttachedPolicy) (kind string, admin bool) {
	if iamarn.IsAWSManagedPolicy(p.PolicyArn) {
		if policy.AWSManagedAdminPolicies[p.PolicyName] {
			return KindAWSManaged, true
		}
		admin, ok := rn.awsAdmin[p.PolicyArn]
		if !ok {
			admin = rn.awsAdmin[p.PolicyName]
		}
		return KindAWSManaged, admin
	}
	for _, mp := range a.policies {
		if mp.Arn == p.PolicyArn {
			return KindCustomerManaged, docIsAdmin(mp.DefaultDocument())
		}
	}
	return KindCustomerManaged, false
}

// UserColumns are the users CSV columns. IAM allows at most two access keys
// per user, so keys are flattened into fixed key1_* and key2_* columns; lists
// are joined with "; ".
var UserColumns = []string{
	"account_id", "account_name", "ou_path", "user_name", "arn", "created",
	"console_access", "password_last_used", "mfa",
	"key1_id", "key1_status", "key1_age_days", "key1_last_used", "key1_last_used_service",
	"key2_id", "key2_status", "key2_age_days", "key2_last_used", "key2_last_used_service",
	"groups", "policies", "permission_boundary", "tags", "admin", "stale", "last_activity",
}

func optBool(b *bool) string {
	if b == nil {
		return ""
	}
	return strconv.FormatBool(*b)
}

// Cells flattens a row into UserColumns' order.
func (u UserRow) Cells() []string {
	c := []string{
		u.AccountID, u.AccountName, u.OUPath, u.UserName, u.ARN, fmtTime(u.Created),
		optBool(u.ConsoleAccess), fmtTime(u.PasswordLastUsed), u.MFA,
	}
	for i := 0; i < 2; i++ {
		if i < len(u.AccessKeys) {
			k := u.AccessKeys[i]
			age := ""
			if k.Created != nil {
				age = strconv.Itoa(k.AgeDays)
			}
			c = append(c, k.ID, k.Status, age, fmtTime(k.LastUsed), k.LastUsedService)
		} else {
			c = append(c, "", "", "", "", "")
		}
	}
	pols := make([]string, len(u.Policies))
	for i, p := range u.Policies {
		pols[i] = p.String()
	}
	c = append(c, strings.Join(u.Groups, "; "), strings.Join(pols, "; "), u.PermissionBound,
		strings.Join(u.Tags, "; "), strconv.FormatBool(u.Admin), optBool(u.Stale), fmtTime(u.LastActivity))
	if len(u.AccessKeys) > 2 {
		// Never produced by IAM; keep the extra keys visible rather than drop them.
		extra := make([]string, 0, len(u.AccessKeys)-2)
		for _, k := range u.AccessKeys[2:] {
			extra = append(extra, fmt.Sprintf("%s(%s)", k.ID, k.Status))
		}
		c[UserColIndex("key2_id")] += "; " + strings.Join(extra, "; ")
	}
	return c
}

// UserColIndex returns the index of a users column (-1 if unknown).
func UserColIndex(name string) int {
	for i, c := range UserColumns {
		if c == name {
			return i
		}
	}
	return -1
}
