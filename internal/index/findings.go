package index

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/orgiam/orgiam/internal/report"
)

// decodeFindings accepts a JSON array of findings or an object holding one
// under "findings".
func decodeFindings(data []byte) ([]json.RawMessage, error) {
	data = bytes.TrimSpace(data)
	var list []json.RawMessage
	if len(data) > 0 && data[0] == '{' {
		var wrap struct {
			Findings []json.RawMessage `json:"findings"`
		}
		if err := json.Unmarshal(data, &wrap); err != nil {
			return nil, err
		}
		return wrap.Findings, nil
	}
	if err := json.Unmarshal(data, &list); err != nil {
		return nil, err
	}
	return list, nil
}

func addFindings(b *batch, list []json.RawMessage) error {
	for i, raw := range list {
		var f report.Finding // the report step writes reports/findings.json; raw keeps unknown fields
		if err := json.Unmarshal(raw, &f); err != nil {
			return fmt.Errorf("finding %d: %w", i+1, err)
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, raw); err != nil {
			return fmt.Errorf("finding %d: %w", i+1, err)
		}
		b.add(tFindings, nz(f.AccountID), nz(f.AccountName), nz(f.Principal), nz(f.CheckID), nz(f.CheckIDLegacy), nz(f.Title), nz(f.Severity), nz(f.Status), nz(f.Evidence), compact.String())
	}
	return nil
}
