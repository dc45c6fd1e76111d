// Package simexec measures the driver's side of task scheduling without
// running executors for real. A Fleet is N simulated executors: goroutines
// that dial a cluster.Driver over loopback, authenticate with the
// application's secret, register, heartbeat and answer every task launch at
// once with a minimal successful status, speaking the same gob messages as
// cluster.RunExecutor (the message shapes are mirrored here field by field;
// the driver cannot tell them apart). A Harness is the driver's side as
// the spark package wires it: a cluster.Driver behind the task and DAG
// schedulers of internal/scheduler, running jobs of tiny result tasks.
//
// Together they answer: how many tasks a second the driver dispatches and
// completes, what each task costs it, what each executor costs it, and
// whether a heartbeat storm (every executor heartbeating at the same
// moment, round after round) ever makes it declare a live executor lost.
// The fleet may run in the driver's process (the regular test) or in a
// child process (bench/tasks), so that the driver's CPU and memory are
// measured alone.
package simexec
