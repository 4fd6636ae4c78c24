// Package trailgen writes realistic CloudTrail trails with known activity,
// for policy generation's tests and benchmark: many accounts, users and
// roles, management and data events, S3 events whose names are not their
// IAM actions, Lambda's versioned event names, cross-account calls recorded
// in the resource account, AWS service calls, console sign-ins, denied
// attempts, events no catalogue knows and records outside the range. It
// records what each principal did, so a test can compare a generated policy
// with the exact actions used.
package trailgen

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// Config shapes a trail.
type Config struct {
	Seed            uint64
	Accounts        int
	UsersPerAccount int
	RolesPerAccount int
	Files           int
	EventsPerFile   int
	Start           time.Time // first event; events spread over Days
	Days            int
	Region          string
	// OrgID, if set, lays files out as an organization trail
	// (AWSLogs/<org-id>/<account>/…).
	OrgID string
	// NoData leaves data events out, as a trail that records only
	// management events.
	NoData bool
}

// Expected is the activity written, by principal IAM ARN (roles without path).
type Expected struct {
	// Actions are the actions of successful calls, with the exact
	// resources each named ("*" when none).
	Actions map[string]map[string]map[string]bool
	// Denied are the actions of calls that failed with AccessDenied and
	// never succeeded.
	Denied map[string]map[string]bool
	// Unmapped are "eventSource eventName" of made-up events.
	Unmapped map[string]map[string]bool
	// Records written, in range and outside it; bytes of JSON.
	Records, OutOfRange int
	Bytes               int64
	Files               []string
}

type kind struct {
	source, name, action string
	data                 bool
	res                  func(g *gen, acct string) (resources []res, params map[string]any, exact []string)
}

type res struct {
	ARN       string `json:"ARN"`
	AccountID string `json:"accountId,omitempty"`
	Type      string `json:"type,omitempty"`
}

func bucketOf(g *gen, acct string) string { return fmt.Sprintf("data-%s-%d", acct, g.r.IntN(3)) }

var kinds = []kind{
	{"s3.amazonaws.com", "GetObject", "s3:GetObject", true, s3obj},
	{"s3.amazonaws.com", "PutObject", "s3:PutObject", true, s3obj},
	{"s3.amazonaws.com", "HeadObject", "s3:GetObject", true, s3obj},
	{"s3.amazonaws.com", "CreateMultipartUpload", "s3:PutObject", true, s3obj},
	{"s3.amazonaws.com", "ListObjectsV2", "s3:ListBucket", true, s3bucket},
	{"s3.amazonaws.com", "ListObjectVersions", "s3:ListBucketVersions", true, s3bucket},
	{"s3.amazonaws.com", "HeadBucket", "s3:ListBucket", false, s3bucket},
	{"s3.amazonaws.com", "GetBucketEncryption", "s3:GetEncryptionConfiguration", false, s3bucket},
	{"s3.amazonaws.com", "ListBuckets", "s3:ListAllMyBuckets", false, none},
	{"ec2.amazonaws.com", "DescribeInstances", "ec2:DescribeInstances", false, none},
	{"ec2.amazonaws.com", "DescribeSecurityGroups", "ec2:DescribeSecurityGroups", false, none},
	{"lambda.amazonaws.com", "ListFunctions20150331", "lambda:ListFunctions", false, none},
	{"lambda.amazonaws.com", "GetFunctionConfiguration20150331v2", "lambda:GetFunctionConfiguration", false, fn},
	{"lambda.amazonaws.com", "Invoke", "lambda:InvokeFunction", true, fn},
	{"dynamodb.amazonaws.com", "GetItem", "dynamodb:GetItem", true, table},
	{"dynamodb.amazonaws.com", "DescribeTable", "dynamodb:DescribeTable", false, table},
	{"kms.amazonaws.com", "Decrypt", "kms:Decrypt", false, key},
	{"monitoring.amazonaws.com", "PutMetricData", "cloudwatch:PutMetricData", false, none},
	{"iam.amazonaws.com", "ListRoles", "iam:ListRoles", false, none},
	{"iam.amazonaws.com", "GetRole", "iam:GetRole", false, role},
	{"sts.amazonaws.com", "AssumeRole", "sts:AssumeRole", false, role},
	{"logs.amazonaws.com", "CreateLogStream", "logs:CreateLogStream", false, none},
	{"ssm.amazonaws.com", "GetParameter", "ssm:GetParameter", false, param},
	{"secretsmanager.amazonaws.com", "GetSecretValue", "secretsmanager:GetSecretValue", false, none},
	{"sqs.amazonaws.com", "SendMessage", "sqs:SendMessage", false, none},
}

func none(*gen, string) ([]res, map[string]any, []string) { return nil, nil, []string{"*"} }

func s3obj(g *gen, acct string) ([]res, map[string]any, []string) {
	b := bucketOf(g, acct)
	k := fmt.Sprintf("reports/%d/part-%04d.csv", g.r.IntN(4), g.r.IntN(5))
	ba, oa := "arn:aws:s3:::"+b, "arn:aws:s3:::"+b+"/"+k
	return []res{{ARN: oa, Type: "AWS::S3::Object"}, {ARN: ba, AccountID: acct, Type: "AWS::S3::Bucket"}}, map[string]any{"bucketName": b, "key": k, "Host": b + ".s3.amazonaws.com"}, []string{oa}
}

func s3bucket(g *gen, acct string) ([]res, map[string]any, []string) {
	b := bucketOf(g, acct)
	ba := "arn:aws:s3:::" + b
	return []res{{ARN: ba, AccountID: acct, Type: "AWS::S3::Bucket"}}, map[string]any{"bucketName": b, "Host": b + ".s3.amazonaws.com", "list-type": "2", "prefix": "reports/"}, []string{ba}
}

func fn(g *gen, acct string) ([]res, map[string]any, []string) {
	a := fmt.Sprintf("arn:aws:lambda:%s:%s:function:worker-%d", g.cfg.Region, acct, g.r.IntN(4))
	return []res{{ARN: a, AccountID: acct, Type: "AWS::Lambda::Function"}}, map[string]any{"functionName": a}, []string{a}
}

func table(g *gen, acct string) ([]res, map[string]any, []string) {
	a := fmt.Sprintf("arn:aws:dynamodb:%s:%s:table/orders-%d", g.cfg.Region, acct, g.r.IntN(3))
	return []res{{ARN: a, AccountID: acct, Type: "AWS::DynamoDB::Table"}}, map[string]any{"tableName": a, "key": map[string]any{"id": map[string]string{"S": "x"}}}, []string{a}
}

func key(g *gen, acct string) ([]res, map[string]any, []string) {
	a := fmt.Sprintf("arn:aws:kms:%s:%s:key/%08x-1111-2222-3333-444455556666", g.cfg.Region, acct, g.r.IntN(2))
	return []res{{ARN: a, AccountID: acct, Type: "AWS::KMS::Key"}}, map[string]any{"encryptionAlgorithm": "SYMMETRIC_DEFAULT"}, []string{a}
}

func role(g *gen, acct string) ([]res, map[string]any, []string) {
	a := fmt.Sprintf("arn:aws:iam::%s:role/app-%d", acct, g.r.IntN(3))
	return []res{{ARN: a, AccountID: acct, Type: "AWS::IAM::Role"}}, map[string]any{"roleArn": a, "roleSessionName": "s"}, []string{a}
}

func param(g *gen, acct string) ([]res, map[string]any, []string) {
	return nil, map[string]any{"name": "/app/config", "withDecryption": true}, []string{"*"}
}

type principal struct {
	acct, kind, name, arn, pathARN string
	profile                        []int // indexes into kinds
	denied                         int   // a kind it is denied on, never used
}

type gen struct {
	cfg        Config
	r          *rand.Rand
	principals []principal
	exp        *Expected
	accounts   []string
}

// Write writes the trail under dir and returns what it holds.
func Write(dir string, cfg Config) (*Expected, error) {
	g, err := newGen(cfg)
	if err != nil {
		return nil, err
	}
	span := time.Duration(cfg.Days) * 24 * time.Hour
	for f := range cfg.Files {
		// Files are spread over the range; a file's records are within
		// five minutes of its delivery time.
		at := cfg.Start.Add(time.Duration(int64(span) / int64(max(cfg.Files, 1)) * int64(f)))
		acct := g.accounts[f%len(g.accounts)]
		if err := g.file(dir, acct, at); err != nil {
			return nil, err
		}
	}
	sort.Strings(g.exp.Files)
	return g.exp, nil
}

func newExpected() *Expected {
	return &Expected{Actions: map[string]map[string]map[string]bool{}, Denied: map[string]map[string]bool{}, Unmapped: map[string]map[string]bool{}}
}

// newGen draws the principals and their profiles from cfg.Seed.
func newGen(cfg Config) (*gen, error) {
	if cfg.Region == "" {
		cfg.Region = "eu-west-1"
	}
	if cfg.Days <= 0 {
		cfg.Days = 1
	}
	if cfg.Start.IsZero() {
		return nil, fmt.Errorf("trailgen: Start is required (tests do not read the clock)")
	}
	g := &gen{cfg: cfg, r: rand.New(rand.NewPCG(cfg.Seed, 7)), exp: newExpected()}
	for a := range cfg.Accounts {
		acct := fmt.Sprintf("%012d", 111100000000+a)
		g.accounts = append(g.accounts, acct)
		add := func(kind, name, resource, path string) {
			p := principal{acct: acct, kind: kind, name: name, arn: "arn:aws:iam::" + acct + ":" + resource + "/" + name, pathARN: "arn:aws:iam::" + acct + ":" + resource + path + name}
			for i := range kinds {
				if g.r.IntN(3) == 0 && !(cfg.NoData && kinds[i].data) {
					p.profile = append(p.profile, i)
				}
			}
			if len(p.profile) == 0 {
				p.profile = []int{9}
			}
			p.denied = -1
			for i := range kinds {
				if !usesAction(p.profile, kinds[i].action) && !(cfg.NoData && kinds[i].data) {
					p.denied = i
					break
				}
			}
			g.principals = append(g.principals, p)
		}
		for u := range cfg.UsersPerAccount {
			add("user", fmt.Sprintf("user%d", u), "user", "/people/")
		}
		for r := range cfg.RolesPerAccount {
			add("role", fmt.Sprintf("role%d", r), "role", "/service-role/")
		}
	}
	if len(g.principals) == 0 {
		return nil, fmt.Errorf("trailgen: no principals")
	}
	return g, nil
}

func usesAction(profile []int, action string) bool {
	for _, i := range profile {
		if kinds[i].action == action {
			return true
		}
	}
	return false
}

// records writes one file's JSON (EventsPerFile records of acct's trail
// around at) to w.
func (g *gen) records(w io.Writer, acct string, at time.Time) {
	cw := &counter{w: w}
	cw.Write([]byte(`{"Records":[`))
	for i := range g.cfg.EventsPerFile {
		if i > 0 {
			cw.Write([]byte(","))
		}
		t := at.Add(time.Duration(g.r.IntN(300)) * time.Second)
		b, _ := json.Marshal(g.record(acct, t))
		cw.Write(b)
	}
	cw.Write([]byte("]}"))
	g.exp.Bytes += cw.n
}

func (g *gen) fileName(acct string, at time.Time) string {
	prefix := "AWSLogs/" + acct
	if g.cfg.OrgID != "" {
		prefix = "AWSLogs/" + g.cfg.OrgID + "/" + acct
	}
	return fmt.Sprintf("%s/CloudTrail/%s/%s/%s_CloudTrail_%s_%s_%08x.json.gz", prefix, g.cfg.Region, at.Format("2006/01/02"), acct, g.cfg.Region, at.Format("20060102T1504Z"), g.r.Uint32())
}

func (g *gen) file(dir, acct string, at time.Time) error {
	name := g.fileName(acct, at)
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	fh, err := os.Create(p)
	if err != nil {
		return err
	}
	zw, _ := gzip.NewWriterLevel(fh, gzip.BestSpeed)
	g.records(zw, acct, at)
	g.exp.Files = append(g.exp.Files, name)
	if err := zw.Close(); err != nil {
		fh.Close()
		return err
	}
	return fh.Close()
}

type counter struct {
	w interface{ Write([]byte) (int, error) }
	n int64
}

func (c *counter) Write(b []byte) (int, error) { c.n += int64(len(b)); return c.w.Write(b) }

// record makes one record of the trail of account acct (the recipient).
func (g *gen) record(acct string, t time.Time) map[string]any {
	rec := map[string]any{
		"eventVersion":       "1.09",
		"eventTime":          t.UTC().Format("2006-01-02T15:04:05Z"),
		"awsRegion":          g.cfg.Region,
		"sourceIPAddress":    fmt.Sprintf("10.%d.%d.%d", g.r.IntN(256), g.r.IntN(256), g.r.IntN(256)),
		"userAgent":          "aws-sdk-go-v2/1.30.0 os/linux lang/go#1.22 md/GOOS#linux md/GOARCH#amd64 api/x#1.0",
		"requestID":          fmt.Sprintf("%016x", g.r.Uint64()),
		"eventID":            fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", g.r.Uint32(), g.r.IntN(65536), g.r.IntN(65536), g.r.IntN(65536), g.r.Uint64()&0xffffffffffff),
		"eventType":          "AwsApiCall",
		"recipientAccountId": acct,
		"tlsDetails":         map[string]any{"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256", "clientProvidedHostHeader": "api.example.amazonaws.com"},
	}
	g.exp.Records++
	switch n := g.r.IntN(100); {
	case n < 3: // an AWS service acting on the account's behalf
		rec["userIdentity"] = map[string]any{"type": "AWSService", "invokedBy": "cloudtrail.amazonaws.com"}
		rec["eventSource"], rec["eventName"] = "kms.amazonaws.com", "GenerateDataKey"
		rec["managementEvent"], rec["eventCategory"] = true, "Management"
		return rec
	case n < 4: // console sign-in: no IAM action
		p := g.pick(acct)
		rec["userIdentity"] = g.identity(p, acct)
		rec["eventSource"], rec["eventName"], rec["eventType"] = "signin.amazonaws.com", "ConsoleLogin", "AwsConsoleSignIn"
		rec["responseElements"] = map[string]any{"ConsoleLogin": "Success"}
		rec["managementEvent"], rec["eventCategory"] = true, "Management"
		return rec
	case n < 5: // outside the range
		g.exp.OutOfRange++
		g.exp.Records--
		rec["eventTime"] = g.cfg.Start.Add(-48 * time.Hour).UTC().Format("2006-01-02T15:04:05Z")
		p := g.pick(acct)
		rec["userIdentity"] = g.identity(p, acct)
		rec["eventSource"], rec["eventName"] = "rds.amazonaws.com", "DescribeDBInstances"
		return rec
	case n < 6: // an event nothing maps
		p := g.pick(acct)
		rec["userIdentity"] = g.identity(p, acct)
		rec["eventSource"], rec["eventName"] = "ec2.amazonaws.com", "SyntheticUnknownEvent"
		set(g.exp.Unmapped, p.arn, "ec2.amazonaws.com SyntheticUnknownEvent")
		rec["managementEvent"], rec["eventCategory"] = true, "Management"
		return rec
	}
	p := g.pick(acct)
	k := kinds[p.profile[g.r.IntN(len(p.profile))]]
	deny := false
	if p.denied >= 0 && g.r.IntN(20) == 0 {
		k = kinds[p.denied]
		deny = true
	}
	// A role calling into another account: the record is in that
	// account's trail, and its resources are that account's.
	resAcct := p.acct
	if p.acct != acct {
		resAcct = acct
	}
	rs, params, exact := k.res(g, resAcct)
	rec["userIdentity"] = g.identity(p, acct)
	rec["eventSource"], rec["eventName"] = k.source, k.name
	if rs != nil {
		rec["resources"] = rs
	}
	rec["requestParameters"] = params
	rec["readOnly"] = true
	rec["managementEvent"] = !k.data
	if k.data {
		rec["eventCategory"] = "Data"
	} else {
		rec["eventCategory"] = "Management"
	}
	if deny {
		rec["errorCode"] = "AccessDenied"
		rec["errorMessage"] = "User: " + p.arn + " is not authorized to perform: " + k.action
		set(g.exp.Denied, p.arn, k.action)
		return rec
	}
	rec["responseElements"] = map[string]any{"x-amz-request-id": rec["requestID"], "status": "ok"}
	m := g.exp.Actions[p.arn]
	if m == nil {
		m = map[string]map[string]bool{}
		g.exp.Actions[p.arn] = m
	}
	for _, e := range exact {
		set(m, k.action, e)
	}
	return rec
}

func set(m map[string]map[string]bool, k, v string) {
	s := m[k]
	if s == nil {
		s = map[string]bool{}
		m[k] = s
	}
	s[v] = true
}

// pick chooses the caller of a record in acct's trail: mostly the
// account's own principals, sometimes a role of another account (a
// cross-account call).
func (g *gen) pick(acct string) principal {
	for {
		p := g.principals[g.r.IntN(len(g.principals))]
		if p.acct == acct || p.kind == "role" && g.r.IntN(10) == 0 {
			return p
		}
	}
}

func (g *gen) identity(p principal, recipient string) map[string]any {
	if p.kind == "user" {
		return map[string]any{"type": "IAMUser", "principalId": "AIDA" + p.acct, "arn": p.pathARN, "accountId": p.acct, "accessKeyId": "AKIA" + p.acct, "userName": p.name}
	}
	session := fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s/session-%d", p.acct, p.name, g.r.IntN(1000))
	id := map[string]any{"type": "AssumedRole", "principalId": "AROA" + p.acct + ":session", "arn": session, "accountId": p.acct, "accessKeyId": "ASIA" + p.acct}
	// Cross-account records sometimes omit the issuer: the role is then
	// known only from the session ARN.
	if p.acct == recipient || g.r.IntN(2) == 0 {
		id["sessionContext"] = map[string]any{
			"sessionIssuer": map[string]any{"type": "Role", "principalId": "AROA" + p.acct, "arn": p.pathARN, "accountId": p.acct, "userName": p.name},
			"attributes":    map[string]any{"creationDate": "2026-01-01T00:00:00Z", "mfaAuthenticated": "false"},
		}
	}
	return id
}
