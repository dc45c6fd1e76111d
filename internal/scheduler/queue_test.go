package scheduler

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"
)

// noExecutors is a backend whose executors are all gone: no slot frees.
type noExecutors struct{}

func (noExecutors) Executors() []ExecutorInfo { return nil }
func (noExecutors) Launch(_ context.Context, _ string, t *Task, done func(Result)) {
	done(Result{Task: t, Err: errors.New("no executor")})
}
func (noExecutors) DefaultParallelism() int { return 2 }

// TestQueuedTasksOfACancelledJobAreReported: with no executor left, the
// queued tasks of a job whose context ends still get their outcome, while
// another job's queued tasks stay queued.
func TestQueuedTasksOfACancelledJobAreReported(t *testing.T) {
	s := NewTaskScheduler(noExecutors{}, 1, slog.New(slog.DiscardHandler))
	ctx, cancel := context.WithCancel(context.Background())
	other, cancelOther := context.WithCancel(context.Background())
	defer cancelOther()
	var mu sync.Mutex
	var got []error
	otherReported := 0
	all := make(chan struct{})
	report := func(r Result) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, r.Err)
		if len(got) == 3 {
			close(all)
		}
	}
	nop := func(*Task, string) {}
	s.Submit(other, []*Task{{ID: 10}, {ID: 11}}, nop, func(Result) {}, func(Result) {
		mu.Lock()
		otherReported++
		mu.Unlock()
	})
	s.Submit(ctx, []*Task{{ID: 1}, {ID: 2}, {ID: 3}}, nop, func(Result) {}, report)
	cancel()
	select {
	case <-all:
	case <-time.After(time.Minute):
		t.Fatal("the cancelled job's queued tasks were not reported")
	}
	mu.Lock()
	defer mu.Unlock()
	for _, err := range got {
		if !errors.Is(err, context.Canceled) {
			t.Errorf("queued task reported %v, want context.Canceled", err)
		}
	}
	if otherReported != 0 {
		t.Errorf("%d tasks of the live job reported, want none", otherReported)
	}
	if pending, _ := s.Load(); pending != 2 {
		t.Errorf("%d tasks pending, want the live job's 2", pending)
	}
}
