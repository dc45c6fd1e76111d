package status

import (
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gospark/gospark/internal/events"
)

// Spark's defaults of spark.ui.retainedJobs, retainedStages, retainedTasks
// and retainedDeadExecutors.
const (
	DefaultRetainedJobs          = 1000
	DefaultRetainedStages        = 1000
	DefaultRetainedTasks         = 100000
	DefaultRetainedDeadExecutors = 100
)

// DriverID is the executor id of the driver, as in Spark.
const DriverID = "driver"

// Options are a Store's limits. A zero limit means Spark's default.
type Options struct {
	// RetainedJobs, RetainedStages: finished jobs and stages kept
	// (spark.ui.retainedJobs, spark.ui.retainedStages); when there are
	// more, the oldest finished ones are forgotten, at least a tenth of the
	// limit at a time, as Spark does.
	RetainedJobs, RetainedStages int
	// RetainedTasks: tasks kept per stage attempt (spark.ui.retainedTasks,
	// which Spark applies per stage); the oldest finished tasks go first,
	// the stage's totals stay.
	RetainedTasks int
	// RetainedDeadExecutors: removed executors kept
	// (spark.ui.retainedDeadExecutors).
	RetainedDeadExecutors int
	// Version is the appSparkVersion reported until a SparkListenerLogStart
	// says which version wrote the events; empty means BuildVersion(), as
	// Spark's listener starts from its own version.
	Version string
	// Now is the clock that running tasks' durations are measured with; nil
	// means time.Now. A history server replaying an incomplete log may pass
	// the log's last modification time.
	Now func() time.Time
}

// Store is Spark's AppStatusStore and AppStatusListener in one: the state of
// one application, built only from its events. Feed it with OnEvent (from
// one goroutine, e.g. as an events.Listener); read it from any number.
type Store struct {
	o Options

	mu           sync.RWMutex
	sparkVersion string
	app          appState
	env          *events.EnvironmentUpdate
	cpusPerTask  int // always 1: gospark runs one task per slot (spark.task.cpus is not implemented)
	jobs         map[int]*job
	stages       map[stageKey]*stage
	liveTasks    map[int64]*task // tasks started and not ended, whether or not their stage still keeps them
	executors    map[string]*executor
	rdds         map[int64]*rdd
}

type appState struct {
	id, name, user, attemptID string
	start, end                int64
	started, completed        bool
	driverLogs                map[string]string
}

type stageKey struct{ id, attempt int }

type job struct {
	id                             int
	name, description, group       string
	tags                           []string
	submission, completion         int64
	stageIDs                       []int
	status                         string
	numTasks                       int
	activeTasks, completedTasks    int
	failedTasks, killedTasks       int
	skippedTasks                   int
	completedIndices               map[int64]struct{}
	killedSummary                  map[string]int
	skippedStages, completedStages map[int]struct{}
	activeStages, failedStages     int
	doneBefore                     map[int]int // stages finished before the job started: id -> tasks
	submitted                      map[int]bool
}

func (j *job) hasStage(id int) bool {
	for _, s := range j.stageIDs {
		if s == id {
			return true
		}
	}
	return false
}

type stage struct {
	info                        events.StageInfo
	status                      string
	jobIDs                      []int
	description, pool           string
	activeTasks, completedTasks int
	failedTasks, killedTasks    int
	completedIndices            map[int]struct{}
	killedSummary               map[string]int
	firstLaunch                 int64
	metrics                     events.TaskMetrics
	execSummaries               map[string]*ExecutorStageSummary
	activePerExec               map[string]int
	tasks                       map[int64]*task
}

type task struct {
	info         events.TaskInfo
	stageID      int
	attempt      int
	status       string
	errorMessage string
	metrics      *events.TaskMetrics
	ended        bool
	inStage      bool // counted as running in its stage and jobs
}

type executor struct {
	id, hostPort, host                  string
	active                              bool
	totalCores, maxTasks                int
	addTime, removeTime                 int64
	removeReason                        string
	rddBlocks                           int
	memoryUsed, diskUsed, maxMemory     int64
	totalTasks, activeTasks             int
	completedTasks, failedTasks         int
	totalDuration, totalGC, totalInput  int64
	totalShuffleRead, totalShuffleWrite int64
	logs, attributes                    map[string]string
	resources                           map[string]any
	rpID                                int
	totalOnHeap, totalOffHeap           int64 // totalOnHeap < 0: no memory information
	usedOnHeap, usedOffHeap             int64
}

func (e *executor) hasMemoryInfo() bool { return e.totalOnHeap >= 0 }

type rdd struct {
	info                 events.RDDInfo
	memoryUsed, diskUsed int64
	partitions           map[string]*rddPartition
	partOrder            []string
	dists                map[string]*rddDist
	distOrder            []string
}

type rddPartition struct {
	name      string
	executors []string
	mem, disk int64
}

type rddDist struct {
	exec            string
	mem, disk       int64
	onHeap, offHeap int64
}

// BuildVersion is gospark's version from the build information ("(devel)"
// when it has none).
func BuildVersion() string { return events.Version() }

// New returns an empty store.
func New(o Options) *Store {
	if o.RetainedJobs <= 0 {
		o.RetainedJobs = DefaultRetainedJobs
	}
	if o.RetainedStages <= 0 {
		o.RetainedStages = DefaultRetainedStages
	}
	if o.RetainedTasks <= 0 {
		o.RetainedTasks = DefaultRetainedTasks
	}
	if o.RetainedDeadExecutors <= 0 {
		o.RetainedDeadExecutors = DefaultRetainedDeadExecutors
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Version == "" {
		o.Version = BuildVersion()
	}
	return &Store{
		o:            o,
		sparkVersion: o.Version,
		cpusPerTask:  1,
		jobs:         map[int]*job{},
		stages:       map[stageKey]*stage{},
		liveTasks:    map[int64]*task{},
		executors:    map[string]*executor{},
		rdds:         map[int64]*rdd{},
	}
}

// OnEvent applies one event. It makes Store an events.Listener. Events of
// kinds the store does not use are ignored.
func (s *Store) OnEvent(e events.Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch e := e.(type) {
	case *events.LogStart:
		s.sparkVersion = e.SparkVersion
	case *events.ApplicationStart:
		s.onApplicationStart(e)
	case *events.ApplicationEnd:
		s.app.end = e.Timestamp
		s.app.completed = true
	case *events.EnvironmentUpdate:
		s.env = e
	case *events.JobStart:
		s.onJobStart(e)
	case *events.JobEnd:
		s.onJobEnd(e)
	case *events.StageSubmitted:
		s.onStageSubmitted(e)
	case *events.StageCompleted:
		s.onStageCompleted(e)
	case *events.TaskStart:
		s.onTaskStart(e)
	case *events.TaskEnd:
		s.onTaskEnd(e)
	case *events.ExecutorAdded:
		s.onExecutorAdded(e)
	case *events.ExecutorRemoved:
		s.onExecutorRemoved(e)
	case *events.BlockManagerAdded:
		s.onBlockManagerAdded(e)
	case *events.BlockUpdated:
		s.onBlockUpdated(e)
	case *events.UnpersistRDD:
		s.onUnpersistRDD(e)
	}
}

func (s *Store) onApplicationStart(e *events.ApplicationStart) {
	s.app.id = e.AppID
	s.app.name = e.AppName
	s.app.user = e.User
	s.app.attemptID = e.AppAttemptID
	s.app.start = e.Timestamp
	s.app.started = true
	if len(e.DriverLogs) > 0 {
		s.app.driverLogs = cloneMap(e.DriverLogs)
		if d := s.executors[DriverID]; d != nil && d.active {
			d.logs = cloneMap(e.DriverLogs)
		}
	}
}

func (s *Store) onJobStart(e *events.JobStart) {
	j := &job{
		id:               e.JobID,
		submission:       e.SubmissionTime,
		stageIDs:         append([]int(nil), e.StageIDs...),
		status:           JobRunning,
		completedIndices: map[int64]struct{}{},
		killedSummary:    map[string]int{},
		skippedStages:    map[int]struct{}{},
		completedStages:  map[int]struct{}{},
		doneBefore:       map[int]int{},
		submitted:        map[int]bool{},
	}
	last := -1
	for _, si := range e.StageInfos {
		if si.CompletionTime == nil {
			j.numTasks += si.NumberOfTasks
		}
		if si.StageID >= last {
			last = si.StageID
			j.name = si.StageName
		}
		if !j.hasStage(si.StageID) {
			j.stageIDs = append(j.stageIDs, si.StageID)
		}
	}
	if p := e.Properties; p != nil {
		j.description = p["spark.job.description"]
		j.group = p["spark.jobGroup.id"]
		for _, t := range strings.Split(p["spark.job.tags"], ",") {
			if t = strings.TrimSpace(t); t != "" {
				j.tags = append(j.tags, t)
			}
		}
	}
	s.jobs[j.id] = j
	for _, si := range e.StageInfos {
		k := stageKey{si.StageID, si.StageAttemptID}
		st := s.stages[k]
		switch {
		case st == nil:
			st = newStage(si)
			s.stages[k] = st
		case st.status == StagePending:
			st.info = si
		case st.status != StageActive:
			// Finished before this job started (its output is reused):
			// the job skips it, the stage keeps what it was.
			j.doneBefore[si.StageID] = si.NumberOfTasks
		}
		st.addJob(j.id)
	}
	s.retainJobs()
}

func newStage(si events.StageInfo) *stage {
	return &stage{
		info:             si,
		status:           StagePending,
		pool:             "default",
		completedIndices: map[int]struct{}{},
		killedSummary:    map[string]int{},
		firstLaunch:      math.MaxInt64,
		execSummaries:    map[string]*ExecutorStageSummary{},
		activePerExec:    map[string]int{},
		tasks:            map[int64]*task{},
	}
}

func (st *stage) addJob(id int) {
	for _, j := range st.jobIDs {
		if j == id {
			return
		}
	}
	st.jobIDs = append(st.jobIDs, id)
}

func (s *Store) onJobEnd(e *events.JobEnd) {
	j := s.jobs[e.JobID]
	if j == nil || j.status != JobRunning {
		return
	}
	for _, st := range s.stages {
		if st.status == StagePending && j.hasStage(st.info.StageID) {
			st.status = StageSkipped
			j.skippedStages[st.info.StageID] = struct{}{}
			j.skippedTasks += st.info.NumberOfTasks
		}
	}
	for id, n := range j.doneBefore {
		if _, ok := j.skippedStages[id]; !ok && !j.submitted[id] {
			j.skippedStages[id] = struct{}{}
			j.skippedTasks += n
		}
	}
	if e.JobResult.Result == events.JobSucceeded {
		j.status = JobSucceeded
	} else {
		j.status = JobFailed
	}
	if e.CompletionTime > 0 {
		j.completion = e.CompletionTime
	}
	s.retainJobs()
	s.retainStages()
}

// runningJobsWith returns the ids of the running jobs that list the stage.
func (s *Store) runningJobsWith(stageID int) []int {
	var ids []int
	for _, j := range s.jobs {
		if j.status == JobRunning && j.hasStage(stageID) {
			ids = append(ids, j.id)
		}
	}
	sortInts(ids)
	return ids
}

func (s *Store) onStageSubmitted(e *events.StageSubmitted) {
	si := e.StageInfo
	k := stageKey{si.StageID, si.StageAttemptID}
	st := s.stages[k]
	if st == nil {
		st = newStage(si)
		s.stages[k] = st
	}
	st.info = si
	st.status = StageActive
	st.pool = "default"
	st.description = ""
	if p := e.Properties; p != nil {
		if v := p["spark.scheduler.pool"]; v != "" {
			st.pool = v
		}
		st.description = p["spark.job.description"]
	}
	st.jobIDs = s.runningJobsWith(si.StageID)
	for _, id := range st.jobIDs {
		j := s.jobs[id]
		delete(j.completedStages, si.StageID)
		j.activeStages++
		j.submitted[si.StageID] = true
	}
	for _, ri := range si.RDDInfo {
		if validLevel(ri.StorageLevel) {
			if _, ok := s.rdds[ri.RDDID]; !ok {
				s.rdds[ri.RDDID] = &rdd{info: ri, partitions: map[string]*rddPartition{}, dists: map[string]*rddDist{}}
			}
		}
	}
}

func (s *Store) onStageCompleted(e *events.StageCompleted) {
	si := e.StageInfo
	k := stageKey{si.StageID, si.StageAttemptID}
	st := s.stages[k]
	if st == nil {
		// Its submission was not seen (a dropped event): take it as it ends.
		st = newStage(si)
		st.status = StageActive
		st.jobIDs = s.runningJobsWith(si.StageID)
		for _, id := range st.jobIDs {
			s.jobs[id].activeStages++
		}
		s.stages[k] = st
	}
	wasActive := st.status == StageActive
	st.info = si
	switch {
	case si.FailureReason != nil:
		st.status = StageFailed
	case si.SubmissionTime != nil:
		st.status = StageComplete
	default:
		st.status = StageSkipped
	}
	for _, id := range st.jobIDs {
		j := s.jobs[id]
		if j == nil {
			continue
		}
		switch st.status {
		case StageComplete:
			j.completedStages[si.StageID] = struct{}{}
		case StageSkipped:
			j.skippedStages[si.StageID] = struct{}{}
			j.skippedTasks += si.NumberOfTasks
		default:
			j.failedStages++
		}
		if wasActive && j.activeStages > 0 {
			j.activeStages--
		}
	}
	s.retainStages()
}

// onTaskStart records a running task. As in Spark, a task of a stage
// attempt the store does not know (its submission dropped, or the stage
// forgotten) counts for its executor only.
func (s *Store) onTaskStart(e *events.TaskStart) {
	t := &task{info: e.TaskInfo, stageID: e.StageID, attempt: e.StageAttemptID, status: TaskRunning}
	s.liveTasks[t.info.TaskID] = t
	if ex := s.executors[t.info.ExecutorID]; ex != nil && ex.active {
		ex.activeTasks++
		ex.totalTasks++
	}
	st := s.stages[stageKey{e.StageID, e.StageAttemptID}]
	if st == nil {
		return
	}
	st.tasks[t.info.TaskID] = t
	t.inStage = true
	st.activeTasks++
	if t.info.LaunchTime < st.firstLaunch {
		st.firstLaunch = t.info.LaunchTime
	}
	st.activePerExec[t.info.ExecutorID]++
	for _, id := range st.jobIDs {
		if j := s.jobs[id]; j != nil {
			j.activeTasks++
		}
	}
	s.retainTasks(st)
}

func taskStatus(r events.TaskEndReason) string {
	switch r.Reason {
	case events.ReasonSuccess:
		return TaskSuccess
	case events.ReasonKilled:
		return TaskKilled
	}
	return TaskFailedStatus
}

// errorMessage is what Spark's listener keeps as a task's errorMessage.
func errorMessage(r events.TaskEndReason) string {
	switch r.Reason {
	case events.ReasonSuccess:
		return ""
	case events.ReasonKilled:
		return r.KillReason
	case events.ReasonException:
		if r.FullStackTrace != "" {
			return r.FullStackTrace
		}
		if r.ClassName != "" {
			return r.ClassName + ": " + r.Description
		}
		return r.Description
	}
	return r.Text()
}

// onTaskEnd records a task's end in its stage attempt, the stage's jobs and
// its executor. A task whose start was not seen still counts.
func (s *Store) onTaskEnd(e *events.TaskEnd) {
	st := s.stages[stageKey{e.StageID, e.StageAttemptID}]
	id := e.TaskInfo.TaskID
	t, started := s.liveTasks[id]
	if started {
		delete(s.liveTasks, id)
	} else {
		if st != nil && st.tasks[id] != nil && st.tasks[id].ended {
			return // the same task's end twice
		}
		t = &task{stageID: e.StageID, attempt: e.StageAttemptID}
	}
	t.info = e.TaskInfo
	t.ended = true
	t.status = taskStatus(e.TaskEndReason)
	t.errorMessage = errorMessage(e.TaskEndReason)
	if e.TaskMetrics != nil {
		m := *e.TaskMetrics
		m.UpdatedBlocks = nil
		t.metrics = &m
	}

	var completed, failed, killed int
	switch t.status {
	case TaskSuccess:
		completed = 1
	case TaskKilled:
		killed = 1
	default:
		failed = 1
	}
	duration := int64(0)
	if t.info.FinishTime > 0 {
		duration = t.info.FinishTime - t.info.LaunchTime
	}
	execID := t.info.ExecutorID
	if st != nil {
		s.stageTaskEnd(st, t, started && t.inStage, e.TaskEndReason, completed, failed, killed, duration)
	}
	if ex := s.executors[execID]; ex != nil && ex.active {
		if started {
			if ex.activeTasks > 0 {
				ex.activeTasks--
			}
		} else {
			ex.totalTasks++
		}
		ex.completedTasks += completed
		ex.failedTasks += failed
		ex.totalDuration += duration
		if m := t.metrics; m != nil {
			ex.totalGC += m.JVMGCTime
			ex.totalInput += m.InputMetrics.BytesRead
			ex.totalShuffleRead += m.ShuffleReadMetrics.LocalBytesRead + m.ShuffleReadMetrics.RemoteBytesRead
			ex.totalShuffleWrite += m.ShuffleWriteMetrics.ShuffleBytesWritten
		}
	}
}

// stageTaskEnd counts a task's end in its stage attempt and the stage's jobs;
// active says the task was counted as running there.
func (s *Store) stageTaskEnd(st *stage, t *task, active bool, reason events.TaskEndReason, completed, failed, killed int, duration int64) {
	id, execID := t.info.TaskID, t.info.ExecutorID
	st.tasks[id] = t
	if active {
		st.activeTasks--
		st.activePerExec[execID]--
	} else if t.info.LaunchTime < st.firstLaunch && t.info.LaunchTime > 0 {
		st.firstLaunch = t.info.LaunchTime
	}
	if t.metrics != nil {
		addMetrics(&st.metrics, t.metrics)
	}
	st.completedTasks += completed
	if completed > 0 {
		st.completedIndices[t.info.Index] = struct{}{}
	}
	st.failedTasks += failed
	st.killedTasks += killed
	if killed > 0 {
		st.killedSummary[reason.KillReason]++
	}
	es := st.execSummaries[execID]
	if es == nil {
		es = &ExecutorStageSummary{}
		st.execSummaries[execID] = es
	}
	es.TaskTime += duration
	es.SucceededTasks += completed
	es.FailedTasks += failed
	es.KilledTasks += killed
	if m := t.metrics; m != nil {
		es.InputBytes += m.InputMetrics.BytesRead
		es.InputRecords += m.InputMetrics.RecordsRead
		es.OutputBytes += m.OutputMetrics.BytesWritten
		es.OutputRecords += m.OutputMetrics.RecordsWritten
		es.ShuffleRead += m.ShuffleReadMetrics.LocalBytesRead + m.ShuffleReadMetrics.RemoteBytesRead
		es.ShuffleReadRecords += m.ShuffleReadMetrics.TotalRecordsRead
		es.ShuffleWrite += m.ShuffleWriteMetrics.ShuffleBytesWritten
		es.ShuffleWriteRecords += m.ShuffleWriteMetrics.ShuffleRecordsWritten
		es.MemoryBytesSpilled += m.MemoryBytesSpilled
		es.DiskBytesSpilled += m.DiskBytesSpilled
	}

	index := int64(t.stageID)<<32 | int64(uint32(t.info.Index))
	for _, jid := range st.jobIDs {
		j := s.jobs[jid]
		if j == nil {
			continue
		}
		if active && j.activeTasks > 0 {
			j.activeTasks--
		}
		j.completedTasks += completed
		if completed > 0 {
			j.completedIndices[index] = struct{}{}
		}
		j.failedTasks += failed
		j.killedTasks += killed
		if killed > 0 {
			j.killedSummary[reason.KillReason]++
		}
	}

	s.retainTasks(st)
}

func addMetrics(a, b *events.TaskMetrics) {
	a.ExecutorDeserializeTime += b.ExecutorDeserializeTime
	a.ExecutorDeserializeCPUTime += b.ExecutorDeserializeCPUTime
	a.ExecutorRunTime += b.ExecutorRunTime
	a.ExecutorCPUTime += b.ExecutorCPUTime
	a.PeakExecutionMemory += b.PeakExecutionMemory
	a.ResultSize += b.ResultSize
	a.JVMGCTime += b.JVMGCTime
	a.ResultSerializationTime += b.ResultSerializationTime
	a.MemoryBytesSpilled += b.MemoryBytesSpilled
	a.DiskBytesSpilled += b.DiskBytesSpilled
	r, q := &a.ShuffleReadMetrics, &b.ShuffleReadMetrics
	r.RemoteBlocksFetched += q.RemoteBlocksFetched
	r.LocalBlocksFetched += q.LocalBlocksFetched
	r.FetchWaitTime += q.FetchWaitTime
	r.RemoteBytesRead += q.RemoteBytesRead
	r.RemoteBytesReadToDisk += q.RemoteBytesReadToDisk
	r.LocalBytesRead += q.LocalBytesRead
	r.TotalRecordsRead += q.TotalRecordsRead
	a.ShuffleWriteMetrics.ShuffleBytesWritten += b.ShuffleWriteMetrics.ShuffleBytesWritten
	a.ShuffleWriteMetrics.ShuffleWriteTime += b.ShuffleWriteMetrics.ShuffleWriteTime
	a.ShuffleWriteMetrics.ShuffleRecordsWritten += b.ShuffleWriteMetrics.ShuffleRecordsWritten
	a.InputMetrics.BytesRead += b.InputMetrics.BytesRead
	a.InputMetrics.RecordsRead += b.InputMetrics.RecordsRead
	a.OutputMetrics.BytesWritten += b.OutputMetrics.BytesWritten
	a.OutputMetrics.RecordsWritten += b.OutputMetrics.RecordsWritten
}

// liveExecutor returns the active executor id, creating it (added at t) when
// there is none: an executor that comes back after being removed starts
// afresh, as in Spark.
func (s *Store) liveExecutor(id string, t int64) *executor {
	if ex := s.executors[id]; ex != nil && ex.active {
		return ex
	}
	ex := &executor{
		id: id, active: true, addTime: t, totalOnHeap: -1,
		logs: map[string]string{}, attributes: map[string]string{}, resources: map[string]any{},
	}
	if id == DriverID && len(s.app.driverLogs) > 0 {
		ex.logs = cloneMap(s.app.driverLogs)
	}
	s.executors[id] = ex
	return ex
}

func (s *Store) onExecutorAdded(e *events.ExecutorAdded) {
	ex := s.liveExecutor(e.ExecutorID, e.Timestamp)
	info := e.ExecutorInfo
	ex.host = info.Host
	ex.totalCores = info.TotalCores
	ex.maxTasks = info.TotalCores / max(1, s.cpusPerTask)
	if info.LogURLs != nil {
		ex.logs = cloneMap(info.LogURLs)
	}
	if info.Attributes != nil {
		ex.attributes = cloneMap(info.Attributes)
	}
	if info.Resources != nil {
		ex.resources = make(map[string]any, len(info.Resources))
		for k, v := range info.Resources {
			ex.resources[k] = v
		}
	}
	ex.rpID = info.ResourceProfileID
}

func (s *Store) onExecutorRemoved(e *events.ExecutorRemoved) {
	ex := s.executors[e.ExecutorID]
	if ex == nil || !ex.active {
		return
	}
	ex.active = false
	ex.removeTime = e.Timestamp
	ex.removeReason = e.RemovedReason
	ex.activeTasks = 0
	// Its cached blocks are gone with it.
	for _, r := range s.rdds {
		if _, ok := r.dists[ex.id]; ok {
			r.removeDist(ex.id)
		}
		for _, name := range append([]string(nil), r.partOrder...) {
			p := r.partitions[name]
			if !containsString(p.executors, ex.id) {
				continue
			}
			n := int64(len(p.executors))
			if n == 1 {
				r.removePartition(name)
				r.memoryUsed = nonNeg(r.memoryUsed - p.mem)
				r.diskUsed = nonNeg(r.diskUsed - p.disk)
				continue
			}
			r.memoryUsed = nonNeg(r.memoryUsed - p.mem/n)
			r.diskUsed = nonNeg(r.diskUsed - p.disk/n)
			p.mem = nonNeg(p.mem - p.mem/n)
			p.disk = nonNeg(p.disk - p.disk/n)
			p.executors = removeString(p.executors, ex.id)
		}
	}
	s.retainDeadExecutors()
}

func (s *Store) onBlockManagerAdded(e *events.BlockManagerAdded) {
	ex := s.liveExecutor(e.BlockManagerID.ExecutorID, e.Timestamp)
	ex.hostPort = e.BlockManagerID.Host + ":" + strconv.Itoa(e.BlockManagerID.Port)
	if ex.host == "" {
		ex.host = e.BlockManagerID.Host
	}
	if e.MaximumOnheapMem != nil {
		ex.totalOnHeap = *e.MaximumOnheapMem
		ex.totalOffHeap = 0
		ex.usedOnHeap, ex.usedOffHeap = 0, 0
	}
	ex.maxMemory = e.MaximumMemory
}

// rddBlock parses Spark's "rdd_<rddId>_<partition>" block names.
func rddBlock(id string) (int64, bool) {
	rest, ok := strings.CutPrefix(id, "rdd_")
	if !ok {
		return 0, false
	}
	num, _, ok := strings.Cut(rest, "_")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(num, 10, 64)
	return n, err == nil
}

func validLevel(l events.StorageLevel) bool { return (l.UseMemory || l.UseDisk) && l.Replication > 0 }

func (s *Store) updateExecutorMemory(ex *executor, l events.StorageLevel, memDelta, diskDelta int64) {
	if ex.hasMemoryInfo() {
		if l.UseOffHeap {
			ex.usedOffHeap = nonNeg(ex.usedOffHeap + memDelta)
		} else {
			ex.usedOnHeap = nonNeg(ex.usedOnHeap + memDelta)
		}
	}
	ex.memoryUsed = nonNeg(ex.memoryUsed + memDelta)
	ex.diskUsed = nonNeg(ex.diskUsed + diskDelta)
}

func (s *Store) onBlockUpdated(e *events.BlockUpdated) {
	b := e.BlockUpdateInfo
	execID := b.BlockManagerID.ExecutorID
	l := b.StorageLevel
	diskDelta, memDelta := b.DiskSize, b.MemorySize
	if !l.UseDisk {
		diskDelta = -diskDelta
	}
	if !l.UseMemory {
		memDelta = -memDelta
	}
	ex := s.executors[execID]
	if ex != nil && !ex.active {
		ex = nil
	}
	rddID, isRDD := rddBlock(b.BlockID)
	if !isRDD {
		if strings.HasPrefix(b.BlockID, "broadcast_") && ex != nil {
			s.updateExecutorMemory(ex, l, memDelta, diskDelta)
		}
		return
	}
	if ex != nil {
		s.updateExecutorMemory(ex, l, memDelta, diskDelta)
	}
	blocksDelta := 0
	if r := s.rdds[rddID]; r != nil {
		p := r.partition(b.BlockID)
		var execs []string
		if validLevel(l) {
			execs = p.executors
			if !containsString(execs, execID) {
				blocksDelta = 1
				execs = append(append([]string(nil), execs...), execID)
			}
		} else {
			blocksDelta = -1
			execs = removeString(p.executors, execID)
		}
		if len(execs) > 0 {
			p.executors = execs
			p.mem = nonNeg(p.mem + memDelta)
			p.disk = nonNeg(p.disk + diskDelta)
		} else {
			r.removePartition(b.BlockID)
		}
		if ex != nil {
			if ex.rddBlocks+blocksDelta > 0 {
				d := r.dist(execID)
				d.mem = nonNeg(d.mem + memDelta)
				d.disk = nonNeg(d.disk + diskDelta)
				if ex.hasMemoryInfo() {
					if l.UseOffHeap {
						d.offHeap = nonNeg(d.offHeap + memDelta)
					} else {
						d.onHeap = nonNeg(d.onHeap + memDelta)
					}
				}
			} else {
				r.removeDist(execID)
			}
		}
		r.memoryUsed = nonNeg(r.memoryUsed + memDelta)
		r.diskUsed = nonNeg(r.diskUsed + diskDelta)
	}
	if ex != nil {
		ex.rddBlocks = max(0, ex.rddBlocks+blocksDelta)
	}
}

func (s *Store) onUnpersistRDD(e *events.UnpersistRDD) {
	r := s.rdds[e.RDDID]
	if r == nil {
		return
	}
	delete(s.rdds, e.RDDID)
	for _, name := range r.partOrder {
		for _, id := range r.partitions[name].executors {
			if ex := s.executors[id]; ex != nil && ex.active {
				ex.rddBlocks = max(0, ex.rddBlocks-1)
			}
		}
	}
	for _, id := range r.distOrder {
		d := r.dists[id]
		ex := s.executors[id]
		if ex == nil || !ex.active {
			continue
		}
		if ex.hasMemoryInfo() {
			if r.info.StorageLevel.UseOffHeap {
				ex.usedOffHeap = nonNeg(ex.usedOffHeap - d.offHeap)
			} else {
				ex.usedOnHeap = nonNeg(ex.usedOnHeap - d.onHeap)
			}
		}
		ex.memoryUsed = nonNeg(ex.memoryUsed - d.mem)
		ex.diskUsed = nonNeg(ex.diskUsed - d.disk)
	}
}

func (r *rdd) partition(name string) *rddPartition {
	p := r.partitions[name]
	if p == nil {
		p = &rddPartition{name: name}
		r.partitions[name] = p
		r.partOrder = append(r.partOrder, name)
	}
	return p
}

func (r *rdd) removePartition(name string) {
	if _, ok := r.partitions[name]; !ok {
		return
	}
	delete(r.partitions, name)
	r.partOrder = removeString(r.partOrder, name)
}

func (r *rdd) dist(exec string) *rddDist {
	d := r.dists[exec]
	if d == nil {
		d = &rddDist{exec: exec}
		r.dists[exec] = d
		r.distOrder = append(r.distOrder, exec)
	}
	return d
}

func (r *rdd) removeDist(exec string) {
	if _, ok := r.dists[exec]; !ok {
		return
	}
	delete(r.dists, exec)
	r.distOrder = removeString(r.distOrder, exec)
}

func nonNeg(v int64) int64 { return max(0, v) }

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// removeString returns list without s, in a new slice.
func removeString(list []string, s string) []string {
	out := make([]string, 0, len(list))
	for _, v := range list {
		if v != s {
			out = append(out, v)
		}
	}
	return out
}

func cloneMap[V any](m map[string]V) map[string]V {
	out := make(map[string]V, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
