//go:build windows

package basiqtest

import "syscall"

// createNewProcessGroup is Windows' CREATE_NEW_PROCESS_GROUP: the daemon
// does not get the console's Ctrl+C meant for the command that started it.
const createNewProcessGroup = 0x00000200

// detached starts the daemon in a process group of its own, so it outlives
// the command that started it.
func detached() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{CreationFlags: createNewProcessGroup}
}
