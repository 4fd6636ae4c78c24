//go:build !linux

package store

import "os"

// deferredSync is false where there is no syncfs(2): every file is synced
// on its own.
const deferredSync = false

func syncFS(f *os.File) error { return f.Sync() }
