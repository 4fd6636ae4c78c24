package execrun

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestResolveCommand(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "run.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	plain := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(plain, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}

	got, err := ResolveCommand([]string{"sh", "-c", "true"})
	if err != nil || !filepath.IsAbs(got[0]) || filepath.Base(got[0]) != "sh" || strings.Join(got[1:], " ") != "-c true" {
		t.Errorf("ResolveCommand(sh -c true) = %q, %v: want an absolute sh and the same arguments", got, err)
	}
	got, err = ResolveCommand([]string{script, "a"})
	if err != nil || got[0] != script {
		t.Errorf("ResolveCommand(%s) = %q, %v", script, got, err)
	}
	t.Chdir(dir)
	got, err = ResolveCommand([]string{"./run.sh"})
	if err != nil || got[0] != script {
		t.Errorf("ResolveCommand(./run.sh) = %q, %v: want %s", got, err, script)
	}

	for _, tc := range []struct {
		argv []string
		want string
	}{
		{nil, "no command"},
		{[]string{""}, "no command"},
		{[]string{"orgiam-no-such-command-x"}, `command "orgiam-no-such-command-x" not found on PATH`},
		{[]string{"./missing.sh"}, `command "./missing.sh": no such file or directory`},
		{[]string{"./notes.txt"}, `command "./notes.txt": permission denied`},
		{[]string{dir}, "is a directory"},
	} {
		_, err := ResolveCommand(tc.argv)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ResolveCommand(%q) = %v, want an error with %q", tc.argv, err, tc.want)
		}
	}
}

func TestReadParams(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	got, err := ReadParams(write("ok.json", "{\n  \"ticket\": \"CHG-1\",\n  \"dry_run\": true\n}\n"))
	if err != nil || string(got) != `{"dry_run":true,"ticket":"CHG-1"}` {
		t.Errorf("ReadParams = %s, %v: want the compact JSON", got, err)
	}
	for _, tc := range []struct{ file, want string }{
		{filepath.Join(dir, "missing.json"), "cannot read " + filepath.Join(dir, "missing.json") + ": no such file or directory"},
		{dir, "cannot read " + dir + ": is a directory"},
		{write("bad.json", "{ticket: 1}"), "bad.json is not JSON: invalid character 't'"},
		{write("empty.json", ""), "empty.json is not JSON: EOF"},
		{write("two.json", `{"a":1} {"b":2}`), "two.json holds more than one JSON value"},
	} {
		_, err := ReadParams(tc.file)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ReadParams(%s) = %v, want an error with %q", tc.file, err, tc.want)
		}
	}
}

func TestParseRole(t *testing.T) {
	for _, tc := range []struct{ in, name, path string }{
		{"orgiam-exec-readonly", "orgiam-exec-readonly", "/"},
		{"/ops/orgiam-exec-admin", "orgiam-exec-admin", "/ops/"},
		{"ops/team/admin", "admin", "/ops/team/"},
		{"a+b=c,d.e@f_g-h", "a+b=c,d.e@f_g-h", "/"},
	} {
		name, p, err := ParseRole(tc.in)
		if err != nil || name != tc.name || p != tc.path {
			t.Errorf("ParseRole(%q) = %q, %q, %v; want %q, %q", tc.in, name, p, err, tc.name, tc.path)
		}
	}
	for _, in := range []string{"", "/ops/", "has space", strings.Repeat("r", 65)} {
		if _, _, err := ParseRole(in); err == nil || !strings.Contains(err.Error(), "is not a role name") {
			t.Errorf("ParseRole(%q) = %v, want a refusal", in, err)
		}
	}
}

func TestParseRoleRefusesAnARN(t *testing.T) {
	_, _, err := ParseRole("arn:aws:iam::111111111111:role/orgiam-exec-admin")
	if err == nil || !strings.Contains(err.Error(), "is an ARN: give the role's name") {
		t.Errorf("ParseRole(ARN) = %v, want a refusal naming the fix", err)
	}
}
