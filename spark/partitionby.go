package spark

import (
	"context"
	"fmt"

	"github.com/gospark/gospark/internal/codec"
	"github.com/gospark/gospark/internal/task"
)

// PartitionBy redistributes records over n partitions with a shuffle,
// each to the partition part picks for it (0 <= part(rec) < n), as Spark's
// partitionBy with a custom partitioner. Within a reduce partition the
// records come in no particular order. A partition number out of range
// fails the map task.
func PartitionBy[T any](d *Dataset[T], n int, part func(*T) int) *Dataset[T] {
	if d == nil || d.err != nil {
		return d
	}
	if n < 1 {
		return errDataset[T](fmt.Errorf("PartitionBy: want at least 1 partition, got %d", n))
	}
	if part == nil {
		return errDataset[T](fmt.Errorf("PartitionBy: nil partition function"))
	}
	enc, err := codec.For[T]()
	if err != nil {
		return errDataset[T](fmt.Errorf("PartitionBy: records cannot be shuffled: %w", err))
	}
	return shuffled(d, "PartitionBy", n, enc,
		func(ctx context.Context, tc *task.Context, w mapWriter[T]) error {
			return d.run(ctx, tc, tc.Partition, func(b []T) error {
				for i := range b {
					p := part(&b[i])
					if p < 0 || p >= n {
						return fmt.Errorf("PartitionBy: partition function returned %d, want 0 <= p < %d", p, n)
					}
					if err := w.writeTo(p, &b[i]); err != nil {
						return err
					}
				}
				return nil
			})
		}, nil,
		func(ctx context.Context, tc *task.Context, _ int, read func(func([]T) error) error, out func([]T) error) error {
			return read(out)
		})
}
