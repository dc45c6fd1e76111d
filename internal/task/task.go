package task

import (
	"context"
	"fmt"
	"sync"

	"github.com/gospark/gospark/internal/config"
	"github.com/gospark/gospark/internal/memory"
	"github.com/gospark/gospark/internal/shuffle"
	"github.com/gospark/gospark/internal/storage"
)

// Kind says what a task produces.
type Kind int

const (
	// ShuffleMap tasks compute a partition of a map-side dataset and write
	// its records, partitioned for the reducers, as shuffle map output.
	ShuffleMap Kind = iota
	// Result tasks compute a partition of a job's final dataset and hand its
	// records to the action.
	Result
)

func (k Kind) String() string {
	switch k {
	case ShuffleMap:
		return "ShuffleMapTask"
	case Result:
		return "ResultTask"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// MapOutputs finds the registered map outputs of a shuffle, one per map
// partition, for reducers.
type MapOutputs interface {
	Statuses(ctx context.Context, shuffleID int64) ([]*shuffle.MapStatus, error)
}

// Env is an executor's environment, shared by all tasks it runs.
type Env struct {
	ExecutorID string
	Conf       *config.Conf
	LocalDir   string // this application's directory under spark.local.dir
	FilesDir   string // where the files of spark.files are (Spark's SparkFiles root)
	Memory     *memory.Manager
	Blocks     *storage.Manager
	MapOutputs MapOutputs
	Fetcher    shuffle.Fetcher
	Shuffle    *shuffle.Options
	// PeerBlocks fetches cached partitions that other executors hold
	// (nil in local mode, where there are none).
	PeerBlocks PeerBlocks
}

// PeerBlocks fetches a cached partition from another executor: its bytes in
// the block store's disk format.
type PeerBlocks interface {
	FetchBlock(ctx context.Context, id storage.BlockID) ([]byte, error)
}

// Context is one task attempt's view of the world.
type Context struct {
	TaskID       int64
	JobID        int
	StageID      int
	StageAttempt int
	Partition    int
	Attempt      int
	Kind         Kind
	Env          *Env
	// Metrics is what the task measures; never nil for a task the engine
	// runs (M returns a throwaway one otherwise).
	Metrics *Metrics

	mu     sync.Mutex
	accums map[int64]any
}

// M returns the task's metrics, never nil.
func (c *Context) M() *Metrics {
	if c == nil || c.Metrics == nil {
		return new(Metrics)
	}
	return c.Metrics
}

// AddAccum merges v into the task-local update of accumulator id, using
// merge when the task already has an update for it.
func (c *Context) AddAccum(id int64, v any, merge func(a, b any) any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.accums == nil {
		c.accums = make(map[int64]any)
	}
	if old, ok := c.accums[id]; ok {
		c.accums[id] = merge(old, v)
		return
	}
	c.accums[id] = v
}

// AccumUpdates returns the task's accumulator updates; the driver applies
// them once, when the task succeeds.
func (c *Context) AccumUpdates() map[int64]any {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.accums
}

// Func is the work of a task.
type Func func(ctx context.Context, tc *Context) (any, error)
