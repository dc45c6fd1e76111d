// Command wordcount counts the words (runs of non-space characters) of its
// input, as Spark's WordCount example.
//
//	wordcount <input> [outputDir]
//
// input is a file, directory, glob or comma-separated list (.gz read
// transparently). Without outputDir it prints "word: count" lines sorted by
// word; with it, it saves (word,count) lines there as part files.
package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/gospark/gospark/spark"
)

var wordCounts = spark.Func1(func(p *spark.Plan, input string) *spark.Dataset[spark.KV[string, int64]] {
	words := spark.FlatMap(spark.TextFile(p, input, 0), strings.Fields)
	ones := spark.Map(words, func(w string) spark.KV[string, int64] { return spark.KV[string, int64]{Key: w, Value: 1} })
	return spark.ReduceByKey(ones, func(a, b int64) int64 { return a + b })
})

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "wordcount:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	if len(args) < 1 || len(args) > 2 {
		return errors.New("usage: wordcount <input> [outputDir]")
	}
	sess, err := spark.NewSession(ctx, spark.AppName("Word Count"))
	if err != nil {
		return err
	}
	defer sess.Stop()
	counts := wordCounts.Call(sess, args[0])
	if len(args) == 2 {
		return spark.SaveAsTextFile(ctx, counts, args[1])
	}
	recs, err := spark.Collect(ctx, counts)
	if err != nil {
		return err
	}
	slices.SortFunc(recs, func(a, b spark.KV[string, int64]) int { return cmp.Compare(a.Key, b.Key) })
	for _, r := range recs {
		fmt.Printf("%s: %d\n", r.Key, r.Value)
	}
	return nil
}
