package spark

import (
	"context"
	"errors"
	"iter"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gospark/gospark/internal/clustermgr/localcluster"
)

// elasticSums is n records (i % 10, 1) in parts partitions reduced by
// key: ten keys summing to n. Every record the map side computes adds one
// to acc, so acc tells whether map output was computed once or again. Each
// record sleeps pause.
var elasticSums = Func4(func(p *Plan, n int64, parts int, acc *Accumulator[int64], pause time.Duration) *Dataset[KV[int64, int64]] {
	pairs := MapPartitions(Range(p, 0, n, parts), func(tc *TaskContext, in iter.Seq[int64], emit func(KV[int64, int64])) error {
		for i := range in {
			acc.Add(tc, 1)
			if pause > 0 {
				time.Sleep(pause)
			}
			emit(KV[int64, int64]{Key: i % 10, Value: 1})
		}
		return nil
	})
	return ReduceByKey(pairs, func(a, b int64) int64 { return a + b }, Partitions(4))
})

// elasticCached is n numbers in 4 partitions, cached in memory; every
// record computed adds one to acc.
var elasticCached = Func2(func(p *Plan, n int64, acc *Accumulator[int64]) *Dataset[int64] {
	return MapPartitions(Range(p, 0, n, 4), func(tc *TaskContext, in iter.Seq[int64], emit func(int64)) error {
		for i := range in {
			acc.Add(tc, 1)
			emit(i)
		}
		return nil
	}).Persist(MemoryOnly)
})

func newElasticSession(t *testing.T, master string, conf map[string]string) *Session {
	t.Helper()
	opts := []SessionOption{Master(master), Conf("spark.local.dir", t.TempDir())}
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range conf {
			if !yield(k) {
				return
			}
		}
	}) {
		opts = append(opts, Conf(k, conf[k]))
	}
	s, err := NewSession(context.Background(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Stop() })
	return s
}

func sumValues(t *testing.T, s *Session, d *Dataset[KV[int64, int64]]) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	kvs, err := Collect(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	var sum int64
	for _, kv := range kvs {
		sum += kv.Value
	}
	if len(kvs) != 10 {
		t.Fatalf("%d keys, want 10", len(kvs))
	}
	return sum
}

// waitFor polls cond every 50 ms until it holds or d passed.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Dynamic allocation under local-cluster with the shuffle service: the
// executors grow from initialExecutors toward maxExecutors while tasks
// wait, and fall back to minExecutors once idle for executorIdleTimeout.
func TestDynamicAllocationGrowsAndShrinks(t *testing.T) {
	s := newElasticSession(t, "local-cluster[1,1,512]", map[string]string{
		"spark.dynamicAllocation.enabled":                          "true",
		"spark.shuffle.service.enabled":                            "true",
		"spark.dynamicAllocation.initialExecutors":                 "1",
		"spark.dynamicAllocation.minExecutors":                     "1",
		"spark.dynamicAllocation.maxExecutors":                     "3",
		"spark.dynamicAllocation.schedulerBacklogTimeout":          "200ms",
		"spark.dynamicAllocation.sustainedSchedulerBacklogTimeout": "200ms",
		"spark.dynamicAllocation.executorIdleTimeout":              "2s",
	})
	acc := LongAccumulator(s, "records")
	// 12 map tasks of ~0.5 s each: a backlog for a few seconds.
	d := elasticSums.Call(s, 1200, 12, acc, 5*time.Millisecond)
	most := 0
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			most = max(most, len(s.Executors()))
			select {
			case <-s.stopping.Done():
				return
			case <-time.After(20 * time.Millisecond):
			}
			if s.tasks != nil {
				if p, r := s.tasks.Load(); p == 0 && r == 0 && most > 1 {
					return
				}
			}
		}
	}()
	if got := sumValues(t, s, d); got != 1200 {
		t.Fatalf("sum %d, want 1200", got)
	}
	<-done
	if most != 3 {
		t.Fatalf("at most %d executors during the backlog, want maxExecutors=3", most)
	}
	waitFor(t, 30*time.Second, "executors back to minExecutors=1", func() bool { return len(s.Executors()) == 1 })
	if got := acc.Value(); got != 1200 {
		t.Fatalf("map side computed %d records, want 1200 (once each)", got)
	}
}

// With the shuffle service, executors that ran the map tasks can all go
// before the reduce stage: the reducers read the map output from the
// service, and nothing is computed again.
func TestShuffleServiceOutlivesExecutors(t *testing.T) {
	s := newElasticSession(t, "local-cluster[2,1,512]", map[string]string{
		"spark.dynamicAllocation.enabled":                 "true",
		"spark.shuffle.service.enabled":                   "true",
		"spark.dynamicAllocation.initialExecutors":        "2",
		"spark.dynamicAllocation.minExecutors":            "0",
		"spark.dynamicAllocation.maxExecutors":            "2",
		"spark.dynamicAllocation.executorIdleTimeout":     "500ms",
		"spark.dynamicAllocation.schedulerBacklogTimeout": "100ms",
	})
	acc := LongAccumulator(s, "records")
	d := elasticSums.Call(s, 1000, 4, acc, 0)
	if got := sumValues(t, s, d); got != 1000 {
		t.Fatalf("sum %d, want 1000", got)
	}
	first := slices.Clone(s.driver.LocalDirs())
	waitFor(t, 30*time.Second, "every executor released", func() bool { return len(s.Executors()) == 0 })
	// The second action reads the same map output: new executors fetch it
	// from the service.
	if got := sumValues(t, s, d); got != 1000 {
		t.Fatalf("second sum %d, want 1000", got)
	}
	if got := acc.Value(); got != 1000 {
		t.Fatalf("map side computed %d records, want 1000: map output was computed again", got)
	}
	if len(first) == 0 {
		t.Fatal("no executor local dirs recorded")
	}
	svc := s.cm.(*localcluster.Manager)
	s.Stop()
	// The service removed the application's files.
	for _, dir := range first {
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("executor dir %s still there after the application ended (%v)", dir, err)
		}
	}
	if pid := svc.ServiceProcess(); pid != 0 && syscall.Kill(pid, 0) == nil {
		t.Errorf("shuffle service process %d still runs after Stop", pid)
	}
}

// Killing the shuffle service between two actions loses what it served:
// the reducers' fetches fail, the map output is computed again (by the
// executors, registered with the restarted service) and the result is
// right.
func TestShuffleServiceLossRecomputes(t *testing.T) {
	s := newElasticSession(t, "local-cluster[2,1,512]", map[string]string{
		"spark.shuffle.service.enabled": "true",
	})
	acc := LongAccumulator(s, "records")
	d := elasticSums.Call(s, 1000, 4, acc, 0)
	if got := sumValues(t, s, d); got != 1000 {
		t.Fatalf("sum %d, want 1000", got)
	}
	svc := s.cm.(*localcluster.Manager)
	pid := svc.ServiceProcess()
	if pid == 0 {
		t.Fatal("no shuffle service process")
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "a new shuffle service process", func() bool { p := svc.ServiceProcess(); return p != 0 && p != pid })
	if got := sumValues(t, s, d); got != 1000 {
		t.Fatalf("sum after the service was killed %d, want 1000", got)
	}
	if got := acc.Value(); got <= 1000 {
		t.Fatalf("map side computed %d records: want the lost map output computed again (> 1000)", got)
	}
}

// An executor told to leave (SIGTERM) with decommissioning on hands its
// map output and cached blocks to its peer: the next action reads them
// there, and nothing is computed twice. Without decommissioning the same
// loss recomputes the output.
func TestDecommissionMigratesBlocks(t *testing.T) {
	for _, decom := range []bool{true, false} {
		name := "decommission"
		if !decom {
			name = "plain"
		}
		t.Run(name, func(t *testing.T) {
			conf := map[string]string{}
			if decom {
				conf["spark.decommission.enabled"] = "true"
				conf["spark.storage.decommission.enabled"] = "true"
			}
			s := newElasticSession(t, "local-cluster[2,1,512]", conf)
			acc := LongAccumulator(s, "records")
			d := elasticSums.Call(s, 1000, 4, acc, 0)
			if got := sumValues(t, s, d); got != 1000 {
				t.Fatalf("sum %d, want 1000", got)
			}
			cachedAcc := LongAccumulator(s, "cached records")
			cached := elasticCached.Call(s, 1000, cachedAcc)
			ctx := context.Background()
			if n, err := Count(ctx, cached); err != nil || n != 1000 {
				t.Fatalf("count of the cached dataset: %d, %v", n, err)
			}
			// local-cluster does not wait for its executors: the second
			// may register after the first job.
			waitFor(t, 30*time.Second, "two executors", func() bool { return len(s.Executors()) == 2 })
			execs := s.Executors()
			leaving := execs[0]
			if err := s.cm.Decommission(context.Background(), []string{leaving}); err != nil {
				t.Fatal(err)
			}
			waitFor(t, 30*time.Second, "the executor gone", func() bool { return !slices.Contains(s.Executors(), leaving) && !s.driver.Live(leaving) })
			if got := sumValues(t, s, d); got != 1000 {
				t.Fatalf("sum after the executor left %d, want 1000", got)
			}
			got := acc.Value()
			switch {
			case decom && got != 1000:
				t.Fatalf("map side computed %d records, want 1000: the migrated output was computed again", got)
			case !decom && got <= 1000:
				t.Fatalf("map side computed %d records without decommissioning: want the lost output computed again", got)
			}
			if n, err := Count(ctx, cached); err != nil || n != 1000 {
				t.Fatalf("second count of the cached dataset: %d, %v", n, err)
			}
			got = cachedAcc.Value()
			switch {
			case decom && got != 1000:
				t.Fatalf("cached dataset computed %d records, want 1000: the migrated blocks were computed again", got)
			case !decom && got <= 1000:
				t.Fatalf("cached dataset computed %d records without decommissioning: want the lost blocks computed again", got)
			}
		})
	}
}

// Shuffle tracking: an idle executor that holds map output is kept, one
// that holds none is released, and the output is read again without
// being computed twice.
func TestShuffleTrackingKeepsHolders(t *testing.T) {
	s := newElasticSession(t, "local-cluster[2,1,512]", map[string]string{
		"spark.dynamicAllocation.enabled":                 "true",
		"spark.dynamicAllocation.shuffleTracking.enabled": "true",
		"spark.dynamicAllocation.initialExecutors":        "2",
		"spark.dynamicAllocation.minExecutors":            "0",
		"spark.dynamicAllocation.maxExecutors":            "2",
		"spark.dynamicAllocation.executorIdleTimeout":     "500ms",
		"spark.dynamicAllocation.schedulerBacklogTimeout": "100ms",
	})
	waitFor(t, 30*time.Second, "two executors", func() bool { return len(s.Executors()) == 2 })
	acc := LongAccumulator(s, "records")
	d := elasticSums.Call(s, 1000, 1, acc, 0) // one map task: one executor holds output
	if got := sumValues(t, s, d); got != 1000 {
		t.Fatalf("sum %d, want 1000", got)
	}
	holders := s.tracker.Holders(nil)
	if len(holders) != 1 {
		t.Fatalf("holders of map output %v, want one", holders)
	}
	waitFor(t, 30*time.Second, "the executor without map output released", func() bool { return len(s.Executors()) == 1 })
	time.Sleep(1500 * time.Millisecond) // three idle timeouts more
	left := s.Executors()
	if len(left) != 1 || !holders[left[0]] {
		t.Fatalf("executors %v after the idle timeout, want only the holder of the map output %v", left, holders)
	}
	if got := sumValues(t, s, d); got != 1000 {
		t.Fatalf("second sum %d, want 1000", got)
	}
	if got := acc.Value(); got != 1000 {
		t.Fatalf("map side computed %d records, want 1000", got)
	}
}

// Dynamic allocation without a way to keep shuffle output is refused
// before anything starts, naming the three ways.
func TestDynamicAllocationNeedsShuffleOutputThatSurvives(t *testing.T) {
	dir := t.TempDir()
	_, err := NewSession(context.Background(), Master("local-cluster[2,1,512]"), Conf("spark.local.dir", dir),
		Conf("spark.dynamicAllocation.enabled", "true"))
	if err == nil {
		t.Fatal("NewSession accepted dynamic allocation with no shuffle service, tracking or decommissioning")
	}
	for _, want := range []string{"spark.shuffle.service.enabled", "spark.dynamicAllocation.shuffleTracking.enabled", "spark.decommission.enabled"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
	left, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(left) != 0 {
		t.Errorf("left behind: %v", left)
	}
}
