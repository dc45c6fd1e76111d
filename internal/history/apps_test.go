package history

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"

	"github.com/gospark/gospark/internal/config"
	"github.com/gospark/gospark/internal/eventlog"
	"github.com/gospark/gospark/internal/events"
)

// app writes an application's event log in dir, as a driver does.
type app struct {
	t     *testing.T
	id    string
	w     *eventlog.Writer
	start int64
	jobs  int
	tasks int64
}

// startApp begins the log of application id, started at start (ms).
func startApp(t *testing.T, dir, id, name string, start int64, kv ...string) *app {
	t.Helper()
	conf := config.New()
	kv = append([]string{"spark.eventLog.dir", dir}, kv...)
	for i := 0; i < len(kv); i += 2 {
		if err := conf.Set(kv[i], kv[i+1]); err != nil {
			t.Fatal(err)
		}
	}
	w, err := eventlog.New(context.Background(), conf, id, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Abort)
	a := &app{t: t, id: id, w: w, start: start}
	w.OnEvent(&events.ApplicationStart{AppName: name, AppID: id, Timestamp: start, User: "alice"})
	w.OnEvent(&events.EnvironmentUpdate{SparkProperties: map[string]string{"spark.app.name": name}})
	w.OnEvent(&events.ExecutorAdded{Timestamp: start, ExecutorID: "1",
		ExecutorInfo: events.ExecutorInfo{Host: "10.0.0.1", TotalCores: 2}})
	return a
}

// job runs one job of one stage with n tasks; the job fails when failed
// is set (its last task fails).
func (a *app) job(n int, failed bool) {
	id := a.jobs
	a.jobs++
	t0 := a.start + int64(1000*(id+1))
	stage := events.StageInfo{StageID: id, StageName: fmt.Sprintf("count at job%d.go:1", id), NumberOfTasks: n, SubmissionTime: &t0}
	a.w.OnEvent(&events.JobStart{JobID: id, SubmissionTime: t0, StageInfos: []events.StageInfo{stage}, StageIDs: []int{id}})
	a.w.OnEvent(&events.StageSubmitted{StageInfo: stage})
	for i := range n {
		a.tasks++
		info := events.TaskInfo{TaskID: a.tasks, Index: i, PartitionID: i, LaunchTime: t0 + 1, ExecutorID: "1", Host: "10.0.0.1", Locality: "PROCESS_LOCAL"}
		a.w.OnEvent(&events.TaskStart{StageID: id, TaskInfo: info})
		info.FinishTime = t0 + 100
		reason := events.TaskEndReason{Reason: events.ReasonSuccess}
		if failed && i == n-1 {
			reason = events.TaskEndReason{Reason: events.ReasonException, ClassName: "error", Description: "boom"}
			info.Failed = true
		}
		a.w.OnEvent(&events.TaskEnd{StageID: id, TaskType: "ResultTask", TaskEndReason: reason, TaskInfo: info,
			TaskMetrics: &events.TaskMetrics{ExecutorRunTime: 90, InputMetrics: events.InputMetrics{BytesRead: 10, RecordsRead: 1}}})
	}
	done := stage
	end := t0 + 200
	done.CompletionTime = &end
	result := events.JobResult{Result: events.JobSucceeded}
	if failed {
		reason := "Job aborted due to stage failure: boom"
		done.FailureReason = &reason
		result = events.JobResult{Result: events.JobFailed, Exception: &events.Exception{Message: reason}}
	}
	a.w.OnEvent(&events.StageCompleted{StageInfo: done})
	a.w.OnEvent(&events.JobEnd{JobID: id, CompletionTime: end, JobResult: result})
}

// end ends the application at end (ms) and completes its log.
func (a *app) end(end int64) {
	a.t.Helper()
	a.w.OnEvent(&events.ApplicationEnd{Timestamp: end})
	if err := a.w.Close(); err != nil {
		a.t.Fatal(err)
	}
}
