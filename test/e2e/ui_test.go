//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
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
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// Issue 14 on the real cluster: the driver's UI and REST API reached with
// kubectl port-forward and through the UI's NodePort Service, the event
// log written to a hostPath directory, the history server of
// conf/kubernetes-history-server.yaml showing finished and killed
// applications from it, and secrets kept out of all of them.

// The event log directory: the history server's hostPath, mounted in the
// drivers at the same path. The cluster has one node, this machine, so
// the test reads the logs there too.
const eventsDir = "/var/lib/gospark/events"

// historyURL is the history server's NodePort Service on the node.
const historyURL = "http://" + nodeIP + ":31080"

// eventLogConf makes a driver write its event log where the history
// server reads.
var eventLogConf = []string{
	"--conf", "spark.eventLog.enabled=true",
	"--conf", "spark.eventLog.dir=" + eventsDir,
	"--conf", "spark.kubernetes.driver.volumes.hostPath.spark-events.mount.path=" + eventsDir,
	"--conf", "spark.kubernetes.driver.volumes.hostPath.spark-events.options.path=" + eventsDir,
}

// liveSubmission is a gospark submit running while the test acts on the
// cluster, whose output can be read as it comes. If the test ends first,
// the submission is killed.
type liveSubmission struct {
	args []string
	done chan struct{}
	code int // once done is closed
	err  error

	mu  sync.Mutex
	out bytes.Buffer
}

func (l *liveSubmission) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.out.Write(p)
}

// outSoFar is what submit printed until now.
func (l *liveSubmission) outSoFar() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.out.String()
}

func (s *submitEnv) submitLive(t *testing.T, args ...string) *liveSubmission {
	t.Helper()
	l, _ := s.startLive(t, nil, args...)
	return l
}

// startLive starts gospark submit with args (and env added to the
// environment), its output read as it comes; it is killed at the test's
// end if still running.
func (s *submitEnv) startLive(t *testing.T, env []string, args ...string) (*liveSubmission, *exec.Cmd) {
	t.Helper()
	bin, err := gosparkOnce()
	if err != nil {
		t.Fatalf("building gospark: %v", err)
	}
	l := &liveSubmission{args: args, done: make(chan struct{})}
	cmd := exec.Command(bin, append([]string{"submit"}, args...)...)
	cmd.Dir = s.root
	cmd.Env = append(append(os.Environ(), "KUBECONFIG="+s.kubeconfig), env...)
	cmd.Stdout, cmd.Stderr = l, l
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(l.done)
		err := cmd.Wait()
		if ee, ok := err.(*exec.ExitError); ok {
			l.code = ee.ExitCode()
		} else {
			l.err = err
		}
	}()
	t.Cleanup(func() {
		if !l.finished() {
			_ = cmd.Process.Kill()
		}
		<-l.done
	})
	return l, cmd
}

func (l *liveSubmission) finished() bool {
	select {
	case <-l.done:
		return true
	default:
		return false
	}
}

// wait waits for the submission to end and returns its output and exit
// code.
func (l *liveSubmission) wait(t *testing.T) (string, int) {
	t.Helper()
	select {
	case <-l.done:
	case <-time.After(6 * time.Minute):
		t.Fatalf("gospark submit %v did not finish in 6 minutes:\n%s", l.args, l.outSoFar())
	}
	if l.err != nil {
		t.Fatal(l.err)
	}
	t.Logf("gospark submit %s → exit %d\n%s", strings.Join(l.args, " "), l.code, l.outSoFar())
	return l.outSoFar(), l.code
}

// waitForDriverLog waits until the driver's log holds want, failing if
// the submission ends first.
func (l *liveSubmission) waitForDriverLog(t *testing.T, s *submitEnv, want string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !strings.Contains(s.liveDriverLog(), want) {
		if l.finished() {
			out, code := l.wait(t)
			t.Fatalf("the application ended (exit %d) before its driver logged %q:\n%s\n%s", code, want, out, s.liveDriverLog())
		}
		if time.Now().After(deadline) {
			t.Fatalf("the driver did not log %q within %s:\n%s", want, timeout, s.liveDriverLog())
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// historyServer creates conf/kubernetes-history-server.yaml as shipped
// (kubectl create -f, namespace default) and waits until it is ready; it
// is deleted when the test ends.
func (s *submitEnv) historyServer(t *testing.T) {
	t.Helper()
	manifest := filepath.Join(s.root, "conf", "kubernetes-history-server.yaml")
	// A run that was killed may have left one behind.
	s.must(t, "-n", "default", "delete", "-f", manifest, "--ignore-not-found", "--wait=true", "--timeout=2m")
	s.must(t, "-n", "default", "create", "-f", manifest)
	t.Cleanup(func() {
		if t.Failed() {
			out, _ := s.run("-n", "default", "logs", "deployment/spark-history-server", "--tail=100")
			t.Logf("history server log:\n%s", out)
		}
		_, _ = s.run("-n", "default", "delete", "-f", manifest, "--wait=true", "--timeout=2m")
	})
	s.must(t, "-n", "default", "rollout", "status", "deployment/spark-history-server", "--timeout=180s")
}

// removeEventLogs removes what an application's driver wrote in
// eventsDir, once the test ends.
func removeEventLogs(t *testing.T, appID string) {
	t.Cleanup(func() {
		matches, _ := filepath.Glob(filepath.Join(eventsDir, "*"+appID+"*"))
		for _, m := range matches {
			_ = os.RemoveAll(m)
		}
	})
}

// portForward runs kubectl port-forward to a pod's port on a free local
// port and returns the local base URL; it stops with the test.
func (s *submitEnv) portForward(t *testing.T, pod string, port int) string {
	t.Helper()
	cmd := exec.Command(s.kubectl, "--kubeconfig", s.kubeconfig, "-n", s.ns, "port-forward", "--address", "127.0.0.1",
		"pod/"+pod, fmt.Sprintf(":%d", port))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	// "Forwarding from 127.0.0.1:40123 -> 4040"
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	re := regexp.MustCompile(`^Forwarding from (127\.0\.0\.1:\d+) -> \d+`)
	timeout := time.After(time.Minute)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("kubectl port-forward %s ended: %s", pod, stderr.String())
			}
			if m := re.FindStringSubmatch(l); m != nil {
				go func() { // keep reading, so that kubectl never blocks on stdout
					for range lines {
					}
				}()
				return "http://" + m[1]
			}
		case <-timeout:
			t.Fatalf("kubectl port-forward %s did not say where it listens within a minute: %s", pod, stderr.String())
		}
	}
}

// get fetches url, retrying for up to a minute while the server cannot be
// reached or answers 404 or 5xx (a port-forward still connecting, a
// history server that has not read the log yet), and returns the body of
// the first 200.
func get(t *testing.T, url string) string {
	t.Helper()
	body, err := getWithin(url, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	return body
}

func getWithin(url string, d time.Duration) (string, error) {
	client := &http.Client{Timeout: 30 * time.Second}
	deadline := time.Now().Add(d)
	for {
		resp, err := client.Get(url)
		var body []byte
		if err == nil {
			body, err = io.ReadAll(resp.Body)
			resp.Body.Close()
			if err == nil && resp.StatusCode != http.StatusOK {
				err = fmt.Errorf("%s: %s\n%s", url, resp.Status, body)
			}
			if err == nil {
				return string(body), nil
			}
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("GET %s for %s: %w", url, d, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func getJSON(t *testing.T, url string, v any) string {
	t.Helper()
	body := get(t, url)
	if err := json.Unmarshal([]byte(body), v); err != nil {
		t.Fatalf("GET %s: %v\n%s", url, err, body)
	}
	return body
}

// Spark's REST API, the fields these tests read.
type (
	apiApp struct {
		ID       string `json:"id"`
		Name     string `json:"name"`
		Attempts []struct {
			Completed bool `json:"completed"`
		} `json:"attempts"`
	}
	apiJob struct {
		JobID             int    `json:"jobId"`
		Status            string `json:"status"`
		StageIDs          []int  `json:"stageIds"`
		NumTasks          int    `json:"numTasks"`
		NumCompletedTasks int    `json:"numCompletedTasks"`
		NumFailedTasks    int    `json:"numFailedTasks"`
	}
	apiStage struct {
		StageID          int    `json:"stageId"`
		AttemptID        int    `json:"attemptId"`
		Status           string `json:"status"`
		NumTasks         int    `json:"numTasks"`
		NumCompleteTasks int    `json:"numCompleteTasks"`
	}
	apiTask struct {
		TaskID     int64  `json:"taskId"`
		Status     string `json:"status"`
		ExecutorID string `json:"executorId"`
	}
	apiExecutor struct {
		ID             string `json:"id"`
		IsActive       bool   `json:"isActive"`
		TotalTasks     int    `json:"totalTasks"`
		CompletedTasks int    `json:"completedTasks"`
	}
)

// appCounts is what an application ran, as its REST API says.
type appCounts struct {
	Jobs     []string // "job <id> <status> <numTasks>/<numCompletedTasks>"
	Stages   []string // "<status> <numTasks>/<numCompleteTasks> tasks=<entries in its task list>", sorted
	StageIDs []string // "<stageId>.<attempt>", sorted
}

// counts reads the jobs, stages and each stage's task list of application
// id under base (.../api/v1).
func counts(t *testing.T, base, id string) appCounts {
	t.Helper()
	var jobs []apiJob
	getJSON(t, base+"/applications/"+id+"/jobs", &jobs)
	var stages []apiStage
	getJSON(t, base+"/applications/"+id+"/stages", &stages)
	var c appCounts
	for _, j := range jobs {
		c.Jobs = append(c.Jobs, fmt.Sprintf("job %d %s %d/%d", j.JobID, j.Status, j.NumTasks, j.NumCompletedTasks))
	}
	for _, st := range stages {
		var tasks []apiTask
		getJSON(t, fmt.Sprintf("%s/applications/%s/stages/%d/%d/taskList?length=1000", base, id, st.StageID, st.AttemptID), &tasks)
		c.Stages = append(c.Stages, fmt.Sprintf("%s %d/%d tasks=%d", st.Status, st.NumTasks, st.NumCompleteTasks, len(tasks)))
		c.StageIDs = append(c.StageIDs, fmt.Sprintf("%d.%d", st.StageID, st.AttemptID))
	}
	slices.Sort(c.Jobs)
	slices.Sort(c.Stages)
	slices.Sort(c.StageIDs)
	return c
}

// groupByCounts is what GroupByTest with m mappers and r reducers runs:
// job 0 counts the cached pairs (one stage of m tasks), job 1 counts
// them grouped (a map stage of m tasks and a result stage of r): stages
// 0, 1 and 2, each run once.
func groupByCounts(m, r int) appCounts {
	c := appCounts{
		Jobs: []string{fmt.Sprintf("job 0 SUCCEEDED %d/%d", m, m), fmt.Sprintf("job 1 SUCCEEDED %d/%d", m+r, m+r)},
		Stages: []string{fmt.Sprintf("COMPLETE %d/%d tasks=%d", m, m, m), fmt.Sprintf("COMPLETE %d/%d tasks=%d", m, m, m),
			fmt.Sprintf("COMPLETE %d/%d tasks=%d", r, r, r)},
		StageIDs: []string{"0.0", "1.0", "2.0"},
	}
	slices.Sort(c.Stages)
	return c
}

func (c appCounts) String() string {
	return "jobs " + strings.Join(c.Jobs, ", ") + "; stages " + strings.Join(c.StageIDs, ", ") + ": " + strings.Join(c.Stages, ", ")
}

// application finds id in the list of applications under base.
func application(t *testing.T, base, id string) (apiApp, bool) {
	t.Helper()
	var apps []apiApp
	getJSON(t, base+"/applications", &apps)
	for _, a := range apps {
		if a.ID == id {
			return a, true
		}
	}
	return apiApp{}, false
}

// waitHistory waits until the history server lists application id with
// its attempt completed or not, as want says, and returns it.
func waitHistory(t *testing.T, id string, completed bool, timeout time.Duration) apiApp {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		a, ok := application(t, historyURL+"/api/v1", id)
		if ok && len(a.Attempts) == 1 && a.Attempts[0].Completed == completed {
			return a
		}
		if time.Now().After(deadline) {
			t.Fatalf("the history server lists application %s as %+v (listed: %v) after %s; want one attempt, completed=%v", id, a, ok, timeout, completed)
		}
		time.Sleep(time.Second)
	}
}

// secretFree fails the test if any of the pages, under the given bases,
// holds one of the secrets.
func secretFree(t *testing.T, what string, secrets []string, urls ...string) {
	t.Helper()
	for _, u := range urls {
		body := get(t, u)
		for _, sec := range secrets {
			if strings.Contains(body, sec) {
				t.Errorf("%s: %s shows the secret %q", what, u, sec)
			}
		}
	}
}

// uiPages are the UI's pages and REST answers of application id: base is
// the UI's root (a driver's, or the history server's /history/<id>).
func uiPages(root, api, id string, stageIDs []int) []string {
	urls := []string{
		root + "/jobs/", root + "/jobs/job/?id=0", root + "/stages/", root + "/storage/", root + "/environment/", root + "/executors/",
		api + "/applications", api + "/applications/" + id, api + "/applications/" + id + "/jobs",
		api + "/applications/" + id + "/stages?details=true", api + "/applications/" + id + "/executors",
		api + "/applications/" + id + "/allexecutors", api + "/applications/" + id + "/environment",
		api + "/applications/" + id + "/storage/rdd",
	}
	for _, st := range stageIDs {
		urls = append(urls, fmt.Sprintf("%s/stages/stage/?id=%d&attempt=0", root, st),
			fmt.Sprintf("%s/applications/%s/stages/%d/0/taskList", api, id, st),
			fmt.Sprintf("%s/applications/%s/stages/%d/0/taskSummary", api, id, st))
	}
	return urls
}

func randomHex(t *testing.T, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// driverPod waits for the only driver pod of the namespace and returns
// its name.
func (s *submitEnv) driverPod(t *testing.T) string {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		out, err := s.run("-n", s.ns, "get", "pods", "-l", "spark-role=driver", "-o", "name")
		if names := strings.Fields(out); err == nil && len(names) == 1 {
			return strings.TrimPrefix(names[0], "pod/")
		}
		if time.Now().After(deadline) {
			t.Fatalf("no driver pod in %s after 2 minutes: %s %v", s.ns, out, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

var (
	uiPortForwardLine = regexp.MustCompile(`Driver UI: kubectl port-forward -n (\S+) (\S+) 4040:4040, then http://localhost:4040`)
	uiNodePortLine    = regexp.MustCompile(`Driver UI on every node: (http://\S+) \(service (\S+)\)`)
)

// Acceptance: GroupByTest on Kubernetes with its event log; while it runs
// its driver's UI (port-forward and NodePort) shows what it ran, and once
// it ended the history server shows the same, completed; no secret
// anywhere.
func TestUIAndHistoryOfGroupByTest(t *testing.T) {
	s := newSubmitEnv(t)
	s.historyServer(t)
	secret, password := "e2e-auth-secret-"+randomHex(t, 16), "e2e-password-"+randomHex(t, 16)
	secrets := []string{secret, password}
	const mappers, reducers = 4, 3
	args := append(s.base("group-by-test", append(s.testApp(t), eventLogConf...)...),
		"--conf", "spark.executor.instances=2",
		"--conf", "spark.authenticate.secret="+secret,
		"--conf", "spark.kubernetes.driverEnv.DB_PASSWORD="+password,
		"--conf", "spark.kubernetes.driver.service.exposeUiPort=true",
		"local:///opt/gospark/examples/sparktest", "groupby", fmt.Sprint(mappers), "2000", "100", fmt.Sprint(reducers), "600")
	r := s.submitLive(t, args...)
	r.waitForDriverLog(t, s, "groupby count=", 4*time.Minute)
	driver := s.driverPod(t)

	// Submit said how to reach the UI.
	appMatch := appID.FindStringSubmatch(r.outSoFar())
	if appMatch == nil {
		t.Fatalf("submit did not print the application id:\n%s", r.outSoFar())
	}
	id := appMatch[1]
	removeEventLogs(t, id)
	pf := uiPortForwardLine.FindStringSubmatch(r.outSoFar())
	if pf == nil || pf[1] != s.ns || pf[2] != driver {
		t.Errorf("submit's output lacks the port-forward line for %s/%s:\n%s", s.ns, driver, r.outSoFar())
	}
	np := uiNodePortLine.FindStringSubmatch(r.outSoFar())
	if np == nil {
		t.Fatalf("submit's output lacks the NodePort URL of the UI:\n%s", r.outSoFar())
	}

	// a. The live UI through kubectl port-forward.
	ui := s.portForward(t, driver, 4040)
	api := ui + "/api/v1"
	app, ok := application(t, api, id)
	if !ok || len(app.Attempts) != 1 || app.Attempts[0].Completed {
		t.Fatalf("the driver's /api/v1/applications lists %+v (found %v); want %s, running", app, ok, id)
	}
	want := groupByCounts(mappers, reducers)
	live := counts(t, api, id)
	if live.String() != want.String() {
		t.Errorf("the driver's API shows\n %s\nwant\n %s", live, want)
	}
	// The first job may start once 80% of the executors registered
	// (spark.scheduler.minRegisteredResourcesRatio): wait for both.
	var execs []apiExecutor
	tasks, executors := 0, 0
	for deadline := time.Now().Add(2 * time.Minute); ; {
		getJSON(t, api+"/applications/"+id+"/executors", &execs)
		tasks, executors = 0, 0
		for _, e := range execs {
			if e.ID != "driver" && e.IsActive {
				executors++
				tasks += e.CompletedTasks
			}
		}
		if executors == 2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Second)
	}
	if executors != 2 || tasks != 2*mappers+reducers {
		t.Errorf("executors %+v: %d besides the driver with %d completed tasks, want 2 with %d", execs, executors, tasks, 2*mappers+reducers)
	}
	// The same through the UI's NodePort Service.
	if viaNode := counts(t, np[1]+"/api/v1", id); viaNode.String() != want.String() {
		t.Errorf("the UI's NodePort shows %s, want %s", viaNode, want)
	}
	// An executor's log, from its pod: a mapper's line is in one of them.
	mapperLines := 0
	for _, e := range execs {
		if e.ID == "driver" {
			continue
		}
		log, err := getWithin(ui+"/executors/log/?executorId="+e.ID+"&logType=stdout&raw=true", 30*time.Second)
		if err != nil {
			t.Errorf("executor %s's log through the UI: %v", e.ID, err)
		}
		mapperLines += strings.Count(log, "sparktest groupby mapper ")
	}
	if mapperLines < mappers {
		t.Errorf("the executors' logs through the UI hold %d mapper lines, want at least %d", mapperLines, mappers)
	}
	// d. No secret in the live UI.
	stageIDs := []int{0, 1, 2} // as checked above
	secretFree(t, "the driver's UI", secrets, append(uiPages(ui, api, id, stageIDs), ui+"/metrics/prometheus", ui+"/metrics/executors/prometheus")...)

	// b. Released, the application ends; the history server shows it
	// completed, with the same counts.
	s.must(t, "-n", s.ns, "exec", driver, "-c", "spark-kubernetes-driver", "--", "/opt/gospark/examples/sparktest", "release")
	if _, code := r.wait(t); code != 0 {
		t.Fatalf("submit exited %d", code)
	}
	s.noExecutorRunning(t)
	waitHistory(t, id, true, 2*time.Minute)
	hist := counts(t, historyURL+"/api/v1", id)
	if hist.String() != want.String() {
		t.Errorf("the history server shows\n %s\nwant\n %s", hist, want)
	}
	var histExecs []apiExecutor
	getJSON(t, historyURL+"/api/v1/applications/"+id+"/allexecutors", &histExecs)
	histTasks := 0
	for _, e := range histExecs {
		if e.ID != "driver" {
			histTasks += e.CompletedTasks
		}
	}
	if histTasks != 2*mappers+reducers {
		t.Errorf("the history server's executors %+v completed %d tasks, want %d", histExecs, histTasks, 2*mappers+reducers)
	}
	// d. No secret in the history server's pages nor in the event log.
	root := historyURL + "/history/" + id
	secretFree(t, "the history server", secrets, append(uiPages(root, historyURL+"/api/v1", id, stageIDs), historyURL+"/")...)
	b, err := os.ReadFile(filepath.Join(eventsDir, id))
	if err != nil {
		t.Fatalf("the event log of a finished application: %v", err)
	}
	for _, sec := range secrets {
		if strings.Contains(string(b), sec) {
			t.Errorf("the event log %s holds the secret %q", filepath.Join(eventsDir, id), sec)
		}
	}
	if !strings.Contains(string(b), `"Event":"SparkListenerApplicationEnd"`) {
		t.Errorf("the event log of a finished application has no SparkListenerApplicationEnd")
	}
}

// Acceptance: a driver killed in the middle of a job leaves an event log
// that the history server shows as an incomplete application, with the job
// it was running.
func TestHistoryShowsAKilledDriverIncomplete(t *testing.T) {
	s := newSubmitEnv(t)
	s.historyServer(t)
	args := append(s.base("killed-driver", append(s.testApp(t), eventLogConf...)...),
		"--conf", "spark.executor.instances=2",
		// Map tasks of 10 minutes: the job runs when the driver dies.
		"local:///opt/gospark/examples/sparktest", "slow", "4", "600000")
	r := s.submitLive(t, args...)
	driver := s.driverPod(t)
	var id string
	deadline := time.Now().Add(4 * time.Minute)
	for id == "" {
		if m := appID.FindStringSubmatch(r.outSoFar()); m != nil {
			id = m[1]
		} else if time.Now().After(deadline) || r.finished() {
			t.Fatalf("submit did not print the application id:\n%s", r.outSoFar())
		}
		time.Sleep(200 * time.Millisecond)
	}
	removeEventLogs(t, id)

	// The history server sees the running application and its job.
	waitHistory(t, id, false, 4*time.Minute)
	deadline = time.Now().Add(4 * time.Minute)
	for {
		var jobs []apiJob
		getJSON(t, historyURL+"/api/v1/applications/"+id+"/jobs", &jobs)
		if len(jobs) == 1 && jobs[0].Status == "RUNNING" {
			break
		}
		if time.Now().After(deadline) || r.finished() {
			t.Fatalf("the history server shows jobs %+v of application %s, want one running", jobs, id)
		}
		time.Sleep(time.Second)
	}

	// SIGKILL: the driver cannot stop its session nor finish its log.
	s.must(t, "-n", s.ns, "exec", driver, "-c", "spark-kubernetes-driver", "--", "/opt/gospark/examples/sparktest", "kill")
	out, code := r.wait(t)
	if code != 137 || !strings.Contains(out, "failed with exit code 137") {
		t.Errorf("submit exited %d after the driver was killed; want it to report exit code 137", code)
	}
	s.noExecutorRunning(t)
	if _, err := os.Stat(filepath.Join(eventsDir, id+".inprogress")); err != nil {
		t.Errorf("the killed driver's event log: %v, want %s.inprogress", err, id)
	}
	if _, err := os.Stat(filepath.Join(eventsDir, id)); err == nil {
		t.Errorf("the killed driver's event log was renamed to %s, as if it had finished", id)
	}
	// Still incomplete, with the job it was running.
	waitHistory(t, id, false, time.Minute)
	var jobs []apiJob
	getJSON(t, historyURL+"/api/v1/applications/"+id+"/jobs", &jobs)
	if len(jobs) != 1 || jobs[0].Status != "RUNNING" || jobs[0].NumCompletedTasks != 0 {
		t.Errorf("the killed application's jobs in the history server: %+v; want the one running job, no task completed", jobs)
	}
	var incomplete []apiApp
	getJSON(t, historyURL+"/api/v1/applications?status=running", &incomplete)
	if !slices.ContainsFunc(incomplete, func(a apiApp) bool { return a.ID == id }) {
		t.Errorf("/api/v1/applications?status=running lists %+v, want %s among them", incomplete, id)
	}
	var completed []apiApp
	getJSON(t, historyURL+"/api/v1/applications?status=completed", &completed)
	if slices.ContainsFunc(completed, func(a apiApp) bool { return a.ID == id }) {
		t.Errorf("/api/v1/applications?status=completed lists the killed application %s", id)
	}
}
