package execrun

import (
	"bytes"
	"fmt"
	"sync"
)

// DefaultMaxOutput bounds what is kept of each of an item's streams
// (stdout, stderr): 1 MiB, of which the first and the last half.
const DefaultMaxOutput = 1 << 20

// capture keeps the head and the tail of what is written to it, at most
// max bytes in all, and counts every byte. A command that prints without
// end costs a bounded amount of memory; what it printed first (the usual
// place of a banner or the first error) and last (the usual place of the
// result) are both kept.
type capture struct {
	mu    sync.Mutex
	max   int
	head  []byte
	tail  []byte // ring of at most max-len(head) bytes, start at pos
	pos   int
	total int64
}

func newCapture(max int) *capture {
	if max <= 0 {
		max = DefaultMaxOutput
	}
	return &capture{max: max}
}

func (c *capture) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := len(p)
	c.total += int64(n)
	headMax := c.max / 2
	if room := headMax - len(c.head); room > 0 {
		k := min(room, len(p))
		c.head = append(c.head, p[:k]...)
		p = p[k:]
	}
	tailMax := c.max - headMax
	for len(p) > 0 {
		if len(c.tail) < tailMax {
			k := min(tailMax-len(c.tail), len(p))
			c.tail = append(c.tail, p[:k]...)
			p = p[k:]
			continue
		}
		// Keep only the last tailMax bytes of p, then overwrite the ring.
		if len(p) > tailMax {
			p = p[len(p)-tailMax:]
		}
		k := copy(c.tail[c.pos:], p)
		copy(c.tail, p[k:])
		c.pos = (c.pos + len(p)) % tailMax
		p = nil
	}
	return n, nil
}

// Total is every byte written, kept or not.
func (c *capture) Total() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.total
}

// Truncated reports whether bytes were dropped.
func (c *capture) Truncated() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.total > int64(len(c.head)+len(c.tail))
}

// Bytes is the kept output: the head, a line saying how much was left out
// when something was, and the tail.
func (c *capture) Bytes() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	var b bytes.Buffer
	b.Write(c.head)
	kept := int64(len(c.head) + len(c.tail))
	if dropped := c.total - kept; dropped > 0 {
		fmt.Fprintf(&b, "\n[orgiam exec: %d bytes left out: the first %d and the last %d bytes are kept]\n", dropped, len(c.head), len(c.tail))
	}
	b.Write(c.tail[c.pos:])
	b.Write(c.tail[:c.pos])
	return b.Bytes()
}
