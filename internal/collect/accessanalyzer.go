package collect

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/accessanalyzer"

	"github.com/orgiam/orgiam/internal/snapshot"
)

// AccessAnalyzerAPI is the part of the IAM Access Analyzer client the
// collectors use.
type AccessAnalyzerAPI interface {
	ListAnalyzers(context.Context, *accessanalyzer.ListAnalyzersInput, ...func(*accessanalyzer.Options)) (*accessanalyzer.ListAnalyzersOutput, error)
}

func (c *sdkClients) AccessAnalyzer() AccessAnalyzerAPI {
	return client(c, "access-analyzer", func(cfg aws.Config) AccessAnalyzerAPI { return accessanalyzer.NewFromConfig(cfg) })
}

// AccessAnalyzerCollector lists the region's IAM Access Analyzer analyzers
// (external and unused access, account or organization zone of trust). An
// analyzer has no resource policy: it is stored as a resource of type
// "analyzer" with its type and status as attributes, for the check that
// every region of every account has one.
type AccessAnalyzerCollector struct{}

var _ Collector = AccessAnalyzerCollector{}

// Name is "access-analyzer".
func (AccessAnalyzerCollector) Name() string { return "access-analyzer" }

// Scope is ScopeRegion.
func (AccessAnalyzerCollector) Scope() Scope { return ScopeRegion }

// Actions are the Access Analyzer calls of the collector.
func (AccessAnalyzerCollector) Actions() []string {
	return []string{"access-analyzer:ListAnalyzers"}
}

// Collect lists every analyzer of the region, whatever its type.
func (c AccessAnalyzerCollector) Collect(ctx context.Context, it *Item, w Writer) error {
	p := accessanalyzer.NewListAnalyzersPaginator(it.Clients.AccessAnalyzer(), &accessanalyzer.ListAnalyzersInput{})
	var res resources
	var err error
	for p.HasMorePages() {
		out, perr := p.NextPage(ctx)
		if err = it.call(c.Name(), "access-analyzer:ListAnalyzers", "", perr); err != nil {
			break
		}
		for _, a := range out.Analyzers {
			res.add(snapshot.Resource{Service: "access-analyzer", Type: "analyzer", ARN: aws.ToString(a.Arn), Name: aws.ToString(a.Name),
				Region: it.Region, Account: it.Account,
				Attributes: map[string]string{"AnalyzerType": string(a.Type), "Status": string(a.Status)}})
		}
	}
	w.Resources(res.list())
	return settle(err)
}
