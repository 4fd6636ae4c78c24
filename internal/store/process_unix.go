//go:build unix

package store

import (
	"errors"
	"syscall"
)

// processGone probes pid with signal 0: ESRCH means no such process. EPERM
// (a process of another user) counts as alive.
func processGone(pid int) bool {
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}
