package compress

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
)

// MaxBlockSize bounds the raw size of a block: BlockWriter refuses larger
// blocks and BlockReader treats a frame claiming more as corrupt.
const MaxBlockSize = 256 << 20

const (
	flagRaw        = 0
	flagCompressed = 1
)

// BlockWriter writes blocks as frames: uvarint raw length, uvarint stored
// length, a flag byte (0 raw, 1 compressed), then the stored bytes. A block
// that compression does not shrink is stored raw.
type BlockWriter struct {
	w       io.Writer
	c       Codec
	none    bool
	buf     []byte
	hdr     [2*binary.MaxVarintLen64 + 1]byte
	written int64
}

// NewBlockWriter returns a writer of frames compressed with c to w. A nil
// c stores every block raw.
func NewBlockWriter(w io.Writer, c Codec) *BlockWriter {
	_, none := c.(noneCodec)
	return &BlockWriter{w: w, c: c, none: none || c == nil}
}

// WriteBlock writes raw as one frame. raw is not retained.
func (w *BlockWriter) WriteBlock(raw []byte) error {
	if len(raw) > MaxBlockSize {
		return fmt.Errorf("compress: block of %d bytes exceeds the %d-byte limit", len(raw), MaxBlockSize)
	}
	stored, flag := raw, byte(flagRaw)
	if !w.none && len(raw) > 0 {
		w.buf = w.c.Compress(w.buf, raw)
		if len(w.buf) < len(raw) {
			stored, flag = w.buf, flagCompressed
		}
	}
	h := binary.AppendUvarint(w.hdr[:0], uint64(len(raw)))
	h = binary.AppendUvarint(h, uint64(len(stored)))
	h = append(h, flag)
	n, err := w.w.Write(h)
	w.written += int64(n)
	if err != nil {
		return fmt.Errorf("compress: write frame header: %w", err)
	}
	n, err = w.w.Write(stored)
	w.written += int64(n)
	if err != nil {
		return fmt.Errorf("compress: write frame: %w", err)
	}
	return nil
}

// Written is the number of bytes written to the underlying writer so far.
func (w *BlockWriter) Written() int64 { return w.written }

// readChunk bounds each step of reading a frame's stored bytes, so that a
// frame claiming more bytes than its input holds costs no more memory than
// the input.
const readChunk = 1 << 20

// BlockReader reads the frames a BlockWriter wrote.
type BlockReader struct {
	r      *bufio.Reader
	c      Codec
	stored []byte
	out    []byte
	maxRaw int
	frame  int // frames read, for error messages
}

// NewBlockReader returns a reader of frames compressed with c (nil for
// none) from r, which it buffers; r is typically an io.SectionReader over
// one reducer's segment of a shuffle data file.
func NewBlockReader(r io.Reader, c Codec) *BlockReader {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReaderSize(r, 64<<10)
	}
	return &BlockReader{r: br, c: c, maxRaw: MaxBlockSize}
}

// Next returns the next block, valid until the following call. At the end
// of the input it returns io.EOF; a truncated or inconsistent frame gives an
// error wrapping ErrCorrupt, and a failing reader its error.
func (r *BlockReader) Next() ([]byte, error) {
	rawLen, err := readUvarint(r.r)
	if err == io.EOF {
		return nil, io.EOF
	}
	if err != nil {
		return nil, r.readErr("raw length", err)
	}
	storedLen, err := readUvarint(r.r)
	if err != nil {
		return nil, r.readErr("stored length", err)
	}
	flag, err := r.r.ReadByte()
	if err != nil {
		return nil, r.readErr("flag", err)
	}
	if err := r.check(rawLen, storedLen, flag); err != nil {
		return nil, err
	}
	if err := r.readStored(int(storedLen)); err != nil {
		return nil, err
	}
	r.frame++
	if flag == flagRaw {
		return r.stored, nil
	}
	out, err := r.c.Decompress(r.out, r.stored, int(rawLen))
	if err != nil {
		if !errors.Is(err, ErrCorrupt) { // a Codec from elsewhere
			err = fmt.Errorf("%w: %w", ErrCorrupt, err)
		}
		return nil, fmt.Errorf("frame %d: %w", r.frame-1, err)
	}
	if len(out) != int(rawLen) {
		return nil, fmt.Errorf("%w: frame %d: %s decompressed %d bytes, want %d", ErrCorrupt, r.frame-1, r.c.Name(), len(out), rawLen)
	}
	r.out = out
	return out, nil
}

// check validates a frame header before anything is allocated for it.
func (r *BlockReader) check(rawLen, storedLen uint64, flag byte) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: frame %d: %s", ErrCorrupt, r.frame, fmt.Sprintf(format, args...))
	}
	if rawLen > uint64(r.maxRaw) {
		return bad("raw length %d exceeds the %d-byte limit", rawLen, r.maxRaw)
	}
	switch flag {
	case flagRaw:
		if storedLen != rawLen {
			return bad("raw frame stores %d bytes of a %d-byte block", storedLen, rawLen)
		}
	case flagCompressed:
		if r.c == nil {
			return bad("compressed frame, but no codec")
		}
		if _, none := r.c.(noneCodec); none {
			return bad("compressed frame in an uncompressed stream")
		}
		// Writers store blocks raw unless compression shrinks them.
		if storedLen >= rawLen {
			return bad("compressed frame of %d bytes for a %d-byte block", storedLen, rawLen)
		}
		if e, ok := r.c.(expander); ok && rawLen > uint64(e.maxExpansion())*storedLen+64 {
			return bad("%d compressed bytes cannot hold %d bytes of %s", storedLen, rawLen, r.c.Name())
		}
	default:
		return bad("flag %d", flag)
	}
	return nil
}

// readStored reads n stored bytes into r.stored, growing it only as the
// bytes arrive.
func (r *BlockReader) readStored(n int) error {
	if cap(r.stored) >= n {
		r.stored = r.stored[:n]
		if _, err := io.ReadFull(r.r, r.stored); err != nil {
			return r.readErr("stored bytes", err)
		}
		return nil
	}
	r.stored = r.stored[:0]
	for len(r.stored) < n {
		k := min(n-len(r.stored), max(readChunk, len(r.stored)))
		start := len(r.stored)
		r.stored = slices.Grow(r.stored, k)[:start+k]
		if _, err := io.ReadFull(r.r, r.stored[start:]); err != nil {
			return r.readErr("stored bytes", err)
		}
	}
	return nil
}

// readErr wraps an error reading a frame: the input ending inside it is
// corruption; other errors are the reader's.
func (r *BlockReader) readErr(what string, err error) error {
	if errors.Is(err, ErrCorrupt) {
		return fmt.Errorf("frame %d %s: %w", r.frame, what, err)
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: frame %d: input ends in its %s: %w", ErrCorrupt, r.frame, what, io.ErrUnexpectedEOF)
	}
	return fmt.Errorf("compress: read frame %d %s: %w", r.frame, what, err)
}

// readUvarint is binary.ReadUvarint with an error wrapping ErrCorrupt for
// over-long varints. It returns io.EOF only if the input ends before the
// first byte.
func readUvarint(r io.ByteReader) (uint64, error) {
	var x uint64
	var s uint
	for i := range binary.MaxVarintLen64 {
		b, err := r.ReadByte()
		if err != nil {
			if i > 0 && err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return 0, err
		}
		if b < 0x80 {
			if i == binary.MaxVarintLen64-1 && b > 1 {
				break
			}
			return x | uint64(b)<<s, nil
		}
		x |= uint64(b&0x7f) << s
		s += 7
	}
	return 0, fmt.Errorf("%w: varint overflows 64 bits", ErrCorrupt)
}
