package collect

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/orgiam/orgiam/internal/snapshot"
)

// SecretsManagerAPI is the part of the Secrets Manager client the
// collectors use. It never reads a secret's value.
type SecretsManagerAPI interface {
	ListSecrets(context.Context, *secretsmanager.ListSecretsInput, ...func(*secretsmanager.Options)) (*secretsmanager.ListSecretsOutput, error)
	GetResourcePolicy(context.Context, *secretsmanager.GetResourcePolicyInput, ...func(*secretsmanager.Options)) (*secretsmanager.GetResourcePolicyOutput, error)
}

func (c *sdkClients) SecretsManager() SecretsManagerAPI {
	return client(c, "secretsmanager", func(cfg aws.Config) SecretsManagerAPI { return secretsmanager.NewFromConfig(cfg) })
}

// SecretsManagerCollector reads the resource policies of the region's
// secrets (never their values).
type SecretsManagerCollector struct{}

var _ Collector = SecretsManagerCollector{}

// Name is "secretsmanager".
func (SecretsManagerCollector) Name() string { return "secretsmanager" }

// Scope is ScopeRegion.
func (SecretsManagerCollector) Scope() Scope { return ScopeRegion }

// Actions are the Secrets Manager calls of the collector.
func (SecretsManagerCollector) Actions() []string {
	return []string{"secretsmanager:ListSecrets", "secretsmanager:GetResourcePolicy"}
}

// Collect lists the secrets and reads each one's resource policy.
func (c SecretsManagerCollector) Collect(ctx context.Context, it *Item, w Writer) error {
	api := it.Clients.SecretsManager()
	var secrets []smtypes.SecretListEntry
	p := secretsmanager.NewListSecretsPaginator(api, &secretsmanager.ListSecretsInput{})
	var err error
	for p.HasMorePages() {
		out, perr := p.NextPage(ctx)
		if err = it.call(c.Name(), "secretsmanager:ListSecrets", "", perr); err != nil {
			break
		}
		secrets = append(secrets, out.SecretList...)
	}
	var res resources
	if err == nil {
		err = forEach(ctx, it.Parallel, secrets, func(ctx context.Context, s smtypes.SecretListEntry) error {
			arn := aws.ToString(s.ARN)
			out, err := api.GetResourcePolicy(ctx, &secretsmanager.GetResourcePolicyInput{SecretId: aws.String(arn)})
			if ErrorCode(err) == "ResourceNotFoundException" {
				return nil // deleted since the listing
			}
			r := snapshot.Resource{Service: "secretsmanager", Type: "secret", ARN: arn, Name: aws.ToString(s.Name), Region: it.Region, Account: it.Account}
			if err := it.call(c.Name(), "secretsmanager:GetResourcePolicy", arn, err); err != nil {
				res.add(r)
				return err
			}
			it.withPolicy(c.Name(), &r, aws.ToString(out.ResourcePolicy))
			res.add(r)
			return nil
		})
	}
	w.Resources(res.list())
	return settle(err)
}
