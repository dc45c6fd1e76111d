package spark

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/gob"
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/gospark/gospark/internal/codec"
	"github.com/gospark/gospark/internal/compress"
	"github.com/gospark/gospark/internal/scheduler"
	"github.com/gospark/gospark/internal/task"
)

// What a result task does with its partition's records. Actions whose
// functions live on the driver (Collect, Reduce, Foreach, CountByKey) have
// executors send the records back and run the function on the driver
// (closures cannot travel, DESIGN.md decision 2); the others run whole on
// the executor.
type actionKind int

const (
	actRecords actionKind = iota // send the records (at most Limit when > 0)
	actCount                     // send the number of records
	actSample                    // send a reservoir sample of Per records and the count
	actSave                      // write a text part file under Path
	actReduce                    // reduce with registered reducer Reducer, send the partial result
)

type remoteAction struct {
	Kind    actionKind
	Limit   int
	Per     int
	Path    string
	Reducer int
}

// sampled is a partition's reservoir sample.
type sampled[T any] struct {
	Count int64
	Recs  []T
}

// builtinConsumer is the consumer of the actions that run the same in a
// task of this process and of an executor process.
func builtinConsumer[T any](ra remoteAction, tc *task.Context) *consumer[T] {
	part := tc.Partition
	switch ra.Kind {
	case actCount:
		var n int64
		return &consumer[T]{
			sink: func(b []T) error { n += int64(len(b)); return nil },
			done: func() (any, error) { return n, nil },
		}
	case actSample:
		// A fixed seed per partition makes the boundaries reproducible.
		rng := rand.New(rand.NewPCG(uint64(part), 0x5a3b1e))
		var s sampled[T]
		return &consumer[T]{
			sink: func(b []T) error {
				for i := range b {
					// Reservoir sampling keeps a uniform sample of Per records.
					if len(s.Recs) < ra.Per {
						s.Recs = append(s.Recs, b[i])
					} else if j := rng.Int64N(s.Count + 1); j < int64(ra.Per) {
						s.Recs[j] = b[i]
					}
					s.Count++
				}
				return nil
			},
			done: func() (any, error) { return s, nil },
		}
	case actSave:
		return saveConsumer[T](ra.Path, part, tc.M())
	case actReduce:
		r, err := reducerAt[T](ra.Reducer)
		if err != nil {
			return &consumer[T]{sink: func([]T) error { return err }, done: func() (any, error) { return nil, err }}
		}
		return reducingConsumer(r.f)
	}
	return nil
}

// runRemote runs result task part of d in an executor process and encodes
// what the driver's decodeRemote reads.
func (d *Dataset[T]) runRemote(ctx context.Context, tc *task.Context, ra remoteAction) ([]byte, error) {
	part := tc.Partition
	if ra.Kind != actRecords {
		c := builtinConsumer[T](ra, tc)
		if c == nil {
			return nil, fmt.Errorf("unknown action kind %d", ra.Kind)
		}
		if err := d.run(ctx, tc, part, c.sink); err != nil && !errors.Is(err, errStop) {
			if c.abort != nil {
				c.abort()
			}
			return nil, err
		}
		v, err := c.done()
		if err != nil {
			return nil, err
		}
		switch v := v.(type) {
		case int64:
			return binary.AppendVarint(nil, v), nil
		case partial[T]:
			rw, err := newRecordWriter[T](tc.Env)
			if err != nil {
				return nil, err
			}
			if v.OK {
				if err := rw.write([]T{v.V}); err != nil {
					return nil, err
				}
			}
			return rw.finish()
		case sampled[T]:
			rw, err := newRecordWriter[T](tc.Env)
			if err != nil {
				return nil, err
			}
			if err := rw.write(v.Recs); err != nil {
				return nil, err
			}
			b, err := rw.finish()
			return binary.AppendVarint(b, v.Count), err
		}
		return nil, nil
	}
	rw, err := newRecordWriter[T](tc.Env)
	if err != nil {
		return nil, err
	}
	sent := 0
	err = d.run(ctx, tc, part, func(b []T) error {
		if ra.Limit > 0 {
			b = b[:min(len(b), ra.Limit-sent)]
		}
		sent += len(b)
		if err := rw.write(b); err != nil {
			return err
		}
		if ra.Limit > 0 && sent >= ra.Limit {
			return errStop
		}
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		return nil, err
	}
	return rw.finish()
}

// decodeRemote turns an executor's answer for action ra into the value the
// job's onResult expects; records go through the driver's consumer.
func decodeRemote[T any](ra remoteAction, newConsumer func(part int) *consumer[T], cc compress.Codec) func(part int, payload []byte) (any, error) {
	return func(part int, payload []byte) (any, error) {
		switch ra.Kind {
		case actCount:
			n, k := binary.Varint(payload)
			if k <= 0 {
				return nil, errors.New("spark: malformed count from executor")
			}
			return n, nil
		case actSave:
			return nil, nil
		case actReduce:
			var p partial[T]
			err := readRecords[T](payload, cc, func(b []T) error {
				if len(b) > 0 {
					p = partial[T]{b[0], true}
				}
				return nil
			})
			return p, err
		case actSample:
			// The count follows the records; the records are framed, so
			// read the trailing varint from the end.
			var s sampled[T]
			body, count, err := splitTrailingVarint(payload)
			if err != nil {
				return nil, err
			}
			s.Count = count
			err = readRecords[T](body, cc, func(b []T) error { s.Recs = append(s.Recs, b...); return nil })
			return s, err
		}
		c := newConsumer(part)
		if err := readRecords[T](payload, cc, c.sink); err != nil && !errors.Is(err, errStop) {
			if c.abort != nil {
				c.abort()
			}
			return nil, err
		}
		return c.done()
	}
}

// splitTrailingVarint separates a payload from the fixed 10-byte-or-less
// varint appended to it; recordWriter.finish ends with a length so that
// the split is unambiguous.
func splitTrailingVarint(p []byte) ([]byte, int64, error) {
	if len(p) < 4 {
		return nil, 0, errors.New("spark: malformed sample from executor")
	}
	n := int(binary.BigEndian.Uint32(p[:4]))
	if n > len(p)-4 {
		return nil, 0, errors.New("spark: malformed sample from executor")
	}
	v, k := binary.Varint(p[4+n:])
	if k <= 0 {
		return nil, 0, errors.New("spark: malformed sample count from executor")
	}
	return p[:4+n], v, nil
}

// recordWriter encodes records for the driver: a 4-byte length, then
// compressed frames of encoded records.
type recordWriter[T any] struct {
	buf bytes.Buffer
	fw  frameWriter[T]
}

func newRecordWriter[T any](env *task.Env) (*recordWriter[T], error) {
	enc, err := codec.For[T]()
	if err != nil {
		return nil, fmt.Errorf("records of %T cannot be sent from executors to the driver: %w", *new(T), err)
	}
	w := &recordWriter[T]{}
	w.buf.Write(make([]byte, 4))
	w.fw = frameWriter[T]{enc: enc, bw: compress.NewBlockWriter(&w.buf, resultCodec(env))}
	return w, nil
}

func resultCodec(env *task.Env) compress.Codec {
	if env != nil && env.Shuffle != nil && env.Shuffle.Codec != nil {
		return env.Shuffle.Codec
	}
	none, _ := compress.Lookup("none")
	return none
}

func (w *recordWriter[T]) write(b []T) error { return w.fw.write(b) }

func (w *recordWriter[T]) finish() ([]byte, error) {
	if err := w.fw.flush(); err != nil {
		return nil, err
	}
	b := w.buf.Bytes()
	binary.BigEndian.PutUint32(b[:4], uint32(len(b)-4))
	return b, nil
}

// readRecords decodes what a recordWriter wrote, in batches.
func readRecords[T any](p []byte, c compress.Codec, sink func([]T) error) error {
	if len(p) < 4 {
		return errors.New("spark: malformed records from executor")
	}
	return readFrames(context.Background(), bytes.NewReader(p[4:]), c, sink, "spark: records from executor")
}

// remoteRunnable is a dataset an executor can run a result task of.
type remoteRunnable interface {
	runRemote(ctx context.Context, tc *task.Context, ra remoteAction) ([]byte, error)
}

// taskDesc is what the driver sends an executor to run one task: the plan
// calls it has not replayed yet and which dataset or shuffle to compute.
type taskDesc struct {
	From      int          // index in the call log of Calls[0]
	Calls     []invocation // calls the executor has not seen
	Need      int          // calls that must be replayed before the task runs
	NodeID    int64        // result tasks
	ShuffleID int64        // map tasks
	State     []byte       // the shuffle's prepared state (range bounds)
	Action    []byte       // result tasks: the encoded remoteAction
}

func encodeGob(v any) ([]byte, error) {
	var b bytes.Buffer
	if err := gob.NewEncoder(&b).Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func decodeGob(p []byte, v any) error { return gob.NewDecoder(bytes.NewReader(p)).Decode(v) }

// encodeTask describes t for executor execID (driver side).
func (s *Session) encodeTask(t *scheduler.Task, execID string) ([]byte, error) {
	calls := s.callLog()
	s.mu.Lock()
	from := s.sentCalls[execID]
	if from > len(calls) {
		from = len(calls)
	}
	s.sentCalls[execID] = len(calls)
	s.mu.Unlock()
	desc := taskDesc{From: from, Calls: calls[from:], Need: len(calls)}
	if t.Kind == task.ShuffleMap {
		desc.ShuffleID = t.Shuffle.ID
		if t.Shuffle.State != nil {
			st, err := t.Shuffle.State()
			if err != nil {
				return nil, fmt.Errorf("spark: shuffle %d state: %w", t.Shuffle.ID, err)
			}
			desc.State = st
		}
	} else {
		desc.NodeID = t.Node.ID()
		if t.Action == nil {
			return nil, fmt.Errorf("spark: %s has no action for executors", t.Name())
		}
		desc.Action = t.Action.Spec
	}
	b, err := encodeGob(&desc)
	if err != nil {
		return nil, fmt.Errorf("spark: encoding %s: %w", t.Name(), err)
	}
	return b, nil
}
