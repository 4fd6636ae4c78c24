package collect

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/account"
	accounttypes "github.com/aws/aws-sdk-go-v2/service/account/types"

	"github.com/orgiam/orgiam/internal/snapshot"
)

// AccountAPI is the AWS Account Management call of the security contact
// collector.
type AccountAPI interface {
	GetAlternateContact(context.Context, *account.GetAlternateContactInput, ...func(*account.Options)) (*account.GetAlternateContactOutput, error)
}

// AccountClients is a Clients that can also build an AWS Account Management
// client. The SDK clients of NewClients are one.
type AccountClients interface {
	Account() AccountAPI
}

// Account builds the Account Management client. It is built on each call:
// the security contact collector makes one call per account.
func (c *sdkClients) Account() AccountAPI { return account.NewFromConfig(c.cfg) }

// SecurityContactCollector reads the account's SECURITY alternate contact
// (CIS 1.2) and records it in account.json (securityContact) with its status: set, not set
// (ResourceNotFoundException), or unknown (any other error, AccessDenied
// first of all: a collect role deployed before this permission, or an SCP
// denying account:*). An unknown contact is also a warning of the account,
// never a failure: the rest of the account's data does not depend on it.
type SecurityContactCollector struct{}

var _ Collector = SecurityContactCollector{}

// Name is "security-contact".
func (SecurityContactCollector) Name() string { return "security-contact" }

// Scope is ScopeAccount: alternate contacts are account-wide.
func (SecurityContactCollector) Scope() Scope { return ScopeAccount }

// Actions is account:GetAlternateContact.
func (SecurityContactCollector) Actions() []string { return []string{"account:GetAlternateContact"} }

// Collect reads the contact and writes it with its status.
func (SecurityContactCollector) Collect(ctx context.Context, it *Item, w Writer) error {
	ac, ok := it.Clients.(AccountClients)
	if !ok {
		it.Warn("security contact unknown: no AWS Account Management client")
		w.Account(AccountFacts{SecurityContact: &snapshot.SecurityContact{Status: snapshot.ContactUnknown, Error: "no AWS Account Management client"}})
		return nil
	}
	sc, err := securityContact(ctx, ac.Account())
	if err != nil && ctx.Err() != nil {
		return opErr(it.Account, "account:GetAlternateContact", err)
	}
	if sc.Status == snapshot.ContactUnknown {
		it.Warn(fmt.Sprintf("security contact unknown: account:GetAlternateContact: %s", sc.Error))
	}
	w.Account(AccountFacts{SecurityContact: &sc})
	return nil
}

// securityContact asks for the SECURITY contact; the error is returned only
// to tell a cancelled context from an answer (sc says what AWS answered).
func securityContact(ctx context.Context, api AccountAPI) (snapshot.SecurityContact, error) {
	out, err := api.GetAlternateContact(ctx, &account.GetAlternateContactInput{AlternateContactType: accounttypes.AlternateContactTypeSecurity})
	var nf *accounttypes.ResourceNotFoundException
	switch {
	case errors.As(err, &nf):
		return snapshot.SecurityContact{Status: snapshot.ContactNotSet}, nil
	case err != nil:
		return snapshot.SecurityContact{Status: snapshot.ContactUnknown, Error: ErrorText(err)}, err
	case out.AlternateContact == nil:
		return snapshot.SecurityContact{Status: snapshot.ContactNotSet}, nil
	}
	c := out.AlternateContact
	return snapshot.SecurityContact{Status: snapshot.ContactSet, Contact: &snapshot.AlternateContact{
		AlternateContactType: string(c.AlternateContactType), Name: aws.ToString(c.Name), Title: aws.ToString(c.Title),
		EmailAddress: aws.ToString(c.EmailAddress), PhoneNumber: aws.ToString(c.PhoneNumber),
	}}, nil
}
