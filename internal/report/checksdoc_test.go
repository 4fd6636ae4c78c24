package report

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// docs/checks.md is what the checks' metadata makes: a check added or
// changed without `go generate ./internal/report/` fails here.
func TestChecksDocUpToDate(t *testing.T) {
	got, err := os.ReadFile(filepath.Join("..", "..", "docs", "checks.md"))
	if err != nil {
		t.Fatal(err)
	}
	if want := ChecksMarkdown(); !bytes.Equal(got, want) {
		t.Fatal("docs/checks.md is out of date: run `go generate ./internal/report/`")
	}
}

func TestChecksDocNamesEveryCheck(t *testing.T) {
	doc := string(ChecksMarkdown())
	for _, c := range Checks {
		want := []string{"\n## " + c.ID + " ", "](#" + anchor(c) + ")", mdEscape(c.Rationale)}
		// Checks beyond CIS have no compliance ids; CIS checks list every
		// framework version's id.
		want = append(want, c.Compliance...)
		for _, want := range want {
			if !strings.Contains(doc, want) {
				t.Errorf("check %s: %q missing from docs/checks.md", c.ID, want)
			}
		}
		if c.Rationale == "" || c.Remediation == "" {
			t.Errorf("check %s has no rationale or remediation to document", c.ID)
		}
	}
}
