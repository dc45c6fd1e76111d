package status

// The types below are Spark's REST API v1 model. Each one names its class in
// apache/spark core/src/main/scala/org/apache/spark/status/api/v1/api.scala
// as of Spark 4.0 (read at apache/spark commit a7742058f3de; the version
// whose field lists model_fields_test.go checks). Field order follows the
// Scala constructors, so that the JSON reads like Spark's. An Option that is
// None in Spark is left out of the JSON (Spark's JacksonMessageWriter writes
// NON_ABSENT): here that is a nil pointer, slice or map, or an empty string,
// with omitempty; where Some of an empty collection must still be written
// ("tasks" : { }), a nil collection with omitzero.

// Job statuses (Spark's JobExecutionStatus).
const (
	JobRunning   = "RUNNING"
	JobSucceeded = "SUCCEEDED"
	JobFailed    = "FAILED"
	JobUnknown   = "UNKNOWN"
)

// Stage statuses (Spark's StageStatus).
const (
	StageActive   = "ACTIVE"
	StageComplete = "COMPLETE"
	StageFailed   = "FAILED"
	StagePending  = "PENDING"
	StageSkipped  = "SKIPPED"
)

// Task statuses (Spark's TaskInfo.status).
const (
	TaskRunning       = "RUNNING"
	TaskGettingResult = "GET RESULT"
	TaskSuccess       = "SUCCESS"
	TaskFailedStatus  = "FAILED"
	TaskKilled        = "KILLED"
	TaskUnknown       = "UNKNOWN"
)

// ApplicationInfo is api.scala's ApplicationInfo (Spark 4.0).
type ApplicationInfo struct {
	ID                  string                   `json:"id"`
	Name                string                   `json:"name"`
	CoresGranted        *int                     `json:"coresGranted,omitempty"`
	MaxCores            *int                     `json:"maxCores,omitempty"`
	CoresPerExecutor    *int                     `json:"coresPerExecutor,omitempty"`
	MemoryPerExecutorMB *int                     `json:"memoryPerExecutorMB,omitempty"`
	Attempts            []ApplicationAttemptInfo `json:"attempts"`
}

// Completed reports whether the application's (last) attempt ended.
func (a ApplicationInfo) Completed() bool {
	return len(a.Attempts) > 0 && a.Attempts[len(a.Attempts)-1].Completed
}

// Attempt is the application's last attempt (the zero value when none).
func (a ApplicationInfo) Attempt() ApplicationAttemptInfo {
	if len(a.Attempts) == 0 {
		return ApplicationAttemptInfo{}
	}
	return a.Attempts[len(a.Attempts)-1]
}

// ApplicationAttemptInfo is api.scala's ApplicationAttemptInfo (Spark 4.0),
// with the three epoch getters Spark's JSON also carries (startTimeEpoch,
// endTimeEpoch, lastUpdatedEpoch). While the attempt runs, endTime is
// Spark's new Date(-1) and duration -1.
type ApplicationAttemptInfo struct {
	AttemptID        string `json:"attemptId,omitempty"`
	StartTime        Date   `json:"startTime"`
	EndTime          Date   `json:"endTime"`
	LastUpdated      Date   `json:"lastUpdated"`
	Duration         int64  `json:"duration"`
	SparkUser        string `json:"sparkUser"`
	Completed        bool   `json:"completed"`
	AppSparkVersion  string `json:"appSparkVersion"`
	StartTimeEpoch   int64  `json:"startTimeEpoch"`
	EndTimeEpoch     int64  `json:"endTimeEpoch"`
	LastUpdatedEpoch int64  `json:"lastUpdatedEpoch"`
}

// JobData is api.scala's JobData (Spark 4.0).
type JobData struct {
	JobID               int            `json:"jobId"`
	Name                string         `json:"name"`
	Description         string         `json:"description,omitempty"`
	SubmissionTime      *Date          `json:"submissionTime,omitempty"`
	CompletionTime      *Date          `json:"completionTime,omitempty"`
	StageIDs            []int          `json:"stageIds"`
	JobGroup            string         `json:"jobGroup,omitempty"`
	JobTags             []string       `json:"jobTags"`
	Status              string         `json:"status"`
	NumTasks            int            `json:"numTasks"`
	NumActiveTasks      int            `json:"numActiveTasks"`
	NumCompletedTasks   int            `json:"numCompletedTasks"`
	NumSkippedTasks     int            `json:"numSkippedTasks"`
	NumFailedTasks      int            `json:"numFailedTasks"`
	NumKilledTasks      int            `json:"numKilledTasks"`
	NumCompletedIndices int            `json:"numCompletedIndices"`
	NumActiveStages     int            `json:"numActiveStages"`
	NumCompletedStages  int            `json:"numCompletedStages"`
	NumSkippedStages    int            `json:"numSkippedStages"`
	NumFailedStages     int            `json:"numFailedStages"`
	KilledTasksSummary  map[string]int `json:"killedTasksSummary"`
}

// StageData is api.scala's StageData (Spark 4.0). Tasks and ExecutorSummary
// are filled only when details are asked for; the push-based shuffle fields
// are always 0 (gospark has no push-based shuffle).
type StageData struct {
	Status              string `json:"status"`
	StageID             int    `json:"stageId"`
	AttemptID           int    `json:"attemptId"`
	NumTasks            int    `json:"numTasks"`
	NumActiveTasks      int    `json:"numActiveTasks"`
	NumCompleteTasks    int    `json:"numCompleteTasks"`
	NumFailedTasks      int    `json:"numFailedTasks"`
	NumKilledTasks      int    `json:"numKilledTasks"`
	NumCompletedIndices int    `json:"numCompletedIndices"`

	SubmissionTime        *Date  `json:"submissionTime,omitempty"`
	FirstTaskLaunchedTime *Date  `json:"firstTaskLaunchedTime,omitempty"`
	CompletionTime        *Date  `json:"completionTime,omitempty"`
	FailureReason         string `json:"failureReason,omitempty"`

	ExecutorDeserializeTime          int64 `json:"executorDeserializeTime"`
	ExecutorDeserializeCPUTime       int64 `json:"executorDeserializeCpuTime"`
	ExecutorRunTime                  int64 `json:"executorRunTime"`
	ExecutorCPUTime                  int64 `json:"executorCpuTime"`
	ResultSize                       int64 `json:"resultSize"`
	JVMGCTime                        int64 `json:"jvmGcTime"`
	ResultSerializationTime          int64 `json:"resultSerializationTime"`
	MemoryBytesSpilled               int64 `json:"memoryBytesSpilled"`
	DiskBytesSpilled                 int64 `json:"diskBytesSpilled"`
	PeakExecutionMemory              int64 `json:"peakExecutionMemory"`
	PeakOnHeapExecutionMemory        int64 `json:"peakOnHeapExecutionMemory"`
	PeakOffHeapExecutionMemory       int64 `json:"peakOffHeapExecutionMemory"`
	InputBytes                       int64 `json:"inputBytes"`
	InputRecords                     int64 `json:"inputRecords"`
	OutputBytes                      int64 `json:"outputBytes"`
	OutputRecords                    int64 `json:"outputRecords"`
	ShuffleRemoteBlocksFetched       int64 `json:"shuffleRemoteBlocksFetched"`
	ShuffleLocalBlocksFetched        int64 `json:"shuffleLocalBlocksFetched"`
	ShuffleFetchWaitTime             int64 `json:"shuffleFetchWaitTime"`
	ShuffleRemoteBytesRead           int64 `json:"shuffleRemoteBytesRead"`
	ShuffleRemoteBytesReadToDisk     int64 `json:"shuffleRemoteBytesReadToDisk"`
	ShuffleLocalBytesRead            int64 `json:"shuffleLocalBytesRead"`
	ShuffleReadBytes                 int64 `json:"shuffleReadBytes"`
	ShuffleReadRecords               int64 `json:"shuffleReadRecords"`
	ShuffleCorruptMergedBlockChunks  int64 `json:"shuffleCorruptMergedBlockChunks"`
	ShuffleMergedFetchFallbackCount  int64 `json:"shuffleMergedFetchFallbackCount"`
	ShuffleMergedRemoteBlocksFetched int64 `json:"shuffleMergedRemoteBlocksFetched"`
	ShuffleMergedLocalBlocksFetched  int64 `json:"shuffleMergedLocalBlocksFetched"`
	ShuffleMergedRemoteChunksFetched int64 `json:"shuffleMergedRemoteChunksFetched"`
	ShuffleMergedLocalChunksFetched  int64 `json:"shuffleMergedLocalChunksFetched"`
	ShuffleMergedRemoteBytesRead     int64 `json:"shuffleMergedRemoteBytesRead"`
	ShuffleMergedLocalBytesRead      int64 `json:"shuffleMergedLocalBytesRead"`
	ShuffleRemoteReqsDuration        int64 `json:"shuffleRemoteReqsDuration"`
	ShuffleMergedRemoteReqsDuration  int64 `json:"shuffleMergedRemoteReqsDuration"`
	ShuffleWriteBytes                int64 `json:"shuffleWriteBytes"`
	ShuffleWriteTime                 int64 `json:"shuffleWriteTime"`
	ShuffleWriteRecords              int64 `json:"shuffleWriteRecords"`

	Name           string `json:"name"`
	Description    string `json:"description,omitempty"`
	Details        string `json:"details"`
	SchedulingPool string `json:"schedulingPool"`

	RDDIDs                       []int                           `json:"rddIds"`
	AccumulatorUpdates           []AccumulableInfo               `json:"accumulatorUpdates"`
	Tasks                        map[int64]TaskData              `json:"tasks,omitzero"`
	ExecutorSummary              map[string]ExecutorStageSummary `json:"executorSummary,omitzero"`
	SpeculationSummary           *SpeculationStageSummary        `json:"speculationSummary,omitempty"`
	KilledTasksSummary           map[string]int                  `json:"killedTasksSummary"`
	ResourceProfileID            int                             `json:"resourceProfileId"`
	PeakExecutorMetrics          map[string]int64                `json:"peakExecutorMetrics,omitempty"`
	TaskMetricsDistributions     *TaskMetricDistributions        `json:"taskMetricsDistributions,omitempty"`
	ExecutorMetricsDistributions map[string]any                  `json:"executorMetricsDistributions,omitempty"`
	IsShufflePushEnabled         bool                            `json:"isShufflePushEnabled"`
	ShuffleMergersCount          int                             `json:"shuffleMergersCount"`
}

// SpeculationStageSummary is api.scala's SpeculationStageSummary (Spark
// 4.0). gospark does not speculate, so stages carry none.
type SpeculationStageSummary struct {
	NumTasks          int `json:"numTasks"`
	NumActiveTasks    int `json:"numActiveTasks"`
	NumCompletedTasks int `json:"numCompletedTasks"`
	NumFailedTasks    int `json:"numFailedTasks"`
	NumKilledTasks    int `json:"numKilledTasks"`
}

// ExecutorStageSummary is api.scala's ExecutorStageSummary (Spark 4.0): one
// executor's share of a stage attempt.
type ExecutorStageSummary struct {
	TaskTime              int64            `json:"taskTime"`
	FailedTasks           int              `json:"failedTasks"`
	SucceededTasks        int              `json:"succeededTasks"`
	KilledTasks           int              `json:"killedTasks"`
	InputBytes            int64            `json:"inputBytes"`
	InputRecords          int64            `json:"inputRecords"`
	OutputBytes           int64            `json:"outputBytes"`
	OutputRecords         int64            `json:"outputRecords"`
	ShuffleRead           int64            `json:"shuffleRead"`
	ShuffleReadRecords    int64            `json:"shuffleReadRecords"`
	ShuffleWrite          int64            `json:"shuffleWrite"`
	ShuffleWriteRecords   int64            `json:"shuffleWriteRecords"`
	MemoryBytesSpilled    int64            `json:"memoryBytesSpilled"`
	DiskBytesSpilled      int64            `json:"diskBytesSpilled"`
	IsBlacklistedForStage bool             `json:"isBlacklistedForStage"`
	PeakMemoryMetrics     map[string]int64 `json:"peakMemoryMetrics,omitempty"`
	IsExcludedForStage    bool             `json:"isExcludedForStage"`
}

// TaskData is api.scala's TaskData (Spark 4.0). Duration is left out while
// it is 0 (Spark writes it only when positive); taskMetrics is left out until
// the task reported metrics.
type TaskData struct {
	TaskID             int64             `json:"taskId"`
	Index              int               `json:"index"`
	Attempt            int               `json:"attempt"`
	PartitionID        int               `json:"partitionId"`
	LaunchTime         Date              `json:"launchTime"`
	ResultFetchStart   *Date             `json:"resultFetchStart,omitempty"`
	Duration           *int64            `json:"duration,omitempty"`
	ExecutorID         string            `json:"executorId"`
	Host               string            `json:"host"`
	Status             string            `json:"status"`
	TaskLocality       string            `json:"taskLocality"`
	Speculative        bool              `json:"speculative"`
	AccumulatorUpdates []AccumulableInfo `json:"accumulatorUpdates"`
	ErrorMessage       string            `json:"errorMessage,omitempty"`
	TaskMetrics        *TaskMetrics      `json:"taskMetrics,omitempty"`
	ExecutorLogs       map[string]string `json:"executorLogs"`
	SchedulerDelay     int64             `json:"schedulerDelay"`
	GettingResultTime  int64             `json:"gettingResultTime"`
}

// TaskMetrics is api.scala's TaskMetrics (Spark 4.0).
type TaskMetrics struct {
	ExecutorDeserializeTime    int64               `json:"executorDeserializeTime"`
	ExecutorDeserializeCPUTime int64               `json:"executorDeserializeCpuTime"`
	ExecutorRunTime            int64               `json:"executorRunTime"`
	ExecutorCPUTime            int64               `json:"executorCpuTime"`
	ResultSize                 int64               `json:"resultSize"`
	JVMGCTime                  int64               `json:"jvmGcTime"`
	ResultSerializationTime    int64               `json:"resultSerializationTime"`
	MemoryBytesSpilled         int64               `json:"memoryBytesSpilled"`
	DiskBytesSpilled           int64               `json:"diskBytesSpilled"`
	PeakExecutionMemory        int64               `json:"peakExecutionMemory"`
	PeakOnHeapExecutionMemory  int64               `json:"peakOnHeapExecutionMemory"`
	PeakOffHeapExecutionMemory int64               `json:"peakOffHeapExecutionMemory"`
	InputMetrics               InputMetrics        `json:"inputMetrics"`
	OutputMetrics              OutputMetrics       `json:"outputMetrics"`
	ShuffleReadMetrics         ShuffleReadMetrics  `json:"shuffleReadMetrics"`
	ShuffleWriteMetrics        ShuffleWriteMetrics `json:"shuffleWriteMetrics"`
}

// InputMetrics is api.scala's InputMetrics (Spark 4.0).
type InputMetrics struct {
	BytesRead   int64 `json:"bytesRead"`
	RecordsRead int64 `json:"recordsRead"`
}

// OutputMetrics is api.scala's OutputMetrics (Spark 4.0).
type OutputMetrics struct {
	BytesWritten   int64 `json:"bytesWritten"`
	RecordsWritten int64 `json:"recordsWritten"`
}

// ShuffleReadMetrics is api.scala's ShuffleReadMetrics (Spark 4.0).
type ShuffleReadMetrics struct {
	RemoteBlocksFetched    int64                  `json:"remoteBlocksFetched"`
	LocalBlocksFetched     int64                  `json:"localBlocksFetched"`
	FetchWaitTime          int64                  `json:"fetchWaitTime"`
	RemoteBytesRead        int64                  `json:"remoteBytesRead"`
	RemoteBytesReadToDisk  int64                  `json:"remoteBytesReadToDisk"`
	LocalBytesRead         int64                  `json:"localBytesRead"`
	RecordsRead            int64                  `json:"recordsRead"`
	RemoteReqsDuration     int64                  `json:"remoteReqsDuration"`
	ShufflePushReadMetrics ShufflePushReadMetrics `json:"shufflePushReadMetrics"`
}

// ShufflePushReadMetrics is api.scala's ShufflePushReadMetrics (Spark 4.0);
// always zero in gospark.
type ShufflePushReadMetrics struct {
	CorruptMergedBlockChunks  int64 `json:"corruptMergedBlockChunks"`
	MergedFetchFallbackCount  int64 `json:"mergedFetchFallbackCount"`
	RemoteMergedBlocksFetched int64 `json:"remoteMergedBlocksFetched"`
	LocalMergedBlocksFetched  int64 `json:"localMergedBlocksFetched"`
	RemoteMergedChunksFetched int64 `json:"remoteMergedChunksFetched"`
	LocalMergedChunksFetched  int64 `json:"localMergedChunksFetched"`
	RemoteMergedBytesRead     int64 `json:"remoteMergedBytesRead"`
	LocalMergedBytesRead      int64 `json:"localMergedBytesRead"`
	RemoteMergedReqsDuration  int64 `json:"remoteMergedReqsDuration"`
}

// ShuffleWriteMetrics is api.scala's ShuffleWriteMetrics (Spark 4.0);
// writeTime is in nanoseconds.
type ShuffleWriteMetrics struct {
	BytesWritten   int64 `json:"bytesWritten"`
	WriteTime      int64 `json:"writeTime"`
	RecordsWritten int64 `json:"recordsWritten"`
}

// TaskMetricDistributions is api.scala's TaskMetricDistributions (Spark
// 4.0): for each metric, its value at each of the quantiles, over the stage
// attempt's successful tasks.
type TaskMetricDistributions struct {
	Quantiles []float64 `json:"quantiles"`

	Duration                   []float64 `json:"duration"`
	ExecutorDeserializeTime    []float64 `json:"executorDeserializeTime"`
	ExecutorDeserializeCPUTime []float64 `json:"executorDeserializeCpuTime"`
	ExecutorRunTime            []float64 `json:"executorRunTime"`
	ExecutorCPUTime            []float64 `json:"executorCpuTime"`
	ResultSize                 []float64 `json:"resultSize"`
	JVMGCTime                  []float64 `json:"jvmGcTime"`
	ResultSerializationTime    []float64 `json:"resultSerializationTime"`
	GettingResultTime          []float64 `json:"gettingResultTime"`
	SchedulerDelay             []float64 `json:"schedulerDelay"`
	PeakExecutionMemory        []float64 `json:"peakExecutionMemory"`
	PeakOnHeapExecutionMemory  []float64 `json:"peakOnHeapExecutionMemory"`
	PeakOffHeapExecutionMemory []float64 `json:"peakOffHeapExecutionMemory"`
	MemoryBytesSpilled         []float64 `json:"memoryBytesSpilled"`
	DiskBytesSpilled           []float64 `json:"diskBytesSpilled"`

	InputMetrics        InputMetricDistributions        `json:"inputMetrics"`
	OutputMetrics       OutputMetricDistributions       `json:"outputMetrics"`
	ShuffleReadMetrics  ShuffleReadMetricDistributions  `json:"shuffleReadMetrics"`
	ShuffleWriteMetrics ShuffleWriteMetricDistributions `json:"shuffleWriteMetrics"`
}

// InputMetricDistributions is api.scala's InputMetricDistributions (Spark 4.0).
type InputMetricDistributions struct {
	BytesRead   []float64 `json:"bytesRead"`
	RecordsRead []float64 `json:"recordsRead"`
}

// OutputMetricDistributions is api.scala's OutputMetricDistributions (Spark 4.0).
type OutputMetricDistributions struct {
	BytesWritten   []float64 `json:"bytesWritten"`
	RecordsWritten []float64 `json:"recordsWritten"`
}

// ShuffleReadMetricDistributions is api.scala's
// ShuffleReadMetricDistributions (Spark 4.0).
type ShuffleReadMetricDistributions struct {
	ReadBytes                  []float64                          `json:"readBytes"`
	ReadRecords                []float64                          `json:"readRecords"`
	RemoteBlocksFetched        []float64                          `json:"remoteBlocksFetched"`
	LocalBlocksFetched         []float64                          `json:"localBlocksFetched"`
	FetchWaitTime              []float64                          `json:"fetchWaitTime"`
	RemoteBytesRead            []float64                          `json:"remoteBytesRead"`
	RemoteBytesReadToDisk      []float64                          `json:"remoteBytesReadToDisk"`
	TotalBlocksFetched         []float64                          `json:"totalBlocksFetched"`
	RemoteReqsDuration         []float64                          `json:"remoteReqsDuration"`
	ShufflePushReadMetricsDist ShufflePushReadMetricDistributions `json:"shufflePushReadMetricsDist"`
}

// ShufflePushReadMetricDistributions is api.scala's
// ShufflePushReadMetricDistributions (Spark 4.0); always zeros in gospark.
type ShufflePushReadMetricDistributions struct {
	CorruptMergedBlockChunks  []float64 `json:"corruptMergedBlockChunks"`
	MergedFetchFallbackCount  []float64 `json:"mergedFetchFallbackCount"`
	RemoteMergedBlocksFetched []float64 `json:"remoteMergedBlocksFetched"`
	LocalMergedBlocksFetched  []float64 `json:"localMergedBlocksFetched"`
	RemoteMergedChunksFetched []float64 `json:"remoteMergedChunksFetched"`
	LocalMergedChunksFetched  []float64 `json:"localMergedChunksFetched"`
	RemoteMergedBytesRead     []float64 `json:"remoteMergedBytesRead"`
	LocalMergedBytesRead      []float64 `json:"localMergedBytesRead"`
	RemoteMergedReqsDuration  []float64 `json:"remoteMergedReqsDuration"`
}

// ShuffleWriteMetricDistributions is api.scala's
// ShuffleWriteMetricDistributions (Spark 4.0).
type ShuffleWriteMetricDistributions struct {
	WriteBytes   []float64 `json:"writeBytes"`
	WriteRecords []float64 `json:"writeRecords"`
	WriteTime    []float64 `json:"writeTime"`
}

// ExecutorSummary is api.scala's ExecutorSummary (Spark 4.0). The driver is
// the executor "driver".
type ExecutorSummary struct {
	ID                  string            `json:"id"`
	HostPort            string            `json:"hostPort"`
	IsActive            bool              `json:"isActive"`
	RDDBlocks           int               `json:"rddBlocks"`
	MemoryUsed          int64             `json:"memoryUsed"`
	DiskUsed            int64             `json:"diskUsed"`
	TotalCores          int               `json:"totalCores"`
	MaxTasks            int               `json:"maxTasks"`
	ActiveTasks         int               `json:"activeTasks"`
	FailedTasks         int               `json:"failedTasks"`
	CompletedTasks      int               `json:"completedTasks"`
	TotalTasks          int               `json:"totalTasks"`
	TotalDuration       int64             `json:"totalDuration"`
	TotalGCTime         int64             `json:"totalGCTime"`
	TotalInputBytes     int64             `json:"totalInputBytes"`
	TotalShuffleRead    int64             `json:"totalShuffleRead"`
	TotalShuffleWrite   int64             `json:"totalShuffleWrite"`
	IsBlacklisted       bool              `json:"isBlacklisted"`
	MaxMemory           int64             `json:"maxMemory"`
	AddTime             Date              `json:"addTime"`
	RemoveTime          *Date             `json:"removeTime,omitempty"`
	RemoveReason        string            `json:"removeReason,omitempty"`
	ExecutorLogs        map[string]string `json:"executorLogs"`
	MemoryMetrics       *MemoryMetrics    `json:"memoryMetrics,omitempty"`
	BlacklistedInStages []int             `json:"blacklistedInStages"`
	PeakMemoryMetrics   map[string]int64  `json:"peakMemoryMetrics,omitempty"`
	Attributes          map[string]string `json:"attributes"`
	Resources           map[string]any    `json:"resources"`
	ResourceProfileID   int               `json:"resourceProfileId"`
	IsExcluded          bool              `json:"isExcluded"`
	ExcludedInStages    []int             `json:"excludedInStages"`
}

// MemoryMetrics is api.scala's MemoryMetrics (Spark 4.0): storage memory.
type MemoryMetrics struct {
	UsedOnHeapStorageMemory   int64 `json:"usedOnHeapStorageMemory"`
	UsedOffHeapStorageMemory  int64 `json:"usedOffHeapStorageMemory"`
	TotalOnHeapStorageMemory  int64 `json:"totalOnHeapStorageMemory"`
	TotalOffHeapStorageMemory int64 `json:"totalOffHeapStorageMemory"`
}

// RDDStorageInfo is api.scala's RDDStorageInfo (Spark 4.0): a cached
// dataset. DataDistribution and Partitions are left out of lists.
type RDDStorageInfo struct {
	ID                  int                   `json:"id"`
	Name                string                `json:"name"`
	NumPartitions       int                   `json:"numPartitions"`
	NumCachedPartitions int                   `json:"numCachedPartitions"`
	StorageLevel        string                `json:"storageLevel"`
	MemoryUsed          int64                 `json:"memoryUsed"`
	DiskUsed            int64                 `json:"diskUsed"`
	DataDistribution    []RDDDataDistribution `json:"dataDistribution,omitzero"`
	Partitions          []RDDPartitionInfo    `json:"partitions,omitzero"`
}

// RDDDataDistribution is api.scala's RDDDataDistribution (Spark 4.0): a
// cached dataset's share on one executor.
type RDDDataDistribution struct {
	Address                string `json:"address"`
	MemoryUsed             int64  `json:"memoryUsed"`
	MemoryRemaining        int64  `json:"memoryRemaining"`
	DiskUsed               int64  `json:"diskUsed"`
	OnHeapMemoryUsed       *int64 `json:"onHeapMemoryUsed,omitempty"`
	OffHeapMemoryUsed      *int64 `json:"offHeapMemoryUsed,omitempty"`
	OnHeapMemoryRemaining  *int64 `json:"onHeapMemoryRemaining,omitempty"`
	OffHeapMemoryRemaining *int64 `json:"offHeapMemoryRemaining,omitempty"`
}

// RDDPartitionInfo is api.scala's RDDPartitionInfo (Spark 4.0): one cached
// block.
type RDDPartitionInfo struct {
	BlockName    string   `json:"blockName"`
	StorageLevel string   `json:"storageLevel"`
	MemoryUsed   int64    `json:"memoryUsed"`
	DiskUsed     int64    `json:"diskUsed"`
	Executors    []string `json:"executors"`
}

// AccumulableInfo is api.scala's AccumulableInfo (Spark 4.0).
type AccumulableInfo struct {
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	Update string `json:"update,omitempty"`
	Value  string `json:"value"`
}

// VersionInfo is api.scala's VersionInfo (Spark 4.0).
type VersionInfo struct {
	Spark string `json:"spark"`
}

// ApplicationEnvironmentInfo is api.scala's ApplicationEnvironmentInfo
// (Spark 4.0). Properties are [name, value] pairs sorted by name, written as
// Spark writes its tuples: [["spark.app.name", "x"], ...].
type ApplicationEnvironmentInfo struct {
	Runtime           RuntimeInfo           `json:"runtime"`
	SparkProperties   [][2]string           `json:"sparkProperties"`
	HadoopProperties  [][2]string           `json:"hadoopProperties"`
	SystemProperties  [][2]string           `json:"systemProperties"`
	MetricsProperties [][2]string           `json:"metricsProperties"`
	ClasspathEntries  [][2]string           `json:"classpathEntries"`
	ResourceProfiles  []ResourceProfileInfo `json:"resourceProfiles"`
}

// RuntimeInfo is api.scala's RuntimeInfo (Spark 4.0). gospark's driver fills
// Spark's "JVM Information" with the Go runtime's description.
type RuntimeInfo struct {
	JavaVersion  string `json:"javaVersion"`
	JavaHome     string `json:"javaHome"`
	ScalaVersion string `json:"scalaVersion"`
}

// ResourceProfileInfo is api.scala's ResourceProfileInfo (Spark 4.0).
type ResourceProfileInfo struct {
	ID                int                                `json:"id"`
	ExecutorResources map[string]ExecutorResourceRequest `json:"executorResources"`
	TaskResources     map[string]TaskResourceRequest     `json:"taskResources"`
}

// ExecutorResourceRequest is Spark's resource.ExecutorResourceRequest in
// JSON (Spark 4.0).
type ExecutorResourceRequest struct {
	ResourceName    string `json:"resourceName"`
	Amount          int64  `json:"amount"`
	DiscoveryScript string `json:"discoveryScript"`
	Vendor          string `json:"vendor"`
}

// TaskResourceRequest is Spark's resource.TaskResourceRequest in JSON
// (Spark 4.0).
type TaskResourceRequest struct {
	ResourceName string  `json:"resourceName"`
	Amount       float64 `json:"amount"`
}
