package execrun

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
)

func TestCaptureKeepsEverythingUnderTheBound(t *testing.T) {
	c := newCapture(1024)
	for _, s := range []string{"first line\n", "", "second line\n"} {
		if n, err := c.Write([]byte(s)); n != len(s) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", s, n, err)
		}
	}
	if got, want := string(c.Bytes()), "first line\nsecond line\n"; got != want {
		t.Errorf("Bytes() = %q, want %q", got, want)
	}
	if c.Truncated() {
		t.Error("Truncated() with less than the bound written")
	}
	if c.Total() != 23 {
		t.Errorf("Total() = %d, want 23", c.Total())
	}
}

// TestCaptureHeadAndTail writes streams of random chunk sizes and compares
// what is kept with the head and tail cut from the whole stream.
func TestCaptureHeadAndTail(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	for _, tc := range []struct{ max, size int }{
		{1024, 1024}, {1024, 1025}, {1024, 5000}, {1025, 70000}, {4096, 4095}, {2048, 1 << 20},
	} {
		t.Run(fmt.Sprintf("max %d size %d", tc.max, tc.size), func(t *testing.T) {
			full := make([]byte, tc.size)
			for i := range full {
				full[i] = byte('a' + rng.IntN(26))
			}
			c := newCapture(tc.max)
			for rest := full; len(rest) > 0; {
				k := min(len(rest), 1+rng.IntN(3*tc.max))
				_, _ = c.Write(rest[:k])
				rest = rest[k:]
			}
			if c.Total() != int64(tc.size) {
				t.Fatalf("Total() = %d, want %d", c.Total(), tc.size)
			}
			head := tc.max / 2
			tail := tc.max - head
			var want []byte
			if tc.size <= tc.max {
				want = full
			} else {
				want = append(want, full[:head]...)
				want = fmt.Appendf(want, "\n[orgiam exec: %d bytes left out: the first %d and the last %d bytes are kept]\n", tc.size-tc.max, head, tail)
				want = append(want, full[tc.size-tail:]...)
			}
			if got := c.Bytes(); !bytes.Equal(got, want) {
				t.Errorf("kept %d bytes, not the head and tail of the stream (want %d bytes)", len(got), len(want))
			}
			if c.Truncated() != (tc.size > tc.max) {
				t.Errorf("Truncated() = %v for %d bytes under a bound of %d", c.Truncated(), tc.size, tc.max)
			}
		})
	}
}

func TestCaptureDefaultBound(t *testing.T) {
	if c := newCapture(0); c.max != DefaultMaxOutput {
		t.Errorf("newCapture(0).max = %d, want %d", c.max, DefaultMaxOutput)
	}
}
