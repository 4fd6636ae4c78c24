package policygen

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/orgiam/orgiam/internal/iamdata"
	"github.com/orgiam/orgiam/internal/policy"
)

// LoadRules reads --allow and --deny files ("" skips one). Each is an IAM
// policy document or a plain JSON list of actions (granted or denied on
// "*"). Errors name the file and line.
func LoadRules(cat *iamdata.Catalog, allowFile, denyFile string) (Rules, error) {
	var r Rules
	var err error
	if allowFile != "" {
		if r.Allow, err = loadRuleFile(cat, allowFile, "Allow"); err != nil {
			return Rules{}, err
		}
	}
	if denyFile != "" {
		if r.Deny, err = loadRuleFile(cat, denyFile, "Deny"); err != nil {
			return Rules{}, err
		}
	}
	return r, nil
}

func loadRuleFile(cat *iamdata.Catalog, file, effect string) ([]Statement, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	return ParseRules(cat, file, raw, effect)
}

// ParseRules parses one rules file's content; name is used in errors.
func ParseRules(cat *iamdata.Catalog, name string, raw []byte, effect string) ([]Statement, error) {
	var probe any
	if err := json.Unmarshal(raw, &probe); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return nil, fmt.Errorf("%s line %d: not valid JSON: %v", name, lineOf(raw, se.Offset), err)
		case errors.As(err, &te):
			return nil, fmt.Errorf("%s line %d: %v", name, lineOf(raw, te.Offset), err)
		}
		return nil, fmt.Errorf("%s: not valid JSON: %v", name, err)
	}
	var stmts []Statement
	switch v := probe.(type) {
	case []any:
		var acts []string
		for i, e := range v {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("%s: element %d of the action list is not a string", name, i+1)
			}
			acts = append(acts, s)
		}
		if len(acts) == 0 {
			return nil, nil
		}
		stmts = []Statement{{Sid: "Custom" + effect, Effect: effect, Action: acts, Resource: []string{"*"}}}
	case map[string]any:
		if _, ok := v["Statement"]; !ok {
			return nil, fmt.Errorf("%s line 1: not an IAM policy document (no Statement) nor a JSON list of actions", name)
		}
		doc, err := policy.Parse(raw)
		if err != nil {
			return nil, fmt.Errorf("%s: not an IAM policy document: %v", name, err)
		}
		for i, s := range doc.Statement {
			where := fmt.Sprintf("%s statement %d", name, i+1)
			if s.Sid != "" {
				where += " (" + s.Sid + ")"
			}
			if s.Principal != nil || s.NotPrincipal != nil {
				return nil, fmt.Errorf("%s line %d: Principal is not allowed in an identity policy", where, lineOfString(raw, "Principal"))
			}
			if s.Effect == "" {
				s.Effect = effect
			}
			if !strings.EqualFold(s.Effect, effect) {
				return nil, fmt.Errorf("%s line %d: Effect %q in a file of %s rules", where, lineOfString(raw, s.Effect), s.Effect, strings.ToLower(effect))
			}
			if len(s.Action) == 0 && len(s.NotAction) == 0 {
				return nil, fmt.Errorf("%s: no Action or NotAction", where)
			}
			if len(s.Resource) == 0 && len(s.NotResource) == 0 {
				s.Resource = []string{"*"}
			}
			st := Statement{Sid: s.Sid, Effect: effect, Action: s.Action, NotAction: s.NotAction, Resource: s.Resource, NotResource: s.NotResource}
			if s.HasCondition() {
				st.Condition = json.RawMessage(s.Condition)
			}
			stmts = append(stmts, st)
		}
	default:
		return nil, fmt.Errorf("%s line 1: not an IAM policy document nor a JSON list of actions", name)
	}
	for _, s := range stmts {
		for _, a := range append(append([]string(nil), s.Action...), s.NotAction...) {
			if err := checkAction(cat, a); err != nil {
				return nil, fmt.Errorf("%s line %d: %v", name, lineOfString(raw, a), err)
			}
		}
	}
	return stmts, nil
}

// checkAction accepts "*", a catalogue action, or a pattern matching one.
func checkAction(cat *iamdata.Catalog, a string) error {
	if a == "*" {
		return nil
	}
	if strings.Count(a, ":") != 1 || strings.HasPrefix(a, ":") || strings.HasSuffix(a, ":") {
		return fmt.Errorf("action %q: expected service:Action", a)
	}
	if len(cat.Expand(a, policy.MatchAction)) == 0 {
		return fmt.Errorf("action %q: no such action in the IAM catalogue (%s)", a, cat.Source)
	}
	return nil
}

func lineOf(raw []byte, offset int64) int {
	if offset > int64(len(raw)) {
		offset = int64(len(raw))
	}
	return bytes.Count(raw[:offset], []byte("\n")) + 1
}

// lineOfString returns the line of the first occurrence of "s" in raw.
func lineOfString(raw []byte, s string) int {
	q, _ := json.Marshal(s)
	i := bytes.Index(raw, q)
	if i < 0 {
		return 1
	}
	return lineOf(raw, int64(i))
}
