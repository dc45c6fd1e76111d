package spill

import (
	"cmp"
	"os"
	"testing"

	"github.com/gospark/gospark/internal/codec"
)

// runBytes is the size of the run files in dir now.
func runBytes(t *testing.T, dir string) int64 {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, e := range ents {
		fi, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		n += fi.Size()
	}
	return n
}

func TestMapMetrics(t *testing.T) {
	kc := codec.MustFor[int64]()
	agg := Aggregator[int64, int64]{
		Create:         func(v int64) int64 { return v },
		MergeValue:     func(c, v int64) int64 { return c + v },
		MergeCombiners: func(a, b int64) int64 { return a + b },
	}
	const budget = 32 << 10
	dir := t.TempDir()
	m := NewMap(agg, kc, kc, kc, codec.HasherFor(kc), dir, lz4(t), budget, nil)
	for i := range int64(50_000) {
		if err := m.Insert(i, 1); err != nil {
			t.Fatal(err)
		}
	}
	if m.Spills() < 2 {
		t.Fatalf("%d spills, want several", m.Spills())
	}
	mt := m.Metrics()
	if got, want := mt.DiskBytesSpilled, runBytes(t, dir); got != want {
		t.Fatalf("DiskBytesSpilled = %d, run files hold %d bytes", got, want)
	}
	if mt.MemoryBytesSpilled <= int64(m.Spills())*budget {
		t.Fatalf("MemoryBytesSpilled = %d after %d spills, want more than the %d-byte budget each", mt.MemoryBytesSpilled, m.Spills(), budget)
	}
	if mt.PeakMemory <= budget {
		t.Fatalf("PeakMemory = %d, want above the budget %d", mt.PeakMemory, budget)
	}
	var keys int
	if err := m.Output(func(int64, int64) error { keys++; return nil }); err != nil {
		t.Fatal(err)
	}
	if keys != 50_000 {
		t.Fatalf("%d keys, want 50000", keys)
	}
	if after := m.Metrics(); after.DiskBytesSpilled != mt.DiskBytesSpilled || after.MemoryBytesSpilled != mt.MemoryBytesSpilled {
		t.Fatalf("Output changed the spill counts: %+v, then %+v", mt, after)
	}
}

func TestMapWithoutSpill(t *testing.T) {
	kc := codec.MustFor[int64]()
	agg := Aggregator[int64, int64]{
		Create:         func(v int64) int64 { return v },
		MergeValue:     func(c, v int64) int64 { return c + v },
		MergeCombiners: func(a, b int64) int64 { return a + b },
	}
	m := NewMap(agg, kc, kc, kc, codec.HasherFor(kc), t.TempDir(), lz4(t), 1<<20, nil)
	for i := range int64(100) {
		if err := m.Insert(i%10, 1); err != nil {
			t.Fatal(err)
		}
	}
	mt := m.Metrics()
	if mt.MemoryBytesSpilled != 0 || mt.DiskBytesSpilled != 0 {
		t.Fatalf("spill counted without a spill: %+v", mt)
	}
	if mt.PeakMemory != m.Estimate() || mt.PeakMemory == 0 {
		t.Fatalf("PeakMemory = %d, want the map's estimate %d", mt.PeakMemory, m.Estimate())
	}
}

func TestSorterMetrics(t *testing.T) {
	enc := codec.MustFor[int64]()
	const budget = 32 << 10
	dir := t.TempDir()
	s := NewSorter(cmp.Compare[int64], enc, dir, lz4(t), budget)
	batch := make([]int64, 0, 500)
	for i := int64(0); i < 40_000; i++ {
		batch = append(batch, (i*48271)%65521)
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
	mt := s.Metrics()
	if got, want := mt.DiskBytesSpilled, runBytes(t, dir); got != want {
		t.Fatalf("DiskBytesSpilled = %d, run files hold %d bytes", got, want)
	}
	// Each spill held at least the records that pushed it over budget.
	if mt.MemoryBytesSpilled < int64(s.Spills())*budget/2 {
		t.Fatalf("MemoryBytesSpilled = %d after %d spills of a %d-byte budget", mt.MemoryBytesSpilled, s.Spills(), budget)
	}
	if mt.PeakMemory <= budget/2 || mt.PeakMemory >= mt.MemoryBytesSpilled {
		t.Fatalf("PeakMemory = %d, want the largest run held: over half the budget %d, less than all spilled (%d)", mt.PeakMemory, budget, mt.MemoryBytesSpilled)
	}
	n := 0
	if err := s.Output(1000, func(b []int64) error { n += len(b); return nil }); err != nil {
		t.Fatal(err)
	}
	if n != 40_000 {
		t.Fatalf("%d records out, want 40000", n)
	}
}
