package policy

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

func TestConditionValues(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, raw string
		want      []string
		err       string // substring of the error; "" for none
	}{
		{"string", `"o-abc"`, []string{"o-abc"}, ""},
		{"list", `["a", "b*"]`, []string{"a", "b*"}, ""},
		{"empty list", `[]`, []string{}, ""},
		{"number as written", `1.50`, []string{"1.50"}, ""},
		{"numbers in a list", `[3600, 0]`, []string{"3600", "0"}, ""},
		{"bool", `true`, []string{"true"}, ""},
		{"bools in a list", `[false, "true"]`, []string{"false", "true"}, ""},
		{"spaces around", " \n\"x\" ", []string{"x"}, ""},
		{"null", `null`, nil, "got null"},
		{"null in a list", `["a", null]`, nil, "got null"},
		{"object", `{"a": "b"}`, nil, `got {"a": "b"}`},
		{"object in a list", `["a", {"b": 1}]`, nil, `got {"b": 1}`},
		{"list in a list", `[["a"]]`, nil, `got ["a"]`},
		{"not JSON", `[a`, nil, "invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ConditionValues(json.RawMessage(tt.raw))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("ConditionValues(%s) = %q, %v; want an error containing %q", tt.raw, got, err, tt.err)
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Fatalf("ConditionValues(%s) = %q, %v; want %q", tt.raw, got, err, tt.want)
			}
		})
	}
}
