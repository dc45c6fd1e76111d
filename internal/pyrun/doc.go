// Package pyrun runs Python applications on gospark's engine, as PySpark
// runs them on the JVM's: the Python program (package pyspark, in
// python/) builds RDD lineage and does all per-record work in Python; the
// Go side schedules, shuffles opaque byte batches by partition number,
// caches and retries.
//
// Three pieces live here. The gateway (gateway.go) is the driver's server
// for the Python driver program: a loopback socket, authenticated by a
// secret, on which the program sends the nodes of its lineage and runs
// actions. Each node becomes one call of a registered plan function
// (plan.go), so executors replay the same calls and find the same datasets;
// every Python RDD is a *spark.Dataset[[]byte] of frames (a pickled batch of
// records, a batch of text lines, or a batch tagged with its reduce
// partition). The worker pool (worker.go) runs the Python stages of a task
// in `python -m pyspark.worker` processes over their stdin and stdout.
// docs/python.md describes both protocols.
package pyrun
