package spill

import (
	"os"
	"slices"

	"github.com/gospark/gospark/internal/codec"
	"github.com/gospark/gospark/internal/compress"
)

// Sorter sorts records within a memory budget, spilling sorted runs to dir
// and merging them on output.
type Sorter[T any] struct {
	cmp    func(a, b T) int
	enc    codec.Codec[T]
	size   Sizer[T]
	buf    []T
	est    int64
	budget int64
	dir    string
	comp   compress.Codec
	runs   []string

	metrics Metrics
}

// NewSorter returns an empty sorter ordering records by cmp.
func NewSorter[T any](cmp func(a, b T) int, enc codec.Codec[T], dir string, comp compress.Codec, budget int64) *Sorter[T] {
	return &Sorter[T]{cmp: cmp, enc: enc, size: SizerFor(enc), budget: budget, dir: dir, comp: comp}
}

// Add copies a batch into the sorter.
func (s *Sorter[T]) Add(batch []T) error {
	for i := range batch {
		s.est += s.size(&batch[i])
	}
	s.buf = append(s.buf, batch...)
	if s.est+int64(cap(s.buf)-len(s.buf))*int64(s.sizeOfZero()) > s.budget {
		return s.spill()
	}
	return nil
}

func (s *Sorter[T]) sizeOfZero() int64 {
	var z T
	return s.size(&z)
}

// Spills is the number of runs written to disk.
func (s *Sorter[T]) Spills() int { return len(s.runs) }

// Metrics returns what the sorter measured so far.
func (s *Sorter[T]) Metrics() Metrics {
	mt := s.metrics
	mt.PeakMemory = max(mt.PeakMemory, s.est)
	return mt
}

func (s *Sorter[T]) spill() error {
	slices.SortFunc(s.buf, s.cmp)
	s.metrics.PeakMemory = max(s.metrics.PeakMemory, s.est)
	s.metrics.MemoryBytesSpilled += s.est
	w, err := newRunWriter[T](s.dir, s.comp, s.enc)
	if err != nil {
		return err
	}
	for i := range s.buf {
		if err := w.add(&s.buf[i]); err != nil {
			w.abort()
			return err
		}
	}
	path, err := w.finish()
	if err != nil {
		return err
	}
	s.metrics.DiskBytesSpilled += w.written()
	s.runs = append(s.runs, path)
	s.buf = nil
	s.est = 0
	return nil
}

// Output sends all records in order to sink in batches of up to batchSize;
// the batch is reused after sink returns.
func (s *Sorter[T]) Output(batchSize int, sink func([]T) error) error {
	defer s.Close()
	s.metrics.PeakMemory = max(s.metrics.PeakMemory, s.est)
	slices.SortFunc(s.buf, s.cmp)
	if len(s.runs) == 0 {
		for i := 0; i < len(s.buf); i += batchSize {
			if err := sink(s.buf[i:min(i+batchSize, len(s.buf))]); err != nil {
				return err
			}
		}
		s.buf = nil
		return nil
	}
	srcs := []source[T]{&sliceSource[T]{s: s.buf}}
	var readers []*runReader[T]
	defer func() {
		for _, r := range readers {
			r.close()
		}
	}()
	for _, p := range s.runs {
		r, err := openRun(p, s.comp, s.enc)
		if err != nil {
			return err
		}
		readers = append(readers, r)
		srcs = append(srcs, r)
	}
	out := make([]T, 0, batchSize)
	err := merge(srcs, func(a, b *T) int { return s.cmp(*a, *b) }, func(v *T) error {
		out = append(out, *v)
		if len(out) == batchSize {
			if err := sink(out); err != nil {
				return err
			}
			clear(out)
			out = out[:0]
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.buf = nil
	if len(out) > 0 {
		return sink(out)
	}
	return nil
}

// Close removes the sorter's run files.
func (s *Sorter[T]) Close() {
	for _, p := range s.runs {
		_ = os.Remove(p)
	}
	s.runs = nil
}
