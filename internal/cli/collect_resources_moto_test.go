package cli

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	s3ctltypes "github.com/aws/aws-sdk-go-v2/service/s3control/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	smithyendpoints "github.com/aws/smithy-go/endpoints"

	"github.com/orgiam/orgiam/internal/snapshot"
	"github.com/orgiam/orgiam/internal/store"
	"github.com/orgiam/orgiam/internal/testutil/moto"
)

// motoS3ControlHost keeps the test's own S3 Control calls on moto's host:
// the endpoint rules put the account id in front of it.
type motoS3ControlHost struct {
	inner s3control.EndpointResolverV2
	host  string
}

func (m motoS3ControlHost) ResolveEndpoint(ctx context.Context, p s3control.EndpointParameters) (smithyendpoints.Endpoint, error) {
	e, err := m.inner.ResolveEndpoint(ctx, p)
	if err == nil {
		e.URI.Host = m.host
	}
	return e, err
}

// lambdaZip is a deployment package with one handler file.
func lambdaZip(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	z := zip.NewWriter(&b)
	f, err := z.Create("index.py")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("def handler(event, context):\n    return event\n")); err != nil {
		t.Fatal(err)
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestCollectResourcesAgainstMoto builds an organization with resource
// policies in two regions in moto, collects it with --regions, and checks
// the stored region items, resources.json, the manifest and the answers of
// `query resources`.
func TestCollectResourcesAgainstMoto(t *testing.T) {
	// moto_server starts before isolate: its botocore refuses an empty
	// AWS_PROFILE.
	srv := moto.Start(t)
	isolate(t)
	ctx := context.Background()
	base := baseCfg(srv.Endpoint)
	const external = "999999999999" // outside the organization
	const east, west = "us-east-1", "eu-west-1"
	// An opt-in region moto lists as not-opted-in: selected, not enabled,
	// so skipped in every account.
	const optIn = "ap-east-1"

	org := buildOrg(t, ctx, base, map[string]string{"prod-a": "Prod", "dev-b": "Sandbox"})
	prod, dev := org.accounts["prod-a"], org.accounts["dev-b"]
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	in := func(account, region string) aws.Config {
		c := assumed(base, account, "OrganizationAccountAccessRole")
		c.Region = region
		return c
	}
	doc := func(stmts ...string) string {
		return `{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`
	}
	root := func(account string) string { return "arn:aws:iam::" + account + ":root" }

	// S3 in prod-a: buckets in both regions.
	s3c := func(region string) *s3.Client {
		return s3.NewFromConfig(in(prod, region), func(o *s3.Options) { o.UsePathStyle = true })
	}
	mkBucket := func(c *s3.Client, name, region string) {
		t.Helper()
		in := &s3.CreateBucketInput{Bucket: aws.String(name)}
		if region != east {
			in.CreateBucketConfiguration = &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(region)}
		}
		must(c.CreateBucket(ctx, in))
	}
	se, sw := s3c(east), s3c(west)
	mkBucket(se, "a-public", east)
	must(se.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("a-public"), Policy: aws.String(doc(
		`{"Sid":"Anyone","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::a-public/*"}`))}))
	mkBucket(sw, "a-cross", west)
	must(sw.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("a-cross"), Policy: aws.String(doc(
		`{"Sid":"Dev","Effect":"Allow","Principal":{"AWS":"` + root(dev) + `"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::a-cross/*"}`))}))
	// A public policy on a bucket whose own Block Public Access restricts
	// public buckets: not public.
	mkBucket(se, "a-private", east)
	must(se.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("a-private"), Policy: aws.String(doc(
		`{"Sid":"Blocked","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::a-private/*"}`))}))
	must(se.PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{Bucket: aws.String("a-private"), PublicAccessBlockConfiguration: &s3types.PublicAccessBlockConfiguration{
		BlockPublicAcls: aws.Bool(true), IgnorePublicAcls: aws.Bool(true), BlockPublicPolicy: aws.Bool(true), RestrictPublicBuckets: aws.Bool(true)}}))
	mkBucket(sw, "a-acl", west)
	must(sw.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: aws.String("a-acl"), ACL: s3types.BucketCannedACLPublicRead}))

	// S3 in dev-b: a public bucket policy under the account's Block Public
	// Access, which restricts it.
	sd := s3.NewFromConfig(in(dev, east), func(o *s3.Options) { o.UsePathStyle = true })
	mkBucket(sd, "b-blocked", east)
	must(sd.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("b-blocked"), Policy: aws.String(doc(
		`{"Sid":"Anyone","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b-blocked/*"}`))}))
	u, err := url.Parse(srv.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	ctl := s3control.NewFromConfig(in(dev, east), func(o *s3control.Options) {
		o.EndpointResolverV2 = motoS3ControlHost{inner: s3control.NewDefaultEndpointResolverV2(), host: u.Host}
	})
	must(ctl.PutPublicAccessBlock(ctx, &s3control.PutPublicAccessBlockInput{AccountId: aws.String(dev), PublicAccessBlockConfiguration: &s3ctltypes.PublicAccessBlockConfiguration{
		BlockPublicAcls: aws.Bool(true), IgnorePublicAcls: aws.Bool(true), BlockPublicPolicy: aws.Bool(false), RestrictPublicBuckets: aws.Bool(true)}}))

	// KMS: a key shared with dev-b in us-east-1, one with an outside account
	// in eu-west-1.
	keyPolicy := func(grantee string) string {
		return doc(`{"Sid":"Owner","Effect":"Allow","Principal":{"AWS":"`+root(prod)+`"},"Action":"kms:*","Resource":"*"}`,
			`{"Sid":"Grantee","Effect":"Allow","Principal":{"AWS":"`+root(grantee)+`"},"Action":["kms:Decrypt","kms:DescribeKey"],"Resource":"*"}`)
	}
	ke, err := kms.NewFromConfig(in(prod, east)).CreateKey(ctx, &kms.CreateKeyInput{Policy: aws.String(keyPolicy(dev)), Description: aws.String("shared with dev")})
	must(ke, err)
	kw, err := kms.NewFromConfig(in(prod, west)).CreateKey(ctx, &kms.CreateKeyInput{Policy: aws.String(keyPolicy(external)), Description: aws.String("shared with a vendor")})
	must(kw, err)

	// A key in dev-b whose policy denies kms:DescribeKey to everyone: the
	// collector is refused (moto checks a key policy's Deny statements for
	// DescribeKey only), so dev-b's us-east-1 item is partial.
	kd, err := kms.NewFromConfig(in(dev, east)).CreateKey(ctx, &kms.CreateKeyInput{BypassPolicyLockoutSafetyCheck: true, Policy: aws.String(doc(
		`{"Sid":"Owner","Effect":"Allow","Principal":{"AWS":"`+root(dev)+`"},"Action":"kms:*","Resource":"*"}`,
		`{"Sid":"NoDescribe","Effect":"Deny","Principal":"*","Action":"kms:DescribeKey","Resource":"*"}`))})
	must(kd, err)

	// SQS in eu-west-1: anyone in the organization.
	q, err := sqs.NewFromConfig(in(prod, west)).CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("org-queue")})
	must(q, err)
	queueArn := "arn:aws:sqs:" + west + ":" + prod + ":org-queue"
	must(sqs.NewFromConfig(in(prod, west)).SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: q.QueueUrl, Attributes: map[string]string{"Policy": doc(
		`{"Sid":"Org","Effect":"Allow","Principal":"*","Action":"sqs:SendMessage","Resource":"` + queueArn + `","Condition":{"StringEquals":{"aws:PrincipalOrgID":"` + org.id + `"}}}`)}}))

	// SNS in us-east-1: anyone may publish.
	topic, err := sns.NewFromConfig(in(prod, east)).CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("public-topic")})
	must(topic, err)
	must(sns.NewFromConfig(in(prod, east)).SetTopicAttributes(ctx, &sns.SetTopicAttributesInput{TopicArn: topic.TopicArn, AttributeName: aws.String("Policy"), AttributeValue: aws.String(doc(
		`{"Sid":"Anyone","Effect":"Allow","Principal":{"AWS":"*"},"Action":"sns:Publish","Resource":"` + aws.ToString(topic.TopicArn) + `"}`))}))

	// Lambda in eu-west-1: the function invocable by an outside account, its
	// alias by dev-b.
	trust := doc(`{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}`)
	role, err := iam.NewFromConfig(in(prod, east)).CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("fn-role"), AssumeRolePolicyDocument: aws.String(trust)})
	must(role, err)
	lw := lambda.NewFromConfig(in(prod, west))
	fn, err := lw.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("vendor-fn"), Runtime: lambdatypes.RuntimePython312, Role: role.Role.Arn,
		Handler: aws.String("index.handler"), Code: &lambdatypes.FunctionCode{ZipFile: lambdaZip(t)}, Publish: true})
	must(fn, err)
	must(lw.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String("vendor-fn"), StatementId: aws.String("vendor"), Action: aws.String("lambda:InvokeFunction"), Principal: aws.String(external)}))
	must(lw.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("vendor-fn"), Name: aws.String("live"), FunctionVersion: fn.Version}))
	must(lw.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String("vendor-fn"), Qualifier: aws.String("live"), StatementId: aws.String("dev"),
		Action: aws.String("lambda:InvokeFunction"), Principal: aws.String(root(dev))}))

	// Secrets Manager in us-east-1: dev-b may read the secret.
	sec, err := secretsmanager.NewFromConfig(in(prod, east)).CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("db-password"), SecretString: aws.String("not-a-real-value")})
	must(sec, err)
	must(secretsmanager.NewFromConfig(in(prod, east)).PutResourcePolicy(ctx, &secretsmanager.PutResourcePolicyInput{SecretId: sec.ARN, ResourcePolicy: aws.String(doc(
		`{"Sid":"Dev","Effect":"Allow","Principal":{"AWS":"` + root(dev) + `"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}`))}))

	// ECR: a repository in eu-west-1 an outside account may pull from, and
	// the us-east-1 registry's policy letting dev-b replicate into it.
	ew := ecr.NewFromConfig(in(prod, west))
	repo, err := ew.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String("shared-repo")})
	must(repo, err)
	must(ew.SetRepositoryPolicy(ctx, &ecr.SetRepositoryPolicyInput{RepositoryName: aws.String("shared-repo"), PolicyText: aws.String(doc(
		`{"Sid":"Vendor","Effect":"Allow","Principal":{"AWS":"` + root(external) + `"},"Action":["ecr:BatchGetImage","ecr:GetDownloadUrlForLayer"]}`))}))
	must(ecr.NewFromConfig(in(prod, east)).PutRegistryPolicy(ctx, &ecr.PutRegistryPolicyInput{PolicyText: aws.String(doc(
		`{"Sid":"Replicate","Effect":"Allow","Principal":{"AWS":"` + root(dev) + `"},"Action":["ecr:ReplicateImage","ecr:CreateRepository"],"Resource":"arn:aws:ecr:` + east + `:` + prod + `:repository/*"}`))}))

	// AWS keeps a policy per qualifier; moto keeps one per function
	// (AddPermission with a Qualifier adds to it, GetPolicy answers it for
	// every qualifier). Then the function and its alias are stored with the
	// same two statements, and the assertions below that tell them apart
	// are relaxed to "has its own statement".
	fp, err := lw.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String("vendor-fn")})
	must(fp, err)
	lambdaOnePolicy := strings.Contains(aws.ToString(fp.Policy), `"dev"`)

	// Collect the two regions.
	dir := t.TempDir()
	t.Setenv("AWS_ENDPOINT_URL", srv.Endpoint)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLEBASE00000")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	storeDir := filepath.Join(dir, "data")
	const run = "2026-11-23"
	var out, errb bytes.Buffer
	code := Run(ctx, []string{"collect", "--org-role", "arn:aws:iam::" + mgmt + ":role/orgiam-list",
		"--store", storeDir, "--date", run, "--credential-report-wait", "100ms", "--regions", east + "," + west + "," + optIn,
	}, IO{Out: &out, Err: &errb, Now: testNow})
	if code != ExitOK {
		t.Fatalf("collect: exit %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errb.String())
	}

	r := snapshot.Reader{Store: store.NewFile(storeDir), Run: run}
	m, err := r.Manifest(ctx)
	if err != nil {
		t.Fatal(err)
	}
	status := map[string]string{}
	for _, a := range m.Accounts {
		status[a.ID] = a.Status
	}
	for id, want := range map[string]string{mgmt: "ok", prod: "ok", dev: "partial"} {
		if status[id] != want {
			t.Errorf("account %s: status %q, want %s (manifest %v)", id, status[id], want, status)
		}
	}
	if m.Totals.Partial != 1 || !strings.Contains(out.String(), "partial") || !strings.Contains(out.String(), dev) {
		t.Errorf("partial total %d; summary:\n%s", m.Totals.Partial, out.String())
	}
	if len(status) != 3 {
		t.Errorf("manifest accounts %v, want the 3 of the organization", status)
	}
	for _, id := range []string{mgmt, prod, dev} {
		info, err := r.AccountInfo(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		// The plan: every selected region, the skipped one included.
		if strings.Join(info.Scan.Regions, ",") != optIn+","+west+","+east {
			t.Errorf("account %s: scan regions %v", id, info.Scan.Regions)
		}
		if len(info.Scan.CollectorWarnings) != 0 {
			t.Errorf("account %s: account item warnings %+v", id, info.Scan.CollectorWarnings)
		}
	}

	// policyOf decodes a stored policy (an object, not a string).
	policyOf := func(res snapshot.Resource) map[string]any {
		t.Helper()
		if len(res.Policy) == 0 {
			return nil
		}
		var p map[string]any
		if err := json.Unmarshal(res.Policy, &p); err != nil {
			t.Fatalf("%s: policy is not a JSON object: %v: %s", res.ARN, err, res.Policy)
		}
		return p
	}
	// sids are a policy's statement ids, sorted.
	sids := func(res snapshot.Resource) string {
		p := policyOf(res)
		st, _ := p["Statement"].([]any)
		var out []string
		for _, s := range st {
			m, _ := s.(map[string]any)
			out = append(out, m["Sid"].(string))
		}
		sort.Strings(out)
		return strings.Join(out, ",")
	}

	// resources.json: every bucket of prod-a with its region and settings.
	ar, err := r.AccountResources(ctx, prod)
	if err != nil || ar == nil {
		t.Fatalf("resources.json of %s: %v %v", prod, ar, err)
	}
	if ar.AccountID != prod || ar.S3BlockPublicAccess != nil || len(ar.Warnings) != 0 {
		t.Errorf("resources.json of %s: account %s, block public access %+v, warnings %+v", prod, ar.AccountID, ar.S3BlockPublicAccess, ar.Warnings)
	}
	buckets := map[string]snapshot.Resource{}
	for _, b := range ar.Resources {
		buckets[b.Name] = b
	}
	if len(buckets) != 4 {
		t.Errorf("buckets of %s: %v", prod, buckets)
	}
	for name, want := range map[string]struct{ region, sids string }{
		"a-public": {east, "Anyone"}, "a-cross": {west, "Dev"}, "a-private": {east, "Blocked"}, "a-acl": {west, ""},
	} {
		b := buckets[name]
		if b.ARN != "arn:aws:s3:::"+name || b.Service != "s3" || b.Type != "bucket" || b.Account != prod || b.Region != want.region || sids(b) != want.sids {
			t.Errorf("bucket %s: %+v (policy %s), want region %s, statements %q", name, b, b.Policy, want.region, want.sids)
		}
	}
	if bpa := buckets["a-private"].BlockPublicAccess; bpa == nil || !bpa.BlockPublicAcls || !bpa.IgnorePublicAcls || !bpa.BlockPublicPolicy || !bpa.RestrictPublicBuckets {
		t.Errorf("a-private block public access %+v", bpa)
	}
	if buckets["a-public"].BlockPublicAccess != nil {
		t.Errorf("a-public block public access %+v, want none", buckets["a-public"].BlockPublicAccess)
	}
	if g := buckets["a-acl"].PublicGrants; len(g) != 1 || g[0] != (snapshot.ACLGrant{Grantee: "AllUsers", Permission: "READ"}) {
		t.Errorf("a-acl grants %+v", g)
	}
	if len(buckets["a-public"].PublicGrants) != 0 {
		t.Errorf("a-public grants %+v", buckets["a-public"].PublicGrants)
	}
	ad, err := r.AccountResources(ctx, dev)
	if err != nil || ad == nil {
		t.Fatalf("resources.json of %s: %v %v", dev, ad, err)
	}
	if bpa := ad.S3BlockPublicAccess; bpa == nil || !bpa.BlockPublicAcls || !bpa.IgnorePublicAcls || bpa.BlockPublicPolicy || !bpa.RestrictPublicBuckets {
		t.Errorf("account block public access of %s: %+v", dev, bpa)
	}
	if len(ad.Resources) != 1 || ad.Resources[0].Name != "b-blocked" || ad.Resources[0].Region != east {
		t.Errorf("buckets of %s: %+v", dev, ad.Resources)
	}

	// Region items: the regional resources, each in its own region's file.
	type want struct{ service, typ, arn, sids string }
	regional := map[string][]want{
		east: {
			{"kms", "key", aws.ToString(ke.KeyMetadata.Arn), "Grantee,Owner"},
			{"sns", "topic", aws.ToString(topic.TopicArn), "Anyone"},
			{"secretsmanager", "secret", aws.ToString(sec.ARN), "Dev"},
			{"ecr", "registry", "arn:aws:ecr:" + east + ":" + prod + ":registry/" + prod, "Replicate"},
		},
		west: {
			{"kms", "key", aws.ToString(kw.KeyMetadata.Arn), "Grantee,Owner"},
			{"sqs", "queue", queueArn, "Org"},
			{"lambda", "function", "arn:aws:lambda:" + west + ":" + prod + ":function:vendor-fn", "vendor"},
			{"lambda", "alias", "arn:aws:lambda:" + west + ":" + prod + ":function:vendor-fn:live", "dev"},
			{"ecr", "repository", aws.ToString(repo.Repository.RepositoryArn), "Vendor"},
		},
	}
	for region, wants := range regional {
		s, err := r.RegionScan(ctx, prod, region)
		if err != nil {
			t.Fatalf("region %s of %s: %v", region, prod, err)
		}
		if s.Status != "ok" || s.AccountID != prod || s.Region != region || len(s.Warnings) != 0 {
			t.Errorf("region %s of %s: status %q reason %q warnings %+v", region, prod, s.Status, s.Reason, s.Warnings)
		}
		if got := strings.Join(s.Collectors, ","); got != "kms,sqs,sns,lambda,secretsmanager,ecr,access-analyzer" {
			t.Errorf("region %s collectors %s", region, got)
		}
		byARN := map[string]snapshot.Resource{}
		for _, res := range s.Resources {
			if res.Region != region || res.Account != prod {
				t.Errorf("region %s: resource %s has region %q account %q", region, res.ARN, res.Region, res.Account)
			}
			byARN[res.ARN] = res
		}
		for _, w := range wants {
			res, ok := byARN[w.arn]
			if !ok {
				t.Errorf("region %s: no %s %s in %v", region, w.typ, w.arn, s.Resources)
				continue
			}
			got := sids(res)
			if lambdaOnePolicy && res.Service == "lambda" && got == "dev,vendor" {
				got = w.sids // moto: one policy for the function and its alias
			}
			if w.service == "kms" && (res.Attributes["KeyManager"] != "CUSTOMER" || res.Attributes["KeyState"] != "Enabled" || res.Name != res.ARN[strings.LastIndex(res.ARN, "/")+1:]) {
				t.Errorf("region %s: key %s: name %q attributes %v", region, res.ARN, res.Name, res.Attributes)
			}
			if w.typ == "alias" && res.Attributes["FunctionVersion"] != aws.ToString(fn.Version) {
				t.Errorf("region %s: alias %s attributes %v, want FunctionVersion %s", region, res.ARN, res.Attributes, aws.ToString(fn.Version))
			}
			if res.Service != w.service || res.Type != w.typ || got != w.sids {
				t.Errorf("region %s: %s is %s/%s with statements %q (%s), want %s/%s %q", region, w.arn, res.Service, res.Type, sids(res), res.Policy, w.service, w.typ, w.sids)
			}
		}
		if len(s.Resources) != len(wants) {
			t.Errorf("region %s: %d resources, want %d: %+v", region, len(s.Resources), len(wants), s.Resources)
		}
	}
	// The region not enabled is skipped with the reason, in every account.
	for _, id := range []string{mgmt, prod, dev} {
		s, err := r.RegionScan(ctx, id, optIn)
		if err != nil || s.Status != "skipped" || !strings.Contains(s.Reason, "not enabled") || len(s.Resources) != 0 {
			t.Errorf("region %s of %s: %v status %q reason %q", optIn, id, err, s.Status, s.Reason)
		}
	}
	// The other accounts' region items exist and are empty, but dev-b's
	// us-east-1, which records the refused key.
	for _, id := range []string{mgmt, dev} {
		for _, region := range []string{east, west} {
			s, err := r.RegionScan(ctx, id, region)
			if id == dev && region == east {
				keyArn := aws.ToString(kd.KeyMetadata.Arn)
				if err != nil || s.Status != "partial" || len(s.Resources) != 0 || len(s.Warnings) != 1 {
					t.Errorf("region %s of %s: %v status %q resources %+v warnings %+v", region, id, err, s.Status, s.Resources, s.Warnings)
				} else if w := s.Warnings[0]; w.Collector != "kms" || w.Region != east || w.Operation != "kms:DescribeKey" || w.Code != "AccessDeniedException" || w.Resource != keyArn {
					t.Errorf("region %s of %s: warning %+v, want kms:DescribeKey AccessDeniedException on %s", region, id, w, keyArn)
				}
				continue
			}
			if err != nil || s.Status != "ok" || len(s.Resources) != 0 {
				t.Errorf("region %s of %s: %v status %q resources %+v", region, id, err, s.Status, s.Resources)
			}
		}
	}

	// The index and `query resources`.
	out.Reset()
	errb.Reset()
	if code := Run(ctx, []string{"index", "--store", storeDir, "--run", run}, IO{Out: &out, Err: &errb, Now: testNow}); code != ExitOK {
		t.Fatalf("index: exit %d: %s", code, errb.String())
	}
	query := func(args ...string) []string {
		t.Helper()
		var o, e bytes.Buffer
		code := Run(ctx, append([]string{"query", "resources", "--store", storeDir, "--run", run, "--format", "json"}, args...), IO{Out: &o, Err: &e, Now: testNow})
		if code != ExitOK {
			t.Fatalf("query resources %v: exit %d: %s", args, code, e.String())
		}
		var rows []map[string]string
		if err := json.Unmarshal(o.Bytes(), &rows); err != nil {
			t.Fatalf("query resources %v: %v\n%s", args, err, o.String())
		}
		var got []string
		for _, row := range rows {
			s := row["name"] + "@" + row["region"] + "=" + row["exposure"]
			if row["conditional"] == "yes" {
				s += "?"
			}
			got = append(got, s)
		}
		sort.Strings(got)
		return got
	}
	// The key's name is its id.
	keyEast, keyWest := aws.ToString(ke.KeyMetadata.KeyId), aws.ToString(kw.KeyMetadata.KeyId)
	for _, tt := range []struct {
		args []string
		want []string
	}{
		// a-private (its own Block Public Access) and b-blocked (the
		// account's) are restricted, so neither is public.
		{[]string{"--public"}, []string{"a-acl@" + west + "=public", "a-public@" + east + "=public", "public-topic@" + east + "=public"}},
		{[]string{"--cross-account"}, []string{"a-cross@" + west + "=cross-account", "db-password@" + east + "=cross-account", keyEast + "@" + east + "=cross-account",
			"org-queue@" + west + "=cross-account?", prod + "@" + east + "=cross-account", "vendor-fn:live@" + west + "=cross-account"}},
		{[]string{"--external"}, []string{keyWest + "@" + west + "=external", "shared-repo@" + west + "=external", "vendor-fn@" + west + "=external"}},
	} {
		got := query(tt.args...)
		if lambdaOnePolicy {
			// With moto's one policy, the function and the alias both hold
			// the outside and the dev-b statements: compare the rest, and
			// check the Lambda rows only by name.
			got, tt.want = withoutLambda(got), withoutLambda(tt.want)
		}
		sort.Strings(tt.want)
		if got, want := strings.Join(got, " "), strings.Join(tt.want, " "); got != want {
			t.Errorf("query resources %v\n got %s\nwant %s", tt.args, got, want)
		}
	}
	if lambdaOnePolicy {
		ext := strings.Join(query("--external"), " ")
		if !strings.Contains(ext, "vendor-fn@"+west+"=external") || !strings.Contains(ext, "vendor-fn:live@"+west+"=external") {
			t.Errorf("query resources --external: Lambda rows missing: %s", ext)
		}
	}
}

// withoutLambda drops the vendor-fn rows of a query answer.
func withoutLambda(rows []string) []string {
	var out []string
	for _, r := range rows {
		if !strings.HasPrefix(r, "vendor-fn") {
			out = append(out, r)
		}
	}
	return out
}
