//go:build browser

// Command uiapp is the application the browser tests look at: Spark's
// GroupByTest (see examples/groupbytest) with two holds that let a test see
// the driver's UI in known states instead of racing the job.
//
//	uiapp gate numMappers numKVPairs valSize numReducers
//
// Mapper 0 finishes only once the file named by gate exists, so the first
// job stays running, with some tasks done and one running, until the test
// creates it. After its jobs the application prints "jobs done" and keeps
// its session (and with it the UI) until its standard input is closed.
//
// The pairs are cached (the Storage page has them), counted (job 0), grouped
// by key and counted again (job 1, with a shuffle); the number of distinct
// keys is printed before "jobs done".
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"math"
	"math/rand/v2"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/gospark/gospark/spark"
)

type pair = spark.KV[int, []byte]

// gateLimit bounds how long mapper 0 waits for its gate, so that a test that
// died without killing the application does not leave it running forever.
const gateLimit = 10 * time.Minute

var makePairs = spark.Func4(func(p *spark.Plan, gate string, numMappers, numKVPairs, valSize int) *spark.Dataset[pair] {
	mappers := make([]int, numMappers)
	for i := range mappers {
		mappers[i] = i
	}
	gen := func(tc *spark.TaskContext, in iter.Seq[int], emit func(pair)) error {
		for m := range in {
			generate(m, numKVPairs, valSize, emit)
		}
		if tc.Partition() == 0 {
			return waitFor(gate)
		}
		return nil
	}
	return spark.MapPartitions(spark.Parallelize(p, mappers, numMappers), gen).Cache()
})

var groupPairs = spark.Func2(func(p *spark.Plan, pairs *spark.Dataset[pair], numReducers int) *spark.Dataset[spark.KV[int, [][]byte]] {
	return spark.GroupByKey(spark.Import(p, pairs), spark.Partitions(numReducers))
})

// waitFor returns once the file gate exists.
func waitFor(gate string) error {
	deadline := time.Now().Add(gateLimit)
	for {
		_, err := os.Stat(gate)
		switch {
		case err == nil:
			return nil
		case !errors.Is(err, os.ErrNotExist):
			return fmt.Errorf("gate: %w", err)
		case time.Now().After(deadline):
			return fmt.Errorf("gate %s not opened within %v", gate, gateLimit)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// generate emits mapper m's pairs as GroupByTest does: keys in
// [0, MaxInt32) and values of valSize random bytes, from a generator seeded
// with m.
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
		fmt.Fprintln(os.Stderr, "uiapp:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	if len(args) != 5 {
		return errors.New("usage: uiapp gate numMappers numKVPairs valSize numReducers")
	}
	gate := args[0]
	var n [4]int
	for i, name := range []string{"numMappers", "numKVPairs", "valSize", "numReducers"} {
		v, err := strconv.Atoi(args[i+1])
		if err != nil || v < 1 {
			return fmt.Errorf("%s: want a positive integer, got %q", name, args[i+1])
		}
		n[i] = v
	}
	sess, err := spark.NewSession(ctx, spark.AppName("GroupBy Test"))
	if err != nil {
		return err
	}
	defer sess.Stop()
	pairs := makePairs.Call(sess, gate, n[0], n[1], n[2])
	if _, err := spark.Count(ctx, pairs); err != nil {
		return err
	}
	keys, err := spark.Count(ctx, groupPairs.Call(sess, pairs, n[3]))
	if err != nil {
		return err
	}
	fmt.Println(keys)
	fmt.Println("jobs done")
	// Keep the session, and so the UI, until the test has looked.
	eof := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		close(eof)
	}()
	select {
	case <-eof:
	case <-ctx.Done():
	}
	return nil
}
