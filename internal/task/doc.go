// Package task holds what a running task sees: its identity (stage, partition,
// attempt), the executor's environment (local directories, memory budget,
// block store, map-output locations, configuration) and the accumulator updates
// it produces. The scheduler creates a Context per task attempt and the
// executor runs the task's function with it; nothing here decides scheduling.
package task
