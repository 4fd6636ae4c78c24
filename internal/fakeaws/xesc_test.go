package fakeaws

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// TestXescAsRuneLoop compares xesc, and the builder's el, with escaping one
// rune at a time (each byte that is not UTF-8 read as U+FFFD), on random
// strings of specials, multi-byte runes and invalid bytes.
func TestXescAsRuneLoop(t *testing.T) {
	ref := func(s string) string {
		var b strings.Builder
		for _, r := range s {
			switch r {
			case '<':
				b.WriteString("&lt;")
			case '>':
				b.WriteString("&gt;")
			case '&':
				b.WriteString("&amp;")
			case '"':
				b.WriteString("&quot;")
			case '\'':
				b.WriteString("&apos;")
			case '\r':
				b.WriteString("&#xD;")
			case '\n':
				b.WriteString("&#xA;")
			default:
				b.WriteRune(r)
			}
		}
		return b.String()
	}
	parts := []string{"a", "Z", "<", ">", "&", "\"", "'", "\r", "\n", "é", "日本", "\xff", "\xe6\x97", "%20", " "}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 5000; i++ {
		var b strings.Builder
		for n := rng.IntN(12); n > 0; n-- {
			b.WriteString(parts[rng.IntN(len(parts))])
		}
		s := b.String()
		if got, want := xesc(s), ref(s); got != want {
			t.Fatalf("xesc(%q) = %q, want %q", s, got, want)
		}
		if got, want := new(x).el("N", s).String(), "<N>"+ref(s)+"</N>"; got != want {
			t.Fatalf("el(N, %q) = %q, want %q", s, got, want)
		}
	}
}
