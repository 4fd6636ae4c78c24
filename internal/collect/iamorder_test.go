package collect

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// orderIAM is an account of two users, alice with an access key and bob
// without, whose calls can be held until another call is made: it shows
// which calls wait for which.
type orderIAM struct {
	IAMAPI
	// samlWaitsForKeys holds ListSAMLProviders until ListAccessKeys is
	// called; generateWaitsForGAAD holds GenerateCredentialReport until
	// GetAccountAuthorizationDetails is.
	samlWaitsForKeys, generateWaitsForGAAD bool
	samlErr                                error         // ListSAMLProviders' answer
	reportDelay                            time.Duration // before GetCredentialReport answers

	once                     sync.Map // name -> chan struct{}, closed when the call is made
	generated, readEarly     atomic.Bool
	keysListed               sync.Map // user -> true
	samlCalls, generateCalls atomic.Int32
}

const holdFor = 5 * time.Second

func (f *orderIAM) called(name string) chan struct{} {
	ch, _ := f.once.LoadOrStore(name, make(chan struct{}))
	return ch.(chan struct{})
}

func (f *orderIAM) mark(name string) {
	ch := f.called(name)
	select {
	case <-ch:
	default:
		close(ch)
	}
}

// after waits for the call named, or fails the call after holdFor.
func (f *orderIAM) after(ctx context.Context, name, waiting string) error {
	select {
	case <-f.called(name):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(holdFor):
		return errors.New(waiting + " was held and " + name + " never came")
	}
}

func (f *orderIAM) GetAccountAuthorizationDetails(ctx context.Context, in *iam.GetAccountAuthorizationDetailsInput, _ ...func(*iam.Options)) (*iam.GetAccountAuthorizationDetailsOutput, error) {
	f.mark("gaad")
	return &iam.GetAccountAuthorizationDetailsOutput{UserDetailList: []types.UserDetail{
		{UserName: aws.String("alice"), UserId: aws.String("AIDAALICE"), Arn: aws.String("arn:aws:iam::111122223333:user/alice"), Path: aws.String("/")},
		{UserName: aws.String("bob"), UserId: aws.String("AIDABOB"), Arn: aws.String("arn:aws:iam::111122223333:user/bob"), Path: aws.String("/")},
	}}, nil
}

func (f *orderIAM) GetAccountSummary(context.Context, *iam.GetAccountSummaryInput, ...func(*iam.Options)) (*iam.GetAccountSummaryOutput, error) {
	return &iam.GetAccountSummaryOutput{SummaryMap: map[string]int32{"Users": 2}}, nil
}

func (f *orderIAM) GetAccountPasswordPolicy(context.Context, *iam.GetAccountPasswordPolicyInput, ...func(*iam.Options)) (*iam.GetAccountPasswordPolicyOutput, error) {
	return &iam.GetAccountPasswordPolicyOutput{PasswordPolicy: &types.PasswordPolicy{MinimumPasswordLength: aws.Int32(14)}}, nil
}

func (f *orderIAM) ListAccountAliases(context.Context, *iam.ListAccountAliasesInput, ...func(*iam.Options)) (*iam.ListAccountAliasesOutput, error) {
	return &iam.ListAccountAliasesOutput{}, nil
}

func (f *orderIAM) ListSAMLProviders(ctx context.Context, _ *iam.ListSAMLProvidersInput, _ ...func(*iam.Options)) (*iam.ListSAMLProvidersOutput, error) {
	f.samlCalls.Add(1)
	if f.samlErr != nil {
		return nil, f.samlErr
	}
	if f.samlWaitsForKeys {
		if err := f.after(ctx, "keys", "iam:ListSAMLProviders"); err != nil {
			return nil, err
		}
	}
	return &iam.ListSAMLProvidersOutput{}, nil
}

func (f *orderIAM) ListOpenIDConnectProviders(context.Context, *iam.ListOpenIDConnectProvidersInput, ...func(*iam.Options)) (*iam.ListOpenIDConnectProvidersOutput, error) {
	return &iam.ListOpenIDConnectProvidersOutput{}, nil
}

func (f *orderIAM) ListVirtualMFADevices(context.Context, *iam.ListVirtualMFADevicesInput, ...func(*iam.Options)) (*iam.ListVirtualMFADevicesOutput, error) {
	return &iam.ListVirtualMFADevicesOutput{}, nil
}

func (f *orderIAM) ListInstanceProfiles(context.Context, *iam.ListInstanceProfilesInput, ...func(*iam.Options)) (*iam.ListInstanceProfilesOutput, error) {
	return &iam.ListInstanceProfilesOutput{}, nil
}

func (f *orderIAM) ListAccessKeys(_ context.Context, in *iam.ListAccessKeysInput, _ ...func(*iam.Options)) (*iam.ListAccessKeysOutput, error) {
	f.keysListed.Store(aws.ToString(in.UserName), true)
	f.mark("keys")
	return &iam.ListAccessKeysOutput{AccessKeyMetadata: []types.AccessKeyMetadata{{AccessKeyId: aws.String("AKIA" + aws.ToString(in.UserName)), UserName: in.UserName, Status: types.StatusTypeActive}}}, nil
}

func (f *orderIAM) GenerateCredentialReport(ctx context.Context, _ *iam.GenerateCredentialReportInput, _ ...func(*iam.Options)) (*iam.GenerateCredentialReportOutput, error) {
	f.generateCalls.Add(1)
	if f.generateWaitsForGAAD {
		if err := f.after(ctx, "gaad", "iam:GenerateCredentialReport"); err != nil {
			return nil, err
		}
	}
	f.generated.Store(true)
	return &iam.GenerateCredentialReportOutput{State: types.ReportStateTypeComplete}, nil
}

func (f *orderIAM) GetCredentialReport(ctx context.Context, _ *iam.GetCredentialReportInput, _ ...func(*iam.Options)) (*iam.GetCredentialReportOutput, error) {
	select {
	case <-time.After(f.reportDelay):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if !f.generated.Load() {
		f.readEarly.Store(true)
		return nil, apiErr("ReportNotPresent")
	}
	csv := "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated\n" +
		"alice,arn:aws:iam::111122223333:user/alice,2026-01-01T00:00:00+00:00,false,N/A,N/A,N/A,false,true,2026-01-01T00:00:00+00:00,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n" +
		"bob,arn:aws:iam::111122223333:user/bob,2026-01-01T00:00:00+00:00,false,N/A,N/A,N/A,false,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n"
	return &iam.GetCredentialReportOutput{Content: []byte(csv), GeneratedTime: aws.Time(time.Date(2026, 11, 23, 4, 0, 0, 0, time.UTC))}, nil
}

// The access keys are listed once the users and the credential report are
// in, while the account's other IAM lists are still being read: here the
// SAML providers' list answers only after a key listing began, which a
// collector that listed keys after every other list would never reach.
func TestAccessKeysListedWhileOtherListsRun(t *testing.T) {
	f := &orderIAM{samlWaitsForKeys: true}
	f.generated.Store(true) // the report is ready
	it := &Item{Account: "111122223333", Clients: testClients{iam: f}, Parallel: 8, WaitCredentialReport: true}
	it.reportState(true)
	d := &IAMData{}
	if err := collectIAM(context.Background(), it, d); err != nil {
		t.Fatal(err)
	}
	if _, ok := f.keysListed.Load("alice"); !ok {
		t.Error("alice's keys (the report shows one) were not listed")
	}
	if _, ok := f.keysListed.Load("bob"); ok {
		t.Error("bob's keys were listed though the report shows none")
	}
	if f.samlCalls.Load() != 1 {
		t.Errorf("ListSAMLProviders called %d times", f.samlCalls.Load())
	}
	for _, u := range d.Users {
		if u.UserName == "alice" && len(u.AccessKeys) != 1 {
			t.Errorf("alice has %d keys in the data, want 1", len(u.AccessKeys))
		}
	}
}

// The credential report's start does not hold the collectors (here IAM
// answers GenerateCredentialReport only once the users' listing began),
// and the report is read only after the start returned: a read before it
// would be told the report is not there.
func TestStartRunsBesideTheCollectors(t *testing.T) {
	f := &orderIAM{generateWaitsForGAAD: true}
	it := &Item{Account: "111122223333", Clients: testClients{iam: f}, Parallel: 8, WaitCredentialReport: true,
		ReportPolicy: CredentialReportPolicy{FirstWait: time.Millisecond, MaxWait: time.Millisecond, MaxPolls: 3}}
	ctx := context.Background()
	wait := StartAll(ctx, []Collector{IAMCollector{}, CredentialReportCollector{}}, it)
	errs := make(chan error, 2)
	iamW, reportW := &recordWriter{}, &recordWriter{}
	go func() { errs <- (IAMCollector{}).Collect(ctx, it, iamW) }()
	go func() { errs <- (CredentialReportCollector{}).Collect(ctx, it, reportW) }()
	for range 2 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	wait()
	if f.readEarly.Load() {
		t.Error("the report was read before GenerateCredentialReport returned")
	}
	if n := f.generateCalls.Load(); n != 1 {
		t.Errorf("GenerateCredentialReport called %d times, want 1", n)
	}
	if len(it.Warnings()) != 0 {
		t.Errorf("warnings %v", it.Warnings())
	}
	if reportW.report == nil {
		t.Error("the credential report was not stored")
	}
}

// An IAM list that fails cancels the IAM collector's other calls, not the
// credential report the report collector stores: the report is read with
// the account's context, whichever collector asks first.
func TestIAMFailureLeavesTheReportToItsCollector(t *testing.T) {
	f := &orderIAM{samlErr: apiErr("AccessDenied"), reportDelay: 50 * time.Millisecond}
	it := &Item{Account: "111122223333", Clients: testClients{iam: f}, Parallel: 8, WaitCredentialReport: true}
	ctx := context.Background()
	wait := StartAll(ctx, []Collector{CredentialReportCollector{}}, it)
	iamErr := make(chan error, 1)
	go func() { iamErr <- (IAMCollector{}).Collect(ctx, it, &recordWriter{}) }()
	<-f.called("gaad") // the IAM collector asks for the report first
	time.Sleep(10 * time.Millisecond)
	w := &recordWriter{}
	if err := (CredentialReportCollector{}).Collect(ctx, it, w); err != nil {
		t.Errorf("the report collector failed with the IAM collector's cancellation: %v", err)
	}
	if err := <-iamErr; ErrorCode(err) != "AccessDenied" {
		t.Errorf("IAM collector: %v, want its AccessDenied", err)
	}
	wait()
	if w.report == nil {
		t.Error("the report was not stored")
	}
}
