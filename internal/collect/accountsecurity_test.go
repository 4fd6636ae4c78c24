package collect

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/account"
	accounttypes "github.com/aws/aws-sdk-go-v2/service/account/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/orgiam/orgiam/internal/snapshot"
)

// certsIAM answers ListServerCertificates in pages (or with err).
type certsIAM struct {
	fakeIAM
	pages [][]types.ServerCertificateMetadata
	err   error
	calls int
}

func (f *certsIAM) ListServerCertificates(_ context.Context, in *iam.ListServerCertificatesInput, _ ...func(*iam.Options)) (*iam.ListServerCertificatesOutput, error) {
	if f.err != nil {
		return nil, f.err
	}
	if f.calls > 0 && aws.ToString(in.Marker) != "page2" {
		return nil, errors.New("marker not passed on")
	}
	out := &iam.ListServerCertificatesOutput{ServerCertificateMetadataList: f.pages[f.calls]}
	f.calls++
	if f.calls < len(f.pages) {
		out.IsTruncated, out.Marker = true, aws.String("page2")
	}
	return out, nil
}

// contactAPI answers GetAlternateContact.
type contactAPI struct {
	out *account.GetAlternateContactOutput
	err error
}

func (f contactAPI) GetAlternateContact(_ context.Context, in *account.GetAlternateContactInput, _ ...func(*account.Options)) (*account.GetAlternateContactOutput, error) {
	if in.AlternateContactType != accounttypes.AlternateContactTypeSecurity {
		return nil, errors.New("asked for " + string(in.AlternateContactType))
	}
	return f.out, f.err
}

// testClients are an item's clients made of fakes; the regional services'
// clients are not set (a call to one panics).
type testClients struct {
	Clients
	iam     IAMAPI
	account AccountAPI
}

func (c testClients) IAM() IAMAPI         { return c.iam }
func (c testClients) Account() AccountAPI { return c.account }

func TestServerCertificatesCollector(t *testing.T) {
	exp := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	cert := func(name string) types.ServerCertificateMetadata {
		return types.ServerCertificateMetadata{Arn: aws.String("arn:aws:iam::111122223333:server-certificate/" + name), Path: aws.String("/"),
			ServerCertificateId: aws.String("ASCA" + strings.ToUpper(name)), ServerCertificateName: aws.String(name), Expiration: aws.Time(exp)}
	}
	f := &certsIAM{pages: [][]types.ServerCertificateMetadata{{cert("a")}, {cert("b")}}}
	it := &Item{Account: "111122223333", Clients: testClients{iam: f}}
	w := &recordWriter{}
	if err := (ServerCertificatesCollector{}).Collect(context.Background(), it, w); err != nil {
		t.Fatal(err)
	}
	if len(w.sets) != 0 {
		t.Errorf("data sets %v written: the certificates go in account.json", w.sets)
	}
	got := w.facts.ServerCertificates
	if len(got) != 2 || got[1].ServerCertificateName != "b" || !got[0].Expiration.Equal(exp) || got[0].ServerCertificateID != "ASCAA" {
		t.Fatalf("certificates %+v", got)
	}
	if len(it.Warnings()) != 0 {
		t.Errorf("warnings %v", it.Warnings())
	}

	// AccessDenied: a warning, no data set, no failure.
	it = &Item{Account: "111122223333", Clients: testClients{iam: &certsIAM{err: apiErr("AccessDenied")}}}
	w = &recordWriter{}
	if err := (ServerCertificatesCollector{}).Collect(context.Background(), it, w); err != nil {
		t.Fatal(err)
	}
	if w.facts.ServerCertificates != nil || len(w.sets) != 0 {
		t.Errorf("certificates %v, data sets %v recorded after AccessDenied", w.facts.ServerCertificates, w.sets)
	}

	if ws := it.Warnings(); len(ws) != 1 || ws[0] != "server certificates not listed: iam:ListServerCertificates: AccessDenied: AccessDenied message" {
		t.Errorf("warnings %q", ws)
	}

	// None: an empty list, not absent (the check is evaluated).
	it = &Item{Account: "111122223333", Clients: testClients{iam: &certsIAM{pages: [][]types.ServerCertificateMetadata{{}}}}}
	w = &recordWriter{}
	if err := (ServerCertificatesCollector{}).Collect(context.Background(), it, w); err != nil {
		t.Fatal(err)
	}
	if got := w.facts.ServerCertificates; got == nil || len(got) != 0 {
		t.Errorf("no certificates recorded as %#v, want []", got)
	}

	// A cancelled context is the item's failure.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	it = &Item{Account: "111122223333", Clients: testClients{iam: &certsIAM{err: context.Canceled}}}
	if err := (ServerCertificatesCollector{}).Collect(ctx, it, &recordWriter{}); err == nil || !strings.Contains(err.Error(), "account 111122223333: iam:ListServerCertificates") {
		t.Errorf("err %v", err)
	}
}

func TestSecurityContactCollector(t *testing.T) {
	set := &account.GetAlternateContactOutput{AlternateContact: &accounttypes.AlternateContact{
		AlternateContactType: accounttypes.AlternateContactTypeSecurity, Name: aws.String("Sec Team"),
		EmailAddress: aws.String("security@example.com"), Title: aws.String("CISO"), PhoneNumber: aws.String("+1 555 0100")}}
	tests := []struct {
		name     string
		api      contactAPI
		want     snapshot.SecurityContact
		warnings int
	}{
		{"set", contactAPI{out: set}, snapshot.SecurityContact{Status: snapshot.ContactSet, Contact: &snapshot.AlternateContact{
			AlternateContactType: "SECURITY", Name: "Sec Team", Title: "CISO", EmailAddress: "security@example.com", PhoneNumber: "+1 555 0100"}}, 0},
		{"not set", contactAPI{err: &accounttypes.ResourceNotFoundException{Message: aws.String("No contact of the inputted alternate contact type found.")}},
			snapshot.SecurityContact{Status: snapshot.ContactNotSet}, 0},
		{"access denied", contactAPI{err: apiErr("AccessDeniedException")},
			snapshot.SecurityContact{Status: snapshot.ContactUnknown, Error: "AccessDeniedException: AccessDeniedException message"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			it := &Item{Account: "111122223333", Clients: testClients{account: tt.api}}
			w := &recordWriter{}
			if err := (SecurityContactCollector{}).Collect(context.Background(), it, w); err != nil {
				t.Fatal(err)
			}
			if w.facts.SecurityContact == nil || len(w.sets) != 0 {
				t.Fatalf("contact %v, data sets %v: want the contact in account.json only", w.facts.SecurityContact, w.sets)
			}
			gb, _ := json.Marshal(*w.facts.SecurityContact)
			wb, _ := json.Marshal(tt.want)
			if string(gb) != string(wb) {
				t.Errorf("stored %s, want %s", gb, wb)
			}
			if len(it.Warnings()) != tt.warnings {
				t.Errorf("warnings %q", it.Warnings())
			}
		})
	}
}
