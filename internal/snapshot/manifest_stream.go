package snapshot

import (
	"bytes"
	"context"
	"fmt"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/orgiam/orgiam/internal/store"
)

// ManifestAccounts reads the run's manifest like Manifest, but hands its
// account lines to fn one at a time instead of decoding them all: the
// returned Manifest has no Accounts. A reader that keeps a few fields of
// each account (diff keeps name and status) then holds those fields, not
// 10,000 decoded lines with their counts and warnings. ErrNotFound if the
// run is incomplete; an error of fn stops the read and is returned.
func (r Reader) ManifestAccounts(ctx context.Context, fn func(AccountResult) error) (Manifest, error) {
	key := store.ManifestKey(r.Run)
	data, err := r.Store.Get(ctx, key)
	if err != nil {
		return Manifest{}, err
	}
	bad := func(err error) (Manifest, error) { return Manifest{}, fmt.Errorf("%s/%s: %w", r.Store, key, err) }
	// The other members are copied into an object of their own and decoded
	// into the Manifest at the end; accounts are decoded one by one as they
	// come.
	var rest bytes.Buffer
	enc := jsontext.NewEncoder(&rest)
	dec := jsontext.NewDecoder(bytes.NewReader(data))
	tok, err := dec.ReadToken()
	if err != nil {
		return bad(err)
	}
	if tok.Kind() != '{' {
		return bad(fmt.Errorf("the manifest is a JSON %v, not an object", tok.Kind()))
	}
	if err := enc.WriteToken(jsontext.BeginObject); err != nil {
		return bad(err)
	}
	for dec.PeekKind() != '}' {
		tok, err := dec.ReadToken()
		if err != nil {
			return bad(err)
		}
		// The token is only valid until the next read: keep its text.
		name := tok.String()
		if name != "accounts" || dec.PeekKind() != '[' {
			val, err := dec.ReadValue()
			if err != nil {
				return bad(err)
			}
			if err := enc.WriteToken(jsontext.String(name)); err != nil {
				return bad(err)
			}
			if err := enc.WriteValue(val); err != nil {
				return bad(err)
			}
			continue
		}
		if _, err := dec.ReadToken(); err != nil {
			return bad(err)
		}
		for dec.PeekKind() != ']' {
			var a AccountResult
			if err := json.UnmarshalDecode(dec, &a); err != nil {
				return bad(err)
			}
			if err := fn(a); err != nil {
				return Manifest{}, err
			}
		}
		if _, err := dec.ReadToken(); err != nil {
			return bad(err)
		}
	}
	if _, err := dec.ReadToken(); err != nil {
		return bad(err)
	}
	if err := enc.WriteToken(jsontext.EndObject); err != nil {
		return bad(err)
	}
	var m Manifest
	if err := json.Unmarshal(rest.Bytes(), &m); err != nil {
		return bad(err)
	}
	return m, checkSchema(key, m.SchemaVersion)
}
