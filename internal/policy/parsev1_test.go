package policy

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// This file keeps the encoding/json (v1) implementation of Parse as it was
// before the streaming rewrite. It is the reference the differential tests
// and the fuzz test compare Parse against. It is deliberately self-contained
// (its own principal and string-list types) so that later changes to the
// package cannot alter the reference.

type v1Principal struct {
	Wildcard bool
	Values   map[string][]string
}

func (p *v1Principal) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		if s != "*" {
			return fmt.Errorf("principal %q: only \"*\" may be a plain string", s)
		}
		p.Wildcard = true
		return nil
	}
	var m map[string]v1StringList
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("principal: %w", err)
	}
	p.Values = map[string][]string{}
	for k, v := range m {
		p.Values[k] = v
	}
	return nil
}

func (p *v1Principal) toPrincipal() *Principal {
	if p == nil {
		return nil
	}
	return &Principal{Wildcard: p.Wildcard, Values: p.Values}
}

type v1StringList []string

func (l *v1StringList) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*l = []string{s}
		return nil
	}
	var a []string
	if err := json.Unmarshal(b, &a); err != nil {
		return fmt.Errorf("expected a string or a list of strings: %s", truncate(b))
	}
	*l = a
	return nil
}

// v1NullableList is v1StringList except that null gives a nil list. It lets
// the tests build a reference with the one deliberate difference of Parse.
type v1NullableList []string

func (l *v1NullableList) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*l = nil
		return nil
	}
	return (*v1StringList)(l).UnmarshalJSON(b)
}

type v1RawStatement[L v1StringList | v1NullableList] struct {
	Sid          string          `json:"Sid"`
	Effect       string          `json:"Effect"`
	Principal    *v1Principal    `json:"Principal"`
	NotPrincipal *v1Principal    `json:"NotPrincipal"`
	Action       L               `json:"Action"`
	NotAction    L               `json:"NotAction"`
	Resource     L               `json:"Resource"`
	NotResource  L               `json:"NotResource"`
	Condition    json.RawMessage `json:"Condition"`
}

// parseV1 is the encoding/json implementation of Parse, unchanged.
func parseV1(raw []byte) (Document, error) { return parseV1With[v1StringList](raw) }

// parseV1NullAsNil is parseV1 except that a null Action, NotAction, Resource
// or NotResource gives a nil list: the one documented difference of Parse.
func parseV1NullAsNil(raw []byte) (Document, error) { return parseV1With[v1NullableList](raw) }

func parseV1With[L v1StringList | v1NullableList](raw []byte) (Document, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return Document{}, nil
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return Document{}, fmt.Errorf("policy document: %w", err)
		}
		raw = []byte(s)
	}
	var top struct {
		Version   string          `json:"Version"`
		Id        string          `json:"Id"`
		Statement json.RawMessage `json:"Statement"`
	}
	if err := json.Unmarshal(raw, &top); err != nil {
		return Document{}, fmt.Errorf("policy document: %w", err)
	}
	doc := Document{Version: top.Version, ID: top.Id}
	st := bytes.TrimSpace(top.Statement)
	if len(st) == 0 || bytes.Equal(st, []byte("null")) {
		return doc, nil
	}
	var raws []v1RawStatement[L]
	if st[0] == '{' {
		var one v1RawStatement[L]
		if err := json.Unmarshal(st, &one); err != nil {
			return Document{}, fmt.Errorf("policy statement: %w", err)
		}
		raws = []v1RawStatement[L]{one}
	} else if err := json.Unmarshal(st, &raws); err != nil {
		return Document{}, fmt.Errorf("policy statements: %w", err)
	}
	for _, r := range raws {
		doc.Statement = append(doc.Statement, Statement{
			Sid: r.Sid, Effect: r.Effect, Principal: r.Principal.toPrincipal(), NotPrincipal: r.NotPrincipal.toPrincipal(),
			Action: []string(r.Action), NotAction: []string(r.NotAction), Resource: []string(r.Resource), NotResource: []string(r.NotResource),
			Condition: r.Condition,
		})
	}
	return doc, nil
}
