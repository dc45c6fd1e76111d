package compress

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"testing"
)

// FuzzBlockReader feeds arbitrary streams to a BlockReader of each codec:
// every outcome must be blocks, io.EOF, or an error wrapping ErrCorrupt.
func FuzzBlockReader(f *testing.F) {
	for _, name := range allNames {
		c, _ := Lookup(name)
		f.Add(writeBlocks(f, c, [][]byte{varintPairs(2000, 1), []byte("abc"), nil, make([]byte, 500)}))
	}
	f.Add(frame(1000, 20, 1, bytes.Repeat([]byte{0xf0}, 20)))
	f.Add(frame(100, 100, 0, []byte("short")))
	f.Fuzz(func(t *testing.T, stream []byte) {
		for _, name := range allNames {
			c, _ := Lookup(name)
			// A small buffer keeps each execution cheap.
			r := NewBlockReader(bufio.NewReaderSize(bytes.NewReader(stream), 16), c)
			r.maxRaw = 4 << 20 // keep each input's allocations small
			for range 1000 {
				b, err := r.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					if !errors.Is(err, ErrCorrupt) {
						t.Fatalf("%s: Next = %v, want ErrCorrupt", name, err)
					}
					break
				}
				if len(b) > r.maxRaw {
					t.Fatalf("%s: block of %d bytes over the limit", name, len(b))
				}
			}
		}
	})
}

// FuzzDecompress feeds arbitrary blocks to each codec's Decompress, and
// checks that compressing the input round-trips.
func FuzzDecompress(f *testing.F) {
	for _, name := range allNames {
		c, _ := Lookup(name)
		data := varintPairs(1000, 2)
		f.Add(c.Compress(nil, data), uint16(len(data)))
	}
	f.Add([]byte{0xff, 0xff, 0xff, 0x0f, 1, 2, 3}, uint16(100))
	f.Fuzz(func(t *testing.T, src []byte, rawLen uint16) {
		for _, name := range allNames {
			c, _ := Lookup(name)
			out, err := c.Decompress(nil, src, int(rawLen))
			if err != nil {
				if !errors.Is(err, ErrCorrupt) {
					t.Fatalf("%s: Decompress = %v, want ErrCorrupt", name, err)
				}
			} else if len(out) != int(rawLen) {
				t.Fatalf("%s: Decompress returned %d bytes, want %d", name, len(out), rawLen)
			}
			comp := c.Compress(nil, src)
			back, err := c.Decompress(nil, comp, len(src))
			if err != nil || !bytes.Equal(back, src) {
				t.Fatalf("%s: round trip of %d bytes: %v", name, len(src), err)
			}
		}
	})
}
