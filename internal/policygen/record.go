package policygen

import (
	"strings"

	"github.com/go-json-experiment/json/jsontext"
)

// Record is the part of a CloudTrail record policy generation reads. Fields
// not named here are skipped by the decoder without being kept.
type Record struct {
	EventTime          string         `json:"eventTime"`
	EventSource        string         `json:"eventSource"`
	EventName          string         `json:"eventName"`
	AWSRegion          string         `json:"awsRegion"`
	ErrorCode          string         `json:"errorCode"`
	UserIdentity       *UserIdentity  `json:"userIdentity"`
	Resources          []Resource     `json:"resources"`
	RequestParameters  jsontext.Value `json:"requestParameters"`
	RecipientAccountID string         `json:"recipientAccountId"`
	EventCategory      string         `json:"eventCategory"`
	ManagementEvent    *bool          `json:"managementEvent"`
}

// UserIdentity is the record's caller.
type UserIdentity struct {
	Type           string          `json:"type"`
	ARN            string          `json:"arn"`
	AccountID      string          `json:"accountId"`
	InvokedBy      string          `json:"invokedBy"`
	SessionContext *SessionContext `json:"sessionContext"`
}

// SessionContext holds the role a session was issued from.
type SessionContext struct {
	SessionIssuer struct {
		Type string `json:"type"`
		ARN  string `json:"arn"`
	} `json:"sessionIssuer"`
}

// Resource is one entry of a record's resources[].
type Resource struct {
	ARN  string `json:"ARN"`
	Type string `json:"type"`
}

// dataEvent reports whether the record is a data event (object-level S3,
// Lambda Invoke, DynamoDB items …), which trails log only when configured to.
func (r *Record) dataEvent() bool {
	if r.EventCategory != "" {
		return strings.EqualFold(r.EventCategory, "Data")
	}
	return r.ManagementEvent != nil && !*r.ManagementEvent
}

// denied reports whether the call failed authorisation.
func (r *Record) denied() bool {
	c := r.ErrorCode
	if c == "" {
		return false
	}
	return strings.Contains(c, "AccessDenied") || strings.Contains(c, "UnauthorizedOperation") ||
		c == "Unauthorized" || c == "AuthorizationError" || c == "AuthorizationErrorException" ||
		strings.HasSuffix(c, "NotAuthorized") || c == "Forbidden"
}
