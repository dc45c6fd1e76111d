// Package metrics serves an application's metrics in Prometheus' text
// format with the names Spark uses, so that dashboards and alerts written
// for Spark work unchanged. There are two endpoints, each backed by a
// private prometheus.Registry (one per application, never the global one):
//
// The driver's, /metrics/prometheus, is Spark's PrometheusServlet sink over
// the driver's metric sources. A Driver is an events.Listener that counts
// jobs, stages, tasks and events; gauges Spark reads from live objects
// (waiting stages, block manager memory) come from callbacks in
// DriverConfig. Every name starts with metrics_<namespace>_driver_, where
// namespace is spark.metrics.namespace or else the application id, with
// every character other than a letter or digit replaced by "_". A gauge is
// exported twice, as <name>_Number and <name>_Value, labelled
// type="gauges"; a counter as <name>_Count, labelled type="counters":
//
//	DAGScheduler_job_allJobs              gauge: jobs submitted
//	DAGScheduler_job_activeJobs           gauge: jobs running
//	DAGScheduler_stage_runningStages      gauge: stages with an attempt running
//	DAGScheduler_stage_failedStages       gauge: stages whose last attempt failed while their job still runs
//	DAGScheduler_stage_waitingStages      gauge: stages waiting for their parents (with DriverConfig.WaitingStages)
//	LiveListenerBus_numEventsPosted       counter: events delivered to the metrics listener
//	LiveListenerBus_queue_<q>_numDroppedEvents  counter: events queue q dropped (with DriverConfig.Dropped)
//	BlockManager_memory_maxMem_MB, _maxOnHeapMem_MB, _maxOffHeapMem_MB,
//	BlockManager_memory_memUsed_MB, _onHeapMemUsed_MB, _offHeapMemUsed_MB,
//	BlockManager_memory_remainingMem_MB, _remainingOnHeapMem_MB, _remainingOffHeapMem_MB,
//	BlockManager_disk_diskSpaceUsed_MB    gauges: storage memory of all block managers, in MiB
//	                                      (with DriverConfig.Storage; gospark has no off-heap memory: 0)
//
// In local mode (DriverConfig.LocalExecutor) the driver runs the tasks, and,
// as Spark does there, the executor source is exported under the driver
// (metrics_<namespace>_driver_executor_...): gauges threadpool_activeTasks,
// threadpool_startedTasks, threadpool_completeTasks (tasks that ended, in
// any way) and threadpool_maxPool_size (the task slots), and counters summed
// over the tasks that succeeded: succeededTasks, runTime (ms), resultSize,
// shuffleFetchWaitTime (ms), shuffleWriteTime (ns), shuffleTotalBytesRead,
// shuffleLocalBytesRead, shuffleRemoteBytesRead, shuffleRemoteBytesReadToDisk,
// shuffleLocalBlocksFetched, shuffleRemoteBlocksFetched, shuffleRecordsRead,
// shuffleBytesWritten, shuffleRecordsWritten, bytesRead, recordsRead,
// bytesWritten, recordsWritten, memoryBytesSpilled, diskBytesSpilled.
// Spark's sources gospark cannot fill honestly are left out: timers
// (DAGScheduler messageProcessingTime, listener processing times), JVM and
// GC sources, the listener queues' sizes, cpuTime and the
// (de)serialization times.
//
// The executors' endpoint, /metrics/executors/prometheus
// (spark.ui.prometheus.enabled), is Spark's PrometheusResource: for every
// active executor, metrics_executor_<name>{application_id="...",
// application_name="...", executor_id="..."} for rddBlocks,
// memoryUsed_bytes, diskUsed_bytes, totalCores, maxTasks, activeTasks,
// failedTasks_total, completedTasks_total, totalTasks_total,
// totalDuration_seconds_total, totalGCTime_seconds_total,
// totalInputBytes_bytes_total, totalShuffleRead_bytes_total,
// totalShuffleWrite_bytes_total and maxMemory_bytes, and, when the
// executor reports its storage memory, usedOnHeapStorageMemory_bytes,
// usedOffHeapStorageMemory_bytes, totalOnHeapStorageMemory_bytes and
// totalOffHeapStorageMemory_bytes; first a spark_info{version="...",
// revision="..."} 1 line when the version is known. The values come from a
// callback, normally the status store's executor summaries.
package metrics
