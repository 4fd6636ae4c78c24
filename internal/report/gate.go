package report

import (
	"fmt"
	"sync"
)

// SeverityRank orders severities: high 3, medium 2, low 1, anything else 0.
func SeverityRank(s string) int {
	switch s {
	case SeverityHigh:
		return 3
	case SeverityMedium:
		return 2
	case SeverityLow:
		return 1
	}
	return 0
}

// ParseFailOn checks a --fail-on value: high, medium or low.
func ParseFailOn(s string) (string, error) {
	switch s {
	case SeverityHigh, SeverityMedium, SeverityLow:
		return s, nil
	}
	return "", fmt.Errorf("%q: expected high, medium or low", s)
}

// Tally counts the findings of a report as they are made: the counted ones
// (FAIL, not muted) by severity, and the muted FAILs. Give one in
// Options.Tally to gate on the findings of the report just written.
type Tally struct {
	mu                       sync.Mutex
	High, Medium, Low, Muted int
}

func (t *Tally) add(f *Finding) {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch {
	case f.Status != StatusFail:
	case f.Muted:
		t.Muted++
	case f.Severity == SeverityHigh:
		t.High++
	case f.Severity == SeverityMedium:
		t.Medium++
	case f.Severity == SeverityLow:
		t.Low++
	}
}

// CountAtOrAbove is how many of high, medium and low findings are of
// severity sev or higher.
func CountAtOrAbove(sev string, high, medium, low int) int {
	n := 0
	for _, c := range []struct {
		sev string
		n   int
	}{{SeverityHigh, high}, {SeverityMedium, medium}, {SeverityLow, low}} {
		if SeverityRank(c.sev) >= SeverityRank(sev) {
			n += c.n
		}
	}
	return n
}
