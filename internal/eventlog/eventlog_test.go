package eventlog

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gospark/gospark/internal/config"
	"github.com/gospark/gospark/internal/events"
	"github.com/gospark/gospark/internal/redact"
)

const appID = "app-20240102030405-0001"

// codecs are the codecs the tests run with; "" is an uncompressed log.
var codecs = []string{"", "lz4", "zstd", "snappy"}

// magic is how each codec's stream starts: a zstd frame, an LZ4 frame, the
// Snappy framing format's stream identifier.
var magic = map[string][]byte{
	"zstd":   {0x28, 0xb5, 0x2f, 0xfd},
	"lz4":    {0x04, 0x22, 0x4d, 0x18},
	"snappy": []byte("\xff\x06\x00\x00sNaPpY"),
	"":       []byte(`{"Event":"SparkListenerLogStart","Spark Version":"gospark `),
}

func newConf(t *testing.T, dir string, kv ...string) *config.Conf {
	t.Helper()
	c := config.New()
	if err := c.Set("spark.eventLog.dir", dir); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(kv); i += 2 {
		if err := c.Set(kv[i], kv[i+1]); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

func codecConf(t *testing.T, dir, codec string, kv ...string) *config.Conf {
	if codec != "" {
		kv = append(kv, "spark.eventLog.compress", "true", "spark.eventLog.compression.codec", codec)
	}
	return newConf(t, dir, kv...)
}

// logBuffer collects a logger's output.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func testLogger(t *testing.T) (*slog.Logger, *logBuffer) {
	var b logBuffer
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("writer's log:\n%s", b.String())
		}
	})
	return slog.New(slog.NewTextHandler(&b, nil)), &b
}

func mustNew(t *testing.T, conf *config.Conf) *Writer {
	t.Helper()
	log, _ := testLogger(t)
	w, err := New(context.Background(), conf, appID, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Abort)
	return w
}

func int64p(v int64) *int64 { return &v }

func taskEnd(id int64) *events.TaskEnd {
	return &events.TaskEnd{
		StageID: 1, TaskType: "ResultTask",
		TaskEndReason: events.TaskEndReason{Reason: events.ReasonSuccess},
		TaskInfo: events.TaskInfo{TaskID: id, Index: int(id), LaunchTime: 1000 + id, FinishTime: 2000 + id,
			ExecutorID: "1", Host: "10.0.0.1", Locality: "PROCESS_LOCAL"},
		TaskMetrics: &events.TaskMetrics{ExecutorRunTime: 900 + id,
			InputMetrics:        events.InputMetrics{BytesRead: 100 * id, RecordsRead: id},
			ShuffleWriteMetrics: events.ShuffleWriteMetrics{ShuffleBytesWritten: 10 * id, ShuffleRecordsWritten: id}},
	}
}

// appEvents is a small application's events, in order.
func appEvents() []events.Event {
	stage := events.StageInfo{StageID: 1, StageName: "count at main.go:12", NumberOfTasks: 2, SubmissionTime: int64p(1001)}
	done := stage
	done.CompletionTime = int64p(2900)
	return []events.Event{
		&events.ApplicationStart{AppName: "SparkPi", AppID: appID, Timestamp: 1000, User: "alice"},
		&events.EnvironmentUpdate{SparkProperties: map[string]string{
			"spark.app.name": "SparkPi", "spark.authenticate.secret": "s3cr3t-value"}},
		&events.JobStart{JobID: 0, SubmissionTime: 1001, StageInfos: []events.StageInfo{stage}, StageIDs: []int{1},
			Properties: map[string]string{"spark.job.description": "count", "my.password": "hunter2"}},
		&events.StageSubmitted{StageInfo: stage},
		&events.TaskStart{StageID: 1, TaskInfo: events.TaskInfo{TaskID: 0, ExecutorID: "1", LaunchTime: 1000}},
		&events.TaskStart{StageID: 1, TaskInfo: events.TaskInfo{TaskID: 1, Index: 1, ExecutorID: "1", LaunchTime: 1001}},
		taskEnd(0),
		taskEnd(1),
		&events.BlockUpdated{BlockUpdateInfo: events.BlockUpdateInfo{BlockID: "rdd_2_0", MemorySize: 64,
			StorageLevel: events.StorageLevel{UseMemory: true, Deserialized: true, Replication: 1}}},
		&events.StageCompleted{StageInfo: done},
		&events.JobEnd{JobID: 0, CompletionTime: 2950, JobResult: events.JobResult{Result: events.JobSucceeded}},
		&events.ApplicationEnd{Timestamp: 3000},
	}
}

// recorder is a listener keeping what it was given.
type recorder struct{ got []events.Event }

func (r *recorder) OnEvent(e events.Event) { r.got = append(r.got, e) }

func (r *recorder) names() []string {
	var n []string
	for _, e := range r.got {
		n = append(n, e.Name())
	}
	return n
}

func names(es []events.Event) []string {
	var n []string
	for _, e := range es {
		n = append(n, e.Name())
	}
	return n
}

func without(n []string, drop string) []string {
	return slices.DeleteFunc(slices.Clone(n), func(s string) bool { return s == drop })
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var n []string
	for _, e := range entries {
		n = append(n, e.Name())
	}
	return n
}

func replay(t *testing.T, path string) (*recorder, Info) {
	t.Helper()
	var r recorder
	info, err := Replay(context.Background(), path, &r)
	if err != nil {
		t.Fatal(err)
	}
	return &r, info
}

func TestSingleFileLayoutAndRenameOnClose(t *testing.T) {
	for _, codec := range codecs {
		t.Run("codec="+codec, func(t *testing.T) {
			dir := t.TempDir()
			w := mustNew(t, codecConf(t, dir, codec))
			final := "app-20240102030405-0001"
			if codec != "" {
				final += "." + codec
			}
			all := appEvents()
			for _, e := range all[:len(all)-1] {
				w.OnEvent(e)
			}
			// Before Close the log is only in progress.
			if got, want := dirNames(t, dir), []string{final + ".inprogress"}; !slices.Equal(got, want) {
				t.Fatalf("before Close: files %v, want %v", got, want)
			}
			w.OnEvent(all[len(all)-1])
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if got, want := dirNames(t, dir), []string{final}; !slices.Equal(got, want) {
				t.Fatalf("after Close: files %v, want %v", got, want)
			}
			if w.Path() != filepath.Join(dir, final) {
				t.Errorf("Path() = %s, want %s", w.Path(), filepath.Join(dir, final))
			}
			raw, err := os.ReadFile(filepath.Join(dir, final))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(raw, magic[codec]) {
				t.Errorf("the log starts with %q, want %q", raw[:min(len(raw), 40)], magic[codec])
			}

			r, info := replay(t, filepath.Join(dir, final))
			want := append([]string{events.NameLogStart}, without(names(all), events.NameBlockUpdated)...)
			if !slices.Equal(r.names(), want) {
				t.Errorf("replayed %v\nwant %v", r.names(), want)
			}
			if v := r.got[0].(*events.LogStart).SparkVersion; !strings.HasPrefix(v, "gospark ") {
				t.Errorf("LogStart version %q, want gospark's", v)
			}
			if !info.Completed || !info.Ended || info.AppID != appID || info.Codec != codec || info.Rolling || info.Size != int64(len(raw)) {
				t.Errorf("Info = %+v", info)
			}
			te := r.got[8].(*events.TaskEnd) // task 1's end
			if te.TaskMetrics == nil || te.TaskMetrics.InputMetrics.BytesRead != 100 || te.TaskInfo.FinishTime != 2001 {
				t.Errorf("task end replayed as %+v", te)
			}
		})
	}
}

func TestUncompressedLinesAreSparkJSON(t *testing.T) {
	dir := t.TempDir()
	w := mustNew(t, newConf(t, dir))
	for _, e := range appEvents() {
		w.OnEvent(e)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "app-20240102030405-0001"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n")
	if len(lines) != len(appEvents()) { // LogStart in, BlockUpdated out
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(appEvents()), raw)
	}
	for i, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("line %d is not a JSON object: %v\n%s", i+1, err, l)
		}
		if _, ok := m["Event"].(string); !ok {
			t.Errorf("line %d has no Event: %s", i+1, l)
		}
	}
	if !strings.HasPrefix(lines[3], `{"Event":"SparkListenerJobStart","Job ID":0,`) {
		t.Errorf("job start line: %s", lines[3])
	}
}

func TestSecretsAreRedacted(t *testing.T) {
	dir := t.TempDir()
	w := mustNew(t, newConf(t, dir))
	all := appEvents()
	for _, e := range all {
		w.OnEvent(e)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "app-20240102030405-0001"))
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"s3cr3t-value", "hunter2"} {
		if bytes.Contains(raw, []byte(secret)) {
			t.Errorf("the log holds the secret %q", secret)
		}
	}
	if got := bytes.Count(raw, []byte(redact.Replacement)); got != 2 {
		t.Errorf("%d redacted values, want 2:\n%s", got, raw)
	}
	if !bytes.Contains(raw, []byte(`"spark.job.description":"count"`)) {
		t.Errorf("an ordinary property was lost:\n%s", raw)
	}
	// The bus shares events with other listeners: they still see the values.
	if v := all[1].(*events.EnvironmentUpdate).SparkProperties["spark.authenticate.secret"]; v != "s3cr3t-value" {
		t.Errorf("the writer changed the posted event: %q", v)
	}
}

func TestBlockUpdatesOnlyWhenEnabled(t *testing.T) {
	for _, enabled := range []bool{false, true} {
		t.Run(fmt.Sprint(enabled), func(t *testing.T) {
			dir := t.TempDir()
			w := mustNew(t, newConf(t, dir, "spark.eventLog.logBlockUpdates.enabled", fmt.Sprint(enabled)))
			for _, e := range appEvents() {
				w.OnEvent(e)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			r, _ := replay(t, filepath.Join(dir, "app-20240102030405-0001"))
			if got := slices.Contains(r.names(), events.NameBlockUpdated); got != enabled {
				t.Errorf("block update logged: %v, want %v", got, enabled)
			}
		})
	}
}

// A watcher of a running application sees jobs and stages at once and
// other events within about a second, for every codec.
func TestInProgressLogIsReadableWhileWritten(t *testing.T) {
	for _, codec := range codecs {
		t.Run("codec="+codec, func(t *testing.T) {
			dir := t.TempDir()
			w := mustNew(t, codecConf(t, dir, codec))
			all := appEvents()
			for _, e := range all[:3] { // up to the job start
				w.OnEvent(e)
			}
			path := filepath.Join(dir, withCodec("app-20240102030405-0001", codec)+InProgress)
			r, info := replay(t, path)
			want := []string{events.NameLogStart, events.NameApplicationStart, events.NameEnvironmentUpdate, events.NameJobStart}
			if !slices.Equal(r.names(), want) {
				t.Errorf("while running, replayed %v, want %v", r.names(), want)
			}
			if info.Completed || info.Ended {
				t.Errorf("Info = %+v, want in progress", info)
			}
			// A task start is not flushed at once, but within the flush
			// interval.
			w.OnEvent(all[4])
			deadline := time.Now().Add(60 * time.Second)
			for {
				r, _ := replay(t, path)
				if slices.Contains(r.names(), events.NameTaskStart) {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the task start never reached the file: %v", r.names())
				}
				time.Sleep(50 * time.Millisecond)
			}
		})
	}
}

func TestRollingLayout(t *testing.T) {
	for _, codec := range codecs {
		t.Run("codec="+codec, func(t *testing.T) {
			dir := t.TempDir()
			log, _ := testLogger(t)
			r, err := redact.New(redact.DefaultRegex, "")
			if err != nil {
				t.Fatal(err)
			}
			const maxFile = 4096
			w, err := open(context.Background(), settings{dir: dir, app: FileName(appID), codec: codec,
				rolling: true, maxFileSize: maxFile, flushInterval: time.Second}, r, log)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(w.Abort)
			all := appEvents()
			var posted []events.Event
			post := func(e events.Event) { w.OnEvent(e); posted = append(posted, e) }
			for _, e := range all[:4] {
				post(e)
			}
			for i := range 60 {
				post(taskEnd(int64(i)))
			}
			for _, e := range all[9:] {
				post(e)
			}
			logDir := filepath.Join(dir, "eventlog_v2_app-20240102030405-0001")
			if got := dirNames(t, dir); !slices.Equal(got, []string{filepath.Base(logDir)}) {
				t.Fatalf("log directory holds %v", got)
			}
			if !slices.Contains(dirNames(t, logDir), "appstatus_app-20240102030405-0001.inprogress") {
				t.Errorf("before Close, no in-progress status marker: %v", dirNames(t, logDir))
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			files := dirNames(t, logDir)
			if !slices.Contains(files, "appstatus_app-20240102030405-0001") || slices.Contains(files, "appstatus_app-20240102030405-0001.inprogress") {
				t.Errorf("after Close, the status marker is not complete: %v", files)
			}
			n := 0
			for i := 1; ; i++ {
				name := withCodec(fmt.Sprintf("events_%d_app-20240102030405-0001", i), codec)
				if !slices.Contains(files, name) {
					break
				}
				n++
				raw, err := os.ReadFile(filepath.Join(logDir, name))
				if err != nil {
					t.Fatal(err)
				}
				if codec == "" && len(raw) > maxFile {
					t.Errorf("%s holds %d bytes, more than %d", name, len(raw), maxFile)
				}
				if i == 1 && !bytes.HasPrefix(raw, magic[codec]) {
					t.Errorf("%s starts with %q", name, raw[:min(len(raw), 40)])
				}
			}
			if n < 3 || len(files) != n+1 {
				t.Fatalf("want several events_<n> files numbered from 1 and the marker, got %v", files)
			}
			rec, info := replay(t, logDir)
			want := append([]string{events.NameLogStart}, names(posted)...)
			if !slices.Equal(rec.names(), want) {
				t.Errorf("replayed %d events %v\nwant %d", len(rec.names()), rec.names(), len(want))
			}
			if !info.Rolling || !info.Completed || info.Codec != codec || info.AppID != appID {
				t.Errorf("Info = %+v", info)
			}
		})
	}
}

func TestRollingFromConf(t *testing.T) {
	dir := t.TempDir()
	w := mustNew(t, newConf(t, dir, "spark.eventLog.rolling.enabled", "true", "spark.eventLog.rolling.maxFileSize", "10m"))
	for _, e := range appEvents() {
		w.OnEvent(e)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	logDir := filepath.Join(dir, "eventlog_v2_app-20240102030405-0001")
	want := []string{"appstatus_app-20240102030405-0001", "events_1_app-20240102030405-0001"}
	if got := dirNames(t, logDir); !slices.Equal(got, want) {
		t.Errorf("files %v, want %v", got, want)
	}
}

// A driver that is killed leaves its log in progress, possibly in the
// middle of a line or of a compressed block; the reader takes what is whole.
func TestKilledWriterLeavesReadableInProgressLog(t *testing.T) {
	for _, codec := range codecs {
		t.Run("codec="+codec, func(t *testing.T) {
			dir := t.TempDir()
			w := mustNew(t, codecConf(t, dir, codec))
			all := appEvents()
			for _, e := range all[:8] {
				w.OnEvent(e)
			}
			w.Abort()
			path := filepath.Join(dir, withCodec("app-20240102030405-0001", codec)+InProgress)
			if got := dirNames(t, dir); !slices.Equal(got, []string{filepath.Base(path)}) {
				t.Fatalf("after Abort: %v", got)
			}
			if err := w.Close(); err == nil {
				t.Error("Close after Abort completed the log")
			}
			full, _ := replay(t, path)
			wantAll := append([]string{events.NameLogStart}, names(all[:8])...)
			if !slices.Equal(full.names(), wantAll) {
				t.Fatalf("replayed %v, want %v", full.names(), wantAll)
			}

			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			// Cut the file short anywhere: the reader returns a prefix of
			// the events, without an error.
			for _, cut := range []int{1, 7, 30, len(raw) / 2} {
				if err := os.WriteFile(path, raw[:len(raw)-cut], 0o644); err != nil {
					t.Fatal(err)
				}
				var r recorder
				info, err := Replay(context.Background(), path, &r)
				if err != nil {
					t.Errorf("cut %d bytes: %v", cut, err)
					continue
				}
				if info.Completed || !slices.Equal(r.names(), wantAll[:len(r.names())]) {
					t.Errorf("cut %d bytes: replayed %v (completed %v)", cut, r.names(), info.Completed)
				}
				// Uncompressed: without its newline, the last line is still
				// whole; cut further, it is left out.
				if want := map[int]int{1: len(wantAll), 7: len(wantAll) - 1, 30: len(wantAll) - 1}[cut]; codec == "" && want > 0 && len(r.names()) != want {
					t.Errorf("cut %d bytes of the last line: replayed %d events, want %d", cut, len(r.names()), want)
				}
			}
		})
	}
}

func TestCutOrCorruptCompletedLogIsAnError(t *testing.T) {
	dir := t.TempDir()
	w := mustNew(t, newConf(t, dir))
	for _, e := range appEvents() {
		w.OnEvent(e)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "app-20240102030405-0001")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.SplitAfter(raw, []byte("\n"))
	lines[3] = []byte("{\"Event\":\"SparkListenerJobStart\",\"Job ID\":\n")
	if err := os.WriteFile(path, bytes.Join(lines, nil), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Replay(context.Background(), path, &recorder{})
	if err == nil || !strings.Contains(err.Error(), path+": line 4:") {
		t.Errorf("corrupt line 4: error %v, want one naming %s and line 4", err, path)
	}
	// The last line cut short in a completed log is an error too.
	if err := os.WriteFile(path, raw[:len(raw)-5], 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Replay(context.Background(), path, &recorder{})
	if want := fmt.Sprintf("line %d:", len(appEvents())); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("cut last line: error %v, want one with %q", err, want)
	}

	// A compressed completed log that stops short is an error.
	zdir := t.TempDir()
	w = mustNew(t, codecConf(t, zdir, "zstd"))
	for _, e := range appEvents() {
		w.OnEvent(e)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	zpath := filepath.Join(zdir, "app-20240102030405-0001.zstd")
	zraw, err := os.ReadFile(zpath)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(zpath, zraw[:len(zraw)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Replay(context.Background(), zpath, &recorder{}); err == nil || !strings.Contains(err.Error(), zpath) {
		t.Errorf("cut zstd log: error %v, want one naming the file", err)
	}
}

func TestUnknownEventsAreSkipped(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app-1")
	content := `{"Event":"SparkListenerLogStart","Spark Version":"3.5.1"}
{"Event":"SparkListenerApplicationStart","App Name":"q","App ID":"app-1","Timestamp":5,"User":"bob"}
{"Event":"org.apache.spark.sql.execution.ui.SparkListenerSQLExecutionStart","executionId":0,"description":"x"}

{"Event":"SparkListenerApplicationEnd","Timestamp":9}
`
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	r, info := replay(t, path)
	want := []string{events.NameLogStart, events.NameApplicationStart, events.NameApplicationEnd}
	if !slices.Equal(r.names(), want) || info.Unknown != 1 || !info.Completed || !info.Ended {
		t.Errorf("replayed %v, Info %+v", r.names(), info)
	}
}

func TestReplayFiltered(t *testing.T) {
	dir := t.TempDir()
	w := mustNew(t, newConf(t, dir))
	for _, e := range appEvents() {
		w.OnEvent(e)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	var r recorder
	info, err := ReplayFiltered(context.Background(), filepath.Join(dir, "app-20240102030405-0001"),
		func(name string) bool { return name == events.NameJobStart }, &r)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(r.names(), []string{events.NameJobStart}) || !info.Ended || info.AppID != appID {
		t.Errorf("replayed %v, Info %+v", r.names(), info)
	}
}

func TestOverwrite(t *testing.T) {
	for _, existing := range []string{
		"app-20240102030405-0001",
		"app-20240102030405-0001.inprogress",
		"app-20240102030405-0001.lz4",
		"eventlog_v2_app-20240102030405-0001",
	} {
		t.Run(existing, func(t *testing.T) {
			dir := t.TempDir()
			old := filepath.Join(dir, existing)
			var err error
			if strings.HasPrefix(existing, "eventlog_v2_") {
				err = os.Mkdir(old, 0o755)
			} else {
				err = os.WriteFile(old, []byte("old\n"), 0o644)
			}
			if err != nil {
				t.Fatal(err)
			}
			log, _ := testLogger(t)
			_, err = New(context.Background(), newConf(t, dir), appID, log)
			if !errors.Is(err, ErrExists) || !strings.Contains(err.Error(), old) || !strings.Contains(err.Error(), "spark.eventLog.overwrite") {
				t.Fatalf("New over %s: error %v, want ErrExists naming it and the property", existing, err)
			}
			if got := dirNames(t, dir); !slices.Equal(got, []string{existing}) {
				t.Fatalf("the refused writer changed the directory: %v", got)
			}

			w, err := New(context.Background(), newConf(t, dir, "spark.eventLog.overwrite", "true"), appID, log)
			if err != nil {
				t.Fatal(err)
			}
			w.OnEvent(&events.ApplicationEnd{Timestamp: 1})
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if got := dirNames(t, dir); !slices.Equal(got, []string{"app-20240102030405-0001"}) {
				t.Fatalf("with overwrite, the directory holds %v", got)
			}
			r, _ := replay(t, filepath.Join(dir, "app-20240102030405-0001"))
			if !slices.Equal(r.names(), []string{events.NameLogStart, events.NameApplicationEnd}) {
				t.Errorf("replayed %v", r.names())
			}
		})
	}
}

func TestLogDirectory(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "plain")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing")
	for _, tc := range []struct {
		value string
		want  []string // in the error; none for success
	}{
		{missing, []string{"spark.eventLog.dir", missing, "does not exist"}},
		{"file://" + missing, []string{"spark.eventLog.dir", missing, "does not exist"}},
		{file, []string{"spark.eventLog.dir", file, "not a directory"}},
		{"hdfs://namenode:8020/spark-events", []string{"spark.eventLog.dir", "hdfs://namenode:8020/spark-events", "local"}},
		{"file://" + dir, nil},
		{"file:" + dir, nil},
		{dir, nil},
	} {
		log, _ := testLogger(t)
		w, err := New(context.Background(), newConf(t, tc.value), appID, log)
		if tc.want == nil {
			if err != nil {
				t.Errorf("%s: %v", tc.value, err)
				continue
			}
			w.Abort()
			if err := os.Remove(filepath.Join(dir, "app-20240102030405-0001.inprogress")); err != nil {
				t.Errorf("%s: %v", tc.value, err)
			}
			continue
		}
		if err == nil {
			w.Abort()
			t.Errorf("%s: no error", tc.value)
			continue
		}
		for _, s := range tc.want {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("%s: error %q does not mention %q", tc.value, err, s)
			}
		}
	}
	if _, err := os.Stat(missing); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the missing directory was created: %v", err)
	}
}

// A write error is said once, with the path; the application goes on and
// the log stays in progress.
func TestWriteErrorDisablesTheLog(t *testing.T) {
	dir := t.TempDir()
	log, out := testLogger(t)
	w, err := New(context.Background(), newConf(t, dir), appID, log)
	if err != nil {
		t.Fatal(err)
	}
	// The disk goes away under the writer.
	w.mu.Lock()
	w.f.Close()
	w.mu.Unlock()
	for _, e := range appEvents() {
		w.OnEvent(e)
	}
	err = w.Close()
	if !errors.Is(err, ErrDisabled) {
		t.Errorf("Close: %v, want ErrDisabled", err)
	}
	path := filepath.Join(dir, "app-20240102030405-0001.inprogress")
	if n := strings.Count(out.String(), "event log write failed"); n != 1 || !strings.Contains(out.String(), path) {
		t.Errorf("logged the failure %d times, want once with %s:\n%s", n, path, out.String())
	}
	if got := dirNames(t, dir); !slices.Equal(got, []string{filepath.Base(path)}) {
		t.Errorf("files %v, want the log left in progress", got)
	}
}

func TestList(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	line := `{"Event":"SparkListenerLogStart","Spark Version":"3.5.1"}` + "\n"
	write("app-1", line)
	write("app-2.inprogress", line)
	write("app-3.zstd", line)
	write("eventlog_v2_app-4/appstatus_app-4.inprogress", "")
	write("eventlog_v2_app-4/events_1_app-4", line)
	write("eventlog_v2_app-4/events_2_app-4", line)
	write("eventlog_v2_app-5/appstatus_app-5", "")  // no event file yet
	write("eventlog_v2_app-6/events_1_app-6", line) // no marker yet
	write(".hidden", line)
	write("notes.txt", line)
	write("app-7.tar.gz", line)
	if err := os.Mkdir(filepath.Join(dir, "other"), 0o755); err != nil {
		t.Fatal(err)
	}
	infos, err := List(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, i := range infos {
		got = append(got, fmt.Sprintf("%s %s rolling=%v completed=%v codec=%s size=%d",
			filepath.Base(i.Path), i.AppID, i.Rolling, i.Completed, i.Codec, i.Size))
	}
	n := len(line)
	want := []string{
		fmt.Sprintf("app-1 app-1 rolling=false completed=true codec= size=%d", n),
		fmt.Sprintf("app-2.inprogress app-2 rolling=false completed=false codec= size=%d", n),
		fmt.Sprintf("app-3.zstd app-3 rolling=false completed=true codec=zstd size=%d", n),
		fmt.Sprintf("eventlog_v2_app-4 app-4 rolling=true completed=false codec= size=%d", 2*n),
	}
	if !slices.Equal(got, want) {
		t.Errorf("List:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestFileName(t *testing.T) {
	for in, want := range map[string]string{
		"app-20240102030405-0001": "app-20240102030405-0001",
		"local-1700000000000":     "local-1700000000000",
		"Spark App:1/2 x":         "spark-app-1-2-x",
		"a.b$c{d}e'f\"g":          "a_b_c_d_e_f_g",
	} {
		if got := FileName(in); got != want {
			t.Errorf("FileName(%q) = %q, want %q", in, got, want)
		}
	}
}

// Logs as Spark 3.5 writes them (fields and events gospark does not model
// included): a zstd file compressed by the zstd tool, as zstd-jni does, and
// a rolling directory whose second file has no SparkListenerLogStart.
func TestReadsSparkLogs(t *testing.T) {
	for _, path := range []string{"testdata/local-1704067200000.zstd", "testdata/eventlog_v2_local-1704067200000"} {
		t.Run(filepath.Base(path), func(t *testing.T) {
			r, info := replay(t, path)
			want := []string{events.NameLogStart, events.NameBlockManagerAdded, events.NameEnvironmentUpdate,
				events.NameApplicationStart, events.NameJobStart, events.NameStageSubmitted, events.NameTaskStart,
				events.NameTaskEnd, events.NameStageCompleted, events.NameJobEnd, events.NameApplicationEnd}
			if !slices.Equal(r.names(), want) {
				t.Errorf("replayed %v\nwant %v", r.names(), want)
			}
			if info.AppID != "local-1704067200000" || !info.Completed || !info.Ended || info.Unknown != 1 {
				t.Errorf("Info = %+v", info)
			}
			if te := r.got[7].(*events.TaskEnd); te.TaskMetrics == nil || te.TaskMetrics.ExecutorRunTime != 250 || te.TaskInfo.FinishTime != 1704067203500 {
				t.Errorf("task end: %+v", te)
			}
		})
	}
}

// The bus hands the same event to every listener at once: the writer only
// reads it.
func TestPostedEventsAreNotChanged(t *testing.T) {
	w := mustNew(t, newConf(t, t.TempDir()))
	e := &events.JobEnd{JobID: 3, CompletionTime: 7, JobResult: events.JobResult{Result: events.JobSucceeded}}
	w.OnEvent(e)
	if e.Event != "" {
		t.Errorf("the writer set the posted event's Event field to %q", e.Event)
	}
}
