// Package cron parses the schedule expressions orgiam accepts and finds the
// next time they fire, in UTC:
//
//   - five-field cron (minute hour day-of-month month day-of-week, Unix
//     meaning: days of week 0-7 from Sunday, and a day matching either day
//     field when both are restricted) and the @hourly/@daily/… macros;
//   - Amazon EventBridge cron(minutes hours day-of-month month day-of-week
//     year), with EventBridge's meaning: days of week 1-7 from Sunday, exactly
//     one of the day fields '?', L, W and #, years 1970-2199, wrap-around
//     ranges such as 20-2 (eventbridge.go);
//   - EventBridge rate(value unit) (rate.go).
//
// It is hand-written rather than a library because no Go module reachable
// here gives EventBridge's meaning. The one Go parser written for EventBridge
// (github.com/winebarrel/cronplan) is refused by the module proxy. The
// maintained general parsers were tried on EventBridge's documented examples
// and give other answers: github.com/hashicorp/cronexpr v1.1.3 numbers days
// of week from 0 (its 2#1 is the first Tuesday, 6L the last Saturday),
// rejects years after 2099 and never fires 20-2;
// github.com/adhocore/gronx v1.20.4 reads a sixth field as seconds and
// rejects 2#1 and 6L. Neither parses rate(…) or enforces the '?' rule.
// Translating expressions for them would need this parser anyway.
package cron

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

type kind int

const (
	unixCron kind = iota
	eventBridgeCron
	rateExpr
)

// Schedule is a parsed expression.
type Schedule struct {
	expr                          string
	kind                          kind
	minute, hour, dom, month, dow uint64 // bit sets (dow: 0 = Sunday)
	domStar, dowStar              bool

	// EventBridge cron: at most one of the day fields is restricted (the
	// other is '?'); years[y-minYear] says whether year y fires.
	domAny, dowAny bool
	domLast        bool // L: the month's last day
	domNearest     int  // NW: the weekday nearest day N (0: none)
	dowLast        int  // NL: weekday+1 of the month's last such weekday (0: none)
	dowNth         int  // N#k: weekday+1 (0: none) …
	dowNthWeek     int  // … and k
	years          []bool

	// rate: every interval from start.
	every time.Duration
	start time.Time
}

type field struct {
	name     string
	min, max int
	names    map[string]int
}

var (
	months = map[string]int{"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12}
	days   = map[string]int{"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}
	fields = []field{
		{"minute", 0, 59, nil}, {"hour", 0, 23, nil}, {"day of month", 1, 31, nil},
		{"month", 1, 12, months}, {"day of week", 0, 7, days},
	}
	macros = map[string]string{
		"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
		"@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
	}
)

// Parse parses a schedule expression: EventBridge's cron(…) or rate(…), or
// "M H DOM MON DOW" (with *, lists, ranges, steps and month or day names), or
// one of @hourly, @daily, @weekly, @monthly, @yearly.
func Parse(expr string) (*Schedule, error) {
	e := strings.TrimSpace(expr)
	switch {
	case strings.HasPrefix(e, "cron("):
		return parseEventBridge(expr, e)
	case strings.HasPrefix(e, "rate("):
		return parseRate(expr, e)
	}
	if m, ok := macros[strings.ToLower(e)]; ok {
		e = m
	}
	parts := strings.Fields(e)
	if len(parts) != 5 {
		hint := ""
		if len(parts) == 6 {
			hint = "; EventBridge's six-field form is written cron(minutes hours day-of-month month day-of-week year)"
		}
		return nil, fmt.Errorf("cron %q: expected 5 fields (minute hour day-of-month month day-of-week), got %d%s", expr, len(parts), hint)
	}
	s := &Schedule{expr: expr}
	sets := []*uint64{&s.minute, &s.hour, &s.dom, &s.month, &s.dow}
	for i, p := range parts {
		set, err := parseField(p, fields[i])
		if err != nil {
			return nil, fmt.Errorf("cron %q: %s field %q: %w", expr, fields[i].name, p, err)
		}
		*sets[i] = set
	}
	if s.dow&(1<<7) != 0 { // 7 is Sunday too
		s.dow |= 1
	}
	s.domStar = parts[2] == "*"
	s.dowStar = parts[4] == "*"
	return s, nil
}

func parseField(p string, f field) (uint64, error) {
	var set uint64
	for _, item := range strings.Split(p, ",") {
		step := 1
		if i := strings.Index(item, "/"); i >= 0 {
			n, err := strconv.Atoi(item[i+1:])
			if err != nil || n < 1 {
				return 0, fmt.Errorf("bad step %q", item[i+1:])
			}
			step = n
			item = item[:i]
		}
		lo, hi := f.min, f.max
		switch {
		case item == "*":
		case strings.Contains(item, "-"):
			ab := strings.SplitN(item, "-", 2)
			var err error
			if lo, err = value(ab[0], f); err != nil {
				return 0, err
			}
			if hi, err = value(ab[1], f); err != nil {
				return 0, err
			}
			if lo > hi {
				return 0, fmt.Errorf("range %s is backwards", item)
			}
		default:
			v, err := value(item, f)
			if err != nil {
				return 0, err
			}
			lo = v
			if step == 1 {
				hi = v
			}
		}
		for v := lo; v <= hi; v += step {
			set |= 1 << uint(v)
		}
	}
	return set, nil
}

func value(s string, f field) (int, error) {
	if v, ok := f.names[strings.ToLower(s)]; ok {
		return v, nil
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	if v < f.min || v > f.max {
		return 0, fmt.Errorf("%d is out of range %d-%d", v, f.min, f.max)
	}
	return v, nil
}

// String is the expression as given.
func (s *Schedule) String() string { return s.expr }

func (s *Schedule) dayMatches(t time.Time) bool {
	if s.kind == eventBridgeCron {
		return s.ebDayMatches(t)
	}
	dom := s.dom&(1<<uint(t.Day())) != 0
	dow := s.dow&(1<<uint(t.Weekday())) != 0
	// As in cron: when both are restricted, either matching is enough.
	if !s.domStar && !s.dowStar {
		return dom || dow
	}
	return dom && dow
}

// From returns the schedule anchored at start: a rate(…) fires every
// interval after start (EventBridge starts counting when the rule is
// created). Cron expressions do not depend on it. Without From, a rate
// counts from the time passed to Next.
func (s *Schedule) From(start time.Time) *Schedule {
	c := *s
	c.start = start.UTC()
	return &c
}

// Next returns the first time strictly after t the schedule fires, in UTC
// (a whole minute for cron expressions), or the zero time if it never does.
func (s *Schedule) Next(t time.Time) time.Time {
	if s.kind == rateExpr {
		return s.nextRate(t)
	}
	t = t.UTC().Truncate(time.Minute).Add(time.Minute)
	limit := t.AddDate(5, 0, 0)
	if s.kind == eventBridgeCron {
		limit = time.Date(maxYear+1, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	for t.Before(limit) {
		if s.kind == eventBridgeCron {
			if y := t.Year(); y < minYear {
				t = time.Date(minYear, 1, 1, 0, 0, 0, 0, time.UTC)
				continue
			} else if !s.years[y-minYear] {
				t = time.Date(y+1, 1, 1, 0, 0, 0, 0, time.UTC)
				continue
			}
		}
		if s.month&(1<<uint(t.Month())) == 0 {
			t = time.Date(t.Year(), t.Month()+1, 1, 0, 0, 0, 0, time.UTC)
			continue
		}
		if !s.dayMatches(t) {
			t = time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, time.UTC)
			continue
		}
		if s.hour&(1<<uint(t.Hour())) == 0 {
			t = t.Truncate(time.Hour).Add(time.Hour)
			continue
		}
		if s.minute&(1<<uint(t.Minute())) == 0 {
			t = t.Add(time.Minute)
			continue
		}
		return t
	}
	return time.Time{} // never (e.g. 31 February)
}
