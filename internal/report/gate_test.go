package report

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestCountAtOrAbove(t *testing.T) {
	for _, tc := range []struct {
		sev  string
		want int
	}{{SeverityHigh, 1}, {SeverityMedium, 1 + 20}, {SeverityLow, 1 + 20 + 300}} {
		if got := CountAtOrAbove(tc.sev, 1, 20, 300); got != tc.want {
			t.Errorf("CountAtOrAbove(%s) = %d, want %d", tc.sev, got, tc.want)
		}
	}
	if _, err := ParseFailOn("critical"); err == nil {
		t.Error("ParseFailOn(critical) accepted")
	}
}

// Muted findings are neither tallied nor new high findings.
func TestMutedNotCounted(t *testing.T) {
	fs := []Finding{
		{AccountID: "1", Principal: "a", CheckID: "1.9", Severity: SeverityHigh, Status: StatusFail},
		{AccountID: "1", Principal: "b", CheckID: "1.9", Severity: SeverityHigh, Status: StatusFail, Muted: true},
		{AccountID: "1", Principal: "c", CheckID: "1.13", Severity: SeverityMedium, Status: StatusFail},
		{AccountID: "1", Principal: "d", CheckID: "1.13", Severity: SeverityMedium, Status: StatusPass},
	}
	var tl Tally
	for i := range fs {
		tl.add(&fs[i])
	}
	if tl.High != 1 || tl.Medium != 1 || tl.Low != 0 || tl.Muted != 1 {
		t.Errorf("tally high %d medium %d low %d muted %d, want high 1, medium 1, muted 1", tl.High, tl.Medium, tl.Low, tl.Muted)
	}
	if n := NewHighFindings(nil, fs); n != 1 {
		t.Errorf("NewHighFindings = %d, want 1 (the muted one is not new)", n)
	}
	data, _ := json.Marshal(fs)
	keys, err := FailKeys(strings.NewReader(string(data)), true)
	if err != nil || len(keys) != 1 || !keys[fs[0].Key()] {
		t.Errorf("FailKeys(high) = %v, %v; want only %s", keys, err, fs[0].Key())
	}
	if all, _ := FailKeys(strings.NewReader(string(data)), false); len(all) != 3 {
		t.Errorf("FailKeys(all) = %v, want the 3 FAILs, muted too", all)
	}
}
