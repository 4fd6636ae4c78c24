package index

import (
	"github.com/orgiam/orgiam/internal/report"
)

// addFindings adds the findings of findings.json, as the report step writes
// it, to b.
func addFindings(b *batch, data []byte) error {
	list, err := report.DecodeFindings(data)
	if err != nil {
		return err
	}
	b.reserve(tFindings, len(list))
	for _, f := range list {
		b.add(tFindings, nz(f.AccountID), nz(f.AccountName), nz(f.Principal), nz(f.CheckID), nz(f.CheckIDLegacy), nz(f.Title), nz(f.Severity), nz(f.Status), nz(f.Evidence))
	}
	return nil
}
