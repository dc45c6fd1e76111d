package spill

import (
	"cmp"
	"slices"
	"testing"

	"github.com/gospark/gospark/internal/codec"
	"github.com/gospark/gospark/internal/compress"
)

func lz4(t *testing.T) compress.Codec {
	c, err := compress.Lookup("lz4")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestMapSpillsAndMerges(t *testing.T) {
	kc, vc := codec.MustFor[int](), codec.MustFor[string]()
	cc := codec.MustFor[[]string]()
	agg := Aggregator[string, []string]{
		Create:         func(v string) []string { return []string{v} },
		MergeValue:     func(c []string, v string) []string { return append(c, v) },
		MergeCombiners: func(a, b []string) []string { return append(a, b...) },
		Grows:          true,
	}
	m := NewMap(agg, kc, vc, cc, codec.HasherFor(kc), t.TempDir(), lz4(t), 64<<10, nil)
	want := map[int]int{}
	for i := range 100_000 {
		k := i * 7919 % 3001
		if err := m.Insert(k, "v"); err != nil {
			t.Fatal(err)
		}
		want[k]++
	}
	if m.Spills() < 2 {
		t.Fatalf("%d spills with a 64 KiB budget, want several", m.Spills())
	}
	got := map[int]int{}
	err := m.Output(func(k int, c []string) error {
		if _, dup := got[k]; dup {
			t.Fatalf("key %d emitted twice", k)
		}
		got[k] = len(c)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d keys, want %d", len(got), len(want))
	}
	for k, n := range want {
		if got[k] != n {
			t.Fatalf("key %d has %d values, want %d", k, got[k], n)
		}
	}
}

func TestSorterSpillsAndMerges(t *testing.T) {
	enc := codec.MustFor[int64]()
	s := NewSorter(cmp.Compare[int64], enc, t.TempDir(), lz4(t), 32<<10)
	var want []int64
	batch := make([]int64, 0, 500)
	for i := int64(0); i < 50_000; i++ {
		v := (i * 48271) % 65521
		want = append(want, v)
		batch = append(batch, v)
		if len(batch) == cap(batch) {
			if err := s.Add(batch); err != nil {
				t.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	if s.Spills() < 2 {
		t.Fatalf("%d spills, want several", s.Spills())
	}
	slices.Sort(want)
	var got []int64
	if err := s.Output(1000, func(b []int64) error { got = append(got, b...); return nil }); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("sorted output differs (%d records, want %d)", len(got), len(want))
	}
}
