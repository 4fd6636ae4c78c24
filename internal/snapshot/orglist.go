package snapshot

import (
	"bytes"
	"context"
	"fmt"

	"github.com/go-json-experiment/json"

	"github.com/orgiam/orgiam/internal/store"
)

// OrgList is the stored form of an organization's lists
// (organizations/<org-id>/accounts.json, ous.json, policies.json,
// policy-chains.json, delegated-administrators.json) from schema version 3
// on: the list with its version. Before, the file was the bare array
// (ReadOrgList reads both).
type OrgList[T any] struct {
	SchemaVersion int `json:"schemaVersion"`
	Items         []T `json:"items"`
}

// NewOrgList wraps items for storing (never a null list).
func NewOrgList[T any](items []T) OrgList[T] {
	if items == nil {
		items = []T{}
	}
	return OrgList[T]{SchemaVersion: SchemaVersion, Items: items}
}

// ReadOrgList reads a list stored as an OrgList, or as the bare array of
// the versions before 3.
func ReadOrgList[T any](ctx context.Context, s store.Store, key string) ([]T, error) {
	data, err := s.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	if t := bytes.TrimSpace(data); len(t) > 0 && t[0] == '[' {
		var items []T
		if err := json.Unmarshal(t, &items); err != nil {
			return nil, fmt.Errorf("%s/%s: %w", s, key, err)
		}
		return items, nil
	}
	var l OrgList[T]
	if err := json.Unmarshal(data, &l); err != nil {
		return nil, fmt.Errorf("%s/%s: %w", s, key, err)
	}
	if err := checkSchema(key, l.SchemaVersion); err != nil {
		return nil, err
	}
	return l.Items, nil
}

// Organization reads organizations/<id>/organization.json.
func (r Reader) Organization(ctx context.Context, id string) (Organization, error) {
	var o Organization
	key := store.OrgKey(r.Run, id, "organization.json")
	err := ReadJSON(ctx, r.Store, key, &o)
	if err == nil {
		err = checkSchema(key, o.SchemaVersion)
	}
	return o, err
}

// OrgAccounts reads organizations/<id>/accounts.json: every account of the
// organization as listed, skipped ones included.
func (r Reader) OrgAccounts(ctx context.Context, id string) ([]Account, error) {
	return ReadOrgList[Account](ctx, r.Store, store.OrgKey(r.Run, id, "accounts.json"))
}

// OrgOUs reads organizations/<id>/ous.json: the root and every OU.
func (r Reader) OrgOUs(ctx context.Context, id string) ([]OU, error) {
	return ReadOrgList[OU](ctx, r.Store, store.OrgKey(r.Run, id, "ous.json"))
}
