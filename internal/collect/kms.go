package collect

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/orgiam/orgiam/internal/snapshot"
)

// KMSAPI is the part of the KMS client the collectors use.
type KMSAPI interface {
	ListKeys(context.Context, *kms.ListKeysInput, ...func(*kms.Options)) (*kms.ListKeysOutput, error)
	DescribeKey(context.Context, *kms.DescribeKeyInput, ...func(*kms.Options)) (*kms.DescribeKeyOutput, error)
	GetKeyPolicy(context.Context, *kms.GetKeyPolicyInput, ...func(*kms.Options)) (*kms.GetKeyPolicyOutput, error)
}

func (c *sdkClients) KMS() KMSAPI {
	return client(c, "kms", func(cfg aws.Config) KMSAPI { return kms.NewFromConfig(cfg) })
}

// KMSCollector reads the key policies of the region's customer managed KMS
// keys (AWS managed keys, whose policies AWS writes, are left out).
type KMSCollector struct{}

var _ Collector = KMSCollector{}

// Name is "kms".
func (KMSCollector) Name() string { return "kms" }

// Scope is ScopeRegion.
func (KMSCollector) Scope() Scope { return ScopeRegion }

// Actions are the KMS calls of the collector.
func (KMSCollector) Actions() []string {
	return []string{"kms:ListKeys", "kms:DescribeKey", "kms:GetKeyPolicy"}
}

// Collect lists the keys, describes each (to skip AWS managed keys) and
// reads its default key policy.
func (c KMSCollector) Collect(ctx context.Context, it *Item, w Writer) error {
	api := it.Clients.KMS()
	var keys []kmstypes.KeyListEntry
	p := kms.NewListKeysPaginator(api, &kms.ListKeysInput{})
	var err error
	for p.HasMorePages() {
		out, perr := p.NextPage(ctx)
		if err = it.call(c.Name(), "kms:ListKeys", "", perr); err != nil {
			break
		}
		keys = append(keys, out.Keys...)
	}
	var res resources
	if err == nil {
		err = forEach(ctx, it.Parallel, keys, func(ctx context.Context, k kmstypes.KeyListEntry) error {
			arn := aws.ToString(k.KeyArn)
			d, err := api.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: k.KeyId})
			if ErrorCode(err) == "NotFoundException" {
				return nil // deleted since the listing
			}
			if err := it.call(c.Name(), "kms:DescribeKey", arn, err); err != nil {
				return err
			}
			md := d.KeyMetadata
			if md == nil || md.KeyManager == kmstypes.KeyManagerTypeAws {
				return nil
			}
			r := snapshot.Resource{Service: "kms", Type: "key", ARN: firstSet(aws.ToString(md.Arn), arn), Name: aws.ToString(md.KeyId),
				Region: it.Region, Account: it.Account,
				Attributes: map[string]string{"KeyManager": string(md.KeyManager), "KeyState": string(md.KeyState)}}
			pol, err := api.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: k.KeyId, PolicyName: aws.String("default")})
			if ErrorCode(err) == "NotFoundException" {
				return nil
			}
			if err := it.call(c.Name(), "kms:GetKeyPolicy", r.ARN, err); err != nil {
				res.add(r) // the key without its policy: a warning says why
				return err
			}
			it.withPolicy(c.Name(), &r, aws.ToString(pol.Policy))
			res.add(r)
			return nil
		})
	}
	w.Resources(res.list())
	return settle(err)
}

// firstSet is the first non-empty string.
func firstSet(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}
