//go:build unix

package store

import (
	"io/fs"
	"syscall"
)

// readFile reads the whole file at path with plain system calls: open, fstat,
// read until end of file, close. os.ReadFile takes about twice as many per
// file, because os.File offers every file to the runtime's network poller
// (four fcntl calls and an epoll_ctl that fails for a regular file); an index
// build reads thousands of small files, so that shows.
func readFile(path string) ([]byte, error) {
	var fd int
	var err error
	for {
		fd, err = syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	defer syscall.Close(fd)
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		return nil, &fs.PathError{Op: "stat", Path: path, Err: err}
	}
	size := int(st.Size)
	if size < 512 {
		size = 512
	}
	buf := make([]byte, 0, size+1) // +1: the read that finds the end needs no second buffer
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)] // grow: the file is larger than it was
		}
		n, err := syscall.Read(fd, buf[len(buf):cap(buf)])
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, &fs.PathError{Op: "read", Path: path, Err: err}
		}
		if n == 0 {
			return buf, nil
		}
		buf = buf[:len(buf)+n]
	}
}
