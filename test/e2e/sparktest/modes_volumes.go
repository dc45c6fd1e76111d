package main

// sparktest localdirs PARTS HOLD_S
//
//	a shuffle in PARTS map tasks of 300 ms each, counted; then every
//	task of a PARTS-task job reports its executor's local directories:
//	"localdirs pod=POD dirs=SPARK_LOCAL_DIRS shuffleFiles=N" (N: the
//	.data files under the first directory), one line per pod; "map stage
//	done"; the driver is held until "sparktest release" (at most HOLD_S
//	seconds); the shuffle is read again: "localdirs total=PARTS*1000",
//	and the executors report again.

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/gospark/gospark/spark"
)

func init() {
	modes["localdirs"] = localDirs
}

// localDirReport is, for each task, its executor's pod, local directories
// and the shuffle data files under the first.
var localDirReport = spark.Func1(func(p *spark.Plan, parts int) *spark.Dataset[string] {
	ids := make([]int, parts)
	return spark.Map(spark.Parallelize(p, ids, parts), func(int) string {
		dirs := os.Getenv("SPARK_LOCAL_DIRS")
		first, _, _ := strings.Cut(dirs, ",")
		n := 0
		if first != "" {
			_ = filepath.WalkDir(first, func(path string, d fs.DirEntry, err error) error {
				if err == nil && !d.IsDir() && strings.HasSuffix(path, ".data") {
					n++
				}
				return nil
			})
		}
		// Slow enough that every executor gets a task.
		time.Sleep(200 * time.Millisecond)
		host, _ := os.Hostname()
		return fmt.Sprintf("localdirs pod=%s dirs=%s shuffleFiles=%d", host, dirs, n)
	})
})

func localDirs(ctx context.Context, sess *spark.Session, args []string) error {
	if len(args) != 2 {
		return fmt.Errorf("usage: sparktest localdirs PARTS HOLD_S")
	}
	var parts, holdS int
	if _, err := fmt.Sscan(args[0], &parts); err != nil {
		return fmt.Errorf("PARTS %q: %w", args[0], err)
	}
	if _, err := fmt.Sscan(args[1], &holdS); err != nil {
		return fmt.Errorf("HOLD_S %q: %w", args[1], err)
	}
	report := func() error {
		lines, err := spark.Collect(ctx, localDirReport.Call(sess, parts))
		if err != nil {
			return err
		}
		slices.Sort(lines)
		for _, l := range slices.Compact(lines) {
			fmt.Println(l)
		}
		return nil
	}
	sums := slowPairs.Call(sess, parts, 300)
	if _, err := spark.Count(ctx, sums); err != nil {
		return err
	}
	if err := report(); err != nil {
		return err
	}
	fmt.Println("map stage done")
	if err := hold(ctx, time.Duration(holdS)*time.Second); err != nil {
		return err
	}
	kv, err := spark.Collect(ctx, sums)
	if err != nil {
		return err
	}
	var total int64
	for _, p := range kv {
		total += p.Value
	}
	fmt.Printf("localdirs total=%d\n", total)
	return report()
}
