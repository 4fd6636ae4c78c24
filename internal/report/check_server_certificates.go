package report

import "fmt"

// CheckServerCertificates fails an IAM server certificate that has expired
// (needs account.json's serverCertificates, collected with
// iam:ListServerCertificates).
var CheckServerCertificates = Check{
	ID: "1.18", Legacy: "1.19", Severity: SeverityMedium,
	Title:       "Ensure that all the expired SSL/TLS certificates stored in AWS IAM are removed",
	Rationale:   "An expired certificate still deployed to a load balancer or CloudFront breaks clients or trains them to accept errors; removed, it cannot be deployed by mistake.",
	Remediation: "Delete the expired certificate (aws iam delete-server-certificate --server-certificate-name NAME) after moving any listener that uses it to a valid certificate, preferably one from AWS Certificate Manager.",
	References: []string{
		cisReference,
		"https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_server-certs.html",
	},
	Compliance: cis("1.18", "1.19"),
	evaluate:   evalServerCertificates,
}

func evalServerCertificates(s *subject) []result {
	if s.a.certs == nil {
		return nil
	}
	var out []result
	for _, c := range s.a.certs {
		who := c.Arn
		if who == "" {
			who = c.ServerCertificateName
		}
		switch {
		case c.Expiration == nil:
			out = append(out, pass(who, "The certificate's expiration is not known."))
		case !c.Expiration.After(s.o.Now):
			out = append(out, fail(who, fmt.Sprintf("The certificate expired on %s (%s ago).", fmtDate(c.Expiration), plural(days(s.o.Now, *c.Expiration), "day", "days"))))
		default:
			out = append(out, pass(who, "The certificate expires on "+fmtDate(c.Expiration)+"."))
		}
	}
	if len(out) == 0 {
		return []result{pass(PrincipalAccount, "The account stores no IAM server certificate.")}
	}
	return out
}
