package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
)

// decodeOptions make the decoder accept duplicate member names and invalid
// UTF-8, as encoding/json does.
var decodeOptions = []jsontext.Options{
	jsontext.AllowDuplicateNames(true),
	jsontext.AllowInvalidUTF8(true),
}

// parser reads a policy document in a single pass over its JSON tokens. It
// holds a decoder and scratch space that Parse reuses across calls. It
// accepts what encoding/json accepted when decoding into the document's
// structs:
//
//   - duplicate member names are allowed and the last one wins; for
//     Principal and NotPrincipal a later value is merged into the earlier
//     one, as encoding/json decodes into the existing pointer;
//   - invalid UTF-8 in strings is replaced by U+FFFD;
//   - member names match exactly or else case-insensitively;
//   - a type error inside a Statement value only counts if that Statement
//     member is the last one in the document, since encoding/json kept the
//     value as raw JSON and decoded only the last one.
type parser struct {
	src   bytes.Buffer // the input; the decoder reads it in place
	dec   jsontext.Decoder
	stmts []Statement // statements of the list being read
	strs  []string    // elements of the string list being read
	buf   []byte      // unescaped string contents

	// text is the input as a string. Strings without escapes are returned
	// as substrings of it, so that a document costs one string allocation
	// rather than one per string. Such strings keep the document's text
	// alive, which is of the same order as the strings themselves.
	text string
	// validUTF8 reports whether the whole input is valid UTF-8.
	validUTF8 bool
}

var parserPool = sync.Pool{New: func() any { return new(parser) }}

// reset points the decoder at b.
func (p *parser) reset(b []byte) {
	p.src = *bytes.NewBuffer(b)
	p.dec.Reset(&p.src, decodeOptions...)
	p.text, p.validUTF8 = "", false
}

// release drops references to the input and results and returns p to the pool.
func (p *parser) release() {
	p.reset(nil)
	// Elements past the length are always zero: the lists are cleared
	// before they are shortened.
	clear(p.stmts)
	clear(p.strs)
	p.stmts, p.strs = p.stmts[:0], p.strs[:0]
	if cap(p.stmts) > 1024 {
		p.stmts = nil
	}
	if cap(p.strs) > 1024 {
		p.strs = nil
	}
	if cap(p.buf) > 64<<10 {
		p.buf = nil
	}
	parserPool.Put(p)
}

// typeError reports well-formed JSON of the wrong type or shape.
type typeError struct{ msg string }

func (e *typeError) Error() string { return e.msg }

// mismatch consumes the next value, which is not of the kind the caller
// wanted, and returns a typeError quoting it. A syntax error in that value is
// returned instead.
func (p *parser) mismatch(format string, args ...any) error {
	v, err := p.dec.ReadValue()
	if err != nil {
		return err
	}
	return &typeError{fmt.Sprintf(format, args...) + ": " + truncate(v)}
}

// syntaxError describes an error reported by the decoder.
func syntaxError(err error) error {
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("policy document: %w", err)
}

// expectEnd checks that nothing but whitespace follows the top-level value.
func (p *parser) expectEnd() error {
	switch _, err := p.dec.ReadToken(); err {
	case io.EOF:
		return nil
	case nil:
		return fmt.Errorf("policy document: unexpected data after the top-level value at offset %d", p.dec.InputOffset())
	default:
		return syntaxError(err)
	}
}

// unquoteDocument decodes raw, a JSON string, into the document it holds.
func (p *parser) unquoteDocument(raw []byte) ([]byte, error) {
	p.reset(raw)
	v, err := p.dec.ReadValue()
	if err != nil {
		return nil, syntaxError(err)
	}
	if err := p.expectEnd(); err != nil {
		return nil, err
	}
	if bytes.IndexByte(v, '\\') < 0 && utf8.Valid(v) {
		// v aliases raw, which outlives the parse and is not written to.
		return v[1 : len(v)-1], nil
	}
	// The decoder accepted v, so the only possible error is invalid UTF-8,
	// which AppendUnquote has already replaced by U+FFFD.
	inner, _ := jsontext.AppendUnquote(nil, v)
	return inner, nil
}

// plain reports whether the JSON string v (with its quotes), read from the
// current input, holds no escapes and only valid UTF-8, so that its contents
// are the bytes between the quotes.
func (p *parser) plain(v []byte) bool {
	return bytes.IndexByte(v, '\\') < 0 && (p.validUTF8 || utf8.Valid(v))
}

// unquote returns the contents of the JSON string v. The result aliases v or
// p.buf and is only valid until the next call.
func (p *parser) unquote(v []byte) []byte {
	if p.plain(v) {
		return v[1 : len(v)-1]
	}
	// The decoder accepted v, so the only possible error is invalid UTF-8,
	// which AppendUnquote has already replaced by U+FFFD.
	p.buf, _ = jsontext.AppendUnquote(p.buf[:0], v)
	return p.buf
}

// str returns the contents of the JSON string v, which must be the value
// just read, as a string. Common values are returned as constants; other
// strings without escapes are substrings of p.text.
func (p *parser) str(v []byte) string {
	if !p.plain(v) {
		b := p.unquote(v)
		if s, ok := common(b); ok {
			return s
		}
		return string(b)
	}
	b := v[1 : len(v)-1]
	if s, ok := common(b); ok {
		return s
	}
	end := int(p.dec.InputOffset()) - 1 // offset of the closing quote
	return p.text[end-len(b) : end]
}

// common returns b as a constant if it is one of the most frequent values.
func common(b []byte) (string, bool) {
	switch string(b) {
	case "":
		return "", true
	case "*":
		return "*", true
	case "Allow":
		return "Allow", true
	case "Deny":
		return "Deny", true
	case "2012-10-17":
		return "2012-10-17", true
	case "2008-10-17":
		return "2008-10-17", true
	case "AWS":
		return "AWS", true
	case "Service":
		return "Service", true
	case "Federated":
		return "Federated", true
	case "sts:AssumeRole":
		return "sts:AssumeRole", true
	}
	return "", false
}

// field identifies a member of a document or a statement.
type field uint8

const (
	fieldUnknown field = iota
	fieldVersion
	fieldId
	fieldStatement
	fieldSid
	fieldEffect
	fieldPrincipal
	fieldNotPrincipal
	fieldAction
	fieldNotAction
	fieldResource
	fieldNotResource
	fieldCondition
)

var fieldNames = [...]string{
	fieldVersion:      "Version",
	fieldId:           "Id",
	fieldStatement:    "Statement",
	fieldSid:          "Sid",
	fieldEffect:       "Effect",
	fieldPrincipal:    "Principal",
	fieldNotPrincipal: "NotPrincipal",
	fieldAction:       "Action",
	fieldNotAction:    "NotAction",
	fieldResource:     "Resource",
	fieldNotResource:  "NotResource",
	fieldCondition:    "Condition",
}

func (f field) String() string { return fieldNames[f] }

// documentField matches a member name of the document object.
func documentField(name []byte) field {
	switch string(name) {
	case "Version":
		return fieldVersion
	case "Id":
		return fieldId
	case "Statement":
		return fieldStatement
	}
	return foldField(name, fieldVersion, fieldStatement)
}

// statementField matches a member name of a statement object.
func statementField(name []byte) field {
	switch string(name) {
	case "Sid":
		return fieldSid
	case "Effect":
		return fieldEffect
	case "Principal":
		return fieldPrincipal
	case "NotPrincipal":
		return fieldNotPrincipal
	case "Action":
		return fieldAction
	case "NotAction":
		return fieldNotAction
	case "Resource":
		return fieldResource
	case "NotResource":
		return fieldNotResource
	case "Condition":
		return fieldCondition
	}
	return foldField(name, fieldSid, fieldCondition)
}

// foldField matches name case-insensitively against the fields first..last.
// No two field names are equal under case folding, so at most one matches.
func foldField(name []byte, first, last field) field {
	// A character that folds to an ASCII letter takes at most 3 bytes (K,
	// U+212A KELVIN SIGN), so longer names cannot match.
	if len(name) > 3*len("NotPrincipal") {
		return fieldUnknown
	}
	for f := first; f <= last; f++ {
		if strings.EqualFold(string(name), fieldNames[f]) {
			return f
		}
	}
	return fieldUnknown
}

// name reads an object member name and returns its unescaped contents, valid
// until the next call to unquote.
func (p *parser) name() ([]byte, error) {
	v, err := p.dec.ReadValue()
	if err != nil {
		return nil, err
	}
	return p.unquote(v), nil
}

// document reads the policy document in b.
func (p *parser) document(b []byte) (Document, error) {
	p.reset(b)
	p.text, p.validUTF8 = string(b), utf8.Valid(b)
	var doc Document
	// stmtErr is a type error in the Statement member read last: it only
	// counts if no later Statement member replaces it.
	var stmtErr error
	switch p.dec.PeekKind() {
	case 'n':
		if _, err := p.dec.ReadToken(); err != nil {
			return Document{}, syntaxError(err)
		}
	case '{':
		if _, err := p.dec.ReadToken(); err != nil {
			return Document{}, syntaxError(err)
		}
		for p.dec.PeekKind() != '}' {
			name, err := p.name()
			if err != nil {
				return Document{}, syntaxError(err)
			}
			switch f := documentField(name); f {
			case fieldVersion:
				doc.Version, err = p.string(doc.Version, f)
			case fieldId:
				doc.ID, err = p.string(doc.ID, f)
			case fieldStatement:
				doc.Statement, stmtErr = nil, nil
				var stmts []Statement
				if stmts, err = p.statements(); err == nil {
					doc.Statement = stmts
				} else if te := (*typeError)(nil); errors.As(err, &te) {
					stmtErr, err = te, p.skipToDepth(1)
				}
			default:
				err = p.dec.SkipValue()
			}
			if err != nil {
				if te := (*typeError)(nil); errors.As(err, &te) {
					return Document{}, fmt.Errorf("policy document: %w", te)
				}
				return Document{}, syntaxError(err)
			}
		}
		if _, err := p.dec.ReadToken(); err != nil {
			return Document{}, syntaxError(err)
		}
	default:
		err := p.mismatch("expected a JSON object")
		if te := (*typeError)(nil); errors.As(err, &te) {
			return Document{}, fmt.Errorf("policy document: %w", te)
		}
		return Document{}, syntaxError(err)
	}
	if err := p.expectEnd(); err != nil {
		return Document{}, err
	}
	if stmtErr != nil {
		return Document{}, stmtErr
	}
	return doc, nil
}

// skipToDepth reads tokens until the decoder is back at the given nesting
// depth, checking the syntax of what it skips.
func (p *parser) skipToDepth(depth int) error {
	for p.dec.StackDepth() > depth {
		if _, err := p.dec.ReadToken(); err != nil {
			return err
		}
	}
	return nil
}

// string reads a string member. null leaves cur unchanged, as encoding/json
// does for a string field.
func (p *parser) string(cur string, f field) (string, error) {
	switch p.dec.PeekKind() {
	case '"':
		v, err := p.dec.ReadValue()
		if err != nil {
			return cur, err
		}
		return p.str(v), nil
	case 'n':
		_, err := p.dec.ReadToken()
		return cur, err
	default:
		return cur, p.mismatch("%s: expected a string", f)
	}
}

// statements reads the value of a Statement member: null, one statement
// object, or an array of statement objects (a null element gives an empty
// statement, as encoding/json does). Type errors are reported as
// "policy statement N: …".
func (p *parser) statements() ([]Statement, error) {
	switch p.dec.PeekKind() {
	case 'n':
		_, err := p.dec.ReadToken()
		return nil, err
	case '{':
		st, err := p.statement()
		if err != nil {
			return nil, statementError(0, err)
		}
		return []Statement{st}, nil
	case '[':
		if _, err := p.dec.ReadToken(); err != nil {
			return nil, err
		}
		clear(p.stmts)
		p.stmts = p.stmts[:0]
		for i := 0; ; i++ {
			switch p.dec.PeekKind() {
			case ']':
				if _, err := p.dec.ReadToken(); err != nil {
					return nil, err
				}
				if len(p.stmts) == 0 {
					return nil, nil
				}
				out := slices.Clone(p.stmts)
				clear(p.stmts)
				return out, nil
			case 'n':
				if _, err := p.dec.ReadToken(); err != nil {
					return nil, err
				}
				p.stmts = append(p.stmts, Statement{})
			case '{':
				st, err := p.statement()
				if err != nil {
					return nil, statementError(i, err)
				}
				p.stmts = append(p.stmts, st)
			default:
				return nil, statementError(i, p.mismatch("expected an object"))
			}
		}
	default:
		return nil, p.mismatch("policy statements: expected an object or a list of objects")
	}
}

// statementError prefixes a type error with the statement's index.
func statementError(i int, err error) error {
	if te := (*typeError)(nil); errors.As(err, &te) {
		return &typeError{fmt.Sprintf("policy statement %d: %s", i, te.msg)}
	}
	return err
}

// statement reads one statement object.
func (p *parser) statement() (Statement, error) {
	var st Statement
	if _, err := p.dec.ReadToken(); err != nil {
		return st, err
	}
	for p.dec.PeekKind() != '}' {
		name, err := p.name()
		if err != nil {
			return st, err
		}
		switch f := statementField(name); f {
		case fieldSid:
			st.Sid, err = p.string(st.Sid, f)
		case fieldEffect:
			st.Effect, err = p.string(st.Effect, f)
		case fieldPrincipal:
			st.Principal, err = p.principal(st.Principal, f)
		case fieldNotPrincipal:
			st.NotPrincipal, err = p.principal(st.NotPrincipal, f)
		case fieldAction:
			st.Action, err = p.stringList(f, false)
		case fieldNotAction:
			st.NotAction, err = p.stringList(f, false)
		case fieldResource:
			st.Resource, err = p.stringList(f, false)
		case fieldNotResource:
			st.NotResource, err = p.stringList(f, false)
		case fieldCondition:
			var v jsontext.Value
			if v, err = p.dec.ReadValue(); err == nil {
				// Copy: v points into the input.
				st.Condition = json.RawMessage(bytes.Clone(v))
			}
		default:
			err = p.dec.SkipValue()
		}
		if err != nil {
			return st, err
		}
	}
	_, err := p.dec.ReadToken()
	return st, err
}

// stringList reads a string (a one-element list) or an array of strings;
// a null element of the array gives "". A null value gives a nil list, or
// [""] if nullAsEmpty is set (principal values, as encoding/json gave).
// An empty array gives an empty, non-nil list.
func (p *parser) stringList(f field, nullAsEmpty bool) ([]string, error) {
	switch p.dec.PeekKind() {
	case '"':
		v, err := p.dec.ReadValue()
		if err != nil {
			return nil, err
		}
		return []string{p.str(v)}, nil
	case 'n':
		if _, err := p.dec.ReadToken(); err != nil {
			return nil, err
		}
		if nullAsEmpty {
			return []string{""}, nil
		}
		return nil, nil
	case '[':
		if _, err := p.dec.ReadToken(); err != nil {
			return nil, err
		}
		clear(p.strs)
		p.strs = p.strs[:0]
		for {
			switch p.dec.PeekKind() {
			case ']':
				if _, err := p.dec.ReadToken(); err != nil {
					return nil, err
				}
				if len(p.strs) == 0 {
					return []string{}, nil
				}
				out := slices.Clone(p.strs)
				clear(p.strs)
				return out, nil
			case '"':
				v, err := p.dec.ReadValue()
				if err != nil {
					return nil, err
				}
				p.strs = append(p.strs, p.str(v))
			case 'n':
				if _, err := p.dec.ReadToken(); err != nil {
					return nil, err
				}
				p.strs = append(p.strs, "")
			default:
				return nil, p.mismatch("%s: expected a string or a list of strings", f)
			}
		}
	default:
		return nil, p.mismatch("%s: expected a string or a list of strings", f)
	}
}

// principal reads a Principal or NotPrincipal value into cur (allocated if
// nil): "*" sets Wildcard, an object replaces Values, null gives nil.
func (p *parser) principal(cur *Principal, f field) (*Principal, error) {
	switch p.dec.PeekKind() {
	case 'n':
		_, err := p.dec.ReadToken()
		return nil, err
	case '"':
		v, err := p.dec.ReadValue()
		if err != nil {
			return cur, err
		}
		if s := p.unquote(v); string(s) != "*" {
			return cur, &typeError{fmt.Sprintf("%s %q: only \"*\" may be a plain string", f, s)}
		}
		if cur == nil {
			cur = new(Principal)
		}
		cur.Wildcard = true
		return cur, nil
	case '{':
		if _, err := p.dec.ReadToken(); err != nil {
			return cur, err
		}
		values := map[string][]string{}
		for p.dec.PeekKind() != '}' {
			v, err := p.dec.ReadValue()
			if err != nil {
				return cur, err
			}
			typ := p.str(v)
			list, err := p.stringList(f, true)
			if err != nil {
				return cur, err
			}
			values[typ] = list
		}
		if _, err := p.dec.ReadToken(); err != nil {
			return cur, err
		}
		if cur == nil {
			cur = new(Principal)
		}
		cur.Values = values
		return cur, nil
	default:
		return cur, p.mismatch("%s: expected \"*\" or an object", f)
	}
}
