package spark

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"testing"
)

type wordCount = KV[string, int]

var replayWords = Func2(func(p *Plan, text string, parts int) *Dataset[wordCount] {
	words := FlatMap(Parallelize(p, strings.Split(text, "\n"), parts), strings.Fields)
	ones := Map(words, func(w string) wordCount { return wordCount{w, 1} })
	return ReduceByKey(ones, func(a, b int) int { return a + b }).Cache()
})

var replayTop = Func2(func(p *Plan, counts *Dataset[wordCount], min int) *Dataset[KV[int, string]] {
	frequent := Filter(Import(p, counts), func(kv wordCount) bool { return kv.Value >= min })
	byCount := Map(frequent, func(kv wordCount) KV[int, string] { return KV[int, string]{kv.Value, kv.Key} })
	return SortByKey(byCount, Descending(), Partitions(2))
})

func testSession(t *testing.T, master string) *Session {
	t.Helper()
	s, err := NewSession(context.Background(), Master(master), Conf("spark.local.dir", t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Stop() })
	return s
}

// replayAll replays every call of driver, in order, in a new one-slot
// session, as an executor process would.
func replayAll(t *testing.T, driver *Session) *Session {
	t.Helper()
	executor := testSession(t, "local[1]")
	for _, inv := range driver.callLog() {
		if err := executor.replay(inv); err != nil {
			t.Fatal(err)
		}
	}
	return executor
}

// An executor replays the driver's calls and gets the same datasets, by
// id, computing the same records.
func TestReplayRebuildsTheDriversPlans(t *testing.T) {
	ctx := context.Background()
	driver := testSession(t, "local[2]")
	text := "a b c a\nb a d\n\ne a a b\nc"
	counts := replayWords.Call(driver, text, 3)
	top := replayTop.Call(driver, counts, 2)
	want, err := Collect(ctx, top)
	if err != nil {
		t.Fatal(err)
	}
	// A different default parallelism must not change the replayed plans.
	executor := replayAll(t, driver)
	for _, d := range []interface {
		ID() int64
		NumPartitions() int
	}{counts, top} {
		v, ok := executor.datasetByID(d.ID())
		if !ok {
			t.Fatalf("dataset %d not rebuilt by the replay", d.ID())
		}
		if got := v.(interface{ NumPartitions() int }).NumPartitions(); got != d.NumPartitions() {
			t.Fatalf("dataset %d has %d partitions after replay, want %d", d.ID(), got, d.NumPartitions())
		}
	}
	if len(executor.datasets) != len(driver.datasets) {
		t.Fatalf("replay built %d datasets, the driver %d", len(executor.datasets), len(driver.datasets))
	}
	v, _ := executor.datasetByID(top.ID())
	got, err := Collect(ctx, v.(*Dataset[KV[int, string]]))
	if err != nil {
		t.Fatal(err)
	}
	sortPairs := func(s []KV[int, string]) {
		slices.SortFunc(s, func(a, b KV[int, string]) int {
			return cmp.Or(cmp.Compare(b.Key, a.Key), cmp.Compare(a.Value, b.Value))
		})
	}
	sortPairs(got)
	sortPairs(want)
	if !slices.Equal(got, want) || len(want) != 3 {
		t.Fatalf("replayed plan computed %v, the driver %v", got, want)
	}
}

func TestReplayRejectsUnknownFunctionsAndDatasets(t *testing.T) {
	s := testSession(t, "local[1]")
	if err := s.replay(invocation{Seq: 1, Func: 1 << 20}); err == nil || !strings.Contains(err.Error(), "same binary") {
		t.Fatalf("unknown function: %v", err)
	}
	// A dataset argument naming nothing this session built.
	driver := testSession(t, "local[1]")
	counts := replayWords.Call(driver, "x y", 1)
	replayTop.Call(driver, counts, 1)
	calls := driver.callLog()
	if err := s.replay(calls[1]); err == nil || !strings.Contains(err.Error(), "no earlier call built it") {
		t.Fatalf("dataset argument without its call: %v", err)
	}
}

var (
	arity0 = Func0(func(p *Plan) *Dataset[int64] { return Range(p, 0, 5, 2) })
	arity1 = Func1(func(p *Plan, n int64) *Dataset[int64] { return Range(p, 0, n, 2) })
	arity3 = Func3(func(p *Plan, lo, hi int64, step string) *Dataset[string] {
		return Map(Range(p, lo, hi, 3), func(i int64) string { return step + strings.Repeat("x", int(i)) })
	})
	arity4 = Func4(func(p *Plan, a *Dataset[int64], b *Dataset[string], k int, tag string) *Dataset[string] {
		nums := Map(Import(p, a), func(i int64) string { return tag + strings.Repeat("n", int(i)*k) })
		return Union(nums, Import(p, b))
	})
)

func TestReplayEveryArity(t *testing.T) {
	ctx := context.Background()
	driver := testSession(t, "local[2]")
	a := arity1.Call(driver, 4)
	b := arity3.Call(driver, 1, 4, "s")
	last := arity4.Call(driver, a, b, 2, "t")
	zero := arity0.Call(driver)
	want, err := Collect(ctx, last)
	if err != nil {
		t.Fatal(err)
	}
	executor := replayAll(t, driver)
	v, ok := executor.datasetByID(last.ID())
	if !ok {
		t.Fatal("the four-argument call's dataset was not rebuilt")
	}
	got, err := Collect(ctx, v.(*Dataset[string]))
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("replayed: %q, %v; driver: %q", got, err, want)
	}
	if _, ok := executor.datasetByID(zero.ID()); !ok {
		t.Fatal("the argument-less call's dataset was not rebuilt")
	}
}
