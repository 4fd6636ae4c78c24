package report

import (
	"testing"

	"github.com/orgiam/orgiam/internal/snapshot"
)

func TestCheckSecurityContact(t *testing.T) {
	t.Parallel()
	with := func(c snapshot.SecurityContact) *acct { return &acct{contact: &c} }
	testCheck(t, CheckSecurityContact, []checkCase{
		{"set", with(snapshot.SecurityContact{Status: snapshot.ContactSet, Contact: &snapshot.AlternateContact{AlternateContactType: "SECURITY", EmailAddress: "sec@example.com"}}),
			[]result{pass(PrincipalAccount, "The account has a security contact with an e-mail address.")}},
		{"not set", with(snapshot.SecurityContact{Status: snapshot.ContactNotSet}), []result{fail(PrincipalAccount, "The account has no security contact.")}},
		{"unknown", with(snapshot.SecurityContact{Status: snapshot.ContactUnknown, Error: "AccessDeniedException: …"}), nil},
		{"not collected", &acct{}, nil},
	})
}
