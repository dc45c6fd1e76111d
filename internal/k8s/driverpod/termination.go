package driverpod

import (
	"errors"
	"fmt"
	"os"
	"sync"
)

// terminationLog is where Kubernetes reads a container's termination
// message (the default terminationMessagePath): the kubelet shows what
// the driver writes there in the pod's status, so that kubectl describe
// pod, gospark submit and --status say why the driver failed.
const terminationLog = "/dev/termination-log"

// maxTerminationMessage is the most the kubelet keeps of a message.
const maxTerminationMessage = 4096

// fatalReason keeps the first reason the executor pods' manager gave for
// ending the application (executors.Options.OnFatal): executors that
// cannot be had, e.g. pods that no node can take given up at
// spark.executor.maxNumFailures.
type fatalReason struct {
	mu  sync.Mutex
	err error
}

func (f *fatalReason) set(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err == nil {
		f.err = err
	}
}

func (f *fatalReason) get() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.err
}

// writeTermination writes msg as the container's termination message at
// path. The file must exist (the kubelet makes it): outside a pod nothing
// is written, and that is not an error.
func writeTermination(path, msg string) error {
	if len(msg) > maxTerminationMessage {
		msg = msg[:maxTerminationMessage]
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("driverpod: the termination message: %w", err)
	}
	_, werr := f.WriteString(msg)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return fmt.Errorf("driverpod: the termination message: %w", werr)
	}
	return nil
}

// onFatal returns the executors' OnFatal: the reason is kept for the
// termination message, then the application hears it (tell).
func (m *podManager) onFatal(tell func(error)) func(error) {
	return func(err error) {
		m.fatal.set(err)
		if tell != nil {
			tell(err)
		}
	}
}
