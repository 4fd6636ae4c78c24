// Package securityhub imports findings into AWS Security Hub with
// BatchImportFindings.
//
// Who imports: the Security Hub administrator account (the delegated
// administrator of the organization, or the aggregator's account). A
// finding's AwsAccountId may differ from the caller's account only when the
// caller is the administrator of that account, and its ProductArn is then
// the caller's own default product,
// arn:<partition>:securityhub:<region>:<caller>:product/<caller>/default.
// So one set of credentials imports the whole organization, without a role
// in each account.
//
// How: the findings come one account at a time (Add). Each account's are
// sent in batches of at most 100 (the API's limit) to every region asked
// for. A region where Security Hub is not enabled, or that refuses the
// caller (InvalidAccessException, AccessDeniedException), is reported once
// and gets nothing more while the other regions go on. Throttling
// (LimitExceededException, TooManyRequestsException) is retried by the
// SDK's adaptive retryer of the client's configuration (awsauth.LoadBase),
// which paces the client's sending rate down as throttles come; the
// findings Security Hub refuses one by one (FailedFindings) are reported
// with their codes.
package securityhub

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sh "github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"
	"github.com/aws/smithy-go"

	"github.com/orgiam/orgiam/internal/report"
)

// BatchSize is BatchImportFindings' limit of findings per call.
const BatchSize = 100

// API is the part of the Security Hub client the importer calls.
type API interface {
	BatchImportFindings(ctx context.Context, in *sh.BatchImportFindingsInput, opts ...func(*sh.Options)) (*sh.BatchImportFindingsOutput, error)
}

var _ API = (*sh.Client)(nil)

// NewClients returns a client per region from one configuration (its
// credentials, retryer and endpoint).
func NewClients(cfg aws.Config, regions []string) map[string]API {
	out := map[string]API{}
	for _, r := range regions {
		region := r
		out[r] = sh.NewFromConfig(cfg, func(o *sh.Options) { o.Region = region })
	}
	return out
}

// Importer imports findings into Security Hub in one or more regions.
type Importer struct {
	// Clients is a client per region; Regions are imported in this order.
	Clients map[string]API
	Regions []string
	// ProductAccount is the caller's account (the administrator).
	ProductAccount string
	// Now is UpdatedAt.
	Now time.Time

	results map[string]*RegionResult
}

// RegionResult is what one region took.
type RegionResult struct {
	Region string
	// Calls is the BatchImportFindings calls answered (a call retried
	// under throttling counts once); Imported the findings Security Hub
	// accepted.
	Calls, Imported int
	// Accounts is the accounts whose findings were sent.
	Accounts int
	// Failed are the findings refused, one by one or with their batch.
	Failed []Failed
	// Err stops the region: Security Hub not enabled there, or the caller
	// refused. Nothing more is sent to it.
	Err error
}

// RegionError is a region's refusal: Security Hub not enabled there for
// the account, or the caller not allowed to import.
type RegionError struct {
	Region, Account, Code, Message string
	Err                            error
}

func (e *RegionError) Error() string {
	return fmt.Sprintf("securityhub:BatchImportFindings: %s: %s (is Security Hub enabled in %s for account %s?)", e.Code, e.Message, e.Region, e.Account)
}

func (e *RegionError) Unwrap() error { return e.Err }

// Failed is one finding Security Hub did not import.
type Failed struct {
	Account, ID, Code, Message string
}

func (im *Importer) result(region string) *RegionResult {
	if im.results == nil {
		im.results = map[string]*RegionResult{}
	}
	r := im.results[region]
	if r == nil {
		r = &RegionResult{Region: region}
		im.results[region] = r
	}
	return r
}

// Add imports one account's findings into every region not stopped. It
// returns an error only when ctx ends or a finding is of another account;
// what AWS answered is in Results.
func (im *Importer) Add(ctx context.Context, account string, findings []report.Finding) error {
	if len(findings) == 0 {
		return nil
	}
	for i := range findings {
		if findings[i].AccountID != account {
			// Batches are per account: a caller mixing accounts is a bug.
			return fmt.Errorf("securityhub: finding %s is of account %s, not %s", findings[i].ID, findings[i].AccountID, account)
		}
	}
	for _, region := range im.Regions {
		res := im.result(region)
		if res.Err != nil {
			continue
		}
		res.Accounts++
		batch := make([]types.AwsSecurityFinding, 0, min(BatchSize, len(findings)))
		for start := 0; start < len(findings) && res.Err == nil; start += BatchSize {
			end := min(start+BatchSize, len(findings))
			batch = batch[:0]
			for i := start; i < end; i++ {
				a := report.ToASFF(&findings[i], report.ASFFOptions{Region: region, ProductAccount: im.ProductAccount, Now: im.Now})
				batch = append(batch, ToSDK(a))
			}
			if err := im.send(ctx, region, account, batch, res); err != nil {
				return err
			}
		}
	}
	return nil
}

func (im *Importer) send(ctx context.Context, region, account string, batch []types.AwsSecurityFinding, res *RegionResult) error {
	out, err := im.Clients[region].BatchImportFindings(ctx, &sh.BatchImportFindingsInput{Findings: batch})
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var ae smithy.APIError
		code, msg := "Error", err.Error()
		if errors.As(err, &ae) {
			code, msg = ae.ErrorCode(), ae.ErrorMessage()
		}
		switch code {
		case "InvalidAccessException", "AccessDeniedException", "UnrecognizedClientException":
			res.Err = &RegionError{Region: region, Account: im.ProductAccount, Code: code, Message: msg, Err: err}
		}
		for _, f := range batch {
			res.Failed = append(res.Failed, Failed{Account: account, ID: aws.ToString(f.Id), Code: code, Message: err.Error()})
		}
		return nil
	}
	res.Calls++
	res.Imported += int(aws.ToInt32(out.SuccessCount))
	for _, f := range out.FailedFindings {
		res.Failed = append(res.Failed, Failed{Account: account, ID: aws.ToString(f.Id), Code: aws.ToString(f.ErrorCode), Message: aws.ToString(f.ErrorMessage)})
	}
	return nil
}

// Results is every region's result, in Regions' order.
func (im *Importer) Results() []RegionResult {
	out := make([]RegionResult, 0, len(im.Regions))
	for _, r := range im.Regions {
		out = append(out, *im.result(r))
	}
	return out
}

// FailedRegions lists the regions stopped by an error, sorted.
func FailedRegions(rs []RegionResult) []string {
	var out []string
	for _, r := range rs {
		if r.Err != nil {
			out = append(out, r.Region)
		}
	}
	sort.Strings(out)
	return out
}

// ToSDK converts an ASFF finding to the SDK's type.
func ToSDK(a report.ASFF) types.AwsSecurityFinding {
	f := types.AwsSecurityFinding{
		SchemaVersion:   aws.String(a.SchemaVersion),
		Id:              aws.String(a.ID),
		ProductArn:      aws.String(a.ProductArn),
		GeneratorId:     aws.String(a.GeneratorID),
		AwsAccountId:    aws.String(a.AwsAccountID),
		Types:           a.Types,
		CreatedAt:       aws.String(a.CreatedAt),
		UpdatedAt:       aws.String(a.UpdatedAt),
		Severity:        &types.Severity{Label: types.SeverityLabel(a.Severity.Label), Original: optional(a.Severity.Original)},
		Title:           aws.String(a.Title),
		Description:     aws.String(a.Description),
		ProductFields:   a.ProductFields,
		Compliance:      &types.Compliance{Status: types.ComplianceStatus(a.Compliance.Status), RelatedRequirements: a.Compliance.RelatedRequirements},
		RecordState:     types.RecordState(a.RecordState),
		Workflow:        &types.Workflow{Status: types.WorkflowStatus(a.Workflow.Status)},
		Region:          optional(a.Region),
		FirstObservedAt: optional(a.FirstObservedAt),
		LastObservedAt:  optional(a.LastObservedAt),
	}
	for _, r := range a.Resources {
		f.Resources = append(f.Resources, types.Resource{Type: aws.String(r.Type), Id: aws.String(r.ID), Partition: types.Partition(r.Partition), Region: optional(r.Region)})
	}
	if a.Remediation != nil {
		f.Remediation = &types.Remediation{Recommendation: &types.Recommendation{Text: optional(a.Remediation.Recommendation.Text), Url: optional(a.Remediation.Recommendation.URL)}}
	}
	if a.Note != nil {
		f.Note = &types.Note{Text: aws.String(a.Note.Text), UpdatedBy: aws.String(a.Note.UpdatedBy), UpdatedAt: aws.String(a.Note.UpdatedAt)}
	}
	return f
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}
