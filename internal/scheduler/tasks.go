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
	// slots is what the scheduler knows of the executors that take tasks:
	// their cores, and which have a free slot (free, a queue in the order
	// slots freed; an entry may be stale and is checked when taken). With
	// a Versioned backend they are asked for again only when they changed,
	// so a dispatch costs the same with 1 executor as with 1,000.
	cores   map[string]int
	free    []string
	inFree  map[string]bool
	version uint64
	known   bool
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
	return &TaskScheduler{backend: backend, maxFailures: maxFailures, log: log,
		busy: make(map[string]int), cores: make(map[string]int), inFree: make(map[string]bool)}
}

// Versioned is implemented by a backend whose executors change seldom:
// ExecutorsVersion changes whenever the list Executors returns may have.
type Versioned interface {
	ExecutorsVersion() uint64
}

// refresh brings the scheduler's view of the executors up to date; s.mu is
// held. The free queue is rebuilt in the backend's order.
func (s *TaskScheduler) refresh() {
	v, versioned := s.backend.(Versioned)
	var ver uint64
	if versioned {
		// Read before the list: a change in between is seen next time.
		ver = v.ExecutorsVersion()
		if s.known && ver == s.version {
			return
		}
	}
	execs := s.backend.Executors()
	s.version, s.known = ver, versioned
	clear(s.cores)
	clear(s.inFree)
	s.free = s.free[:0]
	for _, e := range execs {
		s.cores[e.ID] = e.Cores
		if s.busy[e.ID] < e.Cores {
			s.free = append(s.free, e.ID)
			s.inFree[e.ID] = true
		}
	}
}

// freed puts exec back in the free queue after one of its slots freed;
// s.mu is held.
func (s *TaskScheduler) freed(exec string) {
	if c, ok := s.cores[exec]; ok && s.busy[exec] < c && !s.inFree[exec] {
		s.free = append(s.free, exec)
		s.inFree[exec] = true
	}
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
	delete(s.cores, id) // its entry in the free queue is dropped when reached
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
	if len(s.queue) > 0 {
		s.refresh()
	}
	for len(s.queue) > 0 && len(s.free) > 0 {
		id := s.free[0]
		if s.busy[id] >= s.cores[id] { // stale: full, or no longer offered
			s.free = s.free[1:]
			delete(s.inFree, id)
			continue
		}
		q := s.queue[0]
		s.queue[0] = nil
		s.queue = s.queue[1:]
		if q.ctx.Err() != nil {
			dropped = append(dropped, q)
			continue
		}
		s.busy[id]++
		todo = append(todo, launch{id, q})
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
	s.freed(exec)
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
