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
// cost about a third of sequential stdio throughput. On Linux it is then
// read with raw system calls (rawFile). A terminal or file, or anything
// else, is returned as it is.
func Pollable(in io.Reader) io.Reader {
	if f := pollable(in); f != nil {
		return raw(f)
	}
	return in
}

// PollableWriter is Pollable for stdout: a pipe is written through the
// poller, on Linux with raw system calls.
func PollableWriter(out io.Writer) io.Writer {
	if f := pollable(out); f != nil {
		return raw(f)
	}
	return out
}

// pollable returns a copy of x's descriptor, made non-blocking (x's too:
// the flag belongs to the pipe's open file), as a file the poller serves;
// nil when x is not a pipe or socket.
func pollable(x any) *os.File {
	f, ok := x.(*os.File)
	if !ok {
		return nil
	}
	st, err := f.Stat()
	if err != nil || st.Mode()&(os.ModeNamedPipe|os.ModeSocket) == 0 {
		return nil
	}
	// A descriptor of its own: a second *os.File on x's would close it
	// again when x is collected, by then perhaps another file's number.
	fd, err := syscall.Dup(int(f.Fd()))
	if err != nil {
		return nil
	}
	if err := syscall.SetNonblock(fd, true); err != nil {
		syscall.Close(fd)
		return nil
	}
	return os.NewFile(uintptr(fd), f.Name())
}
