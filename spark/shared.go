package spark

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"github.com/gospark/gospark/internal/codec"
)

// Accumulator is a value that tasks add to and the driver reads, as Spark's
// AccumulatorV2. Tasks add through their TaskContext (see MapPartitions);
// each successful task's additions are merged into the value once, on the
// driver, so failed attempts add nothing.
type Accumulator[T any] struct {
	id    int64
	name  string
	merge func(T, T) T

	mu    sync.Mutex
	value T
}

// NewAccumulator registers an accumulator starting at zero; merge adds two
// values and must be associative and commutative.
func NewAccumulator[T any](s *Session, name string, zero T, merge func(a, b T) T) *Accumulator[T] {
	a := &Accumulator[T]{id: s.shared.Add(1), name: name, merge: merge, value: zero}
	s.mu.Lock()
	s.accums[a.id] = a
	s.mu.Unlock()
	return a
}

// accumSink is an accumulator as the session applies task updates to it.
type accumSink interface {
	apply(v any)
	applyEncoded(b []byte) error
}

func (a *Accumulator[T]) apply(v any) {
	a.mu.Lock()
	a.value = a.merge(a.value, v.(T))
	a.mu.Unlock()
}

// applyEncoded merges the additions of a task that ran in an executor
// process, which keeps them unmerged (it has no merge function).
func (a *Accumulator[T]) applyEncoded(b []byte) error {
	enc, err := codec.For[[]T]()
	if err != nil {
		return err
	}
	var vals []T
	if _, err := enc.Decode(b, &vals); err != nil {
		return fmt.Errorf("accumulator %q: %w", a.name, err)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, v := range vals {
		a.value = a.merge(a.value, v)
	}
	return nil
}

// pendingAccum is a task's additions to an accumulator in an executor
// process, sent to the driver to merge.
type pendingAccum[T any] struct{ vals []T }

func (p *pendingAccum[T]) EncodeAccum() ([]byte, error) {
	enc, err := codec.For[[]T]()
	if err != nil {
		return nil, fmt.Errorf("accumulator values of %T cannot be sent to the driver: %w", *new(T), err)
	}
	return enc.Append(nil, &p.vals), nil
}

// LongAccumulator is a summing int64 accumulator (sc.longAccumulator).
func LongAccumulator(s *Session, name string) *Accumulator[int64] {
	return NewAccumulator(s, name, 0, func(a, b int64) int64 { return a + b })
}

// Add adds v within a task.
func (a *Accumulator[T]) Add(tc *TaskContext, v T) {
	if a.merge == nil {
		// In an executor process: the accumulator came as an argument of
		// a plan function, without its merge function.
		tc.tc.AddAccum(a.id, &pendingAccum[T]{vals: []T{v}}, func(x, y any) any {
			p := x.(*pendingAccum[T])
			p.vals = append(p.vals, y.(*pendingAccum[T]).vals...)
			return p
		})
		return
	}
	tc.tc.AddAccum(a.id, v, func(x, y any) any { return a.merge(x.(T), y.(T)) })
}

// Value is the value merged from the successful tasks so far.
func (a *Accumulator[T]) Value() T {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.value
}

// Name is the accumulator's name.
func (a *Accumulator[T]) Name() string { return a.name }

// GobEncode lets an accumulator be an argument of a plan function: it
// travels as its id.
func (a *Accumulator[T]) GobEncode() ([]byte, error) { return binary.AppendVarint(nil, a.id), nil }

// GobDecode restores an accumulator's id.
func (a *Accumulator[T]) GobDecode(b []byte) error {
	id, n := binary.Varint(b)
	if n <= 0 {
		return errors.New("spark: bad accumulator encoding")
	}
	a.id = id
	return nil
}

// Broadcast is a read-only value shared with every task, as Spark's
// broadcast variable. Pass it to a plan function as an argument and read it
// with Value inside the functions of the plan.
type Broadcast[T any] struct {
	id    int64
	value T

	// In an executor process the value is fetched from the driver once.
	sess *Session
	once sync.Once
	err  error
}

// NewBroadcast makes v available to tasks. v must be encodable (it is
// shipped to executor processes once each).
func NewBroadcast[T any](s *Session, v T) (*Broadcast[T], error) {
	if err := s.usable(); err != nil {
		return nil, err
	}
	if _, err := codec.For[T](); err != nil {
		return nil, fmt.Errorf("spark: broadcast value cannot be shipped to executors: %w", err)
	}
	b := &Broadcast[T]{id: s.shared.Add(1), value: v}
	s.mu.Lock()
	s.broadcasts[b.id] = func() ([]byte, error) {
		enc, err := codec.For[T]()
		if err != nil {
			return nil, err
		}
		return enc.Append(nil, &b.value), nil
	}
	s.mu.Unlock()
	return b, nil
}

// Value is the broadcast value. In an executor process it is fetched from
// the driver the first time; a failure to fetch it panics, which fails the
// task.
func (b *Broadcast[T]) Value() T {
	if b.sess == nil || b.sess.remote == nil {
		return b.value
	}
	b.once.Do(func() {
		p, err := b.sess.remote.broadcastBytes(b.sess.stopping, b.id)
		if err != nil {
			b.err = err
			return
		}
		enc, err := codec.For[T]()
		if err == nil {
			_, err = enc.Decode(p, &b.value)
		}
		b.err = err
	})
	if b.err != nil {
		panic(fmt.Sprintf("spark: broadcast %d: %v", b.id, b.err))
	}
	return b.value
}

// resolve ties a broadcast variable decoded in an executor's replay to
// the session that can fetch its value.
func (b *Broadcast[T]) resolve(s *Session) error {
	b.sess = s
	return nil
}

// GobEncode lets a broadcast variable be an argument of a plan function:
// it travels as its id.
func (b *Broadcast[T]) GobEncode() ([]byte, error) { return binary.AppendVarint(nil, b.id), nil }

// GobDecode restores a broadcast variable's id.
func (b *Broadcast[T]) GobDecode(p []byte) error {
	id, n := binary.Varint(p)
	if n <= 0 {
		return errors.New("spark: bad broadcast encoding")
	}
	b.id = id
	return nil
}
