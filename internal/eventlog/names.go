package eventlog

import (
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Names of the files and directories of an event log, as Spark's
// EventLogFileWriters spell them.
const (
	// InProgress ends the name of a log (or of a rolling log's status
	// marker) whose application has not finished.
	InProgress = ".inprogress"
	// RollingDirPrefix starts the name of a rolling log's directory.
	RollingDirPrefix = "eventlog_v2_"
	// EventsFilePrefix starts the names of a rolling log's event files.
	EventsFilePrefix = "events_"
	// AppStatusPrefix starts the name of a rolling log's status marker.
	AppStatusPrefix = "appstatus_"
)

// Compacted ends the name of a rolling log's event file that Spark's
// compaction wrote in place of the files before it.
const Compacted = ".compact"

// knownCodec reports whether name is a codec the writer and the reader
// know: the values of spark.eventLog.compression.codec, which the log's
// file names end with.
func knownCodec(name string) bool {
	return slices.Contains([]string{"lz4", "zstd", "snappy"}, name)
}

// FileName returns the name Spark gives an application id in event log
// names: ' ', ':' and '/' become '-', '.', '$', '{', '}', '\” and '"'
// become '_', and letters are lower-cased (Spark's Utils.sanitizeDirName).
// Since the result has no '.', a codec extension can be told from it.
func FileName(appID string) string {
	var b strings.Builder
	for _, r := range appID {
		switch r {
		case ' ', ':', '/':
			b.WriteByte('-')
		case '.', '$', '{', '}', '\'', '"':
			b.WriteByte('_')
		default:
			b.WriteString(strings.ToLower(string(r)))
		}
	}
	return b.String()
}

// withCodec appends ".<codec>" to name unless codec is empty.
func withCodec(name, codec string) string {
	if codec == "" {
		return name
	}
	return name + "." + codec
}

// singlePath is the final path of a single-file log.
func singlePath(dir, app, codec string) string {
	return filepath.Join(dir, withCodec(app, codec))
}

// rollingDir is the directory of a rolling log.
func rollingDir(dir, app string) string {
	return filepath.Join(dir, RollingDirPrefix+app)
}

// eventsFileName is the name of a rolling log's index-th event file.
func eventsFileName(app string, index int, codec string) string {
	return withCodec(EventsFilePrefix+strconv.Itoa(index)+"_"+app, codec)
}

// appStatusName is the name of a rolling log's status marker.
func appStatusName(app string, inProgress bool) string {
	if inProgress {
		return AppStatusPrefix + app + InProgress
	}
	return AppStatusPrefix + app
}

// parseSingleName splits the name of a single-file log into the
// application's file name, the codec ("" for none) and whether it is in
// progress. ok is false for names that are not event logs: hidden files,
// names with more than one extension or an unknown codec.
func parseSingleName(name string) (app, codec string, inProgress, ok bool) {
	if name == "" || strings.HasPrefix(name, ".") {
		return "", "", false, false
	}
	base, inProgress := strings.CutSuffix(name, InProgress)
	app, codec, _ = strings.Cut(base, ".")
	if app == "" || strings.Contains(codec, ".") || codec != "" && !knownCodec(codec) {
		return "", "", false, false
	}
	return app, codec, inProgress, true
}

// parseEventsFileName returns the index and codec of a rolling log's event
// file and whether Spark's compaction wrote it; ok is false for other names.
func parseEventsFileName(name string) (index int, codec string, compacted, ok bool) {
	rest, found := strings.CutPrefix(name, EventsFilePrefix)
	if !found {
		return 0, "", false, false
	}
	rest, compacted = strings.CutSuffix(rest, Compacted)
	num, rest, found := strings.Cut(rest, "_")
	if !found {
		return 0, "", false, false
	}
	index, err := strconv.Atoi(num)
	if err != nil || index < 0 {
		return 0, "", false, false
	}
	app, codec, _ := strings.Cut(rest, ".")
	if app == "" || strings.Contains(codec, ".") || codec != "" && !knownCodec(codec) {
		return 0, "", false, false
	}
	return index, codec, compacted, true
}
