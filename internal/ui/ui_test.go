package ui_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gospark/gospark/internal/events"
	"github.com/gospark/gospark/internal/status"
	"github.com/gospark/gospark/internal/status/statustest"
	"github.com/gospark/gospark/internal/ui"
)

func store(ev []events.Event) *status.Store {
	s := status.New(status.Options{Now: func() time.Time { return time.UnixMilli(statustest.End) }})
	for _, e := range ev {
		s.OnEvent(e)
	}
	return s
}

func serve(t *testing.T, apps ui.Apps, o ui.Options) *httptest.Server {
	t.Helper()
	if o.Version == "" {
		o.Version = "gospark-test"
	}
	srv := httptest.NewServer(ui.NewHandler(apps, o))
	t.Cleanup(srv.Close)
	return srv
}

// get fetches path without following redirects and returns the status, the
// body and the Location header.
func get(t *testing.T, srv *httptest.Server, path string) (int, string, string) {
	t.Helper()
	c := srv.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b), resp.Header.Get("Location")
}

func mustGet(t *testing.T, srv *httptest.Server, path string) string {
	t.Helper()
	code, body, _ := get(t, srv, path)
	if code != http.StatusOK {
		t.Fatalf("GET %s: %d\n%s", path, code, body)
	}
	return body
}

func contains(t *testing.T, what, body string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("%s lacks %q", what, w)
		}
	}
}

func lacks(t *testing.T, what, body string, bad ...string) {
	t.Helper()
	for _, b := range bad {
		if strings.Contains(body, b) {
			t.Errorf("%s has %q", what, b)
		}
	}
}

// rows returns the values of attr on the elements of class in body.
func rows(body, class, attr string) []string {
	re := regexp.MustCompile(`<tr class="` + class + `"[^>]*\b` + attr + `="([^"]*)"`)
	var out []string
	for _, m := range re.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

// table returns the HTML of the table with the given id.
func table(t *testing.T, body, id string) string {
	t.Helper()
	i := strings.Index(body, `<table id="`+id+`"`)
	if i < 0 {
		t.Fatalf("no table %q", id)
	}
	j := strings.Index(body[i:], "</table>")
	return body[i : i+j]
}

func TestLiveRedirectsAndRefresh(t *testing.T) {
	srv := serve(t, ui.Single(store(statustest.Running())), ui.Options{RefreshSeconds: 2})
	code, _, loc := get(t, srv, "/")
	if code != http.StatusFound || loc != "/jobs/" {
		t.Fatalf("/: %d to %q", code, loc)
	}
	code, _, loc = get(t, srv, "/stages/stage?id=1&attempt=0")
	if code != http.StatusMovedPermanently || loc != "/stages/stage/?id=1&attempt=0" {
		t.Fatalf("/stages/stage: %d to %q", code, loc)
	}
	for _, p := range []string{"/jobs/", "/jobs/job/?id=0", "/stages/", "/stages/stage/?id=0&attempt=0", "/storage/",
		"/storage/rdd/?id=100", "/environment/", "/executors/"} {
		body := mustGet(t, srv, p)
		contains(t, p, body, `<meta http-equiv="refresh" content="2">`, `<span id="app-name">Golden App</span>`,
			`<span id="app-id">app-20260101000000-0000</span>`, `id="tab-jobs" href="/jobs/"`, `id="tab-stages" href="/stages/"`,
			`id="tab-storage" href="/storage/"`, `id="tab-environment" href="/environment/"`, `id="tab-executors" href="/executors/"`)
	}

	done := serve(t, ui.Single(store(statustest.Events())), ui.Options{RefreshSeconds: 2})
	lacks(t, "completed app's jobs page", mustGet(t, done, "/jobs/"), "http-equiv")
}

func TestJobsPages(t *testing.T) {
	srv := serve(t, ui.Single(store(statustest.Events())), ui.Options{})
	body := mustGet(t, srv, "/jobs/")
	if got := rows(table(t, body, "completed-jobs"), "job", "data-job-id"); fmt.Sprint(got) != "[3 1 0]" {
		t.Errorf("completed jobs %v", got)
	}
	if got := rows(table(t, body, "failed-jobs"), "job", "data-status"); fmt.Sprint(got) != "[FAILED]" {
		t.Errorf("failed jobs %v", got)
	}
	if got := rows(table(t, body, "active-jobs"), "job", "data-job-id"); len(got) != 0 {
		t.Errorf("active jobs %v", got)
	}
	contains(t, "jobs page", body, `<a href="/jobs/job/?id=2">collect at pagerank.go:60</a>`, "count words", "(nightly)",
		"0/1 (1 skipped)", `id="spark-user">alice<`, "Total Uptime")

	job := mustGet(t, srv, "/jobs/job/?id=2")
	contains(t, "job 2", job, `<dd id="job-status" class="status-FAILED">FAILED</dd>`)
	if got := rows(table(t, job, "skipped-stages"), "stage", "data-stage-id"); fmt.Sprint(got) != "[4]" {
		t.Errorf("job 2 skipped stages %v", got)
	}
	failed := table(t, job, "failed-stages")
	if got := rows(failed, "stage", "data-status"); fmt.Sprint(got) != "[FAILED]" {
		t.Errorf("job 2 failed stages %v", got)
	}
	// The failure carries HTML, shown as text.
	contains(t, "job 2 failed stages", failed, "&lt;b&gt;bad&lt;/b&gt;")
	lacks(t, "job 2", job, "<b>bad</b>")

	for path, code := range map[string]int{"/jobs/job/?id=9": 404, "/jobs/job/?id=x": 400, "/jobs/job/": 400} {
		if c, _, _ := get(t, srv, path); c != code {
			t.Errorf("GET %s: %d, want %d", path, c, code)
		}
	}
}

func TestStagePages(t *testing.T) {
	srv := serve(t, ui.Single(store(statustest.Events())), ui.Options{})
	body := mustGet(t, srv, "/stages/")
	for id, want := range map[string]string{
		"completed-stages": "[6 3 2 2 1 0]", "failed-stages": "[5 3]", "skipped-stages": "[4]", "active-stages": "[]", "pending-stages": "[]",
	} {
		if got := rows(table(t, body, id), "stage", "data-stage-id"); fmt.Sprint(got) != want {
			t.Errorf("%s: %v, want %s", id, got, want)
		}
	}
	contains(t, "stages page", body, `data-stage-id="3" data-attempt="1" data-status="COMPLETE"`, "(retry 1)",
		`href="/stages/stage/?id=3&amp;attempt=0"`, "FetchFailed(BlockManagerId(2, host2, 40000)")

	st := mustGet(t, srv, "/stages/stage/?id=0&attempt=0")
	if got := rows(table(t, st, "task-table"), "task", "data-task-id"); fmt.Sprint(got) != "[0 1]" {
		t.Errorf("stage 0 tasks %v", got)
	}
	summary := table(t, st, "task-summary")
	contains(t, "stage 0 summary", summary, "<th>Min</th>", "<th>25th percentile</th>", "<th>Median</th>",
		"<th>75th percentile</th>", "<th>Max</th>", "Duration", "Shuffle Write Size / Records", "Spill (Memory)", "GC Time")
	// Task 1 read 4096 bytes and 200 records; a human number with the exact
	// one as its title.
	contains(t, "stage 0 tasks", table(t, st, "task-table"), `<span title="4096 bytes, 200 records">4.0 KiB / 200</span>`,
		`<span title="200 ms">0.2 s</span>`, `<span title="8192 bytes">8.0 KiB</span>`, "n/a")
	contains(t, "stage 0", st, "Summary Metrics for 2 Completed Tasks", `<table id="executor-summary"`)

	retry := mustGet(t, srv, "/stages/stage/?id=3&attempt=0")
	contains(t, "stage 3.0", retry, `<dd id="stage-status" class="status-FAILED">FAILED</dd>`, `id="stage-attempts"`,
		`href="/stages/stage/?id=3&amp;attempt=1"`, "FetchFailed: connection refused")
	failed := mustGet(t, srv, "/stages/stage/?id=5&attempt=0")
	contains(t, "stage 5", failed, `id="task-summary-empty"`, "main.errBoom: boom: &lt;b&gt;bad&lt;/b&gt; record 42")
	lacks(t, "stage 5", failed, "<b>bad</b>")
	// Without an attempt: the last one.
	contains(t, "stage 3", mustGet(t, srv, "/stages/stage/?id=3"), "Details for Stage 3 (Attempt 1)")

	for path, code := range map[string]int{
		"/stages/stage/?id=42": 404, "/stages/stage/?id=3&attempt=5": 404, "/stages/stage/?id=-1": 400,
		"/stages/stage/?id=0&task.page=x": 400, "/stages/stage/?id=0&task.sort=up": 400, "/stages/stage/?id=0&task.pageSize=0": 400,
	} {
		if c, _, _ := get(t, srv, path); c != code {
			t.Errorf("GET %s: %d, want %d", path, c, code)
		}
	}
}

func TestBigStagePagination(t *testing.T) {
	const n = 10000
	s := status.New(status.Options{})
	si := statustest.Stage(0, 0, n, "big")
	s.OnEvent(&events.ApplicationStart{AppName: "big", AppID: "app-big"})
	s.OnEvent(&events.StageSubmitted{StageInfo: si})
	for i := range n {
		info := statustest.TaskInfo(int64(i), i, 0, "1", 1000, 1000+int64(i%500))
		s.OnEvent(&events.TaskStart{TaskInfo: info})
		s.OnEvent(statustest.Success(0, 0, info, statustest.Metrics(int64(i%500), 1), "ResultTask"))
	}
	srv := serve(t, ui.Single(s), ui.Options{})
	first := mustGet(t, srv, "/stages/stage/?id=0&attempt=0")
	ids := rows(first, "task", "data-task-id")
	if len(ids) != ui.TasksPerPage || ids[0] != "0" || ids[99] != "99" {
		t.Fatalf("page 1: %d rows, %v...", len(ids), ids[:min(3, len(ids))])
	}
	contains(t, "page 1", first, "Tasks (10000)", `data-page="1" data-pages="100"`,
		`class="page-next" href="/stages/stage/?attempt=0&amp;id=0&amp;task.page=2&amp;task.sort=ID"`)
	second := mustGet(t, srv, "/stages/stage/?id=0&attempt=0&task.page=2")
	if ids := rows(second, "task", "data-task-id"); ids[0] != "100" || ids[99] != "199" {
		t.Fatalf("page 2: %v...", ids[:3])
	}
	last := mustGet(t, srv, "/stages/stage/?id=0&attempt=0&task.page=500")
	if ids := rows(last, "task", "data-task-id"); len(ids) != 100 || ids[99] != "9999" {
		t.Fatalf("past the end: %d rows", len(ids))
	}
	lacks(t, "last page", last, "page-next")
	slow := mustGet(t, srv, "/stages/stage/?id=0&attempt=0&task.sort=-runtime&task.pageSize=10")
	if ids := rows(slow, "task", "data-task-id"); len(ids) != 10 || ids[0] != "9999" {
		t.Fatalf("slowest first: %v", ids)
	}
}

func TestStoragePages(t *testing.T) {
	srv := serve(t, ui.Single(store(statustest.Events())), ui.Options{})
	body := mustGet(t, srv, "/storage/")
	rdds := table(t, body, "rdds")
	contains(t, "rdds", rdds, `data-rdd-id="100"`, `<a href="/storage/rdd/?id=100">words</a>`,
		"Memory Deserialized 1x Replicated", "50%", `<span title="10485760 bytes">10.0 MiB</span>`)
	rdd := mustGet(t, srv, "/storage/rdd/?id=100")
	contains(t, "rdd 100", table(t, rdd, "rdd-partitions"), "<td>rdd_100_0</td>", "<td>1</td>")
	contains(t, "rdd 100", table(t, rdd, "rdd-distribution"), "host1:40000")
	if c, _, _ := get(t, srv, "/storage/rdd/?id=7"); c != 404 {
		t.Errorf("rdd 7: %d", c)
	}
}

func TestEnvironmentRedacted(t *testing.T) {
	srv := serve(t, ui.Single(store(statustest.Events())), ui.Options{})
	body := mustGet(t, srv, "/environment/")
	props := table(t, body, "spark-properties")
	contains(t, "spark properties", props, "spark.kubernetes.mytoken", "*********(redacted)", "local-cluster[2,2,1024]")
	lacks(t, "environment page", body, statustest.Secret)
	contains(t, "environment page", body, `<table id="runtime-information"`, "go1.26.8", `<table id="system-properties"`,
		`<table id="classpath-entries"`, `<table id="metrics-properties"`, `<table id="hadoop-properties"`)
	api := mustGet(t, srv, "/api/v1/applications/"+statustest.AppID+"/environment")
	lacks(t, "/environment", api, statustest.Secret)
	contains(t, "/environment", api, `[ "spark.kubernetes.mytoken", "*********(redacted)" ]`)
}

func logOf(content string, err error) func(context.Context, string, string, string) (io.ReadCloser, error) {
	return func(_ context.Context, app, exec, which string) (io.ReadCloser, error) {
		if err != nil {
			return nil, err
		}
		return io.NopCloser(strings.NewReader(app + " " + exec + " " + which + ": " + content)), nil
	}
}

func TestExecutorsPage(t *testing.T) {
	st := store(statustest.Events())
	srv := serve(t, ui.Single(st), ui.Options{ExecutorLog: logOf("<script>alert(1)</script>", nil)})
	body := mustGet(t, srv, "/executors/")
	execs := table(t, body, "executors")
	if got := rows(execs, "executor", "data-executor-id"); fmt.Sprint(got) != "[driver 1 2]" {
		t.Fatalf("executors %v", got)
	}
	if got := rows(execs, "executor", "data-active"); fmt.Sprint(got) != "[true true false]" {
		t.Fatalf("executors active %v", got)
	}
	contains(t, "executors", execs, `href="/executors/log/?executorId=1&amp;logType=stderr"`, "worker lost: exited with code 137", "Dead")
	contains(t, "executor totals", table(t, body, "executors-summary"), "Active(2)", "Dead(1)", "Total(3)")

	running := serve(t, ui.Single(store(statustest.Running())), ui.Options{RefreshSeconds: 2, ExecutorLog: logOf("x", nil)})
	lacks(t, "a running app's log page", mustGet(t, running, "/executors/log/?executorId=1&logType=stderr"), "http-equiv")
	logPage := mustGet(t, srv, "/executors/log/?executorId=1&logType=stderr")
	contains(t, "log page", logPage, `<pre class="log" id="log">app-20260101000000-0000 1 stderr: &lt;script&gt;alert(1)&lt;/script&gt;</pre>`)
	lacks(t, "log page", logPage, "<script>")
	code, raw, _ := get(t, srv, "/executors/log/?executorId=1&logType=stdout&raw=true")
	if code != 200 || raw != "app-20260101000000-0000 1 stdout: <script>alert(1)</script>" {
		t.Fatalf("raw log: %d %q", code, raw)
	}
	for path, want := range map[string]int{
		"/executors/log/?executorId=9&logType=stderr": 404,
		"/executors/log/?executorId=1&logType=gc":     400,
		"/executors/log/?logType=stderr":              400,
	} {
		if c, _, _ := get(t, srv, path); c != want {
			t.Errorf("GET %s: %d, want %d", path, c, want)
		}
	}

	// No way to read logs: no links, and the log page says so.
	none := serve(t, ui.Single(st), ui.Options{})
	lacks(t, "executors without logs", mustGet(t, none, "/executors/"), "/executors/log/")
	code, page, _ := get(t, none, "/executors/log/?executorId=1&logType=stderr")
	if code != 404 || !strings.Contains(page, `id="log-unavailable"`) || !strings.Contains(page, "not available") {
		t.Fatalf("log without ExecutorLog: %d\n%s", code, page)
	}
	// A log that does not exist, and one that cannot be read.
	gone := serve(t, ui.Single(st), ui.Options{ExecutorLog: logOf("", fmt.Errorf("open: %w", fs.ErrNotExist))})
	if c, page, _ := get(t, gone, "/executors/log/?executorId=2&logType=stdout"); c != 404 || !strings.Contains(page, "file does not exist") {
		t.Fatalf("missing log: %d\n%s", c, page)
	}
	broken := serve(t, ui.Single(st), ui.Options{ExecutorLog: logOf("", errors.New("pod is gone"))})
	if c, _, _ := get(t, broken, "/executors/log/?executorId=2&logType=stdout"); c != 503 {
		t.Fatalf("unreadable log: %d", c)
	}
}

func TestLongLogShowsItsEnd(t *testing.T) {
	big := strings.Repeat("x", 3<<20) + "THE END"
	srv := serve(t, ui.Single(store(statustest.Events())), ui.Options{ExecutorLog: logOf(big, nil)})
	page := mustGet(t, srv, "/executors/log/?executorId=1&logType=stderr")
	contains(t, "long log", page, `id="log-truncated"`, "THE END</pre>")
	if len(page) > 2<<20 {
		t.Fatalf("page of %d bytes", len(page))
	}
}

// history is a history server's applications: completed and running ones.
type history map[string]*status.Store

func (h history) Applications() []status.ApplicationInfo {
	var out []status.ApplicationInfo
	for _, s := range h {
		out = append(out, s.Application())
	}
	return out
}

func (h history) Store(_ context.Context, id string) (*status.Store, error) {
	if s := h[id]; s != nil {
		return s, nil
	}
	return nil, fmt.Errorf("no event log for %s: %w", id, ui.ErrNotFound)
}

func runningApp() *status.Store {
	return store([]events.Event{
		&events.ApplicationStart{AppName: "<i>Still</i> running", AppID: "app-running", Timestamp: statustest.T0, User: "bob"},
		&events.JobStart{JobID: 0, SubmissionTime: statustest.T0 + 5, StageInfos: []events.StageInfo{statustest.Stage(0, 0, 4, "count")}, StageIDs: []int{0}},
	})
}

func TestHistory(t *testing.T) {
	apps := history{statustest.AppID: store(statustest.Events()), "app-running": runningApp()}
	srv := serve(t, apps, ui.Options{History: true, RefreshSeconds: 5})

	list := mustGet(t, srv, "/")
	if got := rows(list, "application", "data-app-id"); fmt.Sprint(got) != "["+statustest.AppID+"]" {
		t.Fatalf("completed applications %v", got)
	}
	contains(t, "history", list, `<a href="/history/app-20260101000000-0000/jobs/">app-20260101000000-0000</a>`,
		"Golden App", "2026/01/01 00:00:00", "2026/01/01 00:01:00", "1.0 min", "alice", `href="/?showIncomplete=true"`)
	inc := mustGet(t, srv, "/?showIncomplete=true")
	if got := rows(inc, "application", "data-app-id"); fmt.Sprint(got) != "[app-running]" {
		t.Fatalf("incomplete applications %v", got)
	}
	contains(t, "incomplete", inc, "incomplete", "&lt;i&gt;Still&lt;/i&gt; running")

	jobs := mustGet(t, srv, "/history/"+statustest.AppID+"/jobs/")
	contains(t, "history jobs", jobs, `id="tab-stages" href="/history/app-20260101000000-0000/stages/"`,
		`<a href="/history/app-20260101000000-0000/jobs/job/?id=2">`, `<a href="/">History</a>`)
	lacks(t, "history jobs", jobs, `href="/jobs/`, "http-equiv")
	stages := mustGet(t, srv, "/history/"+statustest.AppID+"/stages/")
	contains(t, "history stages", stages, `href="/history/app-20260101000000-0000/stages/stage/?id=6&amp;attempt=0"`)
	runningJobs := mustGet(t, srv, "/history/app-running/jobs/")
	contains(t, "history running app", runningJobs, `http-equiv="refresh" content="5"`,
		`<title>&lt;i&gt;Still&lt;/i&gt; running - Spark Jobs</title>`, `<span id="app-name">&lt;i&gt;Still&lt;/i&gt; running</span>`)
	lacks(t, "history running app", runningJobs, "<i>")
	for _, p := range []string{"stages/stage/?id=3&attempt=1", "storage/", "storage/rdd/?id=100", "environment/", "executors/", "jobs/job/?id=1"} {
		mustGet(t, srv, "/history/"+statustest.AppID+"/"+p)
	}

	code, _, loc := get(t, srv, "/history/"+statustest.AppID+"/")
	if code != http.StatusFound || loc != "/history/"+statustest.AppID+"/jobs/" {
		t.Fatalf("app root: %d %q", code, loc)
	}
	code, _, loc = get(t, srv, "/history/"+statustest.AppID+"/stages")
	if code != http.StatusMovedPermanently || loc != "/history/"+statustest.AppID+"/stages/" {
		t.Fatalf("stages without slash: %d %q", code, loc)
	}
	for path, want := range map[string]int{"/history/app-nope/jobs/": 404, "/jobs/": 404, "/history/" + statustest.AppID + "/nope/": 404} {
		if c, _, _ := get(t, srv, path); c != want {
			t.Errorf("GET %s: %d, want %d", path, c, want)
		}
	}

	// The REST API sees both.
	all := mustGet(t, srv, "/api/v1/applications")
	contains(t, "applications", all, `"id" : "app-running"`, `"id" : "app-20260101000000-0000"`)
	running := mustGet(t, srv, "/api/v1/applications?status=running")
	lacks(t, "running applications", running, statustest.AppID)
	contains(t, "running applications", running, "app-running")
	if got := mustGet(t, srv, "/api/v1/applications?limit=0"); strings.TrimSpace(got) != "[ ]" {
		t.Errorf("limit=0: %s", got)
	}
	if got := mustGet(t, srv, "/api/v1/applications?status=completed&minDate=2026-01-02"); strings.TrimSpace(got) != "[ ]" {
		t.Errorf("minDate after the start: %s", got)
	}
	contains(t, "maxEndDate", mustGet(t, srv, "/api/v1/applications?maxEndDate=2026-01-01T00:01:00.000GMT"), statustest.AppID)
	lacks(t, "maxEndDate", mustGet(t, srv, "/api/v1/applications?maxEndDate=2026-01-01T00:00:59.999GMT&status=completed"), statustest.AppID)
}

func TestExtraHandlersAndMethods(t *testing.T) {
	metrics := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "metrics_total 1\n") })
	srv := serve(t, ui.Single(store(statustest.Events())), ui.Options{Handlers: map[string]http.Handler{"/metrics/prometheus": metrics}})
	if got := mustGet(t, srv, "/metrics/prometheus"); got != "metrics_total 1\n" {
		t.Fatalf("metrics: %q", got)
	}
	resp, err := srv.Client().Post(srv.URL+"/jobs/", "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("POST: %d", resp.StatusCode)
	}
	if c, _, _ := get(t, srv, "/nowhere"); c != 404 {
		t.Fatalf("/nowhere: %d", c)
	}
}

func TestNoApplicationYet(t *testing.T) {
	srv := serve(t, ui.Single(status.New(status.Options{})), ui.Options{RefreshSeconds: 1})
	// Before the ApplicationStart the pages show an empty application.
	for _, p := range []string{"/jobs/", "/stages/", "/executors/", "/environment/", "/storage/"} {
		mustGet(t, srv, p)
	}
	if c, _, _ := get(t, srv, "/api/v1/applications/app-x/jobs"); c != 404 {
		t.Fatalf("unknown app: %d", c)
	}
}

// BenchmarkBigStagePage renders a page of a stage of 10,000 tasks.
func BenchmarkBigStagePage(b *testing.B) {
	s := status.New(status.Options{})
	s.OnEvent(&events.StageSubmitted{StageInfo: statustest.Stage(0, 0, 10000, "big")})
	for i := range 10000 {
		info := statustest.TaskInfo(int64(i), i, 0, "1", 1000, 1000+int64(i%500))
		s.OnEvent(&events.TaskStart{TaskInfo: info})
		s.OnEvent(statustest.Success(0, 0, info, statustest.Metrics(int64(i%500), 1), "ResultTask"))
	}
	h := ui.NewHandler(ui.Single(s), ui.Options{})
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/stages/stage/?id=0&attempt=0&task.page=50", nil))
		if rec.Code != 200 {
			b.Fatal(rec.Code)
		}
	}
}
