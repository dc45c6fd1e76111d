package shuffle

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/gospark/gospark/internal/codec"
	"github.com/gospark/gospark/internal/compress"
)

// Writer writes one map task's output. Records are encoded into per-reducer
// raw blocks; full blocks are compressed into per-reducer frame buffers; when
// the buffers pass the task's budget they are appended to a spill file. Commit
// concatenates, per reducer, the spilled segments and the buffered frames into
// the data file and writes the index.
type Writer[T any] struct {
	opts      *Options
	dir       string
	status    MapStatus
	attemptID int64
	enc       codec.Codec[T]
	part      func(*T) int
	budget    int64

	raw    [][]byte
	frames []bytes.Buffer
	bw     []*compress.BlockWriter
	held   int64
	spills []*spillFile
	cbuf   []byte

	metrics WriteMetrics
}

// WriteMetrics is what a Writer measured, for its task's metrics (Spark's
// ShuffleWriteMetrics and the spill counters of the task).
type WriteMetrics struct {
	// BytesWritten is the size of the committed data file (compressed);
	// RecordsWritten the records in it.
	BytesWritten, RecordsWritten int64
	// WriteTime is the time Commit spent writing the data and index files
	// (merging spilled segments included), as Spark's shuffle write time.
	WriteTime time.Duration
	// MemoryBytesSpilled is the buffered size of what was spilled;
	// DiskBytesSpilled the bytes written to spill files.
	MemoryBytesSpilled, DiskBytesSpilled int64
	// PeakMemory is the most the writer held in its buffers, as observed
	// when it spilled or committed.
	PeakMemory int64
}

type spillFile struct {
	path string
	segs [][2]int64 // per reducer: offset, length
}

// NewWriter prepares the output of map task mapIndex (attempt attemptID) of a
// shuffle with numReduce reducers under localDir. part returns the reducer of
// a record; budget is the memory the writer may buffer before spilling.
func NewWriter[T any](opts *Options, localDir, executorID string, shuffleID int64, mapIndex int, attemptID int64,
	numReduce int, enc codec.Codec[T], part func(*T) int, budget int64) (*Writer[T], error) {
	dir := Dir(localDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("shuffle dir: %w", err)
	}
	w := &Writer[T]{
		opts: opts, dir: dir, attemptID: attemptID, enc: enc, part: part, budget: budget,
		status: MapStatus{ShuffleID: shuffleID, MapIndex: mapIndex, ExecutorID: executorID, Sizes: make([]int64, numReduce)},
		raw:    make([][]byte, numReduce),
		frames: make([]bytes.Buffer, numReduce),
		bw:     make([]*compress.BlockWriter, numReduce),
	}
	for i := range w.bw {
		w.bw[i] = compress.NewBlockWriter(&w.frames[i], opts.codec())
	}
	return w, nil
}

// Write adds a batch of records.
func (w *Writer[T]) Write(batch []T) error {
	bs := w.opts.blockSize()
	for i := range batch {
		p := w.part(&batch[i])
		before := len(w.raw[p])
		w.raw[p] = w.enc.Append(w.raw[p], &batch[i])
		w.held += int64(len(w.raw[p]) - before)
		if len(w.raw[p]) >= bs {
			if err := w.flushBlock(p); err != nil {
				return err
			}
		}
	}
	w.status.Records += int64(len(batch))
	if w.held > w.budget {
		return w.spill()
	}
	return nil
}

// WriteOne adds a single record (used by map-side combiners).
func (w *Writer[T]) WriteOne(v *T) error { return w.WriteTo(w.part(v), v) }

// WriteTo adds a single record to reduce partition p.
func (w *Writer[T]) WriteTo(p int, v *T) error {
	before := len(w.raw[p])
	w.raw[p] = w.enc.Append(w.raw[p], v)
	w.held += int64(len(w.raw[p]) - before)
	w.status.Records++
	if len(w.raw[p]) >= w.opts.blockSize() {
		if err := w.flushBlock(p); err != nil {
			return err
		}
	}
	if w.held > w.budget {
		return w.spill()
	}
	return nil
}

func (w *Writer[T]) flushBlock(p int) error {
	if len(w.raw[p]) == 0 {
		return nil
	}
	before := w.frames[p].Len()
	if err := w.bw[p].WriteBlock(w.raw[p]); err != nil {
		return fmt.Errorf("shuffle %d map %d: compress: %w", w.status.ShuffleID, w.status.MapIndex, err)
	}
	w.held += int64(w.frames[p].Len()-before) - int64(len(w.raw[p]))
	w.raw[p] = w.raw[p][:0]
	return nil
}

// spill moves all buffered frames to a new spill file.
func (w *Writer[T]) spill() error {
	w.metrics.PeakMemory = max(w.metrics.PeakMemory, w.held)
	w.metrics.MemoryBytesSpilled += w.held
	f, err := os.CreateTemp(w.dir, fmt.Sprintf("spill_%d_%d_*.tmp", w.status.ShuffleID, w.status.MapIndex))
	if err != nil {
		return fmt.Errorf("shuffle spill: %w", err)
	}
	sf := &spillFile{path: f.Name(), segs: make([][2]int64, len(w.raw))}
	w.spills = append(w.spills, sf)
	bw := bufio.NewWriterSize(f, w.opts.bufferSize())
	var off int64
	for p := range w.raw {
		if err := w.flushBlock(p); err != nil {
			f.Close()
			return err
		}
		n, err := bw.Write(w.frames[p].Bytes())
		if err != nil {
			f.Close()
			return fmt.Errorf("shuffle spill: %w", err)
		}
		sf.segs[p] = [2]int64{off, int64(n)}
		off += int64(n)
		w.frames[p].Reset()
	}
	w.held = 0
	w.metrics.DiskBytesSpilled += off
	if err := bw.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("shuffle spill: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("shuffle spill: %w", err)
	}
	return nil
}

// Spills is the number of spill files the writer has made.
func (w *Writer[T]) Spills() int { return len(w.spills) }

// Metrics returns what the writer measured so far; after Commit, the
// bytes and records of its output too.
func (w *Writer[T]) Metrics() WriteMetrics { return w.metrics }

// Commit writes the data and index files and returns the map status. The
// files appear atomically (written under temporary names, then renamed).
func (w *Writer[T]) Commit() (*MapStatus, error) {
	start := time.Now()
	defer func() { w.metrics.WriteTime += time.Since(start) }()
	w.metrics.PeakMemory = max(w.metrics.PeakMemory, w.held)
	base := filepath.Join(w.dir, fmt.Sprintf("shuffle_%d_%d_%d", w.status.ShuffleID, w.status.MapIndex, w.attemptID))
	dataPath, indexPath := base+".data", base+".index"
	df, err := os.CreateTemp(w.dir, filepath.Base(base)+".data.*.tmp")
	if err != nil {
		return nil, fmt.Errorf("shuffle commit: %w", err)
	}
	defer os.Remove(df.Name())
	out := bufio.NewWriterSize(df, max(w.opts.bufferSize(), 64<<10))
	spillFiles := make([]*os.File, len(w.spills))
	defer func() {
		for _, f := range spillFiles {
			if f != nil {
				f.Close()
			}
		}
	}()
	for i, s := range w.spills {
		if spillFiles[i], err = os.Open(s.path); err != nil {
			df.Close()
			return nil, fmt.Errorf("shuffle commit: %w", err)
		}
	}
	index := make([]byte, 8*(len(w.raw)+1))
	var off int64
	for p := range w.raw {
		putBE64(index[8*p:], uint64(off))
		start := off
		for i, s := range w.spills {
			seg := s.segs[p]
			if seg[1] == 0 {
				continue
			}
			n, err := io.Copy(out, io.NewSectionReader(spillFiles[i], seg[0], seg[1]))
			if err != nil {
				df.Close()
				return nil, fmt.Errorf("shuffle commit: copy spill: %w", err)
			}
			off += n
		}
		if err := w.flushBlock(p); err != nil {
			df.Close()
			return nil, err
		}
		n, err := out.Write(w.frames[p].Bytes())
		if err != nil {
			df.Close()
			return nil, fmt.Errorf("shuffle commit: %w", err)
		}
		off += int64(n)
		w.frames[p] = bytes.Buffer{}
		w.status.Sizes[p] = off - start
	}
	putBE64(index[8*len(w.raw):], uint64(off))
	if err := out.Flush(); err != nil {
		df.Close()
		return nil, fmt.Errorf("shuffle commit: %w", err)
	}
	if err := df.Close(); err != nil {
		return nil, fmt.Errorf("shuffle commit: %w", err)
	}
	if err := os.WriteFile(indexPath+".tmp", index, 0o644); err != nil {
		return nil, fmt.Errorf("shuffle commit: %w", err)
	}
	if err := os.Rename(df.Name(), dataPath); err != nil {
		return nil, fmt.Errorf("shuffle commit: %w", err)
	}
	if err := os.Rename(indexPath+".tmp", indexPath); err != nil {
		return nil, fmt.Errorf("shuffle commit: %w", err)
	}
	w.removeSpills()
	w.metrics.BytesWritten, w.metrics.RecordsWritten = off, w.status.Records
	st := w.status
	st.DataFile, st.IndexFile = dataPath, indexPath
	return &st, nil
}

// Abort drops everything the writer made.
func (w *Writer[T]) Abort() {
	w.removeSpills()
	w.frames = nil
	w.raw = nil
}

func (w *Writer[T]) removeSpills() {
	for _, s := range w.spills {
		// Best effort: the application's directory is removed when it stops.
		_ = os.Remove(s.path)
	}
	w.spills = nil
}
