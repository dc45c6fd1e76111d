package main

// sparktest podspec PARTS FILE SECRET_ENV [VAR...]
//
//	what the pods were given, seen from inside: the driver prints
//	"driver file sha256=S" (of FILE), "driver env SECRET_ENV sha256=S"
//	and "driver VAR=value" for each VAR; then a PARTS-task job prints the
//	same from every task, "executor POD file sha256=S", ... (one line
//	per pod and item). Secrets are shown only as checksums.

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"slices"
	"strconv"

	"github.com/gospark/gospark/spark"
)

func init() {
	modes["podspec"] = podSpec
}

// seen is what one process sees of file, the secret variable and vars.
func seen(who, file, secretEnv string, vars []string) []string {
	var out []string
	if b, err := os.ReadFile(file); err != nil {
		out = append(out, fmt.Sprintf("%s file error=%v", who, err))
	} else {
		out = append(out, fmt.Sprintf("%s file sha256=%x", who, sha256.Sum256(b)))
	}
	if v, ok := os.LookupEnv(secretEnv); ok {
		out = append(out, fmt.Sprintf("%s env %s sha256=%x", who, secretEnv, sha256.Sum256([]byte(v))))
	} else {
		out = append(out, fmt.Sprintf("%s env %s unset", who, secretEnv))
	}
	for _, v := range vars {
		out = append(out, fmt.Sprintf("%s %s=%s", who, v, os.Getenv(v)))
	}
	return out
}

var seenOnExecutors = spark.Func4(func(p *spark.Plan, parts int, file, secretEnv string, vars []string) *spark.Dataset[string] {
	return spark.FlatMap(spark.Parallelize(p, make([]int, parts), parts), func(int) []string {
		return seen("executor "+hostname(), file, secretEnv, vars)
	})
})

func podSpec(ctx context.Context, sess *spark.Session, args []string) error {
	if len(args) < 3 {
		return fmt.Errorf("usage: sparktest podspec PARTS FILE SECRET_ENV [VAR...]")
	}
	parts, err := strconv.Atoi(args[0])
	if err != nil {
		return fmt.Errorf("PARTS %q: %w", args[0], err)
	}
	for _, l := range seen("driver", args[1], args[2], args[3:]) {
		fmt.Println(l)
	}
	lines, err := spark.Collect(ctx, seenOnExecutors.Call(sess, parts, args[1], args[2], args[3:]))
	if err != nil {
		return err
	}
	slices.Sort(lines)
	for _, l := range slices.Compact(lines) {
		fmt.Println(l)
	}
	return nil
}
