package policy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
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
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '[' {
		var list []json.RawMessage
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, err
		}
		out := make([]string, 0, len(list))
		for _, v := range list {
			s, err := conditionScalar(v)
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		return out, nil
	}
	s, err := conditionScalar(raw)
	if err != nil {
		return nil, err
	}
	return []string{s}, nil
}

// conditionScalar reads one <condition_value>.
func conditionScalar(raw json.RawMessage) (string, error) {
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
	return "", fmt.Errorf("expected a string, number or boolean, got %s", bytes.TrimSpace(raw))
}
