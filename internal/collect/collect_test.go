package collect

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"
)

// fakeIAM scripts the answers of the calls under test; the others panic.
type fakeIAM struct {
	IAMAPI
	gaadPages   []*iam.GetAccountAuthorizationDetailsOutput
	gaadCalls   int
	reportErrs  []error // answers to GetCredentialReport before success
	reportCalls int
	generated   int
	generateErr error
}

func (f *fakeIAM) GetAccountAuthorizationDetails(ctx context.Context, in *iam.GetAccountAuthorizationDetailsInput, _ ...func(*iam.Options)) (*iam.GetAccountAuthorizationDetailsOutput, error) {
	if len(in.Filter) != 5 {
		return nil, errors.New("collector must ask for every entity type")
	}
	if f.gaadCalls > 0 && aws.ToString(in.Marker) != "m"+string(rune('0'+f.gaadCalls)) {
		return nil, errors.New("marker not passed on: " + aws.ToString(in.Marker))
	}
	p := f.gaadPages[f.gaadCalls]
	f.gaadCalls++
	return p, nil
}

func (f *fakeIAM) GenerateCredentialReport(ctx context.Context, in *iam.GenerateCredentialReportInput, _ ...func(*iam.Options)) (*iam.GenerateCredentialReportOutput, error) {
	f.generated++
	if f.generateErr != nil {
		return nil, f.generateErr
	}
	return &iam.GenerateCredentialReportOutput{State: types.ReportStateTypeStarted}, nil
}

func (f *fakeIAM) GetCredentialReport(ctx context.Context, in *iam.GetCredentialReportInput, _ ...func(*iam.Options)) (*iam.GetCredentialReportOutput, error) {
	f.reportCalls++
	if len(f.reportErrs) > 0 {
		err := f.reportErrs[0]
		f.reportErrs = f.reportErrs[1:]
		return nil, err
	}
	return &iam.GetCredentialReportOutput{Content: []byte("user,arn\n"), GeneratedTime: aws.Time(time.Date(2026, 11, 23, 4, 0, 0, 0, time.UTC))}, nil
}

func apiErr(code string) error {
	return &smithy.GenericAPIError{Code: code, Message: code + " message"}
}

func TestPollCredentialReport(t *testing.T) {
	pol := CredentialReportPolicy{MaxPolls: 4, FirstWait: 2 * time.Second, MaxWait: 5 * time.Second}
	tests := []struct {
		name          string
		errs          []error
		wantDone      bool
		wantErr       string
		wantGenerated int
		wantWaits     []float64
	}{
		{name: "ready at once", wantDone: true},
		{name: "in progress backs off", errs: []error{apiErr("ReportInProgress"), apiErr("ReportInProgress"), apiErr("ReportInProgress")}, wantDone: true, wantWaits: []float64{2, 3, 4.5}},
		{name: "not present starts generation", errs: []error{&types.CredentialReportNotPresentException{Message: aws.String("x")}}, wantDone: true, wantGenerated: 1, wantWaits: []float64{2}},
		{name: "expired starts generation", errs: []error{apiErr("ReportExpired")}, wantDone: true, wantGenerated: 1, wantWaits: []float64{2}},
		{name: "limit exceeded waits", errs: []error{apiErr("LimitExceeded")}, wantDone: true, wantWaits: []float64{2}},
		{name: "wait capped", errs: []error{apiErr("ReportInProgress"), apiErr("ReportInProgress"), apiErr("ReportInProgress")}, wantDone: true, wantWaits: []float64{2, 3, 4.5}},
		{name: "budget spent", errs: []error{apiErr("ReportInProgress"), apiErr("ReportInProgress"), apiErr("ReportInProgress"), apiErr("ReportInProgress")}, wantErr: "account 111122223333: iam:GetCredentialReport: credential report not complete after 4 polls"},
		{name: "access denied fails at once", errs: []error{apiErr("AccessDenied")}, wantErr: "account 111122223333: iam:GetCredentialReport: AccessDenied"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeIAM{reportErrs: tt.errs}
			var st CredentialReportState
			var waits []float64
			var err error
			var res CredentialReportPoll
			for i := 0; i < 10; i++ {
				res, err = PollCredentialReport(context.Background(), f, "111122223333", st, pol)
				if err != nil || res.Done {
					break
				}
				waits = append(waits, res.Next.Wait)
				st = res.Next
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || res.Done != tt.wantDone || string(res.CSV) != "user,arn\n" {
				t.Fatalf("done=%v err=%v", res.Done, err)
			}
			if f.generated != tt.wantGenerated {
				t.Errorf("generated %d times, want %d", f.generated, tt.wantGenerated)
			}
			if len(waits) != len(tt.wantWaits) {
				t.Fatalf("waits %v, want %v", waits, tt.wantWaits)
			}
			for i := range waits {
				if waits[i] != tt.wantWaits[i] {
					t.Fatalf("waits %v, want %v", waits, tt.wantWaits)
				}
			}
		})
	}
}

func TestCredentialReportFirstWaitAboveTheCapIsKept(t *testing.T) {
	f := &fakeIAM{reportErrs: []error{apiErr("ReportInProgress"), apiErr("ReportInProgress"), apiErr("ReportInProgress")}}
	pol := CredentialReportPolicy{MaxPolls: 10, FirstWait: time.Minute}
	var st CredentialReportState
	var waits []float64
	for i := 0; i < 3; i++ {
		res, err := PollCredentialReport(context.Background(), f, "111122223333", st, pol)
		if err != nil || res.Done {
			t.Fatalf("poll %d: %+v %v", i, res, err)
		}
		waits = append(waits, res.Next.Wait)
		st = res.Next
	}
	if fmt.Sprint(waits) != "[60 60 60]" {
		t.Fatalf("waits %v, want a minute each time", waits)
	}
	// Below the cap the waits still back off to it.
	if got := (CredentialReportPolicy{FirstWait: 20 * time.Second}).withDefaults().MaxWait; got != 30*time.Second {
		t.Fatalf("cap %v", got)
	}
}

func TestWaitCredentialReportSleepsAndStopsOnCancel(t *testing.T) {
	f := &fakeIAM{reportErrs: []error{apiErr("ReportInProgress"), apiErr("ReportInProgress")}}
	start := time.Now()
	res, err := WaitCredentialReport(context.Background(), f, "111122223333", CredentialReportPolicy{FirstWait: 20 * time.Millisecond})
	if err != nil || !res.Done || f.reportCalls != 3 {
		t.Fatalf("res %+v err %v calls %d", res, err, f.reportCalls)
	}
	if el := time.Since(start); el < 50*time.Millisecond {
		t.Fatalf("no wait between polls: %v", el)
	}
	g := &fakeIAM{reportErrs: []error{apiErr("ReportInProgress"), apiErr("ReportInProgress")}}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	_, err = WaitCredentialReport(ctx, g, "111122223333", CredentialReportPolicy{FirstWait: time.Hour})
	if err == nil || g.reportCalls != 1 {
		t.Fatalf("cancel: err %v calls %d", err, g.reportCalls)
	}
}

func TestStartCredentialReportToleratesLimitExceeded(t *testing.T) {
	f := &fakeIAM{generateErr: &types.LimitExceededException{Message: aws.String("slow down")}}
	if err := StartCredentialReport(context.Background(), f, "111122223333"); err != nil {
		t.Fatal(err)
	}
	f.generateErr = apiErr("AccessDenied")
	err := StartCredentialReport(context.Background(), f, "111122223333")
	if err == nil || !strings.Contains(err.Error(), "account 111122223333: iam:GenerateCredentialReport: AccessDenied") {
		t.Fatalf("err %v", err)
	}
}

func enc(s string) *string { return aws.String(url.PathEscape(s)) }

func TestAuthorizationDetailsPaginatesAndDecodes(t *testing.T) {
	doc := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`
	f := &fakeIAM{gaadPages: []*iam.GetAccountAuthorizationDetailsOutput{
		{IsTruncated: true, Marker: aws.String("m1"), UserDetailList: []types.UserDetail{{UserName: aws.String("alice"), Arn: aws.String("arn:aws:iam::111122223333:user/alice"),
			UserPolicyList: []types.PolicyDetail{{PolicyName: aws.String("p"), PolicyDocument: enc(doc)}}}}},
		{IsTruncated: false, RoleDetailList: []types.RoleDetail{{RoleName: aws.String("r"), AssumeRolePolicyDocument: enc(`{"Statement":[]}`)}},
			Policies: []types.ManagedPolicyDetail{
				{PolicyName: aws.String("AdministratorAccess"), Arn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess"), DefaultVersionId: aws.String("v1"),
					PolicyVersionList: []types.PolicyVersion{{VersionId: aws.String("v1"), Document: enc(doc), IsDefaultVersion: true}}},
				{PolicyName: aws.String("mine"), Arn: aws.String("arn:aws:iam::111122223333:policy/mine"), DefaultVersionId: aws.String("v2"),
					PolicyVersionList: []types.PolicyVersion{{VersionId: aws.String("v1"), Document: enc(doc)}, {VersionId: aws.String("v2"), Document: enc(doc), IsDefaultVersion: true}}},
			}},
	}}
	d := &IAMData{}
	if err := AuthorizationDetails(context.Background(), f, "111122223333", d); err != nil {
		t.Fatal(err)
	}
	if f.gaadCalls != 2 || len(d.Users) != 1 || len(d.Roles) != 1 || len(d.Policies) != 1 || len(d.AWSManaged) != 1 {
		t.Fatalf("calls %d users %d roles %d policies %d aws %d", f.gaadCalls, len(d.Users), len(d.Roles), len(d.Policies), len(d.AWSManaged))
	}
	if got := string(d.Users[0].UserPolicyList[0].PolicyDocument); got != doc {
		t.Fatalf("inline document %s", got)
	}
	if d.Policies[0].PolicyVersionList[0].IsDefaultVersion || !d.Policies[0].PolicyVersionList[1].IsDefaultVersion {
		t.Fatalf("default version marks wrong: %+v", d.Policies[0].PolicyVersionList)
	}
}

func TestDecode(t *testing.T) {
	tests := []struct {
		in, want string
		err      bool
	}{
		{url.PathEscape(`{"a": "b c+d"}`), `{"a":"b c+d"}`, false},
		{`{"a":"b%20c"}`, `{"a":"b c"}`, false}, // decoded to valid JSON: accepted
		{`%7B%22a%22%3A1%7D`, `{"a":1}`, false},
		{`not json`, "", true},
	}
	for _, tt := range tests {
		got, err := Decode(aws.String(tt.in))
		if (err != nil) != tt.err || (!tt.err && string(got) != tt.want) {
			t.Errorf("Decode(%q) = %s, %v", tt.in, got, err)
		}
	}
}
