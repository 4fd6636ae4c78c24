package evaluate

import (
	"strings"
	"unicode/utf8"
)

// lit marks the next rune of a compiled pattern as a literal character: it is
// how the policy-variable escapes ${*} and ${?}, and substituted variable
// values, keep '*' and '?' from acting as wildcards. U+E000 is a private-use
// code point that does not occur in ARNs, actions or condition values.
const lit = '\uE000'

const litStr = "\uE000"

// glob reports whether value matches an IAM wildcard pattern: '*' matches any
// run of characters (including none), '?' exactly one character — one rune,
// not one byte, so "?" matches "é" — and lit+c the character c. With fold,
// letters compare case-insensitively (actions; the IgnoreCase operators do
// their own folding before calling).
//
// The algorithm is the iterative one with a single backtrack point: on a
// mismatch after a '*', the star absorbs one more character and matching
// resumes. That is linear in practice and never exponential.
func glob(pattern, value string, fold bool) bool {
	p, v := 0, 0
	star, mark := -1, 0
	for v < len(value) {
		if p < len(pattern) {
			pc, pw := rune(pattern[p]), 1
			if pc >= utf8.RuneSelf {
				pc, pw = utf8.DecodeRuneInString(pattern[p:])
			}
			vc, vw := rune(value[v]), 1
			if vc >= utf8.RuneSelf {
				vc, vw = utf8.DecodeRuneInString(value[v:])
			}
			switch pc {
			case '*':
				star, mark = p+pw, v
				p += pw
				continue
			case '?':
				p += pw
				v += vw
				continue
			case lit:
				lc, lw := utf8.DecodeRuneInString(pattern[p+pw:])
				if lc == vc || (fold && equalFoldRune(lc, vc)) {
					p += pw + lw
					v += vw
					continue
				}
			default:
				if pc == vc || (fold && equalFoldRune(pc, vc)) {
					p += pw
					v += vw
					continue
				}
			}
		}
		if star < 0 {
			return false
		}
		// Let the last star absorb one more character of value.
		_, w := utf8.DecodeRuneInString(value[mark:])
		mark += w
		p, v = star, mark
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

func equalFoldRune(a, b rune) bool {
	if a < utf8.RuneSelf && b < utf8.RuneSelf {
		if 'A' <= a && a <= 'Z' {
			a += 'a' - 'A'
		}
		if 'A' <= b && b <= 'Z' {
			b += 'a' - 'A'
		}
		return a == b
	}
	return strings.EqualFold(string(a), string(b))
}

// hasWildcard reports whether a compiled pattern has an unescaped '*' or '?'.
func hasWildcard(p string) bool {
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '*', '?':
			if i < len(litStr) || p[i-len(litStr):i] != litStr {
				return true
			}
		}
	}
	return false
}

// unescape turns a compiled pattern back into plain text (for equality
// operators, where '*' and '?' are ordinary characters anyway).
func unescape(p string) string {
	if !strings.Contains(p, litStr) {
		return p
	}
	return strings.ReplaceAll(p, litStr, "")
}

// escapeLiteral makes every '*' and '?' of s literal.
func escapeLiteral(s string) string {
	if !strings.ContainsAny(s, "*?") {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if r == '*' || r == '?' {
			b.WriteRune(lit)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// matchARNPattern matches a Resource or NotResource pattern against a
// resource ARN segment by segment: AWS matches each colon-separated part of
// the ARN on its own, so a wildcard does not run across a ':' — except in
// the last segment the pattern has, which takes the rest of the ARN
// ("arn:aws:s3:::*" and "arn:aws:*" match every S3 ARN, "arn:aws:sqs:*:q"
// does not match "arn:aws:sqs:us-east-1:111122223333:q").
func matchARNPattern(pattern, value string) bool {
	if pattern == "*" {
		return true
	}
	n := strings.Count(pattern, ":") + 1
	if n > 6 {
		n = 6
	}
	if n == 1 {
		return glob(pattern, value, false)
	}
	for i := 0; i < n-1; i++ {
		pi := strings.IndexByte(pattern, ':')
		vi := strings.IndexByte(value, ':')
		if vi < 0 {
			return false
		}
		if !glob(pattern[:pi], value[:vi], false) {
			return false
		}
		pattern, value = pattern[pi+1:], value[vi+1:]
	}
	return glob(pattern, value, false)
}

// matchARNCondition is the Arn* condition operators' comparison: both sides
// must have the six colon-separated parts of an ARN, and each part is matched
// on its own (ArnEquals and ArnLike behave the same, as AWS documents).
func matchARNCondition(pattern, value string) bool {
	if strings.Count(pattern, ":") < 5 || strings.Count(value, ":") < 5 {
		return false
	}
	for i := 0; i < 5; i++ {
		pi := strings.IndexByte(pattern, ':')
		vi := strings.IndexByte(value, ':')
		if !glob(pattern[:pi], value[:vi], false) {
			return false
		}
		pattern, value = pattern[pi+1:], value[vi+1:]
	}
	return glob(pattern, value, false)
}
