//go:build unix && !linux

package stdio

import (
	"io"
	"os"
)

// raw returns f as it is: raw reads and writes are written for Linux.
func raw(f *os.File) io.ReadWriter { return f }
