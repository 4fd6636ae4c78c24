package evaluate

import (
	"slices"
	"strings"
	"testing"
)

// The evaluator reads condition values as policy.ConditionValues does: a
// string, number or boolean, or a list of them; a policy with null or an
// object as a value is refused, naming the statement and the key.
func TestCompileConditionValueKinds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, value string
		want        []string // nil: refused
	}{
		{"list", `["a", "b"]`, []string{"a", "b"}},
		{"number", `3600`, []string{"3600"}},
		{"bool", `true`, []string{"true"}},
		{"null", `null`, nil},
		{"object", `{"a": "b"}`, nil},
		{"null in a list", `["a", null]`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:username":` + tt.value + `}}}]}`
			p, err := Compile("p", []byte(doc))
			if tt.want == nil {
				if err == nil {
					t.Fatalf("value %s: compiled; want a refusal", tt.value)
				}
				if want := "aws:username"; !strings.Contains(err.Error(), want) {
					t.Fatalf("value %s: error %q does not name %s", tt.value, err, want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := p.Statements[0].conds[0].values; !slices.Equal(got, tt.want) {
				t.Fatalf("value %s: compiled values %q, want %q", tt.value, got, tt.want)
			}
		})
	}
}
