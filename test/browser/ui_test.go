//go:build browser

package browser

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// waitLimit bounds every wait for the application (to start, to reach a
// state, to finish): generous, the machine may be busy.
const waitLimit = 5 * time.Minute

// binDir holds gospark and uiapp, built by the first test that needs them
// (the harness's own tests do not) and removed by TestMain.
var (
	binDir    string
	buildOnce sync.Once
	buildErr  error
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "gospark-browser-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// build builds gospark and uiapp (once) and returns their paths.
func build(t *testing.T) (gospark, uiapp string) {
	t.Helper()
	buildOnce.Do(func() {
		cmd := exec.Command("go", "build", "-tags", "browser", "-o", binDir+"/", "./cmd/gospark", "./test/browser/uiapp")
		cmd.Dir = filepath.Join("..", "..")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("building gospark and uiapp: %w\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return filepath.Join(binDir, "gospark"), filepath.Join(binDir, "uiapp")
}

// app is uiapp running under `gospark submit`, as a user runs it.
type app struct {
	t      *testing.T
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	gate   string // the file that lets mapper 0 finish
	ui     string // the UI's URL, from the driver's log
	stdout *syncBuffer
	stderr *syncBuffer

	uiSeen   chan string   // the URL, once logged
	jobsDone chan struct{} // closed when the application printed "jobs done"
	exited   chan struct{} // closed when the process ended; then err is set
	err      error
}

// uiLine is the driver's log line giving the UI's address (slog's text
// format): msg="driver UI started" url=http://127.0.0.1:4040.
var uiLine = regexp.MustCompile(`msg="driver UI[^"]*".*\burl=(http://\S+)`)

// startApp submits uiapp to master with the given properties and
// GroupByTest's arguments, and waits until its UI is up.
func startApp(t *testing.T, gospark, uiapp, master string, conf []string, args ...string) *app {
	t.Helper()
	a := &app{t: t, gate: filepath.Join(t.TempDir(), "gate"), stdout: &syncBuffer{}, stderr: &syncBuffer{},
		uiSeen: make(chan string, 1), jobsDone: make(chan struct{}), exited: make(chan struct{})}
	argv := []string{"submit", "--master", master, "--conf", "spark.ui.port=0", "--conf", "spark.log.level=INFO"}
	for _, c := range conf {
		argv = append(argv, "--conf", c)
	}
	argv = append(argv, uiapp, a.gate)
	a.cmd = exec.Command(gospark, append(argv, args...)...)
	a.cmd.Env = append(os.Environ(), "SPARK_CONF_DIR="+t.TempDir())
	a.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // its executors too end with the test
	var err error
	if a.stdin, err = a.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	outPipe, err := a.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	errPipe, err := a.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := a.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	readers := make(chan struct{}, 2)
	go func() {
		defer func() { readers <- struct{}{} }()
		done := false
		sc := bufio.NewScanner(outPipe)
		for sc.Scan() {
			fmt.Fprintln(a.stdout, sc.Text())
			if sc.Text() == "jobs done" && !done {
				done = true
				close(a.jobsDone)
			}
		}
	}()
	go func() {
		defer func() { readers <- struct{}{} }()
		seen := false
		sc := bufio.NewScanner(errPipe)
		sc.Buffer(make([]byte, 64*1024), 1<<20)
		for sc.Scan() {
			fmt.Fprintln(a.stderr, sc.Text())
			if m := uiLine.FindStringSubmatch(sc.Text()); m != nil && !seen {
				seen = true
				a.uiSeen <- m[1]
			}
		}
		_, _ = io.Copy(a.stderr, errPipe) // a line too long for the scanner
	}()
	go func() {
		<-readers
		<-readers
		a.err = a.cmd.Wait()
		close(a.exited)
	}()
	t.Cleanup(func() {
		// After finish this is a no-op; a test that failed earlier stops
		// the application now: mapper 0 let go, then SIGTERM (gospark
		// submit forwards it), and SIGKILL for the whole process group if
		// that is not enough.
		select {
		case <-a.exited:
		default:
			_ = os.WriteFile(a.gate, nil, 0o644)
			_ = a.stdin.Close()
			_ = a.cmd.Process.Signal(syscall.SIGTERM)
		}
		select {
		case <-a.exited:
		case <-time.After(time.Minute):
			_ = syscall.Kill(-a.cmd.Process.Pid, syscall.SIGKILL)
			<-a.exited
		}
		if t.Failed() {
			t.Logf("application's stdout:\n%s\nstderr:\n%s", a.stdout.String(), a.stderr.String())
		}
	})
	select {
	case a.ui = <-a.uiSeen:
	case <-a.exited:
		t.Fatalf("the application ended (%v) before logging its UI's address\nstderr:\n%s", a.err, a.stderr.String())
	case <-time.After(waitLimit):
		t.Fatalf("no UI address in the driver's log within %v\nstderr:\n%s", waitLimit, a.stderr.String())
	}
	t.Logf("driver UI at %s", a.ui)
	return a
}

// release lets mapper 0, and so the first job, finish.
func (a *app) release() {
	if err := os.WriteFile(a.gate, nil, 0o644); err != nil {
		a.t.Fatal(err)
	}
}

// waitJobsDone waits until the application ran its jobs (it then keeps its
// UI until finish).
func (a *app) waitJobsDone() {
	a.t.Helper()
	select {
	case <-a.jobsDone:
	case <-a.exited:
		a.t.Fatalf("the application ended (%v) before its jobs were done", a.err)
	case <-time.After(waitLimit):
		a.t.Fatalf("jobs not done within %v", waitLimit)
	}
}

// finish closes the application's input, so that it stops its session, and
// checks that it exits 0 having printed GroupByTest's count.
func (a *app) finish() {
	a.t.Helper()
	_ = a.stdin.Close()
	select {
	case <-a.exited:
	case <-time.After(waitLimit):
		a.t.Fatalf("the application did not exit within %v of its input closing", waitLimit)
	}
	if a.err != nil {
		a.t.Fatalf("the application failed: %v", a.err)
	}
	lines := strings.Split(strings.TrimSpace(a.stdout.String()), "\n")
	if len(lines) < 2 || lines[len(lines)-1] != "jobs done" {
		a.t.Fatalf("output %q: want the count and \"jobs done\"", a.stdout.String())
	}
	if n, err := strconv.Atoi(lines[len(lines)-2]); err != nil || n <= 0 {
		a.t.Errorf("output %q: want a positive count before \"jobs done\"", a.stdout.String())
	}
}

// api fetches the UI's REST API at path (under /api/v1) into v.
func (a *app) api(path string, v any) {
	a.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), actionTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.ui+"/api/v1"+path, nil)
	if err != nil {
		a.t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		a.t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		a.t.Fatalf("GET /api/v1%s: %s\n%s", path, resp.Status, body)
	}
	if v == nil {
		return
	}
	if err := json.Unmarshal(body, v); err != nil {
		a.t.Fatalf("GET /api/v1%s: %v\n%s", path, err, body)
	}
}

// apiText fetches the UI's REST API at path as text.
func (a *app) apiText(path string) string {
	a.t.Helper()
	var raw json.RawMessage
	a.api(path, &raw)
	return string(raw)
}

// appID is the application's id, as the API lists it.
func (a *app) appID() string {
	a.t.Helper()
	var apps []struct {
		ID string `json:"id"`
	}
	a.api("/applications", &apps)
	if len(apps) != 1 || apps[0].ID == "" {
		a.t.Fatalf("/api/v1/applications lists %d applications, want this one", len(apps))
	}
	return apps[0].ID
}

// until reloads the page at url until the expression, evaluated in it, is
// true, and returns when it is; the page must stay clean meanwhile. Nothing
// is timed: the limit only ends a test that would wait forever.
func (tb *tab) until(a *app, what, url, expr string) {
	tb.t.Helper()
	deadline := time.Now().Add(waitLimit)
	for {
		problems, err := tb.load(url)
		if err != nil {
			tb.t.Fatal(err)
		}
		if len(problems) > 0 {
			shot := tb.screenshot("problem")
			tb.t.Fatalf("%s (screenshot %s):\n  %s", url, shot, strings.Join(problems, "\n  "))
		}
		if mustEval[bool](tb, expr) {
			return
		}
		select {
		case <-a.exited:
			tb.t.Fatalf("the application ended (%v) before %s", a.err, what)
		default:
		}
		if time.Now().After(deadline) {
			shot := tb.screenshot("timeout")
			tb.t.Fatalf("%s: not seen within %v (screenshot %s)", what, waitLimit, shot)
		}
	}
}

// sparkProperties is a JavaScript expression giving the Environment page's
// Spark properties, name to value as shown.
const sparkProperties = `Object.fromEntries(Array.from(
	document.querySelectorAll("#spark-properties tbody tr"), r => [r.cells[0].textContent, r.cells[1].textContent]))`

// count is a JavaScript expression counting the elements selector matches.
func count(selector string) string {
	return fmt.Sprintf("document.querySelectorAll(%q).length", selector)
}

// TestLiveUI looks at the driver's UI while GroupByTest runs under local[2]
// (a job running, its stage and its tasks, some done and one running) and
// once its jobs are done (every job succeeded, as many as the API lists),
// and at the Storage, Environment and Executors pages.
func TestLiveUI(t *testing.T) {
	gospark, uiapp := build(t)
	const mappers = 4
	a := startApp(t, gospark, uiapp, "local[2]", nil,
		strconv.Itoa(mappers), "20000", "500", "2") // 4 mappers of 20000 pairs of 500 bytes, 2 reducers
	tb := newTab(t)
	id := a.appID()

	// The first job runs until released: mapper 0 waits, the others finish.
	tb.until(a, "a running job on the Jobs page", a.ui+"/jobs/", count("#active-jobs tr.job[data-status=RUNNING]")+" > 0")
	tb.screenshot("jobs-running")
	tb.until(a, "an active stage on the Stages page", a.ui+"/stages/", count("#active-stages tr.stage")+" > 0")
	stage := mustEval[struct {
		ID      string `json:"id"`
		Attempt string `json:"attempt"`
	}](tb, `(() => { const r = document.querySelector("#active-stages tr.stage");
		return {id: r.dataset.stageId, attempt: r.dataset.attempt}; })()`)
	if stage.Attempt != "0" {
		t.Errorf("active stage %s: attempt %q, want 0", stage.ID, stage.Attempt)
	}
	tb.screenshot("stages-running")
	stageURL := fmt.Sprintf("%s/stages/stage/?id=%s&attempt=0", a.ui, stage.ID)
	tb.until(a, fmt.Sprintf("stage %s's tasks: %d succeeded and mapper 0 running", stage.ID, mappers-1), stageURL,
		fmt.Sprintf("%s == %d && %s == 1", count("#task-table tr.task[data-status=SUCCESS]"), mappers-1,
			count("#task-table tr.task[data-status=RUNNING]")))
	if n := mustEval[int](tb, count("#task-summary")); n != 1 {
		t.Errorf("stage %s: no #task-summary with %d tasks done", stage.ID, mappers-1)
	}
	tb.screenshot("stage-running")

	a.release()
	a.waitJobsDone()

	var jobs []struct {
		JobID  int    `json:"jobId"`
		Status string `json:"status"`
	}
	a.api("/applications/"+id+"/jobs", &jobs)
	if len(jobs) != 2 {
		t.Errorf("API lists %d jobs, want GroupByTest's 2", len(jobs))
	}
	tb.visit("jobs-done", a.ui+"/jobs/")
	if n := mustEval[int](tb, count("#completed-jobs tr.job[data-status=SUCCEEDED]")); n != len(jobs) {
		t.Errorf("Jobs page: %d succeeded jobs in #completed-jobs, the API lists %d jobs", n, len(jobs))
	}
	if n := mustEval[int](tb, count("tr.job:not([data-status=SUCCEEDED])")); n != 0 {
		t.Errorf("Jobs page: %d jobs not succeeded once all are done", n)
	}
	for _, j := range jobs {
		tb.visit(fmt.Sprintf("job-%d", j.JobID), fmt.Sprintf("%s/jobs/job/?id=%d", a.ui, j.JobID))
	}

	var stages []struct {
		StageID   int    `json:"stageId"`
		AttemptID int    `json:"attemptId"`
		Status    string `json:"status"`
	}
	a.api("/applications/"+id+"/stages", &stages)
	tb.visit("stages-done", a.ui+"/stages/")
	complete := 0
	for _, s := range stages {
		if s.Status == "COMPLETE" {
			complete++
		}
	}
	if n := mustEval[int](tb, count("#completed-stages tr.stage")); n != complete || n == 0 {
		t.Errorf("Stages page: %d rows in #completed-stages, the API lists %d complete stages", n, complete)
	}
	for _, s := range stages {
		url := fmt.Sprintf("%s/stages/stage/?id=%d&attempt=%d", a.ui, s.StageID, s.AttemptID)
		tb.visit(fmt.Sprintf("stage-%d", s.StageID), url)
		if s.Status != "COMPLETE" {
			continue
		}
		var tasks []json.RawMessage
		a.api(fmt.Sprintf("/applications/%s/stages/%d/%d/taskList?length=10000", id, s.StageID, s.AttemptID), &tasks)
		if n := mustEval[int](tb, count("#task-table tr.task[data-status=SUCCESS]")); n == 0 || n > len(tasks) {
			t.Errorf("stage %d: %d succeeded tasks in #task-table, the API lists %d tasks", s.StageID, n, len(tasks))
		}
		if n := mustEval[int](tb, count("#task-summary")); n != 1 {
			t.Errorf("stage %d: no #task-summary", s.StageID)
		}
	}

	var rdds []json.RawMessage
	a.api("/applications/"+id+"/storage/rdd", &rdds)
	tb.visit("storage", a.ui+"/storage/")
	if n := mustEval[int](tb, count("#rdds tr.rdd")); n != len(rdds) || n == 0 {
		t.Errorf("Storage page: %d rows in #rdds, the API lists %d cached datasets (GroupByTest caches one)", n, len(rdds))
	}

	tb.visit("environment", a.ui+"/environment/")
	props := mustEval[map[string]string](tb, sparkProperties)
	if props["spark.master"] != "local[2]" || props["spark.app.id"] != id {
		t.Errorf("Environment page: spark.master %q, spark.app.id %q; want local[2] and %s", props["spark.master"], props["spark.app.id"], id)
	}

	tb.visit("executors", a.ui+"/executors/")
	if n := mustEval[int](tb, count(`#executors tr.executor[data-executor-id="driver"]`)); n != 1 {
		t.Errorf("Executors page: %d driver rows in #executors, want 1", n)
	}

	tb.leave()
	a.finish()
}

// TestSecretNotShown runs GroupByTest on local-cluster executors with
// spark.authenticate and a secret: the Environment page lists the property
// with its value redacted, and no page nor API answer holds the secret.
func TestSecretNotShown(t *testing.T) {
	gospark, uiapp := build(t)
	buf := make([]byte, 16)
	if _, err := rand.Read(buf); err != nil {
		t.Fatal(err)
	}
	secret := "s3cret" + hex.EncodeToString(buf)
	a := startApp(t, gospark, uiapp, "local-cluster[2,1,1024]",
		[]string{"spark.authenticate=true", "spark.authenticate.secret=" + secret},
		"2", "1000", "100", "2")
	a.release()
	tb := newTab(t)
	a.waitJobsDone()
	id := a.appID()

	html := `document.documentElement.outerHTML`
	var logs []string
	for _, page := range []string{"jobs", "stages", "storage", "environment", "executors"} {
		tb.visit(page, a.ui+"/"+page+"/")
		if strings.Contains(mustEval[string](tb, html), secret) {
			t.Errorf("the %s page shows spark.authenticate.secret's value", page)
		}
		switch page {
		case "environment":
			props := mustEval[map[string]string](tb, sparkProperties)
			if v, ok := props["spark.authenticate.secret"]; !ok || !strings.Contains(v, "redacted") {
				t.Errorf("Environment page: spark.authenticate.secret is %q (listed: %v), want it redacted", v, ok)
			}
			if props["spark.authenticate"] != "true" {
				t.Errorf("Environment page: spark.authenticate is %q, want true", props["spark.authenticate"])
			}
		case "executors":
			if n := mustEval[int](tb, count(`#executors tr.executor:not([data-executor-id="driver"])`)); n != 2 {
				t.Errorf("Executors page: %d executors besides the driver, want local-cluster's 2", n)
			}
			logs = mustEval[[]string](tb, `Array.from(document.querySelectorAll("#executors a.log-link"), a => a.href)`)
		}
	}
	// The executors' logs, where the cluster manager offers them.
	for i, url := range logs {
		tb.visit(fmt.Sprintf("executor-log-%d", i), url)
		if strings.Contains(mustEval[string](tb, html), secret) {
			t.Errorf("executor log %s shows spark.authenticate.secret's value", url)
		}
	}
	for _, path := range []string{"/applications/" + id + "/environment", "/applications/" + id + "/executors", "/applications/" + id + "/jobs"} {
		if strings.Contains(a.apiText(path), secret) {
			t.Errorf("GET /api/v1%s shows spark.authenticate.secret's value", path)
		}
	}
	tb.leave()
	a.finish()
}
