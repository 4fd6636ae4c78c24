package cron

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// EventBridge's rate(value unit): a positive whole value and a unit,
// singular for 1 and plural above ("Rate expressions reference").
var (
	rateRe    = regexp.MustCompile(`^rate\((.*)\)$`)
	rateUnits = map[string]time.Duration{
		"minute": time.Minute, "minutes": time.Minute,
		"hour": time.Hour, "hours": time.Hour,
		"day": 24 * time.Hour, "days": 24 * time.Hour,
	}
)

func parseRate(expr, e string) (*Schedule, error) {
	fail := func(format string, a ...any) error {
		return fmt.Errorf("schedule expression %q: %s", expr, fmt.Sprintf(format, a...))
	}
	m := rateRe.FindStringSubmatch(e)
	if m == nil {
		return nil, fail("no closing parenthesis: expected rate(value unit), e.g. rate(5 minutes)")
	}
	parts := strings.Fields(m[1])
	if len(parts) != 2 {
		return nil, fail("expected a value and a unit, e.g. rate(5 minutes), got %d words", len(parts))
	}
	n, err := strconv.ParseInt(parts[0], 10, 64)
	if err != nil || n < 1 || strings.HasPrefix(parts[0], "+") {
		return nil, fail("the value %q is not a positive whole number", parts[0])
	}
	unit, ok := rateUnits[parts[1]]
	if !ok {
		return nil, fail("the unit %q is not one of minute, minutes, hour, hours, day, days", parts[1])
	}
	plural := strings.HasSuffix(parts[1], "s")
	switch {
	case n == 1 && plural:
		return nil, fail("a value of 1 takes the singular unit (%s)", strings.TrimSuffix(parts[1], "s"))
	case n > 1 && !plural:
		return nil, fail("a value above 1 takes the plural unit (%ss)", parts[1])
	}
	if n > math.MaxInt64/int64(unit) {
		return nil, fail("%d %s is too long an interval", n, parts[1])
	}
	return &Schedule{expr: expr, kind: rateExpr, every: time.Duration(n) * unit}, nil
}

// nextRate is the first start + k×interval (k ≥ 1) strictly after t; with
// no start (see From) the interval counts from t.
func (s *Schedule) nextRate(t time.Time) time.Time {
	t = t.UTC()
	start := s.start
	if start.IsZero() {
		start = t
	}
	if t.Before(start) {
		return start.Add(s.every)
	}
	return start.Add((t.Sub(start)/s.every + 1) * s.every)
}
