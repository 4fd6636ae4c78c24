package policygen

import (
	"strings"
	"sync"
	"sync/atomic"

	"github.com/orgiam/orgiam/internal/iamdata"
)

// sourcePrefix lists the event sources whose host name is not the service's
// IAM prefix. Every other source "x.amazonaws.com" is taken as prefix "x",
// and only kept when the catalogue knows it.
var sourcePrefix = map[string]string{
	"monitoring.amazonaws.com":             "cloudwatch",
	"email.amazonaws.com":                  "ses",
	"streams.dynamodb.amazonaws.com":       "dynamodb",
	"tagging.amazonaws.com":                "tag",
	"elasticloadbalancingv2.amazonaws.com": "elasticloadbalancing",
	"models.lex.amazonaws.com":             "lex",
	"runtime.lex.amazonaws.com":            "lex",
	"runtime.sagemaker.amazonaws.com":      "sagemaker",
	"api.sagemaker.amazonaws.com":          "sagemaker",
	"data.iot.amazonaws.com":               "iot",
	"bedrock-runtime.amazonaws.com":        "bedrock",
	"api.ecr.amazonaws.com":                "ecr",
	"ecr-public.amazonaws.com":             "ecr-public",
	"sso-directory.amazonaws.com":          "sso-directory",
	"identitystore.amazonaws.com":          "identitystore",
	"sso-oauth.amazonaws.com":              "sso-oauth",
	"execute-api.amazonaws.com":            "execute-api",
	"apigateway.amazonaws.com":             "apigateway",
	"es.amazonaws.com":                     "es",
	"elasticfilesystem.amazonaws.com":      "elasticfilesystem",
	"ssm-incidents.amazonaws.com":          "ssm-incidents",
	"sdb.amazonaws.com":                    "sdb",
	"cloudsearch.amazonaws.com":            "cloudsearch",
	"kinesisvideo.amazonaws.com":           "kinesisvideo",
	"resource-explorer-2.amazonaws.com":    "resource-explorer-2",
}

// eventAction lists the events whose names are not their IAM action (or
// that need more than one action), keyed "prefix:EventName". Sources: the
// S3 "Actions, resources, and condition keys" page and the CloudTrail
// S3 event reference. Every action named here must exist in the catalogue
// (checked by TestMismatchTableInCatalogue).
var eventAction = map[string][]string{
	"s3:ListObjects":                              {"s3:ListBucket"},
	"s3:ListObjectsV2":                            {"s3:ListBucket"},
	"s3:HeadObject":                               {"s3:GetObject"},
	"s3:HeadBucket":                               {"s3:ListBucket"},
	"s3:ListObjectVersions":                       {"s3:ListBucketVersions"},
	"s3:ListMultipartUploads":                     {"s3:ListBucketMultipartUploads"},
	"s3:ListParts":                                {"s3:ListMultipartUploadParts"},
	"s3:CreateMultipartUpload":                    {"s3:PutObject"},
	"s3:UploadPart":                               {"s3:PutObject"},
	"s3:UploadPartCopy":                           {"s3:PutObject"},
	"s3:CompleteMultipartUpload":                  {"s3:PutObject"},
	"s3:CopyObject":                               {"s3:PutObject"},
	"s3:DeleteObjects":                            {"s3:DeleteObject"},
	"s3:SelectObjectContent":                      {"s3:GetObject"},
	"s3:ListBuckets":                              {"s3:ListAllMyBuckets"},
	"s3:GetBucketLifecycle":                       {"s3:GetLifecycleConfiguration"},
	"s3:GetBucketLifecycleConfiguration":          {"s3:GetLifecycleConfiguration"},
	"s3:PutBucketLifecycle":                       {"s3:PutLifecycleConfiguration"},
	"s3:PutBucketLifecycleConfiguration":          {"s3:PutLifecycleConfiguration"},
	"s3:DeleteBucketLifecycle":                    {"s3:PutLifecycleConfiguration"},
	"s3:GetBucketEncryption":                      {"s3:GetEncryptionConfiguration"},
	"s3:PutBucketEncryption":                      {"s3:PutEncryptionConfiguration"},
	"s3:DeleteBucketEncryption":                   {"s3:PutEncryptionConfiguration"},
	"s3:GetBucketCors":                            {"s3:GetBucketCORS"},
	"s3:PutBucketCors":                            {"s3:PutBucketCORS"},
	"s3:DeleteBucketCors":                         {"s3:PutBucketCORS"},
	"s3:GetBucketReplication":                     {"s3:GetReplicationConfiguration"},
	"s3:PutBucketReplication":                     {"s3:PutReplicationConfiguration"},
	"s3:DeleteBucketReplication":                  {"s3:PutReplicationConfiguration"},
	"s3:DeleteBucketTagging":                      {"s3:PutBucketTagging"},
	"s3:DeleteBucketWebsite":                      {"s3:DeleteBucketWebsite"},
	"s3:GetBucketAccelerateConfiguration":         {"s3:GetAccelerateConfiguration"},
	"s3:PutBucketAccelerateConfiguration":         {"s3:PutAccelerateConfiguration"},
	"s3:GetBucketIntelligentTieringConfiguration": {"s3:GetIntelligentTieringConfiguration"},
	"s3:GetBucketMetricsConfiguration":            {"s3:GetMetricsConfiguration"},
	"s3:GetBucketInventoryConfiguration":          {"s3:GetInventoryConfiguration"},
	"s3:GetBucketAnalyticsConfiguration":          {"s3:GetAnalyticsConfiguration"},
	"s3:GetObjectLockConfiguration":               {"s3:GetBucketObjectLockConfiguration"},
	"s3:PutObjectLockConfiguration":               {"s3:PutBucketObjectLockConfiguration"},
	"s3:GetObjectLegalHold":                       {"s3:GetObjectLegalHold"},
	"s3:DeleteBucketPublicAccessBlock":            {"s3:PutBucketPublicAccessBlock"},
	"s3:DeleteBucketOwnershipControls":            {"s3:PutBucketOwnershipControls"},
	"s3:GetObjectAttributes":                      {"s3:GetObject", "s3:GetObjectAttributes"},
	"lambda:Invoke":                               {"lambda:InvokeFunction"},
	"lambda:InvokeAsync":                          {"lambda:InvokeFunction"},
	"lambda:InvokeWithResponseStream":             {"lambda:InvokeFunction"},
	"kms:ReEncrypt":                               {"kms:ReEncryptFrom", "kms:ReEncryptTo"},
	"dynamodb:BatchGetItem":                       {"dynamodb:BatchGetItem"},
}

// notIAM are events that no IAM action authorises (sign-in, MFA and SSO
// portal flows): they are counted, not reported as unmapped.
var notIAM = map[string]bool{
	"signin.amazonaws.com":                true,
	"sso.amazonaws.com:Federate":          true,
	"sts.amazonaws.com:GetCallerIdentity": true,
}

// Mapper maps CloudTrail events to IAM actions. It is safe for concurrent use.
type Mapper struct {
	cat   *iamdata.Catalog
	cache sync.Map // "source\x00name" → mapping
	// cached counts the cache's entries: a trail's event names are not
	// bounded (an unknown or crafted source can carry any), so past
	// maxCached names are resolved each time instead of kept.
	cached atomic.Int64
}

// maxCached bounds the mapping cache (a few hundred names in real trails).
const maxCached = 1 << 14

type mapping struct {
	actions []string // nil: unmapped
	notIAM  bool
}

// NewMapper returns a Mapper over the catalogue.
func NewMapper(cat *iamdata.Catalog) *Mapper { return &Mapper{cat: cat} }

// Map returns the IAM actions an event needs (catalogue spelling), whether
// the event is one IAM does not authorise at all, or nil when neither the
// catalogue nor the mismatch table knows it.
func (m *Mapper) Map(source, name string) (actions []string, notIAMEvent bool) {
	key := source + "\x00" + name
	if v, ok := m.cache.Load(key); ok {
		mp := v.(mapping)
		return mp.actions, mp.notIAM
	}
	mp := m.resolve(source, name)
	if m.cached.Add(1) <= maxCached {
		m.cache.Store(key, mp)
	}
	return mp.actions, mp.notIAM
}

func (m *Mapper) resolve(source, name string) mapping {
	if notIAM[source] || notIAM[source+":"+name] {
		return mapping{notIAM: true}
	}
	prefix, ok := sourcePrefix[source]
	if !ok {
		prefix, ok = strings.CutSuffix(source, ".amazonaws.com")
		if !ok {
			return mapping{}
		}
	}
	if _, ok := m.cat.Service(prefix); !ok {
		return mapping{}
	}
	if acts, ok := eventAction[prefix+":"+name]; ok {
		return mapping{actions: m.canonical(acts)}
	}
	for _, n := range nameCandidates(name) {
		if _, ok := m.cat.Action(prefix + ":" + n); ok {
			return mapping{actions: []string{m.cat.Canonical(prefix + ":" + n)}}
		}
	}
	return mapping{}
}

func (m *Mapper) canonical(acts []string) []string {
	out := make([]string, 0, len(acts))
	for _, a := range acts {
		if _, ok := m.cat.Action(a); ok {
			out = append(out, m.cat.Canonical(a))
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// nameCandidates returns the event name, then the name without an API
// version suffix: Lambda's date suffixes (ListFunctions20150331,
// GetFunctionConfiguration20150331v2) and a trailing V2 (ListObjectsV2
// style) — tried only after the full name, so actions that really end in
// V2 keep it.
func nameCandidates(name string) []string {
	out := []string{name}
	n := name
	if i := len(n) - 2; i > 0 && (n[i] == 'v' || n[i] == 'V') && n[i+1] >= '0' && n[i+1] <= '9' {
		n = n[:i]
		out = append(out, n)
	}
	if len(n) > 8 && allDigits(n[len(n)-8:]) {
		n = n[:len(n)-8]
		out = append(out, n)
	}
	return out
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
