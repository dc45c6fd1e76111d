package executors

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// unschedulablePod is the pod of executor id as the scheduler leaves it
// when no node can take it.
func unschedulablePod(id, message string) *corev1.Pod {
	p := execPod(id, corev1.PodPending)
	p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse,
		Reason: corev1.PodReasonUnschedulable, Message: message}}
	return p
}

// logLines is a log's output; take returns the lines of a level logged
// since the last call.
type logLines struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logLines) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(b)
}

func (l *logLines) take(level string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for line := range strings.SplitSeq(l.buf.String(), "\n") {
		if strings.Contains(line, "level="+level) {
			out = append(out, line)
		}
	}
	l.buf.Reset()
	return out
}

func TestUnschedulableExecutorPodsAreLoggedAtAnInterval(t *testing.T) {
	var mu sync.Mutex
	m, _, _ := manager(t, 2, 2, 2, map[string]bool{}, &mu)
	lines := &logLines{}
	m.opts.Log = slog.New(slog.NewTextHandler(lines, nil))
	m.opts.Timeout = time.Hour // not reached here
	clk := newClock(m)
	ctx := context.Background()
	round(ctx, m)
	const why = "0/1 nodes are available: 1 Insufficient memory. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod."
	m.store.Update(unschedulablePod("1", why))
	clk.advance(2 * time.Second)
	round(ctx, m)
	if warns := lines.take("WARN"); len(warns) != 0 {
		t.Fatalf("a pod unschedulable for 2s was warned about (the batch is still being placed): %s", strings.Join(warns, "\n"))
	}
	m.store.Update(unschedulablePod("2", why))
	clk.advance(10 * time.Second)
	round(ctx, m)
	warns := lines.take("WARN")
	if len(warns) != 1 {
		t.Fatalf("first round with 2 unschedulable pods logged %d WARN lines, want 1:\n%s", len(warns), strings.Join(warns, "\n"))
	}
	for _, want := range []string{"executor pods cannot be scheduled", "pods=2", "executors=1,2", "waiting=12s",
		`reason="` + why + `"`, "spark.kubernetes.allocation.executor.timeout", "spark.executor.maxNumFailures", "1h0m0s"} {
		if !strings.Contains(warns[0], want) {
			t.Errorf("the WARN line does not say %q: %s", want, warns[0])
		}
	}

	// Not every round: rounds come with every pod change and batch delay.
	for range 5 {
		clk.advance(time.Second)
		round(ctx, m)
	}
	if warns := lines.take("WARN"); len(warns) != 0 {
		t.Fatalf("rounds within the interval logged again: %s", strings.Join(warns, "\n"))
	}
	clk.advance(UnschedulableLogInterval)
	round(ctx, m)
	if warns := lines.take("WARN"); len(warns) != 1 || !strings.Contains(warns[0], "waiting=47s") {
		t.Fatalf("after the interval: %q, want one WARN line saying they waited 47s", warns)
	}

	// A new reason is said at once.
	m.store.Update(unschedulablePod("2", "0/1 nodes are available: 1 Insufficient cpu."))
	clk.advance(time.Second)
	round(ctx, m)
	if warns := lines.take("WARN"); len(warns) != 2 || !strings.Contains(strings.Join(warns, "\n"), "Insufficient cpu") {
		t.Fatalf("after a new reason: %q, want a line per reason at once", warns)
	}

	// Placed: nothing more is said, however long they run.
	see(m, corev1.PodRunning, "1", "2")
	round(ctx, m)
	clk.advance(2 * UnschedulableLogInterval)
	round(ctx, m)
	if warns := lines.take("WARN"); len(warns) != 0 {
		t.Fatalf("once placed: %q, want no WARN line", warns)
	}
}
