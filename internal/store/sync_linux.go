package store

import (
	"os"

	"golang.org/x/sys/unix"
)

// deferredSync tells whether File can leave vouched files unsynced: one
// syncfs(2) before their voucher makes them durable together.
const deferredSync = true

// syncFS flushes every file of f's filesystem written so far, f included.
func syncFS(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = unix.Syncfs(int(fd)) }); err != nil {
		return err
	}
	return serr
}
