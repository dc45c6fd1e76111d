package spark

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gospark/gospark/internal/shuffle"
	"github.com/gospark/gospark/internal/storage"
	"github.com/gospark/gospark/internal/task"
)

// These tests run the datasets' task code with task contexts of their own,
// in a local[2] session, and check what the tasks counted. Carrying the
// counters from the executors to the driver is the scheduler's part.

var metricsWordCount = Func1(func(p *Plan, path string) *Dataset[KV[string, int]] {
	words := FlatMap(TextFile(p, path, 2), strings.Fields)
	pairs := Map(words, func(w string) KV[string, int] { return KV[string, int]{w, 1} })
	return ReduceByKey(pairs, func(a, b int) int { return a + b }, Partitions(2))
})

var metricsCached = Func1(func(p *Plan, n int) *Dataset[int64] {
	return Map(Parallelize(p, make([]int64, n), 2), func(v int64) int64 { return v }).Persist(MemoryOnly)
})

var metricsGrouped = Func1(func(p *Plan, n int64) *Dataset[KV[int64, []int64]] {
	pairs := Map(Range(p, 0, n, 2), func(i int64) KV[int64, int64] { return KV[int64, int64]{i % 100, i} })
	return GroupByKey(pairs, Partitions(1))
})

var metricsSorted = Func1(func(p *Plan, n int64) *Dataset[KV[int64, int64]] {
	pairs := Map(Range(p, 0, n, 2), func(i int64) KV[int64, int64] { return KV[int64, int64]{(i * 7919) % n, i} })
	return SortByKey(pairs, Partitions(1))
})

func newMetricsSession(t *testing.T, conf ...SessionOption) *Session {
	t.Helper()
	opts := append([]SessionOption{Master("local[2]"), Conf("spark.local.dir", t.TempDir())}, conf...)
	s, err := NewSession(context.Background(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Stop() })
	return s
}

// taskCtx is a fresh task attempt of partition part in s's local executor.
func taskCtx(s *Session, id int64, part int) *task.Context {
	return &task.Context{TaskID: 1<<40 + id, Partition: part, Env: s.env, Metrics: new(task.Metrics)}
}

func drain[T any](t *testing.T, d *Dataset[T], tc *task.Context) int {
	t.Helper()
	n := 0
	if err := d.run(context.Background(), tc, tc.Partition, func(b []T) error { n += len(b); return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestTaskMetricsTextFileAndShuffle(t *testing.T) {
	ctx := context.Background()
	s := newMetricsSession(t)
	path := filepath.Join(t.TempDir(), "words.txt")
	var sb strings.Builder
	const lines = 20_000
	for i := range lines {
		fmt.Fprintf(&sb, "w%d x\n", i%50)
	}
	if err := os.WriteFile(path, []byte(sb.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	counts := metricsWordCount.Call(s, path)
	if n, err := Count(ctx, counts); err != nil || n != 51 {
		t.Fatalf("Count = %d, %v; want 51 words", n, err)
	}
	dep := counts.n.deps[0].Shuffle

	// Map side: the text splits are the input, the combined pairs the
	// shuffle output.
	var inRecords, inBytes int64
	for part := range 2 {
		tc := taskCtx(s, int64(part), part)
		v, err := dep.Map(ctx, tc)
		if err != nil {
			t.Fatal(err)
		}
		st := v.(*shuffle.MapStatus)
		m := tc.M().Snapshot()
		inRecords += m.InputRecords
		inBytes += m.InputBytes
		var size int64
		for _, n := range st.Sizes {
			size += n
		}
		if m.ShuffleBytesWritten != size || m.ShuffleRecordsWritten != st.Records {
			t.Fatalf("map %d: wrote %d bytes, %d records; its output has %d bytes, %d records",
				part, m.ShuffleBytesWritten, m.ShuffleRecordsWritten, size, st.Records)
		}
		if st.Records == 0 || st.Records > 51 {
			t.Fatalf("map %d wrote %d combined records, want 1..51", part, st.Records)
		}
		if m.ShuffleWriteTime <= 0 {
			t.Fatalf("map %d: shuffle write time %v", part, m.ShuffleWriteTime)
		}
		if m.ShuffleRecordsRead != 0 || m.OutputRecords != 0 {
			t.Fatalf("map %d counted a shuffle read or output: %+v", part, m)
		}
	}
	if inRecords != lines || inBytes != int64(sb.Len()) {
		t.Fatalf("input: %d records, %d bytes; want %d lines, %d bytes", inRecords, inBytes, lines, sb.Len())
	}

	// Reduce side: every map output's segment is a local block.
	statuses, err := s.env.MapOutputs.Statuses(ctx, dep.ID)
	if err != nil {
		t.Fatal(err)
	}
	var records, total int64
	for part := range 2 {
		tc := taskCtx(s, 10+int64(part), part)
		got := drain(t, counts, tc)
		m := tc.M().Snapshot()
		var blocks, bytes int64
		for _, st := range statuses {
			if st.Sizes[part] > 0 {
				blocks++
				bytes += st.Sizes[part]
			}
		}
		if m.LocalBlocksFetched != blocks || m.LocalBytesRead != bytes || m.RemoteBlocksFetched != 0 || m.RemoteBytesRead != 0 {
			t.Fatalf("reduce %d read %d local blocks (%d bytes), %d remote; want %d local blocks of %d bytes",
				part, m.LocalBlocksFetched, m.LocalBytesRead, m.RemoteBlocksFetched, blocks, bytes)
		}
		if m.FetchWait != 0 {
			t.Fatalf("reduce %d waited %v for local blocks", part, m.FetchWait)
		}
		if m.InputRecords != 0 {
			t.Fatalf("reduce %d counted %d input records", part, m.InputRecords)
		}
		records += m.ShuffleRecordsRead
		total += int64(got)
	}
	var written int64
	for _, st := range statuses {
		written += st.Records
	}
	if records != written || total != 51 {
		t.Fatalf("reducers read %d records (%d words), map outputs hold %d records", records, total, written)
	}
}

func TestTaskMetricsCacheAndParallelize(t *testing.T) {
	ctx := context.Background()
	s := newMetricsSession(t)
	const n = 1000
	d := metricsCached.Call(s, n)

	// Computing the partition reads the parallelized collection.
	tc := taskCtx(s, 1, 0)
	if got := drain(t, d, tc); got != n/2 {
		t.Fatalf("partition 0 has %d records, want %d", got, n/2)
	}
	if m := tc.M().Snapshot(); m.InputRecords != n/2 || m.InputBytes != 0 {
		t.Fatalf("computing: input %d records, %d bytes; want %d records, no bytes", m.InputRecords, m.InputBytes, n/2)
	}
	b, ok := s.env.Blocks.Get(storage.BlockID{Dataset: d.n.id, Partition: 0})
	if !ok {
		t.Fatal("partition 0 was not cached")
	}
	// 500 int64s take 4000 bytes; the block reports that, not the
	// storage memory reserved while it was built.
	if b.Size != 8*n/2 {
		t.Fatalf("cached block size %d, want %d", b.Size, 8*n/2)
	}

	// Reading it back is input too: its records and the block's size.
	tc = taskCtx(s, 2, 0)
	drain(t, d, tc)
	if m := tc.M().Snapshot(); m.InputRecords != n/2 || m.InputBytes != b.Size {
		t.Fatalf("cached read: input %d records, %d bytes; want %d records, %d bytes", m.InputRecords, m.InputBytes, n/2, b.Size)
	}
	if c, err := Count(ctx, d); err != nil || c != n {
		t.Fatalf("Count = %d, %v", c, err)
	}
}

func TestTaskMetricsSpills(t *testing.T) {
	// A tiny memory fraction gives each task the 1 MiB minimum budget.
	s := newMetricsSession(t, Conf("spark.memory.fraction", "0.001"))
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		run  func(t *testing.T) *task.Context
	}{
		{"GroupByKey", func(t *testing.T) *task.Context {
			d := metricsGrouped.Call(s, 400_000)
			if n, err := Count(ctx, d); err != nil || n != 100 {
				t.Fatalf("Count = %d, %v", n, err)
			}
			tc := taskCtx(s, 1, 0)
			drain(t, d, tc)
			return tc
		}},
		{"SortByKey", func(t *testing.T) *task.Context {
			d := metricsSorted.Call(s, 300_000)
			if n, err := Count(ctx, d); err != nil || n != 300_000 {
				t.Fatalf("Count = %d, %v", n, err)
			}
			tc := taskCtx(s, 2, 0)
			drain(t, d, tc)
			return tc
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := tc.run(t).M().Snapshot()
			if m.MemoryBytesSpilled <= 1<<20 || m.DiskBytesSpilled <= 0 {
				t.Fatalf("spilled %d bytes of memory, %d bytes on disk; want more than the 1 MiB budget, and files", m.MemoryBytesSpilled, m.DiskBytesSpilled)
			}
			if m.PeakExecutionMemory <= 0 {
				t.Fatalf("peak execution memory %d", m.PeakExecutionMemory)
			}
		})
	}
}

func TestTaskMetricsOutput(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	if err := os.MkdirAll(filepath.Join(dir, "_temporary"), 0o755); err != nil {
		t.Fatal(err)
	}
	m := new(task.Metrics)
	c := saveConsumer[int](dir, 3, m)
	if err := c.sink([]int{1, 22}); err != nil {
		t.Fatal(err)
	}
	if err := c.sink([]int{333}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.done(); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, "part-00003"))
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Snapshot(); got.OutputRecords != 3 || got.OutputBytes != fi.Size() || fi.Size() != int64(len("1\n22\n333\n")) {
		t.Fatalf("output %d records, %d bytes; the part file has 3 lines, %d bytes", got.OutputRecords, got.OutputBytes, fi.Size())
	}
}
