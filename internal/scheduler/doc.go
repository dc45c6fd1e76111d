// Package scheduler runs jobs. The DAG scheduler splits a job's dataset graph
// into stages at shuffle dependencies, runs the stages whose map output is
// missing first, hands each stage's tasks (one per partition) to the task
// scheduler, and reacts to results: map outputs are registered with the
// MapOutputTracker, a fetch failure unregisters the lost output and
// resubmits the stages that need it (at most spark.stage.maxConsecutiveAttempts
// times). The task scheduler places tasks on free executor slots and retries
// a failing task until it has failed spark.task.maxFailures times. Neither
// knows where executors live: a Backend (in-process, processes, pods) runs
// the tasks.
package scheduler
