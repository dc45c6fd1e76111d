package scheduler

import (
	"context"
	"fmt"
	"time"

	"github.com/gospark/gospark/internal/storage"
	"github.com/gospark/gospark/internal/task"
)

// Node is the scheduler's view of a dataset: an id unique in the session,
// a partition count and dependencies.
type Node interface {
	ID() int64
	Name() string
	NumPartitions() int
	Deps() []Dep
	// Cached reports whether partition p is held by the block store, so
	// its lineage need not be recomputed.
	Cached(p int) bool
}

// Dep is a dependency on a parent dataset: narrow (each partition needs a
// few parent partitions, computed in the same task) or, when Shuffle is set,
// a shuffle dependency that starts a new stage.
type Dep struct {
	Parent  Node
	Shuffle *ShuffleDep
}

// ShuffleDep describes a shuffle: its id, its number of reduce partitions and
// the map task that writes one partition of the parent as map output
// (returning a *shuffle.MapStatus).
type ShuffleDep struct {
	ID        int64
	NumReduce int
	Map       task.Func
	// Prepare, when set, runs on the driver before the map stage's tasks
	// are first submitted (a range partitioner samples its input here).
	Prepare func(ctx context.Context) error
	// State, when set, encodes what Prepare computed, for map tasks that
	// run in other processes (they apply it with SetState).
	State    func() ([]byte, error)
	SetState func([]byte) error
}

// Task is one attempt to compute one partition of a stage.
type Task struct {
	ID           int64
	JobID        int
	StageID      int
	StageAttempt int
	Partition    int
	Attempt      int
	Kind         task.Kind
	Run          task.Func
	// Node is the dataset the stage computes; Shuffle is set for map
	// tasks. Backends that run tasks in other processes describe the task
	// by them instead of Run.
	Node    Node
	Shuffle *ShuffleDep
	// Action is the job's result action, for result tasks.
	Action *Action
}

// Action describes a job's result action to executors in other processes:
// Spec says what an executor does with each partition's records, Decode
// turns what it sends back into the value the job's onResult expects.
type Action struct {
	Spec   []byte
	Decode func(part int, payload []byte) (any, error)
}

// EncodedAccum is an accumulator update that arrived from another process,
// still encoded; the session that owns the accumulator decodes it.
type EncodedAccum []byte

// Name is the task's name in Spark's style: "task 3.1 in stage 2.0 (TID 17)".
func (t *Task) Name() string {
	return fmt.Sprintf("task %d.%d in stage %d.%d (TID %d)", t.Partition, t.Attempt, t.StageID, t.StageAttempt, t.ID)
}

// Result is the outcome of one task attempt.
type Result struct {
	Task       *Task
	ExecutorID string
	Value      any
	Err        error
	Accums     map[int64]any
	Duration   time.Duration
	// Launched is when the attempt was handed to its executor (zero for a
	// task dropped before it started); Metrics what it measured.
	Launched time.Time
	Metrics  task.MetricsSnapshot
}

// ExecutorInfo describes an executor able to run tasks.
type ExecutorInfo struct {
	ID    string
	Cores int
}

// Backend runs tasks on executors. Launch must call done exactly once.
type Backend interface {
	Executors() []ExecutorInfo
	Launch(ctx context.Context, executorID string, t *Task, done func(Result))
	DefaultParallelism() int
}

// StageInfo describes one attempt of a stage to listeners.
type StageInfo struct {
	ID        int
	Attempt   int
	Name      string
	NumTasks  int // tasks of this attempt; for a stage not yet submitted, its partitions
	ParentIDs []int
	// Datasets lists the stage's lineage inside the stage (narrow
	// dependencies), the stage's own dataset first.
	Datasets []DatasetInfo
}

// DatasetInfo describes a dataset of a stage's lineage.
type DatasetInfo struct {
	ID         int64
	Name       string
	Partitions int
	ParentIDs  []int64
	Level      storage.Level // storage.None unless the dataset is cached
}

// Leveled is implemented by nodes that can be cached.
type Leveled interface {
	StorageLevel() storage.Level
}

// Listener hears about jobs, stages and tasks (progress bar, logs, UI).
// Calls come from the scheduler's goroutines and must not block. Every
// StageSubmitted is followed by one StageCompleted for the same attempt
// (err set when the attempt failed or its job ended first); TaskEnd
// follows TaskStart for every launched attempt, failed ones that are
// retried included.
type Listener interface {
	JobStart(jobID int, stages []StageInfo)
	JobEnd(jobID int, err error)
	StageSubmitted(s StageInfo)
	StageCompleted(s StageInfo, err error)
	TaskStart(t *Task, executorID string)
	TaskEnd(r Result)
}

// NopListener ignores everything.
type NopListener struct{}

func (NopListener) JobStart(int, []StageInfo)       {}
func (NopListener) JobEnd(int, error)               {}
func (NopListener) StageSubmitted(StageInfo)        {}
func (NopListener) StageCompleted(StageInfo, error) {}
func (NopListener) TaskStart(*Task, string)         {}
func (NopListener) TaskEnd(Result)                  {}

// Listeners calls each listener in turn.
type Listeners []Listener

func (ls Listeners) JobStart(id int, st []StageInfo) {
	for _, l := range ls {
		l.JobStart(id, st)
	}
}

func (ls Listeners) JobEnd(id int, err error) {
	for _, l := range ls {
		l.JobEnd(id, err)
	}
}

func (ls Listeners) StageSubmitted(s StageInfo) {
	for _, l := range ls {
		l.StageSubmitted(s)
	}
}

func (ls Listeners) StageCompleted(s StageInfo, err error) {
	for _, l := range ls {
		l.StageCompleted(s, err)
	}
}

func (ls Listeners) TaskStart(t *Task, exec string) {
	for _, l := range ls {
		l.TaskStart(t, exec)
	}
}

func (ls Listeners) TaskEnd(r Result) {
	for _, l := range ls {
		l.TaskEnd(r)
	}
}

// TaskFailedError ends a job whose task failed spark.task.maxFailures times.
type TaskFailedError struct {
	StageID   int
	Partition int
	Failures  int
	Last      string // the last attempt's name
	Err       error
}

func (e *TaskFailedError) Error() string {
	return fmt.Sprintf("job aborted due to stage failure: task %d in stage %d failed %d times, most recent failure: lost %s: %v",
		e.Partition, e.StageID, e.Failures, e.Last, e.Err)
}

func (e *TaskFailedError) Unwrap() error { return e.Err }

// StageFailedError ends a job whose stage kept losing its input.
type StageFailedError struct {
	StageID  int
	Attempts int
	Err      error
}

func (e *StageFailedError) Error() string {
	return fmt.Sprintf("job aborted: stage %d failed %d consecutive attempts: %v", e.StageID, e.Attempts, e.Err)
}

func (e *StageFailedError) Unwrap() error { return e.Err }

// PanicError is a task's panic turned into an error.
type PanicError struct {
	Value any
	Stack []byte
}

func (e *PanicError) Error() string { return fmt.Sprintf("panic: %v\n%s", e.Value, e.Stack) }
