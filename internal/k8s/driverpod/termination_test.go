package driverpod

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTerminationMessageIsTheFirstFatalReason(t *testing.T) {
	m := newPodManager(nil, nil)
	var told []error
	fatal := m.onFatal(func(err error) { told = append(told, err) })
	first := errors.New("3 executor failures, more than spark.executor.maxNumFailures=2 allows; the last: executor 3: still pending 15s (spark.kubernetes.allocation.executor.timeout)")
	fatal(first)
	fatal(errors.New("a later one"))
	if len(told) != 2 {
		t.Errorf("the application heard %d fatal errors, want both", len(told))
	}
	path := filepath.Join(t.TempDir(), "termination-log")
	if err := os.WriteFile(path, nil, 0o644); err != nil { // as the kubelet makes it
		t.Fatal(err)
	}
	if err := writeTermination(path, m.fatal.get().Error()); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != first.Error() {
		t.Errorf("termination message %q, want the first fatal reason %q", b, first)
	}
	long := strings.Repeat("x", 2*maxTerminationMessage)
	if err := writeTermination(path, long); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); len(b) != maxTerminationMessage {
		t.Errorf("a long message is %d bytes, want it cut at %d", len(b), maxTerminationMessage)
	}
}

// Outside a pod there is no termination log: nothing is written or made.
func TestTerminationMessageOutsideAPod(t *testing.T) {
	path := filepath.Join(t.TempDir(), "termination-log")
	if err := writeTermination(path, "why"); err != nil {
		t.Fatalf("without the file: %v", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the file was made: %v", err)
	}
}
