package policygen

import (
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sort"
	"sync"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/orgiam/orgiam/internal/iamdata"
)

// ReadOptions say which records count.
type ReadOptions struct {
	// Since and Until bound eventTime: Since ≤ t < Until (zero: unbounded).
	Since, Until time.Time
	// Principals, if not empty, keeps only these (by Principal.Key).
	Principals map[string]bool
	// Account, if set, keeps only the roles of this account (--all-roles).
	Account string
	// Resources is how far ARNs are generalised.
	Resources ResourceLevel
	// Workers is the number of files read at once (default GOMAXPROCS).
	Workers int
	// MaxResources bounds the distinct resources kept per principal and
	// action (default 200): past it the action's resources are generalised
	// to the service level, so memory does not grow with the trail.
	MaxResources int
}

// FileResult is what one file gave.
type FileResult struct {
	Name    string `json:"name"`
	Bytes   int64  `json:"bytes"` // decompressed JSON read
	Records int    `json:"records"`
	// BadRecords are records missing eventTime, eventSource, eventName or
	// userIdentity, or not decodable; FirstBad says the first one's problem.
	BadRecords int    `json:"badRecords,omitempty"`
	FirstBad   string `json:"firstBad,omitempty"`
	// Error is why the file could not be read to its end (truncated gzip,
	// not JSON …); the records before it are kept.
	Error string `json:"error,omitempty"`
}

// Activity is what a trail shows, per principal.
type Activity struct {
	Principals map[string]*PrincipalActivity // by Principal.Key
	Files      []FileResult                  // sorted by name
	// Skipped counts records not attributed to a user or role, by identity
	// type (AWSService, Root, FederatedUser …).
	Skipped    map[string]int
	OutOfRange int
	// DataEvents and ManagementEvents count the attributed records.
	DataEvents, ManagementEvents int
	First, Last                  string // eventTime of the first and last record kept
}

// PrincipalActivity is one principal's calls.
type PrincipalActivity struct {
	Principal Principal
	Events    int
	// Used is action → resources (already generalised).
	Used map[string]map[string]bool
	// Generalised lists actions whose exact resources exceeded the bound.
	Generalised map[string]bool
	// Denied is action → attempts that failed with an authorisation error.
	Denied map[string]int
	// DeniedUsed is Denied's resources, granted only with --include-denied.
	DeniedUsed map[string]map[string]bool
	// Unmapped is "eventSource eventName" → count of events no IAM action
	// could be found for.
	Unmapped    map[string]int
	DataEvents  int
	First, Last string
}

// Read streams every file of the source through the mapper, files in
// parallel. A file that cannot be read is recorded in Activity.Files with
// its error and the reading goes on; only the listing failing, or ctx
// ending, returns an error.
//
// Memory does not depend on the number of records. What is kept, and its
// bound (see bench/results/policygen-*.md for the measurements):
//   - per worker, one file's decoder buffer and one record at a time
//     (files are streamed, records decoded one by one);
//   - per worker and principal, the actions used (bounded by the
//     catalogue), at most MaxResources resources per action (record and
//     mergeSets generalise past it), at most maxUnmapped unmapped event
//     names (addUnmapped) and counters; principals are bounded by the
//     organization, not by the trail;
//   - the Mapper's cache, at most maxCached event names;
//   - per file, its name and a FileResult (about 200 bytes: 1 MB for the
//     5,000 files of 10 million records), which the report lists.
func Read(ctx context.Context, src Source, cat *iamdata.Catalog, opt ReadOptions) (*Activity, error) {
	names, err := src.List(ctx, opt.Since, opt.Until)
	if err != nil {
		return nil, err
	}
	if opt.Resources == "" {
		opt.Resources = ResourcesService
	}
	if opt.MaxResources <= 0 {
		opt.MaxResources = 200
	}
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = max(1, min(workers, len(names)))
	r := &reader{opt: opt, mapper: NewMapper(cat), scope: &scoper{cat: cat, level: opt.Resources}, gen: &scoper{cat: cat, level: ResourcesService}}
	if !opt.Since.IsZero() {
		r.since = opt.Since.UTC().Format(timeLayout)
	}
	if !opt.Until.IsZero() {
		r.until = opt.Until.UTC().Format(timeLayout)
	}
	jobs := make(chan int)
	results := make([]FileResult, len(names))
	parts := make([]*Activity, workers)
	var wg sync.WaitGroup
	for w := range workers {
		parts[w] = newActivity()
		wg.Add(1)
		go func(a *Activity) {
			defer wg.Done()
			for i := range jobs {
				results[i] = r.file(ctx, src, names[i], a)
			}
		}(parts[w])
	}
feed:
	for i := range names {
		select {
		case jobs <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := parts[0]
	for _, p := range parts[1:] {
		out.merge(p, opt.MaxResources, r.gen)
	}
	out.Files = results
	return out, nil
}

const timeLayout = "2006-01-02T15:04:05Z"

type reader struct {
	opt          ReadOptions
	since, until string
	mapper       *Mapper
	scope, gen   *scoper
}

func newActivity() *Activity {
	return &Activity{Principals: map[string]*PrincipalActivity{}, Skipped: map[string]int{}}
}

// countingReader counts the decompressed bytes the decoder reads.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func (r *reader) file(ctx context.Context, src Source, name string, a *Activity) (res FileResult) {
	res.Name = name
	rc, err := src.Open(ctx, name)
	if err != nil {
		res.Error = err.Error()
		return res
	}
	defer rc.Close()
	br := bufio.NewReaderSize(rc, 64<<10)
	var in io.Reader = br
	// Gzip is recognised by its magic number, not the name: S3 may serve a
	// trail object already decoded, and some folders hold plain .json.
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			res.Error = "gzip: " + err.Error()
			return res
		}
		defer zr.Close()
		in = zr
	}
	cr := &countingReader{r: in}
	defer func() { res.Bytes = cr.n }()
	dec := jsontext.NewDecoder(cr)
	fail := func(err error) FileResult {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, gzip.ErrChecksum) || errors.Is(err, io.EOF) {
			res.Error = fmt.Sprintf("truncated after %d records: %v", res.Records, err)
		} else {
			res.Error = fmt.Sprintf("not a CloudTrail file (after %d records): %v", res.Records, err)
		}
		return res
	}
	if tok, err := dec.ReadToken(); err != nil {
		return fail(err)
	} else if tok.Kind() != '{' {
		return fail(fmt.Errorf("expected a JSON object, found %s", tok.Kind()))
	}
	sawRecords := false
	for dec.PeekKind() != '}' {
		tok, err := dec.ReadToken()
		if err != nil {
			return fail(err)
		}
		if tok.String() != "Records" {
			if err := dec.SkipValue(); err != nil {
				return fail(err)
			}
			continue
		}
		sawRecords = true
		if tok, err := dec.ReadToken(); err != nil {
			return fail(err)
		} else if tok.Kind() != '[' {
			return fail(fmt.Errorf("Records is not a list"))
		}
		for dec.PeekKind() != ']' {
			if ctx.Err() != nil {
				res.Error = ctx.Err().Error()
				return res
			}
			raw, err := dec.ReadValue()
			if err != nil {
				return fail(err)
			}
			res.Records++
			var rec Record
			if err := json.Unmarshal(raw, &rec); err != nil {
				res.bad(fmt.Sprintf("record %d: %v", res.Records, err))
				continue
			}
			if msg := r.record(&rec, a); msg != "" {
				res.bad(fmt.Sprintf("record %d: %s", res.Records, msg))
			}
		}
		if _, err := dec.ReadToken(); err != nil {
			return fail(err)
		}
	}
	if _, err := dec.ReadToken(); err != nil {
		return fail(err)
	}
	// Read to the end so a truncated gzip stream (its checksum and length
	// come last) is noticed even when the JSON looks complete.
	if _, err := io.Copy(io.Discard, cr); err != nil {
		return fail(err)
	}
	if !sawRecords {
		res.Error = "no Records list"
	}
	return res
}

func (f *FileResult) bad(msg string) {
	f.BadRecords++
	if f.FirstBad == "" {
		f.FirstBad = msg
	}
}

// record adds one record to a; it returns what is missing from a bad record.
func (r *reader) record(rec *Record, a *Activity) string {
	switch {
	case rec.EventTime == "":
		return "no eventTime"
	case rec.EventSource == "":
		return "no eventSource"
	case rec.EventName == "":
		return "no eventName"
	case rec.UserIdentity == nil:
		return "no userIdentity"
	}
	t := rec.EventTime
	if len(t) != len(timeLayout) || t[10] != 'T' || t[19] != 'Z' {
		pt, err := time.Parse(time.RFC3339Nano, t)
		if err != nil {
			return fmt.Sprintf("eventTime %q is not a time", t)
		}
		t = pt.UTC().Format(timeLayout)
	}
	if r.since != "" && t < r.since || r.until != "" && t >= r.until {
		a.OutOfRange++
		return ""
	}
	p, skip := attribute(rec)
	if skip != "" {
		a.Skipped[skip]++
		return ""
	}
	key := p.Key()
	if len(r.opt.Principals) > 0 && !r.opt.Principals[key] {
		return ""
	}
	if r.opt.Account != "" && (p.Account != r.opt.Account || p.Kind != "role") {
		return ""
	}
	pa := a.Principals[key]
	if pa == nil {
		pa = newPrincipalActivity(p)
		a.Principals[key] = pa
	} else if betterARN(p.ARN, pa.Principal.ARN) {
		pa.Principal.ARN = p.ARN
	}
	pa.Events++
	if pa.First == "" || t < pa.First {
		pa.First = t
	}
	if t > pa.Last {
		pa.Last = t
	}
	if a.First == "" || t < a.First {
		a.First = t
	}
	if t > a.Last {
		a.Last = t
	}
	if rec.dataEvent() {
		a.DataEvents++
		pa.DataEvents++
	} else {
		a.ManagementEvents++
	}
	actions, notIAMEvent := r.mapper.Map(rec.EventSource, rec.EventName)
	if notIAMEvent {
		return ""
	}
	if actions == nil {
		addUnmapped(pa.Unmapped, rec.EventSource+" "+rec.EventName, 1)
		return ""
	}
	var arns []string
	if r.opt.Resources != ResourcesNone {
		arns = eventARNs(rec)
	}
	denied := rec.denied()
	for _, act := range actions {
		used := pa.Used
		if denied {
			pa.Denied[act]++
			used = pa.DeniedUsed
		}
		set := used[act]
		if set == nil {
			set = map[string]bool{}
			used[act] = set
		}
		for _, res := range r.scope.resources(act, arns) {
			set[res] = true
		}
		if len(set) > r.opt.MaxResources {
			used[act] = generalise(set, r.gen)
			pa.Generalised[act] = true
		}
	}
	return ""
}

func newPrincipalActivity(p Principal) *PrincipalActivity {
	return &PrincipalActivity{Principal: p, Used: map[string]map[string]bool{}, Generalised: map[string]bool{}, Denied: map[string]int{}, DeniedUsed: map[string]map[string]bool{}, Unmapped: map[string]int{}}
}

// betterARN prefers the ARN that carries the role's path (from
// sessionIssuer), then the smaller, so the result does not depend on the
// order files are read in.
func betterARN(cand, cur string) bool {
	if len(cand) != len(cur) {
		return len(cand) > len(cur)
	}
	return cand < cur
}

// generalise replaces a set of exact ARNs by their service-level forms;
// a set still too large becomes "*" (reported as generalised).
func generalise(set map[string]bool, gen *scoper) map[string]bool {
	out := map[string]bool{}
	for res := range set {
		if res == "*" {
			out["*"] = true
			continue
		}
		for _, t := range gen.allTemplates(res) {
			if m := t.re.FindStringSubmatchIndex(res); m != nil && t.generalise > 0 {
				g := t.generalise
				res = res[:m[2*g]] + "*" + res[m[2*g+1]:]
				break
			}
		}
		out[res] = true
	}
	return out
}

// merge adds b into a.
func (a *Activity) merge(b *Activity, maxRes int, gen *scoper) {
	for k, v := range b.Skipped {
		a.Skipped[k] += v
	}
	a.OutOfRange += b.OutOfRange
	a.DataEvents += b.DataEvents
	a.ManagementEvents += b.ManagementEvents
	a.First, a.Last = minStr(a.First, b.First), max(a.Last, b.Last)
	for key, pb := range b.Principals {
		pa := a.Principals[key]
		if pa == nil {
			a.Principals[key] = pb
			continue
		}
		if betterARN(pb.Principal.ARN, pa.Principal.ARN) {
			pa.Principal.ARN = pb.Principal.ARN
		}
		pa.Events += pb.Events
		pa.DataEvents += pb.DataEvents
		pa.First, pa.Last = minStr(pa.First, pb.First), max(pa.Last, pb.Last)
		mergeSets(pa.Used, pb.Used, pa.Generalised, maxRes, gen)
		mergeSets(pa.DeniedUsed, pb.DeniedUsed, pa.Generalised, maxRes, gen)
		for k, v := range pb.Generalised {
			pa.Generalised[k] = v
		}
		for k, v := range pb.Denied {
			pa.Denied[k] += v
		}
		for k, v := range pb.Unmapped {
			addUnmapped(pa.Unmapped, k, v)
		}
	}
}

func mergeSets(dst, src map[string]map[string]bool, generalised map[string]bool, maxRes int, gen *scoper) {
	for act, set := range src {
		d := dst[act]
		if d == nil {
			dst[act] = set
			continue
		}
		for r := range set {
			d[r] = true
		}
		if len(d) > maxRes {
			dst[act] = generalise(d, gen)
			generalised[act] = true
		}
	}
}

// maxUnmapped bounds the distinct unmapped events kept per principal;
// the rest are counted under OtherUnmapped, so a trail full of unknown
// event names does not grow memory.
const maxUnmapped = 100

// OtherUnmapped is the Unmapped key counting events past maxUnmapped.
const OtherUnmapped = "(other unmapped events)"

func addUnmapped(m map[string]int, key string, n int) {
	if _, ok := m[key]; !ok && len(m) >= maxUnmapped {
		key = OtherUnmapped
	}
	m[key] += n
}

func minStr(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return min(a, b)
}

// SortedKeys returns a map's keys, sorted.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
