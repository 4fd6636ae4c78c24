package fakeaws

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
)

// Regional resources. When Knobs.Regions names regions, every account holds,
// in each of them, Knobs.ResourcesPerRegion (default 3) resources of each
// service — S3 buckets, KMS customer managed keys (and one AWS managed key),
// SQS queues, SNS topics, Lambda functions (with an alias on every other
// one), Secrets Manager secrets and ECR repositories — plus an ECR registry
// policy in some accounts × regions. They are derived from (account, region,
// index), never stored, so that a world of ten thousand accounts costs no
// memory. The index picks the policy: 0 grants the account itself, 1 grants
// everyone ("*"; an S3 bucket also has a public-read ACL), 2 grants an
// account outside every organization, 3 grants everyone in the organization
// (aws:PrincipalOrgID), then the cycle repeats. Lists are paged at
// Knobs.ResourcePageSize (default 2) so that clients must follow the tokens.

// Regional resource services, as their signing names.
var resourceServices = map[string]bool{"kms": true, "sqs": true, "lambda": true, "secretsmanager": true, "ecr": true}

func (k Knobs) perRegion() int {
	if k.ResourcesPerRegion > 0 {
		return k.ResourcesPerRegion
	}
	return 3
}

func (k Knobs) pageSize(asked int) int {
	n := k.ResourcePageSize
	if n <= 0 {
		n = 2
	}
	if asked > 0 && asked < n {
		n = asked
	}
	return n
}

// hasRegion reports whether region is one of the knobs' regions.
func (k Knobs) hasRegion(region string) bool { return contains(k.Regions, region) }

// ResourceName is the name of the i-th generated resource of a service in
// an account × region (an S3 bucket's name, a queue's, a function's…).
func ResourceName(service, account, region string, i int) string {
	return fmt.Sprintf("fk-%s-%s-%s-%d", service, account, region, i)
}

// ResourcePolicyKind says which policy the i-th generated resource has:
// "account", "public", "outside" or "org".
func ResourcePolicyKind(i int) string {
	return [...]string{"account", "public", "outside", "org"}[i%4]
}

// resourcePolicy is the policy document of the i-th resource with ARN arn.
func (s *Server) resourcePolicy(account, arn, action string, i int) string {
	p := s.w.opts.Partition
	stmt := map[string]any{"Sid": "fakeaws" + strconv.Itoa(i), "Effect": "Allow", "Action": action, "Resource": arn}
	switch ResourcePolicyKind(i) {
	case "account":
		stmt["Principal"] = map[string]any{"AWS": fmt.Sprintf("arn:%s:iam::%s:root", p, account)}
	case "public":
		stmt["Principal"] = "*"
	case "outside":
		out := account
		if len(s.w.outside) > 0 {
			out = s.w.outside[i/4%len(s.w.outside)]
		}
		stmt["Principal"] = map[string]any{"AWS": fmt.Sprintf("arn:%s:iam::%s:root", p, out)}
	case "org":
		stmt["Principal"] = map[string]any{"AWS": "*"}
		org := "o-none"
		if o := s.w.OrgOf(account); o != nil {
			org = o.ID
		}
		stmt["Condition"] = map[string]any{"StringEquals": map[string]any{"aws:PrincipalOrgID": org}}
	}
	b, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": []any{stmt}})
	return string(b)
}

// fakeID is a deterministic UUID-shaped identifier.
func fakeID(parts ...string) string {
	h, g := hash64(parts...), hash64(append(parts, "2")...)
	return fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", uint32(h), uint16(h>>32), uint16(h>>48)&0xfff, uint16(g)&0xfff, g>>16&0xffffffffffff)
}

// page cuts names at the token: it returns the page and the next token
// ("" on the last page).
func page(names []string, token string, size int) ([]string, string) {
	start := 0
	if token != "" {
		if b, err := base64.RawURLEncoding.DecodeString(token); err == nil {
			start, _ = strconv.Atoi(string(b))
		}
	}
	if start > len(names) {
		start = len(names)
	}
	end := min(start+size, len(names))
	next := ""
	if end < len(names) {
		next = base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(end)))
	}
	return names[start:end], next
}

// indexOf parses a generated name back into its index, checking that it
// belongs to the service, account and region.
func (s *Server) indexOf(service, account, region, name string) (int, bool) {
	prefix := ResourceName(service, account, region, 0)
	prefix = prefix[:len(prefix)-1]
	if !strings.HasPrefix(name, prefix) {
		return 0, false
	}
	i, err := strconv.Atoi(name[len(prefix):])
	if err != nil || i < 0 || i >= s.Knobs().perRegion() || !s.Knobs().hasRegion(region) {
		return 0, false
	}
	return i, true
}

// names lists the generated names of a service in an account × region.
func (s *Server) names(service, account, region string) []string {
	k := s.Knobs()
	if !k.hasRegion(region) {
		return nil
	}
	out := make([]string, k.perRegion())
	for i := range out {
		out[i] = ResourceName(service, account, region, i)
	}
	return out
}

// deny answers the knobs' DenyServices with the service's access-denied
// error; it reports whether it did.
func (s *Server) deny(c *call) bool {
	svc := c.service
	if svc == "s3" && strings.HasPrefix(c.r.URL.Path, "/v20180820/") {
		svc = "s3control"
	}
	if !contains(s.Knobs().DenyServices, svc) {
		return false
	}
	msg := fmt.Sprintf("User: %s is not authorized to perform: %s:%s with an explicit deny in a service control policy", c.id.arn, c.service, c.op)
	switch c.service {
	case "s3":
		c.fail(403, "AccessDenied", "Access Denied")
	case "sns":
		c.fail(403, "AuthorizationError", msg)
	case "ec2":
		c.w.Header().Set("Content-Type", "text/xml")
		c.w.WriteHeader(403)
		fmt.Fprintf(c.w, `<Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>%s</Message></Error></Errors><RequestID>%s</RequestID></Response>`, xesc(msg), requestID())
	default:
		c.fail(400, "AccessDeniedException", msg)
	}
	return true
}

// serveResources answers the regional resource services (KMS, SQS,
// Secrets Manager, ECR over JSON; Lambda over REST JSON).
func (s *Server) serveResources(c *call) {
	if c.service == "lambda" {
		s.serveLambda(c)
		return
	}
	var req map[string]any
	if len(c.body) > 0 {
		if err := json.Unmarshal(c.body, &req); err != nil {
			c.fail(400, "SerializationException", err.Error())
			return
		}
	}
	str := func(k string) string { v, _ := req[k].(string); return v }
	num := func(k string) int { v, _ := req[k].(float64); return int(v) }
	k := s.Knobs()
	acct, region, p := c.id.account, c.region, s.w.opts.Partition
	switch c.service + ":" + c.op {
	case "kms:ListKeys":
		ids := s.names("kms", acct, region)
		if len(ids) > 0 {
			ids = append(ids, "aws-managed")
		}
		pg, next := page(ids, str("Marker"), k.pageSize(num("Limit")))
		keys := []any{}
		for _, n := range pg {
			id := fakeID("kms", acct, region, n)
			keys = append(keys, map[string]any{"KeyId": id, "KeyArn": fmt.Sprintf("arn:%s:kms:%s:%s:key/%s", p, region, acct, id)})
		}
		out := map[string]any{"Keys": keys, "Truncated": next != ""}
		if next != "" {
			out["NextMarker"] = next
		}
		c.writeJSON(out)
	case "kms:DescribeKey", "kms:GetKeyPolicy":
		id := str("KeyId")
		if i := strings.LastIndex(id, "/"); i >= 0 {
			id = id[i+1:]
		}
		var found string
		for _, n := range append(s.names("kms", acct, region), "aws-managed") {
			if fakeID("kms", acct, region, n) == id {
				found = n
			}
		}
		if found == "" || !k.hasRegion(region) {
			c.fail(400, "NotFoundException", "Key '"+id+"' does not exist")
			return
		}
		arn := fmt.Sprintf("arn:%s:kms:%s:%s:key/%s", p, region, acct, id)
		if c.op == "DescribeKey" {
			mgr := "CUSTOMER"
			if found == "aws-managed" {
				mgr = "AWS"
			}
			c.writeJSON(map[string]any{"KeyMetadata": map[string]any{"AWSAccountId": acct, "KeyId": id, "Arn": arn,
				"CreationDate": float64(s.w.opts.Now.Unix()), "Enabled": true, "KeyManager": mgr, "KeyState": "Enabled",
				"KeyUsage": "ENCRYPT_DECRYPT", "KeySpec": "SYMMETRIC_DEFAULT", "Origin": "AWS_KMS"}})
			return
		}
		if str("PolicyName") != "" && str("PolicyName") != "default" {
			c.fail(400, "NotFoundException", "Policy "+str("PolicyName")+" does not exist")
			return
		}
		i, _ := s.indexOf("kms", acct, region, found)
		c.writeJSON(map[string]any{"Policy": s.resourcePolicy(acct, "*", "kms:Decrypt", i), "PolicyName": "default"})
	case "sqs:ListQueues":
		pg, next := page(s.names("sqs", acct, region), str("NextToken"), k.pageSize(num("MaxResults")))
		urls := []string{}
		for _, n := range pg {
			urls = append(urls, fmt.Sprintf("https://sqs.%s.amazonaws.com/%s/%s", region, acct, n))
		}
		out := map[string]any{"QueueUrls": urls}
		if next != "" {
			out["NextToken"] = next
		}
		c.writeJSON(out)
	case "sqs:GetQueueAttributes":
		u := str("QueueUrl")
		name := u[strings.LastIndex(u, "/")+1:]
		i, ok := s.indexOf("sqs", acct, region, name)
		if !ok || !strings.Contains(u, "/"+acct+"/") {
			c.w.Header().Set("X-Amzn-Query-Error", "AWS.SimpleQueueService.NonExistentQueue;Sender")
			c.fail(400, "QueueDoesNotExist", "The specified queue does not exist.")
			return
		}
		arn := fmt.Sprintf("arn:%s:sqs:%s:%s:%s", p, region, acct, name)
		c.writeJSON(map[string]any{"Attributes": map[string]string{"QueueArn": arn, "Policy": s.resourcePolicy(acct, arn, "sqs:SendMessage", i)}})
	case "secretsmanager:ListSecrets":
		pg, next := page(s.names("secret", acct, region), str("NextToken"), k.pageSize(num("MaxResults")))
		list := []any{}
		for _, n := range pg {
			list = append(list, map[string]any{"ARN": s.secretArn(acct, region, n), "Name": n})
		}
		out := map[string]any{"SecretList": list}
		if next != "" {
			out["NextToken"] = next
		}
		c.writeJSON(out)
	case "secretsmanager:GetResourcePolicy":
		id := str("SecretId")
		name := id
		if a, err := arn.Parse(id); err == nil {
			// arn:…:secretsmanager:region:account:secret:name-XXXXXX
			name = strings.TrimPrefix(a.Resource, "secret:")
			if j := strings.LastIndex(name, "-"); j > 0 {
				name = name[:j]
			}
		}
		i, ok := s.indexOf("secret", acct, region, name)
		if !ok {
			c.fail(400, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
			return
		}
		arn := s.secretArn(acct, region, name)
		out := map[string]any{"ARN": arn, "Name": name}
		if ResourcePolicyKind(i) != "account" { // the account's own secrets carry no policy
			out["ResourcePolicy"] = s.resourcePolicy(acct, "*", "secretsmanager:GetSecretValue", i)
		}
		c.writeJSON(out)
	case "ecr:DescribeRepositories":
		pg, next := page(s.names("ecr", acct, region), str("nextToken"), k.pageSize(num("maxResults")))
		repos := []any{}
		for _, n := range pg {
			repos = append(repos, map[string]any{"repositoryArn": fmt.Sprintf("arn:%s:ecr:%s:%s:repository/%s", p, region, acct, n),
				"registryId": acct, "repositoryName": n, "repositoryUri": fmt.Sprintf("%s.dkr.ecr.%s.amazonaws.com/%s", acct, region, n),
				"createdAt": float64(s.w.opts.Now.Unix())})
		}
		out := map[string]any{"repositories": repos}
		if next != "" {
			out["nextToken"] = next
		}
		c.writeJSON(out)
	case "ecr:GetRepositoryPolicy":
		name := str("repositoryName")
		i, ok := s.indexOf("ecr", acct, region, name)
		if !ok || (str("registryId") != "" && str("registryId") != acct) {
			c.fail(400, "RepositoryNotFoundException", "The repository with name '"+name+"' does not exist in the registry with id '"+acct+"'")
			return
		}
		if ResourcePolicyKind(i) == "account" {
			c.fail(400, "RepositoryPolicyNotFoundException", "Repository policy does not exist for the repository with name '"+name+"'")
			return
		}
		c.writeJSON(map[string]any{"registryId": acct, "repositoryName": name, "policyText": s.resourcePolicy(acct, "*", "ecr:BatchGetImage", i)})
	case "ecr:GetRegistryPolicy":
		if !HasRegistryPolicy(acct, region) || !k.hasRegion(region) {
			c.fail(400, "RegistryPolicyNotFoundException", "Registry policy does not exist in the registry with id '"+acct+"'")
			return
		}
		c.writeJSON(map[string]any{"registryId": acct, "policyText": s.resourcePolicy(acct, "*", "ecr:ReplicateImage", 2)})
	default:
		c.fail(400, "UnknownOperationException", "fakeaws does not emulate "+c.service+":"+c.op)
	}
}

// HasRegistryPolicy reports whether the generated ECR registry of an
// account × region has a registry policy (one in two, by hash).
func HasRegistryPolicy(account, region string) bool {
	return hash64("ecr-registry", account, region)%2 == 0
}

func (s *Server) secretArn(acct, region, name string) string {
	return fmt.Sprintf("arn:%s:secretsmanager:%s:%s:secret:%s-%s", s.w.opts.Partition, region, acct, name, fakeID("secret", name)[:6])
}

// lambdaPath is the REST path of the Lambda API the collector calls.
const lambdaPath = "/2015-03-31/functions"

func (s *Server) serveLambda(c *call) {
	k := s.Knobs()
	acct, region, p := c.id.account, c.region, s.w.opts.Partition
	rest, ok := strings.CutPrefix(c.r.URL.Path, lambdaPath)
	rest = strings.TrimPrefix(rest, "/")
	if !ok || c.r.Method != http.MethodGet {
		c.fail(400, "UnknownOperationException", "fakeaws does not emulate lambda "+c.r.Method+" "+c.r.URL.Path)
		return
	}
	q := c.r.URL.Query()
	asked, _ := strconv.Atoi(q.Get("MaxItems"))
	fnArn := func(n string) string { return fmt.Sprintf("arn:%s:lambda:%s:%s:function:%s", p, region, acct, n) }
	if rest == "" {
		pg, next := page(s.names("lambda", acct, region), q.Get("Marker"), k.pageSize(asked))
		fns := []any{}
		for _, n := range pg {
			fns = append(fns, map[string]any{"FunctionName": n, "FunctionArn": fnArn(n), "Runtime": "python3.12", "Handler": "index.handler",
				"Role": fmt.Sprintf("arn:%s:iam::%s:role/service-role/%s", p, acct, n), "LastModified": s.w.opts.Now.UTC().Format("2006-01-02T15:04:05.000+0000")})
		}
		out := map[string]any{"Functions": fns}
		if next != "" {
			out["NextMarker"] = next
		}
		c.writeLambda(out)
		return
	}
	fn, sub, _ := strings.Cut(rest, "/")
	if arn.IsARN(fn) {
		// arn:…:lambda:region:account:function:name[:qualifier]
		a, err := arn.Parse(fn)
		name, ok := strings.CutPrefix(a.Resource, "function:")
		if err != nil || !ok || a.AccountID != acct || a.Region != region {
			fn = ""
		} else {
			fn, _, _ = strings.Cut(name, ":")
		}
	}
	i, found := s.indexOf("lambda", acct, region, fn)
	if !found {
		c.failLambda(404, "ResourceNotFoundException", "Function not found: "+fnArn(fn))
		return
	}
	hasAlias := i%2 == 0
	switch sub {
	case "aliases":
		aliases := []any{}
		if hasAlias {
			aliases = append(aliases, map[string]any{"AliasArn": fnArn(fn) + ":live", "Name": "live", "FunctionVersion": "1", "Description": ""})
		}
		c.writeLambda(map[string]any{"Aliases": aliases})
	case "policy":
		qual := q.Get("Qualifier")
		switch {
		case qual == "" && ResourcePolicyKind(i) != "account":
			c.writeLambda(map[string]any{"Policy": s.resourcePolicy(acct, fnArn(fn), "lambda:InvokeFunction", i), "RevisionId": fakeID("rev", fn)})
		case qual == "live" && hasAlias:
			// The alias is invokable by the outside account.
			c.writeLambda(map[string]any{"Policy": s.resourcePolicy(acct, fnArn(fn)+":live", "lambda:InvokeFunction", 2), "RevisionId": fakeID("rev", fn, qual)})
		case qual != "" && (qual != "live" || !hasAlias):
			c.failLambda(404, "ResourceNotFoundException", "Function not found: "+fnArn(fn)+":"+qual)
		default:
			c.failLambda(404, "ResourceNotFoundException", "The resource you requested does not exist.")
		}
	default:
		c.failLambda(400, "UnknownOperationException", "fakeaws does not emulate lambda GET "+c.r.URL.Path)
	}
}

func (c *call) writeLambda(v any) {
	b, _ := json.Marshal(v)
	c.w.Header().Set("Content-Type", "application/json")
	c.w.Header().Set("X-Amzn-Requestid", requestID())
	c.w.Write(b)
}

func (c *call) failLambda(status int, code, msg string) {
	c.w.Header().Set("Content-Type", "application/json")
	c.w.Header().Set("X-Amzn-Errortype", code)
	c.w.Header().Set("X-Amzn-Requestid", requestID())
	c.w.WriteHeader(status)
	b, _ := json.Marshal(map[string]string{"Type": "User", "message": msg})
	c.w.Write(b)
}

// lambdaOp names a Lambda REST call for the counters.
func lambdaOp(r *http.Request) string {
	rest, ok := strings.CutPrefix(r.URL.Path, lambdaPath)
	rest = strings.TrimPrefix(rest, "/")
	switch {
	case !ok:
		return r.Method
	case rest == "":
		return "ListFunctions"
	case strings.HasSuffix(rest, "/aliases"):
		return "ListAliases"
	case strings.HasSuffix(rest, "/policy"):
		return "GetPolicy"
	}
	return r.Method
}

// SNS topics of the generated resources.

func (s *Server) snsTopics(acct, region string) []string {
	var out []string
	for _, n := range s.names("sns", acct, region) {
		out = append(out, fmt.Sprintf("arn:%s:sns:%s:%s:%s", s.w.opts.Partition, region, acct, n))
	}
	prefix := fmt.Sprintf("arn:%s:sns:%s:%s:", s.w.opts.Partition, region, acct)
	s.sns.mu.Lock()
	var created []string
	for arn := range s.sns.topics {
		if strings.HasPrefix(arn, prefix) {
			created = append(created, arn)
		}
	}
	s.sns.mu.Unlock()
	sort.Strings(created)
	return append(out, created...)
}

func (s *Server) serveSNSResources(c *call) bool {
	acct, region := c.id.account, c.region
	switch c.op {
	case "ListTopics":
		pg, next := page(s.snsTopics(acct, region), c.form.Get("NextToken"), s.Knobs().pageSize(0))
		b := new(x).open("Topics")
		for _, arn := range pg {
			b.open("member").el("TopicArn", arn).close("member")
		}
		b.close("Topics").opt("NextToken", next)
		c.writeQuery(b.String())
		return true
	case "GetTopicAttributes":
		topicARN := c.form.Get("TopicArn")
		a, _ := arn.Parse(topicARN)
		policy := ""
		if i, ok := s.indexOf("sns", acct, region, a.Resource); ok && a.AccountID == acct {
			policy = s.resourcePolicy(acct, topicARN, "sns:Publish", i)
		} else {
			s.sns.mu.Lock()
			known := s.sns.topics[topicARN]
			s.sns.mu.Unlock()
			if !known {
				c.fail(404, "NotFound", "Topic does not exist")
				return true
			}
			policy = s.resourcePolicy(acct, topicARN, "sns:Publish", 0)
		}
		b := new(x).open("Attributes")
		for _, kv := range [][2]string{{"TopicArn", topicARN}, {"Owner", acct}, {"Policy", policy}} {
			b.open("entry").el("key", kv[0]).el("value", kv[1]).close("entry")
		}
		c.writeQuery(b.close("Attributes").String())
		return true
	}
	return false
}

// S3 buckets of the generated resources: ResourceName("s3", account,
// region, i), listed by ListBuckets for their account.

// bucketOf parses a generated bucket name.
func (s *Server) bucketOf(name string) (acct, region string, i int, ok bool) {
	rest, found := strings.CutPrefix(name, "fk-s3-")
	if !found || len(rest) < 14 {
		return "", "", 0, false
	}
	acct, rest = rest[:12], rest[13:]
	j := strings.LastIndex(rest, "-")
	if j < 0 {
		return "", "", 0, false
	}
	region = rest[:j]
	i, ok = s.indexOf("s3", acct, region, name)
	return acct, region, i, ok
}

// s3Sub is the sub-resource of a bucket request (?policy, ?acl, …).
func s3Sub(r *http.Request) string {
	q := r.URL.Query()
	for _, sub := range []string{"policy", "acl", "publicAccessBlock", "location"} {
		if _, ok := q[sub]; ok {
			return sub
		}
	}
	return ""
}

// serveS3Resources answers ListBuckets and the bucket sub-resources the
// resource collector reads; it reports whether it answered.
func (s *Server) serveS3Resources(c *call) bool {
	k := s.Knobs()
	if strings.HasPrefix(c.r.URL.Path, "/v20180820/") {
		acct := c.r.Header.Get("X-Amz-Account-Id")
		if len(k.Regions) == 0 || acct != c.id.account || hash64("s3-account-bpa", acct)%2 != 0 {
			// S3 Control wraps its errors in ErrorResponse.
			c.w.Header().Set("Content-Type", "application/xml")
			c.w.WriteHeader(404)
			fmt.Fprintf(c.w, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<ErrorResponse><Error><Code>NoSuchPublicAccessBlockConfiguration</Code><Message>The public access block configuration was not found</Message></Error><RequestId>%s</RequestId></ErrorResponse>`, requestID())
			return true
		}
		c.w.Header().Set("Content-Type", "application/xml")
		fmt.Fprint(c.w, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<PublicAccessBlockConfiguration><BlockPublicAcls>true</BlockPublicAcls><IgnorePublicAcls>true</IgnorePublicAcls><BlockPublicPolicy>true</BlockPublicPolicy><RestrictPublicBuckets>true</RestrictPublicBuckets></PublicAccessBlockConfiguration>`)
		return true
	}
	if c.op == "ListBuckets" && c.r.Method == http.MethodGet {
		type b struct{ name, region string }
		var all []b
		for _, r := range k.Regions {
			for _, n := range s.names("s3", c.id.account, r) {
				all = append(all, b{n, r})
			}
		}
		sort.Slice(all, func(i, j int) bool { return all[i].name < all[j].name })
		names := make([]string, len(all))
		for i, e := range all {
			names[i] = e.name
		}
		q := c.r.URL.Query()
		asked, _ := strconv.Atoi(q.Get("max-buckets"))
		size := len(names) + 1
		if asked > 0 {
			size = k.pageSize(asked)
		}
		pg, next := page(names, q.Get("continuation-token"), size)
		out := new(x).raw(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Owner><ID>fakeaws</ID></Owner><Buckets>`)
		for _, n := range pg {
			_, region, _, _ := s.bucketOf(n)
			out.open("Bucket").el("Name", n).el("CreationDate", s.w.opts.Now.UTC().Format("2006-01-02T15:04:05.000Z")).el("BucketRegion", region).close("Bucket")
		}
		out.raw("</Buckets>").opt("ContinuationToken", next).raw("</ListAllMyBucketsResult>")
		c.w.Header().Set("Content-Type", "application/xml")
		fmt.Fprint(c.w, out.String())
		return true
	}
	bucket, key := bucketKey(c.r)
	sub := s3Sub(c.r)
	acct, region, i, ok := s.bucketOf(bucket)
	if !ok || key != "" || sub == "" || c.r.Method != http.MethodGet {
		return false
	}
	if acct != c.id.account {
		c.fail(403, "AccessDenied", "Access Denied")
		return true
	}
	if sub != "location" && c.region != region {
		c.w.Header().Set("X-Amz-Bucket-Region", region)
		c.fail(301, "PermanentRedirect", "The bucket you are attempting to access must be addressed using the specified endpoint.")
		return true
	}
	arn := "arn:" + s.w.opts.Partition + ":s3:::" + bucket
	c.w.Header().Set("Content-Type", "application/xml")
	switch sub {
	case "location":
		loc := region
		if loc == "us-east-1" {
			loc = ""
		}
		fmt.Fprintf(c.w, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/">%s</LocationConstraint>`, xesc(loc))
	case "policy":
		c.w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(c.w, s.resourcePolicy(acct, arn+"/*", "s3:GetObject", i))
	case "publicAccessBlock":
		if i != 0 {
			c.fail(404, "NoSuchPublicAccessBlockConfiguration", "The public access block configuration was not found")
			return true
		}
		fmt.Fprint(c.w, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<PublicAccessBlockConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><BlockPublicAcls>true</BlockPublicAcls><IgnorePublicAcls>true</IgnorePublicAcls><BlockPublicPolicy>true</BlockPublicPolicy><RestrictPublicBuckets>true</RestrictPublicBuckets></PublicAccessBlockConfiguration>`)
	case "acl":
		grants := fmt.Sprintf(`<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><ID>%s</ID></Grantee><Permission>FULL_CONTROL</Permission></Grant>`, fakeID("owner", acct))
		if ResourcePolicyKind(i) == "public" {
			grants += `<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Group"><URI>http://acs.amazonaws.com/groups/global/AllUsers</URI></Grantee><Permission>READ</Permission></Grant>`
		}
		fmt.Fprintf(c.w, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Owner><ID>%s</ID></Owner><AccessControlList>%s</AccessControlList></AccessControlPolicy>`, fakeID("owner", acct), grants)
	}
	return true
}

// s3SubOp names a bucket sub-resource GET for the counters.
func s3SubOp(r *http.Request) string {
	switch s3Sub(r) {
	case "policy":
		return "GetBucketPolicy"
	case "acl":
		return "GetBucketAcl"
	case "publicAccessBlock":
		return "GetPublicAccessBlock"
	case "location":
		return "GetBucketLocation"
	}
	return ""
}
