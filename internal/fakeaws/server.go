package fakeaws

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"golang.org/x/time/rate"
)

// Knobs tune the server's behaviour. They may be changed while serving with
// SetKnobs.
type Knobs struct {
	// Latency is added to every call, plus a random part up to Jitter.
	Latency, Jitter time.Duration
	// Throttle gives each AWS service its own token bucket per origin
	// account (the account whose base credentials started the credential
	// chain): the key is the service's signing name ("iam", "sts",
	// "organizations", "ec2", "s3", "kms", "sqs", "sns", "lambda",
	// "secretsmanager", "ecr", "access-analyzer"), the value its refill rate
	// and burst. A call that finds its service's bucket empty is answered
	// with that service's throttling error and costs no token; the other
	// services' buckets are untouched. Neither the rate nor the bucket's
	// state is ever told to the client: no header, no hint in the message.
	Throttle map[string]Bucket
	// RatePerAccount (calls/second) and Burst are the bucket of every
	// throttled service that Throttle does not name (each service still its
	// own bucket). 0 = unlimited.
	RatePerAccount float64
	Burst          int
	// ThrottleAll answers every call of the throttled services with their
	// throttling error while it is set (a service in trouble).
	ThrottleAll bool
	// Hang makes the server stop answering: each request is held until the
	// client gives up (an endpoint that went silent).
	Hang bool
	// FailFraction of calls (0..1) answer a 5xx error, chosen
	// deterministically from FailSeed and the call's sequence number.
	FailFraction float64
	FailSeed     int64
	// DenyAssume lists accounts whose collect role cannot be assumed.
	DenyAssume []string
	// DenyOrgPolicies answers AccessDenied to the organization-policy and
	// delegated-administrator reads (a list role without those permissions).
	DenyOrgPolicies bool
	// CallerAccount is the account of base credentials (any access key the
	// server did not issue). Default: the management account of org 1.
	CallerAccount string
	// CallerArn is GetCallerIdentity's Arn for base credentials
	// (default arn:<partition>:iam::<CallerAccount>:user/orgiam).
	CallerArn string
	// CredReportDelay is how long a credential report takes to generate.
	CredReportDelay time.Duration
	// CredReportNever lists accounts whose credential report never completes.
	CredReportNever []string
	// CredReportLimitExceeded lists accounts, and CredReportLimitFraction
	// picks a fraction of accounts, that answer LimitExceeded to
	// GenerateCredentialReport the first CredReportLimitTimes calls (default 2).
	CredReportLimitExceeded []string
	CredReportLimitFraction float64
	CredReportLimitTimes    int
	// ConfigRate (calls/second) and ConfigBurst limit AWS Config calls for
	// the whole server; above it the answer is ThrottlingException. 0 =
	// unlimited.
	ConfigRate  float64
	ConfigBurst int
	// Regions are the regions ec2:DescribeRegions lists, all enabled
	// (default none: no account × region items). Each account holds
	// generated resources in each of them (resources.go); without regions
	// it holds none, and ListBuckets lists no bucket.
	Regions []string
	// ResourcesPerRegion is how many resources of each service an account
	// holds per region (default 3), and ResourcePageSize the page size of
	// their lists (default 2, or less when the client asks for less).
	ResourcesPerRegion int
	ResourcePageSize   int
	// DenyServices lists services (signing names: "kms", "sqs", "sns",
	// "lambda", "secretsmanager", "ecr", "s3", "ec2", and "s3control" for
	// the S3 Control API) whose every call is answered with the service's
	// access-denied error, as an SCP that denies the service would.
	DenyServices []string
}

// Bucket is a token bucket: Rate tokens a second, at most Burst held
// (Burst < 1: 1).
type Bucket struct {
	Rate  float64
	Burst int
}

// Stats are counters since the last ResetStats.
type Stats struct {
	Calls      map[string]int64 // "iam:GetAccountAuthorizationDetails" -> n
	PerAccount map[string]int64 // target account (the account of the credentials) -> n
	PerOrigin  map[string]int64 // origin account of the credential chain -> n
	Total      int64
	Throttles  int64
	Faults     int64 // injected 5xx
	// Granted counts, per throttled service (signing name), the calls that
	// passed its bucket; Throttled those its bucket refused.
	Granted   map[string]int64
	Throttled map[string]int64
}

// session is what an issued access key stands for.
type session struct {
	account, roleName, roleArn, roleID, sessionName, origin string
	expires                                                 time.Time
}

type identity struct {
	akid, account, origin, arn, userID string
	sess                               *session
}

// Server is the emulator: an http.Handler.
type Server struct {
	w *World

	kmu      sync.RWMutex
	k        Knobs
	limiters map[string]*rate.Limiter

	smu   sync.Mutex
	stats Stats
	seq   atomic.Uint64

	sessMu   sync.RWMutex
	sessions map[string]*session
	keyRand  *rand.Rand

	crMu sync.Mutex
	cr   map[string]*crState

	s3   *s3Store
	sns  *snsState
	aa   aaState // accessanalyzer.go
	la   laState // lastaccessed.go
	sh   shState // securityhub.go
	hs   *http.Server
	ln   net.Listener
	base string
}

// New returns a server for the world.
func New(w *World, k Knobs) *Server {
	s := &Server{w: w, sessions: map[string]*session{}, cr: map[string]*crState{}, s3: newS3Store(), sns: &snsState{topics: map[string]bool{}},
		keyRand: rand.New(rand.NewPCG(uint64(w.opts.Seed), 7))}
	s.SetKnobs(k)
	s.ResetStats()
	return s
}

// World returns the server's world.
func (s *Server) World() *World { return s.w }

// Knobs returns the current knobs.
func (s *Server) Knobs() Knobs {
	s.kmu.RLock()
	defer s.kmu.RUnlock()
	return s.k
}

// SetKnobs replaces the knobs (rate limiters restart full).
func (s *Server) SetKnobs(k Knobs) {
	if k.CallerAccount == "" && len(s.w.orgs) > 0 {
		k.CallerAccount = s.w.orgs[0].ManagementAccountID
	}
	if k.CallerArn == "" {
		k.CallerArn = fmt.Sprintf("arn:%s:iam::%s:user/orgiam", s.w.opts.Partition, k.CallerAccount)
	}
	if k.CredReportLimitTimes <= 0 {
		k.CredReportLimitTimes = 2
	}
	s.kmu.Lock()
	s.k = k
	s.limiters = map[string]*rate.Limiter{}
	s.kmu.Unlock()
}

// Stats returns a copy of the counters.
func (s *Server) Stats() Stats {
	s.smu.Lock()
	defer s.smu.Unlock()
	c := s.stats
	c.Calls, c.PerAccount, c.PerOrigin = cloneMap(s.stats.Calls), cloneMap(s.stats.PerAccount), cloneMap(s.stats.PerOrigin)
	c.Granted, c.Throttled = cloneMap(s.stats.Granted), cloneMap(s.stats.Throttled)
	return c
}

func cloneMap(m map[string]int64) map[string]int64 {
	c := make(map[string]int64, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// ResetStats zeroes the counters.
func (s *Server) ResetStats() {
	s.smu.Lock()
	s.stats = Stats{Calls: map[string]int64{}, PerAccount: map[string]int64{}, PerOrigin: map[string]int64{},
		Granted: map[string]int64{}, Throttled: map[string]int64{}}
	s.smu.Unlock()
}

// Start serves on a free 127.0.0.1 port and returns the base URL.
func (s *Server) Start() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("fakeaws: listen on 127.0.0.1: %w", err)
	}
	s.ln = ln
	s.hs = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	s.base = "http://" + ln.Addr().String()
	go func() { _ = s.hs.Serve(ln) }()
	return s.base, nil
}

// URL is the base URL after Start.
func (s *Server) URL() string { return s.base }

// Close stops serving.
func (s *Server) Close() error {
	if s.hs == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return s.hs.Shutdown(ctx)
}

var credRe = regexp.MustCompile(`Credential=([^/,\s]+)/[0-9]{8}/([^/]+)/([^/]+)/aws4_request`)

type call struct {
	w       http.ResponseWriter
	r       *http.Request
	service string
	region  string
	op      string
	id      identity
	form    url.Values // query protocol parameters
	body    []byte
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c := &call{w: w, r: r, region: "us-east-1"}
	if m := credRe.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		c.id.akid, c.region, c.service = m[1], m[2], m[3]
	} else if r.URL.Query().Get("X-Amz-Credential") != "" {
		parts := strings.Split(r.URL.Query().Get("X-Amz-Credential"), "/")
		if len(parts) >= 4 {
			c.id.akid, c.region, c.service = parts[0], parts[2], parts[3]
		}
	}
	if c.service == "" {
		c.service = "s3"
	}
	s.resolveIdentity(c)
	k := s.Knobs()
	if k.Hang {
		<-r.Context().Done()
		return
	}
	if k.Latency > 0 || k.Jitter > 0 {
		d := k.Latency
		if k.Jitter > 0 {
			d += time.Duration(rand.Int64N(int64(k.Jitter)))
		}
		select {
		case <-time.After(d):
		case <-r.Context().Done():
			return
		}
	}
	if c.service == "securityhub" {
		c.body, _ = io.ReadAll(r.Body)
		s.serveSecurityHub(c)
		return
	}
	switch c.service {
	case "s3":
		c.op = s3Op(r)
	case "account":
		b, _ := io.ReadAll(r.Body)
		c.body = b
		c.op = strings.TrimPrefix(r.URL.Path, "/")
	case "lambda":
		c.op = lambdaOp(r)
	case "access-analyzer":
		c.op = aaOp(r) // serveAccessAnalyzer reads the body
	case "organizations", "config", "kms", "sqs", "secretsmanager", "ecr":
		b, _ := io.ReadAll(r.Body)
		c.body = b
		t := r.Header.Get("X-Amz-Target")
		if i := strings.LastIndex(t, "."); i >= 0 {
			c.op = t[i+1:]
		}
	default:
		b, _ := io.ReadAll(r.Body)
		c.body = b
		c.form, _ = url.ParseQuery(string(b))
		if c.form == nil {
			c.form = url.Values{}
		}
		for key, v := range r.URL.Query() {
			if _, ok := c.form[key]; !ok {
				c.form[key] = v
			}
		}
		c.op = c.form.Get("Action")
	}
	s.count(c)
	// Injected faults.
	if k.FailFraction > 0 {
		n := s.seq.Add(1)
		if float64(hash64(fmt.Sprint(k.FailSeed), fmt.Sprint(n))%1000000)/1e6 < k.FailFraction {
			s.smu.Lock()
			s.stats.Faults++
			s.smu.Unlock()
			code, status := "InternalFailure", 500
			if n%2 == 0 {
				code, status = "ServiceUnavailable", 503
			}
			c.fail(status, code, "injected failure")
			return
		}
	}
	if s.throttle(c, k) {
		return
	}
	if len(k.DenyServices) > 0 && s.deny(c) {
		return
	}
	switch c.service {
	case "sts":
		s.serveSTS(c)
	case "iam":
		s.serveIAM(c)
	case "organizations":
		s.serveOrgs(c)
	case "s3":
		if !s.serveS3Resources(c) {
			s.serveS3(c)
		}
	case "ec2":
		s.serveEC2(c)
	case "sns":
		if !s.serveSNSResources(c) {
			s.serveSNS(c)
		}
	case "kms", "sqs", "lambda", "secretsmanager", "ecr":
		s.serveResources(c)
	case "config":
		s.serveConfig(c)
	case "access-analyzer":
		s.serveAccessAnalyzer(c)
	case "account":
		// The synthetic organizations set no alternate contacts.
		if c.op == "getAlternateContact" {
			c.fail(404, "ResourceNotFoundException", "No contact of the inputted alternate contact type found.")
		} else {
			c.fail(400, "UnknownOperationException", "fakeaws does not emulate account:"+c.op)
		}
	default:
		c.fail(400, "UnrecognizedClientException", "fakeaws does not emulate service "+c.service)
	}
}

// throttleCodes are the services with a token bucket per origin account
// and how each says it is throttling: HTTP status and error code.
var throttleCodes = map[string]struct {
	status int
	code   string
}{
	"iam": {400, "Throttling"}, "sts": {400, "Throttling"}, "sns": {400, "Throttling"},
	"organizations": {400, "TooManyRequestsException"},
	"ec2":           {503, "RequestLimitExceeded"},
	"s3":            {503, "SlowDown"},
	"kms":           {400, "ThrottlingException"}, "secretsmanager": {400, "ThrottlingException"}, "ecr": {400, "ThrottlingException"},
	"sqs":             {400, "RequestThrottled"},
	"lambda":          {429, "TooManyRequestsException"},
	"access-analyzer": {429, "ThrottlingException"},
}

// throttle answers the call with its service's throttling error and
// returns true when the service's bucket of the call's origin is empty (or
// ThrottleAll is set).
func (s *Server) throttle(c *call, k Knobs) bool {
	tc, ok := throttleCodes[c.service]
	if !ok {
		return false
	}
	if !k.ThrottleAll && s.allow(c.id.origin, c.service, k) {
		s.smu.Lock()
		s.stats.Granted[c.service]++
		s.smu.Unlock()
		return false
	}
	s.smu.Lock()
	s.stats.Throttles++
	s.stats.Throttled[c.service]++
	s.smu.Unlock()
	switch c.service {
	case "ec2":
		c.w.Header().Set("Content-Type", "text/xml")
		c.w.WriteHeader(tc.status)
		fmt.Fprintf(c.w, `<Response><Errors><Error><Code>%s</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>%s</RequestID></Response>`, tc.code, requestID())
	case "access-analyzer":
		aaFail(c, tc.status, tc.code, "Rate exceeded")
	default:
		c.fail(tc.status, tc.code, "Rate exceeded")
	}
	return true
}

// allow takes a token from the bucket of origin × service, if the knobs
// give that service one.
func (s *Server) allow(origin, service string, k Knobs) bool {
	b, ok := k.Throttle[service]
	if !ok {
		b = Bucket{Rate: k.RatePerAccount, Burst: k.Burst}
	}
	if b.Rate <= 0 {
		return true
	}
	key := origin + "\x00" + service
	s.kmu.Lock()
	l := s.limiters[key]
	if l == nil {
		l = rate.NewLimiter(rate.Limit(b.Rate), max(b.Burst, 1))
		s.limiters[key] = l
	}
	s.kmu.Unlock()
	return l.Allow()
}

func (s *Server) count(c *call) {
	s.smu.Lock()
	defer s.smu.Unlock()
	s.stats.Total++
	s.stats.Calls[c.service+":"+c.op]++
	s.stats.PerAccount[c.id.account]++
	s.stats.PerOrigin[c.id.origin]++
}

func (s *Server) resolveIdentity(c *call) {
	s.sessMu.RLock()
	sess := s.sessions[c.id.akid]
	s.sessMu.RUnlock()
	if sess != nil {
		c.id.account, c.id.origin, c.id.sess = sess.account, sess.origin, sess
		c.id.arn = fmt.Sprintf("arn:%s:sts::%s:assumed-role/%s/%s", s.w.opts.Partition, sess.account, sess.roleName, sess.sessionName)
		c.id.userID = sess.roleID + ":" + sess.sessionName
		return
	}
	k := s.Knobs()
	c.id.account, c.id.origin, c.id.arn = k.CallerAccount, k.CallerAccount, k.CallerArn
	c.id.userID = "AIDA" + strings.ToUpper(fmt.Sprintf("%017x", hash64("caller", k.CallerArn)))[:17]
}

// protocol of a service for error shapes.
func (c *call) protocol() string {
	switch c.service {
	case "organizations", "config", "account", "kms", "sqs", "secretsmanager", "ecr":
		return "json"
	case "lambda":
		return "rest-json"
	case "s3":
		return "s3"
	}
	return "query"
}

func requestID() string {
	return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", rand.Uint32(), rand.Uint32N(1<<16), rand.Uint32N(1<<16), rand.Uint32N(1<<16), rand.Uint64N(1<<48))
}

// fail writes an error in the service's protocol.
func (c *call) fail(status int, code, msg string) {
	rid := requestID()
	switch c.protocol() {
	case "rest-json":
		c.failLambda(status, code, msg)
	case "json":
		c.w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		c.w.Header().Set("X-Amzn-Errortype", code)
		c.w.Header().Set("X-Amzn-Requestid", rid)
		c.w.WriteHeader(status)
		b, _ := json.Marshal(map[string]string{"__type": code, "message": msg})
		c.w.Write(b)
	case "s3":
		c.w.Header().Set("X-Amz-Request-Id", rid)
		if c.r.Method == http.MethodHead {
			c.w.WriteHeader(status)
			return
		}
		c.w.Header().Set("Content-Type", "application/xml")
		c.w.WriteHeader(status)
		if strings.HasPrefix(c.r.URL.Path, "/v20180820/") {
			// S3 Control wraps its errors in ErrorResponse; S3 does not.
			fmt.Fprintf(c.w, `<?xml version="1.0" encoding="UTF-8"?>`+"\n<ErrorResponse><Error><Code>%s</Code><Message>%s</Message></Error><RequestId>%s</RequestId></ErrorResponse>", xesc(code), xesc(msg), rid)
			return
		}
		fmt.Fprintf(c.w, `<?xml version="1.0" encoding="UTF-8"?>`+"\n<Error><Code>%s</Code><Message>%s</Message><RequestId>%s</RequestId></Error>", xesc(code), xesc(msg), rid)
	default:
		typ := "Sender"
		if status >= 500 {
			typ = "Receiver"
		}
		c.w.Header().Set("Content-Type", "text/xml")
		c.w.Header().Set("X-Amzn-Requestid", rid)
		c.w.WriteHeader(status)
		fmt.Fprintf(c.w, `<ErrorResponse xmlns="%s"><Error><Type>%s</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>%s</RequestId></ErrorResponse>`, c.xmlns(), typ, xesc(code), xesc(msg), rid)
	}
}

func (c *call) xmlns() string {
	switch c.service {
	case "sts":
		return "https://sts.amazonaws.com/doc/2011-06-15/"
	case "sns":
		return "http://sns.amazonaws.com/doc/2010-03-31/"
	}
	return "https://iam.amazonaws.com/doc/2010-05-08/"
}

// writeQuery writes a query-protocol answer around result's inner XML.
func (c *call) writeQuery(result string) {
	c.w.Header().Set("Content-Type", "text/xml")
	rid := requestID()
	c.w.Header().Set("X-Amzn-Requestid", rid)
	fmt.Fprintf(c.w, `<%sResponse xmlns="%s"><%sResult>%s</%sResult><ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></%sResponse>`,
		c.op, c.xmlns(), c.op, result, c.op, rid, c.op)
}

// writeJSON writes a JSON 1.1 answer.
func (c *call) writeJSON(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		c.fail(500, "InternalFailure", err.Error())
		return
	}
	c.w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	c.w.Header().Set("X-Amzn-Requestid", requestID())
	c.w.Write(b)
}

// xesc is s escaped for XML text.
func xesc(s string) string {
	if !strings.ContainsAny(s, xmlSpecial) && utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	writeEscaped(&b, s)
	return b.String()
}

// xmlSpecial are the characters xesc replaces.
const xmlSpecial = "<>&\"'\r\n"

// writeEscaped writes s to b escaped for XML text (what xesc returns);
// each byte of s that is not UTF-8 becomes U+FFFD.
func writeEscaped(b *strings.Builder, s string) {
	if !utf8.ValidString(s) {
		var v strings.Builder
		for _, r := range s { // an invalid byte reads as utf8.RuneError
			v.WriteRune(r)
		}
		s = v.String()
	}
	for {
		i := strings.IndexAny(s, xmlSpecial)
		if i < 0 {
			b.WriteString(s)
			return
		}
		b.WriteString(s[:i])
		switch s[i] {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case '"':
			b.WriteString("&quot;")
		case '\'':
			b.WriteString("&apos;")
		case '\r':
			b.WriteString("&#xD;")
		case '\n':
			b.WriteString("&#xA;")
		}
		s = s[i+1:]
	}
}

// x is a small XML builder for query-protocol answers.
type x struct{ b strings.Builder }

func (b *x) el(name, v string) *x {
	b.open(name)
	writeEscaped(&b.b, v)
	return b.close(name)
}
func (b *x) opt(name, v string) *x {
	if v != "" {
		b.el(name, v)
	}
	return b
}
func (b *x) tm(name string, t *time.Time) *x {
	if t != nil {
		b.el(name, t.UTC().Format("2006-01-02T15:04:05Z"))
	}
	return b
}
func (b *x) bool(name string, v bool) *x { return b.el(name, strconv.FormatBool(v)) }
func (b *x) int(name string, v int) *x   { return b.el(name, strconv.Itoa(v)) }
func (b *x) open(name string) *x {
	b.b.WriteByte('<')
	b.b.WriteString(name)
	b.b.WriteByte('>')
	return b
}
func (b *x) close(name string) *x {
	b.b.WriteString("</")
	b.b.WriteString(name)
	b.b.WriteByte('>')
	return b
}
func (b *x) raw(s string) *x { b.b.WriteString(s); return b }
func (b *x) String() string  { return b.b.String() }

// urlEncodeDoc encodes a policy document the way IAM returns it.
func urlEncodeDoc(doc []byte) string {
	return strings.ReplaceAll(url.QueryEscape(string(doc)), "+", "%20")
}

func contains(list []string, v string) bool { return slices.Contains(list, v) }
