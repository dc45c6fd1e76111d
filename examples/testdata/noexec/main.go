// Command noexec is a test application whose executor processes die at
// start, before they can register with the driver: the job must fail with
// why, not wait forever.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/gospark/gospark/spark"
)

var numbers = spark.Func0(func(p *spark.Plan) *spark.Dataset[int64] { return spark.Range(p, 0, 10, 2) })

func main() {
	if os.Getenv("GOSPARK_ROLE") == "executor" {
		fmt.Fprintln(os.Stderr, "noexec: this binary refuses to be an executor")
		os.Exit(3)
	}
	ctx := context.Background()
	sess, err := spark.NewSession(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "noexec:", err)
		os.Exit(1)
	}
	n, err := spark.Count(ctx, numbers.Call(sess))
	sess.Stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "noexec:", err)
		os.Exit(1)
	}
	fmt.Println(n)
}
