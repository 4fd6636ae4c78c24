package fakeaws

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"sync"
)

// SecurityHubOptions shape the emulation of Security Hub's
// BatchImportFindings.
type SecurityHubOptions struct {
	// Disabled lists regions where Security Hub is not enabled: every call
	// there answers InvalidAccessException, as AWS does.
	Disabled []string
	// ThrottleFirst is how many calls of each region answer
	// LimitExceededException (429) before the region takes calls.
	ThrottleFirst int
	// Administrator is the account allowed to import findings of other
	// accounts of its organization (default: the caller account, the
	// management account of org 1).
	Administrator string
	// RejectIDs lists finding ids that come back in FailedFindings.
	RejectIDs []string
}

// SecurityHubFinding is one imported finding, as the emulator stored it.
type SecurityHubFinding struct {
	Region, Caller string
	Finding        map[string]any
}

type shState struct {
	mu       sync.Mutex
	opts     SecurityHubOptions
	calls    map[string]int // region -> calls answered (throttled ones too)
	findings map[string]map[string]SecurityHubFinding
}

// SetSecurityHub configures the Security Hub emulation.
func (s *Server) SetSecurityHub(o SecurityHubOptions) {
	s.sh.mu.Lock()
	defer s.sh.mu.Unlock()
	s.sh.opts = o
}

// SecurityHubFindings returns the findings imported in a region, by
// ProductArn and Id ("<ProductArn>|<Id>").
func (s *Server) SecurityHubFindings(region string) map[string]SecurityHubFinding {
	s.sh.mu.Lock()
	defer s.sh.mu.Unlock()
	out := map[string]SecurityHubFinding{}
	for k, v := range s.sh.findings[region] {
		out[k] = v
	}
	return out
}

// SecurityHubCalls returns the BatchImportFindings calls per region,
// throttled and refused ones included.
func (s *Server) SecurityHubCalls() map[string]int {
	s.sh.mu.Lock()
	defer s.sh.mu.Unlock()
	out := map[string]int{}
	for k, v := range s.sh.calls {
		out[k] = v
	}
	return out
}

var productArnRe = regexp.MustCompile(`^arn:([a-z-]+):securityhub:([a-z0-9-]+):(\d{12}):product/(\d{12})/default$`)

// serveSecurityHub answers POST /findings/import (REST-JSON).
func (s *Server) serveSecurityHub(c *call) {
	if c.r.Method != http.MethodPost || c.r.URL.Path != "/findings/import" {
		aaFail(c, 404, "ResourceNotFoundException", "fakeaws emulates only BatchImportFindings of Security Hub")
		return
	}
	c.op = "BatchImportFindings"
	s.count(c)
	st := &s.sh
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.calls == nil {
		st.calls = map[string]int{}
		st.findings = map[string]map[string]SecurityHubFinding{}
	}
	st.calls[c.region]++
	if contains(st.opts.Disabled, c.region) {
		aaFail(c, 401, "InvalidAccessException", fmt.Sprintf("Account %s is not subscribed to AWS Security Hub in %s", c.id.account, c.region))
		return
	}
	if st.calls[c.region] <= st.opts.ThrottleFirst {
		s.smu.Lock()
		s.stats.Throttles++
		s.smu.Unlock()
		aaFail(c, 429, "LimitExceededException", "Rate exceeded")
		return
	}
	var in struct {
		Findings []map[string]any `json:"Findings"`
	}
	if err := json.Unmarshal(c.body, &in); err != nil {
		aaFail(c, 400, "InvalidInputException", "malformed request: "+err.Error())
		return
	}
	if len(in.Findings) == 0 || len(in.Findings) > 100 {
		aaFail(c, 400, "InvalidInputException", fmt.Sprintf("Findings: %d findings, want 1 to 100", len(in.Findings)))
		return
	}
	admin := st.opts.Administrator
	if admin == "" {
		admin = s.Knobs().CallerAccount
	}
	type failed struct {
		ID           string `json:"Id"`
		ErrorCode    string `json:"ErrorCode"`
		ErrorMessage string `json:"ErrorMessage"`
	}
	var fails []failed
	ok := 0
	if st.findings[c.region] == nil {
		st.findings[c.region] = map[string]SecurityHubFinding{}
	}
	for _, f := range in.Findings {
		id, _ := f["Id"].(string)
		if msg := s.checkFinding(f, c, admin); msg != "" {
			fails = append(fails, failed{id, "InvalidInput", msg})
			continue
		}
		if contains(st.opts.RejectIDs, id) {
			fails = append(fails, failed{id, "InvalidInput", "rejected by the test"})
			continue
		}
		pa, _ := f["ProductArn"].(string)
		st.findings[c.region][pa+"|"+id] = SecurityHubFinding{Region: c.region, Caller: c.id.account, Finding: f}
		ok++
	}
	c.w.Header().Set("Content-Type", "application/json")
	c.w.Header().Set("X-Amzn-Requestid", requestID())
	b, _ := json.Marshal(map[string]any{"FailedCount": len(fails), "SuccessCount": ok, "FailedFindings": nonNilFails(fails)})
	c.w.Write(b)
}

func nonNilFails[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// checkFinding applies Security Hub's rules to one finding: the required
// attributes, the schema version, a ProductArn of the caller's default
// product in the call's region, and an AwsAccountId that is the caller's
// own or, for the administrator, an account of its organization.
func (s *Server) checkFinding(f map[string]any, c *call, admin string) string {
	for _, k := range []string{"SchemaVersion", "Id", "ProductArn", "GeneratorId", "AwsAccountId", "CreatedAt", "UpdatedAt", "Title", "Description"} {
		if v, _ := f[k].(string); v == "" {
			return k + " is required"
		}
	}
	if f["SchemaVersion"] != "2018-10-08" {
		return "SchemaVersion must be 2018-10-08"
	}
	if t, _ := f["Types"].([]any); len(t) == 0 {
		return "Types is required"
	}
	if sev, _ := f["Severity"].(map[string]any); sev == nil || sev["Label"] == nil {
		return "Severity.Label is required"
	}
	res, _ := f["Resources"].([]any)
	if len(res) == 0 {
		return "Resources is required"
	}
	for _, r := range res {
		m, _ := r.(map[string]any)
		if m == nil || m["Type"] == nil || m["Id"] == nil {
			return "Resources[].Type and Id are required"
		}
	}
	m := productArnRe.FindStringSubmatch(f["ProductArn"].(string))
	if m == nil || m[2] != c.region || m[3] != c.id.account || m[4] != c.id.account || m[1] != s.w.opts.Partition {
		return fmt.Sprintf("ProductArn %v is not the default product of account %s in %s", f["ProductArn"], c.id.account, c.region)
	}
	acct := f["AwsAccountId"].(string)
	if acct != c.id.account {
		if c.id.account != admin {
			return fmt.Sprintf("AwsAccountId %s differs from the caller %s, which is not the Security Hub administrator", acct, c.id.account)
		}
		if s.w.AccountMeta(acct) == nil {
			return fmt.Sprintf("AwsAccountId %s is not a member account of administrator %s", acct, admin)
		}
	}
	return ""
}
