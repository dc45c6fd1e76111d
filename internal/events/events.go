// Package events defines the application's listener events with the names
// and JSON field names of Spark's JsonProtocol (SparkListenerJobStart,
// "Job ID", "Stage Infos", ...), so that an event log gospark writes reads
// like one Spark writes, and the bus that delivers them to listeners (the
// live UI's status store, the event log, metrics).
//
// Times are milliseconds since the Unix epoch, as in Spark.
package events

// Event is one listener event. Name is Spark's event name, the value of the
// "Event" field in the log.
type Event interface {
	Name() string
}

// Spark's event names.
const (
	NameLogStart          = "SparkListenerLogStart"
	NameApplicationStart  = "SparkListenerApplicationStart"
	NameApplicationEnd    = "SparkListenerApplicationEnd"
	NameEnvironmentUpdate = "SparkListenerEnvironmentUpdate"
	NameJobStart          = "SparkListenerJobStart"
	NameJobEnd            = "SparkListenerJobEnd"
	NameStageSubmitted    = "SparkListenerStageSubmitted"
	NameStageCompleted    = "SparkListenerStageCompleted"
	NameTaskStart         = "SparkListenerTaskStart"
	NameTaskEnd           = "SparkListenerTaskEnd"
	NameExecutorAdded     = "SparkListenerExecutorAdded"
	NameExecutorRemoved   = "SparkListenerExecutorRemoved"
	NameBlockManagerAdded = "SparkListenerBlockManagerAdded"
	NameBlockManagerGone  = "SparkListenerBlockManagerRemoved"
	NameBlockUpdated      = "SparkListenerBlockUpdated"
	NameUnpersistRDD      = "SparkListenerUnpersistRDD"
)

// LogStart opens every event log: the version that wrote it.
type LogStart struct {
	Event        string `json:"Event"`
	SparkVersion string `json:"Spark Version"`
}

// ApplicationStart is posted when the session starts.
type ApplicationStart struct {
	Event        string            `json:"Event"`
	AppName      string            `json:"App Name"`
	AppID        string            `json:"App ID,omitempty"`
	Timestamp    int64             `json:"Timestamp"`
	User         string            `json:"User"`
	AppAttemptID string            `json:"App Attempt ID,omitempty"`
	DriverLogs   map[string]string `json:"Driver Logs,omitempty"`
}

// ApplicationEnd is posted when the session stops.
type ApplicationEnd struct {
	Event     string `json:"Event"`
	Timestamp int64  `json:"Timestamp"`
	// ExitCode is Spark 4's optional field; gospark leaves it out.
	ExitCode *int `json:"ExitCode,omitempty"`
}

// EnvironmentUpdate carries the application's properties (secrets already
// redacted) and the runtime's description. Spark's "JVM Information" holds
// the Go runtime's here.
type EnvironmentUpdate struct {
	Event             string            `json:"Event"`
	JVMInformation    map[string]string `json:"JVM Information"`
	SparkProperties   map[string]string `json:"Spark Properties"`
	HadoopProperties  map[string]string `json:"Hadoop Properties"`
	SystemProperties  map[string]string `json:"System Properties"`
	MetricsProperties map[string]string `json:"Metrics Properties"`
	ClasspathEntries  map[string]string `json:"Classpath Entries"`
}

// JobStart is posted when an action's job is submitted; StageInfos lists
// every stage the job may run (parents that are already computed are
// later shown as skipped).
type JobStart struct {
	Event          string            `json:"Event"`
	JobID          int               `json:"Job ID"`
	SubmissionTime int64             `json:"Submission Time"`
	StageInfos     []StageInfo       `json:"Stage Infos"`
	StageIDs       []int             `json:"Stage IDs"`
	Properties     map[string]string `json:"Properties"`
}

// JobEnd is posted when a job succeeds or fails.
type JobEnd struct {
	Event          string    `json:"Event"`
	JobID          int       `json:"Job ID"`
	CompletionTime int64     `json:"Completion Time"`
	JobResult      JobResult `json:"Job Result"`
}

// JobResult is {"Result": "JobSucceeded"} or {"Result": "JobFailed",
// "Exception": {...}}.
type JobResult struct {
	Result    string     `json:"Result"`
	Exception *Exception `json:"Exception,omitempty"`
}

// Job results.
const (
	JobSucceeded = "JobSucceeded"
	JobFailed    = "JobFailed"
)

// Exception is Spark's JSON form of a Throwable. Go errors have no Java
// stack trace; Stack Trace is empty and the message carries the error.
type Exception struct {
	Message    string            `json:"Message"`
	StackTrace []StackTraceEntry `json:"Stack Trace"`
}

// StackTraceEntry is one frame of a Java stack trace.
type StackTraceEntry struct {
	DeclaringClass string `json:"Declaring Class"`
	MethodName     string `json:"Method Name"`
	FileName       string `json:"File Name"`
	LineNumber     int    `json:"Line Number"`
}

// StageSubmitted is posted when a stage attempt's tasks are submitted.
type StageSubmitted struct {
	Event      string            `json:"Event"`
	StageInfo  StageInfo         `json:"Stage Info"`
	Properties map[string]string `json:"Properties"`
}

// StageCompleted is posted when a stage attempt ends; StageInfo's
// "Failure Reason" is set when it failed.
type StageCompleted struct {
	Event     string    `json:"Event"`
	StageInfo StageInfo `json:"Stage Info"`
}

// StageInfo describes one attempt of a stage.
type StageInfo struct {
	StageID           int           `json:"Stage ID"`
	StageAttemptID    int           `json:"Stage Attempt ID"`
	StageName         string        `json:"Stage Name"`
	NumberOfTasks     int           `json:"Number of Tasks"`
	RDDInfo           []RDDInfo     `json:"RDD Info"`
	ParentIDs         []int         `json:"Parent IDs"`
	Details           string        `json:"Details"`
	SubmissionTime    *int64        `json:"Submission Time,omitempty"`
	CompletionTime    *int64        `json:"Completion Time,omitempty"`
	FailureReason     *string       `json:"Failure Reason,omitempty"`
	Accumulables      []Accumulable `json:"Accumulables"`
	ResourceProfileID int           `json:"Resource Profile Id"`
}

// RDDInfo describes a dataset of a stage's lineage.
type RDDInfo struct {
	RDDID                    int64        `json:"RDD ID"`
	Name                     string       `json:"Name"`
	Scope                    string       `json:"Scope,omitempty"`
	Callsite                 string       `json:"Callsite"`
	ParentIDs                []int64      `json:"Parent IDs"`
	StorageLevel             StorageLevel `json:"Storage Level"`
	Barrier                  bool         `json:"Barrier"`
	DeterministicLevel       string       `json:"DeterministicLevel"`
	NumberOfPartitions       int          `json:"Number of Partitions"`
	NumberOfCachedPartitions int          `json:"Number of Cached Partitions"`
	MemorySize               int64        `json:"Memory Size"`
	DiskSize                 int64        `json:"Disk Size"`
}

// StorageLevel is Spark's storage level in JSON.
type StorageLevel struct {
	UseDisk      bool `json:"Use Disk"`
	UseMemory    bool `json:"Use Memory"`
	UseOffHeap   bool `json:"Use Off Heap"`
	Deserialized bool `json:"Deserialized"`
	Replication  int  `json:"Replication"`
}

// Accumulable is an accumulator's update or value in a stage or task.
type Accumulable struct {
	ID                int64  `json:"ID"`
	Name              string `json:"Name"`
	Update            any    `json:"Update,omitempty"`
	Value             any    `json:"Value"`
	Internal          bool   `json:"Internal"`
	CountFailedValues bool   `json:"Count Failed Values"`
}

// TaskStart is posted when a task attempt is launched on an executor.
type TaskStart struct {
	Event          string   `json:"Event"`
	StageID        int      `json:"Stage ID"`
	StageAttemptID int      `json:"Stage Attempt ID"`
	TaskInfo       TaskInfo `json:"Task Info"`
}

// TaskEnd is posted when a task attempt ends, with its metrics.
type TaskEnd struct {
	Event          string        `json:"Event"`
	StageID        int           `json:"Stage ID"`
	StageAttemptID int           `json:"Stage Attempt ID"`
	TaskType       string        `json:"Task Type"` // ShuffleMapTask or ResultTask
	TaskEndReason  TaskEndReason `json:"Task End Reason"`
	TaskInfo       TaskInfo      `json:"Task Info"`
	TaskMetrics    *TaskMetrics  `json:"Task Metrics,omitempty"`
}

// TaskInfo describes a task attempt. FinishTime is 0 while it runs.
type TaskInfo struct {
	TaskID            int64         `json:"Task ID"`
	Index             int           `json:"Index"`
	Attempt           int           `json:"Attempt"`
	PartitionID       int           `json:"Partition ID"`
	LaunchTime        int64         `json:"Launch Time"`
	ExecutorID        string        `json:"Executor ID"`
	Host              string        `json:"Host"`
	Locality          string        `json:"Locality"`
	Speculative       bool          `json:"Speculative"`
	GettingResultTime int64         `json:"Getting Result Time"`
	FinishTime        int64         `json:"Finish Time"`
	Failed            bool          `json:"Failed"`
	Killed            bool          `json:"Killed"`
	Accumulables      []Accumulable `json:"Accumulables"`
}

// TaskEndReason is {"Reason": "Success"} or a failure: ExceptionFailure
// (Class Name, Description, Stack Trace, Full Stack Trace), FetchFailed
// (Block Manager Address, Shuffle ID, Map ID, Map Index, Reduce ID,
// Message), ExecutorLostFailure (Executor ID, Exit Caused By App, Loss
// Reason) or TaskKilled (Kill Reason).
type TaskEndReason struct {
	Reason string `json:"Reason"`

	ClassName      string            `json:"Class Name,omitempty"`
	Description    string            `json:"Description,omitempty"`
	StackTrace     []StackTraceEntry `json:"Stack Trace,omitempty"`
	FullStackTrace string            `json:"Full Stack Trace,omitempty"`

	BlockManagerAddress *BlockManagerID `json:"Block Manager Address,omitempty"`
	ShuffleID           *int64          `json:"Shuffle ID,omitempty"`
	MapID               *int64          `json:"Map ID,omitempty"`
	MapIndex            *int            `json:"Map Index,omitempty"`
	ReduceID            *int            `json:"Reduce ID,omitempty"`
	Message             string          `json:"Message,omitempty"`

	ExecutorID      string `json:"Executor ID,omitempty"`
	ExitCausedByApp *bool  `json:"Exit Caused By App,omitempty"`
	LossReason      string `json:"Loss Reason,omitempty"`
	KillReason      string `json:"Kill Reason,omitempty"`
}

// Task end reasons.
const (
	ReasonSuccess      = "Success"
	ReasonException    = "ExceptionFailure"
	ReasonFetchFailed  = "FetchFailed"
	ReasonExecutorLost = "ExecutorLostFailure"
	ReasonKilled       = "TaskKilled"
)

// Failed reports whether the task ended other than in success.
func (r TaskEndReason) Failed() bool { return r.Reason != ReasonSuccess }

// Text is the one-line description of a failure the UI shows.
func (r TaskEndReason) Text() string {
	switch r.Reason {
	case ReasonSuccess:
		return ""
	case ReasonException:
		return r.Description
	case ReasonFetchFailed:
		return "FetchFailed: " + r.Message
	case ReasonExecutorLost:
		return "ExecutorLostFailure (executor " + r.ExecutorID + " exited): " + r.LossReason
	case ReasonKilled:
		return "TaskKilled (" + r.KillReason + ")"
	}
	return r.Reason
}

// TaskMetrics are what a task measured (Spark's TaskMetrics). Times are
// milliseconds except Shuffle Write Time (nanoseconds) and the CPU times
// (nanoseconds), as in Spark.
type TaskMetrics struct {
	ExecutorDeserializeTime    int64               `json:"Executor Deserialize Time"`
	ExecutorDeserializeCPUTime int64               `json:"Executor Deserialize CPU Time"`
	ExecutorRunTime            int64               `json:"Executor Run Time"`
	ExecutorCPUTime            int64               `json:"Executor CPU Time"`
	PeakExecutionMemory        int64               `json:"Peak Execution Memory"`
	ResultSize                 int64               `json:"Result Size"`
	JVMGCTime                  int64               `json:"JVM GC Time"`
	ResultSerializationTime    int64               `json:"Result Serialization Time"`
	MemoryBytesSpilled         int64               `json:"Memory Bytes Spilled"`
	DiskBytesSpilled           int64               `json:"Disk Bytes Spilled"`
	ShuffleReadMetrics         ShuffleReadMetrics  `json:"Shuffle Read Metrics"`
	ShuffleWriteMetrics        ShuffleWriteMetrics `json:"Shuffle Write Metrics"`
	InputMetrics               InputMetrics        `json:"Input Metrics"`
	OutputMetrics              OutputMetrics       `json:"Output Metrics"`
	UpdatedBlocks              []UpdatedBlock      `json:"Updated Blocks"`
}

// ShuffleReadMetrics are a reduce task's shuffle fetches.
type ShuffleReadMetrics struct {
	RemoteBlocksFetched   int64 `json:"Remote Blocks Fetched"`
	LocalBlocksFetched    int64 `json:"Local Blocks Fetched"`
	FetchWaitTime         int64 `json:"Fetch Wait Time"`
	RemoteBytesRead       int64 `json:"Remote Bytes Read"`
	RemoteBytesReadToDisk int64 `json:"Remote Bytes Read To Disk"`
	LocalBytesRead        int64 `json:"Local Bytes Read"`
	TotalRecordsRead      int64 `json:"Total Records Read"`
}

// ShuffleWriteMetrics are a map task's shuffle output.
type ShuffleWriteMetrics struct {
	ShuffleBytesWritten   int64 `json:"Shuffle Bytes Written"`
	ShuffleWriteTime      int64 `json:"Shuffle Write Time"`
	ShuffleRecordsWritten int64 `json:"Shuffle Records Written"`
}

// InputMetrics are what a task read from its source (files, parallelized
// collections).
type InputMetrics struct {
	BytesRead   int64 `json:"Bytes Read"`
	RecordsRead int64 `json:"Records Read"`
}

// OutputMetrics are what a task wrote to files (SaveAsTextFile).
type OutputMetrics struct {
	BytesWritten   int64 `json:"Bytes Written"`
	RecordsWritten int64 `json:"Records Written"`
}

// UpdatedBlock is a block a task stored or dropped.
type UpdatedBlock struct {
	BlockID string      `json:"Block ID"`
	Status  BlockStatus `json:"Status"`
}

// BlockStatus is where and how big a block is.
type BlockStatus struct {
	StorageLevel StorageLevel `json:"Storage Level"`
	MemorySize   int64        `json:"Memory Size"`
	DiskSize     int64        `json:"Disk Size"`
}

// ExecutorAdded is posted when an executor registers (the driver in
// local[N] is executor "driver", announced by BlockManagerAdded only, as
// in Spark).
type ExecutorAdded struct {
	Event        string       `json:"Event"`
	Timestamp    int64        `json:"Timestamp"`
	ExecutorID   string       `json:"Executor ID"`
	ExecutorInfo ExecutorInfo `json:"Executor Info"`
}

// ExecutorInfo describes an executor. Log Urls maps "stdout"/"stderr" to
// where the UI can read its log.
type ExecutorInfo struct {
	Host              string            `json:"Host"`
	TotalCores        int               `json:"Total Cores"`
	LogURLs           map[string]string `json:"Log Urls"`
	Attributes        map[string]string `json:"Attributes"`
	Resources         map[string]any    `json:"Resources"`
	ResourceProfileID int               `json:"Resource Profile Id"`
}

// ExecutorRemoved is posted when an executor is lost or released.
type ExecutorRemoved struct {
	Event         string `json:"Event"`
	Timestamp     int64  `json:"Timestamp"`
	ExecutorID    string `json:"Executor ID"`
	RemovedReason string `json:"Removed Reason"`
}

// BlockManagerID names a block manager: its executor and address.
type BlockManagerID struct {
	ExecutorID string `json:"Executor ID"`
	Host       string `json:"Host"`
	Port       int    `json:"Port"`
}

// BlockManagerAdded is posted when an executor's (or the driver's) block
// store starts, with the memory it may use for cached blocks.
type BlockManagerAdded struct {
	Event            string         `json:"Event"`
	BlockManagerID   BlockManagerID `json:"Block Manager ID"`
	MaximumMemory    int64          `json:"Maximum Memory"`
	Timestamp        int64          `json:"Timestamp"`
	MaximumOnheapMem *int64         `json:"Maximum Onheap Memory,omitempty"`
}

// BlockManagerRemoved is posted when an executor's block store is gone.
type BlockManagerRemoved struct {
	Event          string         `json:"Event"`
	BlockManagerID BlockManagerID `json:"Block Manager ID"`
	Timestamp      int64          `json:"Timestamp"`
}

// BlockUpdated is posted when a cached block is stored or dropped. As in
// Spark, the event log leaves it out unless
// spark.eventLog.logBlockUpdates.enabled is set.
type BlockUpdated struct {
	Event           string          `json:"Event"`
	BlockUpdateInfo BlockUpdateInfo `json:"Block Updated Info"`
}

// BlockUpdateInfo is one block's new state; a level with neither memory
// nor disk means the block was removed.
type BlockUpdateInfo struct {
	BlockManagerID BlockManagerID `json:"Block Manager ID"`
	BlockID        string         `json:"Block ID"`
	StorageLevel   StorageLevel   `json:"Storage Level"`
	MemorySize     int64          `json:"Memory Size"`
	DiskSize       int64          `json:"Disk Size"`
}

// UnpersistRDD is posted when a cached dataset is unpersisted.
type UnpersistRDD struct {
	Event string `json:"Event"`
	RDDID int64  `json:"RDD ID"`
}

func (*LogStart) Name() string            { return NameLogStart }
func (*ApplicationStart) Name() string    { return NameApplicationStart }
func (*ApplicationEnd) Name() string      { return NameApplicationEnd }
func (*EnvironmentUpdate) Name() string   { return NameEnvironmentUpdate }
func (*JobStart) Name() string            { return NameJobStart }
func (*JobEnd) Name() string              { return NameJobEnd }
func (*StageSubmitted) Name() string      { return NameStageSubmitted }
func (*StageCompleted) Name() string      { return NameStageCompleted }
func (*TaskStart) Name() string           { return NameTaskStart }
func (*TaskEnd) Name() string             { return NameTaskEnd }
func (*ExecutorAdded) Name() string       { return NameExecutorAdded }
func (*ExecutorRemoved) Name() string     { return NameExecutorRemoved }
func (*BlockManagerAdded) Name() string   { return NameBlockManagerAdded }
func (*BlockManagerRemoved) Name() string { return NameBlockManagerGone }
func (*BlockUpdated) Name() string        { return NameBlockUpdated }
func (*UnpersistRDD) Name() string        { return NameUnpersistRDD }
