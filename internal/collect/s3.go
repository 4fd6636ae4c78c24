package collect

import (
	"context"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	smithyendpoints "github.com/aws/smithy-go/endpoints"

	"github.com/orgiam/orgiam/internal/snapshot"
)

// S3API is the part of the S3 client the collectors use.
type S3API interface {
	ListBuckets(context.Context, *s3.ListBucketsInput, ...func(*s3.Options)) (*s3.ListBucketsOutput, error)
	GetBucketLocation(context.Context, *s3.GetBucketLocationInput, ...func(*s3.Options)) (*s3.GetBucketLocationOutput, error)
	GetBucketPolicy(context.Context, *s3.GetBucketPolicyInput, ...func(*s3.Options)) (*s3.GetBucketPolicyOutput, error)
	GetPublicAccessBlock(context.Context, *s3.GetPublicAccessBlockInput, ...func(*s3.Options)) (*s3.GetPublicAccessBlockOutput, error)
	GetBucketAcl(context.Context, *s3.GetBucketAclInput, ...func(*s3.Options)) (*s3.GetBucketAclOutput, error)
}

// S3ControlAPI is the part of the S3 Control client the collectors use.
type S3ControlAPI interface {
	GetPublicAccessBlock(context.Context, *s3control.GetPublicAccessBlockInput, ...func(*s3control.Options)) (*s3control.GetPublicAccessBlockOutput, error)
}

func (c *sdkClients) S3(region string) S3API {
	if region == "" {
		region = c.cfg.Region
	}
	return client(c, "s3@"+region, func(cfg aws.Config) S3API {
		return s3.NewFromConfig(cfg, func(o *s3.Options) {
			o.Region = region
			// An emulator's endpoint (AWS_ENDPOINT_URL) has no bucket
			// subdomains.
			o.UsePathStyle = cfg.BaseEndpoint != nil
		})
	})
}

func (c *sdkClients) S3Control() S3ControlAPI {
	return client(c, "s3control", func(cfg aws.Config) S3ControlAPI {
		return s3control.NewFromConfig(cfg, func(o *s3control.Options) {
			if cfg.BaseEndpoint != nil {
				if u, err := url.Parse(*cfg.BaseEndpoint); err == nil && u.Host != "" {
					o.EndpointResolverV2 = baseHost{inner: s3control.NewDefaultEndpointResolverV2(), host: u.Host}
				}
			}
		})
	})
}

// baseHost keeps S3 Control calls on a custom endpoint's own host: the
// endpoint rules put the account id in front of it
// (123456789012.127.0.0.1:5000), a name an emulator on a loopback address
// does not have; it reads the account from the x-amz-account-id header.
type baseHost struct {
	inner s3control.EndpointResolverV2
	host  string
}

func (b baseHost) ResolveEndpoint(ctx context.Context, p s3control.EndpointParameters) (smithyendpoints.Endpoint, error) {
	e, err := b.inner.ResolveEndpoint(ctx, p)
	if err == nil {
		e.URI.Host = b.host
	}
	return e, err
}

// S3Collector reads the account's S3 buckets — listed once for every region
// — with each bucket's region, policy, Block Public Access and ACL grants to
// everyone or to any authenticated AWS user, each read through the bucket's
// own regional endpoint, and the account's Block Public Access (s3control).
// It writes accounts/<id>/resources.json.
type S3Collector struct{}

var _ Collector = S3Collector{}

// Name is "s3".
func (S3Collector) Name() string { return "s3" }

// Scope is ScopeAccount: ListBuckets answers for every region.
func (S3Collector) Scope() Scope { return ScopeAccount }

// Actions are the IAM actions of the collector's calls (ListBuckets is
// s3:ListAllMyBuckets, GetPublicAccessBlock s3:GetBucketPublicAccessBlock
// and s3:GetAccountPublicAccessBlock).
func (S3Collector) Actions() []string {
	return []string{"s3:ListAllMyBuckets", "s3:GetBucketLocation", "s3:GetBucketPolicy",
		"s3:GetBucketPublicAccessBlock", "s3:GetBucketAcl", "s3:GetAccountPublicAccessBlock"}
}

// aclGroups are the grantee groups of a public ACL grant.
var aclGroups = map[string]string{
	"http://acs.amazonaws.com/groups/global/AllUsers":           "AllUsers",
	"http://acs.amazonaws.com/groups/global/AuthenticatedUsers": "AuthenticatedUsers",
}

// Collect reads the account's Block Public Access and every bucket.
func (c S3Collector) Collect(ctx context.Context, it *Item, w Writer) error {
	bpa, err := it.Clients.S3Control().GetPublicAccessBlock(ctx, &s3control.GetPublicAccessBlockInput{AccountId: aws.String(it.Account)})
	switch {
	case err == nil && bpa.PublicAccessBlockConfiguration != nil:
		p := bpa.PublicAccessBlockConfiguration
		w.AccountBlockPublicAccess(&snapshot.BlockPublicAccess{BlockPublicAcls: aws.ToBool(p.BlockPublicAcls), IgnorePublicAcls: aws.ToBool(p.IgnorePublicAcls),
			BlockPublicPolicy: aws.ToBool(p.BlockPublicPolicy), RestrictPublicBuckets: aws.ToBool(p.RestrictPublicBuckets)})
	case ErrorCode(err) == "NoSuchPublicAccessBlockConfiguration":
	default:
		if err := settle(it.call(c.Name(), "s3:GetAccountPublicAccessBlock", "", err)); err != nil {
			w.Resources([]snapshot.Resource{})
			return err
		}
	}

	api := it.Clients.S3("")
	var buckets []s3types.Bucket
	p := s3.NewListBucketsPaginator(api, &s3.ListBucketsInput{})
	for p.HasMorePages() {
		out, perr := p.NextPage(ctx)
		if err = it.call(c.Name(), "s3:ListAllMyBuckets", "", perr); err != nil {
			break
		}
		buckets = append(buckets, out.Buckets...)
	}
	var res resources
	if err == nil {
		err = forEach(ctx, it.Parallel, buckets, func(ctx context.Context, b s3types.Bucket) error {
			return c.bucket(ctx, it, api, b, &res)
		})
	}
	w.Resources(res.list())
	return settle(err)
}

// bucket reads one bucket into res.
func (c S3Collector) bucket(ctx context.Context, it *Item, api S3API, b s3types.Bucket, res *resources) error {
	name := aws.ToString(b.Name)
	r := snapshot.Resource{Service: "s3", Type: "bucket", ARN: "arn:" + it.Partition + ":s3:::" + name, Name: name, Account: it.Account,
		Region: aws.ToString(b.BucketRegion)}
	if r.Region == "" {
		loc, err := api.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String(name)})
		if ErrorCode(err) == "NoSuchBucket" {
			return nil // deleted since the listing
		}
		if err := it.call(c.Name(), "s3:GetBucketLocation", r.ARN, err); err != nil {
			res.add(r)
			return err
		}
		r.Region = bucketRegion(string(loc.LocationConstraint))
	}
	defer func() { res.add(r) }()
	rapi := it.Clients.S3(r.Region)

	pol, err := rapi.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(name)})
	switch ErrorCode(err) {
	case "NoSuchBucketPolicy":
	case "NoSuchBucket":
		return nil
	default:
		if err := it.call(c.Name(), "s3:GetBucketPolicy", r.ARN, err); err != nil {
			return err
		}
		it.withPolicy(c.Name(), &r, aws.ToString(pol.Policy))
	}

	pab, err := rapi.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: aws.String(name)})
	switch ErrorCode(err) {
	case "NoSuchPublicAccessBlockConfiguration":
	default:
		if err := it.call(c.Name(), "s3:GetBucketPublicAccessBlock", r.ARN, err); err != nil {
			return err
		}
		if p := pab.PublicAccessBlockConfiguration; p != nil {
			r.BlockPublicAccess = &snapshot.BlockPublicAccess{BlockPublicAcls: aws.ToBool(p.BlockPublicAcls), IgnorePublicAcls: aws.ToBool(p.IgnorePublicAcls),
				BlockPublicPolicy: aws.ToBool(p.BlockPublicPolicy), RestrictPublicBuckets: aws.ToBool(p.RestrictPublicBuckets)}
		}
	}

	acl, err := rapi.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: aws.String(name)})
	if err := it.call(c.Name(), "s3:GetBucketAcl", r.ARN, err); err != nil {
		return err
	}
	seen := map[snapshot.ACLGrant]bool{}
	for _, g := range acl.Grants {
		if g.Grantee == nil || g.Grantee.Type != s3types.TypeGroup {
			continue
		}
		if grp, ok := aclGroups[aws.ToString(g.Grantee.URI)]; ok {
			ag := snapshot.ACLGrant{Grantee: grp, Permission: string(g.Permission)}
			if !seen[ag] {
				seen[ag] = true
				r.PublicGrants = append(r.PublicGrants, ag)
			}
		}
	}
	return nil
}

// bucketRegion is the region of a GetBucketLocation answer: empty is
// us-east-1, and "EU" the old name of eu-west-1.
func bucketRegion(constraint string) string {
	switch strings.TrimSpace(constraint) {
	case "":
		return "us-east-1"
	case "EU":
		return "eu-west-1"
	}
	return constraint
}
