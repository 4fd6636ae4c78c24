package fakeaws

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// AccessAnalyzerOptions shape the emulation of IAM Access Analyzer policy
// generation (StartPolicyGeneration, GetGeneratedPolicy,
// CancelPolicyGeneration, ListPolicyGenerations).
type AccessAnalyzerOptions struct {
	// PollsToComplete is how many GetGeneratedPolicy calls see a job
	// IN_PROGRESS before it ends (default 2).
	PollsToComplete int
	// Policies are the policy documents a job for a principal ARN gives
	// (canned by the test: the emulator does not read trails).
	Policies map[string][]string
	// Fail lists principal ARNs whose jobs end FAILED with this error code
	// (SERVICE_ERROR, TRAIL_NOT_FOUND, …).
	Fail map[string]string
	// DailyLimit is the number of generations per account and region and
	// day (default 50, as AWS's quota).
	DailyLimit int
}

// AccessAnalyzerJob is one emulated policy generation job.
type AccessAnalyzerJob struct {
	ID, Account, Region, Principal, Status, ErrCode string
	Started, Completed                              time.Time
	Start, End                                      time.Time
	polls                                           int
}

type aaState struct {
	mu   sync.Mutex
	opts AccessAnalyzerOptions
	jobs map[string]*AccessAnalyzerJob
	seq  int
}

// SetAccessAnalyzer configures the Access Analyzer emulation.
func (s *Server) SetAccessAnalyzer(o AccessAnalyzerOptions) {
	s.aa.mu.Lock()
	defer s.aa.mu.Unlock()
	s.aa.opts = o
}

// AccessAnalyzerJobs returns every policy generation job, by id.
func (s *Server) AccessAnalyzerJobs() map[string]AccessAnalyzerJob {
	s.aa.mu.Lock()
	defer s.aa.mu.Unlock()
	out := map[string]AccessAnalyzerJob{}
	for k, v := range s.aa.jobs {
		out[k] = *v
	}
	return out
}

// aaFail writes a REST-JSON error, as Access Analyzer answers.
func aaFail(c *call, status int, code, msg string) {
	c.w.Header().Set("Content-Type", "application/json")
	c.w.Header().Set("X-Amzn-Errortype", code)
	c.w.Header().Set("X-Amzn-Requestid", requestID())
	c.w.WriteHeader(status)
	b, _ := json.Marshal(map[string]string{"message": msg})
	c.w.Write(b)
}

func (s *Server) serveAccessAnalyzer(c *call) {
	st := &s.aa
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.jobs == nil {
		st.jobs = map[string]*AccessAnalyzerJob{}
	}
	now := s.w.opts.Now
	p := strings.TrimSuffix(c.r.URL.Path, "/")
	switch {
	case p == "/analyzer" && c.r.Method == http.MethodGet:
		c.op = "ListAnalyzers"
		s.serveListAnalyzers(c)
	case p == "/policy/generation" && c.r.Method == http.MethodPut:
		c.op = "StartPolicyGeneration"
		var in struct {
			CloudTrailDetails struct {
				AccessRole string    `json:"accessRole"`
				StartTime  time.Time `json:"startTime"`
				EndTime    time.Time `json:"endTime"`
				Trails     []struct {
					CloudTrailArn string `json:"cloudTrailArn"`
				} `json:"trails"`
			} `json:"cloudTrailDetails"`
			PolicyGenerationDetails struct {
				PrincipalArn string `json:"principalArn"`
			} `json:"policyGenerationDetails"`
		}
		b, _ := io.ReadAll(c.r.Body)
		if err := json.Unmarshal(b, &in); err != nil {
			aaFail(c, 400, "ValidationException", err.Error())
			return
		}
		d := in.CloudTrailDetails
		switch {
		case in.PolicyGenerationDetails.PrincipalArn == "":
			aaFail(c, 400, "ValidationException", "principalArn is required")
			return
		case d.AccessRole == "" || len(d.Trails) == 0:
			aaFail(c, 400, "ValidationException", "accessRole and trails are required")
			return
		case d.EndTime.Sub(d.StartTime) > 90*24*time.Hour:
			aaFail(c, 400, "ValidationException", "The time range must be 90 days or less")
			return
		}
		limit, today := st.opts.DailyLimit, 0
		if limit <= 0 {
			limit = 50
		}
		for _, j := range st.jobs {
			if j.Account != c.id.account || j.Region != c.region {
				continue
			}
			if j.Status == "IN_PROGRESS" {
				aaFail(c, 409, "ConflictException", "A policy generation job is already in progress: "+j.ID)
				return
			}
			if j.Started.Truncate(24 * time.Hour).Equal(now.Truncate(24 * time.Hour)) {
				today++
			}
		}
		if today >= limit {
			aaFail(c, 402, "ServiceQuotaExceededException", "policy generations per day exceeded")
			return
		}
		st.seq++
		j := &AccessAnalyzerJob{ID: fmt.Sprintf("%08d-aaaa-bbbb-cccc-%012d", st.seq, st.seq), Account: c.id.account, Region: c.region, Principal: in.PolicyGenerationDetails.PrincipalArn, Status: "IN_PROGRESS", Started: now, Start: d.StartTime, End: d.EndTime}
		st.jobs[j.ID] = j
		aaJSON(c, map[string]string{"jobId": j.ID})
	case strings.HasPrefix(p, "/policy/generation/") && c.r.Method == http.MethodGet:
		c.op = "GetGeneratedPolicy"
		j := st.jobs[strings.TrimPrefix(p, "/policy/generation/")]
		if j == nil {
			aaFail(c, 404, "ResourceNotFoundException", "no such job")
			return
		}
		if j.Status == "IN_PROGRESS" {
			j.polls++
			need := st.opts.PollsToComplete
			if need <= 0 {
				need = 2
			}
			if j.polls > need {
				j.Completed = now
				if code := st.opts.Fail[j.Principal]; code != "" {
					j.Status, j.ErrCode = "FAILED", code
				} else {
					j.Status = "SUCCEEDED"
				}
			}
		}
		details := map[string]any{"jobId": j.ID, "status": j.Status, "startedOn": j.Started.Format(time.RFC3339)}
		if !j.Completed.IsZero() {
			details["completedOn"] = j.Completed.Format(time.RFC3339)
		}
		if j.ErrCode != "" {
			details["jobError"] = map[string]string{"code": j.ErrCode, "message": "policy generation failed"}
		}
		var pols []map[string]string
		if j.Status == "SUCCEEDED" {
			for _, d := range st.opts.Policies[j.Principal] {
				pols = append(pols, map[string]string{"policy": d})
			}
		}
		aaJSON(c, map[string]any{"jobDetails": details, "generatedPolicyResult": map[string]any{
			"properties":        map[string]any{"principalArn": j.Principal, "isComplete": j.Status == "SUCCEEDED", "cloudTrailProperties": map[string]any{"startTime": j.Start.Format(time.RFC3339), "endTime": j.End.Format(time.RFC3339), "trailProperties": []any{}}},
			"generatedPolicies": pols,
		}})
	case strings.HasPrefix(p, "/policy/generation/") && c.r.Method == http.MethodPut:
		c.op = "CancelPolicyGeneration"
		j := st.jobs[strings.TrimPrefix(p, "/policy/generation/")]
		if j == nil {
			aaFail(c, 404, "ResourceNotFoundException", "no such job")
			return
		}
		if j.Status == "IN_PROGRESS" {
			j.Status, j.Completed = "CANCELED", now
		}
		aaJSON(c, map[string]any{})
	default:
		aaFail(c, 400, "ValidationException", "fakeaws does not emulate access-analyzer "+c.r.Method+" "+p)
	}
}

func aaJSON(c *call, v any) {
	b, _ := json.Marshal(v)
	c.w.Header().Set("Content-Type", "application/json")
	c.w.Header().Set("X-Amzn-Requestid", requestID())
	c.w.Write(b)
}

// aaOp names an Access Analyzer REST call for the counters before it is
// served (serveAccessAnalyzer names the operations it knows again).
func aaOp(r *http.Request) string {
	p := strings.TrimSuffix(r.URL.Path, "/")
	switch {
	case p == "/analyzer" && r.Method == http.MethodGet:
		return "ListAnalyzers"
	case p == "/policy/generation" && r.Method == http.MethodPut:
		return "StartPolicyGeneration"
	case strings.HasPrefix(p, "/policy/generation/") && r.Method == http.MethodGet:
		return "GetGeneratedPolicy"
	}
	return r.Method + " " + p
}
