package fakeaws

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
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
	// Trails says where each trail (by ARN) delivers in this emulator's
	// S3: "bucket/prefix". A job reads the trail's objects there when it
	// completes and derives its policy from the principal's records (see
	// derivePolicy); a trail not listed fails the job
	// (RESOURCE_NOT_FOUND_ERROR).
	Trails map[string]string
	// Fail lists principal ARNs whose jobs end FAILED with this error code
	// (SERVICE_ERROR, …).
	Fail map[string]string
	// DailyLimit is the number of generations per account and region and
	// day (default 50, as AWS's quota).
	DailyLimit int
}

// AccessAnalyzerJob is one emulated policy generation job.
type AccessAnalyzerJob struct {
	ID, Account, Region, Principal, Status, ErrCode string
	Trails                                          []string
	Started, Completed                              time.Time
	Start, End                                      time.Time
	// Policy is the document derived from the trail when the job succeeded
	// ("" when the principal made no call the emulation grants).
	Policy string
	polls  int
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
		for _, t := range d.Trails {
			j.Trails = append(j.Trails, t.CloudTrailArn)
		}
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
				} else if doc, code := s.derivePolicy(j); code != "" {
					j.Status, j.ErrCode = "FAILED", code
				} else {
					j.Status, j.Policy = "SUCCEEDED", doc
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
		if j.Status == "SUCCEEDED" && j.Policy != "" {
			pols = append(pols, map[string]string{"policy": j.Policy})
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

// aaPrefixes are event sources whose IAM prefix is not the host's first
// label, as far as the emulation needs them.
var aaPrefixes = map[string]string{"monitoring": "cloudwatch", "email": "ses"}

// derivePolicy reads the job's trails from this emulator's S3, as Access
// Analyzer reads them from the trail's bucket, and returns the policy its
// principal's records give, or a job error code. Like Access Analyzer, it
// counts a role's records through sessionContext.sessionIssuer.arn (every
// session of the role) and a user's through userIdentity.arn, keeps records
// of the job's time range that did not fail, leaves data events out (they
// are never in Access Analyzer's output) and grants "<prefix>:<eventName>"
// (a trailing API version date removed) on "*", one statement, sorted.
// Unreadable objects and records are skipped, as a trail's noise is.
func (s *Server) derivePolicy(j *AccessAnalyzerJob) (string, string) {
	type obj struct{ data []byte }
	var objs []obj
	for _, t := range j.Trails {
		loc, ok := s.aa.opts.Trails[t]
		if !ok {
			return "", "RESOURCE_NOT_FOUND_ERROR"
		}
		bucket, prefix, _ := strings.Cut(loc, "/")
		s.s3.mu.Lock()
		b := s.s3.buckets[bucket]
		if b == nil {
			s.s3.mu.Unlock()
			return "", "RESOURCE_NOT_FOUND_ERROR"
		}
		for k, o := range b.objects {
			if strings.HasPrefix(k, prefix) {
				objs = append(objs, obj{o.data})
			}
		}
		s.s3.mu.Unlock()
	}
	actions := map[string]bool{}
	for _, o := range objs {
		var r io.Reader = bytes.NewReader(o.data)
		if len(o.data) > 2 && o.data[0] == 0x1f && o.data[1] == 0x8b {
			zr, err := gzip.NewReader(r)
			if err != nil {
				continue
			}
			r = zr
		}
		var f struct {
			Records []struct {
				EventTime    time.Time `json:"eventTime"`
				EventSource  string    `json:"eventSource"`
				EventName    string    `json:"eventName"`
				ErrorCode    string    `json:"errorCode"`
				EventCat     string    `json:"eventCategory"`
				Management   *bool     `json:"managementEvent"`
				UserIdentity struct {
					Type           string `json:"type"`
					Arn            string `json:"arn"`
					SessionContext struct {
						SessionIssuer struct {
							Arn string `json:"arn"`
						} `json:"sessionIssuer"`
					} `json:"sessionContext"`
				} `json:"userIdentity"`
			} `json:"Records"`
		}
		if err := json.NewDecoder(r).Decode(&f); err != nil {
			continue
		}
		for _, rec := range f.Records {
			id := rec.UserIdentity
			who := id.Arn
			if id.Type == "AssumedRole" {
				who = id.SessionContext.SessionIssuer.Arn
			}
			data := rec.EventCat == "Data" || (rec.Management != nil && !*rec.Management)
			if who != j.Principal || rec.ErrorCode != "" || data || rec.EventTime.Before(j.Start) || !rec.EventTime.Before(j.End) {
				continue
			}
			host, ok := strings.CutSuffix(rec.EventSource, ".amazonaws.com")
			if !ok || rec.EventName == "" {
				continue
			}
			prefix := host
			if p, ok := aaPrefixes[host]; ok {
				prefix = p
			}
			name := rec.EventName
			if n := len(name); n > 8 && strings.Trim(name[n-8:], "0123456789") == "" {
				name = name[:n-8]
			}
			actions[prefix+":"+name] = true
		}
	}
	if len(actions) == 0 {
		return "", ""
	}
	list := make([]string, 0, len(actions))
	for a := range actions {
		list = append(list, a)
	}
	sort.Strings(list)
	b, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{"Effect": "Allow", "Action": list, "Resource": "*"}}})
	return string(b), ""
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
