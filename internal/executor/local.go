package executor

import (
	"context"
	"runtime/debug"
	"sync"
	"time"

	"github.com/gospark/gospark/internal/scheduler"
	"github.com/gospark/gospark/internal/task"
)

// DriverID is the executor id of the driver process, as in Spark.
const DriverID = "driver"

// Local runs tasks on goroutines of this process.
type Local struct {
	env   *task.Env
	cores int
	wg    sync.WaitGroup
}

// NewLocal returns a backend with cores slots sharing env.
func NewLocal(env *task.Env, cores int) *Local {
	if cores < 1 {
		cores = 1
	}
	return &Local{env: env, cores: cores}
}

// Executors implements scheduler.Backend.
func (l *Local) Executors() []scheduler.ExecutorInfo {
	return []scheduler.ExecutorInfo{{ID: l.env.ExecutorID, Cores: l.cores}}
}

// DefaultParallelism implements scheduler.Backend: the number of slots.
func (l *Local) DefaultParallelism() int { return l.cores }

// Launch implements scheduler.Backend.
func (l *Local) Launch(ctx context.Context, _ string, t *scheduler.Task, done func(scheduler.Result)) {
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		done(Run(ctx, l.env, t))
	}()
}

// Wait blocks until every launched task has returned.
func (l *Local) Wait() { l.wg.Wait() }

// Run executes one task attempt with env, turning a panic into a
// *scheduler.PanicError.
func Run(ctx context.Context, env *task.Env, t *scheduler.Task) (r scheduler.Result) {
	tc := &task.Context{
		TaskID: t.ID, JobID: t.JobID, StageID: t.StageID, StageAttempt: t.StageAttempt,
		Partition: t.Partition, Attempt: t.Attempt, Kind: t.Kind, Env: env, Metrics: new(task.Metrics),
	}
	start := time.Now()
	r.Task = t
	r.ExecutorID = env.ExecutorID
	defer func() {
		if v := recover(); v != nil {
			r.Value = nil
			r.Err = &scheduler.PanicError{Value: v, Stack: debug.Stack()}
		}
		r.Duration = time.Since(start)
		r.Metrics = tc.Metrics.Snapshot()
		r.Metrics.RunTime = r.Duration
		if r.Err == nil {
			r.Accums = tc.AccumUpdates()
		}
	}()
	r.Value, r.Err = t.Run(ctx, tc)
	return r
}
