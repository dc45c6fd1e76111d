//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// Issue 15, allocation and lifecycle: spark.kubernetes.allocation.maxPendingPods,
// allocation.executor.timeout, executor.missingPodDetectDelta,
// driver.service.deleteOnTermination and driver-only applications
// (spark.kubernetes.driver.master=local[*]).

// pendingWatch follows the executor pods of a namespace with kubectl get -w
// and remembers the most that were pending (phase Pending, not being
// deleted) at once, and every pod it saw.
type pendingWatch struct {
	cancel context.CancelFunc
	done   chan struct{}

	mu         sync.Mutex
	phases     map[string]string // pod -> phase, "" once deleted
	maxPending int
	atMax      []string // the pods pending when maxPending was reached
	err        error
}

func (s *submitEnv) watchPending(t *testing.T) *pendingWatch {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, s.kubectl, "--kubeconfig", s.kubeconfig, "-n", s.ns, "get", "pods",
		"-l", "spark-role=executor", "-w", "--output-watch-events", "-o", "json")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w := &pendingWatch{cancel: cancel, done: make(chan struct{}), phases: map[string]string{}}
	go func() {
		defer close(w.done)
		defer func() { _ = cmd.Wait() }()
		dec := json.NewDecoder(stdout)
		for {
			var ev struct {
				Type   string     `json:"type"`
				Object corev1.Pod `json:"object"`
			}
			if err := dec.Decode(&ev); err != nil {
				if !errors.Is(err, io.EOF) && ctx.Err() == nil {
					w.mu.Lock()
					w.err = err
					w.mu.Unlock()
				}
				return
			}
			w.seen(ev.Type, &ev.Object)
		}
	}()
	t.Cleanup(w.stop)
	return w
}

func (w *pendingWatch) seen(kind string, p *corev1.Pod) {
	w.mu.Lock()
	defer w.mu.Unlock()
	phase := string(p.Status.Phase)
	if kind == "DELETED" || p.DeletionTimestamp != nil {
		phase = ""
	}
	w.phases[p.Name] = phase
	var pending []string
	for name, ph := range w.phases {
		if ph == string(corev1.PodPending) {
			pending = append(pending, name)
		}
	}
	if len(pending) > w.maxPending {
		slices.Sort(pending)
		w.maxPending, w.atMax = len(pending), pending
	}
}

func (w *pendingWatch) stop() {
	w.cancel()
	<-w.done
}

// result stops watching and returns the most pods pending at once, which,
// and how many pods were seen.
func (w *pendingWatch) result(t *testing.T) (maxPending int, atMax []string, pods int) {
	t.Helper()
	w.stop()
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		t.Fatalf("watching executor pods: %v", w.err)
	}
	return w.maxPending, w.atMax, len(w.phases)
}

// registeredExecutors is the executor ids the driver's log says registered.
func registeredExecutors(log string) []string {
	var ids []string
	for _, m := range registered.FindAllStringSubmatch(log, -1) {
		if !slices.Contains(ids, m[1]) {
			ids = append(ids, m[1])
		}
	}
	slices.Sort(ids)
	return ids
}

// onePodQuota limits the namespace to one pod (the driver's), and waits until
// the quota controller has counted it: before that, the API server refuses
// every pod.
func (s *submitEnv) onePodQuota(t *testing.T) {
	t.Helper()
	s.apply(t, s.ns, "apiVersion: v1\nkind: ResourceQuota\nmetadata:\n  name: one-pod\nspec:\n  hard:\n    pods: \"1\"\n")
	s.waitFor(t, s.ns, "resourcequota/one-pod", "{.status.used.pods}", "0", time.Minute)
}

// Acceptance 5: with maxPendingPods=2 and a batch of 6, no more than 2
// executor pods are ever pending at once, and all 6 register. Without the
// limit the first batch alone makes 6 pending pods.
func TestAllocationMaxPendingPods(t *testing.T) {
	s := newSubmitEnv(t)
	app := s.testApp(t)
	w := s.watchPending(t)
	out, code := s.submit(t, append(s.base("maxpending", append(app,
		"--conf", "spark.executor.instances=6",
		"--conf", "spark.executor.memory=256m",
		"--conf", "spark.kubernetes.allocation.batch.size=6",
		"--conf", "spark.kubernetes.allocation.batch.delay=500ms",
		"--conf", "spark.kubernetes.allocation.maxPendingPods=2",
		// The job waits for all 6, however slowly pods start.
		"--conf", "spark.scheduler.minRegisteredResourcesRatio=1.0",
		"--conf", "spark.scheduler.maxRegisteredResourcesWaitingTime=100s",
		// The Services stay after the driver's end (checked below).
		"--conf", "spark.kubernetes.driver.service.deleteOnTermination=false")...),
		"local:///opt/gospark/examples/sparktest", "slow", "12", "500")...)
	if code != 0 {
		t.Fatalf("submit exited %d:\n%s", code, out)
	}
	maxPending, atMax, seen := w.result(t)
	if maxPending > 2 {
		t.Errorf("%d executor pods pending at once (%v), want at most 2 (spark.kubernetes.allocation.maxPendingPods=2)", maxPending, atMax)
	}
	if maxPending == 0 || seen < 6 {
		t.Errorf("the watch saw %d executor pods, at most %d pending: it did not follow the application", seen, maxPending)
	}
	log := s.driverLog(t)
	if got := lastStdoutLine(log); got != "keys=100 total=12000" {
		t.Errorf("result %q, want keys=100 total=12000", got)
	}
	if ids := registeredExecutors(log); !slices.Equal(ids, []string{"1", "2", "3", "4", "5", "6"}) {
		t.Errorf("executors %v registered, want 1 to 6", ids)
	}
	// spark.kubernetes.driver.service.deleteOnTermination=false: the
	// driver's Service is still there, until the driver pod goes.
	if svcs := s.must(t, "-n", s.ns, "get", "services", "-o", "name"); !strings.Contains(svcs, "-driver-svc") {
		t.Errorf("the driver's Service was deleted with deleteOnTermination=false: %q", svcs)
	}
	s.noExecutorRunning(t)
}

// Acceptance 5: a request the API server refuses (a ResourceQuota of one
// pod, taken by the driver) is asked again and reported, by the driver's
// log and by submit; once the quota is lifted the executor comes and the
// application completes.
func TestAllocationRefusedPodIsRetriedUntilTheQuotaIsLifted(t *testing.T) {
	s := newSubmitEnv(t)
	app := s.testApp(t)
	s.onePodQuota(t)
	r := s.submitAsync(t, append(s.base("quota", append(app,
		"--conf", "spark.executor.instances=1",
		"--conf", "spark.executor.memory=256m",
		"--conf", "spark.kubernetes.report.interval=1s")...),
		"local:///opt/gospark/examples/sparktest", "slow", "4", "100")...)
	s.waitForLog(t, r, "executor pod refused", 2*time.Minute)
	// Several more attempts, then the quota goes.
	time.Sleep(3 * time.Second)
	s.must(t, "-n", s.ns, "delete", "resourcequota", "one-pod")
	out, code := r.wait(t)
	if code != 0 {
		t.Fatalf("submit exited %d after the quota was lifted", code)
	}
	const refused = "Executor pod refused by the API server, asked again until spark.kubernetes.allocation.executor.timeout: executor 1: "
	if !strings.Contains(out, refused) || !strings.Contains(out, "exceeded quota: one-pod") {
		t.Errorf("submit did not say the executor pod was refused for the quota:\n%s", out)
	}
	log := s.driverLog(t)
	if !regexp.MustCompile(`msg="executor pod refused; asking again until spark.kubernetes.allocation.executor.timeout" executor=1 .*exceeded quota: one-pod`).MatchString(log) {
		t.Errorf("the driver's log does not say why executor 1's pod was refused:\n%s", log)
	}
	if !strings.Contains(log, `msg="executor pod created" executor=1 `) || !strings.Contains(log, "retried=true") {
		t.Errorf("executor 1's pod was not created after the quota went:\n%s", log)
	}
	if got := lastStdoutLine(log); got != "keys=100 total=4000" {
		t.Errorf("result %q, want keys=100 total=4000", got)
	}
	// spark.kubernetes.driver.service.deleteOnTermination (true): the
	// driver's Service went when the application ended.
	if svcs := s.must(t, "-n", s.ns, "get", "services", "-o", "name"); strings.Contains(svcs, "-driver-svc") {
		t.Errorf("the driver's Service is still there: %q", svcs)
	}
	if !strings.Contains(log, "deleted the driver's services") {
		t.Errorf("the driver did not log deleting its services:\n%s", log)
	}
	s.noExecutorRunning(t)
}

// Acceptance 5 and 8: the same quota never lifted, with
// allocation.executor.timeout=10s and maxNumFailures=1: each refused
// request counts as a failure when it times out, and the second ends the
// application with a message saying why.
func TestAllocationRefusedPodEndsAtTheFailureLimit(t *testing.T) {
	s := newSubmitEnv(t)
	app := s.testApp(t)
	s.onePodQuota(t)
	start := time.Now()
	out, code := s.submit(t, append(s.base("quota-fails", append(app,
		"--conf", "spark.executor.instances=1",
		"--conf", "spark.executor.memory=256m",
		"--conf", "spark.kubernetes.allocation.executor.timeout=10s",
		"--conf", "spark.executor.maxNumFailures=1")...),
		"local:///opt/gospark/examples/sparktest", "slow", "4", "100")...)
	if code == 0 {
		t.Fatalf("an application that can get no executor pod succeeded")
	}
	for _, want := range []string{"spark.executor.maxNumFailures=1", "pod not created within 10s (spark.kubernetes.allocation.executor.timeout)", "exceeded quota: one-pod"} {
		if !strings.Contains(out, want) {
			t.Errorf("submit's output does not say %q", want)
		}
	}
	t.Logf("ended after %s", time.Since(start).Round(time.Second))
}

// Acceptance 5: an executor whose pod vanishes from the listings while its
// process is still connected is removed after missingPodDetectDelta (the
// pod is relabelled as another executor's: no deletion reaches the
// driver); one whose pod is force-deleted is removed at once, the deletion
// being heard. Both are replaced, and the job's answer is right.
func TestAllocationMissingExecutorPodIsRemoved(t *testing.T) {
	s := newSubmitEnv(t)
	app := s.testApp(t)
	r := s.submitAsync(t, append(s.base("missing", append(app,
		"--conf", "spark.executor.instances=2",
		"--conf", "spark.executor.memory=256m",
		"--conf", "spark.kubernetes.executor.missingPodDetectDelta=5s")...),
		"local:///opt/gospark/examples/sparktest", "slow", "24", "2000")...)
	s.waitForLog(t, r, ` executor=2 cores=`, 2*time.Minute) // registered
	s.waitForLog(t, r, ` executor=1 cores=`, time.Minute)
	pod := func(id string) string {
		for _, p := range s.pods(t, "spark-role=executor,spark-exec-id="+id) {
			return p.Name
		}
		t.Fatalf("no pod of executor %s", id)
		return ""
	}
	p1, p2 := pod("1"), pod("2")
	relabelled := time.Now()
	s.must(t, "-n", s.ns, "label", "pod", p1, "spark-exec-id=991", "--overwrite")
	s.must(t, "-n", s.ns, "delete", "pod", p2, "--grace-period=0", "--force")
	s.waitForLog(t, r, "spark.kubernetes.executor.missingPodDetectDelta", time.Minute)
	if d := time.Since(relabelled); d < 5*time.Second {
		t.Errorf("executor 1 removed %s after its pod went missing, before missingPodDetectDelta=5s", d)
	}
	out, code := r.wait(t)
	if code != 0 {
		t.Fatalf("submit exited %d:\n%s", code, out)
	}
	log := s.driverLog(t)
	if !regexp.MustCompile(`msg="executor pod ended" executor=1 pod=` + regexp.QuoteMeta(p1) +
		` reason="pod missing from the cluster's listings for more than 5s \(spark.kubernetes.executor.missingPodDetectDelta\)`).MatchString(log) {
		t.Errorf("the driver does not say executor 1 was removed for its missing pod:\n%s", log)
	}
	if !regexp.MustCompile(`msg="executor pod ended" executor=2 pod=` + regexp.QuoteMeta(p2) + ` reason="pod deleted`).MatchString(log) {
		t.Errorf("the driver does not say executor 2's pod was deleted:\n%s", log)
	}
	if ids := registeredExecutors(log); len(ids) < 3 {
		t.Errorf("executors %v registered: no replacement", ids)
	}
	if got := lastStdoutLine(log); got != "keys=100 total=24000" {
		t.Errorf("result %q, want keys=100 total=24000", got)
	}
	// The relabelled pod is no executor's any more, but still the
	// application's: it goes with the others.
	s.noExecutorRunning(t)
}

// Acceptance 6: a driver-only SparkPi (spark.kubernetes.driver.master=local[*])
// prints Pi with no executor pod ever created.
func TestAllocationDriverOnlySparkPi(t *testing.T) {
	s := newSubmitEnv(t)
	w := s.watchPending(t)
	out, code := s.submit(t, append(s.base("pi-driver-only",
		"--conf", "spark.kubernetes.driver.master=local[*]",
		"--conf", "spark.executor.instances=0"),
		"local:///opt/gospark/examples/sparkpi", "20")...)
	if code != 0 {
		t.Fatalf("submit exited %d:\n%s", code, out)
	}
	log := s.driverLog(t)
	if !strings.Contains(log, "Pi is roughly 3.1") {
		t.Errorf("no Pi in the driver's log:\n%s", log)
	}
	if _, _, seen := w.result(t); seen != 0 {
		t.Errorf("%d executor pods were created for a driver-only application", seen)
	}
	if pods := s.pods(t, "spark-role=executor"); len(pods) != 0 {
		t.Errorf("executor pods exist: %d", len(pods))
	}
	if strings.Contains(log, "executor pod created") {
		t.Errorf("the driver created executor pods:\n%s", log)
	}
	if svcs := s.must(t, "-n", s.ns, "get", "services", "-o", "name"); strings.Contains(svcs, "-driver-svc") {
		t.Errorf("the driver's Service is still there after the application: %q", svcs)
	}
}

// Found when tried: executor pods that stay Pending (a claim that does not
// exist) are reported by submit every report interval, not once, and with
// allocation.executor.timeout=15s and maxNumFailures=2 the submission ends
// non-zero naming why, instead of reporting Running for ever.
func TestAllocationPendingExecutorsReportedAndGivenUp(t *testing.T) {
	s := newSubmitEnv(t)
	start := time.Now()
	out, code := s.submit(t, append(s.base("stuck",
		"--conf", "spark.executor.instances=1",
		"--conf", "spark.executor.memory=256m",
		"--conf", "spark.kubernetes.executor.volumes.persistentVolumeClaim.data.options.claimName=no-such-claim",
		"--conf", "spark.kubernetes.executor.volumes.persistentVolumeClaim.data.mount.path=/data",
		"--conf", "spark.kubernetes.allocation.executor.timeout=15s",
		"--conf", "spark.executor.maxNumFailures=2",
		"--conf", "spark.kubernetes.report.interval=2s"),
		"local:///opt/gospark/examples/sparkpi", "4")...)
	if code == 0 {
		t.Fatalf("an application whose executors cannot be scheduled succeeded")
	}
	const why = `persistentvolumeclaim "no-such-claim" not found`
	if n := strings.Count(out, "Executor pods pending: 1 of 1"); n < 2 {
		t.Errorf("submit reported the pending executor %d times, want every report interval", n)
	}
	if !regexp.MustCompile(`  1 unschedulable: .*` + regexp.QuoteMeta(why) + `.* \(executor \d+\)`).MatchString(out) {
		t.Errorf("submit's pending report does not say why")
	}
	for _, want := range []string{"spark.executor.maxNumFailures=2", "still pending 15s after it was requested (spark.kubernetes.allocation.executor.timeout)", why} {
		if !strings.Contains(out, want) {
			t.Errorf("submit's output does not say %q", want)
		}
	}
	t.Logf("ended after %s", time.Since(start).Round(time.Second))
	s.noExecutorRunning(t)
}
