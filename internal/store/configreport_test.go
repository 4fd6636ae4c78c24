package store

import (
	"strings"
	"testing"
)

func TestCheckConfigReportPrefix(t *testing.T) {
	for _, ok := range []string{"config-reports", "reports/config", "a.b_c-d"} {
		if err := CheckConfigReportPrefix(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for in, want := range map[string]string{
		"":               "empty",
		"/config":        "no leading",
		"config/":        "no leading or trailing",
		"../config":      "'..'",
		"a//b":           "each folder",
		"2026-12-07":     "may not be a date",
		"2026-12-07/sub": "may not be a date",
		"with space":     "each folder",
	} {
		err := CheckConfigReportPrefix(in)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want it to say %q", in, err, want)
		}
	}
	if k := ConfigReportKey("config-reports", "2026-12-07", "users.csv"); k != "config-reports/2026-12-07/users.csv" {
		t.Errorf("key %s", k)
	}
}
