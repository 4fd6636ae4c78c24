package cron

import (
	"strings"
	"testing"
	"time"
)

// from is a Monday, 2026-11-23 12:30:15 UTC. The weekdays the expected
// times rely on were read off GNU date, not computed by this package:
// 2026-11-01 Sunday, 2026-11-30 Monday, 2026-12-01 Tuesday, 2027-01-01
// Friday (so 2027-01-03 is a Sunday and 2027-01-31 a Sunday), 2027-05-01
// Saturday.
var ebFrom = time.Date(2026, 11, 23, 12, 30, 15, 0, time.UTC)

func TestEventBridgeDocumentedExamples(t *testing.T) {
	// The examples of EventBridge's "Cron expressions reference", with the
	// meaning the guide gives each, and the next time from ebFrom.
	tests := []struct{ expr, meaning, want string }{
		{"cron(0 10 * * ? *)", "10:00 am (UTC+0) every day", "2026-11-24T10:00:00Z"},
		{"cron(15 12 * * ? *)", "12:15 pm (UTC+0) every day", "2026-11-24T12:15:00Z"},
		{"cron(0 18 ? * MON-FRI *)", "6:00 pm (UTC+0) every Monday through Friday", "2026-11-23T18:00:00Z"},
		{"cron(0 8 1 * ? *)", "8:00 am (UTC+0) every 1st day of the month", "2026-12-01T08:00:00Z"},
		{"cron(0/15 * * * ? *)", "every 15 minutes", "2026-11-23T12:45:00Z"},
		{"cron(0/10 * ? * MON-FRI *)", "every 10 minutes Monday through Friday", "2026-11-23T12:40:00Z"},
		{"cron(0/5 8-17 ? * MON-FRI *)", "every 5 minutes Monday through Friday between 8:00 am and 5:55 pm (UTC+0)", "2026-11-23T12:35:00Z"},
		{"cron(0/30 20-2 ? * MON-FRI *)", "every 30 minutes Monday through Friday between 10:00 pm on the starting day to 2:00 am on the following day", "2026-11-23T20:00:00Z"},
		{"cron(0 9 ? * 2#1 *)", "9:00 am (UTC+0) on the first Monday of each month (the issue's example)", "2026-12-07T09:00:00Z"},
	}
	for _, tt := range tests {
		s, err := Parse(tt.expr)
		if err != nil {
			t.Fatalf("%s (%s): %v", tt.expr, tt.meaning, err)
		}
		if got := s.Next(ebFrom).Format(time.RFC3339); got != tt.want {
			t.Errorf("%s (%s): next %s, want %s", tt.expr, tt.meaning, got, tt.want)
		}
	}
}

func TestEventBridgeWildcards(t *testing.T) {
	tests := []struct{ expr, from, want, why string }{
		// The guide's own wildcard examples.
		{"cron(0 12 ? * 3#2 *)", "", "2026-12-08T12:00:00Z", "3#2 is the second Tuesday (November's was the 10th)"},
		{"cron(0 0 3W * ? 2027)", "", "2027-01-04T00:00:00Z", "3W: January 3, 2027 is a Sunday, so Monday the 4th"},
		{"cron(0 0 1/10 * ? *)", "", "2026-12-01T00:00:00Z", "1/10 in day-of-month: the 1st, 11th, 21st, 31st"},
		{"cron(0 0 L * ? *)", "", "2026-11-30T00:00:00Z", "L: the month's last day"},
		{"cron(0 12 ? * L *)", "", "2026-11-28T12:00:00Z", "L alone in day-of-week: the last day of the week, Saturday"},
		// W never leaves the month.
		{"cron(0 0 1W 5 ? *)", "", "2027-05-03T00:00:00Z", "1W: May 1, 2027 is a Saturday; the Friday before is in April, so Monday the 3rd"},
		{"cron(0 0 31W 1 ? *)", "", "2027-01-29T00:00:00Z", "31W: January 31, 2027 is a Sunday; the Monday after is in February, so Friday the 29th"},
		{"cron(0 0 31W * ? *)", "", "2026-12-31T00:00:00Z", "31W: November has no 31st; December 31, 2026 is a Thursday"},
		{"cron(15 10 ? * 6L *)", "", "2026-11-27T10:15:00Z", "6L: the month's last Friday"},
		{"cron(0 0 L 2 ? 2028)", "", "2028-02-29T00:00:00Z", "L in a leap February"},
		{"cron(0 0 ? * 5#5 *)", "", "2026-12-31T00:00:00Z", "5#5: the fifth Thursday; November 2026 has four Thursdays, December five"},
		// EventBridge's numbering and fields.
		{"cron(0 12 ? * 1 *)", "", "2026-11-29T12:00:00Z", "1 is Sunday"},
		{"cron(0 12 ? * 7 *)", "", "2026-11-28T12:00:00Z", "7 is Saturday"},
		{"cron(0 12 ? * sun *)", "", "2026-11-29T12:00:00Z", "names in any case"},
		{"cron(0 8 1 * ? 2150)", "", "2150-01-01T08:00:00Z", "years up to 2199"},
		{"cron(0 8 1 JAN,JUL ? 2027-2028)", "", "2027-01-01T08:00:00Z", "month names and a year range"},
		{"cron(*/20 * * * ? *)", "", "2026-11-23T12:40:00Z", "*/20 is 0/20"},
		{"cron(0 1 ? * FRI-MON *)", "", "2026-11-27T01:00:00Z", "a wrap-around weekday range"},
		// A wrap-around hour range is matched day by day: Friday night's
		// late hours fire, Saturday's early ones do not, Monday's do.
		{"cron(0/30 20-2 ? * MON-FRI *)", "2026-11-27T23:45:00Z", "2026-11-30T00:00:00Z", "20-2 with MON-FRI after Friday 23:30"},
		{"cron(0 0 1 1 ? 1999)", "", "0001-01-01T00:00:00Z", "a year in the past never fires"},
		{"cron(0 0 30 2 ? *)", "", "0001-01-01T00:00:00Z", "February 30 never fires"},
	}
	for _, tt := range tests {
		from := ebFrom
		if tt.from != "" {
			var err error
			if from, err = time.Parse(time.RFC3339, tt.from); err != nil {
				t.Fatal(err)
			}
		}
		s, err := Parse(tt.expr)
		if err != nil {
			t.Fatalf("%s: %v", tt.expr, err)
		}
		if got := s.Next(from).Format(time.RFC3339); got != tt.want {
			t.Errorf("%s (%s): next %s, want %s", tt.expr, tt.why, got, tt.want)
		}
	}
}

func TestEventBridgeSeveralFirings(t *testing.T) {
	s, err := Parse("cron(0 9 ? * 2#1 *)")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for t0, i := ebFrom, 0; i < 4; i++ {
		t0 = s.Next(t0)
		got = append(got, t0.Format("2006-01-02 Mon 15:04"))
	}
	// First Mondays: 2026-12-07, 2027-01-04, 2027-02-01, 2027-03-01.
	want := "2026-12-07 Mon 09:00, 2027-01-04 Mon 09:00, 2027-02-01 Mon 09:00, 2027-03-01 Mon 09:00"
	if strings.Join(got, ", ") != want {
		t.Errorf("first Mondays: %s, want %s", strings.Join(got, ", "), want)
	}
}

func TestRate(t *testing.T) {
	start := time.Date(2026, 11, 23, 12, 30, 15, 0, time.UTC)
	tests := []struct {
		expr     string
		from     time.Time
		want     time.Time
		interval time.Duration
	}{
		{"rate(1 minute)", start, start.Add(time.Minute), time.Minute},
		{"rate(5 minutes)", start, start.Add(5 * time.Minute), 5 * time.Minute},
		{"rate(5 minutes)", start.Add(7 * time.Minute), start.Add(10 * time.Minute), 5 * time.Minute},
		{"rate(1 hour)", start.Add(time.Hour), start.Add(2 * time.Hour), time.Hour},
		{"rate(1 day)", start.Add(-time.Hour), start.Add(24 * time.Hour), 24 * time.Hour},
		{"rate(7 days)", start.Add(8 * 24 * time.Hour), start.Add(14 * 24 * time.Hour), 7 * 24 * time.Hour},
	}
	for _, tt := range tests {
		s, err := Parse(tt.expr)
		if err != nil {
			t.Fatalf("%s: %v", tt.expr, err)
		}
		// Anchored where the schedule starts, as EventBridge counts from
		// the rule's creation: the runs do not drift with their length.
		if got := s.From(start).Next(tt.from); !got.Equal(tt.want) {
			t.Errorf("%s from %s: next %s, want %s", tt.expr, tt.from.Format(time.RFC3339), got.Format(time.RFC3339), tt.want.Format(time.RFC3339))
		}
	}
	s, _ := Parse("rate(2 hours)")
	if got := s.Next(start); !got.Equal(start.Add(2 * time.Hour)) {
		t.Errorf("unanchored rate: %s", got)
	}
}

func TestEventBridgeErrors(t *testing.T) {
	tests := []struct{ expr, want string }{
		{"cron(0 9 * * ?)", "expected 6 fields"},
		{"cron(0 9 * * ? *", "no closing parenthesis"},
		{"cron(0 9 * * * *)", `day-of-month "*" and day-of-week "*" are both set: EventBridge needs '?' in one of them`},
		{"cron(0 9 1 * MON *)", "needs '?' in one of them"},
		{"cron(0 9 ? * ? *)", "both '?'"},
		{"cron(60 9 * * ? *)", `minutes field "60": 60 is out of range 0-59`},
		{"cron(0 24 * * ? *)", `hours field "24": 24 is out of range 0-23`},
		{"cron(0 9 32 * ? *)", `day-of-month field "32": 32 is out of range 1-31`},
		{"cron(0 9 * 13 ? *)", `month field "13"`},
		{"cron(0 9 ? * 0 *)", `day-of-week field "0": 0 is out of range 1-7`},
		{"cron(0 9 ? * 8 *)", `day-of-week field "8"`},
		{"cron(0 9 * * ? 2200)", `year field "2200": 2200 is out of range 1970-2199`},
		{"cron(0 9 * * ? 2030-2027)", "range 2030-2027 is backwards"},
		{"cron(0 9 ? * 2#1,6#3 *)", "with # the field holds one expression"},
		{"cron(0 9 ? * 2#6 *)", "the week of the month after # is 1 to 5, not 6"},
		{"cron(0 9 ? * 2#0 *)", "1 to 5, not 0"},
		{"cron(0 9 ? * 9#1 *)", "9#1"},
		{"cron(0 9 ? * 1/2 *)", "no '/' step"},
		{"cron(0 9 ? * 6L,2 *)", "L stands alone"},
		{"cron(0 9 L,15 * ? *)", "L and W stand alone"},
		{"cron(0 9 32W * ? *)", "W takes a day of 1-31, not 32"},
		{"cron(0 9 1-5W * ? *)", "L and W stand alone"},
		{"cron(0 9 2#1 * ? *)", "# belongs in day-of-week"},
		{"cron(0 ? * * ? *)", "'?' is only for day-of-month or day-of-week"},
		{"cron(0/0 * * * ? *)", `step "0"`},
		{"cron(0 9 1,,2 * ? *)", "empty item"},
		{"cron(0 9 * FOO ? *)", `"FOO" is neither a number nor a name`},
		{"rate(5 hour)", "a value above 1 takes the plural unit (hours)"},
		{"rate(1 hours)", "a value of 1 takes the singular unit (hour)"},
		{"rate(0 minutes)", `the value "0" is not a positive whole number`},
		{"rate(-5 minutes)", "not a positive whole number"},
		{"rate(1.5 hours)", "not a positive whole number"},
		{"rate(2 weeks)", `the unit "weeks" is not one of minute, minutes, hour, hours, day, days`},
		{"rate(5)", "expected a value and a unit"},
		{"rate(5 minutes", "no closing parenthesis"},
		{"rate(9999999999 days)", "too long an interval"},
		{"0 9 ? * 2#1 *", "EventBridge's six-field form is written cron("},
	}
	for _, tt := range tests {
		_, err := Parse(tt.expr)
		if err == nil {
			t.Errorf("%s: accepted", tt.expr)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), tt.expr) {
			t.Errorf("%s: error %q, want it to name the expression and say %q", tt.expr, err, tt.want)
		}
	}
}
