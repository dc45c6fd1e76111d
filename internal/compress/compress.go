package compress

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"

	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

// Codec compresses blocks. Implementations are safe for concurrent use.
type Codec interface {
	// Name is the codec's short name, as Lookup accepts it.
	Name() string
	// Compress compresses src into dst's storage (dst[:0], grown as
	// needed) and returns the compressed bytes.
	Compress(dst, src []byte) []byte
	// Decompress decompresses src, which must hold exactly rawLen bytes
	// once decompressed, into dst's storage and returns them; bad input
	// gives an error wrapping ErrCorrupt.
	Decompress(dst, src []byte, rawLen int) ([]byte, error)
}

var (
	// ErrCorrupt reports compressed data or frames that cannot be
	// decoded: truncated, inconsistent or not produced by the codec.
	ErrCorrupt = errors.New("compress: corrupt data")
	// ErrUnknownCodec is wrapped by Lookup's error for names it does not
	// know.
	ErrUnknownCodec = errors.New("compress: unknown codec")
)

// codecs maps the names Lookup accepts, lower-cased for short names as
// Spark does, to codecs.
var codecs = map[string]Codec{
	"lz4":    lz4Codec{},
	"zstd":   zstdCodec{},
	"snappy": snappyCodec{},
	"none":   noneCodec{},

	"org.apache.spark.io.LZ4CompressionCodec":    lz4Codec{},
	"org.apache.spark.io.ZStdCompressionCodec":   zstdCodec{},
	"org.apache.spark.io.SnappyCompressionCodec": snappyCodec{},
}

// Lookup returns the codec named by spark.io.compression.codec: lz4, zstd,
// snappy (in any case) or none, or the class name of Spark's codec.
func Lookup(name string) (Codec, error) {
	if c, ok := codecs[strings.ToLower(name)]; ok {
		return c, nil
	}
	if c, ok := codecs[name]; ok {
		return c, nil
	}
	return nil, fmt.Errorf("%w %q: want lz4, zstd, snappy or none, or org.apache.spark.io.LZ4CompressionCodec, "+
		"org.apache.spark.io.ZStdCompressionCodec or org.apache.spark.io.SnappyCompressionCodec", ErrUnknownCodec, name)
}

// expander is implemented by the codecs of this package: the largest ratio
// of raw to compressed size their format allows, which bounds the raw length
// a frame may claim before anything is allocated for it.
type expander interface{ maxExpansion() int }

// grow returns dst[:n], reallocated if its capacity is short.
func grow(dst []byte, n int) []byte {
	if cap(dst) < n {
		return make([]byte, n)
	}
	return dst[:n]
}

func corrupt(codec string, err error) error {
	return fmt.Errorf("%w: %s: %w", ErrCorrupt, codec, err)
}

func wrongLen(codec string, got, want int) error {
	return fmt.Errorf("%w: %s block decompressed to %d bytes, want %d", ErrCorrupt, codec, got, want)
}

// lz4Codec uses the LZ4 block format (no frame), Spark's default.
type lz4Codec struct{}

var lz4Compressors = sync.Pool{New: func() any { return new(lz4.Compressor) }}

func (lz4Codec) Name() string { return "lz4" }

func (lz4Codec) Compress(dst, src []byte) []byte {
	dst = grow(dst, lz4.CompressBlockBound(len(src)))
	c := lz4Compressors.Get().(*lz4.Compressor)
	n, err := c.CompressBlock(src, dst)
	lz4Compressors.Put(c)
	if err != nil {
		// dst has CompressBlockBound bytes, with which lz4 documents
		// that compression always succeeds.
		panic(fmt.Sprintf("compress: lz4 failed with a full-size buffer: %v", err))
	}
	return dst[:n]
}

func (lz4Codec) Decompress(dst, src []byte, rawLen int) ([]byte, error) {
	if rawLen == 0 {
		// lz4 encodes nothing as a zero token. Anything else is corrupt,
		// and must not reach UncompressBlock: its amd64 decoder (v4.1.33)
		// writes through a nil dst when given one with literals in src.
		if len(src) == 0 || len(src) == 1 && src[0] == 0 {
			return dst[:0], nil
		}
		return nil, fmt.Errorf("%w: lz4: %d bytes for an empty block", ErrCorrupt, len(src))
	}
	dst = grow(dst, rawLen)
	n, err := lz4.UncompressBlock(src, dst)
	if err != nil {
		return nil, corrupt("lz4", err)
	}
	if n != rawLen {
		return nil, wrongLen("lz4", n, rawLen)
	}
	return dst, nil
}

// An LZ4 sequence turns each extra match-length byte into at most 255 bytes.
func (lz4Codec) maxExpansion() int { return 256 }

// zstdCodec uses zstd frames at SpeedFastest; one encoder and one decoder
// serve all goroutines (EncodeAll and DecodeAll are safe for concurrent
// use).
type zstdCodec struct{}

var zstdState struct {
	once sync.Once
	enc  *zstd.Encoder
	dec  *zstd.Decoder
}

func zstdCoders() (*zstd.Encoder, *zstd.Decoder) {
	zstdState.once.Do(func() {
		enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest),
			zstd.WithEncoderConcurrency(runtime.GOMAXPROCS(0)), zstd.WithAllLitEntropyCompression(true))
		if err != nil {
			panic(fmt.Sprintf("compress: zstd encoder: %v", err)) // only bad options fail
		}
		dec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(0),
			zstd.WithDecoderMaxMemory(MaxBlockSize), zstd.WithDecodeAllCapLimit(true))
		if err != nil {
			panic(fmt.Sprintf("compress: zstd decoder: %v", err))
		}
		zstdState.enc, zstdState.dec = enc, dec
	})
	return zstdState.enc, zstdState.dec
}

func (zstdCodec) Name() string { return "zstd" }

func (zstdCodec) Compress(dst, src []byte) []byte {
	enc, _ := zstdCoders()
	return enc.EncodeAll(src, dst[:0])
}

func (zstdCodec) Decompress(dst, src []byte, rawLen int) ([]byte, error) {
	if rawLen == 0 && len(src) == 0 {
		return dst[:0], nil // EncodeAll encodes nothing as nothing
	}
	_, dec := zstdCoders()
	// The cap limit stops DecodeAll at rawLen bytes, however large a size
	// the frame claims.
	out, err := dec.DecodeAll(src, grow(dst, rawLen)[:0:rawLen])
	if err != nil {
		return nil, corrupt("zstd", err)
	}
	if len(out) != rawLen {
		return nil, wrongLen("zstd", len(out), rawLen)
	}
	return out, nil
}

// A zstd block holds at most 128 KiB and takes at least 4 bytes (3 of
// header, 1 of RLE payload).
func (zstdCodec) maxExpansion() int { return 128 << 10 / 4 }

// snappyCodec uses the Snappy block format, produced by klauspost's s2
// package in its Snappy-compatible mode.
type snappyCodec struct{}

func (snappyCodec) Name() string { return "snappy" }

func (snappyCodec) Compress(dst, src []byte) []byte {
	return s2.EncodeSnappy(grow(dst, s2.MaxEncodedLen(len(src))), src)
}

func (snappyCodec) Decompress(dst, src []byte, rawLen int) ([]byte, error) {
	n, err := s2.DecodedLen(src)
	if err != nil {
		return nil, corrupt("snappy", err)
	}
	if n != rawLen {
		return nil, fmt.Errorf("%w: snappy block holds %d bytes, want %d", ErrCorrupt, n, rawLen)
	}
	if rawLen == 0 {
		// Snappy encodes nothing as its length alone; keep an empty
		// (possibly nil) dst away from the assembly decoder.
		if len(src) != 1 {
			return nil, fmt.Errorf("%w: snappy: %d bytes for an empty block", ErrCorrupt, len(src))
		}
		return dst[:0], nil
	}
	out, err := s2.Decode(grow(dst, rawLen), src)
	if err != nil {
		return nil, corrupt("snappy", err)
	}
	return out, nil
}

// A Snappy copy produces at most 64 bytes from 3 (a tag and a 2-byte
// offset); 32 leaves a margin.
func (snappyCodec) maxExpansion() int { return 32 }

// noneCodec stores blocks as they are.
type noneCodec struct{}

func (noneCodec) Name() string { return "none" }

func (noneCodec) Compress(dst, src []byte) []byte { return append(dst[:0], src...) }

func (noneCodec) Decompress(dst, src []byte, rawLen int) ([]byte, error) {
	if len(src) != rawLen {
		return nil, wrongLen("none", len(src), rawLen)
	}
	return append(dst[:0], src...), nil
}

func (noneCodec) maxExpansion() int { return 1 }
