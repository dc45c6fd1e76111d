package spark

import (
	"bytes"
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"runtime"
	"sync"

	"github.com/gospark/gospark/internal/config"
	"github.com/gospark/gospark/internal/scheduler"
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
	mu       sync.Mutex
	funcs    []*funcEntry
	reducers []any // *ReducerOf[T], by registration order
	frozen   bool
}

type funcEntry struct {
	index int
	site  string
	// replay rebuilds a call of the function in p from its encoded
	// arguments, resolving dataset arguments in s.
	replay func(s *Session, p *Plan, args []byte) error
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

// ReducerOf is a reduce function registered at package initialization,
// so that executor processes can run it on their partitions (Spark's
// reduce runs on executors; a plain function passed to Reduce cannot go
// there, see DESIGN.md decision 2).
type ReducerOf[T any] struct {
	index int
	site  string
	f     func(T, T) T
}

// Reducer registers an associative and commutative function for Reduce on
// executors. Call it at package initialization:
//
//	var sum = spark.Reducer(func(a, b int64) int64 { return a + b })
//	total, err := sum.Reduce(ctx, ds)
func Reducer[T any](f func(a, b T) T) *ReducerOf[T] {
	_, file, line, _ := runtime.Caller(1)
	site := fmt.Sprintf("%s:%d", file, line)
	registry.mu.Lock()
	defer registry.mu.Unlock()
	if registry.frozen {
		panic(fmt.Sprintf("spark: reducer registered at %s after a Session started; "+
			"register reducers at package initialization (var r = spark.Reducer(...))", site))
	}
	r := &ReducerOf[T]{index: len(registry.reducers), site: site, f: f}
	registry.reducers = append(registry.reducers, r)
	return r
}

// Reduce combines all records of d with the reducer: each partition is
// reduced in its task (in executor processes too), then the partial
// results on the driver.
func (r *ReducerOf[T]) Reduce(ctx context.Context, d *Dataset[T]) (T, error) {
	return reduce(ctx, d, r.f, remoteAction{Kind: actReduce, Reducer: r.index})
}

// reducerAt finds reducer i of type T (executor side).
func reducerAt[T any](i int) (*ReducerOf[T], error) {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	if i < 0 || i >= len(registry.reducers) {
		return nil, fmt.Errorf("spark: no reducer %d in this binary: driver and executor must run the same binary", i)
	}
	r, ok := registry.reducers[i].(*ReducerOf[T])
	if !ok {
		return nil, fmt.Errorf("spark: reducer %d is a %T, not a reducer of %T", i, registry.reducers[i], *new(T))
	}
	return r, nil
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

	mu       sync.Mutex
	sealed   bool
	nodes    int
	shuffle  int
	err      error
	datasets map[int64]any // id -> *Dataset[T] built in this plan
	shuffles map[int64]*scheduler.ShuffleDep
}

// registerShuffle records a shuffle declared in the plan, so that an
// executor can find the map task of a shuffle by its id.
func (p *Plan) registerShuffle(dep *scheduler.ShuffleDep) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.shuffles == nil {
		p.shuffles = make(map[int64]*scheduler.ShuffleDep)
	}
	p.shuffles[dep.ID] = dep
}

// register records a dataset built in the plan.
func (p *Plan) register(id int64, d any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.datasets == nil {
		p.datasets = make(map[int64]any)
	}
	p.datasets[id] = d
}

// invocation is one call of a registered function, as an executor needs it
// to rebuild the same plan: which function, which plan number, which
// arguments.
type invocation struct {
	Seq                 int64
	Func                int
	Args                []byte
	Parallelism         int
	ExplicitParallelism int
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

// call runs a registered function on a new plan of s, records the call so
// that executors can replay it, and seals the plan.
func call[T any](s *Session, e *funcEntry, args []any, build func(*Plan) *Dataset[T]) *Dataset[T] {
	if s == nil {
		return &Dataset[T]{err: errors.New("spark: Call needs a Session (spark.NewSession)")}
	}
	var buf bytes.Buffer
	enc := gob.NewEncoder(&buf)
	for i, a := range args {
		if err := enc.Encode(a); err != nil {
			return &Dataset[T]{err: fmt.Errorf("spark: argument %d (%T) of the function at %s cannot be encoded for executors: %w", i+1, a, e.site, err)}
		}
	}
	p := s.newPlan(e, s.planSeq.Add(1))
	p.args = buf.Bytes()
	ds := buildPlan(p, build)
	if ds.err == nil {
		s.adopt(p, invocation{Seq: p.seq, Func: e.index, Args: p.args,
			Parallelism: p.parallelism, ExplicitParallelism: p.explicitParallelism})
	}
	return ds
}

// buildPlan runs build on p, turns a panic into an error, checks what it
// returned and seals p.
func buildPlan[T any](p *Plan, build func(*Plan) *Dataset[T]) (ds *Dataset[T]) {
	site := p.fn.site
	defer func() {
		p.seal()
		if v := recover(); v != nil {
			ds = &Dataset[T]{err: fmt.Errorf("spark: the function at %s panicked while building its plan: %v", site, v)}
		}
	}()
	ds = build(p)
	switch {
	case ds == nil:
		return &Dataset[T]{err: fmt.Errorf("spark: the function at %s returned a nil dataset", site)}
	case ds.err != nil:
		return ds
	case ds.n.plan != p:
		return &Dataset[T]{err: fmt.Errorf("spark: the function at %s returned a dataset built by another call", site)}
	}
	return ds
}

// datasetArg is a decoded argument that may name a dataset of an earlier
// call.
type datasetArg interface{ resolve(s *Session) error }

// decodeArg decodes the next argument of a replayed call.
func decodeArg[A any](s *Session, dec *gob.Decoder) (A, error) {
	var a A
	if err := dec.Decode(&a); err != nil {
		return a, fmt.Errorf("decoding argument: %w", err)
	}
	if r, ok := any(a).(datasetArg); ok {
		if err := r.resolve(s); err != nil {
			return a, err
		}
	}
	return a, nil
}

// decode2 decodes the next two arguments of a replayed call.
func decode2[A, B any](s *Session, dec *gob.Decoder) (a A, b B, err error) {
	if a, err = decodeArg[A](s, dec); err == nil {
		b, err = decodeArg[B](s, dec)
	}
	return a, b, err
}

// replayer makes a funcEntry's replay from a function that decodes its
// arguments and builds the plan.
func replayer[T any](build func(s *Session, dec *gob.Decoder, p *Plan) (*Dataset[T], error)) func(*Session, *Plan, []byte) error {
	return func(s *Session, p *Plan, args []byte) error {
		dec := gob.NewDecoder(bytes.NewReader(args))
		var decodeErr error
		ds := buildPlan(p, func(p *Plan) *Dataset[T] {
			d, err := build(s, dec, p)
			if err != nil {
				decodeErr = err
				return &Dataset[T]{err: err}
			}
			return d
		})
		if decodeErr != nil {
			return fmt.Errorf("replaying the function at %s: %w", p.fn.site, decodeErr)
		}
		return ds.err
	}
}

// Func0Of is a registered plan function without arguments.
type Func0Of[T any] struct {
	e *funcEntry
	f func(*Plan) *Dataset[T]
}

// Func0 registers a plan function. Call it at package initialization.
func Func0[T any](f func(*Plan) *Dataset[T]) *Func0Of[T] {
	e := register()
	e.replay = replayer(func(_ *Session, _ *gob.Decoder, p *Plan) (*Dataset[T], error) { return f(p), nil })
	return &Func0Of[T]{e, f}
}

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
	e := register()
	e.replay = replayer(func(s *Session, dec *gob.Decoder, p *Plan) (*Dataset[T], error) {
		a, err := decodeArg[A](s, dec)
		if err != nil {
			return nil, err
		}
		return f(p, a), nil
	})
	return &Func1Of[A, T]{e, f}
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
	e := register()
	e.replay = replayer(func(s *Session, dec *gob.Decoder, p *Plan) (*Dataset[T], error) {
		a, b, err := decode2[A, B](s, dec)
		if err != nil {
			return nil, err
		}
		return f(p, a, b), nil
	})
	return &Func2Of[A, B, T]{e, f}
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
	e := register()
	e.replay = replayer(func(s *Session, dec *gob.Decoder, p *Plan) (*Dataset[T], error) {
		a, b, err := decode2[A, B](s, dec)
		if err != nil {
			return nil, err
		}
		c, err := decodeArg[C](s, dec)
		if err != nil {
			return nil, err
		}
		return f(p, a, b, c), nil
	})
	return &Func3Of[A, B, C, T]{e, f}
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
	e := register()
	e.replay = replayer(func(s *Session, dec *gob.Decoder, p *Plan) (*Dataset[T], error) {
		a, b, err := decode2[A, B](s, dec)
		if err != nil {
			return nil, err
		}
		c, d, err := decode2[C, D](s, dec)
		if err != nil {
			return nil, err
		}
		return f(p, a, b, c, d), nil
	})
	return &Func4Of[A, B, C, D, T]{e, f}
}

// Call builds the function's plan in s.
func (f *Func4Of[A, B, C, D, T]) Call(s *Session, a A, b B, c C, d D) *Dataset[T] {
	return call(s, f.e, []any{a, b, c, d}, func(p *Plan) *Dataset[T] { return f.f(p, a, b, c, d) })
}
