package policy

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// globRegexp is an independent reading of IAM wildcards: the standard
// library's regexp engine with '*' as ".*" and '?' as "." (one character).
func globRegexp(pattern string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString(`(?s)^`)
	for _, r := range pattern {
		switch r {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

func FuzzMatch(f *testing.F) {
	for _, s := range [][2]string{{"s3:Get*", "s3:GetObject"}, {"arn:aws:s3:::caf?", "arn:aws:s3:::café"}, {"a*b?c", "axxbyc"}, {"**?", ""}, {"日?", "日本"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, value string) {
		if !utf8.ValidString(pattern) || !utf8.ValidString(value) || len(pattern) > 64 || len(value) > 128 {
			return
		}
		if got, want := Match(pattern, value, false), globRegexp(pattern).MatchString(value); got != want {
			t.Fatalf("Match(%q, %q) = %v, regexp says %v", pattern, value, got, want)
		}
	})
}
