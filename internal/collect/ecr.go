package collect

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"

	"github.com/orgiam/orgiam/internal/snapshot"
)

// ECRAPI is the part of the ECR client the collectors use.
type ECRAPI interface {
	DescribeRepositories(context.Context, *ecr.DescribeRepositoriesInput, ...func(*ecr.Options)) (*ecr.DescribeRepositoriesOutput, error)
	GetRepositoryPolicy(context.Context, *ecr.GetRepositoryPolicyInput, ...func(*ecr.Options)) (*ecr.GetRepositoryPolicyOutput, error)
	GetRegistryPolicy(context.Context, *ecr.GetRegistryPolicyInput, ...func(*ecr.Options)) (*ecr.GetRegistryPolicyOutput, error)
}

func (c *sdkClients) ECR() ECRAPI {
	return client(c, "ecr", func(cfg aws.Config) ECRAPI { return ecr.NewFromConfig(cfg) })
}

// ECRCollector reads the region's ECR repository policies and the
// registry's policy (a Resource of Type "registry", present only when the
// registry has a policy).
type ECRCollector struct{}

var _ Collector = ECRCollector{}

// Name is "ecr".
func (ECRCollector) Name() string { return "ecr" }

// Scope is ScopeRegion.
func (ECRCollector) Scope() Scope { return ScopeRegion }

// Actions are the ECR calls of the collector.
func (ECRCollector) Actions() []string {
	return []string{"ecr:DescribeRepositories", "ecr:GetRepositoryPolicy", "ecr:GetRegistryPolicy"}
}

// Collect reads the registry policy, lists the repositories and reads each
// one's policy.
func (c ECRCollector) Collect(ctx context.Context, it *Item, w Writer) error {
	api := it.Clients.ECR()
	var res resources
	reg, err := api.GetRegistryPolicy(ctx, &ecr.GetRegistryPolicyInput{})
	switch ErrorCode(err) {
	case "RegistryPolicyNotFoundException":
		err = nil
	case "":
		if err == nil && aws.ToString(reg.PolicyText) != "" {
			id := firstSet(aws.ToString(reg.RegistryId), it.Account)
			r := snapshot.Resource{Service: "ecr", Type: "registry", ARN: "arn:" + it.Partition + ":ecr:" + it.Region + ":" + id + ":registry/" + id,
				Name: id, Region: it.Region, Account: it.Account}
			it.withPolicy(c.Name(), &r, aws.ToString(reg.PolicyText))
			res.add(r)
		}
	}
	err = it.call(c.Name(), "ecr:GetRegistryPolicy", "", err)
	if settle(err) != nil {
		w.Resources(res.list())
		return err
	}

	var repos []ecrtypes.Repository
	p := ecr.NewDescribeRepositoriesPaginator(api, &ecr.DescribeRepositoriesInput{})
	err = nil
	for p.HasMorePages() {
		out, perr := p.NextPage(ctx)
		if err = it.call(c.Name(), "ecr:DescribeRepositories", "", perr); err != nil {
			break
		}
		repos = append(repos, out.Repositories...)
	}
	if err == nil {
		err = forEach(ctx, it.Parallel, repos, func(ctx context.Context, rp ecrtypes.Repository) error {
			arn := aws.ToString(rp.RepositoryArn)
			out, err := api.GetRepositoryPolicy(ctx, &ecr.GetRepositoryPolicyInput{RepositoryName: rp.RepositoryName, RegistryId: rp.RegistryId})
			r := snapshot.Resource{Service: "ecr", Type: "repository", ARN: arn, Name: aws.ToString(rp.RepositoryName), Region: it.Region, Account: it.Account}
			switch ErrorCode(err) {
			case "RepositoryPolicyNotFoundException":
				res.add(r)
				return nil
			case "RepositoryNotFoundException":
				return nil // deleted since the listing
			}
			if err := it.call(c.Name(), "ecr:GetRepositoryPolicy", arn, err); err != nil {
				res.add(r)
				return err
			}
			it.withPolicy(c.Name(), &r, aws.ToString(out.PolicyText))
			res.add(r)
			return nil
		})
	}
	w.Resources(res.list())
	return settle(err)
}
