package diff

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/orgiam/orgiam/internal/report"
	"github.com/orgiam/orgiam/internal/snapshot"
	"github.com/orgiam/orgiam/internal/store"
)

// opener is a store that can stream an object (an optional interface: the
// store package may grow one; until then Get is used).
type opener interface {
	Open(ctx context.Context, key string) (io.ReadCloser, error)
}

// findingStream reads reports/findings.json one finding at a time, so the
// decoded findings never all sit in memory; the report step writes them
// sorted by account.
type findingStream struct {
	dec    *jsontext.Decoder
	closer io.Closer
	peeked *report.Finding
	done   bool
	last   string
	sorted bool
}

func openFindings(ctx context.Context, s store.Store, run string) (*findingStream, error) {
	// A report set that was not all written counts as no findings report.
	if ok, err := report.Complete(ctx, s, run); !ok {
		return nil, err
	}
	key := store.ReportKey(run, "findings.json")
	var r io.Reader
	fst := &findingStream{sorted: true}
	if f, ok := s.(*store.File); ok {
		// A folder store: read the file as a stream (the Store interface has
		// no streaming read yet, and findings.json is the one file of a run
		// that grows with the organization).
		file, err := os.Open(filepath.Join(f.Root, filepath.FromSlash(key)))
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		r, fst.closer = bufio.NewReaderSize(file, 64<<10), file
	} else if o, ok := s.(opener); ok {
		rc, err := o.Open(ctx, key)
		if errors.Is(err, store.ErrNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		r, fst.closer = rc, rc
	} else {
		data, err := s.Get(ctx, key)
		if errors.Is(err, store.ErrNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		r = bytes.NewReader(data)
	}
	fst.dec = jsontext.NewDecoder(r)
	// findings.json is an array, or {"findings": [...]} (a later record
	// shape): find the array.
	tok, err := fst.dec.ReadToken()
	if err != nil {
		fst.close()
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	if tok.Kind() == '{' {
		for {
			name, err := fst.dec.ReadToken()
			if err != nil || name.Kind() != '"' {
				fst.close()
				return nil, fmt.Errorf("%s: no findings array", key)
			}
			if name.String() == "findings" {
				break
			}
			if err := fst.dec.SkipValue(); err != nil {
				fst.close()
				return nil, fmt.Errorf("%s: %w", key, err)
			}
		}
		if tok, err = fst.dec.ReadToken(); err != nil {
			fst.close()
			return nil, fmt.Errorf("%s: %w", key, err)
		}
	}
	if tok.Kind() != '[' {
		fst.close()
		return nil, fmt.Errorf("%s: expected an array of findings", key)
	}
	return fst, nil
}

func (f *findingStream) close() {
	if f != nil && f.closer != nil {
		f.closer.Close()
	}
}

func (f *findingStream) next() (*report.Finding, error) {
	if f.peeked != nil {
		p := f.peeked
		f.peeked = nil
		return p, nil
	}
	if f.done {
		return nil, nil
	}
	if f.dec.PeekKind() == ']' {
		f.done = true
		return nil, nil
	}
	var x report.Finding
	if err := json.UnmarshalDecode(f.dec, &x); err != nil {
		return nil, err
	}
	if x.AccountID < f.last {
		f.sorted = false
	}
	f.last = x.AccountID
	return &x, nil
}

// group returns the next account's failing findings, keyed by principal and
// check ("" when the stream is done).
func (f *findingStream) group() (string, map[string]report.Finding, error) {
	if f == nil {
		return "", nil, nil
	}
	first, err := f.next()
	if err != nil || first == nil {
		return "", nil, err
	}
	id := first.AccountID
	m := map[string]report.Finding{}
	for x := first; x != nil; {
		if x.AccountID != id {
			f.peeked = x
			break
		}
		if x.Status == report.StatusFail {
			m[findingKey(*x)] = *x
		}
		if x, err = f.next(); err != nil {
			return "", nil, err
		}
	}
	return id, m, nil
}

// findingKey matches a finding across runs: its check and principal (the
// account is the group's).
func findingKey(f report.Finding) string { return f.CheckID + "|" + f.Principal }

// compareFindings merges the two findings streams account by account.
// Findings of one account must be contiguous in each file (the report step
// sorts them by account); a file that is not is read again into one map.
func compareFindings(ctx context.Context, s store.Store, from, to string) (map[string][]Change, error) {
	out := map[string][]Change{}
	a, err := openFindings(ctx, s, from)
	if err != nil {
		return nil, err
	}
	defer a.close()
	b, err := openFindings(ctx, s, to)
	if err != nil {
		return nil, err
	}
	defer b.close()
	if b == nil {
		return out, nil // no findings report in the newer run: nothing to say
	}
	ida, ga, err := a.group()
	if err != nil {
		return nil, fmt.Errorf("run %s findings: %w", from, err)
	}
	idb, gb, err := b.group()
	if err != nil {
		return nil, fmt.Errorf("run %s findings: %w", to, err)
	}
	seenA, seenB := map[string]bool{}, map[string]bool{}
	for ida != "" || idb != "" {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		switch {
		case idb == "" || (ida != "" && ida < idb):
			if seenA[ida] {
				return compareFindingsInMemory(ctx, s, from, to)
			}
			seenA[ida] = true
			out[ida] = append(out[ida], findingChanges(ida, ga, nil, a != nil)...)
			if ida, ga, err = a.group(); err != nil {
				return nil, err
			}
		case ida == "" || idb < ida:
			if seenB[idb] {
				return compareFindingsInMemory(ctx, s, from, to)
			}
			seenB[idb] = true
			out[idb] = append(out[idb], findingChanges(idb, nil, gb, a != nil)...)
			if idb, gb, err = b.group(); err != nil {
				return nil, err
			}
		default:
			if seenA[ida] || seenB[idb] {
				return compareFindingsInMemory(ctx, s, from, to)
			}
			seenA[ida], seenB[idb] = true, true
			out[ida] = append(out[ida], findingChanges(ida, ga, gb, a != nil)...)
			if ida, ga, err = a.group(); err != nil {
				return nil, err
			}
			if idb, gb, err = b.group(); err != nil {
				return nil, err
			}
		}
	}
	for id, cs := range out {
		if len(cs) == 0 {
			delete(out, id)
		}
	}
	return out, nil
}

// compareFindingsInMemory is the fallback for a findings file not sorted by
// account.
func compareFindingsInMemory(ctx context.Context, s store.Store, from, to string) (map[string][]Change, error) {
	read := func(run string) (map[string]map[string]report.Finding, bool, error) {
		if ok, err := report.Complete(ctx, s, run); !ok {
			return nil, false, err
		}
		data, err := s.Get(ctx, store.ReportKey(run, "findings.json"))
		if errors.Is(err, store.ErrNotFound) {
			return nil, false, nil
		}
		if err != nil {
			return nil, false, err
		}
		list, err := report.DecodeFindings(data)
		if err != nil {
			return nil, false, err
		}
		m := map[string]map[string]report.Finding{}
		for _, f := range list {
			if f.Status != report.StatusFail {
				continue
			}
			if m[f.AccountID] == nil {
				m[f.AccountID] = map[string]report.Finding{}
			}
			m[f.AccountID][findingKey(f)] = f
		}
		return m, true, nil
	}
	a, haveA, err := read(from)
	if err != nil {
		return nil, err
	}
	b, haveB, err := read(to)
	if err != nil || !haveB {
		return map[string][]Change{}, err
	}
	out := map[string][]Change{}
	for id := range a {
		if cs := findingChanges(id, a[id], b[id], haveA); len(cs) > 0 {
			out[id] = cs
		}
	}
	for id := range b {
		if _, ok := a[id]; !ok {
			if cs := findingChanges(id, nil, b[id], haveA); len(cs) > 0 {
				out[id] = cs
			}
		}
	}
	return out, nil
}

// findingChanges compares one account's failing findings. Without a
// findings report in the older run, nothing is "new": every finding would be.
func findingChanges(account string, old, cur map[string]report.Finding, haveOld bool) []Change {
	if !haveOld {
		return nil
	}
	var out []Change
	for _, k := range sortedKeys(cur) {
		if _, ok := old[k]; ok {
			continue
		}
		f := cur[k]
		sev := strings.ToLower(f.Severity)
		if SeverityRank(sev) >= len(Severities) {
			sev = SevMedium
		}
		out = append(out, Change{Kind: KindFindings, Action: New, Severity: sev, AccountID: account, AccountName: f.AccountName,
			Principal: f.Principal, Subject: f.CheckID, Detail: strings.TrimSuffix("CIS "+f.CheckID+" "+f.Title+": "+oneLine(f.Evidence), ": ")})
	}
	for _, k := range sortedKeys(old) {
		if _, ok := cur[k]; ok {
			continue
		}
		f := old[k]
		out = append(out, Change{Kind: KindFindings, Action: Resolved, Severity: SevInfo, AccountID: account, AccountName: f.AccountName,
			Principal: f.Principal, Subject: f.CheckID, Detail: "CIS " + f.CheckID + " " + f.Title + ": resolved"})
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Principal != out[j].Principal {
			return out[i].Principal < out[j].Principal
		}
		return out[i].Subject < out[j].Subject
	})
	return out
}

// compareAWSManaged compares the AWS managed policies stored once per run
// (AWS publishes new versions; such a change reaches every principal that
// has the policy). They are read one pair at a time.
func compareAWSManaged(ctx context.Context, s store.Store, from, to string) ([]Change, error) {
	names := func(run string) (map[string]string, error) {
		keys, err := s.List(ctx, store.AWSManagedPoliciesPrefix(run))
		if err != nil {
			return nil, err
		}
		m := map[string]string{}
		for _, k := range keys {
			m[strings.TrimSuffix(k[strings.LastIndex(k, "/")+1:], ".json")] = k
		}
		return m, nil
	}
	na, err := names(from)
	if err != nil {
		return nil, err
	}
	nb, err := names(to)
	if err != nil {
		return nil, err
	}
	var out []Change
	for _, n := range sortedKeys(nb) {
		ka, ok := na[n]
		if !ok {
			continue // first attached in this run: its attachments say so
		}
		var pa, pb snapshot.ManagedPolicy
		if err := snapshot.ReadJSON(ctx, s, ka, &pa); err != nil {
			return nil, err
		}
		if err := snapshot.ReadJSON(ctx, s, nb[n], &pb); err != nil {
			return nil, err
		}
		old := &policyState{name: pa.PolicyName, kind: "AWS managed", version: pa.DefaultVersionID}
		old.stmts, old.err = Normalize(pa.DefaultDocument())
		cur := &policyState{name: pb.PolicyName, kind: "AWS managed", version: pb.DefaultVersionID}
		cur.stmts, cur.err = Normalize(pb.DefaultDocument())
		if c, ok := policyChange(pb.Arn, old, cur); ok {
			out = append(out, c)
		}
	}
	return out, nil
}
