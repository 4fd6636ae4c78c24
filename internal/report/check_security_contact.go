package report

import (
	"strings"

	"github.com/orgiam/orgiam/internal/snapshot"
)

// CheckSecurityContact fails an account without a SECURITY alternate
// contact (needs account.json's securityContact, collected with
// account:GetAlternateContact). An account whose contact could not be read
// (AccessDenied) is not judged: the scan's warnings say why.
var CheckSecurityContact = Check{
	ID: "1.2", Legacy: "1.2", Severity: SeverityMedium,
	Title:       "Ensure security contact information is registered",
	Rationale:   "AWS sends its security notifications (abuse reports, compromised credentials, active threats) to the security contact; without one they go to the root e-mail address, which few people read.",
	Remediation: "Register a monitored team address: aws account put-alternate-contact --alternate-contact-type SECURITY --email-address … --name … --title … --phone-number … (from the management account, add --account-id for a member account).",
	References: []string{
		cisReference,
		"https://docs.aws.amazon.com/accounts/latest/reference/manage-acct-update-contact-alternate.html",
	},
	Compliance: cis("1.2", "1.2"),
	evaluate:   evalSecurityContact,
}

func evalSecurityContact(s *subject) []result {
	c := s.a.contact
	if c == nil {
		return nil
	}
	switch c.Status {
	case snapshot.ContactNotSet:
		return []result{fail(PrincipalAccount, "The account has no security contact.")}
	case snapshot.ContactSet:
		if c.Contact == nil || strings.TrimSpace(c.Contact.EmailAddress) == "" {
			return []result{fail(PrincipalAccount, "The account's security contact has no e-mail address.")}
		}
		// The address itself is not repeated in the findings.
		return []result{pass(PrincipalAccount, "The account has a security contact with an e-mail address.")}
	}
	return nil
}
