package evaluate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/orgiam/orgiam/internal/iamarn"
	"github.com/orgiam/orgiam/internal/policy"
)

// InputRequest is the JSON request `orgiam simulate --input` reads:
//
//	{"principal": ARN, "action": A, "resource": ARN, "resourceAccount": ID,
//	 "context": {KEY: VALUE or [VALUES]}, "identityPolicies": [DOC…],
//	 "permissionBoundary": DOC|null, "sessionPolicy": DOC|null,
//	 "resourcePolicy": DOC|null, "scps": [[DOC…] per level from the root down],
//	 "rcps": [[DOC…] per level]}
//
// plus two optional fields: "unknownKeys" (condition keys whose value is not
// known: conditions on them give a Conditional answer) and
// "managementAccount" (SCPs do not apply to its principals, RCPs not to its
// resources).
type InputRequest struct {
	Principal          string                     `json:"principal"`
	Action             string                     `json:"action"`
	Resource           string                     `json:"resource"`
	ResourceAccount    string                     `json:"resourceAccount"`
	Context            map[string]json.RawMessage `json:"context"`
	UnknownKeys        []string                   `json:"unknownKeys"`
	ManagementAccount  string                     `json:"managementAccount"`
	IdentityPolicies   []json.RawMessage          `json:"identityPolicies"`
	PermissionBoundary json.RawMessage            `json:"permissionBoundary"`
	SessionPolicy      json.RawMessage            `json:"sessionPolicy"`
	ResourcePolicy     json.RawMessage            `json:"resourcePolicy"`
	SCPs               [][]json.RawMessage        `json:"scps"`
	RCPs               [][]json.RawMessage        `json:"rcps"`
}

// InputError is a mistake in a request document, with where it is.
type InputError struct {
	Where string // "line 3, column 7", "identityPolicies[1]", "context.aws:SourceIp"
	Err   error
}

func (e *InputError) Error() string { return e.Where + ": " + e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

// ParseRequest reads a JSON request. Unknown fields are errors naming the
// field; malformed JSON names the line and column; a malformed policy names
// the field it is in and the statement.
func ParseRequest(data []byte) (*Request, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var in InputRequest
	if err := dec.Decode(&in); err != nil {
		return nil, jsonError(data, err)
	}
	if dec.More() {
		return nil, &InputError{Where: "request", Err: errors.New("more than one JSON value")}
	}
	r := &Request{
		Principal: in.Principal, Action: in.Action, Resource: in.Resource,
		ResourceAccount: in.ResourceAccount, Unknown: in.UnknownKeys,
		ManagementAccount: in.ManagementAccount,
	}
	if r.Principal == "" {
		return nil, &InputError{Where: "principal", Err: errors.New("missing")}
	}
	if _, err := ParsePrincipal(r.Principal); err != nil {
		return nil, &InputError{Where: "principal", Err: err}
	}
	if r.Action == "" || strings.Count(r.Action, ":") != 1 {
		return nil, &InputError{Where: "action", Err: fmt.Errorf("%q: expected service:Action", r.Action)}
	}
	if r.Resource == "" {
		r.Resource = "*"
	}
	if r.Resource != "*" && !strings.HasPrefix(r.Resource, "arn:") {
		return nil, &InputError{Where: "resource", Err: fmt.Errorf("%q is not an ARN (or \"*\")", r.Resource)}
	}
	if r.ResourceAccount != "" && !iamarn.ValidAccount(r.ResourceAccount) {
		return nil, &InputError{Where: "resourceAccount", Err: fmt.Errorf("%q is not a 12-digit account id", r.ResourceAccount)}
	}
	if len(in.Context) > 0 {
		r.Context = make(map[string][]string, len(in.Context))
		for k, raw := range in.Context {
			vals, err := policy.ConditionValues(raw)
			if err != nil {
				return nil, &InputError{Where: "context." + k, Err: err}
			}
			r.Context[k] = vals
		}
	}
	var err error
	for i, raw := range in.IdentityPolicies {
		where := fmt.Sprintf("identityPolicies[%d]", i)
		p, err := compileField(where, raw)
		if err != nil {
			return nil, err
		}
		if p != nil {
			r.IdentityPolicies = append(r.IdentityPolicies, p)
		}
	}
	if r.PermissionBoundary, err = compileField("permissionBoundary", in.PermissionBoundary); err != nil {
		return nil, err
	}
	if r.SessionPolicy, err = compileField("sessionPolicy", in.SessionPolicy); err != nil {
		return nil, err
	}
	if r.ResourcePolicy, err = compileField("resourcePolicy", in.ResourcePolicy); err != nil {
		return nil, err
	}
	if r.SCPs, err = compileLevels("scps", in.SCPs); err != nil {
		return nil, err
	}
	if r.RCPs, err = compileLevels("rcps", in.RCPs); err != nil {
		return nil, err
	}
	return r, nil
}

func compileField(where string, raw json.RawMessage) (*Policy, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, nil
	}
	p, err := Compile(where, raw)
	if err != nil {
		return nil, &InputError{Where: where, Err: err}
	}
	return p, nil
}

func compileLevels(where string, levels [][]json.RawMessage) ([]Level, error) {
	var out []Level
	for i, docs := range levels {
		lvl := Level{}
		for j, raw := range docs {
			p, err := compileField(fmt.Sprintf("%s[%d][%d]", where, i, j), raw)
			if err != nil {
				return nil, err
			}
			if p != nil {
				lvl.Policies = append(lvl.Policies, p)
			}
		}
		out = append(out, lvl)
	}
	return out, nil
}

// jsonError turns a decoding error into one that says where.
func jsonError(data []byte, err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		// Offset is just past the byte that broke the syntax.
		return &InputError{Where: position(data, max(se.Offset-1, 0)), Err: errors.New(se.Error())}
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			field = "request"
		}
		return &InputError{Where: field + " (" + position(data, te.Offset) + ")", Err: fmt.Errorf("expected %s, got %s", te.Type, te.Value)}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		return &InputError{Where: "request", Err: fmt.Errorf("unknown field %q (known: principal, action, resource, resourceAccount, context, unknownKeys, managementAccount, identityPolicies, permissionBoundary, sessionPolicy, resourcePolicy, scps, rcps)", name)}
	}
	return &InputError{Where: "request", Err: err}
}

func position(data []byte, off int64) string {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	line := 1 + bytes.Count(data[:off], []byte("\n"))
	col := off - int64(bytes.LastIndexByte(data[:off], '\n'))
	return fmt.Sprintf("line %d, column %d", line, col)
}
