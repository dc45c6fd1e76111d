package spark

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/gospark/gospark/internal/codec"
	"github.com/gospark/gospark/internal/spill"
	"github.com/gospark/gospark/internal/task"
)

// KV is a key-value pair, the record type of the key-based operations
// (Spark's Tuple2 in a pair RDD).
type KV[K comparable, V any] struct {
	Key   K
	Value V
}

// String formats the pair as Spark prints a tuple: (key,value).
func (kv KV[K, V]) String() string { return fmt.Sprintf("(%v,%v)", kv.Key, kv.Value) }

// Option adjusts a shuffle operation.
type Option func(*options)

type options struct {
	partitions int
	descending bool
}

// Partitions sets the number of partitions an operation produces.
func Partitions(n int) Option { return func(o *options) { o.partitions = n } }

// Descending makes SortByKey sort from the largest key down.
func Descending() Option { return func(o *options) { o.descending = true } }

// shuffleOptions applies opts; the default partition count is
// spark.default.parallelism when set, else the largest parent's, as Spark's
// default partitioner.
func shuffleOptions(p *Plan, parentParts []int, opts []Option) (options, error) {
	o := options{partitions: -1}
	for _, f := range opts {
		f(&o)
	}
	switch {
	case o.partitions == -1 && p != nil && p.explicitParallelism > 0:
		o.partitions = p.explicitParallelism
	case o.partitions == -1:
		o.partitions = 1
		for _, n := range parentParts {
			o.partitions = max(o.partitions, n)
		}
	case o.partitions < 1:
		return o, fmt.Errorf("want at least 1 partition, got %d", o.partitions)
	}
	return o, nil
}

func planOf[T any](d *Dataset[T]) *Plan {
	if d == nil || d.err != nil {
		return nil
	}
	return d.n.plan
}

func partsOf[T any](d *Dataset[T]) int {
	if d == nil || d.err != nil {
		return 0
	}
	return d.n.nparts
}

// kvCodecs returns the codecs and partition hash of a pair dataset's types.
func kvCodecs[K comparable, V any]() (codec.Codec[K], codec.Codec[V], func(*K) uint64, error) {
	kc, err := codec.For[K]()
	if err != nil {
		return nil, nil, nil, fmt.Errorf("keys cannot be shuffled: %w", err)
	}
	vc, err := codec.For[V]()
	if err != nil {
		return nil, nil, nil, fmt.Errorf("values cannot be shuffled: %w", err)
	}
	return kc, vc, codec.HasherFor(kc), nil
}

// combineByKey is the engine of the by-key aggregations: records are
// combined per key on the map side when mapSide is set (within the task's
// memory budget), hash-partitioned by key, and combined again on the reduce
// side in a spilling map.
func combineByKey[K comparable, V, C any](d *Dataset[KV[K, V]], op string, agg spill.Aggregator[V, C], mapSide bool, opts []Option) *Dataset[KV[K, C]] {
	o, err := shuffleOptions(planOf(d), []int{partsOf(d)}, opts)
	if err != nil {
		return errDataset[KV[K, C]](fmt.Errorf("%s: %w", op, err))
	}
	kc, vc, hash, err := kvCodecs[K, V]()
	if err != nil {
		return errDataset[KV[K, C]](fmt.Errorf("%s: %w", op, err))
	}
	cc, err := codec.For[C]()
	if err != nil {
		return errDataset[KV[K, C]](fmt.Errorf("%s: combined values cannot be shuffled: %w", op, err))
	}
	n := o.partitions
	reduce := func(ctx context.Context, tc *task.Context, part int, m *spill.Map[K, V, C], read func() error, out func([]KV[K, C]) error) error {
		defer m.Close()
		defer func() { addSpillMetrics(tc.M(), m.Metrics()) }()
		if err := read(); err != nil {
			return err
		}
		bt := newBatcher(out)
		if err := m.Output(func(k K, c C) error { return bt.add(KV[K, C]{k, c}) }); err != nil {
			return err
		}
		return bt.flush()
	}
	// Size hints learned from earlier tasks of this shuffle.
	var mapHint, reduceHint atomic.Int64
	newMap := func(tc *task.Context) *spill.Map[K, V, C] {
		return spill.NewMap(agg, kc, vc, cc, hash, spillDir(tc), spillCodec(tc.Env), tc.Env.Memory.TaskBudget(), &reduceHint)
	}
	if !mapSide {
		enc, err := codec.For[KV[K, V]]()
		if err != nil {
			return errDataset[KV[K, C]](fmt.Errorf("%s: records cannot be shuffled: %w", op, err))
		}
		part := func(kv *KV[K, V]) int { return int(hash(&kv.Key) % uint64(n)) }
		return shuffled(d, op, n, enc,
			func(ctx context.Context, tc *task.Context, w mapWriter[KV[K, V]]) error {
				return d.run(ctx, tc, tc.Partition, w.write)
			}, part,
			func(ctx context.Context, tc *task.Context, p int, read func(func([]KV[K, V]) error) error, out func([]KV[K, C]) error) error {
				m := newMap(tc)
				return reduce(ctx, tc, p, m, func() error {
					return read(func(b []KV[K, V]) error {
						for i := range b {
							if err := m.Insert(b[i].Key, b[i].Value); err != nil {
								return err
							}
						}
						return nil
					})
				}, out)
			})
	}
	enc, err := codec.For[KV[K, C]]()
	if err != nil {
		return errDataset[KV[K, C]](fmt.Errorf("%s: combined records cannot be shuffled: %w", op, err))
	}
	part := func(kv *KV[K, C]) int { return int(hash(&kv.Key) % uint64(n)) }
	return shuffled(d, op, n, enc,
		func(ctx context.Context, tc *task.Context, w mapWriter[KV[K, C]]) error {
			return combineMapSide(ctx, tc, d, agg, kc, vc, cc, hash, n, &mapHint, w)
		}, part,
		func(ctx context.Context, tc *task.Context, p int, read func(func([]KV[K, C]) error) error, out func([]KV[K, C]) error) error {
			m := newMap(tc)
			return reduce(ctx, tc, p, m, func() error {
				return read(func(b []KV[K, C]) error {
					for i := range b {
						if err := m.InsertCombiner(b[i].Key, b[i].Value); err != nil {
							return err
						}
					}
					return nil
				})
			}, out)
		})
}

// A map task looks at how much its first combineProbe records combine; when
// more than combineSkipRatio of them have distinct keys it stops combining
// and writes the rest as they come (the reducers combine everything), as
// Spark SQL skips partial aggregation that does not reduce its input.
const (
	combineProbe     = 100_000
	combineSkipRatio = 0.8
)

// combineMapSide combines a map partition's records per key in memory, one
// hash map per reducer, and writes the combined pairs reducer by reducer;
// when the maps outgrow the task's budget they are written out early and
// started again (the reducers combine the pieces).
func combineMapSide[K comparable, V, C any](ctx context.Context, tc *task.Context, d *Dataset[KV[K, V]], agg spill.Aggregator[V, C],
	kc codec.Codec[K], vc codec.Codec[V], cc codec.Codec[C], hash func(*K) uint64, n int, hint *atomic.Int64, w mapWriter[KV[K, C]]) error {
	budget := tc.Env.Memory.TaskBudget() / 2 // the writer's buffers take the other half
	ksize, csize, vsize := spill.SizerFor(kc), spill.SizerFor(cc), spill.SizerFor(vc)
	// Maps start at the size earlier tasks of this shuffle reached, which
	// spares most of their growth.
	size := int(hint.Load())
	maps := make([]map[K]C, n)
	for i := range maps {
		maps[i] = make(map[K]C, size)
	}
	var est, peak int64
	// The maps' estimated size counts as the task's execution memory.
	defer func() { tc.M().PeakExecutionMemory.Add(peak) }()
	flush := func() error {
		peak = max(peak, est)
		var kv KV[K, C]
		for p, m := range maps {
			if l := int64(len(m)); l > hint.Load() {
				hint.Store(l)
			}
			for k, c := range m {
				kv.Key, kv.Value = k, c
				if err := w.writeTo(p, &kv); err != nil {
					return err
				}
			}
			maps[p] = make(map[K]C, size)
		}
		est = 0
		return nil
	}
	seen, passThrough := 0, false
	err := d.run(ctx, tc, tc.Partition, func(b []KV[K, V]) error {
		if passThrough {
			var out KV[K, C]
			for i := range b {
				out.Key, out.Value = b[i].Key, agg.Create(b[i].Value)
				if err := w.writeOne(&out); err != nil {
					return err
				}
			}
			return nil
		}
		for i := range b {
			kv := &b[i]
			m := maps[hash(&kv.Key)%uint64(n)]
			if c, ok := m[kv.Key]; ok {
				m[kv.Key] = agg.MergeValue(c, kv.Value)
				if agg.Grows {
					est += vsize(&kv.Value)
				}
				continue
			}
			c := agg.Create(kv.Value)
			m[kv.Key] = c
			est += 48 + ksize(&kv.Key) + csize(&c)
		}
		if seen < combineProbe && seen+len(b) >= combineProbe {
			distinct := 0
			for _, m := range maps {
				distinct += len(m)
			}
			if float64(distinct) > combineSkipRatio*float64(seen+len(b)) {
				// Keys hardly repeat: combining costs more than it saves.
				passThrough = true
				seen += len(b)
				return flush()
			}
		}
		seen += len(b)
		if est > budget {
			return flush()
		}
		return nil
	})
	if err != nil {
		return err
	}
	return flush()
}

func spillDir(tc *task.Context) string { return tc.Env.LocalDir + "/spill" }

// ReduceByKey merges the values of each key with f, which must be
// associative and commutative; values are combined on the map side first.
func ReduceByKey[K comparable, V any](d *Dataset[KV[K, V]], f func(V, V) V, opts ...Option) *Dataset[KV[K, V]] {
	return combineByKey(d, "ReduceByKey", spill.Aggregator[V, V]{
		Create: func(v V) V { return v }, MergeValue: f, MergeCombiners: f,
	}, true, opts)
}

// GroupByKey collects the values of each key. As in Spark there is no
// map-side combining, and a single key's values must fit in memory; the set
// of keys need not.
func GroupByKey[K comparable, V any](d *Dataset[KV[K, V]], opts ...Option) *Dataset[KV[K, []V]] {
	return combineByKey(d, "GroupByKey", spill.Aggregator[V, []V]{
		Create:         func(v V) []V { return []V{v} },
		MergeValue:     func(c []V, v V) []V { return append(c, v) },
		MergeCombiners: func(a, b []V) []V { return append(a, b...) },
		Grows:          true,
	}, false, opts)
}

// AggregateByKey folds the values of each key into an accumulator that
// starts at zero: seq adds a value, comb merges two accumulators. zero is
// copied by assignment, so a zero holding a slice or map is shared: use a
// value type or build fresh state in seq.
func AggregateByKey[K comparable, V, U any](d *Dataset[KV[K, V]], zero U, seq func(U, V) U, comb func(U, U) U, opts ...Option) *Dataset[KV[K, U]] {
	return combineByKey(d, "AggregateByKey", spill.Aggregator[V, U]{
		Create: func(v V) U { return seq(zero, v) }, MergeValue: seq, MergeCombiners: comb,
	}, true, opts)
}

// Distinct removes duplicate records.
func Distinct[T comparable](d *Dataset[T], opts ...Option) *Dataset[T] {
	pairs := Map(d, func(x T) KV[T, struct{}] { return KV[T, struct{}]{Key: x} })
	uniq := ReduceByKey(pairs, func(a, _ struct{}) struct{} { return a }, opts...)
	return Map(uniq, func(kv KV[T, struct{}]) T { return kv.Key })
}
