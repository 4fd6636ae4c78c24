package policygen

import (
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/go-json-experiment/json"

	"github.com/orgiam/orgiam/internal/awsauth"
	"github.com/orgiam/orgiam/internal/iamdata"
)

// ResourceLevel is how far resource ARNs are generalised (--resources).
type ResourceLevel string

const (
	// ResourcesExact keeps the ARNs the events named.
	ResourcesExact ResourceLevel = "exact"
	// ResourcesService keeps the account, region and containing resource
	// and replaces the resource's own name by "*": arn:aws:s3:::bucket/key
	// → arn:aws:s3:::bucket/*, …:table/Orders → …:table/*. S3 bucket ARNs,
	// which name no account, stay exact (a "*" there would be every bucket
	// of every account).
	ResourcesService ResourceLevel = "service"
	// ResourcesNone grants every action on "*".
	ResourcesNone ResourceLevel = "none"
)

// ParseResourceLevel checks a --resources value.
func ParseResourceLevel(s string) (ResourceLevel, error) {
	switch l := ResourceLevel(s); l {
	case ResourcesExact, ResourcesService, ResourcesNone:
		return l, nil
	case "":
		return ResourcesService, nil
	}
	return "", fmt.Errorf("%q: expected exact, service or none", s)
}

// eventARNs returns the ARNs a record names: resources[], and for S3 the
// bucket and key of the request parameters (S3 records name the bucket in
// resources[] only for some events).
func eventARNs(r *Record) []string {
	var out []string
	for _, res := range r.Resources {
		if arn.IsARN(res.ARN) {
			out = append(out, res.ARN)
		}
	}
	if r.EventSource == "s3.amazonaws.com" && len(r.RequestParameters) > 0 && r.RequestParameters[0] == '{' {
		var p struct {
			Bucket string `json:"bucketName"`
			Key    string `json:"key"`
		}
		if json.Unmarshal(r.RequestParameters, &p) == nil && p.Bucket != "" && !strings.ContainsAny(p.Bucket, "/:*") {
			bucket := arn.ARN{Partition: awsauth.PartitionOfRegion(r.AWSRegion), Service: "s3", Resource: p.Bucket}
			out = append(out, bucket.String())
			if p.Key != "" {
				bucket.Resource += "/" + p.Key
				out = append(out, bucket.String())
			}
		}
	}
	return out
}

// template is a resource type's ARN template compiled to a pattern.
type template struct {
	re *regexp.Regexp
	// generalise is the index of the capture group "service" replaces by
	// "*", or -1 to keep the ARN exact.
	generalise int
}

var placeholder = regexp.MustCompile(`\$\{([A-Za-z0-9]+)\}`)

// compileTemplate turns arn:${Partition}:s3:::${BucketName}/${ObjectName}
// into a pattern. A placeholder matches one ARN segment (no ':' or '/'),
// except the last one when it names a path or an object key.
//
// A regular expression over the whole template, not arn.Parse: arn.Parse
// only splits the six fields, and the placeholders to match (and to replace
// by "*" at the service level) sit inside the resource field
// (table/${TableName}/stream/${StreamLabel}); an ARN itself is split with
// arn.Parse (allTemplates).
func compileTemplate(arnTemplate string) template {
	locs := placeholder.FindAllStringSubmatchIndex(arnTemplate, -1)
	var b strings.Builder
	b.WriteString("^")
	last := 0
	var names []string
	hasAccount := false
	for i, l := range locs {
		b.WriteString(regexp.QuoteMeta(arnTemplate[last:l[0]]))
		name := arnTemplate[l[2]:l[3]]
		names = append(names, name)
		switch {
		case name == "Account":
			hasAccount = true
			b.WriteString(`([^:/]*)`)
		case name == "Partition" || name == "Region":
			b.WriteString(`([^:/]*)`)
		case i == len(locs)-1 && l[1] == len(arnTemplate):
			// The resource's own name: object keys, paths and parameter
			// names hold '/'; other names after a '/' do not (a table's
			// index ARN is not the table's).
			if arnTemplate[l[0]-1] == ':' || strings.Contains(name, "Path") || strings.Contains(name, "Object") || strings.Contains(name, "Key") || strings.Contains(name, "Slash") {
				b.WriteString(`(.+)`)
			} else {
				b.WriteString(`([^/]+)`)
			}
		case l[1] < len(arnTemplate) && arnTemplate[l[1]] == ':':
			b.WriteString(`([^:]+)`) // log group names hold '/'
		default:
			b.WriteString(`([^:/]+)`)
		}
		last = l[1]
	}
	b.WriteString(regexp.QuoteMeta(arnTemplate[last:]))
	b.WriteString("$")
	t := template{re: regexp.MustCompile(b.String()), generalise: -1}
	var ident []int
	for i, n := range names {
		if n != "Partition" && n != "Region" && n != "Account" {
			ident = append(ident, i+1)
		}
	}
	if len(ident) > 1 || len(ident) == 1 && hasAccount {
		t.generalise = ident[len(ident)-1]
	}
	return t
}

// scoper decides the Resource of each action from an event's ARNs.
type scoper struct {
	cat   *iamdata.Catalog
	level ResourceLevel
	cache sync.Map // "prefix:type" → template
}

func (s *scoper) template(svc *iamdata.Service, typ string) (template, bool) {
	key := svc.Prefix + ":" + typ
	if v, ok := s.cache.Load(key); ok {
		return v.(template), true
	}
	for _, rt := range svc.ResourceTypes {
		if rt.Name == typ {
			t := compileTemplate(rt.ARN)
			s.cache.Store(key, t)
			return t, true
		}
	}
	return template{}, false
}

// resources returns the Resource values for action given the event's ARNs:
// the ARNs that match one of the action's resource types, generalised per
// the level; "*" when the action supports no resource-level permissions,
// when the level is none, or when no ARN of the event fits.
func (s *scoper) resources(action string, arns []string) []string {
	if s.level == ResourcesNone || len(arns) == 0 {
		return star
	}
	i := strings.IndexByte(action, ':')
	svc, ok := s.cat.Service(action[:i])
	a, ok2 := s.cat.Action(action)
	if !ok || !ok2 || len(a.Resources) == 0 {
		return star
	}
	var out []string
	for _, arnStr := range arns {
		for _, ref := range a.Resources {
			t, ok := s.template(svc, ref.Type)
			if !ok {
				continue
			}
			m := t.re.FindStringSubmatchIndex(arnStr)
			if m == nil {
				continue
			}
			if s.level == ResourcesService && t.generalise > 0 {
				g := t.generalise
				arnStr = arnStr[:m[2*g]] + "*" + arnStr[m[2*g+1]:]
			}
			out = append(out, arnStr)
			break
		}
	}
	if len(out) == 0 {
		return star
	}
	return out
}

var star = []string{"*"}

// allTemplates returns the compiled templates of the service an ARN names.
func (s *scoper) allTemplates(arnStr string) []template {
	a, err := arn.Parse(arnStr)
	if err != nil {
		return nil
	}
	svc, ok := s.cat.Service(a.Service)
	if !ok {
		return nil
	}
	var out []template
	for _, rt := range svc.ResourceTypes {
		if t, ok := s.template(svc, rt.Name); ok {
			out = append(out, t)
		}
	}
	return out
}
