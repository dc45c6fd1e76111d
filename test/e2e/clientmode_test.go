//go:build e2e

package e2e

import (
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// Acceptance item 4 of issue 15: client mode (--deploy-mode client with a
// k8s:// master), the driver on the host and in a pod of the user's.

// clientGroupByArgs are GroupByTest's arguments in these tests: small, so that
// the host's own run and the executors' are quick.
var clientGroupByArgs = []string{"10", "40000", "2"}

// clientArgs is the flags of a client-mode submission from the host with n
// executors.
func (s *submitEnv) clientArgs(name string, n int, extra ...string) []string {
	return append([]string{"--deploy-mode", "client", "--master", "k8s://" + s.server, "--kubernetes-namespace", s.ns,
		"--conf", "spark.app.name=" + name,
		"--conf", "spark.driver.host=10.88.0.1", // the node's address: pods reach it
		"--conf", "spark.executor.instances=" + strconv.Itoa(n),
		"--conf", "spark.kubernetes.container.image=gospark:dev",
		"--conf", "spark.kubernetes.executor.request.cores=100m",
	}, extra...)
}

// execWatch lists an application's executor pods every 300 ms while it
// runs.
type execWatch struct {
	stop, stopped chan struct{}
	once          sync.Once

	mu      sync.Mutex
	names   map[string]corev1.Pod // every executor pod seen, as first seen running (or last seen)
	maxLive int                   // the most not being deleted at once
}

func (s *submitEnv) watchClientExecutors(t *testing.T) *execWatch {
	w := &execWatch{stop: make(chan struct{}), stopped: make(chan struct{}), names: map[string]corev1.Pod{}}
	go func() {
		defer close(w.stopped)
		for {
			if pods, err := s.podList(s.ns, "spark-role=executor"); err == nil {
				live := 0
				w.mu.Lock()
				for _, p := range pods {
					if p.DeletionTimestamp == nil {
						live++
					}
					if prev, ok := w.names[p.Name]; !ok || prev.Status.Phase != corev1.PodRunning {
						w.names[p.Name] = p
					}
				}
				w.maxLive = max(w.maxLive, live)
				w.mu.Unlock()
			}
			select {
			case <-w.stop:
				return
			case <-time.After(300 * time.Millisecond):
			}
		}
	}()
	t.Cleanup(w.halt)
	return w
}

func (w *execWatch) halt() {
	w.once.Do(func() { close(w.stop) })
	<-w.stopped
}

// seen stops watching and returns the executor pods seen and the most
// alive at once.
func (w *execWatch) seen() (map[string]corev1.Pod, int) {
	w.halt()
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.names, w.maxLive
}

// running is how many executor pods were seen running so far.
func (w *execWatch) running() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, p := range w.names {
		if p.Status.Phase == corev1.PodRunning {
			n++
		}
	}
	return n
}

// noneLeft waits until the namespace has no executor pod at all and no
// ConfigMap or Secret of a gospark application, and returns how long
// that took from since.
func (s *submitEnv) noneLeft(t *testing.T, since time.Time, within time.Duration) time.Duration {
	t.Helper()
	deadline := since.Add(within)
	for {
		pods, err := s.podList(s.ns, "spark-role=executor")
		objs, oerr := s.run("-n", s.ns, "get", "configmaps,secrets", "-l", "spark-app-selector", "-o", "name")
		if err == nil && oerr == nil && len(pods) == 0 && strings.TrimSpace(objs) == "" {
			return time.Since(since)
		}
		if time.Now().After(deadline) {
			var names []string
			for _, p := range pods {
				names = append(names, p.Name+" "+string(p.Status.Phase))
			}
			t.Fatalf("%s after: executor pods %v, objects %q (errors %v %v)", within, names, objs, err, oerr)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// Client mode from the host: the application is built here and runs here
// as the driver; its binary reaches the executor pods through the files
// submit serves; exactly N executor pods, local[2]'s count, and nothing
// left when the driver stops.
func TestClientModeFromHost(t *testing.T) {
	s := newSubmitEnv(t)
	want := localGroupByCount(t, s.root, clientGroupByArgs...)
	w := s.watchClientExecutors(t)
	out, code := s.submit(t, append(s.clientArgs("client-host", 2), append([]string{"./examples/groupbytest"}, clientGroupByArgs...)...)...)
	ended := time.Now()
	if code != 0 {
		t.Fatalf("submit exited %d", code)
	}
	if got := lastStdoutLine(out); got != want {
		t.Errorf("client-mode count %q, local[2] count %q", got, want)
	}
	if !strings.Contains(out, "Serving the application's files to the executor pods at http://10.88.0.1:") {
		t.Errorf("submit does not say it serves the application's files")
	}
	took := s.noneLeft(t, ended, time.Minute)
	t.Logf("no executor pod, config map or secret left %s after submit exited", took.Round(100*time.Millisecond))
	pods, most := w.seen()
	if len(pods) != 2 || most != 2 {
		t.Errorf("%d executor pods (%d at most at once), want 2: %v", len(pods), most, podNames(pods))
	}
	for _, p := range pods {
		if len(p.OwnerReferences) != 0 {
			t.Errorf("executor pod %s has owners %v: the driver runs in no pod", p.Name, p.OwnerReferences)
		}
	}
}

// Client mode from a pod (a notebook's): gospark submit runs in a pod of
// gospark:dev under the namespace's default service account (edit role),
// with the example in the image; the executor pods are owned by that pod
// (spark.kubernetes.driver.pod.name) and connect to its IP.
func TestClientModeFromPod(t *testing.T) {
	s := newSubmitEnv(t)
	want := localGroupByCount(t, s.root, clientGroupByArgs...)
	args := []string{"/opt/gospark/bin/gospark", "submit", "--deploy-mode", "client",
		"--master", "k8s://https://kubernetes.default.svc", "--kubernetes-namespace", s.ns,
		"--conf", "spark.app.name=client-pod",
		"--conf", "spark.driver.host=$(POD_IP)",
		"--conf", "spark.kubernetes.driver.pod.name=$(POD_NAME)",
		"--conf", "spark.executor.instances=2",
		"--conf", "spark.kubernetes.container.image=gospark:dev",
		"--conf", "spark.kubernetes.executor.request.cores=100m",
		"local:///opt/gospark/examples/groupbytest"}
	args = append(args, clientGroupByArgs...)
	var cmd strings.Builder
	for _, a := range args {
		fmt.Fprintf(&cmd, "\n    - %q", a)
	}
	s.apply(t, s.ns, `apiVersion: v1
kind: Pod
metadata:
  name: notebook
spec:
  restartPolicy: Never
  serviceAccountName: default
  containers:
  - name: notebook
    image: gospark:dev
    imagePullPolicy: Never
    command:`+cmd.String()+`
    env:
    - name: POD_IP
      valueFrom: {fieldRef: {fieldPath: status.podIP}}
    - name: POD_NAME
      valueFrom: {fieldRef: {fieldPath: metadata.name}}
    resources:
      requests: {cpu: 100m}
    volumeMounts:
    - {name: tmp, mountPath: /tmp}
  volumes:
  - {name: tmp, emptyDir: {}}
`)
	w := s.watchClientExecutors(t)
	deadline := time.Now().Add(3 * time.Minute)
	var phase string
	for {
		phase = strings.TrimSpace(s.must(t, "-n", s.ns, "get", "pod", "notebook", "-o", "jsonpath={.status.phase}"))
		if phase == "Succeeded" || phase == "Failed" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the notebook pod is %s after 3 minutes:\n%s", phase, s.must(t, "-n", s.ns, "logs", "notebook"))
		}
		time.Sleep(time.Second)
	}
	ended := time.Now()
	log := s.must(t, "-n", s.ns, "logs", "notebook")
	t.Logf("notebook pod %s:\n%s", phase, log)
	if phase != "Succeeded" {
		t.Fatalf("the notebook pod %s", phase)
	}
	if got := lastStdoutLine(log); got != want {
		t.Errorf("client-mode count %q, local[2] count %q", got, want)
	}
	uid := strings.TrimSpace(s.must(t, "-n", s.ns, "get", "pod", "notebook", "-o", "jsonpath={.metadata.uid}"))
	took := s.noneLeft(t, ended, time.Minute)
	t.Logf("no executor pod left %s after the notebook's submit exited", took.Round(100*time.Millisecond))
	pods, most := w.seen()
	if len(pods) != 2 || most != 2 {
		t.Errorf("%d executor pods (%d at most at once), want 2: %v", len(pods), most, podNames(pods))
	}
	for _, p := range pods {
		if len(p.OwnerReferences) != 1 || p.OwnerReferences[0].Name != "notebook" || string(p.OwnerReferences[0].UID) != uid {
			t.Errorf("executor pod %s is owned by %v, want the notebook pod (uid %s)", p.Name, p.OwnerReferences, uid)
		}
	}
}

// Client mode ships --files to the executor pods from the host: the
// executors' tasks find the file in their working directory, with the
// content it has here.
func TestClientModeFilesReachExecutors(t *testing.T) {
	s := newSubmitEnv(t)
	data := filepath.Join(t.TempDir(), "client-data.txt")
	content := []byte("read by every executor of a client-mode driver\n")
	if err := os.WriteFile(data, content, 0o644); err != nil {
		t.Fatal(err)
	}
	out, code := s.submit(t, append(s.clientArgs("client-files", 1, "--files", data),
		"./test/e2e/sparktest", "files", "2", "client-data.txt")...)
	if code != 0 {
		t.Fatalf("submit exited %d", code)
	}
	want := fmt.Sprintf("client-data.txt sha256=%x", sha256.Sum256(content))
	var tasks []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "task on ") {
			tasks = append(tasks, l)
		}
	}
	if len(tasks) != 2 {
		t.Fatalf("%d task lines, want 2", len(tasks))
	}
	for _, l := range tasks {
		if !strings.HasPrefix(l, "task on client-files-") || !strings.HasSuffix(l, want) {
			t.Errorf("%q: want a task on an executor pod reading %s", l, want)
		}
	}
	s.noneLeft(t, time.Now(), time.Minute)
}

// clientRun is a client-mode gospark submit from the host whose output
// can be read as it comes, and whose processes the test can kill.
type clientRun struct {
	*liveSubmission
	cmd *exec.Cmd
}

func (s *submitEnv) submitClient(t *testing.T, args ...string) *clientRun {
	t.Helper()
	l, cmd := s.startLive(t, []string{"GOSPARK_LOG_LEVEL=INFO"}, args...)
	return &clientRun{liveSubmission: l, cmd: cmd}
}

// children are the processes submit started: the application and the
// watchdog (whose command line says client-watchdog).
func (r *clientRun) children(t *testing.T) (app, watchdog int) {
	t.Helper()
	pid := r.cmd.Process.Pid
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	for _, f := range tasks {
		b, _ := os.ReadFile(f)
		for _, c := range strings.Fields(string(b)) {
			n, _ := strconv.Atoi(c)
			cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", n))
			if strings.Contains(string(cmdline), "client-watchdog") {
				watchdog = n
			} else {
				app = n
			}
		}
	}
	if app == 0 || watchdog == 0 {
		t.Fatalf("submit (pid %d) has children app %d, watchdog %d", pid, app, watchdog)
	}
	return app, watchdog
}

// waitRegistered waits until n executors registered with the driver (its
// INFO log, on submit's output) and their pods run.
func (r *clientRun) waitRegistered(t *testing.T, w *execWatch, n int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for len(registered.FindAllString(r.outSoFar(), -1)) < n || w.running() < n {
		if r.finished() {
			out, code := r.wait(t)
			t.Fatalf("submit ended (exit %d) before %d executors registered:\n%s", code, n, out)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d executors did not register within 2 minutes:\n%s", n, r.outSoFar())
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// processAlive reports whether process pid exists and is not a zombie.
func processAlive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// pid (comm) state ...: the state follows the last ')'.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || !strings.HasPrefix(strings.TrimSpace(s[i+1:]), "Z")
}

// A client-mode driver that dies without stopping, and a gospark submit
// that dies, leave no executor pod behind: the first is seen by submit,
// the second by its watchdog.
func TestClientModeSIGKILL(t *testing.T) {
	// Map tasks that sleep a minute: the job runs when the kill comes.
	app := []string{"./test/e2e/sparktest", "slow", "4", "60000"}
	t.Run("application", func(t *testing.T) {
		s := newSubmitEnv(t)
		w := s.watchClientExecutors(t)
		r := s.submitClient(t, append(s.clientArgs("client-kill-app", 2), app...)...)
		r.waitRegistered(t, w, 2)
		pid, _ := r.children(t)
		killed := time.Now()
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		took := s.noneLeft(t, killed, time.Minute)
		t.Logf("no executor pod, config map or secret left %s after the application was killed", took.Round(100*time.Millisecond))
		out, code := r.wait(t)
		if code != 128+int(syscall.SIGKILL) {
			t.Errorf("submit exited %d, want %d (the application's SIGKILL):\n%s", code, 128+int(syscall.SIGKILL), out)
		}
		if pods, _ := w.seen(); len(pods) != 2 {
			t.Errorf("%d executor pods, want 2: %v", len(pods), podNames(pods))
		}
	})
	t.Run("submit", func(t *testing.T) {
		s := newSubmitEnv(t)
		w := s.watchClientExecutors(t)
		r := s.submitClient(t, append(s.clientArgs("client-kill-submit", 2), app...)...)
		r.waitRegistered(t, w, 2)
		pid, watchdog := r.children(t)
		killed := time.Now()
		if err := r.cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		took := s.noneLeft(t, killed, time.Minute)
		t.Logf("no executor pod, config map or secret left %s after gospark submit was killed", took.Round(100*time.Millisecond))
		deadline := time.Now().Add(time.Minute)
		for processAlive(pid) || processAlive(watchdog) {
			if time.Now().After(deadline) {
				t.Fatalf("a minute after submit was killed: application alive %v, watchdog alive %v", processAlive(pid), processAlive(watchdog))
			}
			time.Sleep(250 * time.Millisecond)
		}
		if pods, _ := w.seen(); len(pods) != 2 {
			t.Errorf("%d executor pods, want 2: %v", len(pods), podNames(pods))
		}
	})
}

func podNames(m map[string]corev1.Pod) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
