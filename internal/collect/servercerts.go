package collect

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/orgiam/orgiam/internal/snapshot"
)

// ServerCertificatesAPI is the IAM call of the server certificates collector.
type ServerCertificatesAPI interface {
	ListServerCertificates(context.Context, *iam.ListServerCertificatesInput, ...func(*iam.Options)) (*iam.ListServerCertificatesOutput, error)
}

// ServerCertificatesCollector lists the account's IAM server certificates
// (the certificates IAM stores for load balancers and CloudFront), for CIS
// 1.18 (expired certificates removed).
//
// A failure to list them is a warning of the account, not a failure: the
// permission is newer than the collect role of some deployments, and the
// rest of the account's data does not depend on it. account.json's
// serverCertificates is then absent, and the check is not evaluated for the
// account.
type ServerCertificatesCollector struct{}

var _ Collector = ServerCertificatesCollector{}

// Name is "server-certificates".
func (ServerCertificatesCollector) Name() string { return "server-certificates" }

// Scope is ScopeAccount: IAM is global.
func (ServerCertificatesCollector) Scope() Scope { return ScopeAccount }

// Actions is iam:ListServerCertificates.
func (ServerCertificatesCollector) Actions() []string { return []string{"iam:ListServerCertificates"} }

// Collect lists every page and records them in account.json
// (serverCertificates): a few per account at most, an account-level
// setting beside the password policy, not worth an object of its own.
func (ServerCertificatesCollector) Collect(ctx context.Context, it *Item, w Writer) error {
	api, ok := it.Clients.IAM().(ServerCertificatesAPI)
	if !ok {
		it.Warn("server certificates not listed: the IAM client has no ListServerCertificates")
		return nil
	}
	certs, err := listServerCertificates(ctx, api)
	if err != nil {
		if ctx.Err() != nil {
			return opErr(it.Account, "iam:ListServerCertificates", err)
		}
		it.Warn(fmt.Sprintf("server certificates not listed: iam:ListServerCertificates: %s", ErrorText(err)))
		return nil
	}
	w.Account(AccountFacts{ServerCertificates: certs})
	return nil
}

func listServerCertificates(ctx context.Context, api ServerCertificatesAPI) ([]snapshot.ServerCertificate, error) {
	out := []snapshot.ServerCertificate{}
	p := iam.NewListServerCertificatesPaginator(api, &iam.ListServerCertificatesInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return out, err
		}
		for _, m := range page.ServerCertificateMetadataList {
			out = append(out, snapshot.ServerCertificate{
				Path: aws.ToString(m.Path), ServerCertificateName: aws.ToString(m.ServerCertificateName),
				ServerCertificateID: aws.ToString(m.ServerCertificateId), Arn: aws.ToString(m.Arn),
				UploadDate: m.UploadDate, Expiration: m.Expiration,
			})
		}
	}
	return out, nil
}
