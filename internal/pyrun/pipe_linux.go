//go:build linux

package pyrun

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// setPipeSize asks the kernel for a pipe buffer of n bytes (it caps it at
// /proc/sys/fs/pipe-max-size; a failure leaves the default, 64 KiB). With
// room for several frames, a worker and its executor block on each other,
// and switch, less often.
func setPipeSize(p any, n int) {
	f, ok := p.(interface {
		SyscallConn() (syscall.RawConn, error)
	})
	if !ok {
		return
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return
	}
	_ = rc.Control(func(fd uintptr) { _, _ = unix.FcntlInt(fd, unix.F_SETPIPE_SZ, n) })
}
