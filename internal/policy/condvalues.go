package policy

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/go-json-experiment/json/jsontext"
)

// ConditionValues reads the value of one condition key ({"Op": {"key":
// VALUE}}) as the texts the condition operators compare. The rule is IAM's
// policy grammar (IAM User Guide, "Grammar of the IAM JSON policy
// language"):
//
//	<condition_value_list> = [<condition_value>, <condition_value>, ...]
//	<condition_value> = ("string" | "number" | "Boolean")
//
// with the brackets optional around a single value. So a value is a string,
// a number or a boolean, or a list of them: a string is its text, a number
// its text as written (1.50 stays "1.50", for the numeric operators to
// parse), a boolean "true" or "false"; an empty list is no values. null,
// an object, and a list inside the list are not values: they are refused
// with an error naming the value, and each caller says what a refused
// condition means to it (the evaluator and exposure refuse the policy, diff
// reports the document as no longer comparable, the trust checks see no
// narrowing value).
func ConditionValues(raw json.RawMessage) ([]string, error) {
	d := conditionDecoder(raw)
	defer parserPool.Put(d.p)
	vals, bad, err := readConditionValues(d.Decoder)
	if err == nil {
		err = atEnd(d.Decoder)
	}
	if err != nil {
		return nil, err
	}
	return vals, bad
}

// ConditionOperator is one operator of a Condition block as written, with
// its keys in the order written; Err is what is wrong with its value (it
// is not an object of keys).
type ConditionOperator struct {
	Operator string
	Keys     []ConditionKey
	Err      error
}

// ConditionKey is one key of an operator and its values (ConditionValues);
// Err is what is wrong with them.
type ConditionKey struct {
	Key    string
	Values []string
	Err    error
}

// ReadCondition reads a statement's Condition, {"Operator": {"key": VALUE}},
// in one pass over its JSON tokens, accepting what encoding/json accepted
// decoding it into maps (it was read so before, at about five times the
// cost): a name given twice keeps its last value, and what was wrong with
// an earlier one does not count; null for the block or for an operator's
// keys is none; invalid UTF-8 becomes U+FFFD. The error is one of the
// whole block (not an object); a problem of one operator or key is kept
// on it, for the caller to report or not.
func ReadCondition(raw json.RawMessage) ([]ConditionOperator, error) {
	d := conditionDecoder(raw)
	defer parserPool.Put(d.p)
	top := func(err error) ([]ConditionOperator, error) {
		return nil, fmt.Errorf("expected an object of operators: %v", err)
	}
	switch d.PeekKind() {
	case 'n':
		if _, err := d.ReadToken(); err != nil {
			return top(err)
		}
		return nil, atEnd(d.Decoder)
	case '{':
	default:
		v, err := d.ReadValue()
		if err != nil {
			return top(err)
		}
		return top(fmt.Errorf("got %s", v))
	}
	if _, err := d.ReadToken(); err != nil {
		return top(err)
	}
	var ops []ConditionOperator
	for d.PeekKind() != '}' {
		name, err := d.ReadToken()
		if err != nil {
			return top(err)
		}
		op := ConditionOperator{Operator: name.String()}
		if op.Keys, op.Err, err = readConditionKeys(d.Decoder); err != nil {
			return top(err)
		}
		ops = replaceOrAppend(ops, op, func(o ConditionOperator) bool { return o.Operator == op.Operator })
	}
	if _, err := d.ReadToken(); err != nil {
		return top(err)
	}
	if err := atEnd(d.Decoder); err != nil {
		return top(err)
	}
	return ops, nil
}

// pooledDecoder is a decoder of Parse's pool, pointed at one Condition or
// value; it goes back with parserPool.Put(d.p).
type pooledDecoder struct {
	*jsontext.Decoder
	p *parser
}

func conditionDecoder(raw []byte) pooledDecoder {
	p := parserPool.Get().(*parser)
	p.reset(raw)
	return pooledDecoder{&p.dec, p}
}

// atEnd checks that nothing follows the value read.
func atEnd(d *jsontext.Decoder) error {
	if _, err := d.ReadToken(); !errors.Is(err, io.EOF) {
		if err == nil {
			err = errors.New("more than one JSON value")
		}
		return err
	}
	return nil
}

// readConditionKeys reads one operator's {"key": values}: its keys, what is
// wrong with the value (bad: it is not an object), or an error of the JSON.
func readConditionKeys(d *jsontext.Decoder) (keys []ConditionKey, bad, err error) {
	switch d.PeekKind() {
	case 'n':
		_, err = d.ReadToken()
		return nil, nil, err
	case '{':
	default:
		v, err := d.ReadValue()
		if err != nil {
			return nil, nil, err
		}
		return nil, fmt.Errorf("got %s", v), nil
	}
	if _, err := d.ReadToken(); err != nil {
		return nil, nil, err
	}
	for d.PeekKind() != '}' {
		name, err := d.ReadToken()
		if err != nil {
			return nil, nil, err
		}
		k := ConditionKey{Key: name.String()}
		if k.Values, k.Err, err = readConditionValues(d); err != nil {
			return nil, nil, err
		}
		keys = replaceOrAppend(keys, k, func(o ConditionKey) bool { return o.Key == k.Key })
	}
	_, err = d.ReadToken()
	return keys, nil, err
}

// readConditionValues reads one key's value or list of values: the values,
// what is wrong with them (bad), or an error of the JSON.
func readConditionValues(d *jsontext.Decoder) (vals []string, bad, err error) {
	if d.PeekKind() != '[' {
		v, err := d.ReadValue()
		if err != nil {
			return nil, nil, err
		}
		s, err := conditionScalar(v)
		if err != nil {
			return nil, err, nil
		}
		return []string{s}, nil, nil
	}
	if _, err := d.ReadToken(); err != nil {
		return nil, nil, err
	}
	vals = []string{}
	for d.PeekKind() != ']' {
		v, err := d.ReadValue()
		if err != nil {
			return nil, nil, err
		}
		s, err := conditionScalar(v)
		if err != nil && bad == nil {
			bad = err
		}
		vals = append(vals, s)
	}
	if _, err := d.ReadToken(); err != nil {
		return nil, nil, err
	}
	if bad != nil {
		return nil, bad, nil
	}
	return vals, nil, nil
}

// conditionScalar reads one <condition_value>.
func conditionScalar(v jsontext.Value) (string, error) {
	switch v.Kind() {
	case '"':
		// Invalid UTF-8 is replaced by U+FFFD, as encoding/json did; the
		// error that says so is not one here.
		s, _ := jsontext.AppendUnquote(nil, v)
		return string(s), nil
	case 't':
		return "true", nil
	case 'f':
		return "false", nil
	case '0':
		// encoding/json refused a number a float64 cannot hold.
		if _, err := strconv.ParseFloat(string(v), 64); err != nil {
			return "", fmt.Errorf("number %s is out of range", v)
		}
		return string(v), nil
	}
	return "", fmt.Errorf("expected a string, number or boolean, got %s", v)
}

// replaceOrAppend replaces the element of list that same picks by v (the
// last one given wins), or appends v.
func replaceOrAppend[T any](list []T, v T, same func(T) bool) []T {
	for i := range list {
		if same(list[i]) {
			list[i] = v
			return list
		}
	}
	return append(list, v)
}
