package status_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/gospark/gospark/internal/status"
)

// sparkFields are the JSON field names of each class of Spark's REST API
// model, written out from apache/spark
// core/src/main/scala/org/apache/spark/status/api/v1/api.scala (Spark 4.0,
// read at commit a7742058f3de):
// the constructor parameters in order, plus, for ApplicationAttemptInfo, the
// three epoch getters its @JsonIgnoreProperties(allowGetters = true) lets
// Jackson write. A field renamed, added or dropped on either side fails the
// test.
var sparkFields = map[reflect.Type][]string{
	reflect.TypeFor[status.ApplicationInfo](): {"id", "name", "coresGranted", "maxCores", "coresPerExecutor", "memoryPerExecutorMB", "attempts"},
	reflect.TypeFor[status.ApplicationAttemptInfo](): {"attemptId", "startTime", "endTime", "lastUpdated", "duration", "sparkUser", "completed",
		"appSparkVersion", "startTimeEpoch", "endTimeEpoch", "lastUpdatedEpoch"},
	reflect.TypeFor[status.JobData](): {"jobId", "name", "description", "submissionTime", "completionTime", "stageIds", "jobGroup", "jobTags",
		"status", "numTasks", "numActiveTasks", "numCompletedTasks", "numSkippedTasks", "numFailedTasks", "numKilledTasks",
		"numCompletedIndices", "numActiveStages", "numCompletedStages", "numSkippedStages", "numFailedStages", "killedTasksSummary"},
	reflect.TypeFor[status.StageData](): {"status", "stageId", "attemptId", "numTasks", "numActiveTasks", "numCompleteTasks", "numFailedTasks",
		"numKilledTasks", "numCompletedIndices",
		"submissionTime", "firstTaskLaunchedTime", "completionTime", "failureReason",
		"executorDeserializeTime", "executorDeserializeCpuTime", "executorRunTime", "executorCpuTime", "resultSize",
		"jvmGcTime", "resultSerializationTime", "memoryBytesSpilled", "diskBytesSpilled", "peakExecutionMemory",
		"peakOnHeapExecutionMemory", "peakOffHeapExecutionMemory", "inputBytes", "inputRecords", "outputBytes",
		"outputRecords", "shuffleRemoteBlocksFetched", "shuffleLocalBlocksFetched", "shuffleFetchWaitTime",
		"shuffleRemoteBytesRead", "shuffleRemoteBytesReadToDisk", "shuffleLocalBytesRead", "shuffleReadBytes",
		"shuffleReadRecords", "shuffleCorruptMergedBlockChunks", "shuffleMergedFetchFallbackCount",
		"shuffleMergedRemoteBlocksFetched", "shuffleMergedLocalBlocksFetched", "shuffleMergedRemoteChunksFetched",
		"shuffleMergedLocalChunksFetched", "shuffleMergedRemoteBytesRead", "shuffleMergedLocalBytesRead",
		"shuffleRemoteReqsDuration", "shuffleMergedRemoteReqsDuration", "shuffleWriteBytes", "shuffleWriteTime",
		"shuffleWriteRecords",
		"name", "description", "details", "schedulingPool",
		"rddIds", "accumulatorUpdates", "tasks", "executorSummary", "speculationSummary", "killedTasksSummary",
		"resourceProfileId", "peakExecutorMetrics", "taskMetricsDistributions", "executorMetricsDistributions",
		"isShufflePushEnabled", "shuffleMergersCount"},
	reflect.TypeFor[status.SpeculationStageSummary](): {"numTasks", "numActiveTasks", "numCompletedTasks", "numFailedTasks", "numKilledTasks"},
	reflect.TypeFor[status.ExecutorStageSummary](): {"taskTime", "failedTasks", "succeededTasks", "killedTasks", "inputBytes", "inputRecords",
		"outputBytes", "outputRecords", "shuffleRead", "shuffleReadRecords", "shuffleWrite", "shuffleWriteRecords",
		"memoryBytesSpilled", "diskBytesSpilled", "isBlacklistedForStage", "peakMemoryMetrics", "isExcludedForStage"},
	reflect.TypeFor[status.TaskData](): {"taskId", "index", "attempt", "partitionId", "launchTime", "resultFetchStart", "duration", "executorId",
		"host", "status", "taskLocality", "speculative", "accumulatorUpdates", "errorMessage", "taskMetrics",
		"executorLogs", "schedulerDelay", "gettingResultTime"},
	reflect.TypeFor[status.TaskMetrics](): {"executorDeserializeTime", "executorDeserializeCpuTime", "executorRunTime", "executorCpuTime",
		"resultSize", "jvmGcTime", "resultSerializationTime", "memoryBytesSpilled", "diskBytesSpilled",
		"peakExecutionMemory", "peakOnHeapExecutionMemory", "peakOffHeapExecutionMemory", "inputMetrics",
		"outputMetrics", "shuffleReadMetrics", "shuffleWriteMetrics"},
	reflect.TypeFor[status.InputMetrics]():  {"bytesRead", "recordsRead"},
	reflect.TypeFor[status.OutputMetrics](): {"bytesWritten", "recordsWritten"},
	reflect.TypeFor[status.ShuffleReadMetrics](): {"remoteBlocksFetched", "localBlocksFetched", "fetchWaitTime", "remoteBytesRead",
		"remoteBytesReadToDisk", "localBytesRead", "recordsRead", "remoteReqsDuration", "shufflePushReadMetrics"},
	reflect.TypeFor[status.ShufflePushReadMetrics](): {"corruptMergedBlockChunks", "mergedFetchFallbackCount", "remoteMergedBlocksFetched",
		"localMergedBlocksFetched", "remoteMergedChunksFetched", "localMergedChunksFetched", "remoteMergedBytesRead",
		"localMergedBytesRead", "remoteMergedReqsDuration"},
	reflect.TypeFor[status.ShuffleWriteMetrics](): {"bytesWritten", "writeTime", "recordsWritten"},
	reflect.TypeFor[status.TaskMetricDistributions](): {"quantiles", "duration", "executorDeserializeTime", "executorDeserializeCpuTime",
		"executorRunTime", "executorCpuTime", "resultSize", "jvmGcTime", "resultSerializationTime", "gettingResultTime",
		"schedulerDelay", "peakExecutionMemory", "peakOnHeapExecutionMemory", "peakOffHeapExecutionMemory",
		"memoryBytesSpilled", "diskBytesSpilled", "inputMetrics", "outputMetrics", "shuffleReadMetrics",
		"shuffleWriteMetrics"},
	reflect.TypeFor[status.InputMetricDistributions]():  {"bytesRead", "recordsRead"},
	reflect.TypeFor[status.OutputMetricDistributions](): {"bytesWritten", "recordsWritten"},
	reflect.TypeFor[status.ShuffleReadMetricDistributions](): {"readBytes", "readRecords", "remoteBlocksFetched", "localBlocksFetched",
		"fetchWaitTime", "remoteBytesRead", "remoteBytesReadToDisk", "totalBlocksFetched", "remoteReqsDuration",
		"shufflePushReadMetricsDist"},
	reflect.TypeFor[status.ShufflePushReadMetricDistributions](): {"corruptMergedBlockChunks", "mergedFetchFallbackCount",
		"remoteMergedBlocksFetched", "localMergedBlocksFetched", "remoteMergedChunksFetched", "localMergedChunksFetched",
		"remoteMergedBytesRead", "localMergedBytesRead", "remoteMergedReqsDuration"},
	reflect.TypeFor[status.ShuffleWriteMetricDistributions](): {"writeBytes", "writeRecords", "writeTime"},
	reflect.TypeFor[status.ExecutorSummary](): {"id", "hostPort", "isActive", "rddBlocks", "memoryUsed", "diskUsed", "totalCores", "maxTasks",
		"activeTasks", "failedTasks", "completedTasks", "totalTasks", "totalDuration", "totalGCTime", "totalInputBytes",
		"totalShuffleRead", "totalShuffleWrite", "isBlacklisted", "maxMemory", "addTime", "removeTime", "removeReason",
		"executorLogs", "memoryMetrics", "blacklistedInStages", "peakMemoryMetrics", "attributes", "resources",
		"resourceProfileId", "isExcluded", "excludedInStages"},
	reflect.TypeFor[status.MemoryMetrics](): {"usedOnHeapStorageMemory", "usedOffHeapStorageMemory", "totalOnHeapStorageMemory",
		"totalOffHeapStorageMemory"},
	reflect.TypeFor[status.RDDStorageInfo](): {"id", "name", "numPartitions", "numCachedPartitions", "storageLevel", "memoryUsed", "diskUsed",
		"dataDistribution", "partitions"},
	reflect.TypeFor[status.RDDDataDistribution](): {"address", "memoryUsed", "memoryRemaining", "diskUsed", "onHeapMemoryUsed",
		"offHeapMemoryUsed", "onHeapMemoryRemaining", "offHeapMemoryRemaining"},
	reflect.TypeFor[status.RDDPartitionInfo](): {"blockName", "storageLevel", "memoryUsed", "diskUsed", "executors"},
	reflect.TypeFor[status.AccumulableInfo]():  {"id", "name", "update", "value"},
	reflect.TypeFor[status.VersionInfo]():      {"spark"},
	reflect.TypeFor[status.ApplicationEnvironmentInfo](): {"runtime", "sparkProperties", "hadoopProperties", "systemProperties",
		"metricsProperties", "classpathEntries", "resourceProfiles"},
	reflect.TypeFor[status.RuntimeInfo]():         {"javaVersion", "javaHome", "scalaVersion"},
	reflect.TypeFor[status.ResourceProfileInfo](): {"id", "executorResources", "taskResources"},
	// Spark's resource.ExecutorResourceRequest and TaskResourceRequest
	// (core/src/main/scala/org/apache/spark/resource/, Spark 4.0).
	reflect.TypeFor[status.ExecutorResourceRequest](): {"resourceName", "amount", "discoveryScript", "vendor"},
	reflect.TypeFor[status.TaskResourceRequest]():     {"resourceName", "amount"},
}

func jsonFields(t reflect.Type) []string {
	var out []string
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		out = append(out, name)
	}
	return out
}

func TestModelFieldsAreSparks(t *testing.T) {
	for typ, want := range sparkFields {
		got := jsonFields(typ)
		if !slices.Equal(got, want) {
			t.Errorf("%s's JSON fields:\n got %v\nwant %v", typ.Name(), got, want)
		}
	}
}

// TestEveryModelTypeChecked makes a new model type come with its Spark list.
func TestEveryModelTypeChecked(t *testing.T) {
	seen := map[reflect.Type]bool{}
	for typ := range sparkFields {
		seen[typ] = true
	}
	var walk func(reflect.Type)
	walk = func(typ reflect.Type) {
		for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice || typ.Kind() == reflect.Map || typ.Kind() == reflect.Array {
			typ = typ.Elem()
		}
		if typ.Kind() != reflect.Struct || typ.PkgPath() != reflect.TypeOf(status.Date(0)).PkgPath() {
			return
		}
		if !seen[typ] {
			t.Errorf("%s has no Spark field list", typ.Name())
			return
		}
		for f := range typ.Fields() {
			walk(f.Type)
		}
	}
	for typ := range sparkFields {
		walk(typ)
	}
}
