package spark

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/gospark/gospark/internal/scheduler"
	"github.com/gospark/gospark/internal/task"
)

// consumer receives one partition's records in a result task and produces
// the partition's result for the action.
type consumer[T any] struct {
	sink  func([]T) error
	done  func() (any, error)
	abort func() // optional: releases what sink acquired when the task fails
}

func allPartitions(n int) []int {
	ps := make([]int, n)
	for i := range ps {
		ps[i] = i
	}
	return ps
}

// runJob computes the given partitions of d; each partition's records go to
// a fresh consumer and its result to onResult, on the caller's goroutine.
// ra says what executor processes do with the records: for actRecords
// they send them and newConsumer runs on the driver; the other kinds run
// their built-in consumer wherever the task runs (newConsumer is unused).
func runJob[T any](ctx context.Context, d *Dataset[T], parts []int, ra remoteAction, newConsumer func(part int) *consumer[T], onResult func(part int, v any) error) error {
	if err := d.Err(); err != nil {
		return err
	}
	s := d.n.plan.sess
	if err := s.usable(); err != nil {
		return err
	}
	if err := context.Cause(s.fatal); err != nil {
		return err
	}
	if err := s.waitForExecutors(ctx); err != nil {
		return err
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stop := context.AfterFunc(s.fatal, func() { cancel(context.Cause(s.fatal)) })
	defer stop()
	stopped := context.AfterFunc(s.stopping, func() { cancel(ErrStopped) })
	defer stopped()
	spec, err := encodeGob(&ra)
	if err != nil {
		return fmt.Errorf("spark: encoding the action: %w", err)
	}
	action := &scheduler.Action{Spec: spec, Decode: decodeRemote(ra, newConsumer, resultCodec(s.env))}
	result := func(ctx context.Context, tc *task.Context) (any, error) {
		var c *consumer[T]
		if ra.Kind != actRecords {
			c = builtinConsumer[T](ra, tc)
		} else {
			c = newConsumer(tc.Partition)
		}
		if err := d.run(ctx, tc, tc.Partition, c.sink); err != nil && !errors.Is(err, errStop) {
			if c.abort != nil {
				c.abort()
			}
			return nil, err
		}
		return c.done()
	}
	return s.dag.RunJob(ctx, d.n, parts, result, action, onResult)
}

// Count is the number of records.
func Count[T any](ctx context.Context, d *Dataset[T]) (int64, error) {
	var total int64
	err := runJob(ctx, d, allPartitions(d.NumPartitions()), remoteAction{Kind: actCount}, nil,
		func(_ int, v any) error { total += v.(int64); return nil })
	return total, err
}

// Collect returns every record, partition by partition, in order.
func Collect[T any](ctx context.Context, d *Dataset[T]) ([]T, error) {
	parts := make([][]T, d.NumPartitions())
	err := runJob(ctx, d, allPartitions(d.NumPartitions()), remoteAction{}, func(int) *consumer[T] {
		var recs []T
		return &consumer[T]{
			sink: func(b []T) error { recs = append(recs, b...); return nil },
			done: func() (any, error) { return recs, nil },
		}
	}, func(p int, v any) error { parts[p] = v.([]T); return nil })
	if err != nil {
		return nil, err
	}
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	all := make([]T, 0, n)
	for _, p := range parts {
		all = append(all, p...)
	}
	return all, nil
}

// ErrEmpty is returned by Reduce and First on a dataset without records.
var ErrEmpty = errors.New("spark: empty dataset")

// Reduce combines all records with f, which must be associative and
// commutative: each partition is reduced in its task, then the partial
// results on the driver. In executor processes f cannot run (it is a
// closure of the driver), so they send their records and the driver
// reduces them all; register the function with Reducer to reduce on the
// executors instead.
func Reduce[T any](ctx context.Context, d *Dataset[T], f func(T, T) T) (T, error) {
	return reduce(ctx, d, f, remoteAction{})
}

// partial is one partition's reduction.
type partial[T any] struct {
	V  T
	OK bool
}

func (p *partial[T]) add(f func(T, T) T, x T) {
	if p.OK {
		p.V = f(p.V, x)
	} else {
		*p = partial[T]{x, true}
	}
}

// reducingConsumer reduces a partition's records with f.
func reducingConsumer[T any](f func(T, T) T) *consumer[T] {
	var p partial[T]
	return &consumer[T]{
		sink: func(b []T) error {
			for _, x := range b {
				p.add(f, x)
			}
			return nil
		},
		done: func() (any, error) { return p, nil },
	}
}

func reduce[T any](ctx context.Context, d *Dataset[T], f func(T, T) T, ra remoteAction) (T, error) {
	var acc partial[T]
	err := runJob(ctx, d, allPartitions(d.NumPartitions()), ra, func(int) *consumer[T] { return reducingConsumer(f) },
		func(_ int, v any) error {
			if p := v.(partial[T]); p.OK {
				acc.add(f, p.V)
			}
			return nil
		})
	if err == nil && !acc.OK {
		err = fmt.Errorf("Reduce: %w", ErrEmpty)
	}
	return acc.V, err
}

// Take returns the first n records. Like Spark it computes one partition
// first and then more at a time, up to four times as many as it has
// tried, until it has n records.
func Take[T any](ctx context.Context, d *Dataset[T], n int) ([]T, error) {
	if err := d.Err(); err != nil {
		return nil, err
	}
	var out []T
	total := d.NumPartitions()
	tried := 0
	for len(out) < n && tried < total {
		try := 1
		if tried > 0 {
			if len(out) == 0 {
				try = tried * 4
			} else {
				// Interpolate from what the tried partitions yielded, 50% more.
				try = min(max(int(1.5*float64(n)*float64(tried)/float64(len(out)))-tried, 1), tried*4)
			}
		}
		parts := allPartitions(total)[tried:min(tried+try, total)]
		got := make(map[int][]T, len(parts))
		want := n - len(out)
		err := runJob(ctx, d, parts, remoteAction{Limit: want}, func(int) *consumer[T] {
			var recs []T
			return &consumer[T]{
				sink: func(b []T) error {
					recs = append(recs, b[:min(len(b), want-len(recs))]...)
					if len(recs) >= want {
						return errStop
					}
					return nil
				},
				done: func() (any, error) { return recs, nil },
			}
		}, func(p int, v any) error { got[p] = v.([]T); return nil })
		if err != nil {
			return nil, err
		}
		for _, p := range parts {
			out = append(out, got[p][:min(len(got[p]), n-len(out))]...)
		}
		tried += len(parts)
	}
	return out, nil
}

// First returns the first record.
func First[T any](ctx context.Context, d *Dataset[T]) (T, error) {
	recs, err := Take(ctx, d, 1)
	if err != nil {
		var zero T
		return zero, err
	}
	if len(recs) == 0 {
		var zero T
		return zero, fmt.Errorf("First: %w", ErrEmpty)
	}
	return recs[0], nil
}

// Foreach calls f for every record, in the tasks. f is called from
// several partitions at once, so it must be safe for concurrent use.
func Foreach[T any](ctx context.Context, d *Dataset[T], f func(T)) error {
	return runJob(ctx, d, allPartitions(d.NumPartitions()), remoteAction{}, func(int) *consumer[T] {
		return &consumer[T]{
			sink: func(b []T) error {
				for _, x := range b {
					f(x)
				}
				return nil
			},
			done: func() (any, error) { return nil, nil },
		}
	}, func(int, any) error { return nil })
}

// CountByKey counts the records of each key; each partition counts its own
// and the driver adds the counts up, so the result must fit in memory.
func CountByKey[K comparable, V any](ctx context.Context, d *Dataset[KV[K, V]]) (map[K]int64, error) {
	counts := make(map[K]int64)
	err := runJob(ctx, d, allPartitions(d.NumPartitions()), remoteAction{}, func(int) *consumer[KV[K, V]] {
		m := make(map[K]int64)
		return &consumer[KV[K, V]]{
			sink: func(b []KV[K, V]) error {
				for i := range b {
					m[b[i].Key]++
				}
				return nil
			},
			done: func() (any, error) { return m, nil },
		}
	}, func(_ int, v any) error {
		for k, c := range v.(map[K]int64) {
			counts[k] += c
		}
		return nil
	})
	return counts, err
}

// SaveAsTextFile writes the records as text, one line each formatted with
// fmt (KV prints as "(key,value)"), into the directory path as part-00000,
// part-00001, ..., then an empty _SUCCESS file, as Hadoop's output format
// does. The directory must not exist. Each task writes to a temporary file
// and renames it when it succeeds; when the job fails, the directory is
// removed.
func SaveAsTextFile[T any](ctx context.Context, d *Dataset[T], path string) (err error) {
	if err := d.Err(); err != nil {
		return err
	}
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("SaveAsTextFile: output directory %s already exists", path)
	}
	tmp := filepath.Join(path, "_temporary")
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return fmt.Errorf("SaveAsTextFile: %w", err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(path)
		}
	}()
	err = runJob(ctx, d, allPartitions(d.NumPartitions()), remoteAction{Kind: actSave, Path: path}, nil, func(int, any) error { return nil })
	if err != nil {
		return err
	}
	if err := os.RemoveAll(tmp); err != nil {
		return fmt.Errorf("SaveAsTextFile: %w", err)
	}
	if err := os.WriteFile(filepath.Join(path, "_SUCCESS"), nil, 0o644); err != nil {
		return fmt.Errorf("SaveAsTextFile: %w", err)
	}
	return nil
}

// saveConsumer writes partition part of SaveAsTextFile's output under
// path/_temporary and renames it to path/part-NNNNN when done. The lines and
// bytes written count as the task's output.
func saveConsumer[T any](path string, part int, m *task.Metrics) *consumer[T] {
	tmp := filepath.Join(path, "_temporary")
	var sb strings.Builder
	var f *os.File
	var werr error
	name := fmt.Sprintf("part-%05d", part)
	flush := func() error {
		if werr != nil {
			return werr
		}
		if f == nil {
			f, werr = os.CreateTemp(tmp, name+"-*")
			if werr != nil {
				return fmt.Errorf("SaveAsTextFile: %w", werr)
			}
		}
		n, err := f.WriteString(sb.String())
		m.OutputBytes.Add(int64(n))
		if werr = err; werr != nil {
			return fmt.Errorf("SaveAsTextFile: %w", werr)
		}
		sb.Reset()
		return nil
	}
	abort := func() {
		if f != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}
	return &consumer[T]{
		sink: func(b []T) error {
			for _, x := range b {
				fmt.Fprintln(&sb, x)
			}
			m.OutputRecords.Add(int64(len(b)))
			if sb.Len() >= 1<<20 {
				return flush()
			}
			return nil
		},
		abort: abort,
		done: func() (any, error) {
			if err := flush(); err != nil {
				abort()
				return nil, err
			}
			if err := f.Close(); err != nil {
				os.Remove(f.Name())
				return nil, fmt.Errorf("SaveAsTextFile: %w", err)
			}
			if err := os.Rename(f.Name(), filepath.Join(path, name)); err != nil {
				os.Remove(f.Name())
				return nil, fmt.Errorf("SaveAsTextFile: commit %s: %w", name, err)
			}
			return nil, nil
		},
	}
}
