package snapshot

import "time"

// ServerCertificate is iam:ListServerCertificates' ServerCertificateMetadata
// shape (account.json's serverCertificates holds an array of them; runs
// written before, accounts/<id>/iam/server-certificates.json).
type ServerCertificate struct {
	Path                  string     `json:"Path"`
	ServerCertificateName string     `json:"ServerCertificateName"`
	ServerCertificateID   string     `json:"ServerCertificateId"`
	Arn                   string     `json:"Arn"`
	UploadDate            *time.Time `json:"UploadDate,omitempty"`
	Expiration            *time.Time `json:"Expiration,omitempty"`
}

// Security contact statuses.
const (
	// ContactSet: account:GetAlternateContact returned the contact.
	ContactSet = "set"
	// ContactNotSet: it answered ResourceNotFoundException (no contact).
	ContactNotSet = "not-set"
	// ContactUnknown: it failed otherwise (AccessDenied, a missing
	// permission in an older collect role, …): whether one is set is unknown.
	ContactUnknown = "unknown"
)

// AlternateContact is account:GetAlternateContact's AlternateContact shape.
type AlternateContact struct {
	AlternateContactType string `json:"AlternateContactType"`
	Name                 string `json:"Name,omitempty"`
	Title                string `json:"Title,omitempty"`
	EmailAddress         string `json:"EmailAddress,omitempty"`
	PhoneNumber          string `json:"PhoneNumber,omitempty"`
}

// SecurityContact is account.json's securityContact (in runs written
// before, accounts/<id>/iam/security-contact.json): the account's
// SECURITY alternate contact and whether it could be read. Status and Error
// are orgiam's own fields (camelCase); Contact is the AWS shape.
type SecurityContact struct {
	Status string `json:"status"`
	// Error is the AWS error code and message when Status is unknown.
	Error   string            `json:"error,omitempty"`
	Contact *AlternateContact `json:"contact,omitempty"`
}
