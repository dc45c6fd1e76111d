// Command pagerank ranks the pages of a link graph, as Spark's
// SparkPageRank example.
//
//	pagerank <file> [iterations=10]
//
// Each line of file is "page neighbor" (a link). The links are grouped and
// cached, then every iteration joins them with the current ranks, spreads
// each page's rank over its links and sets rank = 0.15 + 0.85 * received.
// It prints "page has rank: r ." for every page, sorted by page.
package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/gospark/gospark/spark"
)

type rank = spark.KV[string, float64]

var pageRanks = spark.Func2(func(p *spark.Plan, file string, iterations int) *spark.Dataset[rank] {
	edges := spark.FlatMap(spark.TextFile(p, file, 0), func(line string) []spark.KV[string, string] {
		f := strings.Fields(line)
		if len(f) < 2 {
			return nil
		}
		return []spark.KV[string, string]{{Key: f[0], Value: f[1]}}
	})
	links := spark.GroupByKey(spark.Distinct(edges)).Cache()
	ranks := spark.MapValues(links, func([]string) float64 { return 1.0 })
	for range iterations {
		contribs := spark.FlatMap(spark.Join(links, ranks), func(kv spark.KV[string, spark.Joined[[]string, float64]]) []rank {
			urls, r := kv.Value.Left, kv.Value.Right
			out := make([]rank, len(urls))
			for i, u := range urls {
				out[i] = rank{Key: u, Value: r / float64(len(urls))}
			}
			return out
		})
		sums := spark.ReduceByKey(contribs, func(a, b float64) float64 { return a + b })
		ranks = spark.MapValues(sums, func(s float64) float64 { return 0.15 + 0.85*s })
	}
	return ranks
})

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "pagerank:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	if len(args) < 1 || len(args) > 2 {
		return errors.New("usage: pagerank <file> [iterations]")
	}
	iterations := 10
	if len(args) == 2 {
		v, err := strconv.Atoi(args[1])
		if err != nil || v < 0 {
			return fmt.Errorf("iterations: want a non-negative integer, got %q", args[1])
		}
		iterations = v
	}
	sess, err := spark.NewSession(ctx, spark.AppName("PageRank"))
	if err != nil {
		return err
	}
	defer sess.Stop()
	ranks, err := spark.Collect(ctx, pageRanks.Call(sess, args[0], iterations))
	if err != nil {
		return err
	}
	slices.SortFunc(ranks, func(a, b rank) int { return cmp.Compare(a.Key, b.Key) })
	for _, r := range ranks {
		fmt.Printf("%s has rank: %v .\n", r.Key, r.Value)
	}
	return nil
}
