package shuffle

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gospark/gospark/internal/codec"
	"github.com/gospark/gospark/internal/compress"
)

func lz4Options(t *testing.T) *Options {
	t.Helper()
	c, err := compress.Lookup("lz4")
	if err != nil {
		t.Fatal(err)
	}
	return &Options{Codec: c, BlockSize: 4 << 10}
}

// spillBytes is the size of the writer's spill files on disk now.
func spillBytes(t *testing.T, localDir string) int64 {
	t.Helper()
	ents, err := os.ReadDir(Dir(localDir))
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), "spill_") {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		n += fi.Size()
	}
	return n
}

func TestWriterMetrics(t *testing.T) {
	opts := lz4Options(t)
	dir := t.TempDir()
	enc := codec.MustFor[int64]()
	const reducers, records, budget = 4, 100_000, 16 << 10
	w, err := NewWriter(opts, dir, "exec-1", 3, 0, 9, reducers, enc, func(v *int64) int { return int(*v % reducers) }, budget)
	if err != nil {
		t.Fatal(err)
	}
	batch := make([]int64, 0, 500)
	for i := int64(0); i < records; i++ {
		batch = append(batch, i*7919)
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
	before := w.Metrics()
	if got, want := before.DiskBytesSpilled, spillBytes(t, dir); got != want {
		t.Fatalf("DiskBytesSpilled = %d, spill files hold %d bytes", got, want)
	}
	if before.MemoryBytesSpilled <= int64(w.Spills())*budget {
		t.Fatalf("MemoryBytesSpilled = %d after %d spills, want more than the %d-byte budget each", before.MemoryBytesSpilled, w.Spills(), budget)
	}
	if before.BytesWritten != 0 || before.RecordsWritten != 0 {
		t.Fatalf("output counted before Commit: %+v", before)
	}
	st, err := w.Commit()
	if err != nil {
		t.Fatal(err)
	}
	m := w.Metrics()
	fi, err := os.Stat(st.DataFile)
	if err != nil {
		t.Fatal(err)
	}
	if m.BytesWritten != fi.Size() {
		t.Fatalf("BytesWritten = %d, data file has %d bytes", m.BytesWritten, fi.Size())
	}
	if m.RecordsWritten != records {
		t.Fatalf("RecordsWritten = %d, want %d", m.RecordsWritten, records)
	}
	if m.WriteTime <= 0 {
		t.Fatalf("WriteTime = %v, want the time Commit took", m.WriteTime)
	}
	if m.DiskBytesSpilled != before.DiskBytesSpilled || m.MemoryBytesSpilled != before.MemoryBytesSpilled {
		t.Fatalf("Commit changed the spill counts: %+v, then %+v", before, m)
	}
	if m.PeakMemory <= budget {
		t.Fatalf("PeakMemory = %d, want above the %d-byte budget it spilled at", m.PeakMemory, budget)
	}
}

func TestWriterWithoutSpillCountsNoSpill(t *testing.T) {
	dir := t.TempDir()
	enc := codec.MustFor[string]()
	w, err := NewWriter(lz4Options(t), dir, "e", 1, 0, 1, 2, enc, func(s *string) int { return len(*s) % 2 }, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write([]string{"a", "bb", "ccc"}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	m := w.Metrics()
	if m.MemoryBytesSpilled != 0 || m.DiskBytesSpilled != 0 {
		t.Fatalf("spill counted without a spill: %+v", m)
	}
	if m.RecordsWritten != 3 || m.BytesWritten == 0 {
		t.Fatalf("metrics %+v, want 3 records and some bytes", m)
	}
}

// writeMaps writes maps map outputs of n records each (values 0..n-1) for
// reducers reducers and returns their statuses.
func writeMaps(t *testing.T, opts *Options, maps, n, reducers int) []*MapStatus {
	t.Helper()
	enc := codec.MustFor[int64]()
	var sts []*MapStatus
	for m := range maps {
		dir := filepath.Join(t.TempDir(), "exec")
		w, err := NewWriter(opts, dir, "exec-"+string(rune('a'+m)), 5, m, int64(m), reducers, enc,
			func(v *int64) int { return int(*v % int64(reducers)) }, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		b := make([]int64, n)
		for i := range b {
			b[i] = int64(i)
		}
		if err := w.Write(b); err != nil {
			t.Fatal(err)
		}
		st, err := w.Commit()
		if err != nil {
			t.Fatal(err)
		}
		sts = append(sts, st)
	}
	return sts
}

func TestReadMetricsLocal(t *testing.T) {
	opts := lz4Options(t)
	const maps, n, reducers = 3, 5000, 2
	sts := writeMaps(t, opts, maps, n, reducers)
	var m ReadMetrics
	got := 0
	err := Read(context.Background(), sts, 1, opts, LocalFetcher{}, codec.MustFor[int64](), &m, func(b []int64) error {
		got += len(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var bytes int64
	for _, st := range sts {
		bytes += st.Sizes[1]
	}
	want := ReadMetrics{LocalBlocks: maps, LocalBytes: bytes, Records: int64(got)}
	if m != want {
		t.Fatalf("metrics %+v, want %+v", m, want)
	}
	if got != maps*n/reducers {
		t.Fatalf("read %d records, want %d", got, maps*n/reducers)
	}
}

// splitFetcher says the outputs of the executors in remote are elsewhere
// and serves them from disk once the reader has consumed its first batch,
// so the reader waits for them.
type splitFetcher struct {
	remote map[string]bool
	ready  chan struct{}
}

func (f *splitFetcher) Open(ctx context.Context, st *MapStatus, reduce int) (io.ReadCloser, error) {
	if f.remote[st.ExecutorID] {
		select {
		case <-f.ready:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return LocalFetcher{}.Open(ctx, st, reduce)
}

func (f *splitFetcher) IsRemote(st *MapStatus) bool { return f.remote[st.ExecutorID] }
func (f *splitFetcher) MaxInFlight() int64          { return 1 << 20 }

func TestReadMetricsRemote(t *testing.T) {
	opts := lz4Options(t)
	// Map 0 holds exactly one batch for reducer 0, so the sink sees it
	// before the reader asks for the remote outputs.
	sts := writeMaps(t, opts, 3, 2*BatchSize, 2)
	f := &splitFetcher{remote: map[string]bool{sts[1].ExecutorID: true, sts[2].ExecutorID: true}, ready: make(chan struct{})}
	var m ReadMetrics
	calls := 0
	err := Read(context.Background(), sts, 0, opts, f, codec.MustFor[int64](), &m, func(b []int64) error {
		if calls == 0 {
			close(f.ready)
		}
		calls++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if m.LocalBlocks != 1 || m.LocalBytes != sts[0].Sizes[0] {
		t.Fatalf("local: %d blocks, %d bytes; want 1 block of %d bytes", m.LocalBlocks, m.LocalBytes, sts[0].Sizes[0])
	}
	if want := sts[1].Sizes[0] + sts[2].Sizes[0]; m.RemoteBlocks != 2 || m.RemoteBytes != want {
		t.Fatalf("remote: %d blocks, %d bytes; want 2 blocks of %d bytes", m.RemoteBlocks, m.RemoteBytes, want)
	}
	if m.Records != 3*BatchSize {
		t.Fatalf("Records = %d, want %d", m.Records, 3*BatchSize)
	}
	if m.FetchWait <= 0 {
		t.Fatalf("FetchWait = %v, want the time spent waiting for the remote blocks", m.FetchWait)
	}
}
