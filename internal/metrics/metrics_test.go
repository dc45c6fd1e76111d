package metrics

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/gospark/gospark/internal/events"
)

// scrape fetches url over HTTP and parses Prometheus' text format.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: not Prometheus' text format: %v", url, err)
	}
	return fams
}

func labels(m *dto.Metric) map[string]string {
	out := map[string]string{}
	for _, l := range m.GetLabel() {
		out[l.GetName()] = l.GetValue()
	}
	return out
}

func value(m *dto.Metric) float64 {
	switch {
	case m.Gauge != nil:
		return m.GetGauge().GetValue()
	case m.Counter != nil:
		return m.GetCounter().GetValue()
	case m.Untyped != nil:
		return m.GetUntyped().GetValue()
	}
	return 0
}

const ns = "metrics_app_20240101120000_0007_driver_"

// driverValue is the single series of a driver metric, checking its type
// label.
func driverValue(t *testing.T, fams map[string]*dto.MetricFamily, name, typ string) float64 {
	t.Helper()
	f, ok := fams[name]
	if !ok {
		t.Fatalf("no %s in the scrape", name)
	}
	if len(f.GetMetric()) != 1 {
		t.Fatalf("%s has %d series, want 1", name, len(f.GetMetric()))
	}
	m := f.GetMetric()[0]
	if got := labels(m); len(got) != 1 || got["type"] != typ {
		t.Fatalf("%s labels %v, want {type=%q}", name, got, typ)
	}
	return value(m)
}

// gaugeValue checks a gauge's _Number and _Value series agree and returns
// the value.
func gaugeValue(t *testing.T, fams map[string]*dto.MetricFamily, name string) float64 {
	t.Helper()
	v := driverValue(t, fams, ns+name+"_Value", "gauges")
	if n := driverValue(t, fams, ns+name+"_Number", "gauges"); n != v {
		t.Fatalf("%s: Number %v, Value %v", name, n, v)
	}
	return v
}

func counterValue(t *testing.T, fams map[string]*dto.MetricFamily, name string) float64 {
	t.Helper()
	return driverValue(t, fams, ns+name+"_Count", "counters")
}

func taskEnd(stage int, reason string, m *events.TaskMetrics) *events.TaskEnd {
	return &events.TaskEnd{StageID: stage, TaskType: "ResultTask", TaskEndReason: events.TaskEndReason{Reason: reason}, TaskMetrics: m}
}

func TestDriverEndpoint(t *testing.T) {
	var mu sync.Mutex
	waiting := 1
	storage := Storage{MaxMemory: 300 << 20, MemoryUsed: 5<<20 + 1000, DiskUsed: 3 << 20}
	dropped := map[string]int64{"appStatus": 0, "eventLog": 4}
	d := NewDriver(DriverConfig{
		Namespace:     "app-20240101120000-0007",
		WaitingStages: func() int { mu.Lock(); defer mu.Unlock(); return waiting },
		Storage:       func() Storage { mu.Lock(); defer mu.Unlock(); return storage },
		Queues:        []string{"appStatus", "eventLog"},
		Dropped:       func(q string) int64 { mu.Lock(); defer mu.Unlock(); return dropped[q] },
		LocalExecutor: true,
		Cores:         2,
	})
	bus := events.NewBus(100, nil)
	bus.AddListener("metrics", d)
	t.Cleanup(func() { bus.Stop(context.Background()) })
	srv := httptest.NewServer(d.Handler())
	t.Cleanup(srv.Close)
	post := func(es ...events.Event) {
		t.Helper()
		for _, e := range es {
			bus.Post(e)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := bus.Drain(ctx); err != nil {
			t.Fatal(err)
		}
	}

	fams := scrape(t, srv.URL)
	for name, want := range map[string]float64{
		"DAGScheduler_job_allJobs": 0, "DAGScheduler_job_activeJobs": 0,
		"DAGScheduler_stage_runningStages": 0, "DAGScheduler_stage_failedStages": 0,
		"DAGScheduler_stage_waitingStages":      1,
		"BlockManager_memory_maxMem_MB":         300,
		"BlockManager_memory_maxOnHeapMem_MB":   300,
		"BlockManager_memory_maxOffHeapMem_MB":  0,
		"BlockManager_memory_memUsed_MB":        5,
		"BlockManager_memory_onHeapMemUsed_MB":  5,
		"BlockManager_memory_remainingMem_MB":   294, // 295 MiB less 1000 bytes
		"BlockManager_disk_diskSpaceUsed_MB":    3,
		"executor_threadpool_maxPool_size":      2,
		"executor_threadpool_activeTasks":       0,
		"executor_threadpool_completeTasks":     0,
		"executor_threadpool_startedTasks":      0,
		"BlockManager_memory_offHeapMemUsed_MB": 0,
	} {
		if got := gaugeValue(t, fams, name); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	if got := counterValue(t, fams, "LiveListenerBus_queue_eventLog_numDroppedEvents"); got != 4 {
		t.Errorf("eventLog numDroppedEvents = %v, want 4", got)
	}
	if got := counterValue(t, fams, "executor_succeededTasks"); got != 0 {
		t.Errorf("succeededTasks = %v before any task", got)
	}

	// Job 0 runs stage 0 then stage 1; stage 1's first attempt fails.
	post(
		&events.JobStart{JobID: 0, StageIDs: []int{0, 1}},
		&events.StageSubmitted{StageInfo: events.StageInfo{StageID: 0}},
		&events.TaskStart{StageID: 0}, &events.TaskStart{StageID: 0}, &events.TaskStart{StageID: 0},
		taskEnd(0, events.ReasonSuccess, &events.TaskMetrics{
			ExecutorRunTime: 120, ResultSize: 900, MemoryBytesSpilled: 1 << 20, DiskBytesSpilled: 4000,
			ShuffleWriteMetrics: events.ShuffleWriteMetrics{ShuffleBytesWritten: 5000, ShuffleRecordsWritten: 70, ShuffleWriteTime: 3_000_000},
			InputMetrics:        events.InputMetrics{BytesRead: 10_000, RecordsRead: 100},
		}),
		taskEnd(0, events.ReasonException, &events.TaskMetrics{ExecutorRunTime: 1000, InputMetrics: events.InputMetrics{RecordsRead: 1}}),
	)
	mu.Lock()
	waiting = 0
	storage.MemoryUsed = 40 << 20
	dropped["appStatus"] = 2
	mu.Unlock()

	fams = scrape(t, srv.URL)
	for name, want := range map[string]float64{
		"DAGScheduler_job_allJobs": 1, "DAGScheduler_job_activeJobs": 1,
		"DAGScheduler_stage_runningStages": 1, "DAGScheduler_stage_failedStages": 0,
		"DAGScheduler_stage_waitingStages":  0,
		"BlockManager_memory_memUsed_MB":    40,
		"executor_threadpool_activeTasks":   1,
		"executor_threadpool_startedTasks":  3,
		"executor_threadpool_completeTasks": 2,
	} {
		if got := gaugeValue(t, fams, name); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	// Only the task that succeeded counts, as in Spark's executor source.
	for name, want := range map[string]float64{
		"LiveListenerBus_numEventsPosted":                  7,
		"LiveListenerBus_queue_appStatus_numDroppedEvents": 2,
		"executor_succeededTasks":                          1,
		"executor_runTime":                                 120,
		"executor_resultSize":                              900,
		"executor_recordsRead":                             100,
		"executor_bytesRead":                               10_000,
		"executor_shuffleBytesWritten":                     5000,
		"executor_shuffleRecordsWritten":                   70,
		"executor_shuffleWriteTime":                        3_000_000,
		"executor_memoryBytesSpilled":                      1 << 20,
		"executor_diskBytesSpilled":                        4000,
		"executor_shuffleTotalBytesRead":                   0,
	} {
		if got := counterValue(t, fams, name); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}

	post(
		&events.TaskEnd{StageID: 0, TaskEndReason: events.TaskEndReason{Reason: events.ReasonSuccess}, TaskMetrics: &events.TaskMetrics{}},
		&events.StageCompleted{StageInfo: events.StageInfo{StageID: 0}},
		&events.StageSubmitted{StageInfo: events.StageInfo{StageID: 1}},
		&events.TaskStart{StageID: 1},
		taskEnd(1, events.ReasonSuccess, &events.TaskMetrics{ShuffleReadMetrics: events.ShuffleReadMetrics{
			LocalBlocksFetched: 2, RemoteBlocksFetched: 1, LocalBytesRead: 300, RemoteBytesRead: 200, FetchWaitTime: 7, TotalRecordsRead: 70,
		}}),
		&events.StageCompleted{StageInfo: events.StageInfo{StageID: 1, FailureReason: ptr("FetchFailed")}},
	)
	fams = scrape(t, srv.URL)
	for name, want := range map[string]float64{
		"DAGScheduler_stage_runningStages": 0, "DAGScheduler_stage_failedStages": 1, "DAGScheduler_job_activeJobs": 1,
	} {
		if got := gaugeValue(t, fams, name); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	for name, want := range map[string]float64{
		"executor_succeededTasks":             3,
		"executor_shuffleLocalBlocksFetched":  2,
		"executor_shuffleRemoteBlocksFetched": 1,
		"executor_shuffleLocalBytesRead":      300,
		"executor_shuffleRemoteBytesRead":     200,
		"executor_shuffleTotalBytesRead":      500,
		"executor_shuffleFetchWaitTime":       7,
		"executor_shuffleRecordsRead":         70,
	} {
		if got := counterValue(t, fams, name); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}

	// The job ends (failed): nothing is running or failed any more.
	post(&events.JobEnd{JobID: 0, JobResult: events.JobResult{Result: events.JobFailed}})
	fams = scrape(t, srv.URL)
	for name, want := range map[string]float64{
		"DAGScheduler_job_allJobs": 1, "DAGScheduler_job_activeJobs": 0,
		"DAGScheduler_stage_runningStages": 0, "DAGScheduler_stage_failedStages": 0,
	} {
		if got := gaugeValue(t, fams, name); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
}

func ptr[T any](v T) *T { return &v }

func TestDriverEndpointLeavesOutWhatItCannotFill(t *testing.T) {
	d := NewDriver(DriverConfig{Namespace: "app-20240101120000-0007"})
	srv := httptest.NewServer(d.Handler())
	t.Cleanup(srv.Close)
	d.OnEvent(&events.JobStart{JobID: 3})
	fams := scrape(t, srv.URL)
	if got := gaugeValue(t, fams, "DAGScheduler_job_allJobs"); got != 1 {
		t.Fatalf("allJobs = %v, want 1", got)
	}
	if got := counterValue(t, fams, "LiveListenerBus_numEventsPosted"); got != 1 {
		t.Fatalf("numEventsPosted = %v, want 1", got)
	}
	for name := range fams {
		for _, absent := range []string{"executor_", "BlockManager_", "waitingStages", "numDroppedEvents"} {
			if strings.Contains(name, absent) {
				t.Errorf("%s exported without the source behind it", name)
			}
		}
	}
}

func TestNamespaceIsNormalized(t *testing.T) {
	d := NewDriver(DriverConfig{Namespace: "my.app-name"})
	srv := httptest.NewServer(d.Handler())
	t.Cleanup(srv.Close)
	fams := scrape(t, srv.URL)
	if _, ok := fams["metrics_my_app_name_driver_DAGScheduler_job_activeJobs_Value"]; !ok {
		t.Fatalf("no metrics_my_app_name_driver_DAGScheduler_job_activeJobs_Value; have %d families", len(fams))
	}
}

func TestExecutorsEndpoint(t *testing.T) {
	var mu sync.Mutex
	execs := []ExecutorValues{
		{ID: "driver", TotalCores: 0, MaxMemory: 400 << 20, MemoryUsed: 1 << 20,
			Memory: &StorageMemory{UsedOnHeap: 1 << 20, TotalOnHeap: 400 << 20}},
		{ID: "1", RDDBlocks: 3, TotalCores: 4, MaxTasks: 4, ActiveTasks: 2, FailedTasks: 1, CompletedTasks: 10, TotalTasks: 13,
			TotalDuration: 2500 * time.Millisecond, TotalGCTime: 40 * time.Millisecond,
			TotalInputBytes: 1000, TotalShuffleRead: 2000, TotalShuffleWrite: 3000, DiskUsed: 77, MaxMemory: 200 << 20},
	}
	h := ExecutorsHandler(App{ID: "app-1", Name: "Group By Test", Version: "3.5.0"}, func() []ExecutorValues {
		mu.Lock()
		defer mu.Unlock()
		return append([]ExecutorValues(nil), execs...)
	})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)

	series := func(fams map[string]*dto.MetricFamily, name, exec string) (float64, bool) {
		t.Helper()
		f, ok := fams["metrics_executor_"+name]
		if !ok {
			return 0, false
		}
		for _, m := range f.GetMetric() {
			l := labels(m)
			if l["executor_id"] != exec {
				continue
			}
			if l["application_id"] != "app-1" || l["application_name"] != "Group By Test" || len(l) != 3 {
				t.Fatalf("%s labels %v", name, l)
			}
			return value(m), true
		}
		return 0, false
	}
	fams := scrape(t, srv.URL)
	for name, want := range map[string]float64{
		"rddBlocks": 3, "memoryUsed_bytes": 0, "diskUsed_bytes": 77, "totalCores": 4, "maxTasks": 4, "activeTasks": 2,
		"failedTasks_total": 1, "completedTasks_total": 10, "totalTasks_total": 13,
		"totalDuration_seconds_total": 2.5, "totalGCTime_seconds_total": 0.04,
		"totalInputBytes_bytes_total": 1000, "totalShuffleRead_bytes_total": 2000, "totalShuffleWrite_bytes_total": 3000,
		"maxMemory_bytes": 200 << 20,
	} {
		if got, ok := series(fams, name, "1"); !ok || got != want {
			t.Errorf("metrics_executor_%s{executor_id=\"1\"} = %v (present %v), want %v", name, got, ok, want)
		}
	}
	if got, ok := series(fams, "usedOnHeapStorageMemory_bytes", "driver"); !ok || got != 1<<20 {
		t.Errorf("driver's usedOnHeapStorageMemory_bytes = %v (present %v)", got, ok)
	}
	if _, ok := series(fams, "usedOnHeapStorageMemory_bytes", "1"); ok {
		t.Error("storage memory series for an executor without memory metrics")
	}
	if f := fams["metrics_executor_completedTasks_total"]; f.GetType() != dto.MetricType_COUNTER {
		t.Errorf("completedTasks_total is a %v, want a counter", f.GetType())
	}
	info, ok := fams["spark_info"]
	if !ok || len(info.GetMetric()) != 1 || labels(info.GetMetric()[0])["version"] != "3.5.0" || value(info.GetMetric()[0]) != 1 {
		t.Errorf("spark_info: %v", info)
	}

	// The values are read at each scrape.
	mu.Lock()
	execs[1].CompletedTasks, execs[1].ActiveTasks = 12, 0
	execs = append(execs, ExecutorValues{ID: "2", TotalCores: 4})
	mu.Unlock()
	fams = scrape(t, srv.URL)
	if got, _ := series(fams, "completedTasks_total", "1"); got != 12 {
		t.Errorf("completedTasks_total = %v after two more tasks, want 12", got)
	}
	if got, _ := series(fams, "activeTasks", "1"); got != 0 {
		t.Errorf("activeTasks = %v, want 0", got)
	}
	if got, ok := series(fams, "totalCores", "2"); !ok || got != 4 {
		t.Errorf("new executor 2: totalCores %v (present %v)", got, ok)
	}
}

func TestExecutorsEndpointWithoutExecutors(t *testing.T) {
	srv := httptest.NewServer(ExecutorsHandler(App{ID: "a", Name: "n"}, func() []ExecutorValues { return nil }))
	t.Cleanup(srv.Close)
	if fams := scrape(t, srv.URL); len(fams) != 0 {
		t.Fatalf("%d families with no executors and no version, want none", len(fams))
	}
}
