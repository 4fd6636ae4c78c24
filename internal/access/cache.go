package access

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/orgiam/orgiam/internal/snapshot"
)

// The model cache keeps, for a complete run, what readAccount decodes
// from every account's JSON (accountData), in one compact file in a local
// folder. Reading 40,000 JSON files of a 10,000-account organization is
// most of a load; reading one file of the same data without the fields
// the evaluator does not use, with each repeated string and policy
// document stored once, is a fraction of it. Compiling is not cached: the
// build phase runs on the cached data exactly as on freshly read data, so
// answers cannot differ (TestLoadCacheSameAnswers).
//
// A complete run never changes (its manifest is written last), so a cache
// is keyed by the store, the run and the manifest's finish time; a run
// without a manifest is not cached. The format is private and versioned
// by cacheMagic: a file of another version, or for other accounts, is a
// miss and is rewritten.
const cacheMagic = "orgiam access model cache 2\n"

// cachePath is the cache file of a run ("" when the run is not complete).
func cachePath(ctx context.Context, r snapshot.Reader, dir string) string {
	finished, err := r.ManifestFinished(ctx)
	if err != nil {
		return ""
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%d", cacheMagic, r.Store, r.Run, finished.UnixNano())
	return filepath.Join(dir, "access", hex.EncodeToString(h.Sum(nil))[:32]+".bin")
}

// cacheWriter writes the format: unsigned varints, and strings (and
// documents) as 0 (none), 1 + length + bytes (new, gets the next index),
// or 2 + index (seen before).
type cacheWriter struct {
	w    *bufio.Writer
	seen map[string]uint64
	buf  [binary.MaxVarintLen64]byte
}

func (c *cacheWriter) uint(v uint64) {
	n := binary.PutUvarint(c.buf[:], v)
	c.w.Write(c.buf[:n])
}

func (c *cacheWriter) str(s string) {
	if s == "" {
		c.uint(0)
		return
	}
	if i, ok := c.seen[s]; ok {
		c.uint(2 + i)
		return
	}
	c.seen[s] = uint64(len(c.seen))
	c.uint(1)
	c.uint(uint64(len(s)))
	c.w.WriteString(s)
}

func (c *cacheWriter) bool(b bool) {
	if b {
		c.uint(1)
	} else {
		c.uint(0)
	}
}

func (c *cacheWriter) inlines(ps []snapshot.InlinePolicy) {
	c.uint(uint64(len(ps)))
	for _, p := range ps {
		c.str(p.PolicyName)
		c.str(string(p.PolicyDocument))
	}
}

func (c *cacheWriter) attached(ps []snapshot.AttachedPolicy) {
	c.uint(uint64(len(ps)))
	for _, p := range ps {
		c.str(p.PolicyName)
		c.str(p.PolicyArn)
	}
}

func (c *cacheWriter) boundary(b *snapshot.Boundary) {
	c.bool(b != nil)
	if b != nil {
		c.str(b.PermissionsBoundaryType)
		c.str(b.PermissionsBoundaryArn)
	}
}

func (c *cacheWriter) tags(ts []snapshot.Tag) {
	c.uint(uint64(len(ts)))
	for _, t := range ts {
		c.str(t.Key)
		c.str(t.Value)
	}
}

// writeCache writes the read phase's result for accts (atomically: a
// temporary file renamed into place; 0600 in a 0700 folder).
func writeCache(path string, accts []snapshot.Account, datas []*accountData, errs []error) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".cache-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	c := &cacheWriter{w: bufio.NewWriterSize(f, 1<<20), seen: map[string]uint64{}}
	c.w.WriteString(cacheMagic)
	c.uint(uint64(len(accts)))
	for i, a := range accts {
		c.str(a.ID)
		if datas[i] == nil {
			msg := "no data"
			if errs[i] != nil {
				msg = errs[i].Error()
			}
			c.uint(0)
			c.str(msg)
			continue
		}
		c.uint(1)
		d := datas[i]
		c.uint(uint64(len(d.users)))
		for _, u := range d.users {
			c.str(u.UserName)
			c.str(u.Arn)
			c.inlines(u.UserPolicyList)
			c.uint(uint64(len(u.GroupList)))
			for _, g := range u.GroupList {
				c.str(g)
			}
			c.attached(u.AttachedManagedPolicies)
			c.boundary(u.PermissionsBoundary)
			c.tags(u.Tags)
		}
		c.uint(uint64(len(d.roles)))
		for _, r := range d.roles {
			c.str(r.RoleName)
			c.str(r.Arn)
			c.str(string(r.AssumeRolePolicyDocument))
			c.inlines(r.RolePolicyList)
			c.attached(r.AttachedManagedPolicies)
			c.boundary(r.PermissionsBoundary)
			c.tags(r.Tags)
		}
		c.uint(uint64(len(d.groups)))
		for _, g := range d.groups {
			c.str(g.GroupName)
			c.str(g.Arn)
			c.inlines(g.GroupPolicyList)
			c.attached(g.AttachedManagedPolicies)
		}
		c.uint(uint64(len(d.pols)))
		for _, p := range d.pols {
			c.str(p.Arn)
			c.str(string(p.Doc))
		}
		c.uint(uint64(len(d.resources)))
		for _, p := range d.resources {
			c.str(p.Arn)
			c.str(string(p.Doc))
		}
		c.uint(uint64(len(d.resWarns)))
		for _, w := range d.resWarns {
			c.str(w)
		}
	}
	if err := c.w.Flush(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

var errCacheFormat = errors.New("model cache: not in the expected format")

// cacheReader reads what cacheWriter wrote; the first error sticks.
type cacheReader struct {
	b    []byte
	strs []string
	// raws are the documents among strs as json.RawMessage, made once
	// each: a document used in many places shares one copy.
	raws []json.RawMessage
	last int // index in strs of the last string read (-1: none)
	err  error
}

func (c *cacheReader) uint() uint64 {
	if c.err != nil {
		return 0
	}
	v, n := binary.Uvarint(c.b)
	if n <= 0 {
		c.err = errCacheFormat
		return 0
	}
	c.b = c.b[n:]
	return v
}

// count reads a length, bounded by the bytes left (each item takes one
// at least), so a damaged file cannot ask for a huge allocation.
func (c *cacheReader) count() int {
	n := c.uint()
	if n > uint64(len(c.b)) {
		c.err = errCacheFormat
		return 0
	}
	return int(n)
}

func (c *cacheReader) str() string {
	c.last = -1
	switch v := c.uint(); {
	case c.err != nil || v == 0:
		return ""
	case v == 1:
		n := c.count()
		if c.err != nil {
			return ""
		}
		s := string(c.b[:n])
		c.b = c.b[n:]
		c.last = len(c.strs)
		c.strs = append(c.strs, s)
		c.raws = append(c.raws, nil)
		return s
	default:
		if v-2 >= uint64(len(c.strs)) {
			c.err = errCacheFormat
			return ""
		}
		c.last = int(v - 2)
		return c.strs[v-2]
	}
}

func (c *cacheReader) doc() json.RawMessage {
	s := c.str()
	if c.last < 0 {
		return nil
	}
	if c.raws[c.last] == nil {
		c.raws[c.last] = json.RawMessage(s)
	}
	return c.raws[c.last]
}

func (c *cacheReader) inlines() []snapshot.InlinePolicy {
	n := c.count()
	if n == 0 {
		return nil
	}
	out := make([]snapshot.InlinePolicy, n)
	for i := range out {
		out[i] = snapshot.InlinePolicy{PolicyName: c.str(), PolicyDocument: c.doc()}
	}
	return out
}

func (c *cacheReader) attached() []snapshot.AttachedPolicy {
	n := c.count()
	if n == 0 {
		return nil
	}
	out := make([]snapshot.AttachedPolicy, n)
	for i := range out {
		out[i] = snapshot.AttachedPolicy{PolicyName: c.str(), PolicyArn: c.str()}
	}
	return out
}

func (c *cacheReader) boundary() *snapshot.Boundary {
	if c.uint() == 0 {
		return nil
	}
	return &snapshot.Boundary{PermissionsBoundaryType: c.str(), PermissionsBoundaryArn: c.str()}
}

func (c *cacheReader) tags() []snapshot.Tag {
	n := c.count()
	if n == 0 {
		return nil
	}
	out := make([]snapshot.Tag, n)
	for i := range out {
		out[i] = snapshot.Tag{Key: c.str(), Value: c.str()}
	}
	return out
}

// readCache fills datas and errs for accts from the cache file, calling
// ready(i) once datas[i] or errs[i] is set; any mismatch (format,
// accounts) is an error and leaves the caller to read the snapshot (and
// drop what ready was given).
func readCache(path string, accts []snapshot.Account, datas []*accountData, errs []error, ready func(int)) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if len(b) < len(cacheMagic) || string(b[:len(cacheMagic)]) != cacheMagic {
		return errCacheFormat
	}
	c := &cacheReader{b: b[len(cacheMagic):]}
	if c.count() != len(accts) {
		return errCacheFormat
	}
	for i, a := range accts {
		if c.str() != a.ID {
			return errCacheFormat
		}
		if c.uint() == 0 {
			errs[i] = errors.New(c.str())
			ready(i)
			continue
		}
		d := &accountData{}
		d.users = make([]userData, c.count())
		for j := range d.users {
			u := &d.users[j]
			u.UserName, u.Arn = c.str(), c.str()
			u.UserPolicyList = c.inlines()
			if n := c.count(); n > 0 {
				u.GroupList = make([]string, n)
				for k := range u.GroupList {
					u.GroupList[k] = c.str()
				}
			}
			u.AttachedManagedPolicies = c.attached()
			u.PermissionsBoundary = c.boundary()
			u.Tags = c.tags()
		}
		d.roles = make([]roleData, c.count())
		for j := range d.roles {
			r := &d.roles[j]
			r.RoleName, r.Arn = c.str(), c.str()
			r.AssumeRolePolicyDocument = c.doc()
			r.RolePolicyList = c.inlines()
			r.AttachedManagedPolicies = c.attached()
			r.PermissionsBoundary = c.boundary()
			r.Tags = c.tags()
		}
		d.groups = make([]groupData, c.count())
		for j := range d.groups {
			g := &d.groups[j]
			g.GroupName, g.Arn = c.str(), c.str()
			g.GroupPolicyList = c.inlines()
			g.AttachedManagedPolicies = c.attached()
		}
		d.pols = make([]policyData, c.count())
		for j := range d.pols {
			d.pols[j] = policyData{Arn: c.str(), Doc: c.doc()}
		}
		if n := c.count(); n > 0 {
			d.resources = make([]policyData, n)
			for j := range d.resources {
				d.resources[j] = policyData{Arn: c.str(), Doc: c.doc()}
			}
		}
		if n := c.count(); n > 0 {
			d.resWarns = make([]string, n)
			for j := range d.resWarns {
				d.resWarns[j] = c.str()
			}
		}
		if c.err != nil {
			return c.err
		}
		datas[i] = d
		ready(i)
	}
	if c.err != nil {
		return c.err
	}
	if len(c.b) != 0 {
		return fmt.Errorf("model cache: %d bytes after the end: %w", len(c.b), io.ErrUnexpectedEOF)
	}
	return nil
}
