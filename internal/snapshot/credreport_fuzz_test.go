package snapshot

import (
	"bytes"
	"testing"
)

func FuzzParseCredentialReport(f *testing.F) {
	f.Add([]byte("user,arn,user_creation_time,password_enabled\n<root_account>,arn:aws:iam::111122223333:root,2026-01-01T00:00:00+00:00,not_supported\n"))
	f.Add([]byte("user,arn\n\"a,b\",arn:aws:iam::111122223333:user/a\n"))
	f.Add([]byte("user,arn\na,b,c\n"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, err := ParseCredentialReport(data)
		if err != nil {
			if rows != nil {
				t.Fatalf("rows with an error: %d", len(rows))
			}
			return
		}
		// One row per data line at most.
		if lines := bytes.Count(data, []byte("\n")) + 1; len(rows) > lines {
			t.Fatalf("%d rows from %d lines", len(rows), lines)
		}
	})
}
