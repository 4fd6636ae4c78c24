package policy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// referenceConditions is how conditions were read before ReadCondition:
// encoding/json into maps, each value into an interface. It gives the
// operators, keys and values the reader must give.
func referenceConditions(raw json.RawMessage) ([]string, error) {
	var blocks map[string]json.RawMessage
	if err := json.Unmarshal(raw, &blocks); err != nil {
		return nil, err
	}
	ops := make([]string, 0, len(blocks))
	for op := range blocks {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	var out []string
	for _, op := range ops {
		var keys map[string]json.RawMessage
		if err := json.Unmarshal(blocks[op], &keys); err != nil {
			return nil, err
		}
		names := make([]string, 0, len(keys))
		for k := range keys {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			vals, err := referenceValues(keys[k])
			if err != nil {
				return nil, err
			}
			out = append(out, fmt.Sprintf("%s|%s|%q", op, k, vals))
		}
	}
	return out, nil
}

// referenceValues is ConditionValues as it was, with encoding/json.
func referenceValues(raw json.RawMessage) ([]string, error) {
	raw = bytes.TrimSpace(raw)
	scalar := func(raw json.RawMessage) (string, error) {
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			return "", err
		}
		switch x := v.(type) {
		case string:
			return x, nil
		case bool:
			return strconv.FormatBool(x), nil
		case float64:
			return string(bytes.TrimSpace(raw)), nil
		}
		return "", fmt.Errorf("got %s", bytes.TrimSpace(raw))
	}
	if len(raw) > 0 && raw[0] == '[' {
		var list []json.RawMessage
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, err
		}
		out := make([]string, 0, len(list))
		for _, v := range list {
			s, err := scalar(v)
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		return out, nil
	}
	s, err := scalar(raw)
	if err != nil {
		return nil, err
	}
	return []string{s}, nil
}

// readConditions is ReadCondition's answer in referenceConditions' form,
// or the first problem found in the order the evaluator reports them.
func readConditions(raw json.RawMessage) ([]string, error) {
	ops, err := ReadCondition(raw)
	if err != nil {
		return nil, err
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].Operator < ops[j].Operator })
	var out []string
	for _, op := range ops {
		if op.Err != nil {
			return nil, op.Err
		}
		sort.Slice(op.Keys, func(i, j int) bool { return op.Keys[i].Key < op.Keys[j].Key })
		for _, k := range op.Keys {
			if k.Err != nil {
				return nil, k.Err
			}
			out = append(out, fmt.Sprintf("%s|%s|%q", op.Operator, k.Key, k.Values))
		}
	}
	return out, nil
}

// randomConditionJSON writes a Condition block from a small alphabet, so
// that names repeat: duplicate operators and keys, null, numbers, booleans,
// nested lists and objects, escapes and invalid UTF-8.
func randomConditionJSON(r *rand.Rand, depth int) string {
	names := []string{`"StringEquals"`, `"StringLike"`, `"stringequals"`, `"Bogus"`, `"aws:username"`, `"s3:prefix"`, `"String\u0045quals"`, "\"a\xffb\"", `"aws:SourceIp"`}
	scalars := []string{`"x"`, `"${aws:username}"`, `5`, `-1.5e3`, `1e400`, `true`, `false`, `null`, `"\u00e9"`, "\"bad\xfe\"", `""`}
	pick := func(l []string) string { return l[r.IntN(len(l))] }
	var value func(d int) string
	value = func(d int) string {
		switch n := r.IntN(10); {
		case n < 5 || d == 0:
			return pick(scalars)
		case n < 8:
			var parts []string
			for range r.IntN(4) {
				parts = append(parts, value(d-1))
			}
			return "[" + strings.Join(parts, ", ") + "]"
		default:
			var parts []string
			for range r.IntN(4) {
				parts = append(parts, pick(names)+": "+value(d-1))
			}
			return "{" + strings.Join(parts, ", ") + "}"
		}
	}
	if r.IntN(20) == 0 {
		return value(depth)
	}
	var ops []string
	for range 1 + r.IntN(4) {
		var keys []string
		for range r.IntN(4) {
			keys = append(keys, pick(names)+": "+value(depth))
		}
		block := "{" + strings.Join(keys, ", ") + "}"
		if r.IntN(12) == 0 {
			block = value(depth)
		}
		ops = append(ops, pick(names)+": "+block)
	}
	return "{" + strings.Join(ops, ", ") + "}"
}

func TestReadConditionAsEncodingJSON(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(20261203, 1))
	fixed := []string{`null`, `{}`, `{"StringEquals": null}`, `{"StringEquals": {"k": []}}`, `{"StringEquals": 5, "StringEquals": {"k": "v"}}`,
		`{"StringEquals": {"k": null, "k": "v"}}`, `{"StringEquals": {"k": "v", "k": null}}`, `[]`, `"x"`, `{"A": {"k": [1, [2]]}}`}
	cases := fixed
	for range 5000 {
		cases = append(cases, randomConditionJSON(r, 2))
	}
	errs := 0
	for _, raw := range cases {
		// Each value alone, as ConditionValues reads it.
		var blocks map[string]map[string]json.RawMessage
		if json.Unmarshal([]byte(raw), &blocks) == nil {
			for _, keys := range blocks {
				for _, v := range keys {
					want, werr := referenceValues(v)
					got, gerr := ConditionValues(v)
					if (werr != nil) != (gerr != nil) || !slices.Equal(got, want) {
						t.Fatalf("value %s: %q, %v; encoding/json's %q, %v", v, got, gerr, want, werr)
					}
				}
			}
		}
		want, werr := referenceConditions(json.RawMessage(raw))
		got, gerr := readConditions(json.RawMessage(raw))
		if (werr != nil) != (gerr != nil) {
			t.Fatalf("condition %s: error %v, encoding/json's %v", raw, gerr, werr)
		}
		if werr != nil {
			errs++
			continue
		}
		if !slices.Equal(got, want) {
			t.Fatalf("condition %s:\n got  %q\n want %q", raw, got, want)
		}
	}
	// Both outcomes are exercised.
	if errs == 0 || errs == len(cases) {
		t.Fatalf("%d of %d cases refused: the generator does not exercise both", errs, len(cases))
	}
}
