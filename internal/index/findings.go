package index

import (
	"bufio"
	"fmt"
	"io"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/orgiam/orgiam/internal/report"
)

// addFinding adds one finding of findings.json to b.
func addFinding(b *batch, f *report.Finding) {
	b.add(tFindings, nz(f.AccountID), nz(f.AccountName), nz(f.Principal), nz(f.CheckID), nz(f.CheckIDLegacy), nz(f.Title), nz(f.Severity), nz(f.Status), nz(f.Evidence))
}

// decodeFindings reads findings.json as the report step writes it (a JSON
// array of findings, or {"notes": [...], "findings": [...]}) one finding at
// a time, calling fn with each (the value is reused). It decodes as
// report.DecodeFindings does (the encoding/json v2 engine, members matched
// by their exact names, unknown members ignored), as a stream.
func decodeFindings(r io.Reader, fn func(*report.Finding) error) error {
	dec := jsontext.NewDecoder(bufio.NewReaderSize(r, 64<<10))
	tok, err := dec.ReadToken()
	if err != nil {
		return err
	}
	if tok.Kind() == '{' {
		found := false
		for dec.PeekKind() != '}' {
			name, err := dec.ReadToken()
			if err != nil {
				return err
			}
			if name.String() == "findings" {
				found = true
				break
			}
			if err := dec.SkipValue(); err != nil {
				return err
			}
		}
		if !found {
			return nil
		}
		if dec.PeekKind() == 'n' { // "findings": null
			return nil
		}
		if tok, err = dec.ReadToken(); err != nil {
			return err
		}
	}
	if tok.Kind() == 'n' {
		return nil
	}
	if tok.Kind() != '[' {
		return fmt.Errorf("want an array of findings, found %v", tok.Kind())
	}
	var f report.Finding
	for dec.PeekKind() != ']' {
		f = report.Finding{}
		if err := json.UnmarshalDecode(dec, &f); err != nil {
			return err
		}
		if err := fn(&f); err != nil {
			return err
		}
	}
	return nil
}
