package eventlog

import (
	"fmt"
	"io"

	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

// A compressor is a codec's stream writer: Flush makes what was written so
// far decodable from what reached the underlying writer, Close ends the
// stream.
//
// internal/compress is not used here: its codecs compress single blocks
// inside gospark's own framing (shuffle files), while an event log is one
// continuous stream in the codec's standard stream format.
type compressor interface {
	io.Writer
	Flush() error
	Close() error
}

// newCompressor returns a compressor of codec (lz4, zstd or snappy) onto w.
func newCompressor(codec string, w io.Writer) (compressor, error) {
	switch codec {
	case "zstd":
		// One encoder goroutine per log: events are small and a log has
		// one writer. The fastest level is Spark's (zstd level 1 for event
		// logs); a 1 MiB window and the low-memory encoder keep what a log
		// costs its driver small (the default 8 MiB window took ~18 MiB and
		// ~9 ms per application, for the same size of log: bench/zstdlog).
		enc, err := zstd.NewWriter(w, zstd.WithEncoderConcurrency(1), zstd.WithEncoderLevel(zstd.SpeedFastest),
			zstd.WithWindowSize(1<<20), zstd.WithLowerEncoderMem(true))
		if err != nil {
			return nil, fmt.Errorf("zstd: %w", err)
		}
		return enc, nil
	case "lz4":
		lw := lz4.NewWriter(w)
		if err := lw.Apply(lz4.BlockSizeOption(lz4.Block256Kb), lz4.ConcurrencyOption(1)); err != nil {
			return nil, fmt.Errorf("lz4: %w", err)
		}
		return lw, nil
	case "snappy":
		return s2.NewWriter(w, s2.WriterSnappyCompat(), s2.WriterConcurrency(1)), nil
	}
	return nil, fmt.Errorf("unknown event log codec %q: want lz4, zstd or snappy", codec)
}

// newDecompressor returns a reader of what codec compressed into r, and a
// function that releases it.
func newDecompressor(codec string, r io.Reader) (io.Reader, func(), error) {
	switch codec {
	case "":
		return r, func() {}, nil
	case "zstd":
		dec, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1))
		if err != nil {
			return nil, nil, fmt.Errorf("zstd: %w", err)
		}
		return dec, dec.Close, nil
	case "lz4":
		return lz4.NewReader(r), func() {}, nil
	case "snappy":
		// s2's reader reads the Snappy framing format too.
		return s2.NewReader(r), func() {}, nil
	}
	return nil, nil, fmt.Errorf("unknown event log codec %q: want lz4, zstd or snappy", codec)
}
