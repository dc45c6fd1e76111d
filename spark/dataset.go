package spark

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"

	"github.com/gospark/gospark/internal/scheduler"
	"github.com/gospark/gospark/internal/storage"
	"github.com/gospark/gospark/internal/task"
)

// batchSize is the number of records a task hands from one operation to
// the next at once.
const batchSize = 1024

// errStop ends a partition's computation early without failing (Take).
var errStop = errors.New("spark: enough records")

// StorageLevel says where Persist keeps a dataset's partitions.
type StorageLevel = storage.Level

// Storage levels, as Spark's.
const (
	MemoryOnly    = storage.MemoryOnly
	MemoryAndDisk = storage.MemoryAndDisk
	DiskOnly      = storage.DiskOnly
)

// node is the type-independent part of a dataset: what the scheduler sees.
type node struct {
	plan   *Plan
	id     int64
	name   string
	nparts int
	deps   []scheduler.Dep
	level  storage.Level
}

func (n *node) ID() int64             { return n.id }
func (n *node) Name() string          { return n.name }
func (n *node) NumPartitions() int    { return n.nparts }
func (n *node) Deps() []scheduler.Dep { return n.deps }

// StorageLevel is the dataset's cache level, for listeners.
func (n *node) StorageLevel() storage.Level { return n.level }
func (n *node) Cached(part int) bool {
	if n.level == storage.None {
		return false
	}
	if s := n.plan.sess; s != nil && s.driver != nil {
		return s.driver.HasBlock(storage.BlockID{Dataset: n.id, Partition: part})
	}
	if n.plan.env == nil || n.plan.env.Blocks == nil {
		return false
	}
	return n.plan.env.Blocks.Contains(storage.BlockID{Dataset: n.id, Partition: part})
}

// computeFunc pushes partition part's records to out in batches. out must
// not keep the batch after it returns.
type computeFunc[T any] func(ctx context.Context, tc *task.Context, part int, out func([]T) error) error

// Dataset is a partitioned, immutable collection of T, computed lazily
// from its lineage when an action runs (Spark's RDD).
type Dataset[T any] struct {
	n       *node
	compute computeFunc[T]
	err     error
	ref     int64 // id of a dataset argument decoded but not yet resolved
}

// Err is the error the dataset carries, if it was built wrongly; every
// action on it returns this error.
func (d *Dataset[T]) Err() error {
	if d == nil {
		return errors.New("spark: nil dataset")
	}
	return d.err
}

// NumPartitions is the number of partitions.
func (d *Dataset[T]) NumPartitions() int {
	if d.err != nil {
		return 0
	}
	return d.n.nparts
}

// ID is the dataset's id in its session.
func (d *Dataset[T]) ID() int64 {
	if d.err != nil {
		return -1
	}
	return d.n.id
}

// String names the dataset and the call that made it.
func (d *Dataset[T]) String() string {
	if d.err != nil {
		return fmt.Sprintf("invalid dataset: %v", d.err)
	}
	return fmt.Sprintf("%s [%d] (%d partitions)", d.n.name, d.n.id, d.n.nparts)
}

// callSite names the user code that called a transformation, as Spark's
// "map at Foo.scala:12".
func callSite(op string) string {
	for skip := 2; skip < 12; skip++ {
		pc, file, line, ok := runtime.Caller(skip)
		if !ok {
			break
		}
		fn := runtime.FuncForPC(pc)
		if fn != nil && isSparkInternal(fn.Name()) {
			continue
		}
		return fmt.Sprintf("%s at %s:%d", op, filepath.Base(file), line)
	}
	return op
}

func isSparkInternal(name string) bool {
	const pkg = "github.com/gospark/gospark/spark."
	return len(name) >= len(pkg) && name[:len(pkg)] == pkg
}

// errDataset returns a dataset that carries err.
func errDataset[T any](err error) *Dataset[T] { return &Dataset[T]{err: err} }

// newSource makes a dataset without parents in p.
func newSource[T any](p *Plan, op string, nparts int, c computeFunc[T]) *Dataset[T] {
	if err := p.check(); err != nil {
		return errDataset[T](fmt.Errorf("%s: %w", op, err))
	}
	if nparts < 1 {
		return errDataset[T](fmt.Errorf("%s: want at least 1 partition, got %d", op, nparts))
	}
	return newDataset(&node{plan: p, id: p.nextNodeID(), name: callSite(op), nparts: nparts}, c)
}

// newDataset makes a dataset of node n and registers it with n's plan, so
// that a process replaying the plan finds it by id.
func newDataset[T any](n *node, c computeFunc[T]) *Dataset[T] {
	d := &Dataset[T]{n: n, compute: c}
	n.plan.register(n.id, d)
	return d
}

// parentsOK checks that parents can be combined into a new dataset now.
func parentsOK(op string, plans []*Plan, errs []error) (*Plan, error) {
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	p := plans[0]
	for _, q := range plans[1:] {
		if q != p {
			return nil, fmt.Errorf("%s: datasets from different calls of plan functions cannot be combined; build them in one function", op)
		}
	}
	if err := p.check(); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return p, nil
}

// derive makes a dataset with narrow dependencies on parents.
func derive[T any](op string, nparts int, parents []*node, perrs []error, c computeFunc[T]) *Dataset[T] {
	plans := make([]*Plan, len(parents))
	for i, n := range parents {
		if perrs[i] == nil {
			plans[i] = n.plan
		}
	}
	p, err := parentsOK(op, plans, perrs)
	if err != nil {
		return errDataset[T](err)
	}
	deps := make([]scheduler.Dep, len(parents))
	for i, n := range parents {
		deps[i] = scheduler.Dep{Parent: n}
	}
	return newDataset(&node{plan: p, id: p.nextNodeID(), name: callSite(op), nparts: nparts, deps: deps}, c)
}

// derive1 makes a dataset with a one-to-one dependency on d.
func derive1[T, U any](d *Dataset[T], op string, c computeFunc[U]) *Dataset[U] {
	if d == nil {
		return errDataset[U](fmt.Errorf("%s: nil dataset", op))
	}
	if d.err != nil {
		return errDataset[U](d.err)
	}
	return derive(op, d.n.nparts, []*node{d.n}, []error{nil}, c)
}

// run computes partition part of d, reading it from the block store when
// it is cached and storing it when it should be.
func (d *Dataset[T]) run(ctx context.Context, tc *task.Context, part int, out func([]T) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d.n.level == storage.None {
		return d.compute(ctx, tc, part, out)
	}
	return runCached(ctx, d, tc, part, out)
}

// Cache keeps the dataset's partitions in memory once computed
// (MEMORY_ONLY), as Spark's cache(). It must be called while the plan is
// being built.
func (d *Dataset[T]) Cache() *Dataset[T] { return d.Persist(MemoryOnly) }

// Persist sets the dataset's storage level. It must be called while the plan
// is being built, so that every process builds the same plan.
func (d *Dataset[T]) Persist(level StorageLevel) *Dataset[T] {
	if d == nil || d.err != nil {
		return d
	}
	if err := d.n.plan.check(); err != nil {
		return errDataset[T](fmt.Errorf("Persist: %w", err))
	}
	if level < storage.None || level > storage.DiskOnly {
		return errDataset[T](fmt.Errorf("Persist: unknown storage level %d", int(level)))
	}
	d.n.level = level
	return d
}

// Unpersist drops the dataset's cached partitions.
func (d *Dataset[T]) Unpersist() {
	if d == nil || d.err != nil || d.n.plan.env == nil || d.n.plan.env.Blocks == nil {
		return
	}
	d.n.plan.env.Blocks.Remove(d.n.id)
	if s := d.n.plan.sess; s != nil && s.events != nil {
		s.events.unpersisted(d.n.id)
	}
}

// StorageLevel is the dataset's storage level.
func (d *Dataset[T]) StorageLevel() StorageLevel {
	if d == nil || d.err != nil {
		return storage.None
	}
	return d.n.level
}

// Import brings a dataset made by an earlier call of a plan function into
// the plan being built, so that this plan can continue from it (and reuse
// its cached partitions). Pass the dataset as an argument of the function.
func Import[T any](p *Plan, d *Dataset[T]) *Dataset[T] {
	if err := p.check(); err != nil {
		return errDataset[T](fmt.Errorf("Import: %w", err))
	}
	if d == nil {
		return errDataset[T](fmt.Errorf("Import: nil dataset"))
	}
	if d.err != nil {
		return errDataset[T](d.err)
	}
	if d.n.plan == p {
		return d
	}
	if d.n.plan.sess != p.sess {
		return errDataset[T](fmt.Errorf("Import: the dataset belongs to another session"))
	}
	nd := &node{plan: p, id: p.nextNodeID(), name: callSite("Import"), nparts: d.n.nparts,
		deps: []scheduler.Dep{{Parent: d.n}}}
	return newDataset(nd, d.run)
}

// GobEncode lets a dataset be an argument of a plan function (see Import):
// it travels as its id.
func (d *Dataset[T]) GobEncode() ([]byte, error) {
	if d == nil || d.err != nil {
		return nil, fmt.Errorf("spark: cannot pass an invalid dataset: %v", d.Err())
	}
	return binary.AppendVarint(nil, d.n.id), nil
}

// GobDecode restores a dataset argument's id; executors resolve it by
// rebuilding the call that made it.
func (d *Dataset[T]) GobDecode(b []byte) error {
	id, n := binary.Varint(b)
	if n <= 0 {
		return errors.New("spark: bad dataset encoding")
	}
	d.ref = id
	d.err = fmt.Errorf("spark: dataset argument %d not resolved in this process", id)
	return nil
}

// resolve turns a decoded dataset argument into the dataset of that id
// that this session built when it replayed an earlier call.
func (d *Dataset[T]) resolve(s *Session) error {
	if d == nil || d.ref == 0 {
		return nil
	}
	v, ok := s.datasetByID(d.ref)
	if !ok {
		return fmt.Errorf("spark: dataset argument %d: no earlier call built it", d.ref)
	}
	src, ok := v.(*Dataset[T])
	if !ok {
		return fmt.Errorf("spark: dataset argument %d is a %T, want %T", d.ref, v, d)
	}
	*d = *src
	return nil
}
