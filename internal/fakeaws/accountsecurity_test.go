package fakeaws

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/account"
	accounttypes "github.com/aws/aws-sdk-go-v2/service/account/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// The synthetic accounts have no server certificates and no security
// contact: both calls answer as AWS does then.
func TestServerCertificatesAndSecurityContact(t *testing.T) {
	s, cfg := start(t, Options{Seed: 5, AccountsPerOrg: 2}, Knobs{})
	acct := s.World().Accounts()[1].ID
	ac := assumed(cfg, s.World().CollectRoleArn(acct), "")
	ctx := context.Background()
	out, err := iam.NewFromConfig(ac).ListServerCertificates(ctx, &iam.ListServerCertificatesInput{})
	if err != nil || len(out.ServerCertificateMetadataList) != 0 || out.IsTruncated {
		t.Fatalf("ListServerCertificates: %+v %v", out, err)
	}
	_, err = account.NewFromConfig(ac).GetAlternateContact(ctx, &account.GetAlternateContactInput{AlternateContactType: accounttypes.AlternateContactTypeSecurity})
	var nf *accounttypes.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Fatalf("GetAlternateContact: %v, want ResourceNotFoundException", err)
	}
}
