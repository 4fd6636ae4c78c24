package trailgen

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Stream is a trail made on demand: each file is generated when it is
// opened, from its own seed, and never written anywhere, so a benchmark can
// read ten million records without 12 GB on disk. It has the methods of
// policygen.Source (trailgen does not import policygen: policygen's tests
// import trailgen). Files are plain JSON, not gzip.
//
// Only the actions of the activity are kept (not their resources), so the
// Stream's own memory does not grow with the trail either.
type Stream struct {
	base *gen
	mu   sync.Mutex
	// actions: principal ARN → action → true, of successful calls.
	actions        map[string]map[string]bool
	records, bytes int64
}

// NewStream returns a Stream of cfg.Files files of cfg.EventsPerFile
// records; the principals are those Write would draw for cfg.
func NewStream(cfg Config) (*Stream, error) {
	g, err := newGen(cfg)
	if err != nil {
		return nil, err
	}
	return &Stream{base: g, actions: map[string]map[string]bool{}}, nil
}

// List names the files: "stream/<index>.json" (no day folder, so none is
// skipped by date).
func (s *Stream) List(context.Context, time.Time, time.Time) ([]string, error) {
	out := make([]string, s.base.cfg.Files)
	for i := range out {
		out[i] = fmt.Sprintf("stream/%08d.json", i)
	}
	return out, nil
}

// Open generates file name.
func (s *Stream) Open(_ context.Context, name string) (io.ReadCloser, error) {
	i, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(name, "stream/"), ".json"))
	if err != nil || i < 0 || i >= s.base.cfg.Files {
		return nil, fmt.Errorf("trailgen: no stream file %q", name)
	}
	cfg := s.base.cfg
	g := &gen{cfg: cfg, r: rand.New(rand.NewPCG(cfg.Seed, uint64(i)+8)), principals: s.base.principals, accounts: s.base.accounts, exp: newExpected()}
	span := time.Duration(cfg.Days) * 24 * time.Hour
	at := cfg.Start.Add(time.Duration(int64(span) / int64(max(cfg.Files, 1)) * int64(i)))
	var buf bytes.Buffer
	g.records(&buf, g.accounts[i%len(g.accounts)], at)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.records += int64(g.exp.Records)
	s.bytes += g.exp.Bytes
	for p, acts := range g.exp.Actions {
		m := s.actions[p]
		if m == nil {
			m = map[string]bool{}
			s.actions[p] = m
		}
		for a := range acts {
			m[a] = true
		}
	}
	return io.NopCloser(&buf), nil
}

func (s *Stream) String() string { return "generated trail" }

// Actions returns principal ARN → actions of the successful calls in the
// files opened so far.
func (s *Stream) Actions() map[string]map[string]bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.actions
}
