// Command sparkpi estimates Pi by throwing darts at the unit square, as
// Spark's SparkPi example: sparkpi [slices] (default 2) samples 100000 points
// per slice and prints "Pi is roughly 3.14...".
package main

import (
	"context"
	"fmt"
	"math"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/gospark/gospark/spark"
)

// hits marks, for each sample i in [1, n), whether its point lands in the
// unit circle. Points come from a hash of i, so every run gives the same
// answer.
var hits = spark.Func2(func(p *spark.Plan, n int64, slices int) *spark.Dataset[int64] {
	return spark.Map(spark.Range(p, 1, n, slices), inCircle)
})

// sum adds the hits up. Registered, it runs on the executors, as Spark's
// reduce does; a plain function given to spark.Reduce would run on the
// driver over every record.
var sum = spark.Reducer(func(a, b int64) int64 { return a + b })

func inCircle(i int64) int64 {
	x := unit(splitMix64(uint64(i)))*2 - 1
	y := unit(splitMix64(uint64(i)^0xabcdef12345))*2 - 1
	if x*x+y*y <= 1 {
		return 1
	}
	return 0
}

func splitMix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

func unit(h uint64) float64 { return float64(h>>11) / (1 << 53) }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "sparkpi:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	slices := 2
	if len(args) > 0 {
		v, err := strconv.Atoi(args[0])
		if err != nil || v < 1 {
			return fmt.Errorf("slices: want a positive integer, got %q", args[0])
		}
		slices = v
	}
	sess, err := spark.NewSession(ctx, spark.AppName("Spark Pi"))
	if err != nil {
		return err
	}
	defer sess.Stop()
	n := min(100000*int64(slices), math.MaxInt32)
	count, err := sum.Reduce(ctx, hits.Call(sess, n, slices))
	if err != nil {
		return err
	}
	fmt.Printf("Pi is roughly %v\n", 4.0*float64(count)/float64(n-1))
	return nil
}
