//go:build linux

package pyrun

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestSetPipeSize(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	setPipeSize(w, workerPipeSize)
	got, err := unix.FcntlInt(r.Fd(), unix.F_GETPIPE_SZ, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := workerPipeSize
	if b, err := os.ReadFile("/proc/sys/fs/pipe-max-size"); err == nil {
		if limit, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && limit < want && os.Geteuid() != 0 {
			want = limit // the most an unprivileged process gets
		}
	}
	if got < want {
		t.Fatalf("pipe buffer %d bytes, want %d", got, want)
	}
	setPipeSize(struct{}{}, workerPipeSize) // not a file: nothing happens
}
