package spark_test

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"iter"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gospark/gospark/internal/config"
	"github.com/gospark/gospark/internal/scheduler"
	"github.com/gospark/gospark/spark"
)

type kvi = spark.KV[int, int]

func newSession(t *testing.T, opts ...spark.SessionOption) *spark.Session {
	t.Helper()
	base := []spark.SessionOption{spark.Master("local[2]"), spark.Conf("spark.local.dir", t.TempDir())}
	s, err := spark.NewSession(context.Background(), append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Stop() })
	return s
}

// buildPairs is i -> (i % keys, i) for i in [0, n).
func buildPairs(p *spark.Plan, n, keys, parts int) *spark.Dataset[kvi] {
	return spark.Map(spark.Range(p, 0, int64(n), parts), func(i int64) kvi { return kvi{Key: int(i) % keys, Value: int(i)} })
}

func plainPairs(n, keys int) []kvi {
	out := make([]kvi, n)
	for i := range out {
		out[i] = kvi{Key: i % keys, Value: i}
	}
	return out
}

func byKey[V any](a, b spark.KV[int, V]) int { return cmp.Compare(a.Key, b.Key) }

var pairsFn = spark.Func3(buildPairs)

var kviSum = spark.Reducer(func(a, b kvi) kvi { return kvi{Value: a.Value + b.Value} })

func TestActions(t *testing.T) { testActions(t, newSession(t)) }

func testActions(t *testing.T, s *spark.Session) {
	ctx := context.Background()
	d := pairsFn.Call(s, 1000, 7, 4)
	if n, err := spark.Count(ctx, d); err != nil || n != 1000 {
		t.Fatalf("Count = %d, %v; want 1000", n, err)
	}
	all, err := spark.Collect(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	if want := plainPairs(1000, 7); !slices.Equal(all, want) {
		t.Fatalf("Collect does not keep partition order: starts %v", all[:3])
	}
	sum, err := spark.Reduce(ctx, d, func(a, b kvi) kvi { return kvi{Value: a.Value + b.Value} })
	if err != nil || sum.Value != 999*1000/2 {
		t.Fatalf("Reduce = %v, %v; want %d", sum.Value, err, 999*1000/2)
	}
	// A registered reducer reduces in the tasks, wherever they run.
	if sum, err := kviSum.Reduce(ctx, d); err != nil || sum.Value != 999*1000/2 {
		t.Fatalf("Reducer.Reduce = %v, %v; want %d", sum.Value, err, 999*1000/2)
	}
	if _, err := kviSum.Reduce(ctx, pairsFn.Call(s, 0, 1, 2)); !errors.Is(err, spark.ErrEmpty) {
		t.Fatalf("Reducer.Reduce of empty dataset: %v, want ErrEmpty", err)
	}
	for _, n := range []int{0, 1, 5, 260, 999, 1000, 5000} {
		got, err := spark.Take(ctx, d, n)
		if err != nil {
			t.Fatal(err)
		}
		if want := plainPairs(1000, 7)[:min(n, 1000)]; !slices.Equal(got, want) {
			t.Fatalf("Take(%d) returned %d records, want the first %d", n, len(got), len(want))
		}
	}
	first, err := spark.First(ctx, d)
	if err != nil || first != (kvi{0, 0}) {
		t.Fatalf("First = %v, %v", first, err)
	}
	var seen atomic.Int64
	if err := spark.Foreach(ctx, d, func(kv kvi) { seen.Add(int64(kv.Value)) }); err != nil || seen.Load() != 499500 {
		t.Fatalf("Foreach saw sum %d, %v", seen.Load(), err)
	}
	counts, err := spark.CountByKey(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	for k := range 7 {
		want := int64(1000 / 7)
		if k < 1000%7 {
			want++
		}
		if counts[k] != want {
			t.Fatalf("CountByKey[%d] = %d, want %d", k, counts[k], want)
		}
	}
	empty := pairsFn.Call(s, 0, 1, 2)
	if _, err := spark.Reduce(ctx, empty, func(a, b kvi) kvi { return a }); !errors.Is(err, spark.ErrEmpty) {
		t.Fatalf("Reduce of empty dataset: %v, want ErrEmpty", err)
	}
	if _, err := spark.First(ctx, empty); !errors.Is(err, spark.ErrEmpty) {
		t.Fatalf("First of empty dataset: %v, want ErrEmpty", err)
	}
}

var narrowFn = spark.Func1(func(p *spark.Plan, which string) *spark.Dataset[string] {
	words := spark.Parallelize(p, []string{"a b", "c", "", "d e f"}, 3)
	switch which {
	case "flatmap":
		return spark.FlatMap(words, strings.Fields)
	case "filter":
		return spark.Filter(words, func(s string) bool { return len(s) > 1 })
	case "union":
		return spark.Union(words, spark.Parallelize(p, []string{"x"}, 1), words)
	case "coalesce":
		return spark.Coalesce(spark.FlatMap(words, strings.Fields), 2)
	case "repartition":
		return spark.Repartition(spark.FlatMap(words, strings.Fields), 5)
	case "mappartitions":
		return spark.MapPartitions(words, func(tc *spark.TaskContext, in iter.Seq[string], emit func(string)) error {
			n := 0
			for s := range in {
				n += len(s)
			}
			emit(fmt.Sprintf("p%d:%d", tc.Partition(), n))
			return nil
		})
	case "distinct":
		return spark.Distinct(spark.FlatMap(spark.Parallelize(p, []string{"a b a", "b c", "a"}, 2), strings.Fields))
	case "bigbatches":
		// FlatMap may hand on batches larger than the usual 1024 records.
		many := spark.FlatMap(words, func(s string) []string { return slices.Repeat([]string{s}, 3000) })
		return spark.Filter(spark.Map(many, strings.ToUpper), func(s string) bool { return s == "C" })
	case "keyby":
		kv := spark.KeyBy(words, func(s string) int { return len(s) })
		return spark.Map(spark.MapValues(kv, strings.ToUpper), spark.KV[int, string].String)
	}
	return nil
})

func TestNarrowTransformations(t *testing.T) { testNarrowTransformations(t, newSession(t)) }

func testNarrowTransformations(t *testing.T, s *spark.Session) {
	ctx := context.Background()
	tests := []struct {
		which  string
		want   []string
		sorted bool // compare as sets
		parts  int
	}{
		{"flatmap", []string{"a", "b", "c", "d", "e", "f"}, false, 3},
		{"filter", []string{"a b", "d e f"}, false, 3},
		{"union", []string{"a b", "c", "", "d e f", "x", "a b", "c", "", "d e f"}, false, 7},
		{"coalesce", []string{"a", "b", "c", "d", "e", "f"}, false, 2},
		{"repartition", []string{"a", "b", "c", "d", "e", "f"}, true, 5},
		{"mappartitions", []string{"p0:3", "p1:1", "p2:5"}, false, 3},
		{"distinct", []string{"a", "b", "c"}, true, 2},
		{"bigbatches", slices.Repeat([]string{"C"}, 3000), false, 3},
		{"keyby", []string{"(3,A B)", "(1,C)", "(0,)", "(5,D E F)"}, false, 3},
	}
	for _, tt := range tests {
		t.Run(tt.which, func(t *testing.T) {
			d := narrowFn.Call(s, tt.which)
			got, err := spark.Collect(ctx, d)
			if err != nil {
				t.Fatal(err)
			}
			if tt.sorted {
				slices.Sort(got)
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
			if d.NumPartitions() != tt.parts {
				t.Fatalf("%d partitions, want %d", d.NumPartitions(), tt.parts)
			}
		})
	}
}

var byKeyFn = spark.Func2(func(p *spark.Plan, which string, n int) *spark.Dataset[string] {
	d := buildPairs(p, n, 13, 4)
	show := func(kv any) string { return fmt.Sprint(kv) }
	switch which {
	case "reduce":
		return spark.Map(spark.ReduceByKey(d, func(a, b int) int { return a + b }, spark.Partitions(3)), func(kv kvi) string { return show(kv) })
	case "group":
		g := spark.GroupByKey(d)
		return spark.Map(g, func(kv spark.KV[int, []int]) string { slices.Sort(kv.Value); return show(kv) })
	case "aggregate":
		type mm struct{ Min, Max int }
		a := spark.AggregateByKey(d, mm{Min: 1 << 30, Max: -1},
			func(m mm, v int) mm { return mm{min(m.Min, v), max(m.Max, v)} },
			func(a, b mm) mm { return mm{min(a.Min, b.Min), max(a.Max, b.Max)} })
		return spark.Map(a, func(kv spark.KV[int, mm]) string { return fmt.Sprintf("%d:%d-%d", kv.Key, kv.Value.Min, kv.Value.Max) })
	case "join":
		right := spark.Parallelize(p, []spark.KV[int, string]{{1, "one"}, {2, "two"}, {2, "deux"}, {99, "none"}}, 2)
		j := spark.Join(spark.Filter(d, func(kv kvi) bool { return kv.Value < 30 }), right)
		return spark.Map(j, func(kv spark.KV[int, spark.Joined[int, string]]) string { return show(kv) })
	case "leftouter":
		right := spark.Parallelize(p, []spark.KV[int, string]{{1, "one"}, {2, "two"}}, 2)
		j := spark.LeftOuterJoin(spark.Filter(d, func(kv kvi) bool { return kv.Value < 4 }), right)
		return spark.Map(j, func(kv spark.KV[int, spark.Joined[int, spark.Optional[string]]]) string {
			return fmt.Sprintf("%d:%d:%v:%s", kv.Key, kv.Value.Left, kv.Value.Right.Ok, kv.Value.Right.Value)
		})
	case "cogroup":
		right := spark.Parallelize(p, []spark.KV[int, string]{{1, "x"}, {20, "y"}}, 1)
		c := spark.CoGroup(spark.Filter(d, func(kv kvi) bool { return kv.Value < 3 }), right)
		return spark.Map(c, func(kv spark.KV[int, spark.CoGrouped[int, string]]) string {
			return fmt.Sprintf("%d:%v:%v", kv.Key, kv.Value.Left, kv.Value.Right)
		})
	case "sort":
		sw := spark.Map(d, func(kv kvi) kvi { return kvi{Key: kv.Value * 7919 % n, Value: kv.Value} })
		return spark.Map(spark.SortByKey(sw, spark.Partitions(4)), func(kv kvi) string { return fmt.Sprintf("%06d", kv.Key) })
	case "sortdesc":
		sw := spark.Map(d, func(kv kvi) kvi { return kvi{Key: kv.Value * 7919 % n, Value: kv.Value} })
		return spark.Map(spark.SortByKey(sw, spark.Descending()), func(kv kvi) string { return fmt.Sprintf("%06d", kv.Key) })
	}
	return nil
})

func TestShuffleTransformations(t *testing.T) { testShuffleTransformations(t, newSession(t)) }

func testShuffleTransformations(t *testing.T, s *spark.Session) {
	ctx := context.Background()
	const n = 5000
	input := plainPairs(n, 13)
	sums := map[int]int{}
	groups := map[int][]int{}
	for _, kv := range input {
		sums[kv.Key] += kv.Value
		groups[kv.Key] = append(groups[kv.Key], kv.Value)
	}
	var wantReduce, wantGroup, wantAgg []string
	for _, k := range slices.Sorted(maps.Keys(sums)) {
		wantReduce = append(wantReduce, fmt.Sprint(kvi{k, sums[k]}))
		wantGroup = append(wantGroup, fmt.Sprint(spark.KV[int, []int]{Key: k, Value: groups[k]}))
		wantAgg = append(wantAgg, fmt.Sprintf("%d:%d-%d", k, slices.Min(groups[k]), slices.Max(groups[k])))
	}
	var wantJoin []string
	for _, kv := range input[:30] {
		switch kv.Key {
		case 1:
			wantJoin = append(wantJoin, fmt.Sprintf("(%d,{%d one})", kv.Key, kv.Value))
		case 2:
			wantJoin = append(wantJoin, fmt.Sprintf("(%d,{%d two})", kv.Key, kv.Value), fmt.Sprintf("(%d,{%d deux})", kv.Key, kv.Value))
		}
	}
	sortedKeys := make([]string, n)
	for i := range sortedKeys {
		sortedKeys[i] = fmt.Sprintf("%06d", i)
	}
	descKeys := slices.Clone(sortedKeys)
	slices.Reverse(descKeys)
	tests := []struct {
		which   string
		want    []string
		ordered bool
	}{
		{"reduce", wantReduce, false},
		{"group", wantGroup, false},
		{"aggregate", wantAgg, false},
		{"join", wantJoin, false},
		{"leftouter", []string{"0:0:false:", "1:1:true:one", "2:2:true:two", "3:3:false:"}, false},
		{"cogroup", []string{"0:[0]:[]", "1:[1]:[x]", "2:[2]:[]", "20:[]:[y]"}, false},
		{"sort", sortedKeys, true},
		{"sortdesc", descKeys, true},
	}
	for _, tt := range tests {
		t.Run(tt.which, func(t *testing.T) {
			got, err := spark.Collect(ctx, byKeyFn.Call(s, tt.which, n))
			if err != nil {
				t.Fatal(err)
			}
			want := slices.Clone(tt.want)
			if !tt.ordered {
				slices.Sort(got)
				slices.Sort(want)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("got %d records %.200q..., want %d records %.200q...", len(got), got, len(want), want)
			}
		})
	}
}

func TestOutsideRegisteredFunction(t *testing.T) {
	ctx := context.Background()
	s := newSession(t)
	d := spark.Parallelize[int](nil, []int{1, 2, 3}, 1)
	if _, err := spark.Count(ctx, d); !errors.Is(err, spark.ErrOutsideFunc) {
		t.Fatalf("Count of a dataset built with a nil plan: %v, want ErrOutsideFunc", err)
	}
	// A transformation applied after the function returned fails too.
	later := spark.Map(pairsFn.Call(s, 10, 2, 1), func(kv kvi) int { return kv.Value })
	if _, err := spark.Count(ctx, later); !errors.Is(err, spark.ErrOutsideFunc) {
		t.Fatalf("Count of a dataset derived outside the function: %v, want ErrOutsideFunc", err)
	}
	if n, err := spark.Count(ctx, leakFn.Call(s)); err != nil || n != 1 {
		t.Fatalf("leak call: %d, %v", n, err)
	}
	if _, err := spark.Count(ctx, spark.Range(leaked, 0, 5, 1)); !errors.Is(err, spark.ErrOutsideFunc) {
		t.Fatalf("Count of a dataset built with a leaked plan: %v, want ErrOutsideFunc", err)
	}
}

var leaked *spark.Plan

var leakFn = spark.Func0(func(p *spark.Plan) *spark.Dataset[int64] {
	leaked = p
	return spark.Range(p, 0, 1, 1)
})

// flaky fails the first `failures` attempts of every task.
var flakyFn = spark.Func2(func(p *spark.Plan, failures int, panics bool) *spark.Dataset[int64] {
	return spark.MapPartitions(spark.Range(p, 0, 100, 4), func(tc *spark.TaskContext, in iter.Seq[int64], emit func(int64)) error {
		for x := range in {
			emit(x)
		}
		if tc.Attempt() < failures {
			if panics {
				panic(fmt.Sprintf("boom in partition %d", tc.Partition()))
			}
			return fmt.Errorf("injected failure of partition %d attempt %d", tc.Partition(), tc.Attempt())
		}
		return nil
	})
})

func TestTaskRetries(t *testing.T) {
	ctx := context.Background()
	s := newSession(t, spark.Conf("spark.task.maxFailures", "4"))
	for _, panics := range []bool{false, true} {
		n, err := spark.Count(ctx, flakyFn.Call(s, 3, panics))
		if err != nil || n != 100 {
			t.Fatalf("3 failures then success (panics=%v): %d, %v", panics, n, err)
		}
		_, err = spark.Count(ctx, flakyFn.Call(s, 4, panics))
		var tf *scheduler.TaskFailedError
		if !errors.As(err, &tf) {
			t.Fatalf("4 failures (panics=%v): %v, want TaskFailedError", panics, err)
		}
		if tf.Failures != 4 {
			t.Fatalf("failed after %d attempts, want 4", tf.Failures)
		}
		want := "injected failure"
		if panics {
			want = "boom in partition"
		}
		if !strings.Contains(err.Error(), want) {
			t.Fatalf("error does not carry the task's error %q: %v", want, err)
		}
	}
}

var computed atomic.Int64

var cachedFn = spark.Func1(func(p *spark.Plan, level spark.StorageLevel) *spark.Dataset[kvi] {
	d := spark.Map(spark.Range(p, 0, 2000, 4), func(i int64) kvi {
		computed.Add(1)
		return kvi{Key: int(i % 10), Value: int(i)}
	})
	return spark.ReduceByKey(d.Persist(level), func(a, b int) int { return a + b })
})

func TestCacheReusesPartitions(t *testing.T) {
	ctx := context.Background()
	for _, level := range []spark.StorageLevel{spark.MemoryOnly, spark.MemoryAndDisk, spark.DiskOnly} {
		t.Run(level.String(), func(t *testing.T) {
			s := newSession(t)
			computed.Store(0)
			d := cachedFn.Call(s, level)
			for range 3 {
				got, err := spark.Collect(ctx, d)
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != 10 {
					t.Fatalf("%d keys, want 10", len(got))
				}
			}
			if c := computed.Load(); c != 2000 {
				t.Fatalf("map function ran %d times over 3 jobs, want 2000 (each record once)", c)
			}
		})
	}
}

var accFn = spark.Func1(func(p *spark.Plan, acc *spark.Accumulator[int64]) *spark.Dataset[int64] {
	return spark.MapPartitions(spark.Range(p, 0, 50, 5), func(tc *spark.TaskContext, in iter.Seq[int64], emit func(int64)) error {
		for x := range in {
			acc.Add(tc, x)
			emit(x)
		}
		if tc.Partition() == 2 && tc.Attempt() == 0 {
			return errors.New("fail once")
		}
		return nil
	})
})

var bcFn = spark.Func1(func(p *spark.Plan, b *spark.Broadcast[map[int]string]) *spark.Dataset[string] {
	return spark.Map(spark.Range(p, 0, 3, 2), func(i int64) string { return b.Value()[int(i)] })
})

func TestAccumulatorsAndBroadcast(t *testing.T) { testAccumulatorsAndBroadcast(t, newSession(t)) }

func testAccumulatorsAndBroadcast(t *testing.T, s *spark.Session) {
	ctx := context.Background()
	acc := spark.LongAccumulator(s, "sum")
	if _, err := spark.Count(ctx, accFn.Call(s, acc)); err != nil {
		t.Fatal(err)
	}
	// The failed attempt's additions are dropped: each record counts once.
	if acc.Value() != 49*50/2 {
		t.Fatalf("accumulator = %d, want %d", acc.Value(), 49*50/2)
	}
	b, err := spark.NewBroadcast(s, map[int]string{0: "zero", 1: "one", 2: "two"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := spark.Collect(ctx, bcFn.Call(s, b))
	if err != nil || !slices.Equal(got, []string{"zero", "one", "two"}) {
		t.Fatalf("broadcast lookup: %v, %v", got, err)
	}
}

var textFn = spark.Func2(func(p *spark.Plan, path string, minParts int) *spark.Dataset[string] {
	return spark.TextFile(p, path, minParts)
})

func TestTextFileSplitsAndSave(t *testing.T) { testTextFileSplitsAndSave(t, newSession(t)) }

func testTextFileSplitsAndSave(t *testing.T, s *spark.Session) {
	ctx := context.Background()
	dir := t.TempDir()
	var want []string
	var body strings.Builder
	for i := range 5000 {
		line := strings.Repeat("x", i%37) + fmt.Sprint(i)
		want = append(want, line)
		body.WriteString(line)
		if i%3 == 0 {
			body.WriteString("\r")
		}
		body.WriteString("\n")
	}
	if err := os.WriteFile(filepath.Join(dir, "a.txt"), []byte(body.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, parts := range []int{1, 2, 7, 50} {
		d := textFn.Call(s, filepath.Join(dir, "a.txt"), parts)
		got, err := spark.Collect(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("minPartitions %d: %d lines, want %d (lines split wrongly)", parts, len(got), len(want))
		}
		if d.NumPartitions() < parts {
			t.Fatalf("minPartitions %d gave %d partitions", parts, d.NumPartitions())
		}
	}
	out := filepath.Join(dir, "out")
	if err := spark.SaveAsTextFile(ctx, textFn.Call(s, filepath.Join(dir, "a.txt"), 3), out); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(out, "_SUCCESS")); err != nil {
		t.Fatal("no _SUCCESS file:", err)
	}
	parts, _ := filepath.Glob(filepath.Join(out, "part-*"))
	if len(parts) != 3 {
		t.Fatalf("%d part files, want 3", len(parts))
	}
	// Reading the output directory back skips _SUCCESS and gives the lines.
	back, err := spark.Collect(ctx, textFn.Call(s, out, 0))
	if err != nil || !slices.Equal(back, want) {
		t.Fatalf("read back %d lines, %v", len(back), err)
	}
	if err := spark.SaveAsTextFile(ctx, textFn.Call(s, out, 0), out); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("saving into an existing directory: %v", err)
	}
	if _, err := spark.Count(ctx, textFn.Call(s, filepath.Join(dir, "missing*"), 0)); err == nil {
		t.Fatal("TextFile of a path matching nothing did not fail")
	}
}

var blocksFn = spark.Func3(func(p *spark.Plan, path string, minParts, size int) *spark.Dataset[[]byte] {
	return spark.TextFileBlocks(p, path, minParts, size)
})

var packedFn = spark.Func2(func(p *spark.Plan, path string, pk spark.FilePacking) *spark.Dataset[[]byte] {
	return spark.TextFileBlocksPacked(p, path, pk, 64)
})

// TestTextFileBlocksPacked: files grouped into partitions as Spark SQL's
// file sources group them, each partition reading whole lines of its
// pieces; together the lines of every file once.
func TestTextFileBlocksPacked(t *testing.T) {
	s := newSession(t)
	ctx := context.Background()
	dir := t.TempDir()
	var all []string
	for i := range 8 {
		var b strings.Builder
		for j := range 100 {
			fmt.Fprintf(&b, "file %d line %d %s\n", i, j, strings.Repeat("x", j%7))
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("part-%05d.txt", i)), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		all = append(all, strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")...)
	}
	if err := os.WriteFile(filepath.Join(dir, "part-empty.txt"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	slices.Sort(all)
	const mib = 1 << 20
	for _, c := range []struct {
		name  string
		pk    spark.FilePacking
		parts int
	}{
		// Spark's defaults on 2 cores: the bytes per core (8 files and 9
		// open costs of 4 MiB over 2) take 4 files and their open costs.
		{"defaults, 2 cores", spark.FilePacking{MaxPartitionBytes: 128 * mib, OpenCostInBytes: 4 * mib, MinPartitions: 2}, 2},
		{"defaults, 1 core", spark.FilePacking{MaxPartitionBytes: 128 * mib, OpenCostInBytes: 4 * mib, MinPartitions: 1}, 1},
		// Without open costs, 3 KiB partitions: a file (1885 bytes) each.
		{"small partitions", spark.FilePacking{MaxPartitionBytes: 3 << 10, OpenCostInBytes: 0, MinPartitions: 1}, 8},
		// Pieces of at most 1000 bytes: 2 per file, one a partition.
		{"pieces of files", spark.FilePacking{MaxPartitionBytes: 1000, OpenCostInBytes: 0, MinPartitions: 1}, 16},
	} {
		d := packedFn.Call(s, filepath.Join(dir, "part-*"), c.pk)
		if d.Err() != nil {
			t.Fatal(d.Err())
		}
		if n := d.NumPartitions(); n != c.parts {
			t.Errorf("%s: %d partitions, want %d", c.name, n, c.parts)
		}
		blocks, err := spark.Collect(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, b := range blocks {
			got = append(got, strings.Split(string(b), "\n")...)
		}
		slices.Sort(got)
		if !slices.Equal(got, all) {
			t.Errorf("%s: %d lines, want the files' %d", c.name, len(got), len(all))
		}
	}
	if d := packedFn.Call(s, filepath.Join(dir, "nothing-*"), spark.FilePacking{MaxPartitionBytes: mib, MinPartitions: 1}); d.Err() == nil ||
		!strings.Contains(d.Err().Error(), "does not exist") {
		t.Errorf("no files: %v, want an error saying the path does not exist", d.Err())
	}
}

// TestTextFileBlocks: the blocks hold exactly TextFile's lines, in order,
// whole, for any split of the file, a .gz file, empty lines, "\r\n" ends
// and lines longer than a block.
func TestTextFileBlocks(t *testing.T) {
	s := newSession(t)
	ctx := context.Background()
	dir := t.TempDir()
	var body strings.Builder
	for i := range 3000 {
		switch {
		case i%11 == 0:
			// an empty line
		case i%500 == 7:
			body.WriteString(strings.Repeat("long", 100))
		default:
			body.WriteString(strings.Repeat("y", i%23) + fmt.Sprint(i))
		}
		if i%4 == 0 {
			body.WriteString("\r")
		}
		body.WriteString("\n")
	}
	body.WriteString("no newline at the end")
	plain := filepath.Join(dir, "a.txt")
	if err := os.WriteFile(plain, []byte(body.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(body.String()))
	zw.Close()
	if err := os.WriteFile(filepath.Join(dir, "b.txt.gz"), gz.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	// Small files for the edges: a "\r" inside a line and at the end of
	// the file, only newlines, one line with none, nothing.
	small := map[string]string{
		"cr.txt":    "a\rb\r\n\r\n\rc\nd\r",
		"nl.txt":    "\n\n\n",
		"one.txt":   strings.Repeat("z", 250),
		"empty.txt": "",
		"words.txt": "ab cd\nef\n\ngh ij kl\nmn\r\nop\n",
	}
	paths := []string{plain, filepath.Join(dir, "b.txt.gz")}
	for name, text := range small {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, filepath.Join(dir, name))
	}
	for _, path := range paths {
		want, err := spark.Collect(ctx, textFn.Call(s, path, 1))
		if err != nil {
			t.Fatal(err)
		}
		for _, parts := range []int{1, 2, 3, 5, 7, 16, 40} {
			if parts > 0 {
				// The lines of every split together are the file's.
				if w, err := spark.Collect(ctx, textFn.Call(s, path, parts)); err != nil || !slices.Equal(w, want) {
					t.Fatalf("%s, %d parts: TextFile reads %d lines, with 1 part %d (%v)", path, parts, len(w), len(want), err)
				}
			}
			for _, size := range []int{1, 7, 100, 1 << 20} {
				blocks, err := spark.Collect(ctx, blocksFn.Call(s, path, parts, size))
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, b := range blocks {
					lines := strings.Split(string(b), "\n")
					// A block is under size until its last line is added.
					if head := len(b) - len(lines[len(lines)-1]); len(lines) > 1 && head > size {
						t.Fatalf("%s, %d parts: a block of %d bytes before its last line, size %d", path, parts, head, size)
					}
					got = append(got, lines...)
				}
				if !slices.Equal(got, want) {
					t.Fatalf("%s, %d parts, size %d: %d lines from the blocks %q, TextFile reads %d", path, parts, size, len(got), clip(got), len(want))
				}
			}
		}
	}
}

// TestTextFileBlocksRandom compares TextFileBlocks' lines with TextFile's
// on random files: lines of random lengths, empty ones, "\r" before and
// inside lines, with or without a final newline, in random numbers of
// splits and block sizes.
func TestTextFileBlocksRandom(t *testing.T) {
	s := newSession(t)
	ctx := context.Background()
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(17, 2026))
	for c := range 60 {
		var b []byte
		for range rng.IntN(60) {
			for range rng.IntN(3) * rng.IntN(40) {
				b = append(b, "ab \r"[rng.IntN(4)])
			}
			if rng.IntN(5) == 0 {
				b = append(b, '\r')
			}
			b = append(b, '\n')
		}
		if rng.IntN(2) == 0 {
			b = append(b, "tail"[:rng.IntN(5)]...)
		}
		path := filepath.Join(dir, fmt.Sprintf("r%d.txt", c))
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		want, err := spark.Collect(ctx, textFn.Call(s, path, 1))
		if err != nil {
			t.Fatal(err)
		}
		parts, size := 1+rng.IntN(30), 1+rng.IntN(64)
		blocks, err := spark.Collect(ctx, blocksFn.Call(s, path, parts, size))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, blk := range blocks {
			got = append(got, strings.Split(string(blk), "\n")...)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("file %q, %d parts, size %d: blocks give %q, TextFile %q", b, parts, size, got, want)
		}
	}
}

// clip is the start of a list of lines, for a failure message.
func clip(lines []string) []string {
	return lines[:min(len(lines), 8)]
}

func TestCancellation(t *testing.T) {
	s := newSession(t)
	ctx, cancel := context.WithCancel(context.Background())
	blockStarted = make(chan struct{})
	go func() {
		<-blockStarted
		cancel()
	}()
	_, err := spark.Count(ctx, blockFn.Call(s))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Count after cancel: %v, want context.Canceled", err)
	}
}

// blockStarted is closed when the endless job below has started.
var blockStarted chan struct{}

var blockFn = spark.Func0(func(p *spark.Plan) *spark.Dataset[int64] {
	var once atomic.Bool
	started := blockStarted
	return spark.Map(spark.Range(p, 0, 1<<40, 2), func(i int64) int64 {
		if once.CompareAndSwap(false, true) {
			close(started)
		}
		return i
	})
})

var reducedFn = spark.Func1(func(p *spark.Plan, n int) *spark.Dataset[kvi] {
	return spark.ReduceByKey(buildPairs(p, n, 11, 4), func(a, b int) int { return a + b })
})

func TestLostShuffleOutputIsRecomputed(t *testing.T) {
	ctx := context.Background()
	s := newSession(t)
	d := reducedFn.Call(s, 10_000)
	first, err := spark.Collect(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	// Lose two map outputs: the next job finds them registered but gone.
	files, _ := filepath.Glob(filepath.Join(s.LocalDir(), "shuffle", "*.data"))
	if len(files) != 4 {
		t.Fatalf("%d shuffle data files, want 4 (one per map task)", len(files))
	}
	for _, f := range files[:2] {
		if err := os.Remove(f); err != nil {
			t.Fatal(err)
		}
	}
	second, err := spark.Collect(ctx, d)
	if err != nil {
		t.Fatalf("job after losing map output: %v", err)
	}
	slices.SortFunc(first, byKey)
	slices.SortFunc(second, byKey)
	if !slices.Equal(first, second) {
		t.Fatalf("recomputed result differs: %v vs %v", second, first)
	}
	after, _ := filepath.Glob(filepath.Join(s.LocalDir(), "shuffle", "*.data"))
	if len(after) < 4 {
		t.Fatalf("%d data files after recovery, want the lost ones rewritten", len(after))
	}
}

var manyKeysFn = spark.Func2(func(p *spark.Plan, n, keys int) *spark.Dataset[kvi] {
	return spark.ReduceByKey(buildPairs(p, n, keys, 2), func(a, b int) int { return a + b }, spark.Partitions(3))
})

func TestReduceByKeyCombiningAndPassThrough(t *testing.T) {
	ctx := context.Background()
	s := newSession(t)
	// 400,000 records over 2 map tasks: with 390,000 keys the first 100,000
	// records of a task hardly repeat and map-side combining switches off;
	// with 10 keys it stays on. Both must give the same sums as a plain loop.
	for _, keys := range []int{390_000, 10} {
		got, err := spark.Collect(ctx, manyKeysFn.Call(s, 400_000, keys))
		if err != nil {
			t.Fatal(err)
		}
		want := map[int]int{}
		for _, kv := range plainPairs(400_000, keys) {
			want[kv.Key] += kv.Value
		}
		if len(got) != len(want) {
			t.Fatalf("%d keys: got %d keys, want %d", keys, len(got), len(want))
		}
		for _, kv := range got {
			if want[kv.Key] != kv.Value {
				t.Fatalf("%d keys: sum of %d = %d, want %d", keys, kv.Key, kv.Value, want[kv.Key])
			}
		}
	}
}

var fileFn = spark.Func1(func(p *spark.Plan, name string) *spark.Dataset[string] {
	return spark.MapPartitions(spark.Range(p, 0, 2, 2), func(tc *spark.TaskContext, in iter.Seq[int64], emit func(string)) error {
		for range in {
		}
		path, err := tc.File(name)
		if err != nil {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		emit(string(b))
		return nil
	})
})

func TestShippedFiles(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.txt"), filepath.Join(dir, "lookup.csv")
	os.WriteFile(a, []byte("alpha"), 0o644)
	os.WriteFile(b, []byte("k,v"), 0o644)
	// A remote file is downloaded, by the driver and by every executor.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/data/remote.txt" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte("over http"))
	}))
	t.Cleanup(srv.Close)
	s := newSession(t, spark.Conf("spark.files", a+", file://"+b+","+srv.URL+"/data/remote.txt"))
	if p, err := s.File("remote.txt"); err != nil {
		t.Fatal(err)
	} else if got, _ := os.ReadFile(p); string(got) != "over http" {
		t.Fatalf("remote.txt holds %q", got)
	}
	p, err := s.File("lookup.csv")
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(p); string(got) != "k,v" {
		t.Fatalf("Session.File content %q", got)
	}
	got, err := spark.Collect(ctx, fileFn.Call(s, "a.txt"))
	if err != nil || !slices.Equal(got, []string{"alpha", "alpha"}) {
		t.Fatalf("TaskContext.File in tasks: %q, %v", got, err)
	}
	if _, err := s.File("missing.txt"); !errors.Is(err, spark.ErrNoSuchFile) {
		t.Fatalf("unknown file: %v, want ErrNoSuchFile", err)
	}
	for _, bad := range []string{filepath.Join(dir, "nope"), a + "," + filepath.Join(t.TempDir(), "a.txt"), srv.URL + "/missing.txt", "hdfs://nn/x"} {
		if dup := filepath.Join(filepath.Dir(bad), "a.txt"); strings.Contains(bad, ",") {
			os.WriteFile(dup, []byte("other"), 0o644)
		}
		local := t.TempDir()
		_, err := spark.NewSession(ctx, spark.Master("local[1]"), spark.Conf("spark.local.dir", local), spark.Conf("spark.files", bad))
		if err == nil || !strings.Contains(err.Error(), "spark.files") {
			t.Fatalf("spark.files=%s: %v, want an error naming spark.files", bad, err)
		}
		if left, _ := os.ReadDir(local); len(left) != 0 {
			t.Fatalf("spark.files=%s: the failed session left %d entries in spark.local.dir", bad, len(left))
		}
	}
}

func TestConcurrentJobsShareAShuffle(t *testing.T) {
	ctx := context.Background()
	s := newSession(t)
	d := reducedFn.Call(s, 20_000)
	want := map[int]int{}
	for _, kv := range plainPairs(20_000, 11) {
		want[kv.Key] += kv.Value
	}
	errs := make(chan error, 6)
	for range 6 {
		go func() {
			got, err := spark.Collect(ctx, d)
			if err == nil && len(got) != len(want) {
				err = fmt.Errorf("%d keys, want %d", len(got), len(want))
			}
			for _, kv := range got {
				if err == nil && want[kv.Key] != kv.Value {
					err = fmt.Errorf("sum of %d = %d, want %d", kv.Key, kv.Value, want[kv.Key])
				}
			}
			errs <- err
		}()
	}
	for range 6 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

func TestGetConf(t *testing.T) {
	s := newSession(t, spark.Conf("spark.executor.memory", "2g"))
	for name, want := range map[string]string{
		"spark.executor.memory":      "2g",
		"spark.io.compression.codec": "lz4",
		"spark.master":               "local[2]",
	} {
		if got, err := s.GetConf(name); err != nil || got != want {
			t.Errorf("GetConf(%s) = %q, %v; want %q", name, got, err, want)
		}
	}
	if _, err := s.GetConf("spark.no.such.thing"); !errors.Is(err, config.ErrUnknownProperty) {
		t.Fatalf("GetConf of an unknown property: %v, want ErrUnknownProperty", err)
	}
}
