package eventlog

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/gospark/gospark/internal/config"
	"github.com/gospark/gospark/internal/events"
	"github.com/gospark/gospark/internal/redact"
)

// ErrExists is wrapped by New's error when the directory already holds a
// log of the application and spark.eventLog.overwrite is false, and by
// Close's when a completed log of the application appeared meanwhile.
var ErrExists = errors.New("event log already exists")

// ErrDisabled is wrapped by Close's error when a write failed earlier and
// the log was given up.
var ErrDisabled = errors.New("event log disabled after a write error")

// flushInterval bounds how long an event stays in the writer's buffers.
const flushInterval = time.Second

// File modes of what the writer creates: the owner and its group (the
// history server's, typically) may read, as with Spark's 770.
const (
	fileMode = 0o660
	dirMode  = 0o770
)

// Writer writes an application's events to its event log. It is an
// events.Listener; the driver adds it to its bus, and calls Close once the
// bus has handed it the final SparkListenerApplicationEnd.
type Writer struct {
	log      *slog.Logger
	redactor *redact.Redactor
	s        settings

	stopFlusher context.CancelFunc
	flusherDone chan struct{}

	mu      sync.Mutex
	f       *os.File
	comp    compressor // nil for an uncompressed log
	bw      *bufio.Writer
	path    string // the file being written
	index   int    // of the file being written, in a rolling log
	written int64  // bytes written to the current file, before compression
	dirty   bool   // written since the last flush
	err     error  // the write error that disabled the log
	ended   bool   // Close or Abort was called
	result  error  // Close's result, for repeated calls
}

// settings are the writer's properties.
type settings struct {
	dir             string
	app             string // the application id as file names spell it
	codec           string // "" for an uncompressed log
	overwrite       bool
	bufSize         int
	logBlockUpdates bool
	rolling         bool
	maxFileSize     int64
	flushInterval   time.Duration
}

// New starts the event log of application appID in spark.eventLog.dir and
// writes its first line, SparkListenerLogStart. The directory must exist.
// Unless spark.eventLog.overwrite is set, an existing log of the
// application (in either layout, with any codec) is an error wrapping
// ErrExists; with it, the existing log is removed. Background flushing
// ends with ctx, Close or Abort.
func New(ctx context.Context, conf *config.Conf, appID string, log *slog.Logger) (*Writer, error) {
	dir, err := LocalDir("spark.eventLog.dir", conf.String("spark.eventLog.dir"))
	if err != nil {
		return nil, err
	}
	if appID == "" {
		return nil, errors.New("event log: the application has no id")
	}
	s := settings{
		dir:             dir,
		app:             FileName(appID),
		overwrite:       conf.Bool("spark.eventLog.overwrite"),
		bufSize:         int(min(conf.Bytes("spark.eventLog.buffer.kb"), 64<<20)),
		logBlockUpdates: conf.Bool("spark.eventLog.logBlockUpdates.enabled"),
		rolling:         conf.Bool("spark.eventLog.rolling.enabled"),
		maxFileSize:     conf.Bytes("spark.eventLog.rolling.maxFileSize"),
		flushInterval:   flushInterval,
	}
	if conf.Bool("spark.eventLog.compress") {
		s.codec = conf.String("spark.eventLog.compression.codec")
	}
	r, err := redact.FromConf(conf)
	if err != nil {
		return nil, fmt.Errorf("event log: %w", err)
	}
	return open(ctx, s, r, log)
}

// LocalDir returns the local directory that property's value (a path or a
// file: URI) names, checking that it exists. Its errors name the property
// and the directory.
func LocalDir(property, value string) (string, error) {
	dir := value
	if u, err := url.Parse(value); err == nil && u.Scheme != "" && len(u.Scheme) > 1 {
		if u.Scheme != "file" {
			return "", fmt.Errorf("%s %s: only local directories (a path or a file:// URI) are supported", property, value)
		}
		if u.Host != "" && u.Host != "localhost" {
			return "", fmt.Errorf("%s %s: a file:// URI names a directory on this machine; want file:///path", property, value)
		}
		dir = u.Path
	}
	if dir == "" {
		return "", fmt.Errorf("%s: want a directory", property)
	}
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf("%s: directory %s does not exist; create it or set %s to one that does: %w", property, dir, property, err)
	case err != nil:
		return "", fmt.Errorf("%s: directory %s: %w", property, dir, err)
	case !fi.IsDir():
		return "", fmt.Errorf("%s: %s is not a directory", property, dir)
	}
	return dir, nil
}

// open creates the log that s describes and starts its flusher.
func open(ctx context.Context, s settings, r *redact.Redactor, log *slog.Logger) (*Writer, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.Default()
	}
	if s.bufSize <= 0 {
		s.bufSize = 100 << 10
	}
	w := &Writer{log: log, redactor: r, s: s}
	if err := w.removeExisting(); err != nil {
		return nil, err
	}
	var err error
	if s.rolling {
		err = w.startRolling()
	} else {
		err = w.openFile(singlePath(s.dir, s.app, s.codec) + InProgress)
	}
	if err != nil {
		return nil, err
	}
	line, err := events.Marshal(&events.LogStart{SparkVersion: Version()})
	if err != nil {
		return nil, err
	}
	w.mu.Lock()
	w.writeLine(line, true)
	err = w.err
	w.mu.Unlock()
	if err != nil {
		w.Abort()
		return nil, err
	}
	log.Info("logging events", "path", w.Path())

	fctx, cancel := context.WithCancel(ctx)
	w.stopFlusher = cancel
	w.flusherDone = make(chan struct{})
	go w.flusher(fctx)
	return w, nil
}

// Path is where the log is once complete: the file, or a rolling log's
// directory.
func (w *Writer) Path() string {
	if w.s.rolling {
		return rollingDir(w.s.dir, w.s.app)
	}
	return singlePath(w.s.dir, w.s.app, w.s.codec)
}

// removeExisting refuses, or with spark.eventLog.overwrite removes, the
// logs the directory already holds for the application.
func (w *Writer) removeExisting() error {
	var found []string
	candidates := []string{rollingDir(w.s.dir, w.s.app)}
	for _, c := range []string{"", "lz4", "zstd", "snappy"} {
		p := singlePath(w.s.dir, w.s.app, c)
		candidates = append(candidates, p, p+InProgress)
	}
	for _, p := range candidates {
		if _, err := os.Lstat(p); err == nil {
			found = append(found, p)
		}
	}
	if len(found) == 0 {
		return nil
	}
	if !w.s.overwrite {
		return fmt.Errorf("%w: %s; set spark.eventLog.overwrite=true to replace it", ErrExists, strings.Join(found, ", "))
	}
	for _, p := range found {
		w.log.Warn("replacing an existing event log (spark.eventLog.overwrite)", "path", p)
		if err := os.RemoveAll(p); err != nil {
			return fmt.Errorf("event log: removing %s: %w", p, err)
		}
	}
	return nil
}

// startRolling creates a rolling log's directory, its in-progress status
// marker and its first event file.
func (w *Writer) startRolling() error {
	dir := rollingDir(w.s.dir, w.s.app)
	if err := os.Mkdir(dir, dirMode); err != nil {
		return fmt.Errorf("event log: %w", err)
	}
	marker, err := os.OpenFile(filepath.Join(dir, appStatusName(w.s.app, true)), os.O_CREATE|os.O_EXCL|os.O_WRONLY, fileMode)
	if err != nil {
		return fmt.Errorf("event log: %w", err)
	}
	if err := marker.Close(); err != nil {
		return fmt.Errorf("event log: %w", err)
	}
	w.index = 1
	return w.openFile(filepath.Join(dir, eventsFileName(w.s.app, w.index, w.s.codec)))
}

// openFile creates path and sets up the writers onto it.
func (w *Writer) openFile(path string) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, fileMode)
	if err != nil {
		return fmt.Errorf("event log: %w", err)
	}
	w.f, w.path, w.written, w.comp = f, path, 0, nil
	if w.s.codec == "" {
		w.bw = bufio.NewWriterSize(f, w.s.bufSize)
		return nil
	}
	c, err := newCompressor(w.s.codec, f)
	if err != nil {
		f.Close()
		os.Remove(path)
		return fmt.Errorf("event log: %w", err)
	}
	w.comp = c
	w.bw = bufio.NewWriterSize(c, w.s.bufSize)
	return nil
}

// finishFile writes out and closes the current file, syncing it to disk.
func (w *Writer) finishFile() error {
	err := w.bw.Flush()
	if w.comp != nil {
		err = errors.Join(err, w.comp.Close())
	}
	if err == nil {
		err = w.f.Sync()
	}
	err = errors.Join(err, w.f.Close())
	w.f = nil
	return err
}

// OnEvent writes e to the log. Block updates are left out unless
// spark.eventLog.logBlockUpdates.enabled is set; properties are redacted
// (spark.redaction.regex) as Spark's event log does.
func (w *Writer) OnEvent(e events.Event) {
	if _, ok := e.(*events.BlockUpdated); ok && !w.s.logBlockUpdates {
		return
	}
	e = w.redact(e)
	// Marshal sets the event's "Event" field: on a copy, since other
	// listeners read the posted event at the same time.
	line, err := events.Marshal(shallowCopy(e))
	if err != nil {
		w.log.Warn("event log: an event could not be encoded and is left out", "event", e.Name(), "err", err)
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.writeLine(line, flushesAtOnce(e))
}

// shallowCopy returns a copy of the struct e points to.
func shallowCopy(e events.Event) events.Event {
	v := reflect.ValueOf(e)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return e
	}
	c := reflect.New(v.Elem().Type())
	c.Elem().Set(v.Elem())
	if ce, ok := c.Interface().(events.Event); ok {
		return ce
	}
	return e
}

// flushesAtOnce reports whether e reaches the file at once: what someone
// watching a running application in the history server wants to see
// without delay.
func flushesAtOnce(e events.Event) bool {
	switch e.(type) {
	case *events.ApplicationStart, *events.ApplicationEnd,
		*events.JobStart, *events.JobEnd,
		*events.StageSubmitted, *events.StageCompleted,
		*events.ExecutorAdded, *events.ExecutorRemoved,
		*events.BlockManagerAdded, *events.BlockManagerRemoved,
		*events.UnpersistRDD, *events.BlockUpdated:
		return true
	}
	return false
}

// redact returns e, or for events carrying properties a copy with them
// redacted. The bus shares e with other listeners, so it is not changed.
func (w *Writer) redact(e events.Event) events.Event {
	props := func(m map[string]string) map[string]string {
		if m == nil {
			return nil
		}
		return w.redactor.Props(m)
	}
	switch e := e.(type) {
	case *events.EnvironmentUpdate:
		c := *e
		c.JVMInformation = props(e.JVMInformation)
		c.SparkProperties = props(e.SparkProperties)
		c.HadoopProperties = props(e.HadoopProperties)
		c.SystemProperties = props(e.SystemProperties)
		c.MetricsProperties = props(e.MetricsProperties)
		c.ClasspathEntries = props(e.ClasspathEntries)
		return &c
	case *events.JobStart:
		c := *e
		c.Properties = props(e.Properties)
		return &c
	case *events.StageSubmitted:
		c := *e
		c.Properties = props(e.Properties)
		return &c
	}
	return e
}

// writeLine appends line and a newline, rolling over to a new file first
// when a rolling log's file would grow past its size; flush writes it
// through to the file. w.mu is held.
func (w *Writer) writeLine(line []byte, flush bool) {
	if w.ended || w.err != nil {
		return
	}
	if w.s.rolling && w.written > 0 && w.written+int64(len(line))+1 > w.s.maxFileSize {
		if err := w.roll(); err != nil {
			w.fail(err)
			return
		}
	}
	if _, err := w.bw.Write(line); err != nil {
		w.fail(err)
		return
	}
	if err := w.bw.WriteByte('\n'); err != nil {
		w.fail(err)
		return
	}
	w.written += int64(len(line)) + 1
	w.dirty = true
	if flush {
		w.flush()
	}
}

// roll ends the current file of a rolling log and starts the next one.
func (w *Writer) roll() error {
	if err := w.finishFile(); err != nil {
		return err
	}
	w.index++
	return w.openFile(filepath.Join(rollingDir(w.s.dir, w.s.app), eventsFileName(w.s.app, w.index, w.s.codec)))
}

// flush writes the buffered lines through the compressor to the file.
// w.mu is held.
func (w *Writer) flush() {
	if !w.dirty || w.err != nil || w.f == nil {
		return
	}
	err := w.bw.Flush()
	if err == nil && w.comp != nil {
		err = w.comp.Flush()
	}
	if err != nil {
		w.fail(err)
		return
	}
	w.dirty = false
}

// fail gives the log up after a write error: it says so once and closes
// the file, leaving it in progress. w.mu is held.
func (w *Writer) fail(err error) {
	if w.err != nil {
		return
	}
	w.err = fmt.Errorf("%w: %s: %w", ErrDisabled, w.path, err)
	w.log.Error("event log write failed; the application goes on without its event log", "path", w.path, "err", err)
	if w.f != nil {
		w.f.Close()
		w.f = nil
	}
}

// flusher flushes the buffers every interval while there is something to
// flush.
func (w *Writer) flusher(ctx context.Context) {
	defer close(w.flusherDone)
	t := time.NewTicker(w.s.flushInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			w.mu.Lock()
			if !w.ended {
				w.flush()
			}
			w.mu.Unlock()
		}
	}
}

func (w *Writer) stopFlushing() {
	if w.stopFlusher != nil {
		w.stopFlusher()
		<-w.flusherDone
	}
}

// Close completes the log: it writes out and syncs everything, then
// renames the log (a rolling log's status marker) so that it no longer
// ends in ".inprogress". Call it once the final event has been handed to
// OnEvent. A log that a write error disabled stays in progress and Close
// returns an error wrapping ErrDisabled. Later calls return the same
// result.
func (w *Writer) Close() error {
	w.stopFlushing()
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ended {
		return w.result
	}
	w.ended = true
	w.result = w.complete()
	return w.result
}

func (w *Writer) complete() error {
	if w.err != nil {
		return w.err
	}
	if err := w.finishFile(); err != nil {
		return fmt.Errorf("%w: %s: %w", ErrDisabled, w.path, err)
	}
	var from, to, dir string
	if w.s.rolling {
		dir = rollingDir(w.s.dir, w.s.app)
		from, to = filepath.Join(dir, appStatusName(w.s.app, true)), filepath.Join(dir, appStatusName(w.s.app, false))
	} else {
		dir = w.s.dir
		to = singlePath(w.s.dir, w.s.app, w.s.codec)
		from = to + InProgress
		if _, err := os.Lstat(to); err == nil && !w.s.overwrite {
			return fmt.Errorf("%w: %s; the log is left at %s", ErrExists, to, from)
		}
	}
	if err := os.Rename(from, to); err != nil {
		return fmt.Errorf("event log: completing: %w", err)
	}
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("event log: completing %s: %w", to, err)
	}
	w.log.Info("event log complete", "path", w.Path())
	return nil
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	return errors.Join(err, d.Close())
}

// Abort stops the log without completing it: what was handed to OnEvent is
// written out and the log stays in progress, as a killed driver leaves it.
func (w *Writer) Abort() {
	w.stopFlushing()
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ended {
		return
	}
	w.ended = true
	w.result = fmt.Errorf("event log %s: aborted", w.path)
	if w.err == nil && w.f != nil {
		if err := w.finishFile(); err != nil {
			w.log.Warn("event log: writing out an aborted log", "path", w.path, "err", err)
		}
	}
}

// Discard aborts the log and removes it: the application never started
// (its session failed to start), so no history server should list it.
func (w *Writer) Discard() {
	w.Abort()
	w.mu.Lock()
	defer w.mu.Unlock()
	path := singlePath(w.s.dir, w.s.app, w.s.codec) + InProgress
	if w.s.rolling {
		path = rollingDir(w.s.dir, w.s.app)
	}
	if err := os.RemoveAll(path); err != nil {
		w.log.Warn("event log: removing the log of an application that did not start", "path", path, "err", err)
	}
}

// Version is the version event logs record in SparkListenerLogStart:
// "gospark <module version>" (events.Version).
func Version() string { return "gospark " + events.Version() }
