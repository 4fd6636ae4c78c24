package cron

import (
	"strings"
	"testing"
	"time"
)

func TestNext(t *testing.T) {
	from := time.Date(2026, 11, 23, 12, 30, 15, 0, time.UTC) // a Monday
	tests := []struct{ expr, want string }{
		{"0 4 * * *", "2026-11-24T04:00:00Z"},
		{"*/15 * * * *", "2026-11-23T12:45:00Z"},
		{"30 12 * * *", "2026-11-24T12:30:00Z"},
		{"0 0 1 * *", "2026-12-01T00:00:00Z"},
		{"0 9 * * mon-fri", "2026-11-24T09:00:00Z"},
		{"0 9 * * sat,sun", "2026-11-28T09:00:00Z"},
		{"0 9 * * 7", "2026-11-29T09:00:00Z"},
		{"0 0 29 feb *", "2028-02-29T00:00:00Z"},
		{"@hourly", "2026-11-23T13:00:00Z"},
		{"0 0 13 * fri", "2026-11-27T00:00:00Z"}, // day-of-month OR day-of-week
		{"5 4 * jan *", "2027-01-01T04:05:00Z"},
	}
	for _, tt := range tests {
		s, err := Parse(tt.expr)
		if err != nil {
			t.Fatalf("%s: %v", tt.expr, err)
		}
		if got := s.Next(from).Format(time.RFC3339); got != tt.want {
			t.Errorf("%s: next %s, want %s", tt.expr, got, tt.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ expr, want string }{
		{"0 4 * *", "expected 5 fields"},
		{"60 * * * *", "minute field \"60\": 60 is out of range 0-59"},
		{"* 24 * * *", "hour field"},
		{"* * * foo *", "month field"},
		{"*/0 * * * *", "bad step"},
		{"5-1 * * * *", "backwards"},
	}
	for _, tt := range tests {
		_, err := Parse(tt.expr)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err %v, want %q", tt.expr, err, tt.want)
		}
	}
}
