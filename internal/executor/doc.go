// Package executor runs tasks. Local is the in-process backend used by the
// local[N] master: one executor, "driver", with N task slots, each task on
// its own goroutine. Every backend turns a task's panic into an error and
// collects the task's accumulator updates, so the scheduler sees the same
// results whether a task ran here, in an executor process or in a pod.
package executor
