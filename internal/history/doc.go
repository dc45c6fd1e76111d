// Package history is gospark's history server (Spark's FsHistoryProvider
// and HistoryServer): it shows applications that have finished, or are
// still running, from their event logs.
//
// A Provider scans spark.history.fs.logDirectory every
// spark.history.fs.update.interval for the logs internal/eventlog writes
// (and Spark writes: single files and eventlog_v2_ directories,
// uncompressed or zstd). For the listing it reads only the events that
// describe the application (SparkListenerLogStart, ApplicationStart,
// ApplicationEnd), and reads a log again only when it changed. An
// application whose log has no SparkListenerApplicationEnd is listed as
// incomplete, with the log's last change as its last update. When the UI
// asks for one application, the Provider replays its whole log into a
// status.Store and keeps the stores of the last
// spark.history.retainedApplications applications asked for, replaying
// again when the log has changed since. Main serves the same UI and REST
// API as a driver (internal/ui) on spark.history.ui.port.
package history
