package deploy

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/orgiam/orgiam/internal/cron"
)

// TestScheduleExpressionsParse reads every schedule expression the module
// and its examples set — the default of each *schedule_expression variable,
// each *schedule_expression argument of a module call — with the parser
// `orgiam schedule` uses, so one syntax holds on both sides and a default
// EventBridge would refuse fails here with the reason.
func TestScheduleExpressionsParse(t *testing.T) {
	dirs, err := filepath.Glob("terraform/examples/*")
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	check := func(where, expr string) {
		found++
		if expr == "" { // no schedule
			return
		}
		s, err := cron.Parse(expr)
		if err != nil {
			t.Errorf("%s: %v", where, err)
			return
		}
		if s.Next(time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC)).IsZero() {
			t.Errorf("%s: %q never fires", where, expr)
		}
	}
	for _, dir := range append([]string{"terraform/orgiam"}, dirs...) {
		m, err := loadModule(dir)
		if err != nil {
			t.Fatal(err)
		}
		for name, b := range m.variables {
			if !strings.HasSuffix(name, "schedule_expression") {
				continue
			}
			if a, ok := b.Body.Attributes["default"]; ok {
				if v, ok := literal(a); ok {
					check(a.SrcRange.String(), v)
				}
			}
		}
		for _, b := range m.modules {
			for name, a := range b.Body.Attributes {
				if v, ok := literal(a); ok && strings.HasSuffix(name, "schedule_expression") {
					check(a.SrcRange.String(), v)
				}
			}
		}
	}
	if found == 0 {
		t.Fatal("no schedule expression found in the module or its examples")
	}
}

// literal is a string attribute's value when it is a plain literal.
func literal(a *hclsyntax.Attribute) (string, bool) {
	v, diags := a.Expr.Value(nil)
	if diags.HasErrors() || v.Type() != cty.String || !v.IsKnown() || v.IsNull() {
		return "", false
	}
	return v.AsString(), true
}
