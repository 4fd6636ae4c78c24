package cli

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"
)

func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

// bar is a progress bar on stderr: accounts done/failed, rate, ETA.
type bar struct {
	w       io.Writer
	mu      sync.Mutex
	total   int
	done    int
	failed  int
	start   time.Time
	stop    chan struct{}
	stopped sync.WaitGroup
}

func newBar(w io.Writer) *bar { return &bar{w: w} }

func (b *bar) Start(total int) {
	b.mu.Lock()
	b.total, b.start = total, time.Now()
	b.stop = make(chan struct{})
	b.mu.Unlock()
	b.stopped.Add(1)
	go func() {
		defer b.stopped.Done()
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-b.stop:
				b.draw()
				fmt.Fprintln(b.w)
				return
			case <-t.C:
				b.draw()
			}
		}
	}()
}

func (b *bar) More(n int) {
	b.mu.Lock()
	b.total += n
	b.mu.Unlock()
}

func (b *bar) AccountDone(id string, failed bool) {
	b.mu.Lock()
	b.done++
	if failed {
		b.failed++
	}
	b.mu.Unlock()
}

func (b *bar) Finish() {
	if b.stop != nil {
		close(b.stop)
		b.stopped.Wait()
	}
}

func (b *bar) draw() {
	b.mu.Lock()
	defer b.mu.Unlock()
	fmt.Fprint(b.w, "\r"+renderBar(b.done, b.failed, b.total, time.Since(b.start)))
}

// renderBar draws one line: [=====>    ] 45/100 accounts, 2 failed, 12.3/min, ETA 4m10s
func renderBar(done, failed, total int, elapsed time.Duration) string {
	const width = 30
	filled := 0
	if total > 0 {
		filled = done * width / total
	}
	barTxt := strings.Repeat("=", filled)
	if filled < width {
		barTxt += ">" + strings.Repeat(" ", width-filled-1)
	}
	rate := 0.0
	if elapsed > 0 {
		rate = float64(done) / elapsed.Minutes()
	}
	eta := "--"
	if done > 0 && done < total {
		left := time.Duration(float64(elapsed) / float64(done) * float64(total-done))
		eta = left.Round(time.Second).String()
	} else if done == total {
		eta = "0s"
	}
	return fmt.Sprintf("[%s] %d/%d accounts, %d failed, %.1f/min, ETA %s   ", barTxt, done, total, failed, rate, eta)
}
