// Command sort generates N records with pseudo-random 64-bit keys, sorts
// them by key with SortByKey, and validates the result: every partition
// sorted, partitions in order, no record lost or added.
//
//	sort [N=1000000] [partitions=default parallelism]
//
// It prints "sorted N records in P partitions: OK" and exits 0, or says what
// is wrong and exits 1.
package main

import (
	"context"
	"fmt"
	"iter"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/gospark/gospark/spark"
)

type record = spark.KV[uint64, int64]

// summary describes one sorted partition.
type summary struct {
	Count       int64
	First, Last uint64
	Sorted      bool
	Digest      uint64
}

var sortedSummaries = spark.Func2(func(p *spark.Plan, n int64, parts int) *spark.Dataset[summary] {
	recs := spark.Map(spark.Range(p, 0, n, parts), func(i int64) record {
		return record{Key: splitMix64(uint64(i) ^ 0x5eed), Value: i}
	})
	var opts []spark.Option
	if parts > 0 {
		opts = append(opts, spark.Partitions(parts))
	}
	sorted := spark.SortByKey(recs, opts...)
	return spark.MapPartitions(sorted, func(_ *spark.TaskContext, in iter.Seq[record], emit func(summary)) error {
		s := summary{Sorted: true}
		for r := range in {
			if s.Count == 0 {
				s.First = r.Key
			} else if r.Key < s.Last {
				s.Sorted = false
			}
			s.Last = r.Key
			s.Count++
			s.Digest += splitMix64(r.Key ^ uint64(r.Value))
		}
		emit(s)
		return nil
	})
})

func splitMix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "sort:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	n := int64(1_000_000)
	parts := 0
	if len(args) > 0 {
		v, err := strconv.ParseInt(args[0], 10, 64)
		if err != nil || v < 0 {
			return fmt.Errorf("N: want a non-negative integer, got %q", args[0])
		}
		n = v
	}
	if len(args) > 1 {
		v, err := strconv.Atoi(args[1])
		if err != nil || v < 1 {
			return fmt.Errorf("partitions: want a positive integer, got %q", args[1])
		}
		parts = v
	}
	sess, err := spark.NewSession(ctx, spark.AppName("Sort"))
	if err != nil {
		return err
	}
	defer sess.Stop()
	sums, err := spark.Collect(ctx, sortedSummaries.Call(sess, n, parts))
	if err != nil {
		return err
	}
	var want uint64
	for i := int64(0); i < n; i++ {
		want += splitMix64(splitMix64(uint64(i)^0x5eed) ^ uint64(i))
	}
	var count int64
	var digest, last uint64
	for i, s := range sums {
		if !s.Sorted {
			return fmt.Errorf("partition %d is not sorted", i)
		}
		if s.Count > 0 && count > 0 && s.First < last {
			return fmt.Errorf("partition %d starts at %d, below the previous partition's last key %d", i, s.First, last)
		}
		if s.Count > 0 {
			last = s.Last
		}
		count += s.Count
		digest += s.Digest
	}
	if count != n {
		return fmt.Errorf("sorted %d records, want %d", count, n)
	}
	if digest != want {
		return fmt.Errorf("records changed while sorting: digest %x, want %x", digest, want)
	}
	fmt.Printf("sorted %d records in %d partitions: OK\n", n, len(sums))
	return nil
}
