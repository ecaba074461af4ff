//go:build linux

package stdio

import (
	"io"
	"os"
	"syscall"
	"time"
	"unsafe"
)

// rawFile reads and writes a non-blocking descriptor with raw system
// calls, waiting for it through the runtime's poller when it would block.
// A system call made the ordinary way tells the scheduler it may block,
// which wakes the runtime's monitor thread and resets it to polling every
// 20 µs; on one core that thread took a sixth of a stdio call. Reads and
// writes of a non-blocking pipe never block, so they need not say so.
type rawFile struct {
	f  *os.File
	rc syscall.RawConn
}

// raw returns f read and written with raw system calls (f is pollable).
func raw(f *os.File) io.ReadWriter {
	rc, err := f.SyscallConn()
	if err != nil {
		return f
	}
	return &rawFile{f: f, rc: rc}
}

// SetReadDeadline ends a read waiting through the poller at t.
func (r *rawFile) SetReadDeadline(t time.Time) error { return r.f.SetReadDeadline(t) }

// Close closes the file.
func (r *rawFile) Close() error { return r.f.Close() }

// Read reads what is there, waiting through the poller when nothing is.
func (r *rawFile) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	var n int
	var errno syscall.Errno
	err := r.rc.Read(func(fd uintptr) bool {
		for {
			got, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
			if e == syscall.EINTR {
				continue
			}
			n, errno = int(got), e
			return e != syscall.EAGAIN
		}
	})
	switch {
	case err != nil:
		return 0, err
	case errno != 0:
		return 0, &os.PathError{Op: "read", Path: r.f.Name(), Err: errno}
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}

// Write writes all of p, waiting through the poller when the pipe is full.
func (r *rawFile) Write(p []byte) (int, error) {
	done := 0
	var errno syscall.Errno
	err := r.rc.Write(func(fd uintptr) bool {
		for done < len(p) {
			n, _, e := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(&p[done])), uintptr(len(p)-done))
			switch e {
			case 0:
				done += int(n)
				continue
			case syscall.EINTR:
				continue
			case syscall.EAGAIN:
				return false
			}
			errno = e
			return true
		}
		return true
	})
	switch {
	case err != nil:
		return done, err
	case errno != 0:
		return done, &os.PathError{Op: "write", Path: r.f.Name(), Err: errno}
	}
	return done, nil
}
