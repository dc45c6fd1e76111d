package status_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gospark/gospark/internal/events"
	"github.com/gospark/gospark/internal/status"
	"github.com/gospark/gospark/internal/status/statustest"
)

func feed(s *status.Store, ev []events.Event) *status.Store {
	for _, e := range ev {
		s.OnEvent(e)
	}
	return s
}

func golden(t *testing.T) *status.Store {
	t.Helper()
	return feed(status.New(status.Options{Now: func() time.Time { return time.UnixMilli(statustest.End) }}), statustest.Events())
}

func TestApplication(t *testing.T) {
	s := status.New(status.Options{Version: "v-default"})
	if a := s.Application(); a.ID != "" || a.Completed() {
		t.Fatalf("before any event: %+v", a)
	}
	s.OnEvent(&events.ApplicationStart{AppID: "x"})
	if v := s.Application().Attempt().AppSparkVersion; v != "v-default" {
		t.Fatalf("version before a LogStart: %q", v)
	}
	if v := status.New(status.Options{}).Application().Attempt().AppSparkVersion; v != status.BuildVersion() || v == "" {
		t.Fatalf("default version %q", v)
	}
	ev := statustest.Events()
	feed(s, ev[:len(ev)-1])
	a := s.Application()
	at := a.Attempt()
	if a.ID != statustest.AppID || a.Name != statustest.AppName || a.Completed() || at.SparkUser != statustest.User ||
		at.AppSparkVersion != "gospark-test" || at.EndTime != -1 || at.Duration != 0 || at.StartTimeEpoch != statustest.T0 {
		t.Fatalf("running: %+v", a)
	}
	s.OnEvent(ev[len(ev)-1])
	a = s.Application()
	at = a.Attempt()
	if !a.Completed() || at.Duration != statustest.End-statustest.T0 || int64(at.EndTime) != statustest.End || at.EndTimeEpoch != statustest.End {
		t.Fatalf("completed: %+v", a)
	}
	b, _ := json.Marshal(a)
	if !strings.Contains(string(b), `"endTime":"2026-01-01T00:01:00.000GMT"`) || strings.Contains(string(b), "attemptId") {
		t.Fatalf("JSON: %s", b)
	}
}

func TestJobs(t *testing.T) {
	s := golden(t)
	jobs := s.Jobs()
	var ids []int
	for _, j := range jobs {
		ids = append(ids, j.JobID)
	}
	if !slices.Equal(ids, []int{3, 2, 1, 0}) {
		t.Fatalf("job ids %v, want newest first", ids)
	}
	if got := s.Jobs("failed"); len(got) != 1 || got[0].JobID != 2 {
		t.Fatalf("failed jobs: %+v", got)
	}
	if got := s.Jobs("SUCCEEDED", "running"); len(got) != 3 {
		t.Fatalf("succeeded or running: %d", len(got))
	}

	j0, _ := s.Job(0)
	if j0.Status != status.JobSucceeded || j0.Name != "collect at wordcount.go:30" || j0.Description != "count words" ||
		j0.NumTasks != 4 || j0.NumCompletedTasks != 4 || j0.NumCompletedStages != 2 || j0.NumActiveTasks != 0 ||
		j0.NumCompletedIndices != 4 || j0.NumActiveStages != 0 || j0.SubmissionTime == nil || int64(*j0.CompletionTime) != statustest.T0+1350 {
		t.Fatalf("job 0: %+v", j0)
	}

	// Fetch failure: one failed task, one failed stage attempt, the retried
	// stages counted once as completed.
	j1, _ := s.Job(1)
	if j1.Status != status.JobSucceeded || j1.NumFailedTasks != 1 || j1.NumFailedStages != 1 ||
		j1.NumCompletedStages != 2 || j1.NumCompletedTasks != 5 || j1.NumSkippedStages != 0 || j1.NumActiveStages != 0 {
		t.Fatalf("job 1: %+v", j1)
	}

	// Failed job with a skipped stage.
	j2, _ := s.Job(2)
	if j2.Status != status.JobFailed || j2.JobGroup != "nightly" || j2.NumTasks != 3 || j2.NumFailedTasks != 2 ||
		j2.NumFailedStages != 1 || j2.NumSkippedStages != 1 || j2.NumSkippedTasks != 2 || j2.NumCompletedTasks != 0 {
		t.Fatalf("job 2: %+v", j2)
	}

	// A task whose start was never seen still counts.
	j3, _ := s.Job(3)
	if j3.NumCompletedTasks != 1 || j3.NumActiveTasks != 0 || j3.NumCompletedStages != 1 {
		t.Fatalf("job 3: %+v", j3)
	}
	if _, ok := s.Job(99); ok {
		t.Fatal("job 99 found")
	}
}

func TestStages(t *testing.T) {
	s := golden(t)
	statuses := map[string]string{}
	for _, st := range s.Stages() {
		statuses[fmt.Sprintf("%d.%d", st.StageID, st.AttemptID)] = st.Status
	}
	want := map[string]string{
		"0.0": "COMPLETE", "1.0": "COMPLETE", "2.0": "COMPLETE", "3.0": "FAILED", "2.1": "COMPLETE",
		"3.1": "COMPLETE", "4.0": "SKIPPED", "5.0": "FAILED", "6.0": "COMPLETE",
	}
	if fmt.Sprint(statuses) != fmt.Sprint(want) {
		t.Fatalf("stage statuses %v, want %v", statuses, want)
	}
	if got := s.Stages("skipped"); len(got) != 1 || got[0].StageID != 4 {
		t.Fatalf("skipped: %+v", got)
	}
	att := s.StageAttempts(3)
	if len(att) != 2 || att[0].Status != status.StageFailed || att[1].Status != status.StageComplete ||
		!strings.HasPrefix(att[0].FailureReason, "FetchFailed(") || att[1].FailureReason != "" {
		t.Fatalf("stage 3 attempts: %+v", att)
	}
	if att[0].NumFailedTasks != 1 || att[0].NumCompleteTasks != 1 {
		t.Fatalf("stage 3.0 counts: %+v", att[0])
	}

	st, ok := s.StageAttempt(0, 0, false)
	if !ok || st.NumTasks != 2 || st.NumCompleteTasks != 2 || st.ExecutorRunTime != 280 ||
		st.InputBytes != 2048*3 || st.InputRecords != 300 || st.OutputBytes != 512*3 || st.OutputRecords != 30 ||
		st.ShuffleReadBytes != 1000*3 || st.ShuffleReadRecords != 150 || st.ShuffleWriteBytes != 1500*3 ||
		st.ShuffleWriteRecords != 225 || st.MemoryBytesSpilled != 4096*3 || st.DiskBytesSpilled != 1024*3 ||
		st.Tasks != nil || int64(*st.FirstTaskLaunchedTime) != statustest.T0+1020 || !slices.Equal(st.RDDIDs, []int{100}) {
		t.Fatalf("stage 0: %+v", st)
	}
	det, _ := s.StageAttempt(0, 0, true)
	if len(det.Tasks) != 2 || det.Tasks[1].ExecutorID != "2" || len(det.ExecutorSummary) != 2 ||
		det.ExecutorSummary["2"].SucceededTasks != 1 || det.ExecutorSummary["2"].TaskTime != 200 {
		t.Fatalf("stage 0 details: %+v", det)
	}
	skipped, _ := s.StageAttempt(4, 0, true)
	if b, _ := json.Marshal(skipped); !strings.Contains(string(b), `"tasks":{},"executorSummary":{}`) {
		t.Fatalf("a stage without tasks, with details: %s", b)
	}
	if b, _ := json.Marshal(st); strings.Contains(string(b), `"tasks"`) {
		t.Fatalf("a stage without details: %s", b)
	}
	if _, ok := s.StageAttempt(3, 7, false); ok {
		t.Fatal("stage 3 attempt 7 found")
	}
	if s.StageAttempts(42) != nil {
		t.Fatal("stage 42 has attempts")
	}
	if got := s.JobStages(1); len(got) != 4 {
		t.Fatalf("job 1 has %d stage attempts, want 4", len(got))
	}
}

func TestTasks(t *testing.T) {
	s := golden(t)
	tasks, ok := s.TaskList(5, 0, 0, 20, "")
	if !ok || len(tasks) != 2 {
		t.Fatalf("stage 5 tasks: %v %+v", ok, tasks)
	}
	f := tasks[0]
	if f.Status != status.TaskFailedStatus || f.ErrorMessage != "main.errBoom: boom: <b>bad</b> record 42" ||
		f.Duration == nil || *f.Duration != 20 || f.TaskMetrics == nil || f.TaskMetrics.ExecutorRunTime != 15 ||
		f.ExecutorLogs["stderr"] != "/logs/1/stderr" || f.TaskLocality != "PROCESS_LOCAL" {
		t.Fatalf("failed task: %+v", f)
	}
	fetch, _ := s.TaskList(3, 0, 0, 1, "ID")
	if fetch[0].Status != "FAILED" || !strings.HasPrefix(fetch[0].ErrorMessage, "FetchFailed: connection refused") || fetch[0].TaskMetrics != nil {
		t.Fatalf("fetch-failed task: %+v", fetch[0])
	}
	ok0, _ := s.TaskList(0, 0, 0, 20, "ID")
	// duration 100, run 90, deserialize 2, serialize 1: scheduler delay 7.
	if ok0[0].SchedulerDelay != 7 || ok0[0].GettingResultTime != 0 {
		t.Fatalf("scheduler delay: %+v", ok0[0])
	}
	desc, _ := s.TaskList(0, 0, 0, 20, "-runtime")
	if desc[0].TaskID != 1 || desc[1].TaskID != 0 {
		t.Fatalf("-runtime order: %d, %d", desc[0].TaskID, desc[1].TaskID)
	}
	page, _ := s.TaskList(0, 0, 1, 20, "runtime")
	if len(page) != 1 || page[0].TaskID != 1 {
		t.Fatalf("offset 1: %+v", page)
	}
	if _, ok := s.TaskList(9, 9, 0, 20, ""); ok {
		t.Fatal("stage 9.9 has a task list")
	}
	if _, ok := status.ParseTaskSort("sideways"); ok {
		t.Fatal("sideways is a sort order")
	}
	if v, ok := status.ParseTaskSort("DECREASING_RUNTIME"); !ok || v != status.SortByRuntimeDesc {
		t.Fatalf("DECREASING_RUNTIME: %q %v", v, ok)
	}
}

func TestTaskSummaryQuantiles(t *testing.T) {
	s := status.New(status.Options{})
	si := statustest.Stage(0, 0, 100, "q")
	s.OnEvent(&events.StageSubmitted{StageInfo: si})
	// 100 successful tasks with run times 1..100 in shuffled order, and a
	// failed one that the summary must leave out.
	for i := range 100 {
		run := int64((i*37)%100 + 1)
		info := statustest.TaskInfo(int64(i), i, 0, "1", 1000, 1000+run+10)
		s.OnEvent(&events.TaskStart{TaskInfo: info})
		s.OnEvent(statustest.Success(0, 0, info, statustest.Metrics(run, 1), "ResultTask"))
	}
	bad := statustest.TaskInfo(500, 0, 1, "1", 1000, 999_999)
	s.OnEvent(&events.TaskEnd{TaskEndReason: events.TaskEndReason{Reason: events.ReasonException}, TaskInfo: bad, TaskMetrics: statustest.Metrics(999_999, 1)})

	d, ok := s.TaskSummary(0, 0, []float64{0.75, 0, 0.5, 1, 0.25})
	if !ok {
		t.Fatal("no summary")
	}
	if !slices.Equal(d.Quantiles, []float64{0, 0.25, 0.5, 0.75, 1}) {
		t.Fatalf("quantiles %v", d.Quantiles)
	}
	if !slices.Equal(d.ExecutorRunTime, []float64{1, 26, 51, 76, 100}) {
		t.Fatalf("run time quantiles %v", d.ExecutorRunTime)
	}
	if !slices.Equal(d.Duration, []float64{11, 36, 61, 86, 110}) {
		t.Fatalf("duration quantiles %v", d.Duration)
	}
	if !slices.Equal(d.ShuffleReadMetrics.ReadBytes, []float64{1000, 1000, 1000, 1000, 1000}) {
		t.Fatalf("shuffle read quantiles %v", d.ShuffleReadMetrics.ReadBytes)
	}
	if _, ok := s.TaskSummary(1, 0, status.DefaultQuantiles); ok {
		t.Fatal("summary of an unknown stage")
	}
	s.OnEvent(&events.StageSubmitted{StageInfo: statustest.Stage(1, 0, 1, "empty")})
	if _, ok := s.TaskSummary(1, 0, status.DefaultQuantiles); ok {
		t.Fatal("summary of a stage without successful tasks")
	}
}

func TestExecutors(t *testing.T) {
	s := golden(t)
	active := s.Executors(true)
	if len(active) != 2 || active[0].ID != "driver" || active[1].ID != "1" {
		t.Fatalf("active executors: %+v", active)
	}
	all := s.Executors(false)
	if len(all) != 3 || all[2].ID != "2" {
		t.Fatalf("all executors: %+v", all)
	}
	e2 := all[2]
	if e2.IsActive || e2.RemoveTime == nil || e2.RemoveReason != "worker lost: exited with code 137" ||
		e2.CompletedTasks != 3 || e2.TotalTasks != 3 || e2.HostPort != "host2:40000" || e2.TotalCores != 2 || e2.MaxTasks != 2 {
		t.Fatalf("executor 2: %+v", e2)
	}
	d := active[0]
	if d.TotalCores != 0 || d.MaxMemory != 384<<20 || d.HostPort != "driver-host:7079" || d.MemoryMetrics == nil || d.TotalTasks != 0 {
		t.Fatalf("driver: %+v", d)
	}
	e1 := active[1]
	// Executor 1 ran tasks 0, 2, 4, 6 (fetch failed), 7, 8, 9, 10 and 11
	// (failed), and 12 (start not seen).
	if e1.TotalTasks != 10 || e1.CompletedTasks != 7 || e1.FailedTasks != 3 || e1.ActiveTasks != 0 ||
		e1.TotalInputBytes != 2048*(1+1+1+1+1+1+1+1+4) || e1.RDDBlocks != 1 || e1.MemoryUsed != 10<<20 ||
		e1.ExecutorLogs["stdout"] != "/logs/1/stdout" || e1.TotalDuration != 100+50+80+60+70+100+60+20+20+100 {
		t.Fatalf("executor 1: %+v", e1)
	}
	if e1.TotalShuffleRead != 1000*(1+1+1+1+1+1+1+1+4) || e1.TotalShuffleWrite != 1500*(1+1+1+1+1+1+1+1+4) {
		t.Fatalf("executor 1 shuffle totals: %+v", e1)
	}
	b, _ := json.Marshal(e1)
	if strings.Contains(string(b), "removeTime") || !strings.Contains(string(b), `"addTime":"2026-01-01T00:00:00.100GMT"`) {
		t.Fatalf("executor 1 JSON: %s", b)
	}
}

func TestStorage(t *testing.T) {
	ev := statustest.Events()
	s := status.New(status.Options{})
	// Up to job 0's end, both cached blocks are there.
	var n int
	for i, e := range ev {
		if je, ok := e.(*events.JobEnd); ok && je.JobID == 0 {
			n = i + 1
			break
		}
	}
	feed(s, ev[:n])
	rdds := s.RDDs()
	if len(rdds) != 1 || rdds[0].ID != 100 || rdds[0].Name != "words" || rdds[0].NumCachedPartitions != 2 ||
		rdds[0].MemoryUsed != 22<<20 || rdds[0].StorageLevel != "Memory Deserialized 1x Replicated" || rdds[0].Partitions != nil {
		t.Fatalf("rdds: %+v", rdds)
	}
	r, ok := s.RDD(100)
	if !ok || len(r.DataDistribution) != 2 || len(r.Partitions) != 2 || r.Partitions[1].BlockName != "rdd_100_1" ||
		!slices.Equal(r.Partitions[1].Executors, []string{"2"}) || r.DataDistribution[0].Address != "host1:40000" ||
		r.DataDistribution[0].MemoryRemaining != 256<<20-10<<20 || *r.DataDistribution[0].OnHeapMemoryUsed != 10<<20 {
		t.Fatalf("rdd 100: %+v", r)
	}
	// Executor 2 goes: its block goes with it.
	feed(s, ev[n:])
	r, _ = s.RDD(100)
	if r.NumCachedPartitions != 1 || r.MemoryUsed != 10<<20 || len(r.DataDistribution) != 1 {
		t.Fatalf("rdd 100 after executor 2 left: %+v", r)
	}
	s.OnEvent(&events.UnpersistRDD{RDDID: 100})
	if len(s.RDDs()) != 0 {
		t.Fatal("rdd 100 still listed after unpersist")
	}
	if _, ok := s.RDD(100); ok {
		t.Fatal("rdd 100 found after unpersist")
	}
	e1, _ := s.Executor("1")
	if e1.RDDBlocks != 0 || e1.MemoryUsed != 0 || e1.MemoryMetrics.UsedOnHeapStorageMemory != 0 {
		t.Fatalf("executor 1 after unpersist: %+v", e1)
	}
}

func TestEnvironment(t *testing.T) {
	s := status.New(status.Options{})
	if e := s.Environment(); len(e.SparkProperties) != 0 || e.SparkProperties == nil {
		t.Fatalf("empty environment: %+v", e)
	}
	feed(s, statustest.Events())
	e := s.Environment()
	if e.Runtime.JavaVersion != "go1.26.8" || e.SparkProperties[0][0] != "spark.app.id" ||
		!slices.IsSortedFunc(e.SparkProperties, func(a, b [2]string) int { return strings.Compare(a[0], b[0]) }) {
		t.Fatalf("environment: %+v", e)
	}
	b, _ := json.Marshal(e)
	if !strings.Contains(string(b), `["spark.executor.cores","2"]`) || !strings.Contains(string(b), `"hadoopProperties":[]`) {
		t.Fatalf("environment JSON: %s", b)
	}
}

func TestRetention(t *testing.T) {
	s := status.New(status.Options{RetainedJobs: 10, RetainedStages: 10, RetainedTasks: 100, RetainedDeadExecutors: 2})
	for j := range 25 {
		si := statustest.Stage(j, 0, 1, "s")
		s.OnEvent(&events.JobStart{JobID: j, SubmissionTime: int64(j), StageInfos: []events.StageInfo{si}, StageIDs: []int{j}})
		s.OnEvent(&events.StageSubmitted{StageInfo: si})
		end := si
		end.SubmissionTime, end.CompletionTime = &[]int64{1}[0], &[]int64{int64(10 + j)}[0]
		s.OnEvent(&events.StageCompleted{StageInfo: end})
		s.OnEvent(&events.JobEnd{JobID: j, CompletionTime: int64(100 + j), JobResult: events.JobResult{Result: events.JobSucceeded}})
	}
	jobs := s.Jobs()
	if len(jobs) > 10 || jobs[0].JobID != 24 {
		t.Fatalf("%d jobs kept, newest %d", len(jobs), jobs[0].JobID)
	}
	if _, ok := s.Job(0); ok {
		t.Fatal("oldest job kept")
	}
	if st := s.Stages(); len(st) > 10 || st[0].StageID != 24 {
		t.Fatalf("%d stages kept", len(st))
	}

	// A running job is never forgotten.
	s2 := status.New(status.Options{RetainedJobs: 1})
	s2.OnEvent(&events.JobStart{JobID: 0})
	s2.OnEvent(&events.JobStart{JobID: 1})
	s2.OnEvent(&events.JobStart{JobID: 2})
	if len(s2.Jobs()) != 3 {
		t.Fatal("running jobs forgotten")
	}

	// Tasks: a stage keeps at most 100; its totals stay whole.
	si := statustest.Stage(100, 0, 250, "big")
	s.OnEvent(&events.StageSubmitted{StageInfo: si})
	for i := range 250 {
		info := statustest.TaskInfo(int64(1000+i), i, 0, "1", int64(i), int64(i+5))
		s.OnEvent(&events.TaskStart{StageID: 100, TaskInfo: info})
		s.OnEvent(statustest.Success(100, 0, info, statustest.Metrics(3, 1), "ResultTask"))
	}
	n, _ := s.TaskCount(100, 0)
	st, _ := s.StageAttempt(100, 0, false)
	if n > 100 || n < 90 || st.NumCompleteTasks != 250 || st.ExecutorRunTime != 750 {
		t.Fatalf("kept %d tasks; stage %+v", n, st)
	}
	tasks, _ := s.TaskList(100, 0, 0, 1, "ID")
	if tasks[0].TaskID < 1150 {
		t.Fatalf("oldest task kept is %d", tasks[0].TaskID)
	}

	// Dead executors: the two removed last stay.
	for i := range 5 {
		id := fmt.Sprint(i)
		s.OnEvent(&events.ExecutorAdded{ExecutorID: id, Timestamp: int64(i)})
		s.OnEvent(&events.ExecutorRemoved{ExecutorID: id, Timestamp: int64(10 + i)})
	}
	var dead []string
	for _, e := range s.Executors(false) {
		dead = append(dead, e.ID)
	}
	if !slices.Equal(dead, []string{"3", "4"}) {
		t.Fatalf("dead executors kept: %v", dead)
	}
}

func TestRunningTaskDuration(t *testing.T) {
	now := time.UnixMilli(5000)
	s := status.New(status.Options{Now: func() time.Time { return now }})
	s.OnEvent(&events.StageSubmitted{StageInfo: statustest.Stage(0, 0, 1, "s")})
	s.OnEvent(&events.TaskStart{TaskInfo: statustest.TaskInfo(0, 0, 0, "1", 3000, 0)})
	tasks, _ := s.TaskList(0, 0, 0, 10, "")
	if tasks[0].Status != status.TaskRunning || tasks[0].Duration == nil || *tasks[0].Duration != 2000 || tasks[0].TaskMetrics != nil {
		t.Fatalf("running task: %+v", tasks[0])
	}
	st, _ := s.StageAttempt(0, 0, false)
	if st.Status != status.StageActive || st.NumActiveTasks != 1 {
		t.Fatalf("stage: %+v", st)
	}
}

// TestConcurrentReaders reads while events arrive (run with -race).
func TestConcurrentReaders(t *testing.T) {
	s := status.New(status.Options{})
	ev := statustest.Events()
	var wg sync.WaitGroup
	done := make(chan struct{})
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				for _, st := range s.Stages() {
					s.StageAttempt(st.StageID, st.AttemptID, true)
					s.TaskSummary(st.StageID, st.AttemptID, status.DefaultQuantiles)
				}
				s.Jobs()
				s.Executors(false)
				for _, r := range s.RDDs() {
					s.RDD(r.ID)
				}
				if _, err := json.Marshal(s.Environment()); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	feed(s, ev)
	close(done)
	wg.Wait()
	if !s.Application().Completed() {
		t.Fatal("not completed")
	}
}

func TestDateJSON(t *testing.T) {
	d := status.Date(statustest.T0 + 62_345)
	b, _ := json.Marshal(d)
	if string(b) != `"2026-01-01T00:01:02.345GMT"` {
		t.Fatalf("date JSON %s", b)
	}
	var back status.Date
	if err := json.Unmarshal(b, &back); err != nil || back != d {
		t.Fatalf("round trip: %v %v", back, err)
	}
	if err := json.Unmarshal([]byte(`"yesterday"`), &back); err == nil {
		t.Fatal("a bad date parsed")
	}
	if status.Date(-1).String() != "1969-12-31T23:59:59.999GMT" {
		t.Fatalf("-1 is %s", status.Date(-1))
	}
}

// TestReusedStage: gospark keeps a shuffle's map stage across jobs, so a
// later job lists the completed stage again; that job skips it, the stage
// stays complete.
func TestReusedStage(t *testing.T) {
	s := status.New(status.Options{})
	m := statustest.Stage(0, 0, 3, "map")
	r1 := statustest.Stage(1, 0, 2, "first", 0)
	r2 := statustest.Stage(2, 0, 2, "second", 0)
	run := func(id int, st events.StageInfo, tid int64) {
		s.OnEvent(&events.StageSubmitted{StageInfo: st})
		info := statustest.TaskInfo(tid, 0, 0, "1", 10, 20)
		s.OnEvent(&events.TaskStart{StageID: st.StageID, TaskInfo: info})
		s.OnEvent(statustest.Success(st.StageID, 0, info, statustest.Metrics(5, 1), "ResultTask"))
		done := st
		done.SubmissionTime, done.CompletionTime = &[]int64{10}[0], &[]int64{30}[0]
		s.OnEvent(&events.StageCompleted{StageInfo: done})
	}
	s.OnEvent(&events.JobStart{JobID: 0, StageInfos: []events.StageInfo{r1, m}, StageIDs: []int{1, 0}})
	run(0, m, 0)
	run(0, r1, 1)
	s.OnEvent(&events.JobEnd{JobID: 0, JobResult: events.JobResult{Result: events.JobSucceeded}})
	s.OnEvent(&events.JobStart{JobID: 1, StageInfos: []events.StageInfo{r2, m}, StageIDs: []int{2, 0}})
	run(1, r2, 2)
	s.OnEvent(&events.JobEnd{JobID: 1, JobResult: events.JobResult{Result: events.JobSucceeded}})

	j1, _ := s.Job(1)
	if j1.NumSkippedStages != 1 || j1.NumSkippedTasks != 3 || j1.NumCompletedStages != 1 || j1.NumActiveStages != 0 {
		t.Fatalf("job 1: %+v", j1)
	}
	if st, _ := s.StageAttempt(0, 0, false); st.Status != status.StageComplete {
		t.Fatalf("stage 0 is %s", st.Status)
	}
	got := map[int]string{}
	for _, st := range s.JobStages(1) {
		got[st.StageID] = st.Status
	}
	if got[0] != status.StageSkipped || got[2] != status.StageComplete || len(got) != 2 {
		t.Fatalf("job 1's stages: %v", got)
	}
	for _, st := range s.JobStages(0) {
		if st.Status != status.StageComplete {
			t.Fatalf("job 0's stage %d is %s", st.StageID, st.Status)
		}
	}
}

// TestTasksOfUnknownStages: a task of a stage attempt the store never saw
// counts for its executor only, and does not invent a stage.
func TestTasksOfUnknownStages(t *testing.T) {
	s := status.New(status.Options{})
	s.OnEvent(&events.ExecutorAdded{ExecutorID: "1", ExecutorInfo: events.ExecutorInfo{TotalCores: 1}})
	info := statustest.TaskInfo(0, 0, 0, "1", 10, 20)
	s.OnEvent(&events.TaskStart{StageID: 7, TaskInfo: info})
	if e, _ := s.Executor("1"); e.ActiveTasks != 1 {
		t.Fatalf("executor 1 runs %d tasks", e.ActiveTasks)
	}
	// The stage shows up late (its submission was dropped); the task ends.
	s.OnEvent(&events.StageCompleted{StageInfo: statustest.Stage(7, 0, 1, "late")})
	s.OnEvent(statustest.Success(7, 0, info, statustest.Metrics(5, 1), "ResultTask"))
	e, _ := s.Executor("1")
	st, _ := s.StageAttempt(7, 0, false)
	if e.ActiveTasks != 0 || e.CompletedTasks != 1 || st.NumActiveTasks != 0 || st.NumCompleteTasks != 1 {
		t.Fatalf("executor %+v\nstage %+v", e, st)
	}
	s.OnEvent(statustest.Success(8, 0, statustest.TaskInfo(1, 0, 0, "1", 10, 20), nil, "ResultTask"))
	if len(s.Stages()) != 1 {
		t.Fatalf("stages: %+v", s.Stages())
	}
	if e, _ := s.Executor("1"); e.TotalTasks != 2 || e.CompletedTasks != 2 {
		t.Fatalf("executor 1: %+v", e)
	}
}
