//go:build !windows

package basiqtest

import "syscall"

// detached starts the daemon in a session of its own, so it outlives the
// command that started it and its terminal.
func detached() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setsid: true} }
