package simexec

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/gospark/gospark/internal/cluster"
	"github.com/gospark/gospark/internal/rpc"
	"github.com/gospark/gospark/internal/scheduler"
	"github.com/gospark/gospark/internal/shuffle"
	"github.com/gospark/gospark/internal/task"
)

// HarnessOptions configure the driver's side.
type HarnessOptions struct {
	// Sec is the driver endpoint's security (the application's secret).
	Sec *rpc.Security
	// Timeout is spark.network.timeout (default 120s): an executor
	// silent that long is declared lost.
	Timeout time.Duration
	// MaxFailures is spark.task.maxFailures (default 4).
	MaxFailures int
	// Log receives the driver's and the schedulers' logs (default: a
	// logger that drops them: a run logs a line per executor and stage).
	Log *slog.Logger
}

// Harness is a cluster.Driver wired to the task and DAG schedulers as the
// spark package wires them, running jobs whose tasks do nothing.
type Harness struct {
	Driver *cluster.Driver
	tasks  *scheduler.TaskScheduler
	dag    *scheduler.DAGScheduler
	log    *slog.Logger

	mu         sync.Mutex
	registered int
	lost       map[string]string // executor -> reason
	changed    chan struct{}     // closed and replaced on every registration
}

// NewHarness starts the driver endpoint on a free loopback port.
func NewHarness(opts HarnessOptions) (*Harness, error) {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.MaxFailures < 1 {
		opts.MaxFailures = 4
	}
	if opts.Sec == nil {
		opts.Sec = &rpc.Security{}
	}
	h := &Harness{log: opts.Log, lost: make(map[string]string), changed: make(chan struct{})}
	d, err := cluster.NewDriver(cluster.DriverOptions{
		AppID:   "simexec",
		Addr:    "127.0.0.1:0",
		Sec:     opts.Sec,
		Timeout: opts.Timeout,
		Encode:  encodeTask,
		Statuses: func(context.Context, int64) ([]*shuffle.MapStatus, error) {
			return nil, errors.New("simexec: tiny tasks read no shuffle")
		},
		Broadcast: func(int64) ([]byte, error) { return nil, errors.New("simexec: tiny tasks read no broadcast") },
		OnRegistered: func(string) {
			h.mu.Lock()
			h.registered++
			close(h.changed)
			h.changed = make(chan struct{})
			h.mu.Unlock()
			if h.tasks != nil {
				h.tasks.Revive()
			}
		},
		OnLost: func(id, reason string) {
			h.mu.Lock()
			h.lost[id] = reason
			h.mu.Unlock()
			if h.tasks != nil {
				h.tasks.ExecutorRemoved(id)
			}
			if h.dag != nil {
				h.dag.ExecutorLost(id, reason)
			}
		},
		Log: opts.Log,
	})
	if err != nil {
		return nil, fmt.Errorf("simexec: %w", err)
	}
	h.Driver = d
	h.tasks = scheduler.NewTaskScheduler(d, opts.MaxFailures, opts.Log)
	h.dag = scheduler.NewDAGScheduler(h.tasks, scheduler.NewMapOutputTracker(), scheduler.Options{Log: opts.Log})
	return h, nil
}

// Addr is the driver endpoint's address, for the fleet.
func (h *Harness) Addr() string { return h.Driver.Addr() }

// WaitRegistered waits until n executors have registered.
func (h *Harness) WaitRegistered(ctx context.Context, n int) error {
	for {
		h.mu.Lock()
		got, changed := h.registered, h.changed
		h.mu.Unlock()
		if got >= n {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("simexec: %d of %d executors registered: %w", got, n, ctx.Err())
		case <-changed:
		}
	}
}

// Lost lists the executors the driver declared lost, with the reason.
func (h *Harness) Lost() map[string]string {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make(map[string]string, len(h.lost))
	for id, r := range h.lost {
		out[id] = r
	}
	return out
}

// JobResult is what a job of tiny tasks returned.
type JobResult struct {
	// Results counts the results per partition (1 each when all is well).
	Results []int
	// Sum is the sum of the partitions' values (partition p returns p).
	Sum      int64
	Duration time.Duration
}

// RunJob runs one job of n tiny tasks (one per partition, a single result
// stage) through the DAG and task schedulers, and waits for it.
func (h *Harness) RunJob(ctx context.Context, n int) (JobResult, error) {
	parts := make([]int, n)
	for i := range parts {
		parts[i] = i
	}
	res := JobResult{Results: make([]int, n)}
	action := &scheduler.Action{Decode: decodeResult}
	run := func(context.Context, *task.Context) (any, error) {
		return nil, errors.New("simexec: tiny tasks run on simulated executors only")
	}
	start := time.Now()
	err := h.dag.RunJob(ctx, &node{id: 1, parts: n}, parts, run, action, func(p int, v any) error {
		res.Results[p]++
		res.Sum += int64(v.(int))
		return nil
	})
	res.Duration = time.Since(start)
	if err != nil {
		return res, fmt.Errorf("simexec: job of %d tasks: %w", n, err)
	}
	return res, nil
}

// Close stops the driver endpoint (the executors are told to stop).
func (h *Harness) Close() { h.Driver.Stop(10 * time.Second) }

// encodeTask describes a tiny task: its partition number, which the
// simulated executor sends back as the task's result.
func encodeTask(t *scheduler.Task, _ string) ([]byte, error) {
	return binary.AppendUvarint(nil, uint64(t.Partition)), nil
}

func decodeResult(part int, payload []byte) (any, error) {
	v, n := binary.Uvarint(payload)
	if n <= 0 || int(v) != part {
		return nil, fmt.Errorf("simexec: partition %d: the executor returned %x, want the partition number", part, payload)
	}
	return int(v), nil
}

// node is a dataset with n partitions and no parents.
type node struct {
	id    int64
	parts int
}

func (n *node) ID() int64             { return n.id }
func (n *node) Name() string          { return "tiny tasks" }
func (n *node) NumPartitions() int    { return n.parts }
func (n *node) Deps() []scheduler.Dep { return nil }
func (n *node) Cached(int) bool       { return false }
