// Command sparktest is the end-to-end tests' application for Kubernetes
// cluster mode.
//
//	sparktest slow PARTS SLEEP_MS   a shuffle whose map tasks sleep; prints
//	                                "keys=100 total=PARTS*1000"
//	sparktest hog MIB               one task fills MIB MiB of memory
//	sparktest env NAME...           prints NAME=value of the driver's and
//	                                one executor's environment
//	sparktest files PARTS NAME...   every process (driver and executors)
//	                                prints the sha256 of ./NAME and the
//	                                driver those its PARTS tasks saw
//	sparktest tail PARTS MS TAIL_MS a backlog of PARTS map tasks of MS ms
//	                                each, then one reduce task of TAIL_MS
//	                                ms; prints "keys=1 total=PARTS*1000"
//	sparktest twostage PARTS RECORDS WAIT_S
//	                                a shuffle of RECORDS records in PARTS
//	                                map tasks, counted; "map stage done";
//	                                WAIT_S seconds of nothing (the test
//	                                deletes pods meanwhile); the same
//	                                shuffle read again: prints
//	                                "total=RECORDS mapRecords=N" where N
//	                                counts the records the map side
//	                                computed (RECORDS when computed once)
//	sparktest groupby MAPPERS PAIRS VALSIZE REDUCERS HOLD_S
//	                                GroupByTest's two jobs: MAPPERS tasks
//	                                make PAIRS pairs each (values of
//	                                VALSIZE bytes), cached and counted,
//	                                then grouped into REDUCERS partitions
//	                                and counted (2 jobs, 3 stages,
//	                                2*MAPPERS+REDUCERS tasks); each mapper
//	                                prints "sparktest groupby mapper M" on
//	                                its executor's stdout. Prints
//	                                "groupby count=N", then keeps the
//	                                driver up until "sparktest release"
//	                                runs in its container, at most HOLD_S
//	                                seconds, and stops
//	sparktest release               (kubectl exec in the driver's
//	                                container) ends a groupby's hold
//	sparktest kill                  (kubectl exec in the driver's
//	                                container) kills the application with
//	                                SIGKILL: its driver dies without
//	                                stopping, as in a crash
package main

import (
	"context"
	"crypto/sha256"
	"fmt"
	"iter"
	"math"
	"math/rand/v2"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gospark/gospark/spark"
)

var slowPairs = spark.Func2(func(p *spark.Plan, parts, sleepMS int) *spark.Dataset[spark.KV[int, int64]] {
	pairs := spark.MapPartitions(spark.Range(p, 0, int64(parts)*1000, parts),
		func(_ *spark.TaskContext, in iter.Seq[int64], emit func(spark.KV[int, int64])) error {
			time.Sleep(time.Duration(sleepMS) * time.Millisecond)
			for i := range in {
				emit(spark.KV[int, int64]{Key: int(i % 100), Value: 1})
			}
			return nil
		})
	return spark.ReduceByKey(pairs, func(a, b int64) int64 { return a + b }, spark.Partitions(parts))
})

// tailPairs is PARTS map tasks of sleepMS each feeding one reduce
// partition that sleeps tailMS.
var tailPairs = spark.Func3(func(p *spark.Plan, parts, sleepMS, tailMS int) *spark.Dataset[int64] {
	pairs := spark.MapPartitions(spark.Range(p, 0, int64(parts)*1000, parts),
		func(_ *spark.TaskContext, in iter.Seq[int64], emit func(spark.KV[int, int64])) error {
			time.Sleep(time.Duration(sleepMS) * time.Millisecond)
			for range in {
				emit(spark.KV[int, int64]{Key: 0, Value: 1})
			}
			return nil
		})
	sums := spark.ReduceByKey(pairs, func(a, b int64) int64 { return a + b }, spark.Partitions(1))
	return spark.Map(sums, func(kv spark.KV[int, int64]) int64 {
		time.Sleep(time.Duration(tailMS) * time.Millisecond)
		return kv.Value
	})
})

// countedPairs is RECORDS records (i % 100, 1) in PARTS map tasks reduced
// by key; every record the map side computes adds one to acc.
var countedPairs = spark.Func3(func(p *spark.Plan, parts, records int, acc *spark.Accumulator[int64]) *spark.Dataset[spark.KV[int, int64]] {
	pairs := spark.MapPartitions(spark.Range(p, 0, int64(records), parts),
		func(tc *spark.TaskContext, in iter.Seq[int64], emit func(spark.KV[int, int64])) error {
			for i := range in {
				acc.Add(tc, 1)
				emit(spark.KV[int, int64]{Key: int(i % 100), Value: 1})
			}
			return nil
		})
	return spark.ReduceByKey(pairs, func(a, b int64) int64 { return a + b }, spark.Partitions(parts))
})

type pair = spark.KV[int, []byte]

// groupPairs are GroupByTest's pairs: numMappers tasks of numKVPairs
// random pairs each, cached.
var groupPairs = spark.Func3(func(p *spark.Plan, numMappers, numKVPairs, valSize int) *spark.Dataset[pair] {
	mappers := make([]int, numMappers)
	for i := range mappers {
		mappers[i] = i
	}
	return spark.MapPartitions(spark.Parallelize(p, mappers, numMappers), func(_ *spark.TaskContext, in iter.Seq[int], emit func(pair)) error {
		for m := range in {
			fmt.Printf("sparktest groupby mapper %d\n", m)
			rng := rand.New(rand.NewPCG(uint64(m), 1))
			for range numKVPairs {
				v := make([]byte, valSize)
				for j := range v {
					v[j] = byte(rng.Uint32())
				}
				emit(pair{Key: rng.IntN(math.MaxInt32), Value: v})
			}
		}
		return nil
	}).Cache()
})

var grouped = spark.Func2(func(p *spark.Plan, pairs *spark.Dataset[pair], numReducers int) *spark.Dataset[spark.KV[int, [][]byte]] {
	return spark.GroupByKey(spark.Import(p, pairs), spark.Partitions(numReducers))
})

// releaseFile is what "sparktest release" creates and a groupby's hold
// waits for: in the driver container's local directory.
func releaseFile() string {
	dir := os.Getenv("SPARK_LOCAL_DIRS")
	if dir == "" {
		dir = os.TempDir()
	}
	dir, _, _ = strings.Cut(dir, ",")
	return filepath.Join(dir, "sparktest-release")
}

// hold waits until releaseFile exists, at most d.
func hold(ctx context.Context, d time.Duration) error {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(releaseFile()); err == nil {
			fmt.Println("released")
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	fmt.Println("hold timed out")
	return nil
}

// killApplication sends SIGKILL to the other processes of this program in
// the container (the application, started by gospark driver; not
// gospark, pid 1).
func killApplication() error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return err
	}
	killed := 0
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() || pid == 1 {
			continue
		}
		if exe, err := os.Readlink(filepath.Join("/proc", e.Name(), "exe")); err != nil || exe != self {
			continue
		}
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			return fmt.Errorf("killing %d: %w", pid, err)
		}
		fmt.Println("killed", pid)
		killed++
	}
	if killed == 0 {
		return fmt.Errorf("no other process of %s", self)
	}
	return nil
}

var hog = spark.Func1(func(p *spark.Plan, mib int) *spark.Dataset[int] {
	return spark.Map(spark.Parallelize(p, []int{mib}, 1), func(n int) int {
		b := make([]byte, n<<20)
		for i := 0; i < len(b); i += 4096 {
			b[i] = 1
		}
		return int(b[len(b)-1]) + len(b)>>20
	})
})

var envOf = spark.Func1(func(p *spark.Plan, names []string) *spark.Dataset[string] {
	return spark.FlatMap(spark.Parallelize(p, []int{0}, 1), func(int) []string {
		var out []string
		for _, n := range names {
			out = append(out, "executor "+n+"="+os.Getenv(n))
		}
		return out
	})
})

var filesSeen = spark.Func2(func(p *spark.Plan, parts int, names []string) *spark.Dataset[string] {
	return spark.FlatMap(spark.Parallelize(p, make([]int, parts), parts), func(int) []string {
		return checksums("task on "+hostname(), names)
	})
})

// checksums describes the files names in the working directory.
func checksums(who string, names []string) []string {
	var out []string
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			out = append(out, fmt.Sprintf("%s %s error=%v", who, n, err))
			continue
		}
		out = append(out, fmt.Sprintf("%s %s sha256=%x", who, n, sha256.Sum256(b)))
	}
	return out
}

func hostname() string {
	h, _ := os.Hostname()
	return h
}

func main() {
	// Helpers run with kubectl exec in a driver's container: no session.
	if len(os.Args) == 2 && (os.Args[1] == "release" || os.Args[1] == "kill") {
		var err error
		if os.Args[1] == "release" {
			err = os.WriteFile(releaseFile(), nil, 0o644)
		} else {
			err = killApplication()
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "sparktest:", err)
			os.Exit(1)
		}
		return
	}
	if len(os.Args) > 2 && os.Args[1] == "files" {
		// Before NewSession, which executors do not return from: each
		// process reports what its working directory holds.
		role := os.Getenv("GOSPARK_ROLE")
		for _, l := range checksums(role+" "+hostname(), os.Args[3:]) {
			fmt.Println(l)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "sparktest:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	if len(args) < 1 {
		return fmt.Errorf("usage: sparktest slow|hog|env|files ...")
	}
	sess, err := spark.NewSession(ctx)
	if err != nil {
		return err
	}
	defer sess.Stop()
	num := func(i int) int {
		if len(args) <= i {
			return 1
		}
		v, _ := strconv.Atoi(args[i])
		return v
	}
	switch args[0] {
	case "slow":
		kv, err := spark.Collect(ctx, slowPairs.Call(sess, num(1), num(2)))
		if err != nil {
			return err
		}
		var total int64
		for _, p := range kv {
			total += p.Value
		}
		fmt.Printf("keys=%d total=%d\n", len(kv), total)
	case "hog":
		v, err := spark.Collect(ctx, hog.Call(sess, num(1)))
		if err != nil {
			return err
		}
		fmt.Println("filled", v)
	case "env":
		for _, n := range args[1:] {
			fmt.Printf("driver %s=%s\n", n, os.Getenv(n))
		}
		lines, err := spark.Collect(ctx, envOf.Call(sess, args[1:]))
		if err != nil {
			return err
		}
		for _, l := range lines {
			fmt.Println(l)
		}
	case "files":
		lines, err := spark.Collect(ctx, filesSeen.Call(sess, num(1), args[2:]))
		if err != nil {
			return err
		}
		for _, l := range lines {
			fmt.Println(l)
		}
	case "tail":
		vs, err := spark.Collect(ctx, tailPairs.Call(sess, num(1), num(2), num(3)))
		if err != nil {
			return err
		}
		var total int64
		for _, v := range vs {
			total += v
		}
		fmt.Printf("keys=%d total=%d\n", len(vs), total)
	case "twostage":
		acc := spark.LongAccumulator(sess, "map records")
		d := countedPairs.Call(sess, num(1), num(2), acc)
		if _, err := spark.Count(ctx, d); err != nil {
			return err
		}
		fmt.Println("map stage done")
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(num(3)) * time.Second):
		}
		kv, err := spark.Collect(ctx, d)
		if err != nil {
			return err
		}
		var total int64
		for _, p := range kv {
			total += p.Value
		}
		fmt.Printf("total=%d mapRecords=%d\n", total, acc.Value())
	case "groupby":
		pairs := groupPairs.Call(sess, num(1), num(2), num(3))
		if _, err := spark.Count(ctx, pairs); err != nil {
			return err
		}
		n, err := spark.Count(ctx, grouped.Call(sess, pairs, num(4)))
		if err != nil {
			return err
		}
		fmt.Printf("groupby count=%d\n", n)
		return hold(ctx, time.Duration(num(5))*time.Second)
	default:
		mode, ok := modes[args[0]]
		if !ok {
			return fmt.Errorf("unknown mode %q", args[0])
		}
		return mode(ctx, sess, args[1:])
	}
	return nil
}

// modes are the modes defined in the other files of this package, one file
// per concern (modes_*.go), each adding its own in an init function.
var modes = map[string]func(ctx context.Context, sess *spark.Session, args []string) error{}
