package snapshot

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"time"
)

// RootUser is the credential report's name for the account root user.
const RootUser = "<root_account>"

// CredentialReportColumns are the columns IAM's credential report has today.
var CredentialReportColumns = []string{
	"user", "arn", "user_creation_time", "password_enabled", "password_last_used",
	"password_last_changed", "password_next_rotation", "mfa_active",
	"access_key_1_active", "access_key_1_last_rotated", "access_key_1_last_used_date",
	"access_key_1_last_used_region", "access_key_1_last_used_service",
	"access_key_2_active", "access_key_2_last_rotated", "access_key_2_last_used_date",
	"access_key_2_last_used_region", "access_key_2_last_used_service",
	"cert_1_active", "cert_1_last_rotated", "cert_2_active", "cert_2_last_rotated",
}

// Tri is a credential report boolean that may also be "not_supported".
type Tri string

const (
	TriTrue         Tri = "true"
	TriFalse        Tri = "false"
	TriNotSupported Tri = "not_supported"
)

// Bool is true only for "true".
func (t Tri) Bool() bool { return t == TriTrue }

// CredKey is one access key slot of a credential report row.
type CredKey struct {
	Active          bool       `json:"active"`
	LastRotated     *time.Time `json:"lastRotated,omitempty"`
	LastUsedDate    *time.Time `json:"lastUsedDate,omitempty"`
	LastUsedRegion  string     `json:"lastUsedRegion,omitempty"`
	LastUsedService string     `json:"lastUsedService,omitempty"`
}

// Present reports whether the slot holds a key (active or not).
func (k CredKey) Present() bool { return k.Active || k.LastRotated != nil }

// CredCert is one signing certificate slot.
type CredCert struct {
	Active      bool       `json:"active"`
	LastRotated *time.Time `json:"lastRotated,omitempty"`
}

// CredentialReportRow is one typed row. Times are UTC; nil means the report
// said N/A, no_information or not_supported. PasswordLastUsedNoInfo tells
// "no_information" (never used since tracking began) from N/A (no password).
type CredentialReportRow struct {
	User                   string      `json:"user"`
	Arn                    string      `json:"arn"`
	UserCreationTime       *time.Time  `json:"userCreationTime,omitempty"`
	PasswordEnabled        Tri         `json:"passwordEnabled"`
	PasswordLastUsed       *time.Time  `json:"passwordLastUsed,omitempty"`
	PasswordLastUsedNoInfo bool        `json:"passwordLastUsedNoInfo,omitempty"`
	PasswordLastChanged    *time.Time  `json:"passwordLastChanged,omitempty"`
	PasswordNextRotation   *time.Time  `json:"passwordNextRotation,omitempty"`
	MFAActive              bool        `json:"mfaActive"`
	AccessKeys             [2]CredKey  `json:"accessKeys"`
	Certs                  [2]CredCert `json:"certs"`
}

// IsRoot reports whether the row is the account root user.
func (r CredentialReportRow) IsRoot() bool { return r.User == RootUser }

// LastActivity is the latest of password and access key use (nil if none).
func (r CredentialReportRow) LastActivity() *time.Time {
	var last *time.Time
	for _, t := range []*time.Time{r.PasswordLastUsed, r.AccessKeys[0].LastUsedDate, r.AccessKeys[1].LastUsedDate} {
		if t != nil && (last == nil || t.After(*last)) {
			last = t
		}
	}
	return last
}

// ParseCredentialReport parses the CSV exactly as IAM returns it. Columns are
// found by header name, so a report with extra or reordered columns still
// parses; a missing required column is an error naming it.
func ParseCredentialReport(data []byte) ([]CredentialReportRow, error) {
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err == io.EOF {
		return nil, fmt.Errorf("credential report: empty")
	}
	if err != nil {
		return nil, fmt.Errorf("credential report: header: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.TrimSpace(h)] = i
	}
	for _, need := range []string{"user", "arn", "password_enabled", "mfa_active"} {
		if _, ok := col[need]; !ok {
			return nil, fmt.Errorf("credential report: column %q missing from header", need)
		}
	}
	// Column positions, looked up once: -1 when the report lacks the column.
	at := func(name string) int {
		if i, ok := col[name]; ok {
			return i
		}
		return -1
	}
	type keyCols struct{ active, rotated, usedDate, usedRegion, usedService int }
	type certCols struct{ active, rotated int }
	var (
		cUser, cArn, cCreated     = at("user"), at("arn"), at("user_creation_time")
		cPwEnabled, cPwUsed       = at("password_enabled"), at("password_last_used")
		cPwChanged, cPwNext, cMFA = at("password_last_changed"), at("password_next_rotation"), at("mfa_active")
		cKeys                     [2]keyCols
		cCerts                    [2]certCols
	)
	for i := range 2 {
		p := fmt.Sprintf("access_key_%d_", i+1)
		cKeys[i] = keyCols{at(p + "active"), at(p + "last_rotated"), at(p + "last_used_date"), at(p + "last_used_region"), at(p + "last_used_service")}
		c := fmt.Sprintf("cert_%d_", i+1)
		cCerts[i] = certCols{at(c + "active"), at(c + "last_rotated")}
	}
	// Data records share one slice from here on; header, read before, keeps its own.
	r.ReuseRecord = true
	var rows []CredentialReportRow
	line := 1
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		line++
		if err != nil {
			return nil, fmt.Errorf("credential report line %d: %w", line, err)
		}
		// IAM writes every row with the header's fields. FieldsPerRecord
		// is off so this error can say what a different count means: a
		// row read with fields missing or shifted would be wrong silently.
		if len(rec) != len(header) {
			return nil, fmt.Errorf("credential report line %d: %d fields, the header has %d (a value with an unquoted comma, or the file cut short)", line, len(rec), len(header))
		}
		get := func(i int) string {
			if i < 0 || i >= len(rec) {
				return ""
			}
			return strings.TrimSpace(rec[i])
		}
		var perr error
		tm := func(i int) *time.Time {
			t, err := parseReportTime(get(i))
			if err != nil && perr == nil {
				perr = fmt.Errorf("credential report line %d, column %s: %w", line, strings.TrimSpace(header[i]), err)
			}
			return t
		}
		row := CredentialReportRow{
			User:                 get(cUser),
			Arn:                  get(cArn),
			UserCreationTime:     tm(cCreated),
			PasswordEnabled:      Tri(get(cPwEnabled)),
			PasswordLastUsed:     tm(cPwUsed),
			PasswordLastChanged:  tm(cPwChanged),
			PasswordNextRotation: tm(cPwNext),
			MFAActive:            get(cMFA) == "true",
		}
		row.PasswordLastUsedNoInfo = get(cPwUsed) == "no_information"
		for i, k := range cKeys {
			row.AccessKeys[i] = CredKey{
				Active:          get(k.active) == "true",
				LastRotated:     tm(k.rotated),
				LastUsedDate:    tm(k.usedDate),
				LastUsedRegion:  naToEmpty(get(k.usedRegion)),
				LastUsedService: naToEmpty(get(k.usedService)),
			}
			c := cCerts[i]
			row.Certs[i] = CredCert{Active: get(c.active) == "true", LastRotated: tm(c.rotated)}
		}
		if perr != nil {
			return nil, perr
		}
		rows = append(rows, row)
	}
	return rows, nil
}

func naToEmpty(s string) string {
	switch s {
	case "N/A", "no_information", "not_supported":
		return ""
	}
	return s
}

func parseReportTime(s string) (*time.Time, error) {
	switch s {
	case "", "N/A", "no_information", "not_supported":
		return nil, nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05Z07:00", "2006-01-02T15:04:05.000Z07:00"} {
		if t, err := time.Parse(layout, s); err == nil {
			u := t.UTC()
			return &u, nil
		}
	}
	return nil, fmt.Errorf("time %q is not ISO 8601", s)
}
