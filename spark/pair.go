package spark

import (
	"context"
	"fmt"

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

// GosparkCodec builds the pair's record codec from its key's and value's
// codecs; it returns an error value when either has none.
func (KV[K, V]) GosparkCodec() any {
	kc, err := codec.For[K]()
	if err != nil {
		return fmt.Errorf("key: %w", err)
	}
	vc, err := codec.For[V]()
	if err != nil {
		return fmt.Errorf("value: %w", err)
	}
	return codec.Codec[KV[K, V]](kvCodec[K, V]{kc, vc})
}

type kvCodec[K comparable, V any] struct {
	k codec.Codec[K]
	v codec.Codec[V]
}

func (c kvCodec[K, V]) Append(dst []byte, kv *KV[K, V]) []byte {
	return c.v.Append(c.k.Append(dst, &kv.Key), &kv.Value)
}

func (c kvCodec[K, V]) Decode(src []byte, kv *KV[K, V]) (int, error) {
	n, err := c.k.Decode(src, &kv.Key)
	if err != nil {
		return 0, err
	}
	m, err := c.v.Decode(src[n:], &kv.Value)
	if err != nil {
		return 0, err
	}
	return n + m, nil
}

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
		if err := read(); err != nil {
			return err
		}
		bt := newBatcher(out)
		if err := m.Output(func(k K, c C) error { return bt.add(KV[K, C]{k, c}) }); err != nil {
			return err
		}
		return bt.flush()
	}
	newMap := func(tc *task.Context) *spill.Map[K, V, C] {
		return spill.NewMap(agg, kc, vc, cc, hash, spillDir(tc), spillCodec(tc.Env), tc.Env.Memory.TaskBudget())
	}
	if !mapSide {
		enc := codec.Codec[KV[K, V]](kvCodec[K, V]{kc, vc})
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
	enc := codec.Codec[KV[K, C]](kvCodec[K, C]{kc, cc})
	part := func(kv *KV[K, C]) int { return int(hash(&kv.Key) % uint64(n)) }
	return shuffled(d, op, n, enc,
		func(ctx context.Context, tc *task.Context, w mapWriter[KV[K, C]]) error {
			return combineMapSide(ctx, tc, d, agg, kc, vc, cc, hash, n, w)
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

// combineMapSide combines a map partition's records per key in memory, one
// hash map per reducer, and writes the combined pairs reducer by reducer;
// when the maps outgrow the task's budget they are written out early and
// started again (the reducers combine the pieces).
func combineMapSide[K comparable, V, C any](ctx context.Context, tc *task.Context, d *Dataset[KV[K, V]], agg spill.Aggregator[V, C],
	kc codec.Codec[K], vc codec.Codec[V], cc codec.Codec[C], hash func(*K) uint64, n int, w mapWriter[KV[K, C]]) error {
	budget := tc.Env.Memory.TaskBudget() / 2 // the writer's buffers take the other half
	ksize, csize, vsize := spill.SizerFor(kc), spill.SizerFor(cc), spill.SizerFor(vc)
	// Keys map to an index into vals: an existing key costs one map
	// lookup, and the combiner is updated in place.
	type bucket struct {
		idx  map[K]int32
		vals []C
	}
	buckets := make([]bucket, n)
	for i := range buckets {
		buckets[i].idx = make(map[K]int32)
	}
	var est int64
	flush := func() error {
		var kv KV[K, C]
		for p := range buckets {
			b := &buckets[p]
			for k, i := range b.idx {
				kv.Key, kv.Value = k, b.vals[i]
				if err := w.writeTo(p, &kv); err != nil {
					return err
				}
			}
			b.idx, b.vals = make(map[K]int32), nil
		}
		est = 0
		return nil
	}
	err := d.run(ctx, tc, tc.Partition, func(batch []KV[K, V]) error {
		for i := range batch {
			kv := &batch[i]
			b := &buckets[hash(&kv.Key)%uint64(n)]
			if j, ok := b.idx[kv.Key]; ok {
				b.vals[j] = agg.MergeValue(b.vals[j], kv.Value)
				if agg.Grows {
					est += vsize(&kv.Value)
				}
				continue
			}
			c := agg.Create(kv.Value)
			b.idx[kv.Key] = int32(len(b.vals))
			b.vals = append(b.vals, c)
			est += 40 + ksize(&kv.Key) + csize(&c)
		}
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
