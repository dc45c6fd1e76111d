// Package eventlog writes an application's listener events to a file the
// history server replays later, and reads such files back, in the layout
// and format of Spark's event logs.
//
// A Writer (New) is a listener on the driver's event bus. It writes one
// JSON object per line (events.Marshal), the first being
// SparkListenerLogStart, either to a single file
// <spark.eventLog.dir>/<appId>[.<codec>].inprogress that Close renames to
// <appId>[.<codec>], or, with spark.eventLog.rolling.enabled, to a
// directory eventlog_v2_<appId>/ of files events_<n>_<appId>[.<codec>]
// next to a marker appstatus_<appId>.inprogress that Close renames to
// appstatus_<appId>. The ".inprogress" names are what tells a reader that
// the application has not finished: only Close, once everything is written
// and synced, removes them, so a driver that is killed leaves its log
// marked in progress. Events that a watcher of a running application cares
// about (jobs, stages, executors, the application's start and end) are
// flushed to the file at once, others at least every second.
//
// Compression (spark.eventLog.compress) uses standard zstd frames, the LZ4
// frame format or the Snappy framing format. Spark compresses with the
// same zstd format, so zstd and uncompressed logs can be exchanged with
// Spark's history server both ways; Spark's lz4 and snappy event logs use
// Java-specific block streams (lz4-java's LZ4BlockOutputStream, snappy-java's
// SnappyOutputStream) that neither side reads from the other.
//
// Replay reads a log of either layout and any codec and hands its events to
// a listener, skipping events gospark does not know and, in a log still in
// progress, the last line the writer may have been in the middle of. List
// finds the logs in a directory; Stat describes one without reading it.
package eventlog
