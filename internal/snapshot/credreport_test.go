package snapshot

import (
	"strings"
	"testing"
)

const report = `user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated
<root_account>,arn:aws:iam::111122223333:root,2020-01-01T00:00:00+00:00,not_supported,2026-11-01T10:00:00+00:00,not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A
alice,arn:aws:iam::111122223333:user/alice,2024-03-01T12:00:00+01:00,true,no_information,2024-03-01T12:00:00+00:00,N/A,false,true,2024-03-02T00:00:00+00:00,2026-11-20T08:00:00+00:00,eu-west-1,s3,false,2025-01-01T00:00:00+00:00,N/A,N/A,N/A,false,N/A,false,N/A
`

func TestParseCredentialReport(t *testing.T) {
	rows, err := ParseCredentialReport([]byte(report))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || !rows[0].IsRoot() || rows[0].PasswordEnabled != TriNotSupported || !rows[0].MFAActive {
		t.Fatalf("root row: %+v", rows[0])
	}
	a := rows[1]
	if a.UserCreationTime.Format("2006-01-02T15:04:05Z07:00") != "2024-03-01T11:00:00Z" {
		t.Errorf("times must be UTC: %v", a.UserCreationTime)
	}
	if a.PasswordLastUsed != nil || !a.PasswordLastUsedNoInfo || !a.PasswordEnabled.Bool() {
		t.Errorf("no_information: %+v", a)
	}
	if !a.AccessKeys[0].Active || a.AccessKeys[0].LastUsedService != "s3" || a.AccessKeys[0].LastUsedRegion != "eu-west-1" {
		t.Errorf("key 1: %+v", a.AccessKeys[0])
	}
	if a.AccessKeys[1].Active || !a.AccessKeys[1].Present() || a.AccessKeys[1].LastUsedDate != nil {
		t.Errorf("inactive key 2: %+v", a.AccessKeys[1])
	}
	if last := a.LastActivity(); last == nil || last.Day() != 20 {
		t.Errorf("last activity: %v", last)
	}
}

func TestParseCredentialReportErrors(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"", "empty"},
		{"user,password_enabled,mfa_active\nx,true,false\n", `column "arn" missing`},
		{strings.Replace(report, "2024-03-02T00:00:00+00:00", "yesterday", 1), "line 3, column access_key_1_last_rotated"},
		// Cut short in its last row: the missing fields are not read as empty.
		{report[:strings.LastIndex(report, "false,N/A,false")], "line 3: 19 fields, the header has 22"},
		// A user name with an unquoted comma shifts every field after it.
		{strings.Replace(report, "alice,", "alice,x,", 1), "line 3: 23 fields, the header has 22"},
	} {
		if _, err := ParseCredentialReport([]byte(tt.in)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("err %v, want %q", err, tt.want)
		}
	}
}
