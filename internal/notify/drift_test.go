package notify

import (
	"strings"
	"testing"
)

func TestTextWithDrift(t *testing.T) {
	s := Summary{Run: "2026-11-23", OK: 3}
	if s.HasDrift() || strings.Contains(Text(s), "changes since") || Title(s) != "orgiam run 2026-11-23: 3 ok, 0 failed, 0 skipped" {
		t.Fatalf("no drift: %q / %q", Title(s), Text(s))
	}
	s.Drift = &Drift{From: "2026-11-22", Changes: 3, BySeverity: map[string]int{"high": 2, "info": 1}, Lines: []DriftLine{
		{Severity: "high", Kind: "trusts", Action: "added", AccountID: "111111111111", Detail: "new external trust of account 999999999999"},
		{Severity: "high", Kind: "attachments", Action: "added", AccountID: "111111111111", Detail: "aws policy AdministratorAccess attached"},
	}}
	if !s.HasDrift() {
		t.Fatal("HasDrift")
	}
	if got := Title(s); got != "orgiam run 2026-11-23: 3 ok, 0 failed, 0 skipped, 3 changes (2 high)" {
		t.Errorf("title %q", got)
	}
	txt := Text(s)
	for _, w := range []string{"changes since run 2026-11-22: 3 (2 high, 1 info)", "- [high] trusts added 111111111111: new external trust", "… and 1 more"} {
		if !strings.Contains(txt, w) {
			t.Errorf("text lacks %q:\n%s", w, txt)
		}
	}
	s.Drift = &Drift{From: "2026-11-22"}
	if s.HasDrift() || !strings.Contains(Text(s), "changes since run 2026-11-22: 0") {
		t.Errorf("zero changes: %q", Text(s))
	}
}
