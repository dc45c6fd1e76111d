// Command flaky is a test application whose tasks fail their first
// `failures` attempts, by returning an error or by panicking:
//
//	flaky <failures> error|panic
//
// It prints the number of records (100) when the job succeeds.
package main

import (
	"context"
	"fmt"
	"iter"
	"os"
	"strconv"

	"github.com/gospark/gospark/spark"
)

var records = spark.Func2(func(p *spark.Plan, failures int, mode string) *spark.Dataset[int64] {
	return spark.MapPartitions(spark.Range(p, 0, 100, 4), func(tc *spark.TaskContext, in iter.Seq[int64], emit func(int64)) error {
		for x := range in {
			emit(x)
		}
		if tc.Attempt() >= failures {
			return nil
		}
		if mode == "panic" {
			panic(fmt.Sprintf("flaky: deliberate panic in partition %d attempt %d", tc.Partition(), tc.Attempt()))
		}
		return fmt.Errorf("flaky: deliberate error in partition %d attempt %d", tc.Partition(), tc.Attempt())
	})
})

func main() {
	failures, err := strconv.Atoi(os.Args[1])
	if err != nil || len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: flaky <failures> error|panic")
		os.Exit(2)
	}
	ctx := context.Background()
	sess, err := spark.NewSession(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "flaky:", err)
		os.Exit(1)
	}
	n, err := spark.Count(ctx, records.Call(sess, failures, os.Args[2]))
	sess.Stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "flaky:", err)
		os.Exit(1)
	}
	fmt.Println(n)
}
