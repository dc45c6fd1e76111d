// Command pause is the process of gospark's pod sandbox image
// (`gospark image build --pause`): the first container of every pod, which
// holds the pod's namespaces while the other containers come and go. It
// does nothing but wait: it reaps the children that are handed to it as
// PID 1 of a shared process namespace, and exits 0 on SIGTERM or SIGINT.
// It takes no arguments, is a static binary (CGO_ENABLED=0) and needs no
// other file.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGCHLD)
	reap() // children that ended before Notify
	for sig := range sigs {
		if sig != syscall.SIGCHLD {
			os.Stderr.WriteString("pause: shutting down (" + sig.String() + ")\n")
			os.Exit(0)
		}
		reap()
	}
}

// reap collects every child that has ended. Signals coalesce, so one
// SIGCHLD may stand for several children.
func reap() {
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if err == syscall.EINTR {
			continue
		}
		if err != nil || pid <= 0 {
			return
		}
	}
}
