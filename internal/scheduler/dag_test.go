package scheduler

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/gospark/gospark/internal/shuffle"
	"github.com/gospark/gospark/internal/task"
)

// fakeNode is a dataset of the scheduler's view only.
type fakeNode struct {
	id    int64
	parts int
	deps  []Dep
}

func (n *fakeNode) ID() int64          { return n.id }
func (n *fakeNode) Name() string       { return "fake" }
func (n *fakeNode) NumPartitions() int { return n.parts }
func (n *fakeNode) Deps() []Dep        { return n.deps }
func (n *fakeNode) Cached(int) bool    { return false }

// goBackend runs tasks on goroutines with a fixed number of slots.
type goBackend struct {
	slots int
	wg    sync.WaitGroup
}

func (b *goBackend) Executors() []ExecutorInfo { return []ExecutorInfo{{ID: "e1", Cores: b.slots}} }
func (b *goBackend) DefaultParallelism() int   { return b.slots }
func (b *goBackend) Launch(ctx context.Context, exec string, t *Task, done func(Result)) {
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		v, err := t.Run(ctx, &task.Context{Partition: t.Partition, Attempt: t.Attempt})
		done(Result{Task: t, Value: v, Err: err})
	}()
}

func newDAG(maxFailures, maxStageAttempts int) (*DAGScheduler, *goBackend) {
	b := &goBackend{slots: 2}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ts := NewTaskScheduler(b, maxFailures, log)
	return NewDAGScheduler(ts, NewMapOutputTracker(), Options{MaxStageAttempts: maxStageAttempts, Log: log}), b
}

// twoStages is a map stage of 3 partitions feeding a result stage of 2.
func twoStages(mapRuns *atomic.Int64) (*fakeNode, *ShuffleDep) {
	parent := &fakeNode{id: 1, parts: 3}
	dep := &ShuffleDep{ID: 7, NumReduce: 2, Map: func(_ context.Context, tc *task.Context) (any, error) {
		mapRuns.Add(1)
		return &shuffle.MapStatus{ShuffleID: 7, MapIndex: tc.Partition, Sizes: make([]int64, 2)}, nil
	}}
	return &fakeNode{id: 2, parts: 2, deps: []Dep{{Parent: parent, Shuffle: dep}}}, dep
}

func TestStageFailsAfterConsecutiveFetchFailures(t *testing.T) {
	d, b := newDAG(4, 3)
	var mapRuns atomic.Int64
	final, _ := twoStages(&mapRuns)
	var resultRuns atomic.Int64
	err := d.RunJob(context.Background(), final, []int{0, 1}, func(context.Context, *task.Context) (any, error) {
		resultRuns.Add(1)
		return nil, &shuffle.FetchFailedError{ShuffleID: 7, MapIndex: 1, ExecutorID: "e1", Err: errors.New("gone")}
	}, nil, func(int, any) error { return nil })
	b.wg.Wait()
	var sf *StageFailedError
	if !errors.As(err, &sf) || sf.Attempts != 3 {
		t.Fatalf("RunJob: %v, want a StageFailedError after 3 attempts", err)
	}
	var ff *shuffle.FetchFailedError
	if !errors.As(err, &ff) {
		t.Fatalf("the job's error does not carry the fetch failure: %v", err)
	}
	// Every attempt re-ran the lost map outputs (all of e1's: 3) before
	// the result stage tried again.
	if got := mapRuns.Load(); got != 3*3 {
		t.Fatalf("map tasks ran %d times, want 9 (3 partitions x 3 attempts)", got)
	}
}

func TestFetchFailureIsNotATaskRetry(t *testing.T) {
	d, b := newDAG(1, 4) // a single task failure would end the job
	var mapRuns atomic.Int64
	final, _ := twoStages(&mapRuns)
	var failed atomic.Bool
	got := map[int]any{}
	err := d.RunJob(context.Background(), final, []int{0, 1}, func(_ context.Context, tc *task.Context) (any, error) {
		if tc.Partition == 1 && failed.CompareAndSwap(false, true) {
			return nil, &shuffle.FetchFailedError{ShuffleID: 7, MapIndex: 0, ExecutorID: "e1", Err: errors.New("gone")}
		}
		return tc.Partition * 10, nil
	}, nil, func(p int, v any) error { got[p] = v; return nil })
	b.wg.Wait()
	if err != nil {
		t.Fatalf("a fetch failure followed by success: %v", err)
	}
	if got[0] != 0 || got[1] != 10 {
		t.Fatalf("results %v", got)
	}
	if mapRuns.Load() != 6 {
		t.Fatalf("map tasks ran %d times, want 6 (the stage once, then its lost outputs again)", mapRuns.Load())
	}
}

func TestCancelledJobWaitsForItsTasks(t *testing.T) {
	d, b := newDAG(4, 4)
	ctx, cancel := context.WithCancel(context.Background())
	var running, finished atomic.Int64
	final := &fakeNode{id: 3, parts: 4}
	started := make(chan struct{}, 4)
	go func() { <-started; cancel() }()
	err := d.RunJob(ctx, final, []int{0, 1, 2, 3}, func(ctx context.Context, _ *task.Context) (any, error) {
		running.Add(1)
		started <- struct{}{}
		<-ctx.Done()
		finished.Add(1)
		return nil, ctx.Err()
	}, nil, func(int, any) error { return nil })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("RunJob after cancel: %v", err)
	}
	if running.Load() != finished.Load() {
		t.Fatalf("RunJob returned with %d of %d tasks still running", running.Load()-finished.Load(), running.Load())
	}
	b.wg.Wait()
}
