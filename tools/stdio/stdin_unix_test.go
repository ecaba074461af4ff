//go:build unix

package stdio

import (
	"io"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPollableStdin: a blocking pipe, as a client hands the server its
// stdin, comes back readable through the poller (a read deadline works,
// which only a pollable file allows), and still reads what was written.
func TestPollableStdin(t *testing.T) {
	var fds [2]int
	require.NoError(t, syscall.Pipe(fds[:]))
	r, w := os.NewFile(uintptr(fds[0]), "stdin"), os.NewFile(uintptr(fds[1]), "client")
	defer w.Close()
	assert.ErrorIs(t, r.SetReadDeadline(time.Now().Add(time.Second)), os.ErrNoDeadline, "a blocking pipe is not pollable")

	in, ok := Pollable(r).(interface {
		io.ReadCloser
		SetReadDeadline(time.Time) error
	})
	require.True(t, ok)
	defer in.Close()
	assert.NoError(t, in.SetReadDeadline(time.Now().Add(5*time.Second)), "read through the poller")
	_, err := w.Write([]byte("{}\n"))
	require.NoError(t, err)
	buf := make([]byte, 8)
	n, err := in.Read(buf)
	require.NoError(t, err)
	assert.Equal(t, "{}\n", string(buf[:n]))

	require.NoError(t, in.Close())
	_, err = r.Stat()
	assert.NoError(t, err, "the pollable copy has a descriptor of its own: closing it leaves stdin's, which a second close would have hit once reused")

	file, err := os.CreateTemp(t.TempDir(), "stdin")
	require.NoError(t, err)
	defer file.Close()
	assert.Same(t, file, Pollable(file), "a regular file is left as it is")
}
