package scheduler

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/gospark/gospark/internal/shuffle"
	"github.com/gospark/gospark/internal/task"
)

// recorder writes down listener calls as short lines.
type recorder struct {
	mu    sync.Mutex
	lines []string
}

func (r *recorder) add(format string, args ...any) {
	r.mu.Lock()
	r.lines = append(r.lines, fmt.Sprintf(format, args...))
	r.mu.Unlock()
}

func (r *recorder) JobStart(id int, st []StageInfo) {
	var ids []string
	for _, s := range st {
		ids = append(ids, fmt.Sprintf("%d(%d tasks, parents %v)", s.ID, s.NumTasks, s.ParentIDs))
	}
	r.add("job %d start %s", id, strings.Join(ids, " "))
}
func (r *recorder) JobEnd(id int, err error) { r.add("job %d end ok=%v", id, err == nil) }
func (r *recorder) StageSubmitted(s StageInfo) {
	r.add("stage %d.%d submitted %d", s.ID, s.Attempt, s.NumTasks)
}
func (r *recorder) StageCompleted(s StageInfo, err error) {
	r.add("stage %d.%d completed ok=%v", s.ID, s.Attempt, err == nil)
}
func (r *recorder) TaskStart(t *Task, exec string) { r.add("task start %d on %s", t.StageID, exec) }
func (r *recorder) TaskEnd(res Result) {
	r.add("task end %d ok=%v launched=%v", res.Task.StageID, res.Err == nil, !res.Launched.IsZero())
}

func (r *recorder) count(prefix string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, l := range r.lines {
		if strings.HasPrefix(l, prefix) {
			n++
		}
	}
	return n
}

func (r *recorder) has(line string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Contains(r.lines, line)
}

func newRecordedDAG(maxFailures int) (*DAGScheduler, *goBackend, *recorder) {
	b := &goBackend{slots: 2}
	rec := &recorder{}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ts := NewTaskScheduler(b, maxFailures, log)
	return NewDAGScheduler(ts, NewMapOutputTracker(), Options{Listener: rec, Log: log}), b, rec
}

// Every submitted stage attempt is reported completed once, the final
// stage included, and every launched attempt (retried failures too) has a
// start and an end.
func TestListenerSeesEveryStageAndTaskAttempt(t *testing.T) {
	d, b, rec := newRecordedDAG(4)
	var mapRuns atomic.Int64
	final, _ := twoStages(&mapRuns)
	var flaky atomic.Bool
	err := d.RunJob(context.Background(), final, []int{0, 1}, func(_ context.Context, tc *task.Context) (any, error) {
		if tc.Partition == 0 && flaky.CompareAndSwap(false, true) {
			return nil, errors.New("flaky")
		}
		return tc.Partition, nil
	}, nil, func(int, any) error { return nil })
	b.wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		// Parents get the lower ids, as in Spark: the map stage is 0.
		"job 0 start 1(2 tasks, parents [0]) 0(3 tasks, parents [])",
		"stage 0.0 submitted 3", "stage 0.0 completed ok=true",
		"stage 1.0 submitted 2", "stage 1.0 completed ok=true",
		"job 0 end ok=true",
	} {
		if !rec.has(want) {
			t.Errorf("missing %q in\n%s", want, strings.Join(rec.lines, "\n"))
		}
	}
	if s, e := rec.count("task start"), rec.count("task end"); s != 6 || e != 6 {
		t.Errorf("task starts %d, ends %d; want 6 each (3 maps, 2 results, 1 retry)", s, e)
	}
	if n := rec.count("task end 1 ok=false launched=true"); n != 1 {
		t.Errorf("failed attempts reported: %d, want 1", n)
	}
}

// A stage attempt ended by a fetch failure is completed with an error, the
// retry is a new attempt; a failing job closes the stage with an error.
func TestListenerStageAttemptsAndFailures(t *testing.T) {
	d, b, rec := newRecordedDAG(1)
	var mapRuns atomic.Int64
	final, _ := twoStages(&mapRuns)
	var once atomic.Bool
	err := d.RunJob(context.Background(), final, []int{0, 1}, func(_ context.Context, tc *task.Context) (any, error) {
		if once.CompareAndSwap(false, true) {
			return nil, &shuffle.FetchFailedError{ShuffleID: 7, MapIndex: 0, ExecutorID: "e1", Err: errors.New("gone")}
		}
		return nil, nil
	}, nil, func(int, any) error { return nil })
	b.wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	// The result stage (1) loses map output 0: its attempt 0 fails, the map
	// stage (0) recomputes e1's outputs (all 3) in attempt 1, and the result
	// stage's attempt 1 runs the partition that failed.
	for _, want := range []string{"stage 1.0 completed ok=false", "stage 0.1 submitted 3", "stage 0.1 completed ok=true",
		"stage 1.1 submitted 1", "stage 1.1 completed ok=true"} {
		if !rec.has(want) {
			t.Errorf("missing %q in\n%s", want, strings.Join(rec.lines, "\n"))
		}
	}
	for _, a := range []string{"stage 0.0", "stage 1.0", "stage 0.1", "stage 1.1"} {
		if s, c := rec.count(a+" submitted"), rec.count(a+" completed"); s != 1 || c != 1 {
			t.Errorf("%s: submitted %d times, completed %d times; want once each", a, s, c)
		}
	}

	d2, b2, rec2 := newRecordedDAG(1)
	err = d2.RunJob(context.Background(), &fakeNode{id: 9, parts: 2}, []int{0, 1}, func(context.Context, *task.Context) (any, error) {
		return nil, errors.New("boom")
	}, nil, func(int, any) error { return nil })
	b2.wg.Wait()
	if err == nil {
		t.Fatal("a failing job succeeded")
	}
	if !rec2.has("stage 0.0 completed ok=false") || rec2.count("stage 0.0 completed") != 1 || !rec2.has("job 0 end ok=false") {
		t.Errorf("failed job's events:\n%s", strings.Join(rec2.lines, "\n"))
	}
}
