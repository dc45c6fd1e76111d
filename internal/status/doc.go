// Package status is gospark's counterpart of Spark's AppStatusListener and
// AppStatusStore: the state of one application (jobs, stages, tasks,
// executors, cached datasets, environment) built only from listener events
// (package events), and read back as Spark's REST API v1 model, with its JSON
// field names (api.scala). The live driver feeds a Store from the listener
// bus; the history server feeds one by replaying an event log; both then
// serve the same pages and /api/v1 answers from it (package ui).
//
// A Store is safe for one writer (OnEvent) and any number of readers; every
// read returns fresh values that later events do not change.
package status
