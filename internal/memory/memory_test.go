package memory

import "testing"

func TestBudgets(t *testing.T) {
	const mib = 1 << 20
	frac := func(x int64) int64 { return int64(float64(x) * 0.6) }
	tests := []struct {
		heap         int64
		slots        int
		wantUsable   int64
		wantPerTask  int64
		storageTaken int64
	}{
		// Spark's formula with 300 MiB reserved: (2048-300)*0.6.
		{2048 * mib, 2, frac(1748 * mib), frac(1748*mib) / 2, 0},
		// Below 1200 MiB a quarter of the heap is reserved: (1024-256)*0.6.
		{1024 * mib, 2, frac(768 * mib), frac(768*mib) / 2, 0},
		// A small heap reserves a quarter: (256-64)*0.6 = 115.2 MiB.
		{256 * mib, 4, frac(192 * mib), frac(192*mib) / 4, 0},
		// Cached blocks shrink what tasks may buffer.
		{1024 * mib, 2, frac(768 * mib), (frac(768*mib) - 100*mib) / 2, 100 * mib},
	}
	for _, tt := range tests {
		m, err := New(tt.heap, tt.slots, 0.6)
		if err != nil {
			t.Fatal(err)
		}
		if m.Usable() != tt.wantUsable {
			t.Errorf("heap %d MiB: usable %d, want %d", tt.heap/mib, m.Usable(), tt.wantUsable)
		}
		if tt.storageTaken > 0 && !m.AcquireStorage(tt.storageTaken) {
			t.Fatalf("could not take %d bytes of storage", tt.storageTaken)
		}
		if got := m.TaskBudget(); got != tt.wantPerTask {
			t.Errorf("heap %d MiB, %d slots: task budget %d, want %d", tt.heap/mib, tt.slots, got, tt.wantPerTask)
		}
	}
}

func TestStorageCannotExceedUsable(t *testing.T) {
	m, err := New(100<<20, 1, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	if !m.AcquireStorage(m.Usable()) {
		t.Fatal("storage could not take all usable memory")
	}
	if m.AcquireStorage(1) {
		t.Fatal("storage went beyond usable memory")
	}
	m.ReleaseStorage(m.Usable())
	if m.StorageUsed() != 0 {
		t.Fatalf("storage used %d after release", m.StorageUsed())
	}
	if _, err := New(0, 1, 0.6); err == nil {
		t.Fatal("zero heap accepted")
	}
	if _, err := New(1<<30, 1, 1.5); err == nil {
		t.Fatal("spark.memory.fraction 1.5 accepted")
	}
}
