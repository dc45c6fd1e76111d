// Command groupbytest is Spark's GroupByTest: numMappers tasks each make
// numKVPairs random (key, value) pairs with values of valSize random bytes,
// the pairs are cached and counted, then grouped by key into numReducers
// partitions, and the number of distinct keys is printed on the last line.
//
//	groupbytest [numMappers=2] [numKVPairs=1000] [valSize=1000] [numReducers=numMappers]
//
// Mapper m draws from a generator seeded with m, so the count is the same on
// every run.
package main

import (
	"context"
	"fmt"
	"iter"
	"math"
	"math/rand/v2"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/gospark/gospark/spark"
)

type pair = spark.KV[int, []byte]

var makePairs = spark.Func3(func(p *spark.Plan, numMappers, numKVPairs, valSize int) *spark.Dataset[pair] {
	mappers := make([]int, numMappers)
	for i := range mappers {
		mappers[i] = i
	}
	gen := func(_ *spark.TaskContext, in iter.Seq[int], emit func(pair)) error {
		for m := range in {
			generate(m, numKVPairs, valSize, emit)
		}
		return nil
	}
	return spark.MapPartitions(spark.Parallelize(p, mappers, numMappers), gen).Cache()
})

var groupPairs = spark.Func2(func(p *spark.Plan, pairs *spark.Dataset[pair], numReducers int) *spark.Dataset[spark.KV[int, [][]byte]] {
	return spark.GroupByKey(spark.Import(p, pairs), spark.Partitions(numReducers))
})

// generate emits mapper m's pairs: keys in [0, MaxInt32) and random
// values. Spark's version builds the mapper's whole array first; emitting
// pairs one by one keeps a mapper's output out of memory.
func generate(m, n, valSize int, emit func(pair)) {
	rng := rand.New(rand.NewPCG(uint64(m), 0x6b79))
	for range n {
		v := make([]byte, valSize)
		for j := 0; j < valSize; j += 8 {
			x := rng.Uint64()
			for k := j; k < min(j+8, valSize); k++ {
				v[k] = byte(x)
				x >>= 8
			}
		}
		emit(pair{Key: rng.IntN(math.MaxInt32), Value: v})
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "groupbytest:", err)
		os.Exit(1)
	}
}

func intArg(args []string, i int, name string, def int) (int, error) {
	if len(args) <= i {
		return def, nil
	}
	v, err := strconv.Atoi(args[i])
	if err != nil || v < 1 {
		return 0, fmt.Errorf("%s: want a positive integer, got %q", name, args[i])
	}
	return v, nil
}

func run(ctx context.Context, args []string) error {
	numMappers, err := intArg(args, 0, "numMappers", 2)
	if err != nil {
		return err
	}
	numKVPairs, err := intArg(args, 1, "numKVPairs", 1000)
	if err != nil {
		return err
	}
	valSize, err := intArg(args, 2, "valSize", 1000)
	if err != nil {
		return err
	}
	numReducers, err := intArg(args, 3, "numReducers", numMappers)
	if err != nil {
		return err
	}
	sess, err := spark.NewSession(ctx, spark.AppName("GroupBy Test"))
	if err != nil {
		return err
	}
	defer sess.Stop()
	pairs := makePairs.Call(sess, numMappers, numKVPairs, valSize)
	// Enforce that everything has been calculated and is in the cache.
	if _, err := spark.Count(ctx, pairs); err != nil {
		return err
	}
	n, err := spark.Count(ctx, groupPairs.Call(sess, pairs, numReducers))
	if err != nil {
		return err
	}
	fmt.Println(n)
	return nil
}
