package config

import (
	"fmt"
	"sort"
	"strings"

	"github.com/agext/levenshtein"
)

// OtherVariables are the ORGIAM_* variables read outside the field table.
var OtherVariables = []string{
	"ORGIAM_CONFIG", // the config file (also --config)
	// What `orgiam exec` sets for each item's command (ORGIAM_REGION, the
	// item's region, is the region field's own variable): read by nothing,
	// known so that an orgiam run by that command is not refused.
	"ORGIAM_ACCOUNT_ID", "ORGIAM_ACCOUNT_NAME", "ORGIAM_PARAMS",
}

// CheckEnv refuses ORGIAM_* variables that orgiam does not read, as an
// unknown key of the config file is refused: a misspelt variable would
// otherwise be ignored and the run would go ahead with the wrong scope.
// Variables named by a webhook:env:VAR notify target are the user's own.
// environ is os.Environ() in production.
func CheckEnv(environ []string, c *Config) error {
	known := map[string]bool{}
	var names []string
	for _, f := range Fields {
		known[f.EnvName()] = true
		names = append(names, f.EnvName())
		if a := f.EnvAlias(); a != "" {
			known[a] = true
		}
	}
	for _, n := range OtherVariables {
		known[n] = true
		names = append(names, n)
	}
	if c != nil {
		for _, n := range c.Notify {
			if v, ok := strings.CutPrefix(n, "webhook:env:"); ok {
				known[v] = true
			}
		}
	}
	var unknown []string
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "ORGIAM_") && !known[name] {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	sort.Strings(unknown)
	name := unknown[0]
	best, bestD := "", 4
	for _, n := range names {
		if d := levenshtein.Distance(name, n, nil); d < bestD {
			best, bestD = n, d
		}
	}
	hint := " (see `orgiam init` for every setting)"
	if best != "" {
		hint = fmt.Sprintf(" (did you mean %s?)", best)
	}
	return &Error{Source: name, Msg: "unknown variable: orgiam reads no such setting" + hint}
}
