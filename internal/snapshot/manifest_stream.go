package snapshot

import (
	"bytes"
	"context"
	"fmt"
	"time"

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
	dec, where, err := r.openManifest(ctx)
	if err != nil {
		return Manifest{}, err
	}
	bad := func(err error) (Manifest, error) { return Manifest{}, where(err) }
	// The other members are copied into an object of their own and decoded
	// into the Manifest at the end; accounts are decoded one by one as they
	// come.
	var rest bytes.Buffer
	enc := jsontext.NewEncoder(&rest)
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
	return m, checkSchema(store.ManifestKey(r.Run), m.SchemaVersion)
}

// ManifestFinished reads only the finished time of the run's manifest (its
// members up to "finished", written near the top), for a caller that needs
// nothing else: the manifest of a 10,000-account run is 4 MB of account
// lines that Manifest would decode. ErrNotFound if the run is incomplete.
func (r Reader) ManifestFinished(ctx context.Context) (time.Time, error) {
	dec, where, err := r.openManifest(ctx)
	if err != nil {
		return time.Time{}, err
	}
	bad := func(err error) (time.Time, error) { return time.Time{}, where(err) }
	for dec.PeekKind() != '}' {
		tok, err := dec.ReadToken()
		if err != nil {
			return bad(err)
		}
		if tok.String() != "finished" {
			if err := dec.SkipValue(); err != nil {
				return bad(err)
			}
			continue
		}
		val, err := dec.ReadValue()
		if err != nil {
			return bad(err)
		}
		var t time.Time
		if err := json.Unmarshal(val, &t); err != nil {
			return bad(fmt.Errorf("finished: %w", err))
		}
		return t, nil
	}
	return bad(fmt.Errorf("no finished time"))
}

// openManifest reads the run's manifest and its opening brace: the decoder
// is at its first member. where names the manifest in an error (its own
// errors are named already; ErrNotFound if the run is incomplete).
func (r Reader) openManifest(ctx context.Context) (dec *jsontext.Decoder, where func(error) error, err error) {
	key := store.ManifestKey(r.Run)
	data, err := r.Store.Get(ctx, key)
	if err != nil {
		return nil, nil, err
	}
	where = func(err error) error { return fmt.Errorf("%s/%s: %w", r.Store, key, err) }
	dec = jsontext.NewDecoder(bytes.NewReader(data))
	tok, err := dec.ReadToken()
	if err != nil {
		return nil, nil, where(err)
	}
	if tok.Kind() != '{' {
		return nil, nil, where(fmt.Errorf("the manifest is a JSON %v, not an object", tok.Kind()))
	}
	return dec, where, nil
}
