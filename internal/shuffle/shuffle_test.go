package shuffle

import (
	"context"
	"errors"
	"os"
	"slices"
	"testing"

	"github.com/gospark/gospark/internal/codec"
	"github.com/gospark/gospark/internal/compress"
)

func TestWriteReadWithSpills(t *testing.T) {
	for _, name := range []string{"lz4", "zstd", "snappy", "none"} {
		t.Run(name, func(t *testing.T) {
			c, err := compress.Lookup(name)
			if err != nil {
				t.Fatal(err)
			}
			opts := &Options{Codec: c, BlockSize: 4 << 10}
			dir := t.TempDir()
			enc := codec.MustFor[int64]()
			const reducers = 5
			part := func(v *int64) int { return int(*v % reducers) }
			// A tiny budget forces many spills.
			w, err := NewWriter(opts, dir, "exec-1", 7, 3, 42, reducers, enc, part, 16<<10)
			if err != nil {
				t.Fatal(err)
			}
			var want [reducers][]int64
			batch := make([]int64, 0, 100)
			for i := int64(0); i < 200_000; i++ {
				batch = append(batch, i)
				want[i%reducers] = append(want[i%reducers], i)
				if len(batch) == cap(batch) {
					if err := w.Write(batch); err != nil {
						t.Fatal(err)
					}
					batch = batch[:0]
				}
			}
			if w.Spills() == 0 {
				t.Fatal("no spill with a 16 KiB budget")
			}
			st, err := w.Commit()
			if err != nil {
				t.Fatal(err)
			}
			if st.Records != 200_000 || st.MapIndex != 3 || st.ShuffleID != 7 {
				t.Fatalf("status %+v", st)
			}
			spills, _ := os.ReadDir(Dir(dir))
			if len(spills) != 2 {
				t.Fatalf("shuffle dir holds %d files after commit, want data+index only", len(spills))
			}
			for r := range reducers {
				var got []int64
				err := Read(context.Background(), []*MapStatus{st}, r, opts, LocalFetcher{}, enc, nil, func(b []int64) error {
					got = append(got, b...)
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(got, want[r]) {
					t.Fatalf("reducer %d: %d records, want %d (in order)", r, len(got), len(want[r]))
				}
			}
		})
	}
}

func TestMissingOutputIsFetchFailure(t *testing.T) {
	dir := t.TempDir()
	enc := codec.MustFor[string]()
	w, err := NewWriter(&Options{}, dir, "exec-2", 1, 0, 1, 2, enc, func(s *string) int { return len(*s) % 2 }, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write([]string{"a", "bb", "ccc"}); err != nil {
		t.Fatal(err)
	}
	st, err := w.Commit()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(st.DataFile); err != nil {
		t.Fatal(err)
	}
	err = Read(context.Background(), []*MapStatus{st}, 1, &Options{}, LocalFetcher{}, enc, nil, func([]string) error { return nil })
	var ff *FetchFailedError
	if !errors.As(err, &ff) || ff.ShuffleID != 1 || ff.MapIndex != 0 || ff.ExecutorID != "exec-2" {
		t.Fatalf("reading a deleted output: %v, want a FetchFailedError naming shuffle 1 map 0", err)
	}
}
