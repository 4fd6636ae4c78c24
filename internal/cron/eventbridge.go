package cron

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// EventBridge's cron(…) grammar, from its user guide ("Cron expressions
// reference"): six fields, each with the wildcards the guide lists for it.
//
//	Minutes       0-59                 , - * /
//	Hours         0-23                 , - * /
//	Day-of-month  1-31                 , - * ? / L W
//	Month         1-12 or JAN-DEC      , - * /
//	Day-of-week   1-7 or SUN-SAT       , - * ? L #
//	Year          1970-2199            , - * /
//
// One of day-of-month and day-of-week is '?', the other restricts the day.
// L alone in day-of-month is the month's last day, NW the weekday nearest
// day N (not crossing into another month); in day-of-week L alone is the
// week's last day (Saturday), NL the month's last such day, N#k its k-th.
// A field with L, W or # holds that one expression only. A range may wrap
// (20-2 is 20…23 and 0…2; FRI-MON is Friday to Monday), except in Year.

const (
	minYear = 1970
	maxYear = 2199
)

type ebField struct {
	name     string
	min, max int
	names    map[string]int
	wrap     bool
}

var (
	ebDays   = map[string]int{"sun": 1, "mon": 2, "tue": 3, "wed": 4, "thu": 5, "fri": 6, "sat": 7}
	ebFields = []ebField{
		{"minutes", 0, 59, nil, true},
		{"hours", 0, 23, nil, true},
		{"day-of-month", 1, 31, nil, true},
		{"month", 1, 12, months, true},
		{"day-of-week", 1, 7, ebDays, true},
		{"year", minYear, maxYear, nil, false},
	}
	domNearestRe = regexp.MustCompile(`^(\d{1,2})W$`)
	dowLastRe    = regexp.MustCompile(`(?i)^([1-7]|sun|mon|tue|wed|thu|fri|sat)L$`)
	dowNthRe     = regexp.MustCompile(`(?i)^([1-7]|sun|mon|tue|wed|thu|fri|sat)#(\d+)$`)
)

// parseEventBridge parses cron(…); expr is what the user gave (for errors),
// e the trimmed expression.
func parseEventBridge(expr, e string) (*Schedule, error) {
	fail := func(format string, a ...any) error {
		return fmt.Errorf("schedule expression %q: %s", expr, fmt.Sprintf(format, a...))
	}
	if !strings.HasSuffix(e, ")") {
		return nil, fail("no closing parenthesis: expected cron(minutes hours day-of-month month day-of-week year)")
	}
	parts := strings.Fields(e[len("cron(") : len(e)-1])
	if len(parts) != 6 {
		return nil, fail("expected 6 fields (minutes hours day-of-month month day-of-week year), got %d", len(parts))
	}
	s := &Schedule{expr: expr, kind: eventBridgeCron, years: make([]bool, maxYear-minYear+1)}
	fieldErr := func(i int, err error) error {
		return fail("%s field %q: %v", ebFields[i].name, parts[i], err)
	}
	for i, dst := range []*uint64{&s.minute, &s.hour, nil, &s.month, nil, nil} {
		if dst == nil {
			continue
		}
		vals, err := ebValues(parts[i], ebFields[i])
		if err != nil {
			return nil, fieldErr(i, err)
		}
		for _, v := range vals {
			*dst |= 1 << uint(v)
		}
	}
	years, err := ebValues(parts[5], ebFields[5])
	if err != nil {
		return nil, fieldErr(5, err)
	}
	for _, y := range years {
		s.years[y-minYear] = true
	}
	if err := s.parseDOM(parts[2]); err != nil {
		return nil, fieldErr(2, err)
	}
	if err := s.parseDOW(parts[4]); err != nil {
		return nil, fieldErr(4, err)
	}
	switch {
	case s.domAny && s.dowAny:
		return nil, fail("day-of-month and day-of-week are both '?': one of them must say which days")
	case !s.domAny && !s.dowAny:
		return nil, fail("day-of-month %q and day-of-week %q are both set: EventBridge needs '?' in one of them", parts[2], parts[4])
	}
	return s, nil
}

func (s *Schedule) parseDOM(p string) error {
	f := ebFields[2]
	switch {
	case p == "?":
		s.domAny = true
		return nil
	case p == "L":
		s.domLast = true
		return nil
	case domNearestRe.MatchString(p):
		n, _ := strconv.Atoi(domNearestRe.FindStringSubmatch(p)[1])
		if n < f.min || n > f.max {
			return fmt.Errorf("W takes a day of 1-31, not %d", n)
		}
		s.domNearest = n
		return nil
	case strings.ContainsAny(p, "LWlw"):
		return fmt.Errorf("L and W stand alone: L (the last day) or NW (the weekday nearest day N, e.g. 15W), not in a list or range")
	case strings.Contains(p, "#"):
		return fmt.Errorf("# belongs in day-of-week")
	}
	vals, err := ebValues(p, f)
	if err != nil {
		return err
	}
	for _, v := range vals {
		s.dom |= 1 << uint(v)
	}
	return nil
}

func (s *Schedule) parseDOW(p string) error {
	f := ebFields[4]
	switch {
	case p == "?":
		s.dowAny = true
		return nil
	case p == "L":
		s.dow = 1 << uint(time.Saturday) // the week's last day
		return nil
	case strings.Contains(p, "#") && strings.Contains(p, ","):
		return fmt.Errorf("with # the field holds one expression (e.g. 2#1), not a list")
	case dowNthRe.MatchString(p):
		m := dowNthRe.FindStringSubmatch(p)
		d, err := ebValue(m[1], f)
		if err != nil {
			return err
		}
		k, _ := strconv.Atoi(m[2])
		if k < 1 || k > 5 {
			return fmt.Errorf("the week of the month after # is 1 to 5, not %d", k)
		}
		s.dowNth, s.dowNthWeek = d, k
		return nil
	case dowLastRe.MatchString(p):
		d, err := ebValue(dowLastRe.FindStringSubmatch(p)[1], f)
		if err != nil {
			return err
		}
		s.dowLast = d
		return nil
	case strings.Contains(p, "#"):
		return fmt.Errorf("# is a day of week 1-7 (or SUN-SAT), '#' and the week of the month 1-5, e.g. 2#1")
	case strings.Contains(p, "/"):
		return fmt.Errorf("day-of-week takes , - * ? L # but no '/' step")
	case strings.ContainsAny(p, "Ll"):
		return fmt.Errorf("L stands alone (the last day of the week) or after one day (6L: the month's last Friday)")
	}
	vals, err := ebValues(p, f)
	if err != nil {
		return err
	}
	for _, v := range vals {
		s.dow |= 1 << uint(v-1) // EventBridge's 1 (Sunday) is time.Sunday (0)
	}
	return nil
}

// ebValues expands a field's list of values, ranges and steps.
func ebValues(p string, f ebField) ([]int, error) {
	var out []int
	for _, item := range strings.Split(p, ",") {
		if item == "" {
			return nil, fmt.Errorf("empty item in the list")
		}
		if item == "?" {
			return nil, fmt.Errorf("'?' is only for day-of-month or day-of-week")
		}
		step := 0
		if base, st, ok := strings.Cut(item, "/"); ok {
			n, err := strconv.Atoi(st)
			if err != nil || n < 1 {
				return nil, fmt.Errorf("step %q is not a whole number of at least 1", st)
			}
			step, item = n, base
		}
		lo, hi := f.min, f.max
		switch {
		case item == "*":
		case strings.Contains(item, "-"):
			a, b, _ := strings.Cut(item, "-")
			var err error
			if lo, err = ebValue(a, f); err != nil {
				return nil, err
			}
			if hi, err = ebValue(b, f); err != nil {
				return nil, err
			}
			if lo > hi && !f.wrap {
				return nil, fmt.Errorf("range %s is backwards", item)
			}
		default:
			v, err := ebValue(item, f)
			if err != nil {
				return nil, err
			}
			lo = v
			if step == 0 {
				hi = v
			}
		}
		if step == 0 {
			step = 1
		}
		span := hi - lo
		if span < 0 { // a wrap-around range
			span += f.max - f.min + 1
		}
		for i := 0; i <= span; i += step {
			v := lo + i
			if v > f.max {
				v -= f.max - f.min + 1
			}
			out = append(out, v)
		}
	}
	return out, nil
}

func ebValue(s string, f ebField) (int, error) {
	if v, ok := f.names[strings.ToLower(s)]; ok {
		return v, nil
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		if f.names != nil {
			return 0, fmt.Errorf("%q is neither a number nor a name", s)
		}
		return 0, fmt.Errorf("%q is not a number", s)
	}
	if v < f.min || v > f.max {
		return 0, fmt.Errorf("%d is out of range %d-%d", v, f.min, f.max)
	}
	return v, nil
}

func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// nearestWeekday is the day NW fires in a month (0: none, day N does not
// exist): N itself on a weekday, else the Friday before or the Monday after,
// whichever is in the same month.
func nearestWeekday(y int, m time.Month, n int) int {
	last := daysIn(y, m)
	if n > last {
		return 0
	}
	switch time.Date(y, m, n, 0, 0, 0, 0, time.UTC).Weekday() {
	case time.Saturday:
		if n == 1 {
			return 3
		}
		return n - 1
	case time.Sunday:
		if n == last {
			return n - 2
		}
		return n + 1
	}
	return n
}

func (s *Schedule) ebDayMatches(t time.Time) bool {
	d, wd := t.Day(), t.Weekday()
	if s.domAny { // the day-of-week field decides
		switch {
		case s.dowNth > 0:
			return int(wd) == s.dowNth-1 && (d-1)/7+1 == s.dowNthWeek
		case s.dowLast > 0:
			return int(wd) == s.dowLast-1 && d+7 > daysIn(t.Year(), t.Month())
		}
		return s.dow&(1<<uint(wd)) != 0
	}
	switch {
	case s.domLast:
		return d == daysIn(t.Year(), t.Month())
	case s.domNearest > 0:
		return d == nearestWeekday(t.Year(), t.Month(), s.domNearest)
	}
	return s.dom&(1<<uint(d)) != 0
}
