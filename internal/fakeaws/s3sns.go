package fakeaws

import (
	"bufio"
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

type s3Object struct {
	data        []byte
	etag        string
	contentType string
	sse         string
	modified    time.Time
}

type s3Bucket struct {
	objects map[string]*s3Object
	keys    []string
	dirty   bool
}

type s3Store struct {
	mu      sync.Mutex
	buckets map[string]*s3Bucket
}

func newS3Store() *s3Store { return &s3Store{buckets: map[string]*s3Bucket{}} }

// CreateBucket creates a bucket without an API call.
func (s *Server) CreateBucket(name string) {
	s.s3.mu.Lock()
	defer s.s3.mu.Unlock()
	if s.s3.buckets[name] == nil {
		s.s3.buckets[name] = &s3Bucket{objects: map[string]*s3Object{}}
	}
}

// ObjectSSE returns the x-amz-server-side-encryption recorded for an object
// ("" if none) and whether the object exists.
func (s *Server) ObjectSSE(bucket, key string) (string, bool) {
	s.s3.mu.Lock()
	defer s.s3.mu.Unlock()
	if b := s.s3.buckets[bucket]; b != nil {
		if o := b.objects[key]; o != nil {
			return o.sse, true
		}
	}
	return "", false
}

// bucketKey splits the request into bucket and key (path-style, or
// virtual-host style when the host starts with "<bucket>.").
func bucketKey(r *http.Request) (string, string) {
	host := r.Host
	if i := strings.LastIndex(host, ":"); i >= 0 {
		host = host[:i]
	}
	path := strings.TrimPrefix(r.URL.Path, "/")
	if host != "localhost" && strings.Count(host, ".") > 0 && !isIP(host) {
		if i := strings.Index(host, "."); i > 0 && !strings.HasPrefix(host, "s3.") {
			return host[:i], path
		}
	}
	b, k, _ := strings.Cut(path, "/")
	return b, k
}

func isIP(h string) bool {
	for _, c := range h {
		if (c < '0' || c > '9') && c != '.' {
			return false
		}
	}
	return true
}

func s3Op(r *http.Request) string {
	if strings.HasPrefix(r.URL.Path, "/v20180820/") {
		return "GetPublicAccessBlock" // S3 Control, the only call served
	}
	b, k := bucketKey(r)
	switch {
	case k == "" && r.Method == http.MethodGet && s3SubOp(r) != "":
		return s3SubOp(r)
	case b == "":
		return "ListBuckets"
	case k == "" && r.Method == http.MethodPut:
		return "CreateBucket"
	case k == "" && r.Method == http.MethodHead:
		return "HeadBucket"
	case k == "" && r.Method == http.MethodGet:
		if r.URL.Query().Get("list-type") == "2" {
			return "ListObjectsV2"
		}
		return "ListObjects"
	case r.Method == http.MethodPut:
		return "PutObject"
	case r.Method == http.MethodGet:
		return "GetObject"
	case r.Method == http.MethodHead:
		return "HeadObject"
	case r.Method == http.MethodDelete:
		return "DeleteObject"
	}
	return r.Method
}

// readS3Body reads the payload, decoding aws-chunked encoding.
func readS3Body(r *http.Request) ([]byte, error) {
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	if !strings.Contains(r.Header.Get("Content-Encoding"), "aws-chunked") && !strings.HasPrefix(r.Header.Get("X-Amz-Content-Sha256"), "STREAMING-") {
		return raw, nil
	}
	var out bytes.Buffer
	br := bufio.NewReader(bytes.NewReader(raw))
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return nil, fmt.Errorf("aws-chunked: %w", err)
		}
		sz, _, _ := strings.Cut(strings.TrimSpace(line), ";")
		n, err := strconv.ParseInt(sz, 16, 64)
		if err != nil {
			return nil, fmt.Errorf("aws-chunked: chunk size %q: %w", sz, err)
		}
		if n == 0 {
			return out.Bytes(), nil
		}
		if _, err := io.CopyN(&out, br, n); err != nil {
			return nil, fmt.Errorf("aws-chunked: %w", err)
		}
		br.ReadString('\n')
	}
}

func (s *Server) serveS3(c *call) {
	r, w := c.r, c.w
	bucket, key := bucketKey(r)
	st := s.s3
	if c.op == "CreateBucket" {
		s.CreateBucket(bucket)
		w.Header().Set("Location", "/"+bucket)
		return
	}
	st.mu.Lock()
	b := st.buckets[bucket]
	st.mu.Unlock()
	if b == nil {
		c.fail(404, "NoSuchBucket", "The specified bucket does not exist")
		return
	}
	switch c.op {
	case "HeadBucket":
		w.Header().Set("X-Amz-Bucket-Region", c.region)
	case "PutObject":
		data, err := readS3Body(r)
		if err != nil {
			c.fail(400, "IncompleteBody", err.Error())
			return
		}
		sum := md5.Sum(data)
		o := &s3Object{data: data, etag: `"` + hex.EncodeToString(sum[:]) + `"`, contentType: r.Header.Get("Content-Type"),
			sse: r.Header.Get("X-Amz-Server-Side-Encryption"), modified: time.Now().UTC().Truncate(time.Second)}
		st.mu.Lock()
		if _, ok := b.objects[key]; !ok {
			b.keys = append(b.keys, key)
			b.dirty = true
		}
		b.objects[key] = o
		st.mu.Unlock()
		w.Header().Set("ETag", o.etag)
		if o.sse != "" {
			w.Header().Set("X-Amz-Server-Side-Encryption", o.sse)
		}
	case "GetObject", "HeadObject":
		st.mu.Lock()
		o := b.objects[key]
		st.mu.Unlock()
		if o == nil {
			c.fail(404, "NoSuchKey", "The specified key does not exist.")
			return
		}
		w.Header().Set("ETag", o.etag)
		w.Header().Set("Last-Modified", o.modified.Format(http.TimeFormat))
		w.Header().Set("Content-Length", strconv.Itoa(len(o.data)))
		if o.contentType != "" {
			w.Header().Set("Content-Type", o.contentType)
		}
		if o.sse != "" {
			w.Header().Set("X-Amz-Server-Side-Encryption", o.sse)
		}
		if c.op == "GetObject" {
			w.Write(o.data)
		}
	case "DeleteObject":
		st.mu.Lock()
		if _, ok := b.objects[key]; ok {
			delete(b.objects, key)
			b.dirty = true
			kept := b.keys[:0]
			for _, k := range b.keys {
				if k != key {
					kept = append(kept, k)
				}
			}
			b.keys = kept
		}
		st.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	case "ListObjectsV2":
		s.listObjects(c, bucket, b)
	default:
		c.fail(501, "NotImplemented", "fakeaws does not emulate s3:"+c.op)
	}
}

func (s *Server) listObjects(c *call, name string, b *s3Bucket) {
	q := c.r.URL.Query()
	prefix, delim := q.Get("prefix"), q.Get("delimiter")
	max := 1000
	if v := q.Get("max-keys"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n >= 0 && n < max {
			max = n
		}
	}
	after := q.Get("start-after")
	if t := q.Get("continuation-token"); t != "" {
		raw, err := base64.RawURLEncoding.DecodeString(t)
		if err != nil {
			c.fail(400, "InvalidArgument", "The continuation token provided is incorrect")
			return
		}
		after = string(raw)
	}
	st := s.s3
	st.mu.Lock()
	if b.dirty {
		sort.Strings(b.keys)
		b.dirty = false
	}
	i := sort.SearchStrings(b.keys, prefix)
	type ent struct {
		key string
		o   *s3Object
	}
	var contents []ent
	var prefixes []string
	seen := map[string]bool{}
	truncated, last := false, ""
	for ; i < len(b.keys); i++ {
		k := b.keys[i]
		if !strings.HasPrefix(k, prefix) {
			break
		}
		if after != "" && k <= after {
			continue
		}
		entry := k
		isPrefix := false
		if delim != "" {
			if j := strings.Index(k[len(prefix):], delim); j >= 0 {
				entry, isPrefix = k[:len(prefix)+j+len(delim)], true
				if seen[entry] || (after != "" && entry <= after) {
					continue
				}
			}
		}
		if len(contents)+len(prefixes) >= max {
			truncated = true
			break
		}
		if isPrefix {
			seen[entry] = true
			prefixes = append(prefixes, entry)
			last = entry + "\xff"
		} else {
			contents = append(contents, ent{k, b.objects[k]})
			last = k
		}
	}
	st.mu.Unlock()
	out := new(x).raw(`<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">`).
		el("Name", name).el("Prefix", prefix).int("KeyCount", len(contents)+len(prefixes)).int("MaxKeys", max).opt("Delimiter", delim).bool("IsTruncated", truncated)
	if t := q.Get("continuation-token"); t != "" {
		out.el("ContinuationToken", t)
	}
	if truncated {
		out.el("NextContinuationToken", base64.RawURLEncoding.EncodeToString([]byte(last)))
	}
	for _, e := range contents {
		out.open("Contents").el("Key", e.key).el("LastModified", e.o.modified.Format("2006-01-02T15:04:05.000Z")).el("ETag", e.o.etag).
			int("Size", len(e.o.data)).el("StorageClass", "STANDARD").close("Contents")
	}
	for _, p := range prefixes {
		out.open("CommonPrefixes").el("Prefix", p).close("CommonPrefixes")
	}
	out.raw("</ListBucketResult>")
	c.w.Header().Set("Content-Type", "application/xml")
	c.w.Write([]byte(out.String()))
}

// SNS.

// Message is a message published to SNS.
type Message struct {
	TopicArn, Subject, Message, MessageID string
	Time                                  time.Time
}

type snsState struct {
	mu     sync.Mutex
	topics map[string]bool
	msgs   []Message
	n      int
}

// Published returns the messages published so far.
func (s *Server) Published() []Message {
	s.sns.mu.Lock()
	defer s.sns.mu.Unlock()
	return append([]Message(nil), s.sns.msgs...)
}

// CreateTopic creates an SNS topic without an API call and returns its ARN.
func (s *Server) CreateTopic(region, account, name string) string {
	arn := fmt.Sprintf("arn:%s:sns:%s:%s:%s", s.w.opts.Partition, region, account, name)
	s.sns.mu.Lock()
	s.sns.topics[arn] = true
	s.sns.mu.Unlock()
	return arn
}

func (s *Server) serveSNS(c *call) {
	switch c.op {
	case "CreateTopic":
		name := c.form.Get("Name")
		if name == "" {
			c.fail(400, "InvalidParameter", "Invalid parameter: Topic Name")
			return
		}
		arn := s.CreateTopic(c.region, c.id.account, name)
		c.writeQuery(new(x).el("TopicArn", arn).String())
	case "Publish":
		arn := c.form.Get("TopicArn")
		if arn == "" {
			arn = c.form.Get("TargetArn")
		}
		s.sns.mu.Lock()
		if !s.sns.topics[arn] {
			s.sns.mu.Unlock()
			c.fail(404, "NotFound", "Topic does not exist")
			return
		}
		s.sns.n++
		id := fmt.Sprintf("%08x-0000-4000-8000-%012x", hash64(arn), s.sns.n)
		s.sns.msgs = append(s.sns.msgs, Message{TopicArn: arn, Subject: c.form.Get("Subject"), Message: c.form.Get("Message"), MessageID: id, Time: time.Now()})
		s.sns.mu.Unlock()
		c.writeQuery(new(x).el("MessageId", id).String())
	default:
		c.fail(400, "InvalidAction", "fakeaws does not emulate sns:"+c.op)
	}
}
