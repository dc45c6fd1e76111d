package scheduler

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gospark/gospark/internal/shuffle"
)

// TaskScheduler places tasks on free executor slots (one slot per core,
// spark.task.cpus = 1) in submission order and retries failed attempts.
type TaskScheduler struct {
	backend     Backend
	maxFailures int
	log         *slog.Logger

	nextID atomic.Int64

	mu    sync.Mutex
	busy  map[string]int
	queue []*queued
	// sweep: a submitter's context ended; the next dispatch drops its
	// queued tasks (without it, dispatch looks only at the queue's head).
	sweep bool
}

type queued struct {
	ctx      context.Context
	t        *Task
	failures int
	report   func(Result)
	onStart  func(*Task, string)
	onEnd    func(Result)
	launched time.Time
}

// NewTaskScheduler returns a scheduler over backend; a task is retried until
// it has failed maxFailures times.
func NewTaskScheduler(backend Backend, maxFailures int, log *slog.Logger) *TaskScheduler {
	if maxFailures < 1 {
		maxFailures = 1
	}
	return &TaskScheduler{backend: backend, maxFailures: maxFailures, log: log, busy: make(map[string]int)}
}

// NewTaskID hands out task ids (TIDs), unique in the application.
func (s *TaskScheduler) NewTaskID() int64 { return s.nextID.Add(1) - 1 }

// Submit queues tasks. report receives each task's final outcome: its
// success, a fetch failure, cancellation, or the error of its last attempt
// wrapped in a *TaskFailedError. onStart hears of every attempt launched
// and the executor it runs on; onEnd of every attempt that ended (including
// failed attempts that are retried), before report hears of the task's final
// outcome.
func (s *TaskScheduler) Submit(ctx context.Context, tasks []*Task, onStart func(*Task, string), onEnd, report func(Result)) {
	s.mu.Lock()
	for _, t := range tasks {
		s.queue = append(s.queue, &queued{ctx: ctx, t: t, report: report, onStart: onStart, onEnd: onEnd})
	}
	s.mu.Unlock()
	// A cancelled job's queued tasks are reported even when no slot ever
	// frees (no executor left).
	context.AfterFunc(ctx, func() {
		s.mu.Lock()
		s.sweep = true
		s.mu.Unlock()
		s.dispatch()
	})
	s.dispatch()
}

// Revive offers queued tasks to the executors again, after one registered.
func (s *TaskScheduler) Revive() { s.dispatch() }

// ExecutorRemoved forgets a lost executor's slots. The backend fails the
// tasks that were running on it.
func (s *TaskScheduler) ExecutorRemoved(id string) {
	s.mu.Lock()
	delete(s.busy, id)
	s.mu.Unlock()
}

// Load is how many tasks wait for a slot and how many run, for dynamic
// allocation.
func (s *TaskScheduler) Load() (pending, running int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, q := range s.queue {
		if q.ctx.Err() == nil {
			pending++
		}
	}
	for _, n := range s.busy {
		running += n
	}
	return pending, running
}

// NotCounted is implemented by task errors that do not count toward
// spark.task.maxFailures: the task's executor was decommissioned, which
// is no fault of the task (as Spark's ExecutorDecommission loss reason).
type NotCounted interface {
	NotCounted() bool
}

// dispatch launches queued tasks while slots are free.
func (s *TaskScheduler) dispatch() {
	type launch struct {
		exec string
		q    *queued
	}
	var todo []launch
	var dropped []*queued
	s.mu.Lock()
	if s.sweep {
		// Only after a context ended: scanning the whole queue on every
		// dispatch made each task cost as much as the tasks queued.
		s.sweep = false
		live := s.queue[:0]
		for _, q := range s.queue {
			if q.ctx.Err() != nil {
				dropped = append(dropped, q)
				continue
			}
			live = append(live, q)
		}
		clear(s.queue[len(live):])
		s.queue = live
	}
	var execs []ExecutorInfo
	if len(s.queue) > 0 {
		execs = s.backend.Executors()
	}
	for _, e := range execs {
		if len(s.queue) == 0 {
			break
		}
		for s.busy[e.ID] < e.Cores && len(s.queue) > 0 {
			q := s.queue[0]
			s.queue = s.queue[1:]
			if q.ctx.Err() != nil {
				dropped = append(dropped, q)
				continue
			}
			s.busy[e.ID]++
			todo = append(todo, launch{e.ID, q})
		}
	}
	s.mu.Unlock()
	for _, q := range dropped {
		q.report(Result{Task: q.t, Err: q.ctx.Err()})
	}
	for _, l := range todo {
		l.q.launched = time.Now()
		l.q.onStart(l.q.t, l.exec)
		s.backend.Launch(l.q.ctx, l.exec, l.q.t, func(r Result) { s.finished(l.exec, l.q, r) })
	}
}

func (s *TaskScheduler) finished(exec string, q *queued, r Result) {
	s.mu.Lock()
	if s.busy[exec] > 0 {
		s.busy[exec]--
	}
	s.mu.Unlock()
	r.Task = q.t
	r.ExecutorID = exec
	r.Launched = q.launched
	q.onEnd(r)
	var ff *shuffle.FetchFailedError
	switch {
	case r.Err == nil, q.ctx.Err() != nil, errors.As(r.Err, &ff):
		q.report(r)
	default:
		var nc NotCounted
		if errors.As(r.Err, &nc) && nc.NotCounted() {
			s.log.Info("task ended with its decommissioned executor; running it again (not counted as a failure)",
				"task", q.t.Name(), "executor", exec, "error", r.Err)
		} else {
			q.failures++
			s.log.Warn("lost task", "task", q.t.Name(), "executor", exec, "failures", q.failures, "error", r.Err)
		}
		if q.failures >= s.maxFailures {
			r.Err = &TaskFailedError{StageID: q.t.StageID, Partition: q.t.Partition, Failures: q.failures, Last: q.t.Name(), Err: r.Err}
			q.report(r)
			break
		}
		retry := *q.t
		retry.ID = s.NewTaskID()
		retry.Attempt++
		q.t = &retry
		s.mu.Lock()
		// A retry goes to the front, as Spark re-offers failed tasks first.
		s.queue = append([]*queued{q}, s.queue...)
		s.mu.Unlock()
	}
	s.dispatch()
}
