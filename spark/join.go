package spark

import (
	"context"
	"fmt"

	"github.com/gospark/gospark/internal/codec"
	"github.com/gospark/gospark/internal/scheduler"
	"github.com/gospark/gospark/internal/spill"
	"github.com/gospark/gospark/internal/task"
)

// CoGrouped holds, for one key, the values it has in each of two datasets.
type CoGrouped[V, W any] struct {
	Left  []V
	Right []W
}

// Joined is one matching pair of values of a join.
type Joined[V, W any] struct {
	Left  V
	Right W
}

// Optional is a value that may be absent (Spark's Option), as the right
// side of a left outer join.
type Optional[T any] struct {
	Value T
	Ok    bool
}

// side carries a value of either dataset into the cogroup aggregation.
type side[V, W any] struct {
	Right bool
	L     V
	R     W
}

// CoGroup groups two pair datasets by key: every key of either dataset
// appears once with all its values from each side.
func CoGroup[K comparable, V, W any](a *Dataset[KV[K, V]], b *Dataset[KV[K, W]], opts ...Option) *Dataset[KV[K, CoGrouped[V, W]]] {
	type out = KV[K, CoGrouped[V, W]]
	const op = "CoGroup"
	if a == nil || b == nil {
		return errDataset[out](fmt.Errorf("%s: nil dataset", op))
	}
	p, err := parentsOK(op, []*Plan{planOf(a), planOf(b)}, []error{a.err, b.err})
	if err != nil {
		return errDataset[out](err)
	}
	o, err := shuffleOptions(p, []int{a.n.nparts, b.n.nparts}, opts)
	if err != nil {
		return errDataset[out](fmt.Errorf("%s: %w", op, err))
	}
	kc, _, hash, err := kvCodecs[K, V]()
	if err != nil {
		return errDataset[out](fmt.Errorf("%s: %w", op, err))
	}
	sc, err := codec.For[side[V, W]]()
	if err != nil {
		return errDataset[out](fmt.Errorf("%s: %w", op, err))
	}
	cc, err := codec.For[CoGrouped[V, W]]()
	if err != nil {
		return errDataset[out](fmt.Errorf("%s: %w", op, err))
	}
	n := o.partitions
	encA, err := codec.For[KV[K, V]]()
	if err != nil {
		return errDataset[out](fmt.Errorf("%s: %w", op, err))
	}
	encB, err := codec.For[KV[K, W]]()
	if err != nil {
		return errDataset[out](fmt.Errorf("%s: %w", op, err))
	}
	depA := newShuffleDep(p, a.n, n, encA, func(kv *KV[K, V]) int { return int(hash(&kv.Key) % uint64(n)) },
		func(ctx context.Context, tc *task.Context, w mapWriter[KV[K, V]]) error {
			return a.run(ctx, tc, tc.Partition, w.write)
		})
	depB := newShuffleDep(p, b.n, n, encB, func(kv *KV[K, W]) int { return int(hash(&kv.Key) % uint64(n)) },
		func(ctx context.Context, tc *task.Context, w mapWriter[KV[K, W]]) error {
			return b.run(ctx, tc, tc.Partition, w.write)
		})
	agg := spill.Aggregator[side[V, W], CoGrouped[V, W]]{
		Create: func(s side[V, W]) CoGrouped[V, W] {
			if s.Right {
				return CoGrouped[V, W]{Right: []W{s.R}}
			}
			return CoGrouped[V, W]{Left: []V{s.L}}
		},
		MergeValue: func(c CoGrouped[V, W], s side[V, W]) CoGrouped[V, W] {
			if s.Right {
				c.Right = append(c.Right, s.R)
			} else {
				c.Left = append(c.Left, s.L)
			}
			return c
		},
		MergeCombiners: func(x, y CoGrouped[V, W]) CoGrouped[V, W] {
			x.Left = append(x.Left, y.Left...)
			x.Right = append(x.Right, y.Right...)
			return x
		},
		Grows: true,
	}
	nd := &node{plan: p, id: p.nextNodeID(), name: callSite(op), nparts: n,
		deps: []scheduler.Dep{{Parent: a.n, Shuffle: depA}, {Parent: b.n, Shuffle: depB}}}
	return newDataset(nd, func(ctx context.Context, tc *task.Context, part int, emit func([]out) error) error {
		m := spill.NewMap(agg, kc, sc, cc, hash, spillDir(tc), spillCodec(tc.Env), tc.Env.Memory.TaskBudget(), nil)
		defer m.Close()
		defer func() { addSpillMetrics(tc.M(), m.Metrics()) }()
		err := readShuffle(ctx, tc, depA, encA, part, func(batch []KV[K, V]) error {
			for i := range batch {
				if err := m.Insert(batch[i].Key, side[V, W]{L: batch[i].Value}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		err = readShuffle(ctx, tc, depB, encB, part, func(batch []KV[K, W]) error {
			for i := range batch {
				if err := m.Insert(batch[i].Key, side[V, W]{Right: true, R: batch[i].Value}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		bt := newBatcher(emit)
		if err := m.Output(func(k K, c CoGrouped[V, W]) error { return bt.add(out{k, c}) }); err != nil {
			return err
		}
		return bt.flush()
	})
}

// Join is the inner join of two pair datasets: one record per pair of
// values that share a key.
func Join[K comparable, V, W any](a *Dataset[KV[K, V]], b *Dataset[KV[K, W]], opts ...Option) *Dataset[KV[K, Joined[V, W]]] {
	return FlatMap(CoGroup(a, b, opts...), func(g KV[K, CoGrouped[V, W]]) []KV[K, Joined[V, W]] {
		var res []KV[K, Joined[V, W]]
		for _, v := range g.Value.Left {
			for _, w := range g.Value.Right {
				res = append(res, KV[K, Joined[V, W]]{g.Key, Joined[V, W]{v, w}})
			}
		}
		return res
	})
}

// LeftOuterJoin keeps every record of a, paired with each matching value of
// b, or with an absent Optional when the key is not in b.
func LeftOuterJoin[K comparable, V, W any](a *Dataset[KV[K, V]], b *Dataset[KV[K, W]], opts ...Option) *Dataset[KV[K, Joined[V, Optional[W]]]] {
	type rec = KV[K, Joined[V, Optional[W]]]
	return FlatMap(CoGroup(a, b, opts...), func(g KV[K, CoGrouped[V, W]]) []rec {
		var res []rec
		for _, v := range g.Value.Left {
			if len(g.Value.Right) == 0 {
				res = append(res, rec{g.Key, Joined[V, Optional[W]]{Left: v}})
				continue
			}
			for _, w := range g.Value.Right {
				res = append(res, rec{g.Key, Joined[V, Optional[W]]{v, Optional[W]{w, true}}})
			}
		}
		return res
	})
}
