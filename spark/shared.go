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
	s.accums[a.id] = func(v any) {
		a.mu.Lock()
		a.value = a.merge(a.value, v.(T))
		a.mu.Unlock()
	}
	s.mu.Unlock()
	return a
}

// LongAccumulator is a summing int64 accumulator (sc.longAccumulator).
func LongAccumulator(s *Session, name string) *Accumulator[int64] {
	return NewAccumulator(s, name, 0, func(a, b int64) int64 { return a + b })
}

// Add adds v within a task.
func (a *Accumulator[T]) Add(tc *TaskContext, v T) {
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
	return &Broadcast[T]{id: s.shared.Add(1), value: v}, nil
}

// Value is the broadcast value.
func (b *Broadcast[T]) Value() T { return b.value }

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
