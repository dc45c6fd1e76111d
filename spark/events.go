package spark

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/user"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/gospark/gospark/internal/cluster"
	"github.com/gospark/gospark/internal/eventlog"
	"github.com/gospark/gospark/internal/events"
	"github.com/gospark/gospark/internal/executor"
	"github.com/gospark/gospark/internal/master"
	"github.com/gospark/gospark/internal/metrics"
	"github.com/gospark/gospark/internal/redact"
	"github.com/gospark/gospark/internal/scheduler"
	"github.com/gospark/gospark/internal/shuffle"
	"github.com/gospark/gospark/internal/status"
	"github.com/gospark/gospark/internal/storage"
	"github.com/gospark/gospark/internal/task"
)

// appEvents turns what the driver sees (the scheduler's calls, executors
// coming and going, cached blocks) into Spark's listener events and posts
// them on the application's bus, which feeds the status store behind the
// UI, the event log and the metrics (Spark's LiveListenerBus and its
// queues).
type appEvents struct {
	s     *Session
	bus   *events.Bus
	store *status.Store
	elog  *eventlog.Writer // nil without spark.eventLog.enabled
	mets  *metrics.Driver
	red   *redact.Redactor
	host  string

	mu        sync.Mutex
	submitted map[[2]int]int64 // (stage, attempt) -> submission time
	ended     bool
}

func now() int64 { return time.Now().UnixMilli() }

// newAppEvents starts the bus with the status store and, when enabled, the
// event log; it posts the application's start and environment.
func newAppEvents(ctx context.Context, s *Session) (*appEvents, error) {
	red, err := redact.FromConf(s.conf)
	if err != nil {
		return nil, fmt.Errorf("spark: %w", err)
	}
	a := &appEvents{s: s, red: red, submitted: make(map[[2]int]int64)}
	a.host, _ = os.Hostname()
	if a.host == "" {
		a.host = "localhost"
	}
	a.bus = events.NewBus(s.conf.Int("spark.scheduler.listenerbus.eventqueue.capacity"), s.log)
	a.store = status.New(status.Options{
		RetainedJobs:          s.conf.Int("spark.ui.retainedJobs"),
		RetainedStages:        s.conf.Int("spark.ui.retainedStages"),
		RetainedTasks:         s.conf.Int("spark.ui.retainedTasks"),
		RetainedDeadExecutors: s.conf.Int("spark.ui.retainedDeadExecutors"),
	})
	a.bus.AddListener("appStatus", a.store)
	ns := s.conf.String("spark.metrics.namespace")
	if ns == "" {
		ns = s.appID
	}
	queues := []string{"appStatus", "shared"}
	if s.conf.Bool("spark.eventLog.enabled") {
		queues = append(queues, "eventLog")
	}
	a.mets = metrics.NewDriver(metrics.DriverConfig{
		Namespace: ns,
		Storage:   a.storage,
		Queues:    queues,
		Dropped:   a.bus.Dropped,
		// local[N]: the driver is the executor, as Spark exports it.
		LocalExecutor: s.master.Kind == master.Local,
		Cores:         s.master.Threads,
	})
	a.bus.AddListener("shared", a.mets)
	if s.conf.Bool("spark.eventLog.enabled") {
		w, err := eventlog.New(ctx, s.conf, s.appID, s.log)
		if err != nil {
			_ = a.bus.Stop(context.WithoutCancel(ctx)) // its queues' goroutines end; nothing was posted
			return nil, fmt.Errorf("spark: %w", err)
		}
		a.elog = w
		a.bus.AddListener("eventLog", w)
	}
	user := "unknown"
	if u, err := currentUser(); err == nil {
		user = u
	}
	a.bus.Post(&events.ApplicationStart{AppName: s.appName, AppID: s.appID, Timestamp: s.started.UnixMilli(), User: user})
	a.bus.Post(a.environment())
	return a, nil
}

func currentUser() (string, error) {
	if u := os.Getenv("SPARK_USER"); u != "" {
		return u, nil
	}
	u, err := user.Current()
	if err != nil {
		return "", err
	}
	return u.Username, nil
}

// environment describes the properties (redacted) and the runtime.
func (a *appEvents) environment() *events.EnvironmentUpdate {
	props := a.red.Props(a.s.conf.All())
	props["spark.app.id"] = a.s.appID
	props["spark.app.name"] = a.s.appName
	props["spark.master"] = a.s.master.Raw
	props["spark.app.startTime"] = strconv.FormatInt(a.s.started.UnixMilli(), 10)
	exe, _ := os.Executable()
	return &events.EnvironmentUpdate{
		JVMInformation: map[string]string{
			"Java Version":  runtime.Version() + " (Go)",
			"Java Home":     runtime.GOROOT(),
			"Scala Version": "none (Go " + runtime.Version() + ")",
		},
		SparkProperties:  props,
		HadoopProperties: map[string]string{},
		SystemProperties: a.red.Props(map[string]string{
			"os.name": runtime.GOOS, "os.arch": runtime.GOARCH, "user.dir": cwd(),
			"sun.java.command": a.red.String(exe), "runtime.gomaxprocs": strconv.Itoa(runtime.GOMAXPROCS(0)),
		}),
		MetricsProperties: map[string]string{},
		ClasspathEntries:  map[string]string{},
	}
}

func cwd() string {
	d, _ := os.Getwd()
	return d
}

// driverAdded announces the driver's block store (executor "driver"),
// as Spark does in every mode; under local[N] the driver also runs the
// tasks, and is announced as an executor with its task slots.
func (a *appEvents) driverAdded(maxMemory int64) {
	t := a.s.started.UnixMilli()
	if a.s.master.Kind == master.Local {
		a.bus.Post(&events.ExecutorAdded{Timestamp: t, ExecutorID: executor.DriverID, ExecutorInfo: events.ExecutorInfo{
			Host: a.host, TotalCores: a.s.master.Threads, LogURLs: map[string]string{}, Attributes: map[string]string{}, Resources: map[string]any{}}})
	}
	a.bus.Post(&events.BlockManagerAdded{BlockManagerID: events.BlockManagerID{ExecutorID: executor.DriverID, Host: a.host},
		MaximumMemory: maxMemory, Timestamp: t})
}

// storage is the block stores' memory and disk use, from the status store.
func (a *appEvents) storage() metrics.Storage {
	var st metrics.Storage
	for _, e := range a.store.Executors(true) {
		st.MaxMemory += e.MaxMemory
		st.MemoryUsed += e.MemoryUsed
		st.DiskUsed += e.DiskUsed
	}
	return st
}

// executorValues adapts the status store's executor summaries for the
// Prometheus endpoint.
func (a *appEvents) executorValues() []metrics.ExecutorValues {
	list := a.store.Executors(true)
	out := make([]metrics.ExecutorValues, 0, len(list))
	for _, e := range list {
		v := metrics.ExecutorValues{ID: e.ID, RDDBlocks: e.RDDBlocks, MemoryUsed: e.MemoryUsed, DiskUsed: e.DiskUsed, MaxMemory: e.MaxMemory,
			TotalCores: e.TotalCores, MaxTasks: e.MaxTasks, ActiveTasks: e.ActiveTasks, FailedTasks: e.FailedTasks,
			CompletedTasks: e.CompletedTasks, TotalTasks: e.TotalTasks,
			TotalDuration: time.Duration(e.TotalDuration) * time.Millisecond, TotalGCTime: time.Duration(e.TotalGCTime) * time.Millisecond,
			TotalInputBytes: e.TotalInputBytes, TotalShuffleRead: e.TotalShuffleRead, TotalShuffleWrite: e.TotalShuffleWrite}
		if m := e.MemoryMetrics; m != nil {
			v.Memory = &metrics.StorageMemory{UsedOnHeap: m.UsedOnHeapStorageMemory, UsedOffHeap: m.UsedOffHeapStorageMemory,
				TotalOnHeap: m.TotalOnHeapStorageMemory, TotalOffHeap: m.TotalOffHeapStorageMemory}
		}
		out = append(out, v)
	}
	return out
}

// handlers are the metric endpoints the UI serves.
func (a *appEvents) handlers() map[string]http.Handler {
	h := map[string]http.Handler{"/metrics/prometheus": a.mets.Handler()}
	if a.s.conf.Bool("spark.ui.prometheus.enabled") {
		h["/metrics/executors/prometheus"] = metrics.ExecutorsHandler(
			metrics.App{ID: a.s.appID, Name: a.s.appName, Version: events.Version()}, a.executorValues)
	}
	return h
}

// executorAdded announces a registered executor.
func (a *appEvents) executorAdded(e cluster.ExecutorSummary) {
	host, port := splitAddr(e.BlockAddr)
	if host == "" {
		host = e.Host
	}
	t := now()
	a.bus.Post(&events.ExecutorAdded{Timestamp: t, ExecutorID: e.ID, ExecutorInfo: events.ExecutorInfo{
		Host: host, TotalCores: e.Cores, LogURLs: map[string]string{}, Attributes: map[string]string{}, Resources: map[string]any{}}})
	a.bus.Post(&events.BlockManagerAdded{BlockManagerID: events.BlockManagerID{ExecutorID: e.ID, Host: host, Port: port},
		MaximumMemory: e.MaxMemory, Timestamp: t})
}

func splitAddr(addr string) (string, int) {
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0
	}
	n, _ := strconv.Atoi(p)
	return h, n
}

// executorRemoved announces an executor that is gone.
func (a *appEvents) executorRemoved(id, reason string) {
	t := now()
	a.bus.Post(&events.ExecutorRemoved{Timestamp: t, ExecutorID: id, RemovedReason: a.red.String(reason)})
	a.bus.Post(&events.BlockManagerRemoved{BlockManagerID: events.BlockManagerID{ExecutorID: id}, Timestamp: t})
}

// blocksStored announces cached partitions an executor stored.
func (a *appEvents) blocksStored(exec string, stored []storage.Stored) {
	for _, b := range stored {
		info := events.BlockUpdateInfo{BlockManagerID: events.BlockManagerID{ExecutorID: exec}, BlockID: b.ID.String()}
		if b.Disk {
			info.StorageLevel = events.StorageLevel{UseDisk: true, Replication: 1}
			info.DiskSize = b.Size
		} else {
			info.StorageLevel = events.StorageLevel{UseMemory: true, Deserialized: true, Replication: 1}
			info.MemorySize = b.Size
		}
		a.bus.Post(&events.BlockUpdated{BlockUpdateInfo: info})
	}
}

func (a *appEvents) unpersisted(id int64) {
	a.bus.Post(&events.UnpersistRDD{RDDID: id})
}

// end posts the application's end, lets every listener catch up and
// closes the event log (renaming it complete). It returns when done or
// when ctx ends (the log then stays in progress).
func (a *appEvents) end(ctx context.Context) {
	a.mu.Lock()
	if a.ended {
		a.mu.Unlock()
		return
	}
	a.ended = true
	a.mu.Unlock()
	a.bus.Post(&events.ApplicationEnd{Timestamp: now()})
	if err := a.bus.Stop(ctx); err != nil {
		a.s.log.Warn("listeners did not catch up before the session stopped", "error", err)
		if a.elog != nil {
			a.elog.Abort()
		}
		return
	}
	if a.elog != nil {
		if err := a.elog.Close(); err != nil {
			a.s.log.Error("closing the event log", "error", err)
		}
	}
}

// discard stops the bus and removes the event log, for a session that
// failed to start.
func (a *appEvents) discard() { a.stopEarly(true) }

// abort stops the bus without claiming the application ended: the event
// log stays in progress.
func (a *appEvents) abort() { a.stopEarly(false) }

// stopEarly stops the bus, unless end or stopEarly already did, and
// leaves the event log in progress or, with remove, removes it.
func (a *appEvents) stopEarly(remove bool) {
	a.mu.Lock()
	done := a.ended
	a.ended = true
	a.mu.Unlock()
	if done {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = a.bus.Stop(ctx)
	switch {
	case a.elog == nil:
	case remove:
		a.elog.Discard()
	default:
		a.elog.Abort()
	}
}

// The scheduler's listener.

func (a *appEvents) JobStart(jobID int, stages []scheduler.StageInfo) {
	infos := make([]events.StageInfo, len(stages))
	ids := make([]int, len(stages))
	for i, st := range stages {
		infos[i] = a.stageInfo(st, nil)
		ids[i] = st.ID
	}
	a.bus.Post(&events.JobStart{JobID: jobID, SubmissionTime: now(), StageInfos: infos, StageIDs: ids, Properties: map[string]string{}})
}

func (a *appEvents) JobEnd(jobID int, err error) {
	res := events.JobResult{Result: events.JobSucceeded}
	if err != nil {
		res = events.JobResult{Result: events.JobFailed, Exception: &events.Exception{Message: a.red.String(err.Error()), StackTrace: []events.StackTraceEntry{}}}
	}
	a.bus.Post(&events.JobEnd{JobID: jobID, CompletionTime: now(), JobResult: res})
}

func (a *appEvents) StageSubmitted(st scheduler.StageInfo) {
	t := now()
	a.mu.Lock()
	a.submitted[[2]int{st.ID, st.Attempt}] = t
	a.mu.Unlock()
	info := a.stageInfo(st, nil)
	info.SubmissionTime = &t
	a.bus.Post(&events.StageSubmitted{StageInfo: info, Properties: map[string]string{}})
}

func (a *appEvents) StageCompleted(st scheduler.StageInfo, err error) {
	t := now()
	a.mu.Lock()
	sub, ok := a.submitted[[2]int{st.ID, st.Attempt}]
	delete(a.submitted, [2]int{st.ID, st.Attempt})
	a.mu.Unlock()
	info := a.stageInfo(st, err)
	if ok {
		info.SubmissionTime = &sub
	}
	info.CompletionTime = &t
	a.bus.Post(&events.StageCompleted{StageInfo: info})
}

func (a *appEvents) stageInfo(st scheduler.StageInfo, err error) events.StageInfo {
	info := events.StageInfo{StageID: st.ID, StageAttemptID: st.Attempt, StageName: st.Name, NumberOfTasks: st.NumTasks,
		ParentIDs: append([]int{}, st.ParentIDs...), RDDInfo: []events.RDDInfo{}, Accumulables: []events.Accumulable{}}
	for _, d := range st.Datasets {
		info.RDDInfo = append(info.RDDInfo, events.RDDInfo{RDDID: d.ID, Name: d.Name, Callsite: d.Name,
			ParentIDs: append([]int64{}, d.ParentIDs...), StorageLevel: storageLevel(d.Level),
			DeterministicLevel: "DETERMINATE", NumberOfPartitions: d.Partitions})
	}
	if err != nil {
		reason := a.red.String(err.Error())
		info.FailureReason = &reason
	}
	return info
}

func storageLevel(l storage.Level) events.StorageLevel {
	switch l {
	case storage.MemoryOnly:
		return events.StorageLevel{UseMemory: true, Deserialized: true, Replication: 1}
	case storage.MemoryAndDisk:
		return events.StorageLevel{UseMemory: true, UseDisk: true, Deserialized: true, Replication: 1}
	case storage.DiskOnly:
		return events.StorageLevel{UseDisk: true, Replication: 1}
	}
	return events.StorageLevel{Replication: 1}
}

func (a *appEvents) taskInfo(t *scheduler.Task, exec string, launched time.Time) events.TaskInfo {
	return events.TaskInfo{TaskID: t.ID, Index: t.Partition, Attempt: t.Attempt, PartitionID: t.Partition,
		LaunchTime: launched.UnixMilli(), ExecutorID: exec, Host: a.execHost(exec), Locality: "PROCESS_LOCAL",
		Accumulables: []events.Accumulable{}}
}

func (a *appEvents) execHost(exec string) string {
	if d := a.s.driver; d != nil {
		if e, ok := d.Executor(exec); ok {
			if h, _ := splitAddr(e.BlockAddr); h != "" {
				return h
			}
			return e.Host
		}
	}
	return a.host
}

func (a *appEvents) TaskStart(t *scheduler.Task, exec string) {
	a.bus.Post(&events.TaskStart{StageID: t.StageID, StageAttemptID: t.StageAttempt, TaskInfo: a.taskInfo(t, exec, time.Now())})
}

func (a *appEvents) TaskEnd(r scheduler.Result) {
	t := r.Task
	info := a.taskInfo(t, r.ExecutorID, r.Launched)
	info.FinishTime = now()
	reason := a.endReason(r)
	switch reason.Reason {
	case events.ReasonSuccess:
	case events.ReasonKilled:
		info.Killed = true
	default:
		info.Failed = true
	}
	a.bus.Post(&events.TaskEnd{StageID: t.StageID, StageAttemptID: t.StageAttempt, TaskType: t.Kind.String(),
		TaskEndReason: reason, TaskInfo: info, TaskMetrics: taskMetrics(r.Metrics)})
	if a.s.local != nil && a.s.env != nil && a.s.env.Blocks != nil {
		// local[N]: the driver's own block store holds the cache.
		if stored := a.s.env.Blocks.TakeAdded(); len(stored) > 0 {
			a.blocksStored(executor.DriverID, stored)
		}
	}
}

func (a *appEvents) endReason(r scheduler.Result) events.TaskEndReason {
	err := r.Err
	if err == nil {
		return events.TaskEndReason{Reason: events.ReasonSuccess}
	}
	var ff *shuffle.FetchFailedError
	var lost *cluster.ExecutorLostError
	var pe *scheduler.PanicError
	var re *cluster.RemoteError
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, ErrStopped), errors.Is(err, context.DeadlineExceeded):
		return events.TaskEndReason{Reason: events.ReasonKilled, KillReason: a.red.String(err.Error())}
	case errors.As(err, &ff):
		mapIdx, reduce, shuf := ff.MapIndex, ff.Reduce, ff.ShuffleID
		mapID := int64(ff.MapIndex)
		host, port := splitAddr(ff.Addr)
		return events.TaskEndReason{Reason: events.ReasonFetchFailed,
			BlockManagerAddress: &events.BlockManagerID{ExecutorID: ff.ExecutorID, Host: host, Port: port},
			ShuffleID:           &shuf, MapID: &mapID, MapIndex: &mapIdx, ReduceID: &reduce, Message: a.red.String(ff.Err.Error())}
	case errors.As(err, &lost):
		byApp := !lost.Decommissioned
		return events.TaskEndReason{Reason: events.ReasonExecutorLost, ExecutorID: lost.ExecutorID, ExitCausedByApp: &byApp,
			LossReason: a.red.String(lost.Reason)}
	case errors.As(err, &pe):
		return events.TaskEndReason{Reason: events.ReasonException, ClassName: "panic", Description: a.red.String(fmt.Sprint("panic: ", pe.Value)),
			StackTrace: []events.StackTraceEntry{}, FullStackTrace: a.red.String(string(pe.Stack))}
	case errors.As(err, &re):
		return events.TaskEndReason{Reason: events.ReasonException, ClassName: "error", Description: a.red.String(re.Msg),
			StackTrace: []events.StackTraceEntry{}, FullStackTrace: a.red.String(re.Msg)}
	}
	return events.TaskEndReason{Reason: events.ReasonException, ClassName: fmt.Sprintf("%T", unwrapAll(err)),
		Description: a.red.String(err.Error()), StackTrace: []events.StackTraceEntry{}, FullStackTrace: a.red.String(err.Error())}
}

func unwrapAll(err error) error {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err
		}
		err = u
	}
}

func taskMetrics(m task.MetricsSnapshot) *events.TaskMetrics {
	return &events.TaskMetrics{
		ExecutorRunTime:     m.RunTime.Milliseconds(),
		ExecutorCPUTime:     m.CPUTime.Nanoseconds(),
		PeakExecutionMemory: m.PeakExecutionMemory,
		ResultSize:          m.ResultSize,
		MemoryBytesSpilled:  m.MemoryBytesSpilled,
		DiskBytesSpilled:    m.DiskBytesSpilled,
		ShuffleReadMetrics: events.ShuffleReadMetrics{
			RemoteBlocksFetched: m.RemoteBlocksFetched, LocalBlocksFetched: m.LocalBlocksFetched,
			FetchWaitTime: m.FetchWait.Milliseconds(), RemoteBytesRead: m.RemoteBytesRead, LocalBytesRead: m.LocalBytesRead,
			TotalRecordsRead: m.ShuffleRecordsRead,
		},
		ShuffleWriteMetrics: events.ShuffleWriteMetrics{ShuffleBytesWritten: m.ShuffleBytesWritten,
			ShuffleWriteTime: m.ShuffleWriteTime.Nanoseconds(), ShuffleRecordsWritten: m.ShuffleRecordsWritten},
		InputMetrics:  events.InputMetrics{BytesRead: m.InputBytes, RecordsRead: m.InputRecords},
		OutputMetrics: events.OutputMetrics{BytesWritten: m.OutputBytes, RecordsWritten: m.OutputRecords},
		UpdatedBlocks: []events.UpdatedBlock{},
	}
}
