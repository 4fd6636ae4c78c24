package collect

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/orgiam/orgiam/internal/snapshot"
)

// A resource collector (S3, KMS, SQS, …) reads the resources of one service
// that carry a resource-based policy and hands them to Writer.Resources. What
// it cannot read because the call is not authorized — an SCP that denies the
// service, a region the account has not opted in to — is recorded as a
// CollectorWarning of the item (Item.Missed) and the collector goes on: the
// item is then partial, not failed. Any other failure is returned as an
// *OpError and fails the collector, not the item's other collectors.
//
// Adding a service: one file with its client interface, a collector type
// (Name, Scope, Actions, Collect) and a method on Clients; one line in List.

// deniedCodes are the AWS error codes that mean the caller may not make the
// call here: IAM or an SCP denies it, or the region or service is not
// enabled for the account (its STS token is then unknown in the region).
var deniedCodes = map[string]bool{
	"AccessDenied": true, "AccessDeniedException": true, "UnauthorizedOperation": true,
	"UnauthorizedException": true, "AuthorizationError": true, "AuthFailure": true,
	"AuthorizationErrorException": true, "Forbidden": true,
	"OptInRequired": true, "SubscriptionRequiredException": true,
	"UnrecognizedClientException": true, "InvalidClientTokenId": true,
	"AWS.SimpleQueueService.AccessDenied": true, "KMSAccessDeniedException": true,
}

// IsDenied reports whether err is an authorization or opt-in refusal: the
// data is missing because the account may not read it, not because a call
// failed.
func IsDenied(err error) bool { return deniedCodes[ErrorCode(err)] }

// Missed records a collector that could not read part of the item without
// failing it.
func (it *Item) Missed(w snapshot.CollectorWarning) {
	it.mu.Lock()
	defer it.mu.Unlock()
	it.missed = append(it.missed, w)
}

// CollectorWarnings are what the item's collectors could not read, by
// collector (the collectors of an account run at once), each collector's in
// the order it recorded them.
func (it *Item) CollectorWarnings() []snapshot.CollectorWarning {
	it.mu.Lock()
	defer it.mu.Unlock()
	out := append([]snapshot.CollectorWarning(nil), it.missed...)
	slices.SortStableFunc(out, func(a, b snapshot.CollectorWarning) int { return strings.Compare(a.Collector, b.Collector) })
	return out
}

// SetEnabledRegions records the regions enabled in the item's account (the
// regions collector, from ec2:DescribeRegions).
func (it *Item) SetEnabledRegions(r []string) {
	it.mu.Lock()
	defer it.mu.Unlock()
	it.enabled = append([]string{}, r...)
	it.enabledKnown = true
}

// EnabledRegions are the regions enabled in the account; ok is false when
// they could not be read.
func (it *Item) EnabledRegions() (regions []string, ok bool) {
	it.mu.Lock()
	defer it.mu.Unlock()
	return append([]string(nil), it.enabled...), it.enabledKnown
}

// WarningOf turns a collector's failed call into its CollectorWarning.
func WarningOf(collector, region string, err error) snapshot.CollectorWarning {
	w := snapshot.CollectorWarning{Collector: collector, Region: region, Code: ErrorCode(err), Message: ErrorText(err)}
	var op *OpError
	if errors.As(err, &op) {
		w.Operation, _, _ = strings.Cut(op.Operation, " ")
		w.Message = op.Error()
	}
	var re *resourceError
	if errors.As(err, &re) {
		w.Resource = re.arn
	}
	return w
}

// resourceError marks the resource a failed call was about.
type resourceError struct {
	arn string
	err error
}

func (e *resourceError) Error() string { return e.err.Error() }
func (e *resourceError) Unwrap() error { return e.err }

// call is the outcome of one AWS call of a collector: nil when it worked;
// nil too when it was denied, after recording the denial on the item (the
// collector goes on without that data); else the failure, naming the
// account and the operation.
func (it *Item) call(collector, op, resource string, err error) error {
	if err == nil {
		return nil
	}
	wrapped := opErr(it.Account, op, err)
	if resource != "" {
		wrapped = &resourceError{arn: resource, err: wrapped}
	}
	if IsDenied(err) {
		it.Missed(WarningOf(collector, it.Region, wrapped))
		return errDenied
	}
	return wrapped
}

// errDenied is call's answer for a denied call: the caller stops what it
// was doing and returns nil (the denial is already recorded).
var errDenied = errors.New("denied (recorded)")

// settle is a collector's return value: a denial is not a failure.
func settle(err error) error {
	if errors.Is(err, errDenied) {
		return nil
	}
	return err
}

// forEach calls fn for every element with at most parallel calls at once
// and returns the first failure; denied calls are not failures (the others
// go on).
func forEach[T any](ctx context.Context, parallel int, items []T, fn func(context.Context, T) error) error {
	return Each(ctx, parallel, len(items), func(ctx context.Context, i int) error { return settle(fn(ctx, items[i])) })
}

// policyDocument is a resource policy as AWS returned it (a JSON string),
// as a JSON object for the store. An empty string is no policy.
func policyDocument(s string) (json.RawMessage, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	if !json.Valid([]byte(s)) || !strings.HasPrefix(s, "{") {
		return nil, fmt.Errorf("the policy is not a JSON object")
	}
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(s)); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// withPolicy sets r.Policy from a policy string; a document that is not
// JSON is recorded as a warning and left out.
func (it *Item) withPolicy(collector string, r *snapshot.Resource, doc string) {
	p, err := policyDocument(doc)
	if err != nil {
		it.Missed(snapshot.CollectorWarning{Collector: collector, Region: it.Region, Resource: r.ARN, Message: err.Error()})
		return
	}
	r.Policy = p
}

// sortResources orders resources by ARN (stable files, stable diffs).
func sortResources(rs []snapshot.Resource) {
	sort.Slice(rs, func(i, j int) bool { return rs[i].ARN < rs[j].ARN })
}

// partitionOf is the ARN partition of a region.
func partitionOf(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	case strings.HasPrefix(region, "eusc-"):
		return "aws-eusc"
	case strings.HasPrefix(region, "us-isob-"):
		return "aws-iso-b"
	case strings.HasPrefix(region, "us-isof-"):
		return "aws-iso-f"
	case strings.HasPrefix(region, "eu-isoe-"):
		return "aws-iso-e"
	case strings.HasPrefix(region, "us-iso-"):
		return "aws-iso"
	}
	return "aws"
}

// resources collects the resources of one collector: safe for the
// collector's concurrent calls.
type resources struct {
	mu  sync.Mutex
	out []snapshot.Resource
}

func (r *resources) add(x snapshot.Resource) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.out = append(r.out, x)
}

// list is what was added, sorted by ARN, never nil.
func (r *resources) list() []snapshot.Resource {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := append([]snapshot.Resource{}, r.out...)
	sortResources(out)
	return out
}

// Lenient is a collector whose failure leaves its item partial, not
// failed: the item's other data stands without it. The resource collectors
// are lenient; IAM is not (an account without its IAM data has failed).
type Lenient interface {
	Collector
	// LenientFailure marks the collector.
	LenientFailure()
}

// LenientFailure marks the collector as Lenient.
func (S3Collector) LenientFailure() {}

// LenientFailure marks the collector as Lenient.
func (RegionsCollector) LenientFailure() {}
