//go:build e2e

package e2e

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// gosparkOnce builds the gospark command once per test run.
var gosparkOnce = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "gospark-e2e-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "gospark")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/gospark")
	cmd.Dir = "../.."
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", &exec.ExitError{Stderr: out}
	}
	return bin, nil
})

// submitEnv is a namespace whose default service account may manage pods,
// as the seeds' commands need, and the API server's URL.
type submitEnv struct {
	*env
	ns     string
	server string // https://host:port
}

func newSubmitEnv(t *testing.T) *submitEnv {
	t.Helper()
	e := setup(t)
	ns := e.namespace(t)
	e.must(t, "-n", ns, "create", "rolebinding", "spark-edit", "--clusterrole=edit", "--serviceaccount="+ns+":default")
	server := strings.TrimSpace(e.must(t, "config", "view", "--minify", "-o", "jsonpath={.clusters[0].cluster.server}"))
	return &submitEnv{env: e, ns: ns, server: server}
}

// testApp makes a submission run sparktest (in the gospark-e2e:dev image).
func (s *submitEnv) testApp(t *testing.T) []string {
	t.Helper()
	s.buildImage(t, "gospark-e2e:dev")
	return []string{"--conf", "spark.kubernetes.container.image=gospark-e2e:dev"}
}

// submit runs gospark submit and returns its combined output and exit code.
func (s *submitEnv) submit(t *testing.T, args ...string) (string, int) {
	t.Helper()
	bin, err := gosparkOnce()
	if err != nil {
		t.Fatalf("building gospark: %v", err)
	}
	cmd := exec.Command(bin, append([]string{"submit"}, args...)...)
	cmd.Dir = s.root // as a user in the checkout runs the seeds' commands
	cmd.Env = append(os.Environ(), "KUBECONFIG="+s.kubeconfig)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-time.After(5 * time.Minute):
		_ = cmd.Process.Kill()
		t.Fatalf("gospark submit %v did not finish in 5 minutes:\n%s", args, out.String())
	}
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	t.Logf("gospark submit %s → exit %d\n%s", strings.Join(args, " "), code, out.String())
	return out.String(), code
}

// base is the flags every cluster submission of these tests shares.
func (s *submitEnv) base(name string, extra ...string) []string {
	return append([]string{"--deploy-mode", "cluster", "--master", "k8s://" + s.server, "--kubernetes-namespace", s.ns,
		"--conf", "spark.app.name=" + name,
		"--conf", "spark.kubernetes.container.image=gospark:dev",
		"--conf", "spark.kubernetes.driver.request.cores=100m",
		"--conf", "spark.kubernetes.executor.request.cores=100m",
		"--conf", "spark.kubernetes.driverEnv.GOSPARK_LOG_LEVEL=INFO",
	}, extra...)
}

// pods returns the pods of the namespace matching a label selector.
func (s *submitEnv) pods(t *testing.T, selector string) []corev1.Pod {
	t.Helper()
	out := s.must(t, "-n", s.ns, "get", "pods", "-l", selector, "-o", "json")
	var list corev1.PodList
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatalf("decoding pods: %v", err)
	}
	return list.Items
}

// driverLog is the log of the only driver pod whose name matches.
func (s *submitEnv) driverLog(t *testing.T) string {
	t.Helper()
	drivers := s.pods(t, "spark-role=driver")
	if len(drivers) != 1 {
		t.Fatalf("%d driver pods in %s, want 1", len(drivers), s.ns)
	}
	return s.must(t, "-n", s.ns, "logs", drivers[0].Name)
}

// noExecutorRunning fails if an executor pod is still running or pending
// and not labelled inactive.
func (s *submitEnv) noExecutorRunning(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var live []string
		for _, p := range s.pods(t, "spark-role=executor,spark-exec-inactive!=true") {
			if p.DeletionTimestamp == nil && (p.Status.Phase == corev1.PodRunning || p.Status.Phase == corev1.PodPending) {
				live = append(live, p.Name+" "+string(p.Status.Phase))
			}
		}
		if len(live) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("executor pods still alive after the application ended: %v", live)
		}
		time.Sleep(time.Second)
	}
}

var registered = regexp.MustCompile(`msg="executor registered" [^\n]*executor=(\d+)`)

// Acceptance 1: the seeds' SparkPi command, gospark's image and binary.
func TestSeedSparkPiWithFiveExecutors(t *testing.T) {
	s := newSubmitEnv(t)
	out, code := s.submit(t,
		"--deploy-mode", "cluster",
		"--class", "org.apache.spark.examples.SparkPi",
		"--master", "k8s://"+s.server,
		"--kubernetes-namespace", s.ns,
		"--conf", "spark.executor.instances=5",
		"--conf", "spark.app.name=spark-pi",
		"--conf", "spark.kubernetes.driver.docker.image=gospark:dev",
		"--conf", "spark.kubernetes.executor.docker.image=gospark:dev",
		"--conf", "spark.kubernetes.executor.request.cores=100m",
		"--conf", "spark.kubernetes.driverEnv.GOSPARK_LOG_LEVEL=INFO",
		"local:///opt/gospark/examples/sparkpi")
	if code != 0 {
		t.Fatalf("submit exited %d", code)
	}
	if !strings.Contains(out, "succeeded") {
		t.Errorf("submit's output does not say the application succeeded")
	}
	log := s.driverLog(t)
	if !strings.Contains(log, "Pi is roughly 3.1") {
		t.Errorf("driver log lacks %q:\n%s", "Pi is roughly 3.1", log)
	}
	// The first job may start once 80% of the executors registered
	// (spark.scheduler.minRegisteredResourcesRatio), so the last may miss
	// it; all five pods must have started.
	ids := map[string]bool{}
	for _, m := range registered.FindAllStringSubmatch(log, -1) {
		ids[m[1]] = true
	}
	if len(ids) < 4 {
		t.Errorf("%d executors registered (%v), want at least 4:\n%s", len(ids), ids, log)
	}
	started := map[string]bool{}
	for _, name := range strings.Fields(s.must(t, "-n", s.ns, "get", "events", "--field-selector", "reason=Started",
		"-o", "jsonpath={.items[*].involvedObject.name}")) {
		if strings.Contains(name, "-exec-") {
			started[name] = true
		}
	}
	if len(started) != 5 {
		t.Errorf("%d executor pods started (%v), want 5", len(started), started)
	}
	s.noExecutorRunning(t)
}

// Acceptance 2: GroupByTest gives local[2]'s count with 3 executor pods.
func TestGroupByTestMatchesLocal(t *testing.T) {
	s := newSubmitEnv(t)
	bin, err := gosparkOnce()
	if err != nil {
		t.Fatal(err)
	}
	local := exec.Command(bin, "submit", "--master", "local[2]", "./examples/groupbytest", "10", "400000", "2")
	local.Dir = s.root
	want, err := local.Output()
	if err != nil {
		t.Fatalf("local[2] groupbytest: %v", err)
	}
	wantCount := lastLine(string(want))
	_, code := s.submit(t, append(s.base("group-by-test", "--conf", "spark.executor.instances=3"),
		"local:///opt/gospark/examples/groupbytest", "10", "400000", "2")...)
	if code != 0 {
		t.Fatalf("submit exited %d", code)
	}
	log := s.driverLog(t)
	if got := lastStdoutLine(log); got != wantCount {
		t.Errorf("cluster count %q, local[2] count %q\n%s", got, wantCount, log)
	}
	s.noExecutorRunning(t)
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// lastStdoutLine is the last line of a driver log that is not a log record.
func lastStdoutLine(log string) string {
	last := ""
	for _, l := range strings.Split(log, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "time=") {
			last = l
		}
	}
	return last
}

// Acceptance 3: the user's labels, annotations, env, node selector and
// memory overhead are on the pods exactly.
func TestPodsCarryTheUsersSettings(t *testing.T) {
	s := newSubmitEnv(t)
	_, code := s.submit(t, append(s.base("settings", append(s.testApp(t),
		"--conf", "spark.executor.instances=1",
		"--conf", "spark.kubernetes.executor.deleteOnTermination=false",
		"--conf", "spark.kubernetes.driver.label.team=data",
		"--conf", "spark.kubernetes.driver.annotation.owner=alice",
		"--conf", "spark.kubernetes.executor.label.pool=batch",
		"--conf", "spark.kubernetes.executor.annotation.cost=low",
		"--conf", "spark.kubernetes.driverEnv.STAGE=driver-stage",
		"--conf", "spark.executorEnv.STAGE=executor-stage",
		"--conf", "spark.kubernetes.node.selector.kubernetes.io/hostname=gospark-node",
		"--conf", "spark.driver.memory=512m",
		"--conf", "spark.driver.memoryOverhead=200m",
		"--conf", "spark.executor.memory=600m",
		"--conf", "spark.kubernetes.executor.memoryOverhead=300m")...,
	), "local:///opt/gospark/examples/sparktest", "env", "STAGE")...)
	if code != 0 {
		t.Fatalf("submit exited %d", code)
	}
	drivers := s.pods(t, "spark-role=driver")
	execs := s.pods(t, "spark-role=executor")
	if len(drivers) != 1 || len(execs) != 1 {
		t.Fatalf("%d driver and %d executor pods, want 1 and 1", len(drivers), len(execs))
	}
	check := func(p corev1.Pod, label, labelValue, annotation, annotationValue, env, memory string) {
		t.Helper()
		if p.Labels[label] != labelValue || p.Annotations[annotation] != annotationValue {
			t.Errorf("pod %s: labels %v annotations %v", p.Name, p.Labels, p.Annotations)
		}
		if p.Spec.NodeSelector["kubernetes.io/hostname"] != "gospark-node" {
			t.Errorf("pod %s: node selector %v", p.Name, p.Spec.NodeSelector)
		}
		c := p.Spec.Containers[0]
		found := false
		for _, e := range c.Env {
			if e.Name == "STAGE" {
				found = e.Value == env
			}
		}
		if !found {
			t.Errorf("pod %s: env lacks STAGE=%s: %v", p.Name, env, c.Env)
		}
		if got := c.Resources.Limits.Memory().String(); got != memory {
			t.Errorf("pod %s: memory limit %s, want %s", p.Name, got, memory)
		}
		if got := c.Resources.Requests.Memory().String(); got != memory {
			t.Errorf("pod %s: memory request %s, want %s", p.Name, got, memory)
		}
	}
	check(drivers[0], "team", "data", "owner", "alice", "driver-stage", "712Mi")
	check(execs[0], "pool", "batch", "cost", "low", "executor-stage", "900Mi")
	log := s.driverLog(t)
	for _, want := range []string{"driver STAGE=driver-stage", "executor STAGE=executor-stage"} {
		if !strings.Contains(log, want) {
			t.Errorf("driver log lacks %q:\n%s", want, log)
		}
	}
	if execs[0].Labels["spark-exec-inactive"] != "true" {
		t.Errorf("kept executor pod is not labelled inactive: %v", execs[0].Labels)
	}
}

// Acceptance 4: a 160-character name, a master without scheme, not
// waiting, --status and --kill with a glob.
func TestLongNameNoSchemeNoWaitStatusKill(t *testing.T) {
	s := newSubmitEnv(t)
	name := strings.Repeat("Long Application Name ", 8)[:160]
	args := s.base(name, append(s.testApp(t), "--conf", "spark.executor.instances=1",
		"--conf", "spark.kubernetes.submission.waitAppCompletion=false")...)
	for i, a := range args {
		if a == "k8s://"+s.server {
			args[i] = "k8s://" + strings.TrimPrefix(s.server, "https://")
		}
	}
	start := time.Now()
	out, code := s.submit(t, append(args, "local:///opt/gospark/examples/sparktest", "slow", "2", "600000")...)
	if code != 0 {
		t.Fatalf("submit exited %d", code)
	}
	if !strings.Contains(out, "Not waiting") {
		t.Errorf("submit does not say it returns at once")
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("submit without waiting took %s", d)
	}
	drivers := s.pods(t, "spark-role=driver")
	if len(drivers) != 1 {
		t.Fatalf("%d driver pods, want 1", len(drivers))
	}
	pod := drivers[0].Name
	if len(pod) > 63 || !strings.HasPrefix(pod, "long-application-name-long") {
		t.Errorf("driver pod name %q", pod)
	}
	s.waitFor(t, s.ns, "pod/"+pod, "{.status.phase}", "Running", 2*time.Minute)
	out, code = s.submit(t, "--master", "k8s://"+s.server, "--status", s.ns+":long-application-*")
	if code != 0 || !strings.Contains(out, "pod name: "+pod) || !strings.Contains(out, "phase: Running") {
		t.Errorf("--status exited %d", code)
	}
	out, code = s.submit(t, "--master", "k8s://"+s.server, "--status", s.ns+":nothing-*")
	if code == 0 || !strings.Contains(out, "no driver pod matches") {
		t.Errorf("--status of no pod exited %d", code)
	}
	out, code = s.submit(t, "--master", "k8s://"+s.server, "--kill", s.ns+":long-*")
	if code != 0 || !strings.Contains(out, "Deleting driver pod "+pod) {
		t.Errorf("--kill exited %d", code)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for len(s.pods(t, "spark-app-selector")) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("pods of the killed application remain: %s", s.must(t, "-n", s.ns, "get", "pods"))
		}
		time.Sleep(time.Second)
	}
}

// Acceptance 5: an executor pod deleted mid-job is replaced and the job
// still gives the right answer.
func TestDeletedExecutorPodIsReplaced(t *testing.T) {
	s := newSubmitEnv(t)
	type result struct {
		out  string
		code int
	}
	done := make(chan result, 1)
	app := s.testApp(t)
	go func() {
		out, code := s.submit(t, append(s.base("replace", append(app, "--conf", "spark.executor.instances=2")...),
			"local:///opt/gospark/examples/sparktest", "slow", "8", "4000")...)
		done <- result{out, code}
	}()
	// Wait for both executors to run, then delete the first.
	deadline := time.Now().Add(3 * time.Minute)
	var victim string
	for victim == "" {
		if time.Now().After(deadline) {
			t.Fatalf("executors never ran: %s", s.must(t, "-n", s.ns, "get", "pods"))
		}
		running := 0
		for _, p := range s.pods(t, "spark-role=executor") {
			if p.Status.Phase == corev1.PodRunning {
				running++
				if p.Labels["spark-exec-id"] == "1" {
					victim = p.Name
				}
			}
		}
		if running < 2 {
			victim = ""
			time.Sleep(500 * time.Millisecond)
		}
	}
	time.Sleep(3 * time.Second) // into the first tasks
	s.must(t, "-n", s.ns, "delete", "pod", victim, "--wait=false")
	r := <-done
	if r.code != 0 {
		t.Fatalf("submit exited %d after an executor pod was deleted", r.code)
	}
	log := s.driverLog(t)
	if got := lastStdoutLine(log); got != "keys=100 total=8000" {
		t.Errorf("result %q, want keys=100 total=8000", got)
	}
	if !strings.Contains(log, `msg="executor pod created"`) || !strings.Contains(log, "executor=3") {
		t.Errorf("no replacement executor pod was created:\n%s", log)
	}
	if !regexp.MustCompile(`msg="executor pod ended" .*executor=1 .*reason="pod deleted`).MatchString(log) {
		t.Errorf("the driver did not report the deleted pod:\n%s", log)
	}
	s.noExecutorRunning(t)
}

// Acceptance 6: an executor over its memory limit shows as OOMKilled in
// submit's output.
func TestExecutorOOMKilledIsReported(t *testing.T) {
	s := newSubmitEnv(t)
	out, code := s.submit(t, append(s.base("hog", append(s.testApp(t),
		"--conf", "spark.executor.instances=1",
		"--conf", "spark.executor.memory=256m",
		"--conf", "spark.executor.memoryOverhead=128m",
		"--conf", "spark.executor.maxNumFailures=1")...,
	), "local:///opt/gospark/examples/sparktest", "hog", "1024")...)
	if code == 0 {
		t.Fatalf("an application whose executors are OOM-killed succeeded")
	}
	if !strings.Contains(out, "OOMKilled") {
		t.Errorf("submit's output does not name OOMKilled")
	}
	if !strings.Contains(out, "spark.executor.maxNumFailures") {
		t.Errorf("submit's output does not say why the application failed")
	}
	s.noExecutorRunning(t)
}

// Acceptance 7: bad properties fail before anything is created.
func TestBadPropertiesCreateNothing(t *testing.T) {
	s := newSubmitEnv(t)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"bad memory", s.base("bad", "--conf", "spark.executor.memory=lots"), "spark.executor.memory"},
		{"unknown volume type", s.base("bad", "--conf", "spark.kubernetes.driver.volumes.nfs.data.mount.path=/data"), `volume type "nfs"`},
		{"malformed master", []string{"--deploy-mode", "cluster", "--master", "k8s:/" + s.server, "--conf", "spark.kubernetes.container.image=gospark:dev"}, "spark.master"},
		{"missing image", []string{"--deploy-mode", "cluster", "--master", "k8s://" + s.server, "--kubernetes-namespace", s.ns}, "spark.kubernetes.container.image"},
		{"bad label", s.base("bad", "--conf", "spark.kubernetes.executor.label.pool=no spaces"), "spark.kubernetes.executor.label.pool"},
	} {
		out, code := s.submit(t, append(tc.args, "local:///opt/gospark/examples/sparkpi")...)
		if code != 1 || !strings.Contains(out, tc.want) {
			t.Errorf("%s: exit %d, want 1 and an error naming %s", tc.name, code, tc.want)
		}
	}
	for _, kind := range []string{"pods", "services", "configmaps", "secrets"} {
		if got := strings.TrimSpace(s.must(t, "-n", s.ns, "get", kind, "-l", "spark-app-selector", "-o", "name")); got != "" {
			t.Errorf("%s were created: %s", kind, got)
		}
	}
}

// A driver image that is not there fails the submission and leaves
// nothing behind.
func TestMissingDriverImageFailsClearly(t *testing.T) {
	s := newSubmitEnv(t)
	args := s.base("noimage", "--conf", "spark.kubernetes.driver.container.image=gospark-missing:dev",
		"--conf", "spark.kubernetes.container.image.pullPolicy=Never")
	out, code := s.submit(t, append(args, "local:///opt/gospark/examples/sparkpi")...)
	if code != 1 || !strings.Contains(out, "image not found") {
		t.Errorf("exit %d, want 1 and 'image not found'", code)
	}
	deadline := time.Now().Add(time.Minute)
	for len(s.pods(t, "spark-app-selector")) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("pods remain: %s", s.must(t, "-n", s.ns, "get", "pods"))
		}
		time.Sleep(time.Second)
	}
}

// An executor no node can take keeps the application waiting; submit says
// why once, so the user is not left watching "Running".
func TestUnschedulableExecutorsAreReported(t *testing.T) {
	s := newSubmitEnv(t)
	type result struct {
		out  string
		code int
	}
	done := make(chan result, 1)
	go func() {
		out, code := s.submit(t, append(s.base("too-big", "--conf", "spark.executor.instances=2",
			"--conf", "spark.kubernetes.executor.request.cores=64"), "local:///opt/gospark/examples/sparkpi")...)
		done <- result{out, code}
	}()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		unscheduled := 0
		for _, p := range s.pods(t, "spark-role=executor") {
			for _, c := range p.Status.Conditions {
				if c.Type == corev1.PodScheduled && c.Reason == corev1.PodReasonUnschedulable {
					unscheduled++
				}
			}
		}
		if unscheduled == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the executor pods were never reported unschedulable: %s", s.must(t, "-n", s.ns, "get", "pods"))
		}
		time.Sleep(500 * time.Millisecond)
	}
	time.Sleep(2 * time.Second) // for submit's watch to see it
	if _, code := s.submit(t, "--master", "k8s://"+s.server, "--kill", s.ns+":too-big-*"); code != 0 {
		t.Fatalf("--kill exited %d", code)
	}
	r := <-done
	if r.code == 0 {
		t.Errorf("submit exited 0 though its driver was deleted")
	}
	if n := strings.Count(r.out, "is waiting for a node: unschedulable"); n != 1 || !strings.Contains(r.out, "Insufficient cpu") {
		t.Errorf("submit said %d times that an executor waits for a node (want once, with the scheduler's reason)", n)
	}
}
