package report

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// configItemJSON renders one configuration item the way
// SelectAggregateResourceConfig returns it (a JSON string per result).
func configItemJSON(t *testing.T, account, name string, conf map[string]any) string {
	t.Helper()
	b, err := json.Marshal(map[string]any{
		"accountId":     account,
		"resourceName":  name,
		"arn":           "arn:aws:iam::" + account + ":user/" + name,
		"configuration": conf,
	})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestUsersFromConfigAggregator(t *testing.T) {
	adminDoc := url.QueryEscape(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)
	page1 := []string{
		configItemJSON(t, "222222222222", "zed", map[string]any{
			"userName": "zed", "userId": "AIDAZED", "path": "/", "createDate": "2025-02-03T04:05:06.000Z",
			"groupList":               []string{"ops"},
			"attachedManagedPolicies": []map[string]string{{"policyName": "ReadOnlyAccess", "policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}},
			"userPolicyList":          []map[string]string{{"policyName": "everything", "policyDocument": adminDoc}},
			"permissionsBoundary":     map[string]string{"permissionsBoundaryType": "PermissionsBoundaryPolicy", "permissionsBoundaryArn": "arn:aws:iam::222222222222:policy/B"},
			"tags":                    []map[string]string{{"key": "team", "value": "ops"}},
		}),
	}
	page2 := []string{
		configItemJSON(t, "111111111111", "amy", map[string]any{
			"userName": "amy", "createDate": "2024-01-01T00:00:00Z",
			"attachedManagedPolicies": []map[string]string{{"policyName": "AdministratorAccess", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}},
		}),
		// The same user recorded in a second region is listed once.
		configItemJSON(t, "111111111111", "amy", map[string]any{"userName": "amy"}),
	}
	var mu sync.Mutex
	var calls []map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if got := r.Header.Get("X-Amz-Target"); got != "StarlingDoveService.SelectAggregateResourceConfig" {
			http.Error(w, "unexpected target "+got, http.StatusBadRequest)
			return
		}
		body, _ := io.ReadAll(r.Body)
		var in map[string]any
		if err := json.Unmarshal(body, &in); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		calls = append(calls, in)
		mu.Unlock()
		out := map[string]any{"Results": page1, "NextToken": "tok-2"}
		if in["NextToken"] == "tok-2" {
			out = map[string]any{"Results": page2}
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		_ = json.NewEncoder(w).Encode(out)
	}))
	defer srv.Close()

	cfg := aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		BaseEndpoint:     aws.String(srv.URL),
		RetryMaxAttempts: 1,
	}
	rows, notes, err := UsersFromConfigAggregator(context.Background(), cfg, "org-agg", fixtureOptions())
	if err != nil {
		t.Fatal(err)
	}
	if len(calls) != 2 {
		t.Fatalf("%d calls, want 2 (two pages)", len(calls))
	}
	for _, c := range calls {
		if c["ConfigurationAggregatorName"] != "org-agg" || !strings.Contains(c["Expression"].(string), "resourceType = 'AWS::IAM::User'") {
			t.Errorf("request = %v", c)
		}
	}
	if len(rows) != 2 || rows[0].UserName != "amy" || rows[1].UserName != "zed" {
		t.Fatalf("rows = %+v, want amy then zed", rows)
	}
	amy, zed := rows[0], rows[1]
	if !amy.Admin || amy.AccountID != "111111111111" || fmtTime(amy.Created) != "2024-01-01T00:00:00Z" {
		t.Errorf("amy = %+v", amy)
	}
	if !zed.Admin || len(zed.Policies) != 2 || !zed.Policies[0].Admin || zed.Policies[0].Kind != KindInline {
		t.Errorf("zed's URL-encoded inline admin policy not recognised: %+v", zed.Policies)
	}
	if zed.PermissionBound != "arn:aws:iam::222222222222:policy/B" || strings.Join(zed.Tags, ",") != "team=ops" || strings.Join(zed.Groups, ",") != "ops" {
		t.Errorf("zed = %+v", zed)
	}
	if fmtTime(zed.Created) != "2025-02-03T04:05:06Z" {
		t.Errorf("zed created = %s", fmtTime(zed.Created))
	}
	// Columns Config does not record stay empty.
	if zed.ConsoleAccess != nil || zed.MFA != "" || len(zed.AccessKeys) != 0 || zed.Stale != nil || zed.PasswordLastUsed != nil {
		t.Errorf("zed has values Config cannot know: %+v", zed)
	}
	cells := zed.Cells()
	for _, col := range []string{"console_access", "mfa", "key1_id", "stale", "password_last_used"} {
		if v := cells[UserColIndex(col)]; v != "" {
			t.Errorf("CSV column %s = %q, want empty", col, v)
		}
	}
	if len(notes) == 0 || !strings.Contains(strings.Join(notes, " "), "access keys") {
		t.Errorf("notes = %v", notes)
	}
}

func TestUsersFromConfigAggregatorErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"__type":"NoSuchConfigurationAggregatorException","message":"aggregator not found"}`)
	}))
	defer srv.Close()
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""), BaseEndpoint: aws.String(srv.URL), RetryMaxAttempts: 1}
	_, _, err := UsersFromConfigAggregator(context.Background(), cfg, "missing", fixtureOptions())
	if err == nil || !strings.Contains(err.Error(), "missing") || !strings.Contains(err.Error(), "SelectAggregateResourceConfig") || !strings.Contains(err.Error(), "NoSuchConfigurationAggregator") {
		t.Errorf("err = %v", err)
	}
	if _, _, err := UsersFromConfigAggregator(context.Background(), cfg, "", fixtureOptions()); err == nil {
		t.Error("empty aggregator name accepted")
	}
}

func TestParseConfigUserBadInput(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"not json", `{`, "configuration item"},
		{"bad date", `{"arn":"a","configuration":{"createDate":"yesterday"}}`, "createDate"},
		{"bad policy encoding", `{"arn":"a","configuration":{"userPolicyList":[{"policyName":"p","policyDocument":"%zz"}]}}`, "inline policy p"},
		{"configuration as string", `{"arn":"a","resourceName":"n","configuration":"{\"userName\":\"n\"}"}`, ""},
	}
	for _, tc := range tests {
		row, err := parseConfigUser(tc.in, fixtureOptions())
		if tc.want == "" {
			if err != nil || row.UserName != "n" {
				t.Errorf("%s: row %+v err %v", tc.name, row, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want it to mention %q", tc.name, err, tc.want)
		}
	}
}
