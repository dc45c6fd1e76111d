package spark_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/gospark/gospark/internal/config"
	"github.com/gospark/gospark/internal/eventlog"
	"github.com/gospark/gospark/internal/history"
	"github.com/gospark/gospark/internal/status"
	"github.com/gospark/gospark/spark"
)

// These tests look at a running application the way its users do: through
// the driver's UI (pages, /api/v1, the Prometheus endpoints) on
// Session.UIAddress, its event log, and a history server reading that log.
// The status store fills from the listener bus asynchronously, so every
// check of counters first polls until they settle.

// The application every test runs: a reduceByKey of obsRecords pairs read
// in obsMapParts partitions into obsReduceParts partitions, counted (one job
// of two stages), then a cached dataset of obsCacheParts partitions,
// counted (one job of one stage). The partition counts differ so that each
// stage can be told by its number of tasks.
const (
	obsRecords      = 4000
	obsKeys         = 100
	obsMapParts     = 4
	obsReduceParts  = 3
	obsCacheRecords = 1000
	obsCacheParts   = 5

	obsJobs   = 2
	obsStages = 3
	obsTasks  = obsMapParts + obsReduceParts + obsCacheParts
)

var obsReduced = spark.Func1(func(p *spark.Plan, n int) *spark.Dataset[spark.KV[int, int]] {
	pairs := spark.Map(spark.Range(p, 0, int64(n), obsMapParts), func(i int64) spark.KV[int, int] {
		return spark.KV[int, int]{Key: int(i) % obsKeys, Value: 1}
	})
	return obsBusy(spark.ReduceByKey(obsBusy(pairs), func(a, b int) int { return a + b }, spark.Partitions(obsReduceParts)))
})

var obsCached = spark.Func1(func(p *spark.Plan, n int) *spark.Dataset[int64] {
	return obsBusy(spark.Map(spark.Range(p, 0, int64(n), obsCacheParts), func(i int64) int64 { return i * i })).Persist(spark.MemoryOnly)
})

// obsBusy makes every task of d's stage last a few milliseconds, so that each
// has a duration: the REST API, as Spark's, leaves out durations under a
// millisecond.
func obsBusy[T any](d *spark.Dataset[T]) *spark.Dataset[T] {
	return spark.MapPartitions(d, func(_ *spark.TaskContext, in iter.Seq[T], emit func(T)) error {
		time.Sleep(3 * time.Millisecond)
		for v := range in {
			emit(v)
		}
		return nil
	})
}

// obsSession starts a session with its UI on any free port.
func obsSession(t *testing.T, master string, kv ...string) *spark.Session {
	t.Helper()
	opts := []spark.SessionOption{spark.Master(master), spark.Conf("spark.local.dir", t.TempDir()), spark.Conf("spark.ui.port", "0")}
	for i := 0; i < len(kv); i += 2 {
		opts = append(opts, spark.Conf(kv[i], kv[i+1]))
	}
	s, err := spark.NewSession(t.Context(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Stop() })
	if s.UIAddress() == "" {
		t.Fatal("UIAddress is empty with spark.ui.enabled on by default")
	}
	return s
}

// obsRun runs the application's two actions and returns the cached
// dataset's id.
func obsRun(t *testing.T, s *spark.Session) int64 {
	t.Helper()
	ctx := t.Context()
	if n, err := spark.Count(ctx, obsReduced.Call(s, obsRecords)); err != nil || n != obsKeys {
		t.Fatalf("Count(reduceByKey) = %d, %v; want %d", n, err, obsKeys)
	}
	cached := obsCached.Call(s, obsCacheRecords)
	if n, err := spark.Count(ctx, cached); err != nil || n != obsCacheRecords {
		t.Fatalf("Count(cached) = %d, %v; want %d", n, err, obsCacheRecords)
	}
	return cached.ID()
}

// The REST API's answers, with Spark's field names (api.scala); only what
// the tests look at.

type obsApp struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Attempts []struct {
		Completed       bool   `json:"completed"`
		SparkUser       string `json:"sparkUser"`
		AppSparkVersion string `json:"appSparkVersion"`
	} `json:"attempts"`
}

type obsJob struct {
	JobID              int    `json:"jobId"`
	Status             string `json:"status"`
	StageIDs           []int  `json:"stageIds"`
	NumTasks           int    `json:"numTasks"`
	NumCompletedTasks  int    `json:"numCompletedTasks"`
	NumFailedTasks     int    `json:"numFailedTasks"`
	NumCompletedStages int    `json:"numCompletedStages"`
}

type obsStage struct {
	Status              string `json:"status"`
	StageID             int    `json:"stageId"`
	AttemptID           int    `json:"attemptId"`
	NumTasks            int    `json:"numTasks"`
	NumCompleteTasks    int    `json:"numCompleteTasks"`
	NumFailedTasks      int    `json:"numFailedTasks"`
	ShuffleReadBytes    int64  `json:"shuffleReadBytes"`
	ShuffleReadRecords  int64  `json:"shuffleReadRecords"`
	ShuffleWriteBytes   int64  `json:"shuffleWriteBytes"`
	ShuffleWriteRecords int64  `json:"shuffleWriteRecords"`
}

type obsTask struct {
	TaskID      int64  `json:"taskId"`
	Index       int    `json:"index"`
	ExecutorID  string `json:"executorId"`
	Status      string `json:"status"`
	Duration    *int64 `json:"duration"`
	TaskMetrics *struct {
		ExecutorRunTime    int64 `json:"executorRunTime"`
		ShuffleReadMetrics struct {
			LocalBytesRead  int64 `json:"localBytesRead"`
			RemoteBytesRead int64 `json:"remoteBytesRead"`
			RecordsRead     int64 `json:"recordsRead"`
		} `json:"shuffleReadMetrics"`
		ShuffleWriteMetrics struct {
			BytesWritten   int64 `json:"bytesWritten"`
			RecordsWritten int64 `json:"recordsWritten"`
		} `json:"shuffleWriteMetrics"`
	} `json:"taskMetrics"`
}

type obsTaskSummary struct {
	Quantiles           []float64 `json:"quantiles"`
	Duration            []float64 `json:"duration"`
	ShuffleWriteMetrics struct {
		WriteRecords []float64 `json:"writeRecords"`
	} `json:"shuffleWriteMetrics"`
}

type obsExecutor struct {
	ID                string `json:"id"`
	IsActive          bool   `json:"isActive"`
	TotalCores        int    `json:"totalCores"`
	ActiveTasks       int    `json:"activeTasks"`
	FailedTasks       int    `json:"failedTasks"`
	CompletedTasks    int    `json:"completedTasks"`
	TotalTasks        int    `json:"totalTasks"`
	TotalShuffleRead  int64  `json:"totalShuffleRead"`
	TotalShuffleWrite int64  `json:"totalShuffleWrite"`
	RDDBlocks         int    `json:"rddBlocks"`
	MemoryUsed        int64  `json:"memoryUsed"`
	MaxMemory         int64  `json:"maxMemory"`
}

type obsRDD struct {
	ID                  int64  `json:"id"`
	NumPartitions       int    `json:"numPartitions"`
	NumCachedPartitions int    `json:"numCachedPartitions"`
	StorageLevel        string `json:"storageLevel"`
	MemoryUsed          int64  `json:"memoryUsed"`
	Partitions          []struct {
		BlockName string   `json:"blockName"`
		Executors []string `json:"executors"`
	} `json:"partitions"`
	DataDistribution []struct {
		Address    string `json:"address"`
		MemoryUsed int64  `json:"memoryUsed"`
	} `json:"dataDistribution"`
}

type obsEnv struct {
	Runtime struct {
		JavaVersion string `json:"javaVersion"`
	} `json:"runtime"`
	SparkProperties [][2]string `json:"sparkProperties"`
}

func (e obsEnv) prop(name string) (string, bool) {
	for _, p := range e.SparkProperties {
		if p[0] == name {
			return p[1], true
		}
	}
	return "", false
}

// obsGet fetches base+path; an answer other than 200 is an error.
func obsGet(ctx context.Context, base, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return b, fmt.Errorf("GET %s: %s: %s", path, resp.Status, bytes.TrimSpace(b))
	}
	return b, nil
}

func obsJSON(ctx context.Context, base, path string, v any) error {
	b, err := obsGet(ctx, base, path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("GET %s: %w in %s", path, err, b)
	}
	return nil
}

func obsMustJSON(t *testing.T, base, path string, v any) {
	t.Helper()
	if err := obsJSON(t.Context(), base, path, v); err != nil {
		t.Fatal(err)
	}
}

// obsWait polls cond until it returns nil, and fails the test with its last
// error when that takes longer than a generous deadline (the machine may be
// loaded: this bounds a hang, it measures nothing).
func obsWait(t *testing.T, what string, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still not so after 2 minutes: %v", what, err)
		}
		select {
		case <-t.Context().Done():
			t.Fatalf("%s: %v", what, t.Context().Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// obsSettled waits until the status the UI serves shows jobs jobs ended and
// tasks tasks completed with none running, the driver and executors
// executors registered (under local-cluster the first job may start before
// the last one has), and the cached dataset (cached > 0) with all its
// partitions.
func obsSettled(t *testing.T, base, app string, jobs, tasks, executors int, cached int64) {
	t.Helper()
	ctx := t.Context()
	api := "/api/v1/applications/" + app
	obsWait(t, "jobs ended and tasks counted", func() error {
		var js []obsJob
		if err := obsJSON(ctx, base, api+"/jobs", &js); err != nil {
			return err
		}
		if len(js) != jobs {
			return fmt.Errorf("%d jobs listed, want %d", len(js), jobs)
		}
		for _, j := range js {
			if j.Status == "RUNNING" {
				return fmt.Errorf("job %d still RUNNING", j.JobID)
			}
		}
		var es []obsExecutor
		if err := obsJSON(ctx, base, api+"/executors", &es); err != nil {
			return err
		}
		done, active := 0, 0
		for _, e := range es {
			done += e.CompletedTasks
			active += e.ActiveTasks
		}
		if done != tasks || active != 0 {
			return fmt.Errorf("executors completed %d tasks (want %d), %d active", done, tasks, active)
		}
		if len(es) != executors+1 {
			return fmt.Errorf("%d executors listed, want the driver and %d", len(es), executors)
		}
		if cached > 0 {
			var r obsRDD
			if err := obsJSON(ctx, base, fmt.Sprintf("%s/storage/rdd/%d", api, cached), &r); err != nil {
				return err
			}
			if r.NumCachedPartitions != obsCacheParts {
				return fmt.Errorf("cached dataset %d has %d cached partitions, want %d", cached, r.NumCachedPartitions, obsCacheParts)
			}
		}
		return nil
	})
}

// TestObserveLive runs the application under local[2] and under
// local-cluster and checks what the driver's REST API and Prometheus
// endpoints say about it.
func TestObserveLive(t *testing.T) {
	for _, c := range []struct {
		master    string
		executors int // executor processes besides the driver
	}{
		{"local[2]", 0},
		{"local-cluster[2,1,1024]", 2},
	} {
		t.Run(c.master, func(t *testing.T) {
			s := obsSession(t, c.master, "spark.app.name", "observe-live")
			cached := obsRun(t, s)
			base := s.UIAddress()
			obsSettled(t, base, s.AppID(), obsJobs, obsTasks, c.executors, cached)
			mapWrite := obsCheckAPI(t, s, c.master, c.executors, cached)
			obsCheckMetrics(t, s, c.master, mapWrite)
		})
	}
}

// obsCheckAPI checks every /api/v1 answer of the settled application; it
// returns the bytes the map stage wrote.
func obsCheckAPI(t *testing.T, s *spark.Session, master string, executors int, cached int64) (mapWrite int64) {
	base, app := s.UIAddress(), s.AppID()
	api := "/api/v1/applications/" + app

	var apps []obsApp
	obsMustJSON(t, base, "/api/v1/applications", &apps)
	if len(apps) != 1 || apps[0].ID != app || apps[0].Name != "observe-live" || len(apps[0].Attempts) != 1 {
		t.Fatalf("/applications = %+v; want the one application %s named observe-live with one attempt", apps, app)
	}
	if apps[0].Attempts[0].Completed {
		t.Error("/applications: the running application is listed as completed")
	}
	var version struct {
		Spark string `json:"spark"`
	}
	obsMustJSON(t, base, "/api/v1/version", &version)
	if version.Spark == "" || version.Spark != apps[0].Attempts[0].AppSparkVersion {
		t.Errorf("/version says %q, the application's appSparkVersion %q; want the same, not empty", version.Spark, apps[0].Attempts[0].AppSparkVersion)
	}

	// Jobs: one per action, each SUCCEEDED, with the tasks of its stages.
	var jobs []obsJob
	obsMustJSON(t, base, api+"/jobs", &jobs)
	slices.SortFunc(jobs, func(a, b obsJob) int { return a.JobID - b.JobID })
	wantJobs := []struct{ stages, tasks int }{{2, obsMapParts + obsReduceParts}, {1, obsCacheParts}}
	if len(jobs) != len(wantJobs) {
		t.Fatalf("%d jobs, want %d (one per action): %+v", len(jobs), len(wantJobs), jobs)
	}
	for i, j := range jobs {
		w := wantJobs[i]
		if j.Status != "SUCCEEDED" || len(j.StageIDs) != w.stages || j.NumTasks != w.tasks ||
			j.NumCompletedTasks != w.tasks || j.NumFailedTasks != 0 || j.NumCompletedStages != w.stages {
			t.Errorf("job %d = %+v; want SUCCEEDED with %d stages and %d tasks, all completed", j.JobID, j, w.stages, w.tasks)
		}
	}

	// Stages: one per shuffle side and one for the cached dataset, each
	// with a task per partition.
	var stages []obsStage
	obsMustJSON(t, base, api+"/stages", &stages)
	if len(stages) != obsStages {
		t.Fatalf("%d stages, want %d: %+v", len(stages), obsStages, stages)
	}
	byTasks := map[int]obsStage{}
	for _, st := range stages {
		byTasks[st.NumTasks] = st
		if st.Status != "COMPLETE" || st.AttemptID != 0 || st.NumCompleteTasks != st.NumTasks || st.NumFailedTasks != 0 {
			t.Errorf("stage %d = %+v; want attempt 0 COMPLETE with every task complete", st.StageID, st)
		}
	}
	mapSt, reduceSt, cacheSt := byTasks[obsMapParts], byTasks[obsReduceParts], byTasks[obsCacheParts]
	if len(byTasks) != obsStages || mapSt.NumTasks == 0 || reduceSt.NumTasks == 0 || cacheSt.NumTasks == 0 {
		t.Fatalf("stages' task counts: %+v; want one stage of %d, %d and %d tasks", stages, obsMapParts, obsReduceParts, obsCacheParts)
	}
	if mapSt.ShuffleWriteBytes <= 0 || mapSt.ShuffleWriteRecords < obsKeys || mapSt.ShuffleWriteRecords > obsRecords {
		t.Errorf("map stage %d wrote %d bytes, %d records; want some bytes and %d to %d records",
			mapSt.StageID, mapSt.ShuffleWriteBytes, mapSt.ShuffleWriteRecords, obsKeys, obsRecords)
	}
	if reduceSt.ShuffleReadRecords != mapSt.ShuffleWriteRecords || reduceSt.ShuffleReadBytes <= 0 {
		t.Errorf("reduce stage %d read %d records (%d bytes); want the %d records the map stage wrote",
			reduceSt.StageID, reduceSt.ShuffleReadRecords, reduceSt.ShuffleReadBytes, mapSt.ShuffleWriteRecords)
	}
	if cacheSt.ShuffleWriteBytes != 0 || cacheSt.ShuffleReadRecords != 0 || mapSt.ShuffleReadRecords != 0 || reduceSt.ShuffleWriteBytes != 0 {
		t.Errorf("shuffle counted where there is none: map %+v, reduce %+v, cache %+v", mapSt, reduceSt, cacheSt)
	}
	if !slices.Contains(jobs[0].StageIDs, mapSt.StageID) || !slices.Contains(jobs[0].StageIDs, reduceSt.StageID) ||
		!slices.Equal(jobs[1].StageIDs, []int{cacheSt.StageID}) {
		t.Errorf("jobs' stages %v and %v; want [%d %d] and [%d]", jobs[0].StageIDs, jobs[1].StageIDs, mapSt.StageID, reduceSt.StageID, cacheSt.StageID)
	}

	// Tasks: one per partition, each SUCCESS with a duration and the
	// records it moved.
	hosts := map[string]bool{}
	for _, st := range []obsStage{mapSt, reduceSt, cacheSt} {
		var tasks []obsTask
		obsMustJSON(t, base, fmt.Sprintf("%s/stages/%d/%d/taskList?length=1000", api, st.StageID, st.AttemptID), &tasks)
		var indexes []int
		var read, written, maxWritten int64
		for _, tk := range tasks {
			indexes = append(indexes, tk.Index)
			hosts[tk.ExecutorID] = true
			if tk.Status != "SUCCESS" || tk.Duration == nil || *tk.Duration <= 0 || tk.TaskMetrics == nil {
				t.Errorf("stage %d task %d: status %s, duration %v, metrics %v; want SUCCESS with a duration and metrics",
					st.StageID, tk.TaskID, tk.Status, tk.Duration, tk.TaskMetrics != nil)
			}
			if tk.TaskMetrics == nil {
				continue
			}
			read += tk.TaskMetrics.ShuffleReadMetrics.RecordsRead
			w := tk.TaskMetrics.ShuffleWriteMetrics
			written += w.RecordsWritten
			maxWritten = max(maxWritten, w.RecordsWritten)
			if st == mapSt && (w.BytesWritten <= 0 || w.RecordsWritten <= 0) {
				t.Errorf("map task %d wrote %d bytes, %d records; want some", tk.TaskID, w.BytesWritten, w.RecordsWritten)
			}
		}
		slices.Sort(indexes)
		if want := obsSeq(st.NumTasks); !slices.Equal(indexes, want) {
			t.Errorf("stage %d: tasks of partitions %v, want %v", st.StageID, indexes, want)
		}
		if read != st.ShuffleReadRecords || written != st.ShuffleWriteRecords {
			t.Errorf("stage %d: its tasks read %d and wrote %d records, the stage says %d and %d",
				st.StageID, read, written, st.ShuffleReadRecords, st.ShuffleWriteRecords)
		}
		if st == mapSt {
			var sum obsTaskSummary
			obsMustJSON(t, base, fmt.Sprintf("%s/stages/%d/%d/taskSummary?quantiles=0,0.5,1", api, st.StageID, st.AttemptID), &sum)
			if q := sum.ShuffleWriteMetrics.WriteRecords; len(sum.Duration) != 3 || len(q) != 3 || q[2] != float64(maxWritten) || q[0] > q[1] || q[1] > q[2] {
				t.Errorf("map stage's taskSummary at 0, 0.5, 1: durations %v, records written %v; want 3 ordered values, the last %d",
					sum.Duration, q, maxWritten)
			}
		}
	}
	mapWrite = mapSt.ShuffleWriteBytes

	// Executors: the driver (which runs the tasks under local[N]) and
	// each executor process, the completed tasks adding up.
	var wantIDs []string
	for _, which := range []string{"executors", "allexecutors"} {
		var es []obsExecutor
		obsMustJSON(t, base, api+"/"+which, &es)
		var ids []string
		done, failed := 0, 0
		var shuffleWrite int64
		for _, e := range es {
			ids = append(ids, e.ID)
			done += e.CompletedTasks
			failed += e.FailedTasks
			shuffleWrite += e.TotalShuffleWrite
			if !e.IsActive || e.MaxMemory <= 0 || e.TotalTasks != e.CompletedTasks {
				t.Errorf("/%s: %+v; want an active executor with storage memory and no unfinished task", which, e)
			}
			switch {
			case master == "local[2]" && e.TotalCores != 2:
				t.Errorf("/%s: the local driver has %d cores, want 2", which, e.TotalCores)
			case master != "local[2]" && e.ID != "driver" && e.TotalCores != 1:
				t.Errorf("/%s: executor %s has %d cores, want 1", which, e.ID, e.TotalCores)
			case master != "local[2]" && e.ID == "driver" && e.CompletedTasks != 0:
				t.Errorf("/%s: the driver ran %d tasks; under %s the executors run them", which, e.CompletedTasks, master)
			}
		}
		slices.Sort(ids)
		if len(slices.Compact(slices.Clone(ids))) != executors+1 || !slices.Contains(ids, "driver") {
			t.Errorf("/%s lists %v, want the driver and %d executors", which, ids, executors)
		}
		if wantIDs == nil {
			wantIDs = ids
		} else if !slices.Equal(ids, wantIDs) {
			t.Errorf("/%s lists %v, /executors %v; want the same (no executor was lost)", which, ids, wantIDs)
		}
		if done != obsTasks || failed != 0 {
			t.Errorf("/%s: %d tasks completed, %d failed; want %d and 0", which, done, failed, obsTasks)
		}
		if shuffleWrite != mapSt.ShuffleWriteBytes {
			t.Errorf("/%s: executors wrote %d shuffle bytes, the map stage %d", which, shuffleWrite, mapSt.ShuffleWriteBytes)
		}
	}
	for id := range hosts {
		if !slices.Contains(wantIDs, id) {
			t.Errorf("a task ran on executor %q, which /executors does not list", id)
		}
	}
	if master != "local[2]" && hosts["driver"] {
		t.Errorf("tasks ran on %v; under %s the driver runs none", hosts, master)
	}

	// Storage: the cached dataset with all its partitions in memory.
	var rdds []obsRDD
	obsMustJSON(t, base, api+"/storage/rdd", &rdds)
	if len(rdds) != 1 || rdds[0].ID != cached || rdds[0].NumPartitions != obsCacheParts || rdds[0].NumCachedPartitions != obsCacheParts ||
		rdds[0].MemoryUsed <= 0 || !strings.Contains(rdds[0].StorageLevel, "Memory") {
		t.Errorf("/storage/rdd = %+v; want dataset %d with %d partitions cached in memory", rdds, cached, obsCacheParts)
	}
	var rdd obsRDD
	obsMustJSON(t, base, fmt.Sprintf("%s/storage/rdd/%d", api, cached), &rdd)
	if len(rdd.Partitions) != obsCacheParts || len(rdd.DataDistribution) == 0 {
		t.Errorf("/storage/rdd/%d: %d partitions, %d places; want %d partitions and where they are", cached, len(rdd.Partitions), len(rdd.DataDistribution), obsCacheParts)
	}
	for _, p := range rdd.Partitions {
		if len(p.Executors) != 1 || !slices.Contains(wantIDs, p.Executors[0]) || !strings.HasPrefix(p.BlockName, fmt.Sprintf("rdd_%d_", cached)) {
			t.Errorf("/storage/rdd/%d: partition %+v; want block rdd_%d_<n> on one listed executor", cached, p, cached)
		}
	}

	// Environment: the properties the application runs with.
	var env obsEnv
	obsMustJSON(t, base, api+"/environment", &env)
	if v, _ := env.prop("spark.master"); v != master {
		t.Errorf("/environment: spark.master = %q, want %q", v, master)
	}
	if v, _ := env.prop("spark.app.id"); v != app {
		t.Errorf("/environment: spark.app.id = %q, want %q", v, app)
	}
	if env.Runtime.JavaVersion == "" {
		t.Error("/environment: no runtime description")
	}
	return mapWrite
}

func obsSeq(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// obsScrape reads a Prometheus text endpoint.
func obsScrape(ctx context.Context, base, path string) (map[string]*dto.MetricFamily, error) {
	b, err := obsGet(ctx, base, path)
	if err != nil {
		return nil, err
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return fams, nil
}

func obsMustScrape(t *testing.T, base, path string) map[string]*dto.MetricFamily {
	t.Helper()
	fams, err := obsScrape(t.Context(), base, path)
	if err != nil {
		t.Fatal(err)
	}
	return fams
}

func obsValue(m *dto.Metric) float64 {
	switch {
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Untyped != nil:
		return m.Untyped.GetValue()
	}
	return 0
}

func obsLabels(m *dto.Metric) map[string]string {
	out := map[string]string{}
	for _, l := range m.Label {
		out[l.GetName()] = l.GetValue()
	}
	return out
}

// obsSingle is the value of the family's only sample, or an error.
func obsSingle(fams map[string]*dto.MetricFamily, name string) (float64, error) {
	f, ok := fams[name]
	if !ok {
		return 0, fmt.Errorf("no metric %s", name)
	}
	if len(f.Metric) != 1 {
		return 0, fmt.Errorf("%s has %d samples, want 1", name, len(f.Metric))
	}
	return obsValue(f.Metric[0]), nil
}

// obsSum sums the family's samples, one per executor.
func obsSum(fams map[string]*dto.MetricFamily, name string) (float64, error) {
	f, ok := fams[name]
	if !ok {
		return 0, fmt.Errorf("no metric %s", name)
	}
	var sum float64
	for _, m := range f.Metric {
		sum += obsValue(m)
	}
	return sum, nil
}

// obsNamespace is spark.metrics.namespace's default, the application id,
// as metric names spell it: every character but a letter or digit is "_".
func obsNamespace(appID string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, appID)
}

// obsCheckMetrics checks the names and labels of both Prometheus endpoints,
// then that their counters grow with a second job.
func obsCheckMetrics(t *testing.T, s *spark.Session, master string, mapWrite int64) {
	base, app := s.UIAddress(), s.AppID()
	local := master == "local[2]"
	drv := "metrics_" + obsNamespace(app) + "_driver_"

	// The driver's sources (internal/metrics/doc.go).
	fams := obsMustScrape(t, base, "/metrics/prometheus")
	var gauges = []string{
		"DAGScheduler_job_allJobs", "DAGScheduler_job_activeJobs", "DAGScheduler_stage_runningStages", "DAGScheduler_stage_failedStages",
		"BlockManager_memory_maxMem_MB", "BlockManager_memory_maxOnHeapMem_MB", "BlockManager_memory_maxOffHeapMem_MB",
		"BlockManager_memory_memUsed_MB", "BlockManager_memory_onHeapMemUsed_MB", "BlockManager_memory_offHeapMemUsed_MB",
		"BlockManager_memory_remainingMem_MB", "BlockManager_memory_remainingOnHeapMem_MB", "BlockManager_memory_remainingOffHeapMem_MB",
		"BlockManager_disk_diskSpaceUsed_MB",
	}
	counters := []string{"LiveListenerBus_numEventsPosted", "LiveListenerBus_queue_appStatus_numDroppedEvents", "LiveListenerBus_queue_shared_numDroppedEvents"}
	executorGauges := []string{"executor_threadpool_activeTasks", "executor_threadpool_startedTasks", "executor_threadpool_completeTasks", "executor_threadpool_maxPool_size"}
	executorCounters := []string{"executor_succeededTasks", "executor_runTime", "executor_resultSize", "executor_shuffleFetchWaitTime",
		"executor_shuffleWriteTime", "executor_shuffleTotalBytesRead", "executor_shuffleLocalBytesRead", "executor_shuffleRemoteBytesRead",
		"executor_shuffleRemoteBytesReadToDisk", "executor_shuffleLocalBlocksFetched", "executor_shuffleRemoteBlocksFetched",
		"executor_shuffleRecordsRead", "executor_shuffleBytesWritten", "executor_shuffleRecordsWritten", "executor_bytesRead",
		"executor_recordsRead", "executor_bytesWritten", "executor_recordsWritten", "executor_memoryBytesSpilled", "executor_diskBytesSpilled"}
	check := func(name, typ string, want bool) {
		f, ok := fams[name]
		switch {
		case !want && ok:
			t.Errorf("/metrics/prometheus has %s; under %s the driver runs no tasks", name, master)
		case !want:
		case !ok:
			t.Errorf("/metrics/prometheus has no %s", name)
		case len(f.Metric) != 1 || obsLabels(f.Metric[0])["type"] != typ:
			t.Errorf("%s: %v; want one sample labelled type=%q", name, f.Metric, typ)
		}
	}
	for _, g := range gauges {
		check(drv+g+"_Number", "gauges", true)
		check(drv+g+"_Value", "gauges", true)
	}
	for _, c := range counters {
		check(drv+c+"_Count", "counters", true)
	}
	for _, g := range executorGauges {
		check(drv+g+"_Number", "gauges", local)
		check(drv+g+"_Value", "gauges", local)
	}
	for _, c := range executorCounters {
		check(drv+c+"_Count", "counters", local)
	}
	if t.Failed() {
		t.FailNow()
	}
	if v, _ := obsSingle(fams, drv+"DAGScheduler_job_allJobs_Value"); v != obsJobs {
		t.Errorf("allJobs = %v, want %d", v, obsJobs)
	}
	if v, _ := obsSingle(fams, drv+"DAGScheduler_job_activeJobs_Value"); v != 0 {
		t.Errorf("activeJobs = %v, want 0", v)
	}
	if local {
		if v, _ := obsSingle(fams, drv+"executor_threadpool_completeTasks_Value"); v != obsTasks {
			t.Errorf("threadpool.completeTasks = %v, want %d", v, obsTasks)
		}
		if v, _ := obsSingle(fams, drv+"executor_threadpool_maxPool_size_Value"); v != 2 {
			t.Errorf("threadpool.maxPool_size = %v, want 2 (local[2])", v)
		}
		if v, _ := obsSingle(fams, drv+"executor_shuffleBytesWritten_Count"); v != float64(mapWrite) {
			t.Errorf("shuffleBytesWritten = %v, want the map stage's %d", v, mapWrite)
		}
	}

	// The executors' endpoint (Spark's PrometheusResource).
	efams := obsMustScrape(t, base, "/metrics/executors/prometheus")
	if f, ok := efams["spark_info"]; !ok || len(f.Metric) != 1 || obsLabels(f.Metric[0])["version"] == "" {
		t.Errorf("/metrics/executors/prometheus: spark_info = %v; want one sample with the version", f)
	}
	var ids []string
	for _, name := range []string{"rddBlocks", "memoryUsed_bytes", "diskUsed_bytes", "totalCores", "maxTasks", "activeTasks",
		"failedTasks_total", "completedTasks_total", "totalTasks_total", "totalDuration_seconds_total", "totalGCTime_seconds_total",
		"totalInputBytes_bytes_total", "totalShuffleRead_bytes_total", "totalShuffleWrite_bytes_total", "maxMemory_bytes"} {
		f, ok := efams["metrics_executor_"+name]
		if !ok {
			t.Errorf("/metrics/executors/prometheus has no metrics_executor_%s", name)
			continue
		}
		var got []string
		for _, m := range f.Metric {
			l := obsLabels(m)
			if l["application_id"] != app || l["application_name"] != s.AppName() {
				t.Errorf("metrics_executor_%s labelled %v; want application_id=%s, application_name=%s", name, l, app, s.AppName())
			}
			got = append(got, l["executor_id"])
		}
		slices.Sort(got)
		if ids == nil {
			ids = got
		} else if !slices.Equal(got, ids) {
			t.Errorf("metrics_executor_%s is about executors %v, others about %v", name, got, ids)
		}
	}
	var apiIDs []string
	var es []obsExecutor
	obsMustJSON(t, base, "/api/v1/applications/"+app+"/executors", &es)
	for _, e := range es {
		apiIDs = append(apiIDs, e.ID)
	}
	slices.Sort(apiIDs)
	if !slices.Equal(ids, apiIDs) {
		t.Errorf("executor metrics label executors %v, /executors lists %v", ids, apiIDs)
	}
	if v, _ := obsSum(efams, "metrics_executor_completedTasks_total"); v != obsTasks {
		t.Errorf("completedTasks_total adds up to %v, want %d", v, obsTasks)
	}
	if v, _ := obsSum(efams, "metrics_executor_totalShuffleWrite_bytes_total"); v != float64(mapWrite) {
		t.Errorf("totalShuffleWrite_bytes_total adds up to %v, want the map stage's %d", v, mapWrite)
	}

	// A second job (a new shuffle): the counters grow.
	if n, err := spark.Count(t.Context(), obsReduced.Call(s, obsRecords)); err != nil || n != obsKeys {
		t.Fatalf("second Count = %d, %v", n, err)
	}
	const tasks = obsTasks + obsMapParts + obsReduceParts
	obsWait(t, "metrics counting the second job", func() error {
		ef, err := obsScrape(t.Context(), base, "/metrics/executors/prometheus")
		if err != nil {
			return err
		}
		df, err := obsScrape(t.Context(), base, "/metrics/prometheus")
		if err != nil {
			return err
		}
		if v, err := obsSum(ef, "metrics_executor_completedTasks_total"); err != nil || v != tasks {
			return fmt.Errorf("completedTasks_total = %v (%v), want %d", v, err, tasks)
		}
		if v, err := obsSingle(df, drv+"DAGScheduler_job_allJobs_Value"); err != nil || v != obsJobs+1 {
			return fmt.Errorf("allJobs = %v (%v), want %d", v, err, obsJobs+1)
		}
		if v, err := obsSum(ef, "metrics_executor_totalShuffleWrite_bytes_total"); err != nil || v <= float64(mapWrite) {
			return fmt.Errorf("totalShuffleWrite_bytes_total = %v (%v), want more than %d", v, err, mapWrite)
		}
		if local {
			if v, err := obsSingle(df, drv+"executor_succeededTasks_Count"); err != nil || v != tasks {
				return fmt.Errorf("succeededTasks = %v (%v), want %d", v, err, tasks)
			}
			if v, err := obsSingle(df, drv+"executor_shuffleBytesWritten_Count"); err != nil || v <= float64(mapWrite) {
				return fmt.Errorf("shuffleBytesWritten = %v (%v), want more than %d", v, err, mapWrite)
			}
		}
		return nil
	})
}

// obsHistoryServer runs internal/history on 127.0.0.1:0 over dir and returns
// its URL.
func obsHistoryServer(t *testing.T, dir string) string {
	t.Helper()
	conf := config.New()
	for _, kv := range [][2]string{
		{"spark.history.fs.logDirectory", dir}, {"spark.history.ui.port", "0"}, {"spark.history.fs.update.interval", "200ms"},
	} {
		if err := conf.Set(kv[0], kv[1]); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- history.Main(ctx, conf, "127.0.0.1", slog.New(slog.NewTextHandler(io.Discard, nil)), func(a string) { addr <- a })
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("history server: %v", err)
		}
	})
	select {
	case a := <-addr:
		return "http://" + a
	case err := <-done:
		t.Fatalf("history server: %v", err)
	case <-time.After(time.Minute):
		t.Fatal("the history server does not listen")
	}
	return ""
}

// obsHistoryApp waits until the history server lists app with the given
// completion.
func obsHistoryApp(t *testing.T, hs, app string, completed bool) {
	t.Helper()
	obsWait(t, fmt.Sprintf("history server listing %s with completed=%v", app, completed), func() error {
		var apps []obsApp
		if err := obsJSON(t.Context(), hs, "/api/v1/applications", &apps); err != nil {
			return err
		}
		for _, a := range apps {
			if a.ID == app {
				if len(a.Attempts) != 1 || a.Attempts[0].Completed != completed {
					return fmt.Errorf("listed as %+v", a)
				}
				return nil
			}
		}
		return fmt.Errorf("not among %+v", apps)
	})
}

// TestObserveEventLog checks the event log of each layout: in progress
// while the application runs, complete after Stop, replaying to what the
// live UI showed, and served the same by a history server.
func TestObserveEventLog(t *testing.T) {
	for _, c := range []struct {
		name                 string
		conf                 []string
		inProgress, complete func(dir, app string) string // paths of the log
	}{
		{"single", nil,
			func(dir, app string) string { return filepath.Join(dir, app+".inprogress") },
			func(dir, app string) string { return filepath.Join(dir, app) }},
		{"rolling", []string{"spark.eventLog.rolling.enabled", "true", "spark.eventLog.rolling.maxFileSize", "10m"},
			func(dir, app string) string {
				return filepath.Join(dir, "eventlog_v2_"+app, "appstatus_"+app+".inprogress")
			},
			func(dir, app string) string { return filepath.Join(dir, "eventlog_v2_"+app) }},
		{"zstd", []string{"spark.eventLog.compress", "true"},
			func(dir, app string) string { return filepath.Join(dir, app+".zstd.inprogress") },
			func(dir, app string) string { return filepath.Join(dir, app+".zstd") }},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			hs := obsHistoryServer(t, dir)
			s := obsSession(t, "local[2]", append([]string{"spark.eventLog.enabled", "true", "spark.eventLog.dir", dir}, c.conf...)...)
			app := s.AppID()
			name := eventlog.FileName(app)
			if _, err := os.Stat(c.inProgress(dir, name)); err != nil {
				t.Fatalf("while the application runs: %v", err)
			}
			cached := obsRun(t, s)
			base := s.UIAddress()
			obsSettled(t, base, app, obsJobs, obsTasks, 0, cached)
			obsHistoryApp(t, hs, app, false)

			liveJobs, err := obsGet(t.Context(), base, "/api/v1/applications/"+app+"/jobs")
			if err != nil {
				t.Fatal(err)
			}
			var stages []obsStage
			obsMustJSON(t, base, "/api/v1/applications/"+app+"/stages", &stages)
			liveTasks := 0
			for _, st := range stages {
				liveTasks += st.NumCompleteTasks
			}

			if err := s.Stop(); err != nil {
				t.Fatal(err)
			}
			path := c.complete(dir, name)
			if _, err := os.Stat(path); err != nil {
				t.Fatalf("after Stop: %v", err)
			}
			if left := obsInProgress(t, dir); len(left) > 0 {
				t.Errorf("after Stop, still in progress: %v", left)
			}
			if c.name == "rolling" {
				files, _ := filepath.Glob(filepath.Join(path, "events_*_"+name))
				if len(files) != 1 {
					t.Errorf("rolling log %s has event files %v, want one events_1_%s (the log is far below 10m)", path, files, name)
				}
			}

			// Replayed, the log tells the same numbers.
			store := status.New(status.Options{})
			info, err := eventlog.Replay(t.Context(), path, store)
			if err != nil {
				t.Fatal(err)
			}
			if !info.Completed || !info.Ended || info.Unknown != 0 || info.AppID != app {
				t.Errorf("Replay: %+v; want a completed, ended log of %s with no unknown event", info, app)
			}
			jobs := store.Jobs()
			for _, j := range jobs {
				if j.Status != "SUCCEEDED" {
					t.Errorf("replayed job %d is %s", j.JobID, j.Status)
				}
			}
			replayedTasks := 0
			for _, st := range store.Stages() {
				replayedTasks += st.NumCompleteTasks
			}
			if len(jobs) != obsJobs || len(store.Stages()) != len(stages) || replayedTasks != liveTasks || liveTasks != obsTasks {
				t.Errorf("replayed %d jobs, %d stages, %d tasks; live %d jobs, %d stages, %d tasks (want %d, %d, %d)",
					len(jobs), len(store.Stages()), replayedTasks, obsJobs, len(stages), liveTasks, obsJobs, obsStages, obsTasks)
			}

			// The history server: completed, and the same jobs.
			obsHistoryApp(t, hs, app, true)
			histJobs, err := obsGet(t.Context(), hs, "/api/v1/applications/"+app+"/jobs")
			if err != nil {
				t.Fatal(err)
			}
			var live, hist any
			if err := json.Unmarshal(liveJobs, &live); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(histJobs, &hist); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(live, hist) {
				t.Errorf("history server's jobs differ from the live UI's:\nlive:    %s\nhistory: %s", liveJobs, histJobs)
			}
		})
	}
}

// obsInProgress lists what under dir is still marked in progress.
func obsInProgress(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.HasSuffix(p, ".inprogress") {
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func obsSecret(t *testing.T) string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// TestObserveSecretsRedacted: secrets given to a local-cluster application
// appear in no page, API answer, metric or event log, and the environment
// shows them redacted.
func TestObserveSecretsRedacted(t *testing.T) {
	secrets := map[string]string{
		"spark.authenticate.secret":                           obsSecret(t),
		"spark.executorEnv.DB_PASSWORD":                       obsSecret(t),
		"spark.kubernetes.driverEnv.API_TOKEN":                obsSecret(t),
		"spark.kubernetes.authenticate.submission.oauthToken": obsSecret(t),
	}
	dir := t.TempDir()
	kv := []string{"spark.authenticate", "true", "spark.eventLog.enabled", "true", "spark.eventLog.dir", dir}
	for k, v := range secrets {
		kv = append(kv, k, v)
	}
	s := obsSession(t, "local-cluster[2,1,1024]", kv...)
	cached := obsRun(t, s)
	base, app := s.UIAddress(), s.AppID()
	obsSettled(t, base, app, obsJobs, obsTasks, 2, cached)

	leaks := func(where string, b []byte) {
		t.Helper()
		for k, v := range secrets {
			if bytes.Contains(b, []byte(v)) {
				t.Errorf("%s shows the value of %s", where, k)
			}
		}
	}
	api := "/api/v1/applications/" + app
	var stages []obsStage
	obsMustJSON(t, base, api+"/stages", &stages)
	paths := []string{"/jobs/", "/jobs/job/?id=0", "/stages/", "/storage/", fmt.Sprintf("/storage/rdd/?id=%d", cached), "/environment/", "/executors/",
		"/api/v1/applications", "/api/v1/version", api, api + "/jobs", api + "/stages", api + "/executors", api + "/allexecutors",
		api + "/storage/rdd", fmt.Sprintf("%s/storage/rdd/%d", api, cached), api + "/environment",
		"/metrics/prometheus", "/metrics/executors/prometheus"}
	for _, st := range stages {
		paths = append(paths, fmt.Sprintf("/stages/stage/?id=%d&attempt=%d", st.StageID, st.AttemptID),
			fmt.Sprintf("%s/stages/%d/%d", api, st.StageID, st.AttemptID),
			fmt.Sprintf("%s/stages/%d/%d/taskList?length=1000", api, st.StageID, st.AttemptID))
	}
	for _, p := range paths {
		b, err := obsGet(t.Context(), base, p)
		if err != nil {
			t.Error(err)
			continue
		}
		leaks(p, b)
	}

	const redacted = "*********(redacted)"
	var env obsEnv
	obsMustJSON(t, base, api+"/environment", &env)
	for k := range secrets {
		if v, ok := env.prop(k); v != redacted {
			t.Errorf("/environment: %s = %q (listed: %v), want %q", k, v, ok, redacted)
		}
	}
	page, err := obsGet(t.Context(), base, "/environment/")
	if err != nil {
		t.Fatal(err)
	}
	for k := range secrets {
		if !bytes.Contains(page, []byte(k)) {
			t.Errorf("the Environment page does not list %s", k)
		}
	}
	if !bytes.Contains(page, []byte(redacted)) {
		t.Errorf("the Environment page shows no %q", redacted)
	}

	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	log, err := os.ReadFile(filepath.Join(dir, eventlog.FileName(app)))
	if err != nil {
		t.Fatal(err)
	}
	leaks("the event log", log)
	if !bytes.Contains(log, []byte(redacted)) || !bytes.Contains(log, []byte("spark.kubernetes.authenticate.submission.oauthToken")) {
		t.Errorf("the event log does not list the secret properties as %q", redacted)
	}
}

// obsFreePort is a port nothing listens on just now.
func obsFreePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// obsBusQueues counts the goroutines delivering listener events.
func obsBusQueues() int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return strings.Count(string(buf[:n]), "events.(*queue).run")
		}
		buf = make([]byte, 2*len(buf))
	}
}

// TestObserveBadEventLogDir: an event log directory that does not exist
// fails NewSession with an error naming the property, before the UI
// listens, leaving no file and no goroutine behind.
func TestObserveBadEventLogDir(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no-such-dir")
	local := t.TempDir()
	port := obsFreePort(t)
	queues := obsBusQueues()
	s, err := spark.NewSession(t.Context(), spark.Master("local[2]"), spark.Conf("spark.local.dir", local),
		spark.Conf("spark.ui.port", strconv.Itoa(port)), spark.Conf("spark.port.maxRetries", "0"),
		spark.Conf("spark.eventLog.enabled", "true"), spark.Conf("spark.eventLog.dir", missing))
	if err == nil {
		s.Stop()
		t.Fatal("NewSession succeeded with a spark.eventLog.dir that does not exist")
	}
	if s != nil || !strings.Contains(err.Error(), "spark.eventLog.dir") || !strings.Contains(err.Error(), missing) {
		t.Errorf("NewSession = %v, %v; want no session and an error naming spark.eventLog.dir and %s", s, err, missing)
	}
	if _, err := os.Stat(missing); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("%s: %v; want it still missing", missing, err)
	}
	if left, _ := os.ReadDir(local); len(left) > 0 {
		t.Errorf("spark.local.dir holds %v after the failed start, want nothing", left)
	}
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		t.Errorf("spark.ui.port %d is not free after the failed start: %v", port, err)
	} else {
		ln.Close()
	}
	// The queues' goroutines end when the bus stops; a minute is ample.
	for deadline := time.Now().Add(time.Minute); ; {
		n := obsBusQueues()
		if n <= queues {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines deliver listener events after the failed start, %d did before: the bus was not stopped", n, queues)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestObserveUIPortTaken: with spark.ui.port taken the UI takes the next
// free port; with no retry allowed NewSession fails naming the property,
// and leaves no event log behind (Spark binds the UI before it starts the
// event log).
func TestObserveUIPortTaken(t *testing.T) {
	held, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	port := held.Addr().(*net.TCPAddr).Port

	t.Run("next port", func(t *testing.T) {
		s, err := spark.NewSession(t.Context(), spark.Master("local[2]"), spark.Conf("spark.local.dir", t.TempDir()),
			spark.Conf("spark.ui.port", strconv.Itoa(port)))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Stop()
		addr := s.UIAddress()
		_, p, _ := net.SplitHostPort(strings.TrimPrefix(addr, "http://"))
		if got, _ := strconv.Atoi(p); got <= port || got > port+16 {
			t.Fatalf("UIAddress = %q with port %d taken; want one of the 16 ports after it (spark.port.maxRetries)", addr, port)
		}
		var v struct {
			Spark string `json:"spark"`
		}
		obsMustJSON(t, addr, "/api/v1/version", &v)
		if v.Spark == "" {
			t.Errorf("%s/api/v1/version names no version", addr)
		}
	})

	t.Run("no retry", func(t *testing.T) {
		dir, local := t.TempDir(), t.TempDir()
		s, err := spark.NewSession(t.Context(), spark.Master("local[2]"), spark.Conf("spark.local.dir", local),
			spark.Conf("spark.ui.port", strconv.Itoa(port)), spark.Conf("spark.port.maxRetries", "0"),
			spark.Conf("spark.eventLog.enabled", "true"), spark.Conf("spark.eventLog.dir", dir))
		if err == nil {
			s.Stop()
			t.Fatalf("NewSession succeeded with spark.ui.port %d taken and spark.port.maxRetries 0", port)
		}
		if !strings.Contains(err.Error(), "spark.ui.port") {
			t.Errorf("NewSession: %v; want an error naming spark.ui.port", err)
		}
		if left, _ := os.ReadDir(dir); len(left) > 0 {
			var names []string
			for _, e := range left {
				names = append(names, e.Name())
			}
			t.Errorf("the failed start left %v in spark.eventLog.dir; a history server lists it as an application still running", names)
		}
		if left, _ := os.ReadDir(local); len(left) > 0 {
			t.Errorf("spark.local.dir holds %v after the failed start, want nothing", left)
		}
	})
}
