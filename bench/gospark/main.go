// Command gospark-bench runs the four shared benchmark workloads on the
// gospark engine and prints the same "result ..." lines as the hand-written
// baseline, so the answers can be checked.
//
//	gospark-bench wc|kv|pi|sort
//
// Sizes come from the BENCH_* variables of ../shared/bench (see bench/wl).
// The master defaults to local[*]; spark.* properties can be set with
// GOSPARK_CONF as gospark submit does, e.g.
//
//	GOSPARK_CONF='{"spark.master":"local-cluster[2,1,2048]"}' gospark-bench kv
//
// Under local-cluster the driver starts this same program again as each
// executor process; their output goes to the driver's stderr, and only the
// driver prints the "result" line.
package main

import (
	"context"
	"fmt"
	"iter"
	"os"
	"runtime"
	"runtime/pprof"

	benchwl "github.com/gospark/gospark/bench/wl"
	"github.com/gospark/gospark/internal/launch"
	"github.com/gospark/gospark/spark"
)

type kv = spark.KV[int64, int64]

// wordCounts is the word count: lines -> words -> (word, 1) -> sum, then a
// per-partition checksum so that only 8 small records reach the driver.
var wordCounts = spark.Func1(func(p *spark.Plan, dir string) *spark.Dataset[benchwl.WordChecksum] {
	lines := spark.TextFile(p, dir+"/part-*.txt", 0)
	words := spark.MapPartitions(lines, func(_ *spark.TaskContext, in iter.Seq[string], emit func(spark.KV[string, int64])) error {
		for line := range in {
			for w := range fields(line) {
				emit(spark.KV[string, int64]{Key: w, Value: 1})
			}
		}
		return nil
	})
	counts := spark.ReduceByKey(words, func(a, b int64) int64 { return a + b })
	return spark.MapPartitions(counts, func(_ *spark.TaskContext, in iter.Seq[spark.KV[string, int64]], emit func(benchwl.WordChecksum)) error {
		var c benchwl.WordChecksum
		for r := range in {
			c.Add(r.Key, r.Value)
		}
		emit(c)
		return nil
	})
})

// fields yields the space-separated words of s without allocating.
func fields(s string) iter.Seq[string] {
	return func(yield func(string) bool) {
		start := -1
		for i := 0; i < len(s); i++ {
			c := s[i]
			space := c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
			switch {
			case space && start >= 0:
				if !yield(s[start:i]) {
					return
				}
				start = -1
			case !space && start < 0:
				start = i
			}
		}
		if start >= 0 {
			yield(s[start:])
		}
	}
}

var kvSums = spark.Func3(func(p *spark.Plan, n, nkeys int64, parts int) *spark.Dataset[benchwl.KVChecksum] {
	pairs := spark.Map(spark.Range(p, 0, n, parts), func(i int64) kv {
		k, v := benchwl.KV(i, nkeys)
		return kv{Key: k, Value: v}
	})
	sums := spark.ReduceByKey(pairs, func(a, b int64) int64 { return a + b }, spark.Partitions(parts))
	return spark.MapPartitions(sums, func(_ *spark.TaskContext, in iter.Seq[kv], emit func(benchwl.KVChecksum)) error {
		var c benchwl.KVChecksum
		for r := range in {
			c.Add(r.Key, r.Value)
		}
		emit(c)
		return nil
	})
})

var piInside = spark.Func2(func(p *spark.Plan, samples int64, parts int) *spark.Dataset[int64] {
	ids := make([]int, parts)
	for i := range ids {
		ids[i] = i
	}
	return spark.Map(spark.Parallelize(p, ids, parts), func(i int) int64 {
		lo, hi := benchwl.Range(samples, i, parts)
		return benchwl.PiPartition(i, hi-lo)
	})
})

type sortSummary struct {
	N           int64
	First, Last uint64
	Sorted      bool
	Digest      uint64
}

var sorted = spark.Func2(func(p *spark.Plan, n int64, parts int) *spark.Dataset[sortSummary] {
	recs := spark.Map(spark.Range(p, 0, n, parts), func(i int64) spark.KV[uint64, int64] {
		k, v := benchwl.SortRecord(i)
		return spark.KV[uint64, int64]{Key: k, Value: v}
	})
	s := spark.SortByKey(recs, spark.Partitions(parts))
	return spark.MapPartitions(s, func(_ *spark.TaskContext, in iter.Seq[spark.KV[uint64, int64]], emit func(sortSummary)) error {
		c := benchwl.NewSortChecksum()
		var first, last uint64
		for r := range in {
			if c.N == 0 {
				first = r.Key
			}
			last = r.Key
			c.Add(r.Key, r.Value)
		}
		emit(sortSummary{N: c.N, First: first, Last: last, Sorted: c.Sorted, Digest: c.Digest})
		return nil
	})
})

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: gospark-bench wc|kv|pi|sort")
		os.Exit(2)
	}
	if path := os.Getenv("BENCH_CPUPROFILE"); path != "" {
		if id := os.Getenv(launch.EnvExecutorID); launch.IsExecutor() && id != "" {
			path += ".exec-" + id // local-cluster: one profile per executor process
		}
		f, err := os.Create(path)
		if err == nil && pprof.StartCPUProfile(f) == nil {
			defer pprof.StopCPUProfile()
		}
	}
	if err := run(context.Background(), os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "gospark-bench:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

func run(ctx context.Context, workload string) error {
	parts := int(benchwl.EnvInt("BENCH_PARTITIONS", benchwl.DefaultPartitions))
	fmt.Printf("gospark %s GOMAXPROCS=%d partitions=%d\n", workload, runtime.GOMAXPROCS(0), parts)
	sess, err := spark.NewSession(ctx, spark.AppName("bench-"+workload))
	if err != nil {
		return err
	}
	defer sess.Stop()
	switch workload {
	case "wc":
		sums, err := spark.Collect(ctx, wordCounts.Call(sess, benchwl.EnvStr("BENCH_TEXT", "bench-data/text")))
		if err != nil {
			return err
		}
		var c benchwl.WordChecksum
		for _, s := range sums {
			c.Distinct += s.Distinct
			c.Total += s.Total
			c.Digest += s.Digest
		}
		fmt.Println("result", c)
	case "kv":
		n := benchwl.EnvInt("BENCH_KV_RECORDS", benchwl.DefaultKVRecords)
		nkeys := benchwl.EnvInt("BENCH_KV_KEYS", benchwl.DefaultKVKeys)
		sums, err := spark.Collect(ctx, kvSums.Call(sess, n, nkeys, parts))
		if err != nil {
			return err
		}
		var c benchwl.KVChecksum
		for _, s := range sums {
			c.Keys += s.Keys
			c.Total += s.Total
			c.Digest += s.Digest
		}
		fmt.Println("result", c)
	case "pi":
		samples := benchwl.EnvInt("BENCH_PI_SAMPLES", benchwl.DefaultPiSamples)
		inside, err := spark.Reduce(ctx, piInside.Call(sess, samples, parts), func(a, b int64) int64 { return a + b })
		if err != nil {
			return err
		}
		fmt.Printf("result inside=%d estimate=%.8f\n", inside, benchwl.PiEstimate(inside, samples))
	case "sort":
		n := benchwl.EnvInt("BENCH_SORT_RECORDS", benchwl.DefaultSortRecords)
		sums, err := spark.Collect(ctx, sorted.Call(sess, n, parts))
		if err != nil {
			return err
		}
		c := benchwl.NewSortChecksum()
		var prev uint64
		for i, s := range sums {
			if s.N == 0 {
				continue
			}
			if !s.Sorted || (i > 0 && c.N > 0 && s.First < prev) {
				c.Sorted = false
			}
			prev = s.Last
			c.N += s.N
			c.Digest += s.Digest
		}
		fmt.Println("result", c)
	default:
		return fmt.Errorf("unknown workload %q: want wc, kv, pi or sort", workload)
	}
	return nil
}
