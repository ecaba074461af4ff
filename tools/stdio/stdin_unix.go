//go:build unix

package stdio

import (
	"io"
	"os"
	"syscall"
)

// Pollable returns stdin read through Go's network poller when it is a
// pipe or socket (how an MCP client runs the server): a blocking read
// parks an OS thread on every message and hands the goroutine off, which
// cost about a third of sequential stdio throughput. A terminal or file,
// or anything else, is returned as it is.
func Pollable(in io.Reader) io.Reader {
	f, ok := in.(*os.File)
	if !ok {
		return in
	}
	st, err := f.Stat()
	if err != nil || st.Mode()&(os.ModeNamedPipe|os.ModeSocket) == 0 {
		return in
	}
	fd := int(f.Fd())
	if err := syscall.SetNonblock(fd, true); err != nil {
		return in
	}
	return os.NewFile(uintptr(fd), f.Name())
}
