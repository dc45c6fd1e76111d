package spark_test

import (
	"cmp"
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gospark/gospark/spark"
)

// wordCounts is the plan function of the package example, as an
// application declares it: registered at package initialization, so that
// every process of the application can rebuild the same plan.
var wordCounts = spark.Func1(func(p *spark.Plan, path string) *spark.Dataset[spark.KV[string, int64]] {
	words := spark.FlatMap(spark.TextFile(p, path, 0), strings.Fields)
	ones := spark.Map(words, func(w string) spark.KV[string, int64] { return spark.KV[string, int64]{Key: w, Value: 1} })
	return spark.ReduceByKey(ones, func(a, b int64) int64 { return a + b })
})

// An application counts the words of a file: main starts a session, calls
// the registered plan function and runs an action on the dataset it returns.
func Example() {
	dir, err := os.MkdirTemp("", "gospark-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "input.txt")
	if err := os.WriteFile(path, []byte("to be or not to be\nthat is the question\n"), 0o644); err != nil {
		log.Fatal(err)
	}

	ctx := context.Background()
	sess, err := spark.NewSession(ctx, spark.Master("local[2]"))
	if err != nil {
		log.Fatal(err)
	}
	defer sess.Stop()

	counts, err := spark.Collect(ctx, wordCounts.Call(sess, path))
	if err != nil {
		log.Fatal(err)
	}
	slices.SortFunc(counts, func(a, b spark.KV[string, int64]) int { return cmp.Compare(a.Key, b.Key) })
	for _, c := range counts {
		fmt.Println(c.Key, c.Value)
	}
	// Output:
	// be 2
	// is 1
	// not 1
	// or 1
	// question 1
	// that 1
	// the 1
	// to 2
}

// squares is a plan function of one argument, n: the squares of 1..n.
var squares = spark.Func1(func(p *spark.Plan, n int64) *spark.Dataset[int64] {
	return spark.Map(spark.Range(p, 1, n+1, 2), func(x int64) int64 { return x * x })
})

// Func1 registers a plan function of one argument at package
// initialization; Call builds its datasets in a session with that
// argument, here on two local task slots.
func ExampleFunc1() {
	ctx := context.Background()
	sess, err := spark.NewSession(ctx, spark.Master("local[2]"))
	if err != nil {
		log.Fatal(err)
	}
	defer sess.Stop()

	sq, err := spark.Collect(ctx, squares.Call(sess, 5))
	if err != nil {
		log.Fatal(err)
	}
	n, err := spark.Count(ctx, squares.Call(sess, 1000))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(sq, n)
	// Output: [1 4 9 16 25] 1000
}
