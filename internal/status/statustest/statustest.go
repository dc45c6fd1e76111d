// Package statustest is a fixed, synthetic application's events for tests
// of the status store, the UI and whatever replays event logs: four jobs
// over two executors with a cached dataset, a fetch failure with a stage
// retry, an executor removed, a skipped stage and a failed job.
package statustest

import (
	"fmt"

	"github.com/gospark/gospark/internal/events"
)

// The application's identity and times (milliseconds since the epoch).
const (
	AppID   = "app-20260101000000-0000"
	AppName = "Golden App"
	User    = "alice"
	T0      = int64(1767225600000) // 2026-01-01T00:00:00.000GMT
	End     = T0 + 60_000
)

// Secret is a property value the driver should have redacted but did not:
// the UI must hide it anyway (its name matches Spark's redaction regex).
const Secret = "hunter2-plain-token"

func i64(v int64) *int64   { return &v }
func str(v string) *string { return &v }
func intp(v int) *int      { return &v }

var memLevel = events.StorageLevel{UseMemory: true, Deserialized: true, Replication: 1}

// Stage builds a StageInfo.
func Stage(id, attempt, tasks int, name string, parents ...int) events.StageInfo {
	return events.StageInfo{
		StageID: id, StageAttemptID: attempt, StageName: name, NumberOfTasks: tasks,
		ParentIDs: append([]int{}, parents...), Details: "gospark.Dataset." + name,
		RDDInfo: []events.RDDInfo{{RDDID: int64(100 + id), Name: fmt.Sprintf("rdd-%d", 100+id), NumberOfPartitions: tasks}},
	}
}

func submitted(si events.StageInfo, at int64) events.StageInfo {
	si.SubmissionTime = i64(at)
	return si
}

func completed(si events.StageInfo, sub, at int64, failure string) events.StageInfo {
	si.SubmissionTime = i64(sub)
	si.CompletionTime = i64(at)
	if failure != "" {
		si.FailureReason = str(failure)
	}
	return si
}

// TaskInfo builds a task attempt's info.
func TaskInfo(id int64, index, attempt int, exec string, launch, finish int64) events.TaskInfo {
	host := "host" + exec
	if exec == "driver" {
		host = "driver-host"
	}
	return events.TaskInfo{
		TaskID: id, Index: index, Attempt: attempt, PartitionID: index,
		LaunchTime: launch, FinishTime: finish, ExecutorID: exec, Host: host, Locality: "PROCESS_LOCAL",
		Accumulables: []events.Accumulable{},
	}
}

// Metrics builds a task's metrics; run is its run time in milliseconds and
// scale makes byte and record counts differ between tasks.
func Metrics(run, scale int64) *events.TaskMetrics {
	return &events.TaskMetrics{
		ExecutorDeserializeTime: 2, ExecutorDeserializeCPUTime: 1_000_000,
		ExecutorRunTime: run, ExecutorCPUTime: run * 900_000,
		ResultSize: 1000 * scale, ResultSerializationTime: 1,
		MemoryBytesSpilled: 4096 * scale, DiskBytesSpilled: 1024 * scale,
		PeakExecutionMemory: 65536 * scale,
		InputMetrics:        events.InputMetrics{BytesRead: 2048 * scale, RecordsRead: 100 * scale},
		OutputMetrics:       events.OutputMetrics{BytesWritten: 512 * scale, RecordsWritten: 10 * scale},
		ShuffleReadMetrics: events.ShuffleReadMetrics{
			RemoteBlocksFetched: 1, LocalBlocksFetched: scale, FetchWaitTime: 3,
			RemoteBytesRead: 300 * scale, LocalBytesRead: 700 * scale, TotalRecordsRead: 50 * scale,
		},
		ShuffleWriteMetrics: events.ShuffleWriteMetrics{ShuffleBytesWritten: 1500 * scale, ShuffleWriteTime: 2_000_000, ShuffleRecordsWritten: 75 * scale},
	}
}

// Success ends a task successfully.
func Success(stage, attempt int, info events.TaskInfo, m *events.TaskMetrics, typ string) *events.TaskEnd {
	return &events.TaskEnd{StageID: stage, StageAttemptID: attempt, TaskType: typ,
		TaskEndReason: events.TaskEndReason{Reason: events.ReasonSuccess}, TaskInfo: info, TaskMetrics: m}
}

func failed(stage, attempt int, info events.TaskInfo, m *events.TaskMetrics, r events.TaskEndReason) *events.TaskEnd {
	info.Failed = true
	return &events.TaskEnd{StageID: stage, StageAttemptID: attempt, TaskType: "ResultTask", TaskEndReason: r, TaskInfo: info, TaskMetrics: m}
}

// Events returns the application's events, from SparkListenerLogStart to
// SparkListenerApplicationEnd, in the order a driver posts them.
func Events() []events.Event {
	t := func(ms int64) int64 { return T0 + ms }
	onheap := int64(384 << 20)
	var ev []events.Event
	add := func(e ...events.Event) { ev = append(ev, e...) }

	add(&events.LogStart{SparkVersion: "gospark-test"},
		&events.BlockManagerAdded{BlockManagerID: events.BlockManagerID{ExecutorID: "driver", Host: "driver-host", Port: 7079},
			MaximumMemory: 384 << 20, MaximumOnheapMem: &onheap, Timestamp: t(0)},
		&events.ApplicationStart{AppName: AppName, AppID: AppID, Timestamp: t(0), User: User},
		&events.EnvironmentUpdate{
			JVMInformation: map[string]string{"Java Version": "go1.26.8", "Java Home": "/usr/local/go", "Scala Version": "none"},
			SparkProperties: map[string]string{
				"spark.app.name": AppName, "spark.app.id": AppID, "spark.master": "local-cluster[2,2,1024]",
				"spark.executor.cores": "2", "spark.authenticate.secret": "*********(redacted)",
				"spark.kubernetes.mytoken": Secret,
			},
			HadoopProperties:  map[string]string{},
			SystemProperties:  map[string]string{"user.name": User, "os.name": "linux"},
			MetricsProperties: map[string]string{"*.sink.servlet.path": "/metrics/json"},
			ClasspathEntries:  map[string]string{"/opt/gospark/bin/app": "System Classpath"},
		})
	for _, id := range []string{"1", "2"} {
		add(&events.ExecutorAdded{Timestamp: t(100), ExecutorID: id, ExecutorInfo: events.ExecutorInfo{
			Host: "host" + id, TotalCores: 2,
			LogURLs: map[string]string{"stdout": "/logs/" + id + "/stdout", "stderr": "/logs/" + id + "/stderr"},
		}},
			&events.BlockManagerAdded{BlockManagerID: events.BlockManagerID{ExecutorID: id, Host: "host" + id, Port: 40000},
				MaximumMemory: 256 << 20, MaximumOnheapMem: i64(256 << 20), Timestamp: t(100)})
	}

	// Job 0: a cached map stage and a result stage.
	s0 := Stage(0, 0, 2, "map at wordcount.go:20")
	s0.RDDInfo[0].StorageLevel = memLevel
	s0.RDDInfo[0].Name = "words"
	s1 := Stage(1, 0, 2, "collect at wordcount.go:30", 0)
	add(&events.JobStart{JobID: 0, SubmissionTime: t(1000), StageInfos: []events.StageInfo{s0, s1}, StageIDs: []int{0, 1},
		Properties: map[string]string{"spark.job.description": "count words"}},
		&events.StageSubmitted{StageInfo: submitted(s0, t(1010)), Properties: map[string]string{}},
		&events.TaskStart{StageID: 0, TaskInfo: TaskInfo(0, 0, 0, "1", t(1020), 0)},
		&events.TaskStart{StageID: 0, TaskInfo: TaskInfo(1, 1, 0, "2", t(1020), 0)},
		&events.BlockUpdated{BlockUpdateInfo: events.BlockUpdateInfo{BlockManagerID: events.BlockManagerID{ExecutorID: "1", Host: "host1", Port: 40000},
			BlockID: "rdd_100_0", StorageLevel: memLevel, MemorySize: 10 << 20}},
		&events.BlockUpdated{BlockUpdateInfo: events.BlockUpdateInfo{BlockManagerID: events.BlockManagerID{ExecutorID: "2", Host: "host2", Port: 40000},
			BlockID: "rdd_100_1", StorageLevel: memLevel, MemorySize: 12 << 20}},
		Success(0, 0, TaskInfo(0, 0, 0, "1", t(1020), t(1120)), Metrics(90, 1), "ShuffleMapTask"),
		Success(0, 0, TaskInfo(1, 1, 0, "2", t(1020), t(1220)), Metrics(190, 2), "ShuffleMapTask"),
		&events.StageCompleted{StageInfo: completed(s0, t(1010), t(1230), "")},
		&events.StageSubmitted{StageInfo: submitted(s1, t(1240)), Properties: map[string]string{}},
		&events.TaskStart{StageID: 1, TaskInfo: TaskInfo(2, 0, 0, "1", t(1250), 0)},
		&events.TaskStart{StageID: 1, TaskInfo: TaskInfo(3, 1, 0, "2", t(1250), 0)},
		Success(1, 0, TaskInfo(2, 0, 0, "1", t(1250), t(1300)), Metrics(45, 1), "ResultTask"),
		Success(1, 0, TaskInfo(3, 1, 0, "2", t(1250), t(1330)), Metrics(75, 3), "ResultTask"),
		&events.StageCompleted{StageInfo: completed(s1, t(1240), t(1340), "")},
		&events.JobEnd{JobID: 0, CompletionTime: t(1350), JobResult: events.JobResult{Result: events.JobSucceeded}},
	)

	// Job 1: a fetch failure; the map stage is retried, then the result
	// stage; executor 2 is lost on the way.
	s2 := Stage(2, 0, 2, "reduceByKey at pagerank.go:40")
	s3 := Stage(3, 0, 2, "collect at pagerank.go:50", 2)
	fetch := "FetchFailed(BlockManagerId(2, host2, 40000), shuffleId=0, mapIndex=1, reduceId=0, message=connection refused)"
	add(&events.JobStart{JobID: 1, SubmissionTime: t(2000), StageInfos: []events.StageInfo{s2, s3}, StageIDs: []int{2, 3}},
		&events.StageSubmitted{StageInfo: submitted(s2, t(2010))},
		&events.TaskStart{StageID: 2, TaskInfo: TaskInfo(4, 0, 0, "1", t(2020), 0)},
		&events.TaskStart{StageID: 2, TaskInfo: TaskInfo(5, 1, 0, "2", t(2020), 0)},
		Success(2, 0, TaskInfo(4, 0, 0, "1", t(2020), t(2100)), Metrics(70, 1), "ShuffleMapTask"),
		Success(2, 0, TaskInfo(5, 1, 0, "2", t(2020), t(2110)), Metrics(80, 1), "ShuffleMapTask"),
		&events.StageCompleted{StageInfo: completed(s2, t(2010), t(2120), "")},
		&events.StageSubmitted{StageInfo: submitted(s3, t(2130))},
		&events.TaskStart{StageID: 3, TaskInfo: TaskInfo(6, 0, 0, "1", t(2140), 0)},
		&events.TaskStart{StageID: 3, TaskInfo: TaskInfo(7, 1, 0, "1", t(2140), 0)},
		failed(3, 0, TaskInfo(6, 0, 0, "1", t(2140), t(2200)), nil, events.TaskEndReason{Reason: events.ReasonFetchFailed,
			BlockManagerAddress: &events.BlockManagerID{ExecutorID: "2", Host: "host2", Port: 40000},
			ShuffleID:           i64(0), MapID: i64(5), MapIndex: intp(1), ReduceID: intp(0), Message: "connection refused"}),
		Success(3, 0, TaskInfo(7, 1, 0, "1", t(2140), t(2210)), Metrics(60, 1), "ResultTask"),
		&events.StageCompleted{StageInfo: completed(s3, t(2130), t(2220), fetch)},
		&events.ExecutorRemoved{Timestamp: t(2230), ExecutorID: "2", RemovedReason: "worker lost: exited with code 137"},
	)
	s2r := Stage(2, 1, 2, "reduceByKey at pagerank.go:40")
	s3r := Stage(3, 1, 2, "collect at pagerank.go:50", 2)
	add(&events.StageSubmitted{StageInfo: submitted(s2r, t(2240))},
		&events.TaskStart{StageID: 2, StageAttemptID: 1, TaskInfo: TaskInfo(8, 1, 0, "1", t(2250), 0)},
		Success(2, 1, TaskInfo(8, 1, 0, "1", t(2250), t(2350)), Metrics(95, 1), "ShuffleMapTask"),
		&events.StageCompleted{StageInfo: completed(s2r, t(2240), t(2360), "")},
		&events.StageSubmitted{StageInfo: submitted(s3r, t(2370))},
		&events.TaskStart{StageID: 3, StageAttemptID: 1, TaskInfo: TaskInfo(9, 0, 1, "1", t(2380), 0)},
		Success(3, 1, TaskInfo(9, 0, 1, "1", t(2380), t(2440)), Metrics(55, 1), "ResultTask"),
		&events.StageCompleted{StageInfo: completed(s3r, t(2370), t(2450), "")},
		&events.JobEnd{JobID: 1, CompletionTime: t(2460), JobResult: events.JobResult{Result: events.JobSucceeded}},
	)

	// Job 2: its map stage's output is already there (never submitted, so
	// skipped); its result stage fails twice and the job fails.
	s4 := Stage(4, 0, 2, "reduceByKey at pagerank.go:40")
	s5 := Stage(5, 0, 1, "collect at pagerank.go:60", 4)
	boom := events.TaskEndReason{Reason: events.ReasonException, ClassName: "main.errBoom",
		Description: "boom: <b>bad</b> record 42", StackTrace: []events.StackTraceEntry{}}
	jobFail := "Job aborted due to stage failure: Task 0 in stage 5.0 failed 2 times, most recent failure: boom: <b>bad</b> record 42"
	add(&events.JobStart{JobID: 2, SubmissionTime: t(3000), StageInfos: []events.StageInfo{s4, s5}, StageIDs: []int{4, 5},
		Properties: map[string]string{"spark.jobGroup.id": "nightly"}},
		&events.StageSubmitted{StageInfo: submitted(s5, t(3010))},
		&events.TaskStart{StageID: 5, TaskInfo: TaskInfo(10, 0, 0, "1", t(3020), 0)},
		failed(5, 0, TaskInfo(10, 0, 0, "1", t(3020), t(3040)), Metrics(15, 1), boom),
		&events.TaskStart{StageID: 5, TaskInfo: TaskInfo(11, 0, 1, "1", t(3050), 0)},
		failed(5, 0, TaskInfo(11, 0, 1, "1", t(3050), t(3070)), Metrics(16, 1), boom),
		&events.StageCompleted{StageInfo: completed(s5, t(3010), t(3080), jobFail)},
		&events.JobEnd{JobID: 2, CompletionTime: t(3090), JobResult: events.JobResult{Result: events.JobFailed,
			Exception: &events.Exception{Message: jobFail, StackTrace: []events.StackTraceEntry{}}}},
	)

	// Job 3: one task on the driver's executor id reported without its
	// start (a dropped event), still counted.
	s6 := Stage(6, 0, 1, "count at sparkpi.go:12")
	add(&events.JobStart{JobID: 3, SubmissionTime: t(4000), StageInfos: []events.StageInfo{s6}, StageIDs: []int{6}},
		&events.StageSubmitted{StageInfo: submitted(s6, t(4010))},
		Success(6, 0, TaskInfo(12, 0, 0, "1", t(4020), t(4120)), Metrics(98, 4), "ResultTask"),
		&events.StageCompleted{StageInfo: completed(s6, t(4010), t(4130), "")},
		&events.JobEnd{JobID: 3, CompletionTime: t(4140), JobResult: events.JobResult{Result: events.JobSucceeded}},
		&events.ApplicationEnd{Timestamp: End},
	)
	return ev
}

// Running returns the events up to job 3's end, without the
// ApplicationEnd: the application as a live driver would show it.
func Running() []events.Event {
	ev := Events()
	return ev[:len(ev)-1]
}
