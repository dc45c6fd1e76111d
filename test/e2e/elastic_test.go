//go:build e2e

package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// The elastic executors of issue 13 on the real cluster: dynamic
// allocation, the external shuffle service (the seeds' DaemonSet) and
// decommissioning.

// The seeds' shuffle service: conf/kubernetes-shuffle-service.yaml as
// shipped, in namespace default, selected by these labels.
const (
	shuffleNamespace = "default"
	shuffleLabels    = "app=spark-shuffle-service,spark-version=2.2.0"
)

// shuffleConf is what a submission needs to use that service.
var shuffleConf = []string{
	"--conf", "spark.shuffle.service.enabled=true",
	"--conf", "spark.kubernetes.shuffle.namespace=" + shuffleNamespace,
	"--conf", "spark.kubernetes.shuffle.labels=" + shuffleLabels,
}

// shuffleDS is the seeds' DaemonSet, shared by the tests of one run:
// created by the first test that needs it, deleted by TestMain once every
// test has run.
var shuffleDS struct {
	sync.Mutex
	created  bool
	e        *env
	manifest string
}

// TestMain deletes what the tests shared, once all have run.
func TestMain(m *testing.M) {
	code := m.Run()
	shuffleDS.Lock()
	if shuffleDS.created {
		if out, err := shuffleDS.e.run("delete", "-f", shuffleDS.manifest, "--wait=true", "--timeout=2m"); err != nil {
			fmt.Fprintf(os.Stderr, "deleting the shuffle service: %v\n%s", err, out)
			code = 1
		}
	}
	shuffleDS.Unlock()
	os.Exit(code)
}

// shuffleService makes sure the seeds' shuffle service DaemonSet exists
// (kubectl create -f, once per test run) and that its pod on the node
// runs and is ready (a test may have deleted it; the DaemonSet makes
// another). A driver in another namespace may list the service's pods
// once that namespace's default account is bound to view in namespace
// default, as the README says; the binding goes with the test.
func (s *submitEnv) shuffleService(t *testing.T) {
	t.Helper()
	shuffleDS.Lock()
	defer shuffleDS.Unlock()
	if !shuffleDS.created {
		manifest := filepath.Join(s.root, "conf", "kubernetes-shuffle-service.yaml")
		// A run that was killed may have left one behind.
		s.must(t, "delete", "-f", manifest, "--ignore-not-found", "--wait=true", "--timeout=2m")
		s.must(t, "create", "-f", manifest)
		shuffleDS.created, shuffleDS.e, shuffleDS.manifest = true, s.env, manifest
	}
	if s.ns != shuffleNamespace {
		name := "spark-shuffle-lookup-" + s.ns
		s.must(t, "-n", shuffleNamespace, "create", "rolebinding", name, "--clusterrole=view", "--serviceaccount="+s.ns+":default")
		t.Cleanup(func() { _, _ = s.run("-n", shuffleNamespace, "delete", "rolebinding", name, "--ignore-not-found") })
	}
	t.Cleanup(func() {
		if t.Failed() {
			out, _ := s.run("-n", shuffleNamespace, "logs", "-l", shuffleLabels, "--tail=100", "--prefix")
			t.Logf("shuffle service log:\n%s", out)
		}
	})
	s.waitShuffleServiceReady(t)
}

// waitShuffleServiceReady waits until exactly one shuffle service pod
// runs, ready and not being deleted.
func (s *submitEnv) waitShuffleServiceReady(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		pods, err := s.podList(shuffleNamespace, shuffleLabels)
		var ready, others []string
		for _, p := range pods {
			if p.DeletionTimestamp == nil && p.Status.Phase == corev1.PodRunning && podReady(p) {
				ready = append(ready, p.Name)
			} else {
				others = append(others, p.Name+" "+string(p.Status.Phase))
			}
		}
		if err == nil && len(ready) == 1 && len(others) == 0 {
			return
		}
		if time.Now().After(deadline) {
			out, _ := s.run("-n", shuffleNamespace, "describe", "pods", "-l", shuffleLabels)
			t.Fatalf("the shuffle service is not ready after 3 minutes (ready %v, others %v, %v):\n%s", ready, others, err, out)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func podReady(p corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// podList is s.pods for goroutines: it returns the error instead of
// failing the test.
func (s *submitEnv) podList(ns, selector string) ([]corev1.Pod, error) {
	out, err := s.run("-n", ns, "get", "pods", "-l", selector, "-o", "json")
	if err != nil {
		return nil, fmt.Errorf("kubectl get pods: %v: %s", err, out)
	}
	var list corev1.PodList
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		return nil, fmt.Errorf("decoding pods: %v", err)
	}
	return list.Items, nil
}

// running is the pods of an application that run and are not being
// deleted, oldest executor first.
func running(pods []corev1.Pod) []corev1.Pod {
	var out []corev1.Pod
	for _, p := range pods {
		if p.Status.Phase == corev1.PodRunning && p.DeletionTimestamp == nil && p.Labels["spark-exec-inactive"] != "true" {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		return atoi(out[i].Labels["spark-exec-id"]) < atoi(out[j].Labels["spark-exec-id"])
	})
	return out
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// submission is a gospark submit running while the test acts on the
// cluster. Only the test's goroutine reports on it; if the test ends
// first, the submission is killed.
type submission struct {
	args []string
	done chan struct{}
	out  bytes.Buffer // written by the process, read once done is closed
	code int
	err  error
}

func (s *submitEnv) submitAsync(t *testing.T, args ...string) *submission {
	t.Helper()
	bin, err := gosparkOnce()
	if err != nil {
		t.Fatalf("building gospark: %v", err)
	}
	r := &submission{args: args, done: make(chan struct{})}
	cmd := exec.Command(bin, append([]string{"submit"}, args...)...)
	cmd.Dir = s.root
	cmd.Env = append(os.Environ(), "KUBECONFIG="+s.kubeconfig)
	cmd.Stdout, cmd.Stderr = &r.out, &r.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(r.done)
		err := cmd.Wait()
		if ee, ok := err.(*exec.ExitError); ok {
			r.code = ee.ExitCode()
		} else {
			r.err = err
		}
	}()
	t.Cleanup(func() {
		if !r.finished() {
			_ = cmd.Process.Kill()
		}
		<-r.done
	})
	return r
}

func (r *submission) finished() bool {
	select {
	case <-r.done:
		return true
	default:
		return false
	}
}

// wait waits for the submission to end, as s.submit does, and returns its
// output and exit code.
func (r *submission) wait(t *testing.T) (string, int) {
	t.Helper()
	select {
	case <-r.done:
	case <-time.After(6 * time.Minute):
		t.Fatalf("gospark submit %v did not finish in 6 minutes", r.args)
	}
	if r.err != nil {
		t.Fatal(r.err)
	}
	t.Logf("gospark submit %s → exit %d\n%s", strings.Join(r.args, " "), r.code, r.out.String())
	return r.out.String(), r.code
}

// liveDriverLog is the log of the only driver pod of the namespace, or ""
// while there is none or it has not started.
func (s *submitEnv) liveDriverLog() string {
	out, err := s.run("-n", s.ns, "get", "pods", "-l", "spark-role=driver", "-o", "name")
	names := strings.Fields(out)
	if err != nil || len(names) != 1 {
		return ""
	}
	log, err := s.run("-n", s.ns, "logs", names[0])
	if err != nil {
		return ""
	}
	return log
}

// waitForLog waits until the driver's log holds want, failing if the
// submission ends first.
func (s *submitEnv) waitForLog(t *testing.T, r *submission, want string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !strings.Contains(s.liveDriverLog(), want) {
		if r.finished() {
			out, code := r.wait(t)
			t.Fatalf("the application ended (exit %d) before its driver logged %q:\n%s\n%s", code, want, out, s.liveDriverLog())
		}
		if time.Now().After(deadline) {
			t.Fatalf("the driver did not log %q within %s:\n%s", want, timeout, s.liveDriverLog())
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// sample is what ran at one moment of an application.
type sample struct {
	at        time.Duration // since sampling started
	executors []string      // ids of the executor pods running and not being deleted
	driver    corev1.PodPhase
}

// sampler lists an application's pods every 500 ms.
type sampler struct {
	stop    chan struct{}
	stopped chan struct{}
	once    sync.Once
	samples []sample
	errs    []error
}

func (s *submitEnv) sampleExecutors(t *testing.T, ns, selector string) *sampler {
	sm := &sampler{stop: make(chan struct{}), stopped: make(chan struct{})}
	start := time.Now()
	go func() {
		defer close(sm.stopped)
		for {
			pods, err := s.podList(ns, selector)
			if err != nil {
				sm.errs = append(sm.errs, err)
			} else {
				smp := sample{at: time.Since(start)}
				var execs []corev1.Pod
				for _, p := range pods {
					switch p.Labels["spark-role"] {
					case "driver":
						smp.driver = p.Status.Phase
					case "executor":
						execs = append(execs, p)
					}
				}
				for _, p := range running(execs) {
					smp.executors = append(smp.executors, p.Labels["spark-exec-id"])
				}
				sm.samples = append(sm.samples, smp)
			}
			select {
			case <-sm.stop:
				return
			case <-time.After(500 * time.Millisecond):
			}
		}
	}()
	t.Cleanup(sm.halt)
	return sm
}

func (sm *sampler) halt() {
	sm.once.Do(func() { close(sm.stop) })
	<-sm.stopped
}

// finish stops sampling, logs the changes and returns the samples taken
// while the driver ran.
func (sm *sampler) finish(t *testing.T) []sample {
	t.Helper()
	sm.halt()
	if len(sm.errs) > 0 {
		t.Logf("%d of the pod listings failed, the first: %v", len(sm.errs), sm.errs[0])
	}
	var out []sample
	for _, smp := range sm.samples {
		if smp.driver == corev1.PodRunning {
			out = append(out, smp)
		}
	}
	var b strings.Builder
	prev := "-"
	for _, smp := range out {
		if cur := strings.Join(smp.executors, ","); cur != prev {
			fmt.Fprintf(&b, "\n  %6.1fs  %d executor pod(s) running [%s]", smp.at.Seconds(), len(smp.executors), cur)
			prev = cur
		}
	}
	if len(out) > 0 {
		fmt.Fprintf(&b, "\n  %6.1fs  last sample while the driver ran", out[len(out)-1].at.Seconds())
	}
	t.Logf("executor pods over time (%d samples every 500 ms):%s", len(out), b.String())
	return out
}

var (
	appID          = regexp.MustCompile(`\(application \S+, id (spark-[0-9a-f]+)\)`)
	requesting     = regexp.MustCompile(`msg="dynamic allocation: requesting executors" [^\n]*total=(\d+) [^\n]*reason=("[^"]+"|\S+)`)
	releasing      = regexp.MustCompile(`msg="dynamic allocation: releasing an executor" [^\n]*executor=(\d+) [^\n]*reason="(idle for [^"]*)"`)
	handedOver     = regexp.MustCompile(`msg="decommissioned executor handed its blocks to peers" [^\n]*executor=(\d+) shuffleOutputs=(\d+) shuffleBytes=(\d+) cachedBlocks=(\d+) cachedBytes=(\d+)`)
	twostageResult = regexp.MustCompile(`^total=(\d+) mapRecords=(\d+)$`)
)

// localGroupByCount is what GroupByTest prints with local[2].
func localGroupByCount(t *testing.T, root string, args ...string) string {
	t.Helper()
	bin, err := gosparkOnce()
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	local := exec.Command(bin, append([]string{"submit", "--master", "local[2]", "./examples/groupbytest"}, args...)...)
	local.Dir = root
	out, err := local.Output()
	if err != nil {
		t.Fatalf("local[2] groupbytest %v: %v", args, err)
	}
	t.Logf("local[2] groupbytest %v took %s", args, time.Since(start).Round(time.Second))
	return lastLine(string(out))
}

// Acceptance 1: the seeds' dynamic-allocation command, in namespace
// default with the seeds' shuffle service DaemonSet, gives local[2]'s
// count.
func TestSeedDynamicAllocationCommand(t *testing.T) {
	start := time.Now()
	e := setup(t)
	server := strings.TrimSpace(e.must(t, "config", "view", "--minify", "-o", "jsonpath={.clusters[0].cluster.server}"))
	s := &submitEnv{env: e, ns: "default", server: server}
	// The seeds' commands run as default:default, which must manage pods.
	const binding = "spark-edit-e2e-seed"
	e.must(t, "-n", "default", "delete", "rolebinding", binding, "--ignore-not-found")
	e.must(t, "-n", "default", "create", "rolebinding", binding, "--clusterrole=edit", "--serviceaccount=default:default")
	t.Cleanup(func() { _, _ = e.run("-n", "default", "delete", "rolebinding", binding, "--ignore-not-found") })
	s.shuffleService(t)
	want := localGroupByCount(t, s.root, "10", "400000", "2")
	sm := s.sampleExecutors(t, "default", "spark-app-selector")
	out, code := s.submit(t,
		"--deploy-mode", "cluster",
		"--class", "org.apache.spark.examples.GroupByTest",
		"--master", "k8s://"+s.server,
		"--kubernetes-namespace", "default",
		"--conf", "spark.app.name=group-by-test",
		"--conf", "spark.kubernetes.driver.docker.image=gospark:dev",
		"--conf", "spark.kubernetes.executor.docker.image=gospark:dev",
		"--conf", "spark.dynamicAllocation.enabled=true",
		"--conf", "spark.shuffle.service.enabled=true",
		"--conf", "spark.kubernetes.shuffle.namespace=default",
		"--conf", "spark.kubernetes.shuffle.labels=app=spark-shuffle-service,spark-version=2.2.0",
		// Not in the seeds: the test node has 2 cores, so the pods ask for
		// a tenth of a core each rather than one.
		"--conf", "spark.kubernetes.driver.request.cores=100m",
		"--conf", "spark.kubernetes.executor.request.cores=100m",
		// Not in the seeds: INFO logs, to see what dynamic allocation did.
		"--conf", "spark.kubernetes.driverEnv.GOSPARK_LOG_LEVEL=INFO",
		"local:///opt/gospark/examples/groupbytest", "10", "400000", "2")
	sm.finish(t)
	m := appID.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("submit did not say which application it created")
	}
	app := "spark-app-selector=" + m[1]
	t.Cleanup(func() {
		// Deleting the driver pod deletes what it owns.
		_, _ = e.run("-n", "default", "delete", "pods", "-l", app, "--wait=true", "--timeout=2m")
	})
	if code != 0 {
		t.Fatalf("submit exited %d", code)
	}
	if !strings.Contains(out, "succeeded") {
		t.Errorf("submit's output does not say the application succeeded")
	}
	log := e.must(t, "-n", "default", "logs", "-l", app+",spark-role=driver", "--tail=-1")
	if got := lastStdoutLine(log); got != want {
		t.Errorf("cluster count %q, local[2] count %q\n%s", got, want, log)
	}
	if !requesting.MatchString(log) {
		t.Errorf("the driver did not log a request for executors:\n%s", log)
	}
	if !strings.Contains(log, `msg="using the external shuffle service" `) {
		t.Errorf("the driver's log does not say executors use the external shuffle service:\n%s", log)
	}
	for _, p := range running(s.pods(t, app+",spark-role=executor")) {
		t.Errorf("executor pod %s still runs after the application ended", p.Name)
	}
	t.Logf("took %s", time.Since(start).Round(time.Second))
}

// Acceptance 2: executors follow the backlog, from initialExecutors to
// maxExecutors while map tasks wait, and back to minExecutors once the
// only task left is the long reduce and the others have been idle for
// executorIdleTimeout.
func TestDynamicAllocationRisesAndFalls(t *testing.T) {
	start := time.Now()
	s := newSubmitEnv(t)
	s.shuffleService(t)
	const maxExecutors = 4
	app := s.testApp(t) // builds the image before sampling starts
	sm := s.sampleExecutors(t, s.ns, "spark-app-selector")
	_, code := s.submit(t, append(s.base("rise-and-fall", append(append(app, shuffleConf...),
		"--conf", "spark.dynamicAllocation.enabled=true",
		"--conf", "spark.dynamicAllocation.initialExecutors=1",
		"--conf", "spark.dynamicAllocation.minExecutors=1",
		"--conf", "spark.dynamicAllocation.maxExecutors="+strconv.Itoa(maxExecutors),
		"--conf", "spark.dynamicAllocation.executorIdleTimeout=10s",
		"--conf", "spark.dynamicAllocation.schedulerBacklogTimeout=1s")...),
		// 24 map tasks of 1.5 s, then one reduce task of 30 s.
		"local:///opt/gospark/examples/sparktest", "tail", "24", "1500", "30000")...)
	samples := sm.finish(t)
	if code != 0 {
		t.Fatalf("submit exited %d", code)
	}
	log := s.driverLog(t)
	if got := lastStdoutLine(log); got != "keys=1 total=24000" {
		t.Errorf("result %q, want keys=1 total=24000", got)
	}
	// It starts with initialExecutors: one pod before the first request
	// for more.
	if first := strings.Index(log, `msg="dynamic allocation: requesting executors"`); first < 0 ||
		strings.Count(log[:first], `msg="executor pod created"`) != 1 {
		t.Errorf("the driver did not create initialExecutors=1 executor pod before asking for more:\n%s", log)
	}
	m := requesting.FindAllStringSubmatch(log, -1)
	if len(m) == 0 {
		t.Fatalf("the driver did not log why it requested executors:\n%s", log)
	}
	for _, r := range m {
		t.Logf("requested total=%s, reason=%s", r[1], r[2])
	}
	// Up to maxExecutors while the map tasks wait: 4 pods of 100m fit
	// on the node's 2 cores.
	peak := 0
	for i, smp := range samples {
		if len(smp.executors) > len(samples[peak].executors) {
			peak = i
		}
	}
	if len(samples) == 0 || len(samples[peak].executors) != maxExecutors {
		t.Fatalf("executor pods never reached maxExecutors=%d", maxExecutors)
	}
	// Down to one during the reduce task, for a while: not the end of the
	// application, when every pod goes.
	var plateau []sample
	for _, smp := range samples[peak:] {
		if len(smp.executors) == 1 {
			plateau = append(plateau, smp)
		} else if len(plateau) > 0 {
			break
		}
	}
	if len(plateau) == 0 || plateau[len(plateau)-1].at-plateau[0].at < 5*time.Second {
		t.Fatalf("executor pods did not fall back to minExecutors=1 during the reduce task")
	}
	// Every executor seen but the one kept was released for being idle,
	// as the log says.
	released := map[string]string{}
	for _, r := range releasing.FindAllStringSubmatch(log, -1) {
		released[r[1]] = r[2]
	}
	kept := plateau[0].executors[0]
	var seen []string
	for _, smp := range samples {
		for _, id := range smp.executors {
			if !slices.Contains(seen, id) {
				seen = append(seen, id)
			}
		}
	}
	for _, id := range seen {
		if id == kept {
			continue
		}
		if reason, ok := released[id]; ok {
			t.Logf("released executor %s: %s", id, reason)
		} else {
			t.Errorf("executor %s went away without a \"releasing an executor\" line saying it was idle:\n%s", id, log)
		}
	}
	s.noExecutorRunning(t)
	t.Logf("took %s", time.Since(start).Round(time.Second))
}

// twostage runs sparktest's twostage mode with 4 map tasks of 50000
// records each, counted, read again after waitS seconds; act runs after
// "map stage done". It returns the driver's log, the samples and the
// result line's two numbers.
func (s *submitEnv) twostage(t *testing.T, name string, conf []string, waitS int, act func()) (string, []sample, int, int) {
	t.Helper()
	app := s.testApp(t) // builds the image before sampling starts
	sm := s.sampleExecutors(t, s.ns, "spark-app-selector")
	r := s.submitAsync(t, append(s.base(name, append(app, conf...)...),
		"local:///opt/gospark/examples/sparktest", "twostage", "4", strconv.Itoa(records), strconv.Itoa(waitS))...)
	if act != nil {
		s.waitForLog(t, r, "map stage done", 4*time.Minute)
		act()
	}
	_, code := r.wait(t)
	samples := sm.finish(t)
	if code != 0 {
		t.Fatalf("submit exited %d; the driver's log:\n%s", code, s.liveDriverLog())
	}
	log := s.driverLog(t)
	m := twostageResult.FindStringSubmatch(lastStdoutLine(log))
	if m == nil {
		t.Fatalf("result %q, want total=N mapRecords=M:\n%s", lastStdoutLine(log), log)
	}
	return log, samples, atoi(m[1]), atoi(m[2])
}

const records = 200000 // twostage's

// Acceptance 3: the shuffle service serves the map output of executors
// that dynamic allocation removed; losing the service pod recomputes it.
func TestShuffleServiceKeepsMapOutput(t *testing.T) {
	t.Run("executors released", func(t *testing.T) {
		start := time.Now()
		s := newSubmitEnv(t)
		s.shuffleService(t)
		log, samples, total, mapRecords := s.twostage(t, "keep-map-output", append(slices.Clone(shuffleConf),
			"--conf", "spark.dynamicAllocation.enabled=true",
			"--conf", "spark.dynamicAllocation.minExecutors=0",
			"--conf", "spark.dynamicAllocation.initialExecutors=2",
			"--conf", "spark.dynamicAllocation.maxExecutors=2",
			"--conf", "spark.dynamicAllocation.executorIdleTimeout=5s"), 20, nil)
		if total != records || mapRecords != records {
			t.Errorf("total=%d mapRecords=%d, want %d and %d (map output computed once)", total, mapRecords, records, records)
		}
		if strings.Contains(log, "recomputing lost map outputs") {
			t.Errorf("map output was recomputed though the shuffle service kept it:\n%s", log)
		}
		// Every executor that was there for the map stage was released
		// for being idle before the second read started...
		done := strings.Index(log, "map stage done")
		second := strings.Index(log[max(done, 0):], `msg="stage submitted"`)
		if done < 0 || second < 0 {
			t.Fatalf("no \"map stage done\" followed by a stage in the driver's log:\n%s", log)
		}
		before := log[:done+second]
		mapExecutors := registered.FindAllStringSubmatch(log[:done], -1)
		if len(mapExecutors) == 0 {
			t.Fatalf("no executor registered before the map stage was done:\n%s", log)
		}
		for _, m := range mapExecutors {
			if !regexp.MustCompile(`msg="dynamic allocation: releasing an executor" [^\n]*executor=` + m[1] + ` [^\n]*reason="idle for`).MatchString(before) {
				t.Errorf("map-stage executor %s was not released for being idle before the second read:\n%s", m[1], log)
			}
		}
		// ...and its pod went: for a while no executor pod ran.
		empty := false
		for i, smp := range samples {
			empty = empty || (len(smp.executors) == 0 && slices.ContainsFunc(samples[:i], func(o sample) bool { return len(o.executors) > 0 }))
		}
		if !empty {
			t.Errorf("executor pods ran all along: none was removed between the two reads")
		}
		t.Logf("took %s", time.Since(start).Round(time.Second))
	})
	t.Run("service pod deleted", func(t *testing.T) {
		start := time.Now()
		s := newSubmitEnv(t)
		s.shuffleService(t)
		t.Cleanup(func() { s.waitShuffleServiceReady(t) }) // for the next test
		log, _, total, mapRecords := s.twostage(t, "lose-the-service", append(slices.Clone(shuffleConf),
			"--conf", "spark.executor.instances=2"), 20, func() {
			// The DaemonSet makes another, at another address.
			s.must(t, "-n", shuffleNamespace, "delete", "pod", "-l", shuffleLabels, "--wait=false")
		})
		if total != records || mapRecords <= records {
			t.Errorf("total=%d mapRecords=%d, want %d and more than %d (lost map output computed again)", total, mapRecords, records, records)
		}
		for _, want := range []string{`msg="fetch failed; recomputing lost map output"`, `msg="map outputs lost with their shuffle service"`, `msg="recomputing lost map outputs"`} {
			if !strings.Contains(log, want) {
				t.Errorf("the driver's log lacks %s:\n%s", want, log)
			}
		}
		t.Logf("took %s", time.Since(start).Round(time.Second))
	})
}

// Acceptance 4: an executor pod deleted with a grace period hands its map
// output to its peer, and nothing is computed twice.
func TestDecommissionedExecutorHandsOverItsBlocks(t *testing.T) {
	start := time.Now()
	s := newSubmitEnv(t)
	var victim string
	log, _, total, mapRecords := s.twostage(t, "hand-over", []string{
		"--conf", "spark.executor.instances=2",
		"--conf", "spark.decommission.enabled=true",
		"--conf", "spark.storage.decommission.enabled=true",
	}, 15, func() {
		// Both ran map tasks; the pods' status may lag a little.
		deadline := time.Now().Add(time.Minute)
		for {
			execs := running(s.pods(t, "spark-role=executor"))
			if len(execs) == 2 {
				victim = execs[0].Labels["spark-exec-id"]
				s.must(t, "-n", s.ns, "delete", "pod", execs[0].Name, "--grace-period=30", "--wait=false")
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d executor pods running after the map stage, want 2: %s", len(execs), s.must(t, "-n", s.ns, "get", "pods"))
			}
			time.Sleep(250 * time.Millisecond)
		}
	})
	if total != records || mapRecords != records {
		t.Errorf("total=%d mapRecords=%d, want %d and %d (every record counted once)", total, mapRecords, records, records)
	}
	m := handedOver.FindStringSubmatch(log)
	switch {
	case m == nil:
		t.Errorf("the driver's log has no \"decommissioned executor handed its blocks to peers\" line:\n%s", log)
	case m[1] != victim || atoi(m[2]) == 0 || atoi(m[3]) == 0:
		t.Errorf("handed over: executor=%s shuffleOutputs=%s shuffleBytes=%s; want executor %s and its map output", m[1], m[2], m[3], victim)
	default:
		t.Logf("executor %s handed over %s map outputs (%s bytes) and %s cached blocks (%s bytes)", m[1], m[2], m[3], m[4], m[5])
	}
	for _, want := range []string{`msg="executor is decommissioning: no more tasks for it"`, `msg="map outputs of a decommissioned executor now served by peers"`} {
		if !strings.Contains(log, want) {
			t.Errorf("the driver's log lacks %s", want)
		}
	}
	if !regexp.MustCompile(`msg="executor left" [^\n]*executor=` + victim + ` [^\n]*reason="decommissioned`).MatchString(log) {
		t.Errorf("the driver's log does not say executor %s left decommissioned:\n%s", victim, log)
	}
	if strings.Contains(log, "recomputing lost map outputs") {
		t.Errorf("map output was recomputed though it was handed over:\n%s", log)
	}
	s.noExecutorRunning(t)
	t.Logf("took %s", time.Since(start).Round(time.Second))
}

// Acceptance 5: dynamic allocation with nothing to keep shuffle output is
// refused before anything is created; a shuffle service without pods
// fails the application, saying so.
func TestDynamicAllocationWithoutShuffleProtectionIsRefused(t *testing.T) {
	s := newSubmitEnv(t)
	t.Run("no protection", func(t *testing.T) {
		out, code := s.submit(t, append(s.base("unprotected", "--conf", "spark.dynamicAllocation.enabled=true"),
			"local:///opt/gospark/examples/sparkpi")...)
		if code == 0 {
			t.Fatalf("submit accepted dynamic allocation with no shuffle service, shuffle tracking or decommissioning")
		}
		for _, want := range []string{"spark.shuffle.service.enabled", "spark.dynamicAllocation.shuffleTracking.enabled", "spark.decommission.enabled"} {
			if !strings.Contains(out, want) {
				t.Errorf("submit's output does not name %s", want)
			}
		}
		for _, kind := range []string{"pods", "services", "configmaps", "secrets"} {
			if got := strings.TrimSpace(s.must(t, "-n", s.ns, "get", kind, "-l", "spark-app-selector", "-o", "name")); got != "" {
				t.Errorf("%s were created: %s", kind, got)
			}
		}
	})
	t.Run("no shuffle service pod", func(t *testing.T) {
		// The test's namespace has no shuffle service.
		out, code := s.submit(t, append(s.base("no-service",
			"--conf", "spark.executor.instances=1",
			"--conf", "spark.shuffle.service.enabled=true",
			"--conf", "spark.kubernetes.shuffle.namespace="+s.ns,
			"--conf", "spark.kubernetes.shuffle.labels="+shuffleLabels),
			"local:///opt/gospark/examples/sparkpi")...)
		if code == 0 {
			t.Fatalf("the application ran without a shuffle service pod")
		}
		want := "no pod has the labels " + shuffleLabels
		if !strings.Contains(out, want) || !strings.Contains(out, "kubectl create -f conf/kubernetes-shuffle-service.yaml") {
			t.Errorf("submit's output does not say %q and how to create the service", want)
		}
		if log := s.driverLog(t); !strings.Contains(log, want) {
			t.Errorf("the driver's log does not say %q:\n%s", want, log)
		}
		if execs := s.pods(t, "spark-role=executor"); len(execs) != 0 {
			t.Errorf("%d executor pods were created", len(execs))
		}
	})
}

// Acceptance 6: GroupByTest with 3 executors, one executor pod deleted
// (gracefully) every 12 s while it runs, finishes with local[2]'s count
// when the shuffle service or decommissioning keeps the map output.
func TestExecutorsDeletedEvery12Seconds(t *testing.T) {
	// About 45 s on the test node undisturbed (3 executors sharing 2
	// cores, a 640 MB shuffle), 75 to 100 s with the deletions: 5 to 7 of
	// them. 40 reduce tasks, so that each is a few seconds even on a
	// loaded machine: with 10, a reduce task took over 12 s under CI's
	// load, and each of its 4 attempts ran on the executor deleted next.
	args := []string{"100", "400000", "10", "40"}
	want := localGroupByCount(t, filepath.Join("..", ".."), args...)
	for _, tc := range []struct {
		name string
		conf []string
		log  string // what the driver says it did about the deletions
	}{
		{"shuffle-service", shuffleConf, `msg="using the external shuffle service" `},
		{"decommission", []string{"--conf", "spark.decommission.enabled=true", "--conf", "spark.storage.decommission.enabled=true"},
			`msg="decommissioned executor handed its blocks to peers" `},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			s := newSubmitEnv(t)
			if slices.Equal(tc.conf, shuffleConf) {
				s.shuffleService(t)
			}
			r := s.submitAsync(t, append(s.base("delete-every-12s", append(slices.Clone(tc.conf), "--conf", "spark.executor.instances=3")...),
				append([]string{"local:///opt/gospark/examples/groupbytest"}, args...)...)...)
			var deleted []string
			next := time.Now().Add(12 * time.Second)
			for !r.finished() {
				time.Sleep(250 * time.Millisecond)
				if time.Now().Before(next) {
					continue
				}
				pods, err := s.podList(s.ns, "spark-role=executor")
				if err != nil || len(running(pods)) == 0 {
					continue
				}
				// The oldest: it holds the most.
				victim := running(pods)[0]
				if out, err := s.run("-n", s.ns, "delete", "pod", victim.Name, "--wait=false"); err != nil {
					t.Logf("deleting %s: %v %s", victim.Name, err, out)
					continue
				}
				deleted = append(deleted, fmt.Sprintf("%s at %s", victim.Labels["spark-exec-id"], time.Since(start).Round(100*time.Millisecond)))
				next = time.Now().Add(12 * time.Second)
			}
			_, code := r.wait(t)
			t.Logf("deleted executors %s; took %s", strings.Join(deleted, ", "), time.Since(start).Round(time.Second))
			if code != 0 {
				t.Fatalf("submit exited %d; the driver's log:\n%s", code, s.driverLog(t))
			}
			log := s.driverLog(t)
			if got := lastStdoutLine(log); got != want {
				t.Errorf("cluster count %q, local[2] count %q", got, want)
			}
			if len(deleted) < 3 {
				t.Errorf("only %d executor pods deleted while the job ran, want 3 or more", len(deleted))
			}
			if !strings.Contains(log, tc.log) {
				t.Errorf("the driver's log lacks %s:\n%s", tc.log, log)
			}
			s.noExecutorRunning(t)
		})
	}
}
