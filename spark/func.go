package spark

import (
	"bytes"
	"encoding/gob"
	"errors"
	"fmt"
	"runtime"
	"sync"

	"github.com/gospark/gospark/internal/config"
	"github.com/gospark/gospark/internal/task"
)

// ErrOutsideFunc is the error of a dataset built outside a registered plan
// function.
var ErrOutsideFunc = errors.New("dataset built outside a registered function: build datasets inside a function " +
	"registered with spark.Func0..Func4 (at package initialization) and obtain them with its Call method")

// registry holds the plan functions of the program, in registration order.
// Every process of an application registers the same functions in the same
// order, so an index names a function everywhere.
var registry struct {
	mu     sync.Mutex
	funcs  []*funcEntry
	frozen bool
}

type funcEntry struct {
	index int
	site  string
}

func register() *funcEntry {
	_, file, line, _ := runtime.Caller(2)
	site := fmt.Sprintf("%s:%d", file, line)
	registry.mu.Lock()
	defer registry.mu.Unlock()
	if registry.frozen {
		panic(fmt.Sprintf("spark: plan function registered at %s after a Session started; "+
			"register plan functions at package initialization (var f = spark.Func1(...))", site))
	}
	e := &funcEntry{index: len(registry.funcs), site: site}
	registry.funcs = append(registry.funcs, e)
	return e
}

func freezeRegistry() {
	registry.mu.Lock()
	registry.frozen = true
	registry.mu.Unlock()
}

// Plan builds the datasets of one call of a registered function. It is
// handed to the function and is valid only while the function runs.
type Plan struct {
	seq         int64
	fn          *funcEntry
	args        []byte // gob encoding of the call's arguments
	conf        *config.Conf
	parallelism int
	// explicitParallelism is spark.default.parallelism when set (else 0).
	explicitParallelism int
	env                 *task.Env
	sess                *Session

	mu      sync.Mutex
	sealed  bool
	nodes   int
	shuffle int
	err     error
}

// check returns the error of using p to build a dataset now.
func (p *Plan) check() error {
	if p == nil {
		return ErrOutsideFunc
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.sealed {
		return fmt.Errorf("%w (the plan of %s was used after the function returned)", ErrOutsideFunc, p.fn.site)
	}
	return nil
}

func (p *Plan) seal() {
	p.mu.Lock()
	p.sealed = true
	p.mu.Unlock()
}

func (p *Plan) nextNodeID() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.nodes++
	return p.seq<<24 | int64(p.nodes)
}

func (p *Plan) nextShuffleID() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.shuffle++
	return p.seq<<24 | int64(p.shuffle)
}

// DefaultParallelism is the number of partitions used when an operation is
// given none: spark.default.parallelism, else the executors' total cores.
func (p *Plan) DefaultParallelism() int { return p.parallelism }

// call runs a registered function on a new plan and seals it.
func call[T any](s *Session, e *funcEntry, args []any, build func(*Plan) *Dataset[T]) (ds *Dataset[T]) {
	if s == nil {
		return &Dataset[T]{err: errors.New("spark: Call needs a Session (spark.NewSession)")}
	}
	p := s.newPlan(e)
	var buf bytes.Buffer
	enc := gob.NewEncoder(&buf)
	for i, a := range args {
		if err := enc.Encode(a); err != nil {
			return &Dataset[T]{err: fmt.Errorf("spark: argument %d (%T) of the function at %s cannot be encoded for executors: %w", i+1, a, e.site, err)}
		}
	}
	p.args = buf.Bytes()
	defer func() {
		p.seal()
		if v := recover(); v != nil {
			ds = &Dataset[T]{err: fmt.Errorf("spark: the function at %s panicked while building its plan: %v", e.site, v)}
		}
	}()
	ds = build(p)
	switch {
	case ds == nil:
		return &Dataset[T]{err: fmt.Errorf("spark: the function at %s returned a nil dataset", e.site)}
	case ds.err != nil:
		return ds
	case ds.n.plan != p:
		return &Dataset[T]{err: fmt.Errorf("spark: the function at %s returned a dataset built by another call", e.site)}
	}
	return ds
}

// Func0Of is a registered plan function without arguments.
type Func0Of[T any] struct {
	e *funcEntry
	f func(*Plan) *Dataset[T]
}

// Func0 registers a plan function. Call it at package initialization.
func Func0[T any](f func(*Plan) *Dataset[T]) *Func0Of[T] { return &Func0Of[T]{register(), f} }

// Call builds the function's plan in s.
func (f *Func0Of[T]) Call(s *Session) *Dataset[T] {
	return call(s, f.e, nil, func(p *Plan) *Dataset[T] { return f.f(p) })
}

// Func1Of is a registered plan function of one argument.
type Func1Of[A, T any] struct {
	e *funcEntry
	f func(*Plan, A) *Dataset[T]
}

// Func1 registers a plan function. Call it at package initialization.
func Func1[A, T any](f func(*Plan, A) *Dataset[T]) *Func1Of[A, T] {
	return &Func1Of[A, T]{register(), f}
}

// Call builds the function's plan in s.
func (f *Func1Of[A, T]) Call(s *Session, a A) *Dataset[T] {
	return call(s, f.e, []any{a}, func(p *Plan) *Dataset[T] { return f.f(p, a) })
}

// Func2Of is a registered plan function of two arguments.
type Func2Of[A, B, T any] struct {
	e *funcEntry
	f func(*Plan, A, B) *Dataset[T]
}

// Func2 registers a plan function. Call it at package initialization.
func Func2[A, B, T any](f func(*Plan, A, B) *Dataset[T]) *Func2Of[A, B, T] {
	return &Func2Of[A, B, T]{register(), f}
}

// Call builds the function's plan in s.
func (f *Func2Of[A, B, T]) Call(s *Session, a A, b B) *Dataset[T] {
	return call(s, f.e, []any{a, b}, func(p *Plan) *Dataset[T] { return f.f(p, a, b) })
}

// Func3Of is a registered plan function of three arguments.
type Func3Of[A, B, C, T any] struct {
	e *funcEntry
	f func(*Plan, A, B, C) *Dataset[T]
}

// Func3 registers a plan function. Call it at package initialization.
func Func3[A, B, C, T any](f func(*Plan, A, B, C) *Dataset[T]) *Func3Of[A, B, C, T] {
	return &Func3Of[A, B, C, T]{register(), f}
}

// Call builds the function's plan in s.
func (f *Func3Of[A, B, C, T]) Call(s *Session, a A, b B, c C) *Dataset[T] {
	return call(s, f.e, []any{a, b, c}, func(p *Plan) *Dataset[T] { return f.f(p, a, b, c) })
}

// Func4Of is a registered plan function of four arguments.
type Func4Of[A, B, C, D, T any] struct {
	e *funcEntry
	f func(*Plan, A, B, C, D) *Dataset[T]
}

// Func4 registers a plan function. Call it at package initialization.
func Func4[A, B, C, D, T any](f func(*Plan, A, B, C, D) *Dataset[T]) *Func4Of[A, B, C, D, T] {
	return &Func4Of[A, B, C, D, T]{register(), f}
}

// Call builds the function's plan in s.
func (f *Func4Of[A, B, C, D, T]) Call(s *Session, a A, b B, c C, d D) *Dataset[T] {
	return call(s, f.e, []any{a, b, c, d}, func(p *Plan) *Dataset[T] { return f.f(p, a, b, c, d) })
}
