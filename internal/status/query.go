package status

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/gospark/gospark/internal/events"
)

// NowMillis is the store's clock in milliseconds (Options.Now): what running
// tasks and jobs are measured against.
func (s *Store) NowMillis() int64 { return s.o.Now().UnixMilli() }

// Application is the application's description; Completed is set once its
// ApplicationEnd was seen. Before its ApplicationStart, ID is empty.
func (s *Store) Application() ApplicationInfo {
	s.mu.RLock()
	defer s.mu.RUnlock()
	a := s.app
	at := ApplicationAttemptInfo{
		AttemptID:       a.attemptID,
		StartTime:       Date(a.start),
		EndTime:         -1,
		LastUpdated:     Date(a.start),
		SparkUser:       a.user,
		Completed:       a.completed,
		AppSparkVersion: s.sparkVersion,
	}
	if a.completed {
		at.EndTime = Date(a.end)
		at.LastUpdated = Date(a.end)
		at.Duration = a.end - a.start
	}
	at.StartTimeEpoch, at.EndTimeEpoch, at.LastUpdatedEpoch = int64(at.StartTime), int64(at.EndTime), int64(at.LastUpdated)
	return ApplicationInfo{ID: a.id, Name: a.name, Attempts: []ApplicationAttemptInfo{at}}
}

func statusSet(status []string) func(string) bool {
	if len(status) == 0 {
		return func(string) bool { return true }
	}
	return func(v string) bool {
		for _, s := range status {
			if strings.EqualFold(s, v) {
				return true
			}
		}
		return false
	}
}

// Jobs lists the jobs, newest first; with statuses (RUNNING, SUCCEEDED,
// FAILED, UNKNOWN, in any case) only those.
func (s *Store) Jobs(status ...string) []JobData {
	s.mu.RLock()
	defer s.mu.RUnlock()
	keep := statusSet(status)
	out := []JobData{}
	for _, j := range s.jobs {
		if keep(j.status) {
			out = append(out, j.toAPI())
		}
	}
	slices.SortFunc(out, func(a, b JobData) int { return cmp.Compare(b.JobID, a.JobID) })
	return out
}

// Job returns one job.
func (s *Store) Job(id int) (JobData, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	j := s.jobs[id]
	if j == nil {
		return JobData{}, false
	}
	return j.toAPI(), true
}

func (j *job) toAPI() JobData {
	d := JobData{
		JobID:               j.id,
		Name:                j.name,
		Description:         j.description,
		StageIDs:            append([]int{}, j.stageIDs...),
		JobGroup:            j.group,
		JobTags:             append([]string{}, j.tags...),
		Status:              j.status,
		NumTasks:            j.numTasks,
		NumActiveTasks:      j.activeTasks,
		NumCompletedTasks:   j.completedTasks,
		NumSkippedTasks:     j.skippedTasks,
		NumFailedTasks:      j.failedTasks,
		NumKilledTasks:      j.killedTasks,
		NumCompletedIndices: len(j.completedIndices),
		NumActiveStages:     j.activeStages,
		NumCompletedStages:  len(j.completedStages),
		NumSkippedStages:    len(j.skippedStages),
		NumFailedStages:     j.failedStages,
		KilledTasksSummary:  cloneMap(j.killedSummary),
	}
	if j.submission > 0 {
		d.SubmissionTime = datePtr(j.submission)
	}
	if j.completion > 0 {
		d.CompletionTime = datePtr(j.completion)
	}
	return d
}

func sortStagesDesc(out []StageData) {
	slices.SortFunc(out, func(a, b StageData) int {
		return cmp.Or(cmp.Compare(b.StageID, a.StageID), cmp.Compare(b.AttemptID, a.AttemptID))
	})
}

// Stages lists every stage attempt, newest first; with statuses (ACTIVE,
// COMPLETE, FAILED, PENDING, SKIPPED, in any case) only those.
func (s *Store) Stages(status ...string) []StageData {
	s.mu.RLock()
	defer s.mu.RUnlock()
	keep := statusSet(status)
	out := []StageData{}
	for _, st := range s.stages {
		if keep(st.status) {
			out = append(out, s.stageAPI(st, false))
		}
	}
	sortStagesDesc(out)
	return out
}

// JobStages lists the stage attempts of one job, newest first. A stage that
// an earlier job computed and this one reused shows as SKIPPED here, as the
// job counts it, though the stage itself is COMPLETE.
func (s *Store) JobStages(jobID int) []StageData {
	s.mu.RLock()
	defer s.mu.RUnlock()
	j := s.jobs[jobID]
	out := []StageData{}
	for _, st := range s.stages {
		if !slices.Contains(st.jobIDs, jobID) {
			continue
		}
		d := s.stageAPI(st, false)
		if j != nil && j.status != JobRunning && !j.submitted[d.StageID] {
			if _, reused := j.doneBefore[d.StageID]; reused {
				d.Status = StageSkipped
			}
		}
		out = append(out, d)
	}
	sortStagesDesc(out)
	return out
}

// StageJobs is the ids of the jobs a stage attempt belongs to.
func (s *Store) StageJobs(id, attempt int) []int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if st := s.stages[stageKey{id, attempt}]; st != nil {
		return append([]int{}, st.jobIDs...)
	}
	return nil
}

// StageAttempts lists the attempts of one stage, first attempt first; none
// when the stage is unknown.
func (s *Store) StageAttempts(id int) []StageData {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []StageData
	for k, st := range s.stages {
		if k.id == id {
			out = append(out, s.stageAPI(st, false))
		}
	}
	slices.SortFunc(out, func(a, b StageData) int { return cmp.Compare(a.AttemptID, b.AttemptID) })
	return out
}

// StageAttempt returns one stage attempt; with details, its tasks and its
// per-executor summary too.
func (s *Store) StageAttempt(id, attempt int, details bool) (StageData, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	st := s.stages[stageKey{id, attempt}]
	if st == nil {
		return StageData{}, false
	}
	return s.stageAPI(st, details), true
}

func accumulables(list []events.Accumulable) []AccumulableInfo {
	out := []AccumulableInfo{}
	for _, a := range list {
		if a.Internal {
			continue
		}
		info := AccumulableInfo{ID: a.ID, Name: a.Name, Value: anyString(a.Value)}
		if a.Update != nil {
			info.Update = anyString(a.Update)
		}
		out = append(out, info)
	}
	return out
}

func anyString(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1e15 {
			return strconv.FormatInt(int64(v), 10)
		}
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	return fmt.Sprint(v)
}

func (s *Store) stageAPI(st *stage, details bool) StageData {
	m := &st.metrics
	r := &m.ShuffleReadMetrics
	d := StageData{
		Status:              st.status,
		StageID:             st.info.StageID,
		AttemptID:           st.info.StageAttemptID,
		NumTasks:            st.info.NumberOfTasks,
		NumActiveTasks:      st.activeTasks,
		NumCompleteTasks:    st.completedTasks,
		NumFailedTasks:      st.failedTasks,
		NumKilledTasks:      st.killedTasks,
		NumCompletedIndices: len(st.completedIndices),

		ExecutorDeserializeTime:      m.ExecutorDeserializeTime,
		ExecutorDeserializeCPUTime:   m.ExecutorDeserializeCPUTime,
		ExecutorRunTime:              m.ExecutorRunTime,
		ExecutorCPUTime:              m.ExecutorCPUTime,
		ResultSize:                   m.ResultSize,
		JVMGCTime:                    m.JVMGCTime,
		ResultSerializationTime:      m.ResultSerializationTime,
		MemoryBytesSpilled:           m.MemoryBytesSpilled,
		DiskBytesSpilled:             m.DiskBytesSpilled,
		PeakExecutionMemory:          m.PeakExecutionMemory,
		InputBytes:                   m.InputMetrics.BytesRead,
		InputRecords:                 m.InputMetrics.RecordsRead,
		OutputBytes:                  m.OutputMetrics.BytesWritten,
		OutputRecords:                m.OutputMetrics.RecordsWritten,
		ShuffleRemoteBlocksFetched:   r.RemoteBlocksFetched,
		ShuffleLocalBlocksFetched:    r.LocalBlocksFetched,
		ShuffleFetchWaitTime:         r.FetchWaitTime,
		ShuffleRemoteBytesRead:       r.RemoteBytesRead,
		ShuffleRemoteBytesReadToDisk: r.RemoteBytesReadToDisk,
		ShuffleLocalBytesRead:        r.LocalBytesRead,
		ShuffleReadBytes:             r.LocalBytesRead + r.RemoteBytesRead,
		ShuffleReadRecords:           r.TotalRecordsRead,
		ShuffleWriteBytes:            m.ShuffleWriteMetrics.ShuffleBytesWritten,
		ShuffleWriteTime:             m.ShuffleWriteMetrics.ShuffleWriteTime,
		ShuffleWriteRecords:          m.ShuffleWriteMetrics.ShuffleRecordsWritten,

		Name:           st.info.StageName,
		Description:    st.description,
		Details:        st.info.Details,
		SchedulingPool: st.pool,

		RDDIDs:             []int{},
		AccumulatorUpdates: accumulables(st.info.Accumulables),
		KilledTasksSummary: cloneMap(st.killedSummary),
		ResourceProfileID:  st.info.ResourceProfileID,
	}
	if t := st.info.SubmissionTime; t != nil {
		d.SubmissionTime = datePtr(*t)
	}
	if st.firstLaunch != math.MaxInt64 {
		d.FirstTaskLaunchedTime = datePtr(st.firstLaunch)
	}
	if t := st.info.CompletionTime; t != nil {
		d.CompletionTime = datePtr(*t)
	}
	if f := st.info.FailureReason; f != nil {
		d.FailureReason = *f
	}
	for _, ri := range st.info.RDDInfo {
		d.RDDIDs = append(d.RDDIDs, int(ri.RDDID))
	}
	if details {
		now := s.NowMillis()
		d.Tasks = make(map[int64]TaskData, len(st.tasks))
		for id, t := range st.tasks {
			d.Tasks[id] = s.taskAPI(t, now)
		}
		d.ExecutorSummary = make(map[string]ExecutorStageSummary, len(st.execSummaries))
		for id, es := range st.execSummaries {
			d.ExecutorSummary[id] = *es
		}
	}
	return d
}

// ExecutorStageSummaries is each executor's share of a stage attempt.
func (s *Store) ExecutorStageSummaries(id, attempt int) (map[string]ExecutorStageSummary, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	st := s.stages[stageKey{id, attempt}]
	if st == nil {
		return nil, false
	}
	out := make(map[string]ExecutorStageSummary, len(st.execSummaries))
	for id, es := range st.execSummaries {
		out[id] = *es
	}
	return out, true
}

func (t *task) duration(now int64) int64 {
	if t.ended {
		if t.info.FinishTime > 0 {
			return t.info.FinishTime - t.info.LaunchTime
		}
		return 0
	}
	return max(0, now-t.info.LaunchTime)
}

// gettingResultTime is Spark's AppStatusUtils.gettingResultTime.
func gettingResultTime(launch, fetchStart, duration, now int64) int64 {
	if fetchStart <= 0 {
		return 0
	}
	if duration > 0 {
		return launch + duration - fetchStart
	}
	return now - fetchStart
}

// schedulerDelay is Spark's AppStatusUtils.schedulerDelay, for a finished
// task with metrics.
func schedulerDelay(t *task, now int64) int64 {
	if !t.ended || t.metrics == nil {
		return 0
	}
	d := t.duration(now)
	if d <= 0 {
		return 0
	}
	m := t.metrics
	return max(0, d-m.ExecutorRunTime-m.ExecutorDeserializeTime-m.ResultSerializationTime-
		gettingResultTime(t.info.LaunchTime, t.info.GettingResultTime, d, now))
}

func taskMetricsAPI(m *events.TaskMetrics) *TaskMetrics {
	r := &m.ShuffleReadMetrics
	return &TaskMetrics{
		ExecutorDeserializeTime:    m.ExecutorDeserializeTime,
		ExecutorDeserializeCPUTime: m.ExecutorDeserializeCPUTime,
		ExecutorRunTime:            m.ExecutorRunTime,
		ExecutorCPUTime:            m.ExecutorCPUTime,
		ResultSize:                 m.ResultSize,
		JVMGCTime:                  m.JVMGCTime,
		ResultSerializationTime:    m.ResultSerializationTime,
		MemoryBytesSpilled:         m.MemoryBytesSpilled,
		DiskBytesSpilled:           m.DiskBytesSpilled,
		PeakExecutionMemory:        m.PeakExecutionMemory,
		InputMetrics:               InputMetrics{m.InputMetrics.BytesRead, m.InputMetrics.RecordsRead},
		OutputMetrics:              OutputMetrics{m.OutputMetrics.BytesWritten, m.OutputMetrics.RecordsWritten},
		ShuffleReadMetrics: ShuffleReadMetrics{
			RemoteBlocksFetched:   r.RemoteBlocksFetched,
			LocalBlocksFetched:    r.LocalBlocksFetched,
			FetchWaitTime:         r.FetchWaitTime,
			RemoteBytesRead:       r.RemoteBytesRead,
			RemoteBytesReadToDisk: r.RemoteBytesReadToDisk,
			LocalBytesRead:        r.LocalBytesRead,
			RecordsRead:           r.TotalRecordsRead,
		},
		ShuffleWriteMetrics: ShuffleWriteMetrics{
			BytesWritten:   m.ShuffleWriteMetrics.ShuffleBytesWritten,
			WriteTime:      m.ShuffleWriteMetrics.ShuffleWriteTime,
			RecordsWritten: m.ShuffleWriteMetrics.ShuffleRecordsWritten,
		},
	}
}

func (s *Store) taskAPI(t *task, now int64) TaskData {
	d := TaskData{
		TaskID:             t.info.TaskID,
		Index:              t.info.Index,
		Attempt:            t.info.Attempt,
		PartitionID:        t.info.PartitionID,
		LaunchTime:         Date(t.info.LaunchTime),
		ExecutorID:         t.info.ExecutorID,
		Host:               t.info.Host,
		Status:             t.status,
		TaskLocality:       t.info.Locality,
		Speculative:        t.info.Speculative,
		AccumulatorUpdates: accumulables(t.info.Accumulables),
		ErrorMessage:       t.errorMessage,
		ExecutorLogs:       map[string]string{},
	}
	if !t.ended && t.info.GettingResultTime > 0 {
		d.Status = TaskGettingResult
	}
	if t.info.GettingResultTime > 0 {
		d.ResultFetchStart = datePtr(t.info.GettingResultTime)
	}
	dur := t.duration(now)
	if dur > 0 {
		d.Duration = &dur
	}
	if t.metrics != nil {
		d.TaskMetrics = taskMetricsAPI(t.metrics)
	}
	if ex := s.executors[t.info.ExecutorID]; ex != nil {
		d.ExecutorLogs = cloneMap(ex.logs)
	}
	d.SchedulerDelay = schedulerDelay(t, now)
	if d.Duration != nil {
		d.GettingResultTime = gettingResultTime(t.info.LaunchTime, t.info.GettingResultTime, dur, now)
	} else {
		d.GettingResultTime = gettingResultTime(t.info.LaunchTime, t.info.GettingResultTime, -1, now)
	}
	return d
}

// Task orders of TaskList (Spark's TaskSorting: ID, runtime, -runtime).
const (
	SortByID          = "ID"
	SortByRuntime     = "runtime"
	SortByRuntimeDesc = "-runtime"
)

// ParseTaskSort reads a sortBy parameter as Spark does ("ID", "runtime",
// "-runtime", "increasing_runtime", "decreasing_runtime", in any case; empty
// means ID).
func ParseTaskSort(v string) (string, bool) {
	switch strings.ToLower(v) {
	case "", "id":
		return SortByID, true
	case "runtime", "increasing_runtime":
		return SortByRuntime, true
	case "-runtime", "decreasing_runtime":
		return SortByRuntimeDesc, true
	}
	return "", false
}

// TaskCount is how many tasks a stage attempt keeps.
func (s *Store) TaskCount(stage, attempt int) (int, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	st := s.stages[stageKey{stage, attempt}]
	if st == nil {
		return 0, false
	}
	return len(st.tasks), true
}

func runTime(t *task) int64 {
	if t.metrics == nil {
		return -1
	}
	return t.metrics.ExecutorRunTime
}

// TaskList returns length tasks of a stage attempt from offset, in the order
// sortBy names (see ParseTaskSort; an order it does not know means ID); false
// when the stage attempt is unknown.
func (s *Store) TaskList(stage, attempt, offset, length int, sortBy string) ([]TaskData, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	st := s.stages[stageKey{stage, attempt}]
	if st == nil {
		return nil, false
	}
	order, _ := ParseTaskSort(sortBy)
	all := make([]*task, 0, len(st.tasks))
	for _, t := range st.tasks {
		all = append(all, t)
	}
	byID := func(a, b *task) int { return cmp.Compare(a.info.TaskID, b.info.TaskID) }
	switch order {
	case SortByRuntime:
		slices.SortFunc(all, func(a, b *task) int { return cmp.Or(cmp.Compare(runTime(a), runTime(b)), byID(a, b)) })
	case SortByRuntimeDesc:
		slices.SortFunc(all, func(a, b *task) int { return cmp.Or(cmp.Compare(runTime(b), runTime(a)), byID(b, a)) })
	default:
		slices.SortFunc(all, byID)
	}
	offset = max(0, offset)
	if offset > len(all) {
		offset = len(all)
	}
	end := len(all)
	if length >= 0 && offset+length < end {
		end = offset + length
	}
	now := s.NowMillis()
	out := make([]TaskData, 0, end-offset)
	for _, t := range all[offset:end] {
		out = append(out, s.taskAPI(t, now))
	}
	return out, true
}

// SucceededTasks is how many of the tasks a stage attempt keeps succeeded
// with metrics: the tasks TaskSummary summarises.
func (s *Store) SucceededTasks(stage, attempt int) int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	st := s.stages[stageKey{stage, attempt}]
	if st == nil {
		return 0
	}
	n := 0
	for _, t := range st.tasks {
		if t.status == TaskSuccess && t.metrics != nil {
			n++
		}
	}
	return n
}

// DefaultQuantiles are the taskSummary endpoint's default quantiles.
var DefaultQuantiles = []float64{0.05, 0.25, 0.5, 0.75, 0.95}

// TaskSummary returns, for each task metric, its values at the quantiles
// over the stage attempt's successful tasks (Spark's
// AppStatusStore.taskSummary: the value at index min(q*count, count-1) of the
// sorted values). False when the stage attempt is unknown or no task
// succeeded yet.
func (s *Store) TaskSummary(stage, attempt int, quantiles []float64) (TaskMetricDistributions, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	st := s.stages[stageKey{stage, attempt}]
	if st == nil {
		return TaskMetricDistributions{}, false
	}
	var ok []*task
	for _, t := range st.tasks {
		if t.status == TaskSuccess && t.metrics != nil {
			ok = append(ok, t)
		}
	}
	if len(ok) == 0 {
		return TaskMetricDistributions{}, false
	}
	qs := slices.Clone(quantiles)
	slices.Sort(qs)
	now := s.NowMillis()
	n := int64(len(ok))
	vals := make([]float64, len(ok))
	dist := func(f func(t *task, m *events.TaskMetrics) int64) []float64 {
		for i, t := range ok {
			vals[i] = float64(f(t, t.metrics))
		}
		slices.Sort(vals)
		out := make([]float64, len(qs))
		for i, q := range qs {
			idx := min(int64(q*float64(n)), n-1)
			out[i] = vals[max(0, idx)]
		}
		return out
	}
	zeros := func() []float64 { return make([]float64, len(qs)) }
	return TaskMetricDistributions{
		Quantiles:                  qs,
		Duration:                   dist(func(t *task, _ *events.TaskMetrics) int64 { return t.duration(now) }),
		ExecutorDeserializeTime:    dist(func(_ *task, m *events.TaskMetrics) int64 { return m.ExecutorDeserializeTime }),
		ExecutorDeserializeCPUTime: dist(func(_ *task, m *events.TaskMetrics) int64 { return m.ExecutorDeserializeCPUTime }),
		ExecutorRunTime:            dist(func(_ *task, m *events.TaskMetrics) int64 { return m.ExecutorRunTime }),
		ExecutorCPUTime:            dist(func(_ *task, m *events.TaskMetrics) int64 { return m.ExecutorCPUTime }),
		ResultSize:                 dist(func(_ *task, m *events.TaskMetrics) int64 { return m.ResultSize }),
		JVMGCTime:                  dist(func(_ *task, m *events.TaskMetrics) int64 { return m.JVMGCTime }),
		ResultSerializationTime:    dist(func(_ *task, m *events.TaskMetrics) int64 { return m.ResultSerializationTime }),
		GettingResultTime: dist(func(t *task, _ *events.TaskMetrics) int64 {
			return gettingResultTime(t.info.LaunchTime, t.info.GettingResultTime, t.duration(now), now)
		}),
		SchedulerDelay:             dist(func(t *task, _ *events.TaskMetrics) int64 { return schedulerDelay(t, now) }),
		PeakExecutionMemory:        dist(func(_ *task, m *events.TaskMetrics) int64 { return m.PeakExecutionMemory }),
		PeakOnHeapExecutionMemory:  zeros(),
		PeakOffHeapExecutionMemory: zeros(),
		MemoryBytesSpilled:         dist(func(_ *task, m *events.TaskMetrics) int64 { return m.MemoryBytesSpilled }),
		DiskBytesSpilled:           dist(func(_ *task, m *events.TaskMetrics) int64 { return m.DiskBytesSpilled }),
		InputMetrics: InputMetricDistributions{
			BytesRead:   dist(func(_ *task, m *events.TaskMetrics) int64 { return m.InputMetrics.BytesRead }),
			RecordsRead: dist(func(_ *task, m *events.TaskMetrics) int64 { return m.InputMetrics.RecordsRead }),
		},
		OutputMetrics: OutputMetricDistributions{
			BytesWritten:   dist(func(_ *task, m *events.TaskMetrics) int64 { return m.OutputMetrics.BytesWritten }),
			RecordsWritten: dist(func(_ *task, m *events.TaskMetrics) int64 { return m.OutputMetrics.RecordsWritten }),
		},
		ShuffleReadMetrics: ShuffleReadMetricDistributions{
			ReadBytes: dist(func(_ *task, m *events.TaskMetrics) int64 {
				return m.ShuffleReadMetrics.LocalBytesRead + m.ShuffleReadMetrics.RemoteBytesRead
			}),
			ReadRecords:           dist(func(_ *task, m *events.TaskMetrics) int64 { return m.ShuffleReadMetrics.TotalRecordsRead }),
			RemoteBlocksFetched:   dist(func(_ *task, m *events.TaskMetrics) int64 { return m.ShuffleReadMetrics.RemoteBlocksFetched }),
			LocalBlocksFetched:    dist(func(_ *task, m *events.TaskMetrics) int64 { return m.ShuffleReadMetrics.LocalBlocksFetched }),
			FetchWaitTime:         dist(func(_ *task, m *events.TaskMetrics) int64 { return m.ShuffleReadMetrics.FetchWaitTime }),
			RemoteBytesRead:       dist(func(_ *task, m *events.TaskMetrics) int64 { return m.ShuffleReadMetrics.RemoteBytesRead }),
			RemoteBytesReadToDisk: dist(func(_ *task, m *events.TaskMetrics) int64 { return m.ShuffleReadMetrics.RemoteBytesReadToDisk }),
			TotalBlocksFetched: dist(func(_ *task, m *events.TaskMetrics) int64 {
				return m.ShuffleReadMetrics.LocalBlocksFetched + m.ShuffleReadMetrics.RemoteBlocksFetched
			}),
			RemoteReqsDuration: zeros(),
			ShufflePushReadMetricsDist: ShufflePushReadMetricDistributions{
				CorruptMergedBlockChunks: zeros(), MergedFetchFallbackCount: zeros(),
				RemoteMergedBlocksFetched: zeros(), LocalMergedBlocksFetched: zeros(),
				RemoteMergedChunksFetched: zeros(), LocalMergedChunksFetched: zeros(),
				RemoteMergedBytesRead: zeros(), LocalMergedBytesRead: zeros(),
				RemoteMergedReqsDuration: zeros(),
			},
		},
		ShuffleWriteMetrics: ShuffleWriteMetricDistributions{
			WriteBytes:   dist(func(_ *task, m *events.TaskMetrics) int64 { return m.ShuffleWriteMetrics.ShuffleBytesWritten }),
			WriteRecords: dist(func(_ *task, m *events.TaskMetrics) int64 { return m.ShuffleWriteMetrics.ShuffleRecordsWritten }),
			WriteTime:    dist(func(_ *task, m *events.TaskMetrics) int64 { return m.ShuffleWriteMetrics.ShuffleWriteTime }),
		},
	}, true
}

// executorLess orders the driver first, then executors by number.
func executorLess(a, b string) int {
	if a == b {
		return 0
	}
	if a == DriverID {
		return -1
	}
	if b == DriverID {
		return 1
	}
	na, ea := strconv.Atoi(a)
	nb, eb := strconv.Atoi(b)
	if ea == nil && eb == nil {
		return cmp.Compare(na, nb)
	}
	if (ea == nil) != (eb == nil) {
		if ea == nil {
			return -1
		}
		return 1
	}
	return strings.Compare(a, b)
}

// Executors lists the executors (the driver first); activeOnly leaves out
// removed ones (Spark's /executors, against /allexecutors).
func (s *Store) Executors(activeOnly bool) []ExecutorSummary {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := []ExecutorSummary{}
	for _, ex := range s.executors {
		if ex.active || !activeOnly {
			out = append(out, ex.toAPI())
		}
	}
	slices.SortFunc(out, func(a, b ExecutorSummary) int { return executorLess(a.ID, b.ID) })
	return out
}

// Executor returns one executor, active or removed.
func (s *Store) Executor(id string) (ExecutorSummary, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	ex := s.executors[id]
	if ex == nil {
		return ExecutorSummary{}, false
	}
	return ex.toAPI(), true
}

func (ex *executor) toAPI() ExecutorSummary {
	d := ExecutorSummary{
		ID:                  ex.id,
		HostPort:            ex.hostPort,
		IsActive:            ex.active,
		RDDBlocks:           ex.rddBlocks,
		MemoryUsed:          ex.memoryUsed,
		DiskUsed:            ex.diskUsed,
		TotalCores:          ex.totalCores,
		MaxTasks:            ex.maxTasks,
		ActiveTasks:         ex.activeTasks,
		FailedTasks:         ex.failedTasks,
		CompletedTasks:      ex.completedTasks,
		TotalTasks:          ex.totalTasks,
		TotalDuration:       ex.totalDuration,
		TotalGCTime:         ex.totalGC,
		TotalInputBytes:     ex.totalInput,
		TotalShuffleRead:    ex.totalShuffleRead,
		TotalShuffleWrite:   ex.totalShuffleWrite,
		MaxMemory:           ex.maxMemory,
		AddTime:             Date(ex.addTime),
		RemoveReason:        ex.removeReason,
		ExecutorLogs:        cloneMap(ex.logs),
		BlacklistedInStages: []int{},
		Attributes:          cloneMap(ex.attributes),
		Resources:           cloneMap(ex.resources),
		ResourceProfileID:   ex.rpID,
		ExcludedInStages:    []int{},
	}
	if d.HostPort == "" {
		d.HostPort = ex.host
	}
	if !ex.active {
		d.RemoveTime = datePtr(ex.removeTime)
	}
	if ex.hasMemoryInfo() {
		d.MemoryMetrics = &MemoryMetrics{
			UsedOnHeapStorageMemory:   ex.usedOnHeap,
			UsedOffHeapStorageMemory:  ex.usedOffHeap,
			TotalOnHeapStorageMemory:  ex.totalOnHeap,
			TotalOffHeapStorageMemory: ex.totalOffHeap,
		}
	}
	return d
}

// LevelDescription is Spark's StorageLevel.description, e.g. "Memory
// Deserialized 1x Replicated".
func LevelDescription(l events.StorageLevel) string {
	var b strings.Builder
	if l.UseDisk {
		b.WriteString("Disk ")
	}
	if l.UseMemory {
		if l.UseOffHeap {
			b.WriteString("Memory (off heap) ")
		} else {
			b.WriteString("Memory ")
		}
	}
	if l.Deserialized {
		b.WriteString("Deserialized ")
	} else {
		b.WriteString("Serialized ")
	}
	fmt.Fprintf(&b, "%dx Replicated", l.Replication)
	return b.String()
}

// RDDs lists the cached datasets that have cached partitions, by id,
// without their distribution and partitions (Spark's /storage/rdd).
func (s *Store) RDDs() []RDDStorageInfo {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := []RDDStorageInfo{}
	for _, r := range s.rdds {
		if len(r.partitions) > 0 {
			out = append(out, s.rddAPI(r, false))
		}
	}
	slices.SortFunc(out, func(a, b RDDStorageInfo) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// RDD returns one cached dataset with its distribution over executors and
// its cached partitions.
func (s *Store) RDD(id int) (RDDStorageInfo, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r := s.rdds[int64(id)]
	if r == nil {
		return RDDStorageInfo{}, false
	}
	return s.rddAPI(r, true), true
}

func (s *Store) rddAPI(r *rdd, details bool) RDDStorageInfo {
	name := r.info.Name
	if name == "" {
		name = strconv.FormatInt(r.info.RDDID, 10)
	}
	d := RDDStorageInfo{
		ID:                  int(r.info.RDDID),
		Name:                name,
		NumPartitions:       r.info.NumberOfPartitions,
		NumCachedPartitions: len(r.partitions),
		StorageLevel:        LevelDescription(r.info.StorageLevel),
		MemoryUsed:          r.memoryUsed,
		DiskUsed:            r.diskUsed,
	}
	if !details {
		return d
	}
	for _, id := range r.distOrder {
		dist := r.dists[id]
		ex := s.executors[id]
		if ex == nil {
			continue
		}
		dd := RDDDataDistribution{
			Address:         cmp.Or(ex.hostPort, ex.host),
			MemoryUsed:      dist.mem,
			MemoryRemaining: ex.maxMemory - ex.memoryUsed,
			DiskUsed:        dist.disk,
		}
		if ex.hasMemoryInfo() {
			onUsed, offUsed := dist.onHeap, dist.offHeap
			onRem, offRem := ex.totalOnHeap-ex.usedOnHeap, ex.totalOffHeap-ex.usedOffHeap
			dd.OnHeapMemoryUsed, dd.OffHeapMemoryUsed = &onUsed, &offUsed
			dd.OnHeapMemoryRemaining, dd.OffHeapMemoryRemaining = &onRem, &offRem
		}
		d.DataDistribution = append(d.DataDistribution, dd)
	}
	d.Partitions = []RDDPartitionInfo{}
	for _, name := range r.partOrder {
		p := r.partitions[name]
		lvl := events.StorageLevel{
			UseDisk:      p.disk > 0,
			UseMemory:    p.mem > 0,
			UseOffHeap:   r.info.StorageLevel.UseOffHeap,
			Deserialized: p.mem > 0 && r.info.StorageLevel.Deserialized,
			Replication:  len(p.executors),
		}
		d.Partitions = append(d.Partitions, RDDPartitionInfo{
			BlockName:    p.name,
			StorageLevel: LevelDescription(lvl),
			MemoryUsed:   p.mem,
			DiskUsed:     p.disk,
			Executors:    append([]string{}, p.executors...),
		})
	}
	return d
}

func sortedPairs(m map[string]string) [][2]string {
	out := make([][2]string, 0, len(m))
	for k, v := range m {
		out = append(out, [2]string{k, v})
	}
	slices.SortFunc(out, func(a, b [2]string) int { return strings.Compare(a[0], b[0]) })
	return out
}

// Environment is what the EnvironmentUpdate event carried (empty lists before
// it), with the default resource profile.
func (s *Store) Environment() ApplicationEnvironmentInfo {
	s.mu.RLock()
	defer s.mu.RUnlock()
	e := s.env
	if e == nil {
		e = &events.EnvironmentUpdate{}
	}
	jvm := e.JVMInformation
	d := ApplicationEnvironmentInfo{
		Runtime: RuntimeInfo{
			JavaVersion:  cmp.Or(jvm["Java Version"], jvm["Go Version"]),
			JavaHome:     jvm["Java Home"],
			ScalaVersion: jvm["Scala Version"],
		},
		SparkProperties:   sortedPairs(e.SparkProperties),
		HadoopProperties:  sortedPairs(e.HadoopProperties),
		SystemProperties:  sortedPairs(e.SystemProperties),
		MetricsProperties: sortedPairs(e.MetricsProperties),
		ClasspathEntries:  sortedPairs(e.ClasspathEntries),
	}
	rp := ResourceProfileInfo{
		ExecutorResources: map[string]ExecutorResourceRequest{},
		TaskResources:     map[string]TaskResourceRequest{"cpus": {ResourceName: "cpus", Amount: float64(s.cpusPerTask)}},
	}
	if n, err := strconv.ParseInt(e.SparkProperties["spark.executor.cores"], 10, 64); err == nil {
		rp.ExecutorResources["cores"] = ExecutorResourceRequest{ResourceName: "cores", Amount: n}
	}
	d.ResourceProfiles = []ResourceProfileInfo{rp}
	return d
}

// RuntimeInformation is the EnvironmentUpdate's "JVM Information" (the Go
// runtime's description in gospark), sorted by name.
func (s *Store) RuntimeInformation() [][2]string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.env == nil {
		return [][2]string{}
	}
	return sortedPairs(s.env.JVMInformation)
}

func sortInts(v []int) { slices.Sort(v) }
