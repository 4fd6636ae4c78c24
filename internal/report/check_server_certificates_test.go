package report

import (
	"testing"

	"github.com/orgiam/orgiam/internal/snapshot"
)

func TestCheckServerCertificates(t *testing.T) {
	t.Parallel()
	certArn := func(n string) string { return "arn:aws:iam::" + testAccount + ":server-certificate/" + n }
	soon := fixtureNow.AddDate(0, 1, 0)
	testCheck(t, CheckServerCertificates, []checkCase{
		{"certificates", &acct{certs: []snapshot.ServerCertificate{
			{ServerCertificateName: "old", Arn: certArn("old"), Expiration: ago(10)},
			{ServerCertificateName: "good", Arn: certArn("good"), Expiration: &soon},
		}}, []result{
			fail(certArn("old"), "The certificate expired on "+fmtDate(ago(10))+" (10 days ago)."),
			pass(certArn("good"), "The certificate expires on "+fmtDate(&soon)+"."),
		}},
		{"none", &acct{certs: []snapshot.ServerCertificate{}}, []result{pass(PrincipalAccount, "The account stores no IAM server certificate.")}},
		{"not collected", &acct{}, nil},
	})
}
