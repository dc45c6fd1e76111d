package spill

import (
	"cmp"
	"os"
	"slices"
	"sync/atomic"

	"github.com/gospark/gospark/internal/codec"
	"github.com/gospark/gospark/internal/compress"
)

// Aggregator combines values of type V into combiners of type C, as Spark's
// Aggregator does: Create starts a combiner from a value, MergeValue adds a
// value, MergeCombiners merges two combiners of the same key. Grows says
// whether combiners grow with each value (groupByKey) or stay one size
// (reduceByKey); it steers the size estimate.
type Aggregator[V, C any] struct {
	Create         func(V) C
	MergeValue     func(C, V) C
	MergeCombiners func(C, C) C
	Grows          bool
}

// entry is one key and its combiner, as spilled.
type entry[K comparable, C any] struct {
	H uint64 // hash of K; not encoded, recomputed on decode
	K K
	C C
}

type entryCodec[K comparable, C any] struct {
	k    codec.Codec[K]
	c    codec.Codec[C]
	hash func(*K) uint64
}

func (e entryCodec[K, C]) Append(dst []byte, v *entry[K, C]) []byte {
	return e.c.Append(e.k.Append(dst, &v.K), &v.C)
}

func (e entryCodec[K, C]) Decode(src []byte, v *entry[K, C]) (int, error) {
	n, err := e.k.Decode(src, &v.K)
	if err != nil {
		return 0, err
	}
	m, err := e.c.Decode(src[n:], &v.C)
	if err != nil {
		return 0, err
	}
	v.H = e.hash(&v.K)
	return n + m, nil
}

// entryOverhead approximates a Go map entry's bookkeeping.
const entryOverhead = 32

// Map aggregates values by key within a memory budget, spilling sorted runs
// to dir when the estimate passes it.
type Map[K comparable, V, C any] struct {
	agg    Aggregator[V, C]
	m      map[K]C
	hash   func(*K) uint64
	ec     entryCodec[K, C]
	ksize  Sizer[K]
	vsize  Sizer[V]
	csize  Sizer[C]
	budget int64
	est    int64
	dir    string
	comp   compress.Codec
	runs   []string
	hint   *atomic.Int64

	metrics Metrics
}

// Metrics is what a Map or Sorter measured, for its task's metrics.
type Metrics struct {
	// MemoryBytesSpilled is the estimated in-memory size of what was
	// spilled; DiskBytesSpilled the bytes written to run files.
	MemoryBytesSpilled, DiskBytesSpilled int64
	// PeakMemory is the largest estimated size held in memory, as
	// observed when spilling or producing output.
	PeakMemory int64
}

// NewMap returns an empty map. hash must be the same function in every
// process; comp compresses spill files. hint, when not nil, is a size hint
// shared by the tasks of one shuffle: the map starts at the largest size an
// earlier task reached (without passing its budget) and records its own.
func NewMap[K comparable, V, C any](agg Aggregator[V, C], kc codec.Codec[K], vc codec.Codec[V], cc codec.Codec[C],
	hash func(*K) uint64, dir string, comp compress.Codec, budget int64, hint *atomic.Int64) *Map[K, V, C] {
	size := 0
	if hint != nil {
		size = int(hint.Load())
	}
	return &Map[K, V, C]{
		hint: hint,
		agg:  agg, m: make(map[K]C, size), hash: hash, ec: entryCodec[K, C]{kc, cc, hash},
		ksize: SizerFor(kc), vsize: SizerFor(vc), csize: SizerFor(cc),
		budget: budget, dir: dir, comp: comp,
	}
}

// Insert adds one value.
func (m *Map[K, V, C]) Insert(k K, v V) error {
	if c, ok := m.m[k]; ok {
		m.m[k] = m.agg.MergeValue(c, v)
		if m.agg.Grows {
			m.est += m.vsize(&v)
		}
	} else {
		c := m.agg.Create(v)
		m.m[k] = c
		m.est += entryOverhead + m.ksize(&k) + m.csize(&c)
	}
	if m.est > m.budget {
		return m.spill()
	}
	return nil
}

// InsertCombiner adds an already combined value.
func (m *Map[K, V, C]) InsertCombiner(k K, c C) error {
	if old, ok := m.m[k]; ok {
		m.m[k] = m.agg.MergeCombiners(old, c)
		if m.agg.Grows {
			m.est += m.csize(&c)
		}
	} else {
		m.m[k] = c
		m.est += entryOverhead + m.ksize(&k) + m.csize(&c)
	}
	if m.est > m.budget {
		return m.spill()
	}
	return nil
}

// Len is the number of keys held in memory.
func (m *Map[K, V, C]) Len() int { return len(m.m) }

// Spills is the number of runs written to disk.
func (m *Map[K, V, C]) Spills() int { return len(m.runs) }

// Estimate is the estimated memory held.
func (m *Map[K, V, C]) Estimate() int64 { return m.est }

// Metrics returns what the map measured so far.
func (m *Map[K, V, C]) Metrics() Metrics {
	mt := m.metrics
	mt.PeakMemory = max(mt.PeakMemory, m.est)
	return mt
}

func (m *Map[K, V, C]) sorted() []entry[K, C] {
	es := make([]entry[K, C], 0, len(m.m))
	for k, c := range m.m {
		es = append(es, entry[K, C]{m.hash(&k), k, c})
	}
	slices.SortFunc(es, func(a, b entry[K, C]) int { return cmp.Compare(a.H, b.H) })
	return es
}

func (m *Map[K, V, C]) spill() error {
	es := m.sorted()
	m.m = make(map[K]C)
	m.metrics.PeakMemory = max(m.metrics.PeakMemory, m.est)
	m.metrics.MemoryBytesSpilled += m.est
	m.est = 0
	w, err := newRunWriter[entry[K, C]](m.dir, m.comp, m.ec)
	if err != nil {
		return err
	}
	for i := range es {
		if err := w.add(&es[i]); err != nil {
			w.abort()
			return err
		}
	}
	path, err := w.finish()
	if err != nil {
		return err
	}
	m.metrics.DiskBytesSpilled += w.written()
	m.runs = append(m.runs, path)
	return nil
}

// Output calls emit once per key with its fully combined value and empties
// the map. Without spills the order is the map's; with spills keys come in
// hash order.
func (m *Map[K, V, C]) Output(emit func(K, C) error) error {
	defer m.Close()
	m.metrics.PeakMemory = max(m.metrics.PeakMemory, m.est)
	if m.hint != nil && len(m.runs) == 0 && int64(len(m.m)) > m.hint.Load() {
		m.hint.Store(int64(len(m.m)))
	}
	if len(m.runs) == 0 {
		for k, c := range m.m {
			if err := emit(k, c); err != nil {
				return err
			}
		}
		m.m = nil
		return nil
	}
	mem := m.sorted()
	m.m = nil
	srcs := []source[entry[K, C]]{&sliceSource[entry[K, C]]{s: mem}}
	var readers []*runReader[entry[K, C]]
	defer func() {
		for _, r := range readers {
			r.close()
		}
	}()
	for _, p := range m.runs {
		r, err := openRun(p, m.comp, codec.Codec[entry[K, C]](m.ec))
		if err != nil {
			return err
		}
		readers = append(readers, r)
		srcs = append(srcs, r)
	}
	// Entries with equal hashes arrive together; among them, equal keys
	// are combined before being emitted.
	var group []entry[K, C]
	var groupHash uint64
	flush := func() error {
		for _, e := range group {
			if err := emit(e.K, e.C); err != nil {
				return err
			}
		}
		clear(group)
		group = group[:0]
		return nil
	}
	err := merge(srcs, func(a, b *entry[K, C]) int { return cmp.Compare(a.H, b.H) },
		func(e *entry[K, C]) error {
			h := e.H
			if len(group) > 0 && h != groupHash {
				if err := flush(); err != nil {
					return err
				}
			}
			groupHash = h
			for i := range group {
				if group[i].K == e.K {
					group[i].C = m.agg.MergeCombiners(group[i].C, e.C)
					return nil
				}
			}
			group = append(group, *e)
			return nil
		})
	if err != nil {
		return err
	}
	return flush()
}

// Close removes the map's run files.
func (m *Map[K, V, C]) Close() {
	for _, p := range m.runs {
		_ = os.Remove(p)
	}
	m.runs = nil
}
