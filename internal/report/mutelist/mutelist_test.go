package mutelist

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/orgiam/orgiam/internal/report"
)

var day = time.Date(2026, 11, 15, 9, 0, 0, 0, time.UTC)

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name, yaml, want string
	}{
		{"unknown entry key", "mutes:\n  - account: '1'\n    reason: r\n    acount: x\n", `m.yaml:4: unknown key "acount"`},
		{"unknown top key", "mute:\n  - reason: r\n", `m.yaml:1: unknown key "mute"`},
		{"bad glob bracket", "mutes:\n  - reason: r\n    principal: 'arn:aws:iam::*:user/[ab'\n", `m.yaml:3: principal: bad glob "arn:aws:iam::*:user/[ab": unclosed [`},
		{"bad glob brace", "mutes:\n  - reason: r\n\n    check: '{1.1,1.2'\n", `m.yaml:4: check: bad glob "{1.1,1.2": unclosed {`},
		{"stray bracket", "mutes:\n  - reason: r\n    account: '12]'\n", `m.yaml:3: account: bad glob "12]": ] without [`},
		{"bad date", "mutes:\n  - reason: r\n    expires: 31/01/2027\n", `m.yaml:3: expires "31/01/2027": want a date YYYY-MM-DD`},
		{"no reason", "mutes:\n  - account: '1'\n", "m.yaml:2: entry without a reason"},
		{"empty glob", "mutes:\n  - reason: r\n    check: ''\n", "m.yaml:3: check: empty glob"},
		{"not a list", "mutes: yes\n", "m.yaml:1: mutes: want a list"},
		{"entry not a mapping", "mutes:\n  - just text\n", "m.yaml:2: a mutes entry is a mapping"},
		{"list value", "mutes:\n  - reason: r\n    account: [a, b]\n", "m.yaml:3: account: want a string"},
		{"twice", "mutes:\n  - reason: r\n    check: '1.4'\n    check: '1.5'\n", "m.yaml:4: check given twice"},
		{"unknown check", "mutes:\n  - reason: r\n    check: '9.*'\n", `m.yaml:3: check "9.*": no check has that id (1.2, 1.3, 1.4, `},
		{"yaml syntax", "mutes:\n  - reason: 'r\n", "m.yaml: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("m.yaml", []byte(tc.yaml), day)
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			if !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("error %q, want it to start with %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
		})
	}
}

func finding(acct, principal, check string) *report.Finding {
	f := &report.Finding{AccountID: acct, Principal: principal, CheckID: check, Status: report.StatusFail, Severity: report.SeverityHigh}
	f.ResourceARN = principal
	if !strings.HasPrefix(principal, "arn:") {
		f.ResourceARN = "arn:aws:iam::" + acct + ":root"
	}
	return f
}

func TestMute(t *testing.T) {
	src := `# accepted risks
mutes:
  - account: "1111*"
    principal: "arn:aws:iam::*:user/break-glass-*"
    reason: break-glass users, reviewed quarterly
  - check: "1.1[0-9]"
    resource: "arn:aws:iam::222222222222:*"
    reason: sandbox account
    expires: 2026-11-15
  - check: "1.4"
    principal: root
    reason: expired waiver
    expires: 2026-11-14
`
	l, err := Parse("m.yaml", []byte(src), day)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		f      *report.Finding
		reason string
	}{
		{finding("111122223333", "arn:aws:iam::111122223333:user/break-glass-1", "1.9"), "break-glass users, reviewed quarterly"},
		// The path is part of the name: user/ops/break-glass-1 is not user/break-glass-*.
		{finding("111122223333", "arn:aws:iam::111122223333:user/ops/break-glass-1", "1.9"), ""},
		{finding("999922223333", "arn:aws:iam::999922223333:user/break-glass-1", "1.9"), ""},
		{finding("222222222222", "arn:aws:iam::222222222222:user/dev", "1.12"), "sandbox account"},
		{finding("222222222222", "arn:aws:iam::222222222222:user/dev", "1.9"), ""},
		// The third entry expired yesterday: it mutes nothing.
		{finding("333333333333", "root", "1.4"), ""},
	} {
		reason, ok := l.Mute(tc.f)
		if ok != (tc.reason != "") || reason != tc.reason {
			t.Errorf("Mute(%s %s %s) = %q, %v; want %q", tc.f.AccountID, tc.f.Principal, tc.f.CheckID, reason, ok, tc.reason)
		}
	}
	w := l.Warnings()
	if len(w) != 1 || !strings.HasPrefix(w[0], "m.yaml:10: mutelist entry expired on 2026-11-14") {
		t.Errorf("warnings %q, want the third entry (line 10) expired", w)
	}
	// The day after, the second entry expires too (it mutes through its day).
	l2, _ := Parse("m.yaml", []byte(src), day.AddDate(0, 0, 1))
	if _, ok := l2.Mute(finding("222222222222", "arn:aws:iam::222222222222:user/dev", "1.12")); ok {
		t.Error("entry expiring 2026-11-15 still mutes on 2026-11-16")
	}
	if len(l2.Warnings()) != 2 {
		t.Errorf("warnings on the day after: %q", l2.Warnings())
	}
}

func TestLoadEmptyAndMissing(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "empty.yaml")
	os.WriteFile(p, nil, 0o600)
	l, err := Load(p, day)
	if err != nil || len(l.Entries) != 0 {
		t.Fatalf("empty file: %v %v", l, err)
	}
	if _, err := Load(filepath.Join(dir, "nope.yaml"), day); err == nil || !strings.Contains(err.Error(), "nope.yaml") {
		t.Errorf("missing file: %v", err)
	}
}

// The README's example mutelist is one the parser takes, and mutes what it
// says.
func TestReadmeExample(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(data), "### Mutelist")
	if !ok {
		t.Fatal("README has no Mutelist section")
	}
	_, rest, _ = strings.Cut(rest, "```yaml\n")
	example, _, ok := strings.Cut(rest, "```")
	if !ok {
		t.Fatal("no yaml example in the README's Mutelist section")
	}
	l, err := Parse("README.md", []byte(example), day)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Entries) != 2 || len(l.Warnings()) != 0 {
		t.Fatalf("%d entries, warnings %q", len(l.Entries), l.Warnings())
	}
	ci := finding("444455556666", "arn:aws:iam::444455556666:user/ci-deploy", "1.13")
	if _, ok := l.Mute(ci); !ok {
		t.Error("the CI user's 1.13 finding is not muted")
	}
	if _, ok := l.Mute(finding("111122223333", "arn:aws:iam::111122223333:user/break-glass-1", "1.9")); !ok {
		t.Error("the break-glass user's 1.9 finding is not muted")
	}
}
