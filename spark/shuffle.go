package spark

import (
	"context"
	"fmt"

	"github.com/gospark/gospark/internal/codec"
	"github.com/gospark/gospark/internal/scheduler"
	"github.com/gospark/gospark/internal/shuffle"
	"github.com/gospark/gospark/internal/task"
)

// mapWriter is what a map task writes its shuffle output through.
type mapWriter[S any] struct{ w *shuffle.Writer[S] }

// write adds a batch, each record to the reducer its partitioner picks.
func (m mapWriter[S]) write(b []S) error { return m.w.Write(b) }

// writeOne adds one record to the reducer its partitioner picks.
func (m mapWriter[S]) writeOne(v *S) error { return m.w.WriteOne(v) }

// writeTo adds one record to reducer p.
func (m mapWriter[S]) writeTo(p int, v *S) error { return m.w.WriteTo(p, v) }

// newShuffleDep declares a shuffle of records S from parent into n reduce
// partitions. writeMap computes one parent partition into the writer; part
// picks a record's reducer (nil when writeMap always uses writeTo).
func newShuffleDep[S any](p *Plan, parent *node, n int, enc codec.Codec[S], part func(*S) int,
	writeMap func(ctx context.Context, tc *task.Context, w mapWriter[S]) error) *scheduler.ShuffleDep {
	id := p.nextShuffleID()
	if part == nil {
		part = func(*S) int { panic("spark: shuffle record written without a partition") }
	}
	dep := &scheduler.ShuffleDep{
		ID:        id,
		NumReduce: n,
		Map: func(ctx context.Context, tc *task.Context) (any, error) {
			env := tc.Env
			w, err := shuffle.NewWriter(env.Shuffle, env.LocalDir, env.ExecutorID, id, tc.Partition, tc.TaskID, n, enc, part, env.Memory.TaskBudget())
			if err != nil {
				return nil, err
			}
			defer func() { addWriteMetrics(tc.M(), w.Metrics()) }()
			if err := writeMap(ctx, tc, mapWriter[S]{w}); err != nil {
				w.Abort()
				return nil, err
			}
			return w.Commit()
		},
	}
	p.registerShuffle(dep)
	return dep
}

// readShuffle streams reduce partition part of a shuffle to sink.
func readShuffle[S any](ctx context.Context, tc *task.Context, dep *scheduler.ShuffleDep, enc codec.Codec[S], part int, sink func([]S) error) error {
	statuses, err := tc.Env.MapOutputs.Statuses(ctx, dep.ID)
	if err != nil {
		return err
	}
	var m shuffle.ReadMetrics
	err = shuffle.Read(ctx, statuses, part, tc.Env.Shuffle, tc.Env.Fetcher, enc, &m, sink)
	addReadMetrics(tc.M(), &m)
	return err
}

// shuffled makes a dataset of n partitions fed by one shuffle of records S
// written from d's partitions; reduce turns a reduce partition's records
// into the dataset's records.
func shuffled[T, S, U any](d *Dataset[T], op string, n int, enc codec.Codec[S], writeMap func(ctx context.Context, tc *task.Context, w mapWriter[S]) error,
	part func(*S) int, reduce func(ctx context.Context, tc *task.Context, part int, read func(func([]S) error) error, out func([]U) error) error) *Dataset[U] {
	ds, _ := shuffledDep(d, op, n, enc, writeMap, part, reduce)
	return ds
}

func shuffledDep[T, S, U any](d *Dataset[T], op string, n int, enc codec.Codec[S], writeMap func(ctx context.Context, tc *task.Context, w mapWriter[S]) error,
	part func(*S) int, reduce func(ctx context.Context, tc *task.Context, part int, read func(func([]S) error) error, out func([]U) error) error) (*Dataset[U], *scheduler.ShuffleDep) {
	if d == nil {
		return errDataset[U](fmt.Errorf("%s: nil dataset", op)), nil
	}
	if d.err != nil {
		return errDataset[U](d.err), nil
	}
	p, err := parentsOK(op, []*Plan{d.n.plan}, []error{nil})
	if err != nil {
		return errDataset[U](err), nil
	}
	if n < 1 {
		return errDataset[U](fmt.Errorf("%s: want at least 1 partition, got %d", op, n)), nil
	}
	dep := newShuffleDep(p, d.n, n, enc, part, writeMap)
	nd := &node{plan: p, id: p.nextNodeID(), name: callSite(op), nparts: n, deps: []scheduler.Dep{{Parent: d.n, Shuffle: dep}}}
	return newDataset(nd, func(ctx context.Context, tc *task.Context, part int, out func([]U) error) error {
		read := func(sink func([]S) error) error { return readShuffle(ctx, tc, dep, enc, part, sink) }
		return reduce(ctx, tc, part, read, out)
	}), dep
}
