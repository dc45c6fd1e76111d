package spark

import (
	"context"
	"fmt"
	"iter"

	"github.com/gospark/gospark/internal/codec"
	"github.com/gospark/gospark/internal/task"
)

// TaskContext tells code inside a task which task it is in.
type TaskContext struct{ tc *task.Context }

// Partition is the index of the partition being computed.
func (c *TaskContext) Partition() int { return c.tc.Partition }

// StageID is the id of the task's stage.
func (c *TaskContext) StageID() int { return c.tc.StageID }

// Attempt counts earlier attempts of this task (0 for the first).
func (c *TaskContext) Attempt() int { return c.tc.Attempt }

// TaskID is the task attempt's id (Spark's TID).
func (c *TaskContext) TaskID() int64 { return c.tc.TaskID }

// Map applies f to every record.
func Map[T, U any](d *Dataset[T], f func(T) U) *Dataset[U] {
	return derive1(d, "Map", func(ctx context.Context, tc *task.Context, part int, out func([]U) error) error {
		buf := make([]U, batchSize)
		return d.run(ctx, tc, part, func(b []T) error {
			if len(b) > len(buf) {
				buf = make([]U, len(b))
			}
			o := buf[:len(b)]
			for i, x := range b {
				o[i] = f(x)
			}
			return out(o)
		})
	})
}

// batcher collects records and hands them on in batches.
type batcher[U any] struct {
	buf []U
	out func([]U) error
}

func newBatcher[U any](out func([]U) error) *batcher[U] {
	return &batcher[U]{buf: make([]U, 0, batchSize), out: out}
}

func (b *batcher[U]) add(u U) error {
	b.buf = append(b.buf, u)
	if len(b.buf) >= batchSize {
		return b.flush()
	}
	return nil
}

func (b *batcher[U]) flush() error {
	if len(b.buf) == 0 {
		return nil
	}
	err := b.out(b.buf)
	clear(b.buf)
	b.buf = b.buf[:0]
	return err
}

// FlatMap applies f to every record and flattens the results.
func FlatMap[T, U any](d *Dataset[T], f func(T) []U) *Dataset[U] {
	return derive1(d, "FlatMap", func(ctx context.Context, tc *task.Context, part int, out func([]U) error) error {
		bt := newBatcher(out)
		err := d.run(ctx, tc, part, func(b []T) error {
			for _, x := range b {
				bt.buf = append(bt.buf, f(x)...)
				if len(bt.buf) >= batchSize {
					if err := bt.flush(); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		return bt.flush()
	})
}

// Filter keeps the records for which keep returns true.
func Filter[T any](d *Dataset[T], keep func(T) bool) *Dataset[T] {
	return derive1(d, "Filter", func(ctx context.Context, tc *task.Context, part int, out func([]T) error) error {
		buf := make([]T, 0, batchSize)
		return d.run(ctx, tc, part, func(b []T) error {
			o := buf[:0]
			for _, x := range b {
				if keep(x) {
					o = append(o, x)
				}
			}
			if len(o) == 0 {
				return nil
			}
			return out(o)
		})
	})
}

// MapPartitions transforms a whole partition: f ranges over the
// partition's records and emits results. The records are produced while f
// ranges over them, so a partition need not fit in memory.
func MapPartitions[T, U any](d *Dataset[T], f func(tc *TaskContext, in iter.Seq[T], emit func(U)) error) *Dataset[U] {
	return derive1(d, "MapPartitions", func(ctx context.Context, tc *task.Context, part int, out func([]U) error) error {
		bt := newBatcher(out)
		var upErr, downErr error
		in := func(yield func(T) bool) {
			upErr = d.run(ctx, tc, part, func(b []T) error {
				for _, x := range b {
					if downErr != nil || !yield(x) {
						return errStop
					}
				}
				return nil
			})
		}
		emit := func(u U) {
			if downErr == nil {
				downErr = bt.add(u)
			}
		}
		if err := f(&TaskContext{tc}, in, emit); err != nil {
			return err
		}
		if upErr != nil && upErr != errStop {
			return upErr
		}
		if downErr != nil {
			return downErr
		}
		return bt.flush()
	})
}

// KeyBy pairs every record with the key f computes from it.
func KeyBy[K comparable, T any](d *Dataset[T], f func(T) K) *Dataset[KV[K, T]] {
	return Map(d, func(x T) KV[K, T] { return KV[K, T]{f(x), x} })
}

// MapValues applies f to the value of every pair, keeping keys.
func MapValues[K comparable, V, W any](d *Dataset[KV[K, V]], f func(V) W) *Dataset[KV[K, W]] {
	return Map(d, func(kv KV[K, V]) KV[K, W] { return KV[K, W]{kv.Key, f(kv.Value)} })
}

// Union is the records of all datasets: their partitions side by side.
func Union[T any](ds ...*Dataset[T]) *Dataset[T] {
	if len(ds) == 0 {
		return errDataset[T](fmt.Errorf("Union: no datasets"))
	}
	nodes := make([]*node, len(ds))
	errs := make([]error, len(ds))
	total := 0
	var first, owner []int
	for i, d := range ds {
		if d == nil {
			return errDataset[T](fmt.Errorf("Union: dataset %d is nil", i))
		}
		if d.err != nil {
			errs[i] = d.err
			continue
		}
		nodes[i] = d.n
		first = append(first, total)
		for range d.n.nparts {
			owner = append(owner, i)
		}
		total += d.n.nparts
	}
	return derive("Union", total, nodes, errs, func(ctx context.Context, tc *task.Context, part int, out func([]T) error) error {
		i := owner[part]
		return ds[i].run(ctx, tc, part-first[i], out)
	})
}

// Coalesce reduces the number of partitions to n without a shuffle: each
// new partition reads a contiguous range of parent partitions. Asking for
// more partitions than the parent has keeps the parent's count, as Spark.
func Coalesce[T any](d *Dataset[T], n int) *Dataset[T] {
	if d == nil || d.err != nil {
		return d
	}
	if n < 1 {
		return errDataset[T](fmt.Errorf("Coalesce: want at least 1 partition, got %d", n))
	}
	parent := d.n.nparts
	n = min(n, parent)
	return derive("Coalesce", n, []*node{d.n}, []error{nil}, func(ctx context.Context, tc *task.Context, part int, out func([]T) error) error {
		for q := parent * part / n; q < parent*(part+1)/n; q++ {
			if err := d.run(ctx, tc, q, out); err != nil {
				return err
			}
		}
		return nil
	})
}

// Repartition redistributes records evenly over n partitions with a
// shuffle (round robin, starting at a position that depends on the map
// partition).
func Repartition[T any](d *Dataset[T], n int) *Dataset[T] {
	if d == nil || d.err != nil {
		return d
	}
	if n < 1 {
		return errDataset[T](fmt.Errorf("Repartition: want at least 1 partition, got %d", n))
	}
	enc, err := codec.For[T]()
	if err != nil {
		return errDataset[T](fmt.Errorf("Repartition: records cannot be shuffled: %w", err))
	}
	return shuffled(d, "Repartition", n, enc,
		func(ctx context.Context, tc *task.Context, w mapWriter[T]) error {
			next := int(mix64(uint64(tc.Partition)) % uint64(n))
			return d.run(ctx, tc, tc.Partition, func(b []T) error {
				for i := range b {
					if err := w.writeTo(next, &b[i]); err != nil {
						return err
					}
					next++
					if next == n {
						next = 0
					}
				}
				return nil
			})
		}, nil,
		func(ctx context.Context, tc *task.Context, part int, read func(func([]T) error) error, out func([]T) error) error {
			return read(out)
		})
}

func mix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}
