package compress

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

var allNames = []string{"lz4", "zstd", "snappy", "none"}

func TestLookup(t *testing.T) {
	tests := []struct {
		name string
		want string
	}{
		{"lz4", "lz4"},
		{"LZ4", "lz4"},
		{"zstd", "zstd"},
		{"ZStd", "zstd"},
		{"snappy", "snappy"},
		{"none", "none"},
		{"org.apache.spark.io.LZ4CompressionCodec", "lz4"},
		{"org.apache.spark.io.ZStdCompressionCodec", "zstd"},
		{"org.apache.spark.io.SnappyCompressionCodec", "snappy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Lookup(tt.name)
			if err != nil {
				t.Fatal(err)
			}
			if c.Name() != tt.want {
				t.Fatalf("Lookup(%q).Name() = %q, want %q", tt.name, c.Name(), tt.want)
			}
		})
	}
}

func TestLookupUnknown(t *testing.T) {
	for _, name := range []string{"", "lzf", "gzip", "org.apache.spark.io.LZFCompressionCodec"} {
		_, err := Lookup(name)
		if !errors.Is(err, ErrUnknownCodec) {
			t.Fatalf("Lookup(%q) = %v, want ErrUnknownCodec", name, err)
		}
		for _, allowed := range append(allNames, "org.apache.spark.io.ZStdCompressionCodec") {
			if !strings.Contains(err.Error(), allowed) {
				t.Errorf("Lookup(%q) error %q does not list %q", name, err, allowed)
			}
		}
	}
}

func mustLookup(t testing.TB, name string) Codec {
	t.Helper()
	c, err := Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// varintPairs is a block of varint-encoded int64 pairs, like a shuffle
// block of (key, count) records.
func varintPairs(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	var b []byte
	for len(b) < n {
		b = binary.AppendVarint(b, r.Int64N(1_000_000))
		b = binary.AppendVarint(b, r.Int64N(100))
	}
	return b[:n]
}

func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 2))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

var samples = []struct {
	name string
	data []byte
}{
	{"empty", nil},
	{"one byte", []byte{7}},
	{"short text", []byte("hello, hello, hello, spark")},
	{"zeros 1MiB", make([]byte, 1<<20)},
	{"varint pairs 64KiB", varintPairs(64<<10, 1)},
	{"random 64KiB", randomBytes(64<<10, 1)},
}

func TestCodecRoundTrip(t *testing.T) {
	for _, name := range allNames {
		c := mustLookup(t, name)
		for _, s := range samples {
			t.Run(name+"/"+s.name, func(t *testing.T) {
				comp := c.Compress(nil, s.data)
				got, err := c.Decompress(nil, comp, len(s.data))
				if err != nil {
					t.Fatalf("Decompress: %v", err)
				}
				if !bytes.Equal(got, s.data) {
					t.Fatalf("round trip changed %d bytes into %d different bytes", len(s.data), len(got))
				}
				if s.name == "zeros 1MiB" && name != "none" && len(comp) > 64<<10 {
					t.Errorf("1 MiB of zeros compressed to %d bytes", len(comp))
				}
			})
		}
	}
}

func TestCodecReusesBuffers(t *testing.T) {
	data := varintPairs(64<<10, 2)
	for _, name := range allNames {
		c := mustLookup(t, name)
		t.Run(name, func(t *testing.T) {
			dst := make([]byte, 3, 256<<10)
			comp := c.Compress(dst, data)
			if &comp[0] != &dst[:1][0] {
				t.Errorf("Compress did not reuse dst's capacity")
			}
			comp = bytes.Clone(comp)
			out := make([]byte, 0, 128<<10)
			got, err := c.Decompress(out, comp, len(data))
			if err != nil {
				t.Fatal(err)
			}
			if &got[0] != &out[:1][0] {
				t.Errorf("Decompress did not reuse dst's capacity")
			}
			if !bytes.Equal(got, data) {
				t.Fatal("round trip changed the data")
			}
		})
	}
}

func TestDecompressErrors(t *testing.T) {
	data := varintPairs(4096, 3)
	for _, name := range allNames {
		c := mustLookup(t, name)
		comp := c.Compress(nil, data)
		tests := []struct {
			name   string
			src    []byte
			rawLen int
		}{
			{"raw length too small", comp, len(data) - 1},
			{"raw length too large", comp, len(data) + 1},
			{"truncated", comp[:len(comp)/2], len(data)},
			{"garbage", bytes.Repeat([]byte{0xff}, 64), len(data)},
		}
		for _, tt := range tests {
			t.Run(name+"/"+tt.name, func(t *testing.T) {
				_, err := c.Decompress(nil, tt.src, tt.rawLen)
				if !errors.Is(err, ErrCorrupt) {
					t.Fatalf("Decompress = %v, want ErrCorrupt", err)
				}
			})
		}
	}
}

func TestDecompressEmptyBlock(t *testing.T) {
	// lz4 v4.1.33's amd64 decoder writes through a nil dst given literals
	// (the input the fuzzer found); empty blocks are checked before it.
	for _, name := range allNames {
		c := mustLookup(t, name)
		t.Run(name, func(t *testing.T) {
			got, err := c.Decompress(nil, c.Compress(nil, nil), 0)
			if err != nil || len(got) != 0 {
				t.Fatalf("Decompress of an empty block: %d bytes, %v", len(got), err)
			}
			if _, err := c.Decompress(nil, []byte("000000000000000000"), 0); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Decompress of 18 bytes into an empty block: %v, want ErrCorrupt", err)
			}
		})
	}
}

func TestCodecsConcurrent(t *testing.T) {
	for _, name := range allNames {
		c := mustLookup(t, name)
		t.Run(name, func(t *testing.T) {
			var wg sync.WaitGroup
			for g := range 4 {
				wg.Go(func() {
					var comp, out []byte
					for i := range 20 {
						data := varintPairs(16<<10, uint64(g*100+i))
						comp = c.Compress(comp, data)
						var err error
						out, err = c.Decompress(out, comp, len(data))
						if err != nil || !bytes.Equal(out, data) {
							t.Errorf("goroutine %d block %d: %v", g, i, err)
							return
						}
					}
				})
			}
			wg.Wait()
		})
	}
}

func TestFrameLayout(t *testing.T) {
	tests := []struct {
		codec string
		raw   []byte
		want  []byte // nil: only the header is checked
		flag  byte
	}{
		{"none", []byte("abc"), []byte{3, 3, 0, 'a', 'b', 'c'}, 0},
		{"none", nil, []byte{0, 0, 0}, 0},
		{"lz4", nil, []byte{0, 0, 0}, 0},
		{"zstd", []byte("abc"), []byte{3, 3, 0, 'a', 'b', 'c'}, 0}, // does not shrink
		{"lz4", randomBytes(1000, 9), nil, 0},
		{"snappy", randomBytes(1000, 9), nil, 0},
		{"lz4", make([]byte, 1000), nil, 1},
		{"zstd", make([]byte, 1000), nil, 1},
		{"snappy", make([]byte, 1000), nil, 1},
	}
	for _, tt := range tests {
		t.Run(tt.codec, func(t *testing.T) {
			var buf bytes.Buffer
			w := NewBlockWriter(&buf, mustLookup(t, tt.codec))
			if err := w.WriteBlock(tt.raw); err != nil {
				t.Fatal(err)
			}
			got := buf.Bytes()
			if tt.want != nil && !bytes.Equal(got, tt.want) {
				t.Fatalf("frame = %x, want %x", got, tt.want)
			}
			rawLen, n := binary.Uvarint(got)
			storedLen, m := binary.Uvarint(got[n:])
			if int(rawLen) != len(tt.raw) || got[n+m] != tt.flag || len(got) != n+m+1+int(storedLen) {
				t.Fatalf("frame header raw %d stored %d flag %d in %d bytes; want raw %d flag %d",
					rawLen, storedLen, got[n+m], len(got), len(tt.raw), tt.flag)
			}
			if tt.flag == 1 && int(storedLen) >= len(tt.raw) {
				t.Fatalf("compressed frame stores %d bytes of %d", storedLen, len(tt.raw))
			}
			if w.Written() != int64(len(got)) {
				t.Fatalf("Written() = %d, want %d", w.Written(), len(got))
			}
		})
	}
}

func writeBlocks(t testing.TB, c Codec, blocks [][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := NewBlockWriter(&buf, c)
	for _, b := range blocks {
		if err := w.WriteBlock(b); err != nil {
			t.Fatal(err)
		}
	}
	if w.Written() != int64(buf.Len()) {
		t.Fatalf("Written() = %d, buffer holds %d", w.Written(), buf.Len())
	}
	return buf.Bytes()
}

func readBlocks(r *BlockReader) ([][]byte, error) {
	var out [][]byte
	for {
		b, err := r.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, bytes.Clone(b))
	}
}

func testBlocks() [][]byte {
	var blocks [][]byte
	for _, s := range samples {
		blocks = append(blocks, s.data)
	}
	return append(blocks, varintPairs(100, 5), nil, randomBytes(10, 5))
}

func TestBlockRoundTrip(t *testing.T) {
	blocks := testBlocks()
	for _, name := range allNames {
		t.Run(name, func(t *testing.T) {
			c := mustLookup(t, name)
			stream := writeBlocks(t, c, blocks)
			got, err := readBlocks(NewBlockReader(bytes.NewReader(stream), c))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(blocks) {
				t.Fatalf("read %d blocks, wrote %d", len(got), len(blocks))
			}
			for i := range blocks {
				if !bytes.Equal(got[i], blocks[i]) {
					t.Fatalf("block %d differs", i)
				}
			}
		})
	}
}

func TestNilCodecStoresRaw(t *testing.T) {
	stream := writeBlocks(t, nil, [][]byte{make([]byte, 100)})
	if len(stream) != 3+100 {
		t.Fatalf("nil codec wrote %d bytes for a 100-byte block", len(stream))
	}
	got, err := readBlocks(NewBlockReader(bytes.NewReader(stream), nil))
	if err != nil || len(got) != 1 || len(got[0]) != 100 {
		t.Fatalf("read %d blocks: %v", len(got), err)
	}
}

func TestBlockReaderOverSectionOfFile(t *testing.T) {
	// A shuffle data file holds one segment per reducer; a reader sees
	// only its own.
	c := mustLookup(t, "lz4")
	seg0 := writeBlocks(t, c, [][]byte{varintPairs(70000, 1), []byte("end of 0")})
	seg1 := writeBlocks(t, c, [][]byte{[]byte("reducer 1"), varintPairs(5000, 2)})
	path := filepath.Join(t.TempDir(), "shuffle_0_0_0.data")
	if err := os.WriteFile(path, append(bytes.Clone(seg0), seg1...), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	got, err := readBlocks(NewBlockReader(io.NewSectionReader(f, int64(len(seg0)), int64(len(seg1))), c))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || string(got[0]) != "reducer 1" || !bytes.Equal(got[1], varintPairs(5000, 2)) {
		t.Fatalf("read %d blocks from reducer 1's segment", len(got))
	}
}

func TestTruncatedStream(t *testing.T) {
	for _, name := range allNames {
		t.Run(name, func(t *testing.T) {
			c := mustLookup(t, name)
			blocks := [][]byte{varintPairs(3000, 1), []byte("x"), randomBytes(300, 1)}
			stream := writeBlocks(t, c, blocks)
			ends := map[int]int{0: 0} // frame boundary -> frames before it
			var buf bytes.Buffer
			w := NewBlockWriter(&buf, c)
			for i, b := range blocks {
				if err := w.WriteBlock(b); err != nil {
					t.Fatal(err)
				}
				ends[buf.Len()] = i + 1
			}
			for cut := range len(stream) {
				got, err := readBlocks(NewBlockReader(bytes.NewReader(stream[:cut]), c))
				if n, boundary := ends[cut]; boundary {
					if err != nil || len(got) != n {
						t.Fatalf("cut at frame boundary %d: %d blocks, %v", cut, len(got), err)
					}
					continue
				}
				if !errors.Is(err, ErrCorrupt) || !errors.Is(err, io.ErrUnexpectedEOF) {
					t.Fatalf("cut at %d of %d: %v, want ErrCorrupt wrapping io.ErrUnexpectedEOF", cut, len(stream), err)
				}
			}
		})
	}
}

func frame(rawLen, storedLen uint64, flag byte, stored []byte) []byte {
	b := binary.AppendUvarint(nil, rawLen)
	b = binary.AppendUvarint(b, storedLen)
	return append(append(b, flag), stored...)
}

func TestCorruptFrames(t *testing.T) {
	lz4c := mustLookup(t, "lz4")
	good := lz4c.Compress(nil, make([]byte, 1000))
	tests := []struct {
		name   string
		codec  string
		stream []byte
	}{
		{"flag 2", "lz4", frame(3, 3, 2, []byte("abc"))},
		{"raw frame with wrong stored length", "lz4", frame(4, 3, 0, []byte("abc"))},
		{"compressed frame no smaller than raw", "lz4", frame(3, 3, 1, []byte("abc"))},
		{"compressed frame in none stream", "none", frame(4, 3, 1, []byte("abc"))},
		{"raw length over limit", "lz4", frame(MaxBlockSize+1, MaxBlockSize+1, 0, nil)},
		{"raw length beyond lz4 expansion", "lz4", frame(1<<20, 10, 1, make([]byte, 10))},
		{"raw length beyond zstd expansion", "zstd", frame(MaxBlockSize, 100, 1, make([]byte, 100))},
		{"raw length beyond snappy expansion", "snappy", frame(1<<20, 100, 1, make([]byte, 100))},
		{"lz4 raw length mismatch", "lz4", frame(999, uint64(len(good)), 1, good)},
		{"garbage lz4", "lz4", frame(1000, 20, 1, bytes.Repeat([]byte{0xf0}, 20))},
		{"garbage zstd", "zstd", frame(1000, 20, 1, bytes.Repeat([]byte{0xf0}, 20))},
		{"garbage snappy", "snappy", frame(1000, 20, 1, bytes.Repeat([]byte{0xf0}, 20))},
		{"varint overflow", "lz4", bytes.Repeat([]byte{0xff}, 11)},
		{"stored bytes missing", "none", frame(100, 100, 0, []byte("short"))},
		{"claims 200 MiB stored", "none", frame(200<<20, 200<<20, 0, []byte("tiny"))},
		{"header cut", "none", []byte{0x80}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewBlockReader(bytes.NewReader(tt.stream), mustLookup(t, tt.codec))
			var ms0, ms1 runtime.MemStats
			runtime.ReadMemStats(&ms0)
			_, err := r.Next()
			runtime.ReadMemStats(&ms1)
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Next = %v, want ErrCorrupt", err)
			}
			if alloc := ms1.TotalAlloc - ms0.TotalAlloc; alloc > 4<<20 {
				t.Errorf("rejecting a %d-byte frame allocated %d bytes", len(tt.stream), alloc)
			}
		})
	}
}

type failingReader struct{ err error }

func (r failingReader) Read([]byte) (int, error) { return 0, r.err }

type failingWriter struct {
	err   error
	after int
}

func (w *failingWriter) Write(p []byte) (int, error) {
	if w.after <= 0 {
		return 0, w.err
	}
	w.after--
	return len(p), nil
}

func TestIOErrorsPassThrough(t *testing.T) {
	boom := errors.New("disk on fire")
	_, err := NewBlockReader(failingReader{boom}, mustLookup(t, "lz4")).Next()
	if !errors.Is(err, boom) || errors.Is(err, ErrCorrupt) {
		t.Errorf("Next on a failing reader = %v, want the reader's error", err)
	}
	// The error may come after part of a frame was read.
	r := NewBlockReader(io.MultiReader(bytes.NewReader([]byte{5, 5}), failingReader{boom}), mustLookup(t, "none"))
	if _, err := r.Next(); !errors.Is(err, boom) || errors.Is(err, ErrCorrupt) {
		t.Errorf("Next on a reader failing mid-frame = %v, want the reader's error", err)
	}
	for after := range 2 {
		w := NewBlockWriter(&failingWriter{err: boom, after: after}, mustLookup(t, "none"))
		if err := w.WriteBlock([]byte("data")); !errors.Is(err, boom) {
			t.Errorf("WriteBlock with a writer failing after %d writes = %v", after, err)
		}
	}
}

func TestWriterDoesNotRetainBlock(t *testing.T) {
	var buf bytes.Buffer
	c := mustLookup(t, "none")
	w := NewBlockWriter(&buf, c)
	raw := []byte("first")
	if err := w.WriteBlock(raw); err != nil {
		t.Fatal(err)
	}
	copy(raw, "XXXXX")
	got, err := readBlocks(NewBlockReader(&buf, c))
	if err != nil || len(got) != 1 || string(got[0]) != "first" {
		t.Fatalf("read %q, %v", got, err)
	}
}
