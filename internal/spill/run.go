package spill

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/gospark/gospark/internal/codec"
	"github.com/gospark/gospark/internal/compress"
)

const runBlock = 64 << 10

// runWriter writes records to a temporary run file as compressed frames.
type runWriter[T any] struct {
	f   *os.File
	buf *bufio.Writer
	bw  *compress.BlockWriter
	enc codec.Codec[T]
	raw []byte
}

func newRunWriter[T any](dir string, comp compress.Codec, enc codec.Codec[T]) (*runWriter[T], error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("spill dir: %w", err)
	}
	f, err := os.CreateTemp(dir, "spill-*.run")
	if err != nil {
		return nil, fmt.Errorf("spill: %w", err)
	}
	buf := bufio.NewWriterSize(f, 256<<10)
	return &runWriter[T]{f: f, buf: buf, bw: compress.NewBlockWriter(buf, comp), enc: enc}, nil
}

func (w *runWriter[T]) add(v *T) error {
	w.raw = w.enc.Append(w.raw, v)
	if len(w.raw) >= runBlock {
		if err := w.bw.WriteBlock(w.raw); err != nil {
			return fmt.Errorf("spill write: %w", err)
		}
		w.raw = w.raw[:0]
	}
	return nil
}

// written is the number of bytes the run file holds once finished.
func (w *runWriter[T]) written() int64 { return w.bw.Written() }

// finish flushes and closes the file, returning its path.
func (w *runWriter[T]) finish() (string, error) {
	if len(w.raw) > 0 {
		if err := w.bw.WriteBlock(w.raw); err != nil {
			w.f.Close()
			return "", fmt.Errorf("spill write: %w", err)
		}
	}
	if err := w.buf.Flush(); err != nil {
		w.f.Close()
		return "", fmt.Errorf("spill write: %w", err)
	}
	if err := w.f.Close(); err != nil {
		return "", fmt.Errorf("spill write: %w", err)
	}
	return w.f.Name(), nil
}

func (w *runWriter[T]) abort() {
	w.f.Close()
	os.Remove(w.f.Name())
}

// runReader reads a run file record by record.
type runReader[T any] struct {
	f     *os.File
	br    *compress.BlockReader
	dec   codec.Codec[T]
	block []byte
}

func openRun[T any](path string, comp compress.Codec, dec codec.Codec[T]) (*runReader[T], error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("spill read: %w", err)
	}
	return &runReader[T]{f: f, br: compress.NewBlockReader(bufio.NewReaderSize(f, 128<<10), comp), dec: dec}, nil
}

// next decodes the next record into v; false at the end of the run.
func (r *runReader[T]) next(v *T) (bool, error) {
	for len(r.block) == 0 {
		b, err := r.br.Next()
		if errors.Is(err, io.EOF) {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("spill read %s: %w", r.f.Name(), err)
		}
		r.block = b
	}
	var zero T
	*v = zero
	n, err := r.dec.Decode(r.block, v)
	if err != nil {
		return false, fmt.Errorf("spill read %s: %w", r.f.Name(), err)
	}
	r.block = r.block[n:]
	return true, nil
}

func (r *runReader[T]) close() { r.f.Close() }

// source is one sorted input of a merge.
type source[T any] interface {
	next(v *T) (bool, error)
}

type sliceSource[T any] struct {
	s []T
	i int
}

func (s *sliceSource[T]) next(v *T) (bool, error) {
	if s.i >= len(s.s) {
		return false, nil
	}
	*v = s.s[s.i]
	var zero T
	s.s[s.i] = zero
	s.i++
	return true, nil
}

// merge streams the union of sorted sources in order of cmp.
func merge[T any](srcs []source[T], cmp func(a, b *T) int, emit func(*T) error) error {
	type head struct {
		v   T
		src int
	}
	h := make([]head, 0, len(srcs))
	less := func(i, j int) bool { return cmp(&h[i].v, &h[j].v) < 0 }
	down := func(i int) {
		for {
			l := 2*i + 1
			if l >= len(h) {
				return
			}
			m := l
			if r := l + 1; r < len(h) && less(r, l) {
				m = r
			}
			if !less(m, i) {
				return
			}
			h[i], h[m] = h[m], h[i]
			i = m
		}
	}
	for i, s := range srcs {
		var hd head
		hd.src = i
		ok, err := s.next(&hd.v)
		if err != nil {
			return err
		}
		if ok {
			h = append(h, hd)
		}
	}
	for i := len(h)/2 - 1; i >= 0; i-- {
		down(i)
	}
	for len(h) > 0 {
		if err := emit(&h[0].v); err != nil {
			return err
		}
		ok, err := srcs[h[0].src].next(&h[0].v)
		if err != nil {
			return err
		}
		if !ok {
			h[0] = h[len(h)-1]
			h = h[:len(h)-1]
		}
		down(0)
	}
	return nil
}
