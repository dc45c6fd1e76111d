// Package alloc is the dynamic allocation policy: given a snapshot of the
// scheduler (tasks waiting and running) and of the executors (what each is
// running, since when it is idle, whether it holds cached blocks or shuffle
// output), it decides how many executors the application should have in
// total and which idle executors to release, as Spark's
// ExecutorAllocationManager and ExecutorMonitor do, under Spark's
// spark.dynamicAllocation.* properties.
//
// The target follows the load: it drops at once to what the running and
// waiting tasks can use (never below minExecutors), and grows while tasks
// wait for a slot: after schedulerBacklogTimeout by one executor, then every
// sustainedSchedulerBacklogTimeout by twice as many as the round before,
// capped by what the tasks can use and by maxExecutors. An executor is
// released once it has been idle for executorIdleTimeout
// (cachedExecutorIdleTimeout when it holds cached blocks,
// shuffleTracking.timeout when it holds shuffle output under shuffle
// tracking), unless that would leave fewer executors than minExecutors or
// than the target.
//
// A Policy is pure logic: it starts no goroutine and reads no clock. The
// driver builds one with New(FromConf(conf)), asks the cluster manager for
// Target() executors at start, then calls Update with a State (and the
// current time) every 100 ms, requests Decision.Target when it changed and
// removes the executors in Decision.Remove, logging the reasons. Requirement
// tells whether the configuration keeps shuffle output safe when executors
// go, which dynamic allocation needs.
package alloc
