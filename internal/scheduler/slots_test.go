package scheduler

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"
)

// slotBackend is a Versioned backend whose tasks end when the test says so.
type slotBackend struct {
	mu      sync.Mutex
	execs   []ExecutorInfo
	version uint64
	lists   int // calls of Executors
	running map[string]int
	over    []string // executors given more tasks than cores
	pending []func()
	where   map[int64]string
}

func (b *slotBackend) ExecutorsVersion() uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.version
}

func (b *slotBackend) Executors() []ExecutorInfo {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.lists++
	return append([]ExecutorInfo(nil), b.execs...)
}

func (b *slotBackend) DefaultParallelism() int { return 1 }

func (b *slotBackend) Launch(_ context.Context, exec string, t *Task, done func(Result)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.running[exec]++
	b.where[t.ID] = exec
	for _, e := range b.execs {
		if e.ID == exec && b.running[exec] > e.Cores {
			b.over = append(b.over, exec)
		}
	}
	b.pending = append(b.pending, func() {
		b.mu.Lock()
		b.running[exec]--
		b.mu.Unlock()
		done(Result{Task: t})
	})
}

// finishAll ends every running task (and those they start) until none is
// left; it returns how many ended.
func (b *slotBackend) finishAll() int {
	n := 0
	for {
		b.mu.Lock()
		todo := b.pending
		b.pending = nil
		b.mu.Unlock()
		if len(todo) == 0 {
			return n
		}
		for _, f := range todo {
			f()
			n++
		}
	}
}

// setExecs changes the executors offered, as a registration, a loss or a
// decommission does.
func (b *slotBackend) setExecs(execs ...ExecutorInfo) {
	b.mu.Lock()
	b.execs = execs
	b.version++
	b.mu.Unlock()
}

// TestSlotsFollowTheExecutors: tasks never exceed an executor's cores, the
// executors are listed again only when they changed (not per task), an
// executor no longer offered gets no more tasks, and one that registers
// later gets them.
func TestSlotsFollowTheExecutors(t *testing.T) {
	b := &slotBackend{running: map[string]int{}, where: map[int64]string{}}
	b.setExecs(ExecutorInfo{ID: "a", Cores: 2}, ExecutorInfo{ID: "b", Cores: 3})
	s := NewTaskScheduler(b, 1, slog.New(slog.DiscardHandler))
	var mu sync.Mutex
	done := 0
	report := func(r Result) {
		mu.Lock()
		done++
		mu.Unlock()
		if r.Err != nil {
			t.Errorf("task %d: %v", r.Task.ID, r.Err)
		}
	}
	tasks := func(from, n int) []*Task {
		var ts []*Task
		for i := range n {
			ts = append(ts, &Task{ID: int64(from + i)})
		}
		return ts
	}
	ctx := context.Background()
	nop := func(*Task, string) {}
	s.Submit(ctx, tasks(0, 1000), nop, func(Result) {}, report)
	if got := b.finishAll(); got != 1000 {
		t.Fatalf("%d tasks ran, want 1000", got)
	}
	b.mu.Lock()
	lists := b.lists
	b.mu.Unlock()
	if lists > 2 {
		t.Errorf("the executors were listed %d times for 1000 tasks on unchanged executors, want at most 2", lists)
	}

	// "a" leaves (decommissioned), "c" registers.
	b.setExecs(ExecutorInfo{ID: "b", Cores: 3}, ExecutorInfo{ID: "c", Cores: 1})
	s.Revive()
	s.Submit(ctx, tasks(1000, 200), nop, func(Result) {}, report)
	if got := b.finishAll(); got != 200 {
		t.Fatalf("%d tasks ran after the change, want 200", got)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.over) > 0 {
		t.Errorf("executors given more tasks than cores: %v", b.over)
	}
	perExec := map[string]int{}
	for id := int64(1000); id < 1200; id++ {
		perExec[b.where[id]]++
	}
	if perExec["a"] != 0 || perExec["b"] == 0 || perExec["c"] == 0 {
		t.Errorf("tasks after the change per executor %v: want none on a, some on b and c", perExec)
	}
	mu.Lock()
	defer mu.Unlock()
	if done != 1200 {
		t.Errorf("%d tasks reported, want 1200", done)
	}
}

// TestRemovedExecutorGetsNoTask: after ExecutorRemoved, a backend that has
// not changed its version yet is not trusted for that executor.
func TestRemovedExecutorGetsNoTask(t *testing.T) {
	b := &slotBackend{running: map[string]int{}, where: map[int64]string{}}
	b.setExecs(ExecutorInfo{ID: "a", Cores: 1}, ExecutorInfo{ID: "b", Cores: 1})
	s := NewTaskScheduler(b, 1, slog.New(slog.DiscardHandler))
	results := make(chan Result, 10)
	nop := func(*Task, string) {}
	s.Submit(context.Background(), []*Task{{ID: 1}, {ID: 2}}, nop, func(Result) {}, func(r Result) { results <- r })
	s.ExecutorRemoved("a")
	s.Submit(context.Background(), []*Task{{ID: 3}, {ID: 4}}, nop, func(Result) {}, func(r Result) { results <- r })
	b.finishAll()
	deadline := time.After(time.Minute)
	for range 4 {
		select {
		case <-results:
		case <-deadline:
			t.Fatal("tasks not reported")
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.where[3] != "b" || b.where[4] != "b" {
		t.Errorf("tasks 3 and 4 ran on %q and %q, want b (a was removed)", b.where[3], b.where[4])
	}
}
