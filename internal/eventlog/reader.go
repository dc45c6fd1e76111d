package eventlog

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/gospark/gospark/internal/events"
)

// ErrNotLog is wrapped by Stat's and Replay's errors for a path that is not
// an event log: a file whose name no writer gives a log, or a directory
// that is not a rolling log with its status marker and event files.
var ErrNotLog = errors.New("not an event log")

// Info describes an event log.
type Info struct {
	// Path is the log: its file, or a rolling log's directory.
	Path string
	// AppID is the application's id: after Replay, the one its
	// SparkListenerApplicationStart names; otherwise, or without one, the
	// id as the log's name spells it (lower-cased, see FileName).
	AppID string
	// Rolling tells a rolling log (a directory) from a single file.
	Rolling bool
	// Codec is lz4, zstd or snappy for a compressed log, else "".
	Codec string
	// Completed is true when the writer finished the log (its name, or a
	// rolling log's status marker, has lost ".inprogress").
	Completed bool
	// LastModified is when the (last) event file was last written.
	LastModified time.Time
	// Size is the size in bytes of the event files, as stored.
	Size int64
	// Ended is true when Replay saw SparkListenerApplicationEnd.
	Ended bool
	// Unknown counts the events Replay skipped because gospark does not
	// know them (Spark's SQL or streaming events, say).
	Unknown int

	files []string // the event files to read, in order
}

// Stat describes the log at path, a single-file log or a rolling log's
// directory, without reading its events.
func Stat(path string) (Info, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return Info{}, fmt.Errorf("event log: %w", err)
	}
	if fi.IsDir() {
		return statRolling(path)
	}
	app, codec, inProgress, ok := parseSingleName(filepath.Base(path))
	if !ok || !fi.Mode().IsRegular() {
		return Info{}, fmt.Errorf("%s: %w", path, ErrNotLog)
	}
	return Info{
		Path:         path,
		AppID:        app,
		Codec:        codec,
		Completed:    !inProgress,
		LastModified: fi.ModTime(),
		Size:         fi.Size(),
		files:        []string{path},
	}, nil
}

// statRolling describes a rolling log's directory. With files that Spark's
// compaction wrote, reading starts at the last of them, as in Spark.
func statRolling(dir string) (Info, error) {
	name := filepath.Base(dir)
	app, ok := strings.CutPrefix(name, RollingDirPrefix)
	if !ok || app == "" {
		return Info{}, fmt.Errorf("%s: %w", dir, ErrNotLog)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return Info{}, fmt.Errorf("event log: %w", err)
	}
	type eventFile struct {
		index     int
		name      string
		codec     string
		compacted bool
	}
	var files []eventFile
	status := ""
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		if strings.HasPrefix(e.Name(), AppStatusPrefix) {
			// The completed marker wins should both be there.
			if status == "" || !strings.HasSuffix(e.Name(), InProgress) {
				status = e.Name()
			}
			continue
		}
		if index, codec, compacted, ok := parseEventsFileName(e.Name()); ok {
			files = append(files, eventFile{index, e.Name(), codec, compacted})
		}
	}
	if status == "" || len(files) == 0 {
		return Info{}, fmt.Errorf("%s: %w: want an %s file and %s files", dir, ErrNotLog, AppStatusPrefix, EventsFilePrefix)
	}
	slices.SortFunc(files, func(a, b eventFile) int { return cmp.Compare(a.index, b.index) })
	for i := len(files) - 1; i > 0; i-- {
		if files[i].compacted {
			files = files[i:]
			break
		}
	}
	info := Info{
		Path:      dir,
		AppID:     app,
		Rolling:   true,
		Codec:     files[0].codec,
		Completed: !strings.HasSuffix(status, InProgress),
	}
	for _, f := range files {
		p := filepath.Join(dir, f.name)
		fi, err := os.Stat(p)
		if err != nil {
			return Info{}, fmt.Errorf("event log: %w", err)
		}
		info.Size += fi.Size()
		info.LastModified = fi.ModTime()
		info.files = append(info.files, p)
	}
	return info, nil
}

// List describes the event logs in dir, single files and rolling logs,
// sorted by path; other files and directories are left out, and so is a
// rolling log's directory that does not hold its status marker and an
// event file yet.
func List(dir string) ([]Info, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("event log directory: %w", err)
	}
	var out []Info
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			continue
		}
		isRolling := strings.HasPrefix(name, RollingDirPrefix)
		if _, _, _, ok := parseSingleName(name); !ok && !isRolling {
			continue
		}
		info, err := Stat(filepath.Join(dir, name))
		if err != nil {
			continue // not a log, or gone since ReadDir
		}
		out = append(out, info)
	}
	return out, nil
}

// Filter picks events by their name (the "Event" field).
type Filter func(name string) bool

// Replay reads the log at path (either layout, any codec) and hands its
// events to l in order. Events gospark does not know are skipped and
// counted. In a log still in progress the last line may be cut short by
// the writer; it is left out. Any other line that is not an event is an
// error naming the file and the line.
func Replay(ctx context.Context, path string, l events.Listener) (Info, error) {
	return ReplayFiltered(ctx, path, nil, l)
}

// ReplayFiltered is Replay for the events keep accepts; the others are not
// decoded, which makes reading the few events a listing needs from a large
// log cheap. A nil keep accepts every event. Info's AppID and Ended are
// set whatever keep accepts.
func ReplayFiltered(ctx context.Context, path string, keep Filter, l events.Listener) (Info, error) {
	info, err := Stat(path)
	if err != nil {
		return Info{}, err
	}
	for i, f := range info.files {
		codec := info.Codec
		if info.Rolling {
			_, codec, _, _ = parseEventsFileName(filepath.Base(f))
		}
		mayBeCut := !info.Completed && i == len(info.files)-1
		if err := replayFile(ctx, f, codec, mayBeCut, keep, l, &info); err != nil {
			return info, err
		}
	}
	return info, nil
}

// fileReader remembers the error reading the file itself, so that a
// decompressor's complaint about a stream that stops short can be told
// from a failing disk.
type fileReader struct {
	r   io.Reader
	err error
}

func (f *fileReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err != nil && err != io.EOF {
		f.err = err
	}
	return n, err
}

// replayFile reads one event file. mayBeCut says the writer may still be
// writing it: a last line without its newline is left out, and so is a
// compressed stream that stops in the middle of a block.
func replayFile(ctx context.Context, path, codec string, mayBeCut bool, keep Filter, l events.Listener, info *Info) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("event log: %w", err)
	}
	defer f.Close()
	src := &fileReader{r: f}
	dr, release, err := newDecompressor(codec, bufio.NewReaderSize(src, 64<<10))
	if err != nil {
		return fmt.Errorf("event log %s: %w", path, err)
	}
	defer release()
	br := bufio.NewReaderSize(dr, 64<<10)
	for lineNo := 1; ; lineNo++ {
		if lineNo%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		line, rerr := br.ReadBytes('\n')
		whole := bytes.HasSuffix(line, []byte{'\n'})
		if rerr != nil && rerr != io.EOF {
			if src.err != nil {
				return fmt.Errorf("event log %s: %w", path, src.err)
			}
			if mayBeCut {
				return nil // the writer is in the middle of a block
			}
			return fmt.Errorf("event log %s: after line %d: %w", path, lineNo-1, rerr)
		}
		if len(bytes.TrimSpace(line)) > 0 {
			last := !whole // only the line at the end of the file lacks its newline
			if err := handleLine(line, keep, l, info); err != nil {
				if !(last && mayBeCut) {
					return fmt.Errorf("event log %s: line %d: %w", path, lineNo, err)
				}
			}
		}
		if rerr == io.EOF {
			return nil
		}
	}
}

// eventPrefix starts every line that Spark or gospark writes: the event's
// name comes first.
var eventPrefix = []byte(`{"Event":"`)

// eventName returns the name in the line's "Event" field when the line
// starts with it, else "".
func eventName(line []byte) string {
	rest, ok := bytes.CutPrefix(line, eventPrefix)
	if !ok {
		return ""
	}
	name, _, ok := bytes.Cut(rest, []byte{'"'})
	if !ok || bytes.IndexByte(name, '\\') >= 0 {
		return ""
	}
	return string(name)
}

// handleLine decodes one line and hands its event to l unless keep refuses
// it. Unknown events are counted, not errors.
func handleLine(line []byte, keep Filter, l events.Listener, info *Info) error {
	name := eventName(line)
	if name != "" && keep != nil && !keep(name) {
		// Not decoded, except the start that names the application.
		switch name {
		case events.NameApplicationEnd:
			info.Ended = true
			return nil
		case events.NameApplicationStart:
		default:
			return nil
		}
	}
	e, err := events.Unmarshal(line)
	if errors.Is(err, events.ErrUnknown) {
		info.Unknown++
		return nil
	}
	if err != nil {
		return err
	}
	switch e := e.(type) {
	case *events.ApplicationStart:
		if e.AppID != "" {
			info.AppID = e.AppID
		}
	case *events.ApplicationEnd:
		info.Ended = true
	}
	if keep == nil || keep(e.Name()) {
		l.OnEvent(e)
	}
	return nil
}
