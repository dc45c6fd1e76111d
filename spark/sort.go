package spark

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"

	"github.com/gospark/gospark/internal/codec"
	"github.com/gospark/gospark/internal/spill"
	"github.com/gospark/gospark/internal/task"
)

// SortByKey sorts a pair dataset by key: partition i holds keys no greater
// than those of partition i+1, each partition sorted. Before the shuffle a
// sampling job picks the partition boundaries (Spark's RangePartitioner).
// Use Descending() to reverse the order and Partitions(n) to choose n.
func SortByKey[K cmp.Ordered, V any](d *Dataset[KV[K, V]], opts ...Option) *Dataset[KV[K, V]] {
	return SortByKeyFunc(d, cmp.Compare[K], opts...)
}

// SortByKeyFunc is SortByKey with a comparison function for keys.
func SortByKeyFunc[K comparable, V any](d *Dataset[KV[K, V]], compare func(a, b K) int, opts ...Option) *Dataset[KV[K, V]] {
	const op = "SortByKey"
	// Spark sorts into as many partitions as the input has unless told.
	o := options{partitions: -1}
	for _, f := range opts {
		f(&o)
	}
	if o.partitions == -1 {
		o.partitions = max(partsOf(d), 1)
	}
	enc, err := codec.For[KV[K, V]]()
	if err != nil {
		return errDataset[KV[K, V]](fmt.Errorf("%s: records cannot be shuffled: %w", op, err))
	}
	n := o.partitions
	cmpKey := compare
	if o.descending {
		cmpKey = func(a, b K) int { return compare(b, a) }
	}
	rp := &rangePartitioner[K]{n: n, compare: cmpKey}
	ds, dep := shuffledDep(d, op, n, enc,
		func(ctx context.Context, tc *task.Context, w mapWriter[KV[K, V]]) error {
			return d.run(ctx, tc, tc.Partition, w.write)
		},
		func(kv *KV[K, V]) int { return rp.partition(kv.Key) },
		func(ctx context.Context, tc *task.Context, part int, read func(func([]KV[K, V]) error) error, out func([]KV[K, V]) error) error {
			s := spill.NewSorter(func(a, b KV[K, V]) int { return cmpKey(a.Key, b.Key) }, enc, spillDir(tc), spillCodec(tc.Env), tc.Env.Memory.TaskBudget())
			defer s.Close()
			defer func() { addSpillMetrics(tc.M(), s.Metrics()) }()
			if err := read(s.Add); err != nil {
				return err
			}
			return s.Output(batchSize, out)
		})
	if dep != nil {
		dep.Prepare = func(ctx context.Context) error { return sampleBounds(ctx, rp, d) }
		dep.State = rp.state
		dep.SetState = rp.setState
	}
	return ds
}

// rangePartitioner sends keys to partitions by sampled boundaries.
type rangePartitioner[K comparable] struct {
	n       int
	compare func(a, b K) int

	mu     sync.Mutex
	done   bool
	bounds []K
}

func (r *rangePartitioner[K]) partition(k K) int {
	// First bound not below k; keys above every bound go last.
	return sort.Search(len(r.bounds), func(i int) bool { return r.compare(r.bounds[i], k) >= 0 })
}

// state encodes the boundaries for map tasks in executor processes.
func (r *rangePartitioner[K]) state() ([]byte, error) {
	enc, err := codec.For[[]K]()
	if err != nil {
		return nil, fmt.Errorf("SortByKey: keys cannot be sent to executors: %w", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return enc.Append(nil, &r.bounds), nil
}

// setState installs the driver's boundaries (executor side).
func (r *rangePartitioner[K]) setState(b []byte) error {
	enc, err := codec.For[[]K]()
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done {
		return nil // the boundaries never change once computed
	}
	var bounds []K
	if _, err := enc.Decode(b, &bounds); err != nil {
		return err
	}
	r.bounds, r.done = bounds, true
	return nil
}

type keySample[K any] struct {
	count int64
	keys  []K
}

// sampleBounds runs a job that draws about 20 keys per output partition
// (at most a million in all) from the input and picks n-1 boundaries,
// weighting each input partition's keys by how many records they stand for.
// It runs once per sort, on the driver, before the map stage.
func sampleBounds[K comparable, V any](ctx context.Context, r *rangePartitioner[K], d *Dataset[KV[K, V]]) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done || r.n <= 1 {
		r.done = true
		return nil
	}
	total := min(20*r.n, 1_000_000)
	per := (3*total + d.n.nparts - 1) / d.n.nparts
	samples := make([]keySample[K], d.n.nparts)
	err := runJob(ctx, d, allPartitions(d.n.nparts), remoteAction{Kind: actSample, Per: per}, nil, func(part int, v any) error {
		sm := v.(sampled[KV[K, V]])
		ks := keySample[K]{count: sm.Count, keys: make([]K, len(sm.Recs))}
		for i := range sm.Recs {
			ks.keys[i] = sm.Recs[i].Key
		}
		samples[part] = ks
		return nil
	})
	if err != nil {
		return fmt.Errorf("sampling for the range partitioner: %w", err)
	}
	type weighted struct {
		k K
		w float64
	}
	var cands []weighted
	for _, s := range samples {
		if len(s.keys) == 0 {
			continue
		}
		w := float64(s.count) / float64(len(s.keys))
		for _, k := range s.keys {
			cands = append(cands, weighted{k, w})
		}
	}
	slices.SortFunc(cands, func(a, b weighted) int { return r.compare(a.k, b.k) })
	var sum float64
	for _, c := range cands {
		sum += c.w
	}
	step := sum / float64(r.n)
	var cum float64
	target := step
	for i, c := range cands {
		cum += c.w
		if cum < target {
			continue
		}
		// Equal keys must share a partition: skip a bound equal to the last.
		if len(r.bounds) == 0 || r.compare(r.bounds[len(r.bounds)-1], c.k) < 0 {
			r.bounds = append(r.bounds, c.k)
			target += step
		}
		if len(r.bounds) == r.n-1 || i == len(cands)-1 {
			break
		}
	}
	r.done = true
	return nil
}
