//go:build !unix

package stdio

import "io"

// Pollable returns in as it is: outside Unix, stdin is read as the
// runtime reads it.
func Pollable(in io.Reader) io.Reader { return in }

// PollableWriter returns out as it is.
func PollableWriter(out io.Writer) io.Writer { return out }
