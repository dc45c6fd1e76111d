// Throughput of each codec on 64 KiB shuffle blocks (compress and
// decompress MB/s of raw data, stored size / raw size), best of five runs of
//
//	go test -run XXX -bench . -benchtime 200ms -count 5 ./internal/compress
//
// on a 2-vCPU AMD EPYC (Turin) VM, Go 1.26, shared with other builds:
//
//	block                codec   compress  decompress  size/raw
//	varint-pairs         lz4          709      23,646     0.981
//	                     zstd         631       1,292     0.678
//	                     snappy    22,483      77,761     1.000 (stored raw)
//	                     none      80,803      81,093     1.000
//	varint-pairs-sorted  lz4        1,128       4,294     0.645
//	                     zstd         374       1,145     0.463
//	                     snappy     1,614       3,228     0.637
//	random-keys          lz4       12,793      71,913     1.004 (stored raw)
//	                     zstd       2,540      15,190     1.000 (stored raw)
//	                     snappy    22,850      77,871     1.000 (stored raw)
//
// "stored raw" blocks are kept uncompressed by BlockWriter; their
// decompress figure is Decompress on the codec's own output. lz4 and snappy
// give up quickly on data without 4-byte repeats (random keys, and unsorted
// varint pairs for snappy); zstd entropy-codes literals even without
// matches (WithAllLitEntropyCompression), which is where its ratio on
// unsorted pairs comes from. BenchmarkBlocks (64 blocks written and read
// back through the frame format): lz4 563 MB/s, zstd 389 MB/s, snappy
// 6,898 MB/s, none 8,810 MB/s.

package compress

import (
	"cmp"
	"encoding/binary"
	"io"
	"math/rand/v2"
	"slices"
	"testing"
)

// benchData returns the 64 KiB shuffle blocks the benchmarks use:
// varint-encoded int64 pairs as a word count's map side writes them (keys
// drawn Zipf-like from 10^5 ids, counts 1 four times in five, else below
// 100), the same pairs sorted by key as in a spill run, and random 8-byte
// keys.
func benchData() map[string][]byte {
	r := rand.New(rand.NewPCG(42, 42))
	zipf := rand.NewZipf(r, 1.1, 1, 100_000)
	type pair struct{ k, v int64 }
	var pairs []pair
	size := 0
	for size < 64<<10 {
		p := pair{int64(zipf.Uint64()), 1}
		if r.IntN(5) == 0 {
			p.v = r.Int64N(100)
		}
		pairs = append(pairs, p)
		size += len(binary.AppendVarint(binary.AppendVarint(nil, p.k), p.v))
	}
	encode := func() []byte {
		var b []byte
		for _, p := range pairs {
			b = binary.AppendVarint(binary.AppendVarint(b, p.k), p.v)
		}
		return b[:64<<10]
	}
	unsorted := encode()
	slices.SortFunc(pairs, func(a, b pair) int { return cmp.Compare(a.k, b.k) })
	sorted := encode()
	var keys []byte
	for len(keys) < 64<<10 {
		keys = binary.LittleEndian.AppendUint64(keys, r.Uint64())
	}
	return map[string][]byte{
		"varint-pairs":        unsorted,
		"varint-pairs-sorted": sorted,
		"random-keys":         keys[:64<<10],
	}
}

func BenchmarkCodec(b *testing.B) {
	data := benchData()
	for _, set := range []string{"varint-pairs", "varint-pairs-sorted", "random-keys"} {
		raw := data[set]
		for _, name := range allNames {
			c := mustLookup(b, name)
			comp := c.Compress(nil, raw)
			b.Run(set+"/"+name+"/compress", func(b *testing.B) {
				b.SetBytes(int64(len(raw)))
				buf := make([]byte, 0, 2*len(raw))
				b.ReportAllocs()
				for b.Loop() {
					buf = c.Compress(buf, raw)
				}
				b.ReportMetric(float64(len(comp))/float64(len(raw)), "size/raw")
			})
			b.Run(set+"/"+name+"/decompress", func(b *testing.B) {
				b.SetBytes(int64(len(raw)))
				buf := make([]byte, 0, len(raw))
				b.ReportAllocs()
				for b.Loop() {
					var err error
					if buf, err = c.Decompress(buf, comp, len(raw)); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkBlocks measures the framed stream end to end: 64 blocks of
// 64 KiB written and read back.
func BenchmarkBlocks(b *testing.B) {
	raw := benchData()["varint-pairs"]
	for _, name := range allNames {
		c := mustLookup(b, name)
		b.Run(name, func(b *testing.B) {
			var stream []byte
			b.SetBytes(64 * int64(len(raw)))
			b.ReportAllocs()
			for b.Loop() {
				w := NewBlockWriter(sliceWriter{&stream}, c)
				stream = stream[:0]
				for range 64 {
					if err := w.WriteBlock(raw); err != nil {
						b.Fatal(err)
					}
				}
				r := NewBlockReader(&sliceReader{s: stream}, c)
				for {
					if _, err := r.Next(); err != nil {
						break
					}
				}
			}
		})
	}
}

type sliceWriter struct{ s *[]byte }

func (w sliceWriter) Write(p []byte) (int, error) {
	*w.s = append(*w.s, p...)
	return len(p), nil
}

type sliceReader struct{ s []byte }

func (r *sliceReader) Read(p []byte) (int, error) {
	if len(r.s) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.s)
	r.s = r.s[n:]
	return n, nil
}
