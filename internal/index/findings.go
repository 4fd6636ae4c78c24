package index

import (
	"github.com/orgiam/orgiam/internal/report"
)

// addFinding adds one finding of findings.json to b.
func addFinding(b *batch, f *report.Finding) {
	b.add(tFindings, nz(f.AccountID), nz(f.AccountName), nz(f.Principal), nz(f.CheckID), nz(f.CheckIDLegacy), nz(f.Title), nz(f.Severity), nz(f.Status), nz(f.Evidence))
}
