//go:build e2e

package e2e

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The Python image, built and imported by hack/cluster images.
const pythonImage = "gospark-py:dev"

// Issue 17, acceptance 2: the seeds' PySpark command with --py-files, the
// image names swapped for gospark's Python image: pi.py prints "Pi is
// roughly 3.1" in the driver log, with 5 executor pods running the Python
// workers.
func TestPythonSeedPiWithPyFiles(t *testing.T) {
	s := newSubmitEnv(t)
	out, code := s.submit(t,
		"--deploy-mode", "cluster",
		"--master", "k8s://"+s.server,
		"--kubernetes-namespace", s.ns,
		"--conf", "spark.executor.instances=5",
		"--conf", "spark.app.name=spark-pi",
		"--conf", "spark.kubernetes.driver.docker.image="+pythonImage,
		"--conf", "spark.kubernetes.executor.docker.image="+pythonImage,
		"--conf", "spark.kubernetes.initcontainer.docker.image=gospark:dev",
		"--conf", "spark.kubernetes.driver.request.cores=100m",
		"--conf", "spark.kubernetes.executor.request.cores=100m",
		"--conf", "spark.kubernetes.driverEnv.GOSPARK_LOG_LEVEL=INFO",
		"--py-files", "local:///opt/gospark/examples/python/sort.py",
		"local:///opt/gospark/examples/python/pi.py", "10")
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
	drivers := s.pods(t, "spark-role=driver")
	c := drivers[0].Spec.Containers[0]
	if strings.Join(c.Command, " ") != "/opt/gospark/bin/gospark driver /opt/gospark/bin/gospark-py" ||
		strings.Join(c.Args, " ") != "/opt/gospark/examples/python/pi.py 10" || c.Image != pythonImage {
		t.Errorf("driver container %s runs %q %q", c.Image, c.Command, c.Args)
	}
	// The first job may start once 80% of the executors registered
	// (spark.scheduler.minRegisteredResourcesRatio); all five pods must
	// have started, with the Python image and gospark-py.
	ids := map[string]bool{}
	for _, m := range registered.FindAllStringSubmatch(log, -1) {
		ids[m[1]] = true
	}
	if len(ids) < 4 {
		t.Errorf("%d executors registered (%v), want at least 4", len(ids), ids)
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
	for _, p := range s.pods(t, "spark-role=executor") {
		if c := p.Spec.Containers[0]; c.Image != pythonImage || strings.Join(c.Command, " ") != "/opt/gospark/bin/gospark-py" {
			t.Errorf("executor pod %s runs %s %q", p.Name, c.Image, c.Command)
		}
	}
	s.noExecutorRunning(t)
}

// A --py-files entry on the submitting machine is uploaded
// (spark.kubernetes.file.upload.path), fetched by the init-container of
// the driver and of every executor, and is on the Python workers' path:
// a task on an executor imports a module from it, and from another one
// the pods download over http. The program itself is
// uploaded too, from another directory than the module.
func TestPythonLocalPyFilesReachExecutors(t *testing.T) {
	s := newSubmitEnv(t)
	dir := t.TempDir()
	for _, d := range []string{"app", "lib", "upload"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	app := filepath.Join(dir, "app", "usehelper.py")
	helper := filepath.Join(dir, "lib", "pyhelper.py")
	upload := filepath.Join(dir, "upload")
	write := func(path, text string) {
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(helper, `def tag(x):
    return "helped-%d" % x
`)
	// A second module, served over http: the pods download it.
	ln, err := net.Listen("tcp", nodeIP+":0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/mods/remotehelper.py" {
			http.NotFound(w, r)
			return
		}
		io.WriteString(w, "SUFFIX = \"+remote\"\n")
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	write(app, `import socket

from pyspark.sql import SparkSession

spark = SparkSession.builder.appName("usehelper").getOrCreate()
sc = spark.sparkContext


def f(x):
    import pyhelper
    import remotehelper
    return pyhelper.tag(x) + remotehelper.SUFFIX + "@" + socket.gethostname()


print("result: " + ",".join(sc.parallelize(range(4), 4).map(f).collect()))
print("driver host: " + socket.gethostname())
spark.stop()
`)
	args := []string{"--conf", "spark.executor.instances=2",
		"--conf", "spark.kubernetes.container.image=" + pythonImage,
		"--conf", "spark.kubernetes.initContainer.image=gospark:dev",
		"--conf", "spark.kubernetes.file.upload.path=" + upload,
		"--py-files", helper + ",http://" + ln.Addr().String() + "/mods/remotehelper.py"}
	for _, role := range []string{"driver", "executor"} {
		p := "spark.kubernetes." + role + ".volumes.hostPath.upload."
		args = append(args, "--conf", p+"mount.path="+upload, "--conf", p+"options.path="+upload, "--conf", p+"mount.readOnly=true")
	}
	out, code := s.submit(t, append(s.base("py-files", args...), app)...)
	if code != 0 {
		t.Fatalf("submit exited %d", code)
	}
	if !strings.Contains(out, "Uploaded 2 file(s)") {
		t.Errorf("submit does not report uploading the program and pyhelper.py")
	}
	log := s.driverLog(t)
	var result, driverHost string
	for _, line := range strings.Split(log, "\n") {
		if v, ok := strings.CutPrefix(line, "result: "); ok {
			result = v
		}
		if v, ok := strings.CutPrefix(line, "driver host: "); ok {
			driverHost = v
		}
	}
	parts := strings.Split(result, ",")
	if len(parts) != 4 || driverHost == "" {
		t.Fatalf("driver log lacks the result and the driver's host:\n%s", log)
	}
	// Every record was made by pyhelper, in a task on an executor pod.
	for i, p := range parts {
		if !strings.HasPrefix(p, "helped-"+strconv.Itoa(i)+"+remote@") || strings.HasSuffix(p, "@"+driverHost) {
			t.Errorf("record %d is %q: not made by pyhelper on an executor (driver host %s)", i, p, driverHost)
		}
	}
	drivers := s.pods(t, "spark-role=driver")
	c := drivers[0].Spec.Containers[0]
	if strings.Join(c.Args, " ") != "/var/spark-data/spark-jars/usehelper.py" || len(drivers[0].Spec.InitContainers) != 1 {
		t.Errorf("driver runs %q %q with %d init-containers", c.Command, c.Args, len(drivers[0].Spec.InitContainers))
	}
	s.noExecutorRunning(t)
}

// Issue 17, acceptance 4 (the submit part): a --py-files entry that is not
// there fails gospark submit, naming the flag and the file, before
// anything is created in the cluster.
func TestPythonMissingPyFileCreatesNothing(t *testing.T) {
	s := newSubmitEnv(t)
	missing := filepath.Join(t.TempDir(), "gone.zip")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"missing py-file", []string{"--py-files", "local:///opt/gospark/examples/python/sort.py," + missing,
			"local:///opt/gospark/examples/python/pi.py", "10"}, "--py-files: " + missing + " does not exist"},
		{"not a python file", []string{"--py-files", filepath.Join(s.root, "go.mod"),
			"local:///opt/gospark/examples/python/pi.py"}, "want a .py, .zip or .egg file"},
		{"missing program", []string{filepath.Join(s.root, "examples", "python", "nope.py")}, "nope.py does not exist"},
	} {
		out, code := s.submit(t, append(s.base("py-missing", "--conf", "spark.kubernetes.container.image="+pythonImage), tc.args...)...)
		if code != 1 || !strings.Contains(out, tc.want) {
			t.Errorf("%s: exit %d, want 1 and %q", tc.name, code, tc.want)
		}
	}
	for _, kind := range []string{"pods", "services", "configmaps", "secrets"} {
		if got := strings.TrimSpace(s.must(t, "-n", s.ns, "get", kind, "-l", "spark-app-selector", "-o", "name")); got != "" {
			t.Errorf("%s were created: %s", kind, got)
		}
	}
}

// pythonExampleOnCluster submits one of the Python examples in the image
// with a local input file (--files, uploaded to an upload path the pods
// mount), on 2 executor pods, and returns the driver's log.
func pythonExampleOnCluster(t *testing.T, s *submitEnv, example, input string) string {
	return pythonProgramOnCluster(t, s, strings.TrimSuffix(example, ".py"), "local:///opt/gospark/examples/python/"+example, input)
}

// pythonProgramOnCluster is pythonExampleOnCluster for the program at uri.
func pythonProgramOnCluster(t *testing.T, s *submitEnv, name, uri, input string) string {
	t.Helper()
	dir := t.TempDir()
	upload := filepath.Join(dir, "upload")
	if err := os.Mkdir(upload, 0o755); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "input.txt")
	if err := os.WriteFile(data, []byte(input), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"--conf", "spark.executor.instances=2",
		"--conf", "spark.kubernetes.container.image=" + pythonImage,
		"--conf", "spark.kubernetes.file.upload.path=" + upload,
		"--files", data}
	for _, role := range []string{"driver", "executor"} {
		p := "spark.kubernetes." + role + ".volumes.hostPath.upload."
		args = append(args, "--conf", p+"mount.path="+upload, "--conf", p+"options.path="+upload, "--conf", p+"mount.readOnly=true")
	}
	// --files are in the working directory of every pod.
	args = append(s.base(name, args...), uri, "input.txt")
	if _, code := s.submit(t, args...); code != 0 {
		t.Fatalf("submit exited %d", code)
	}
	log := s.driverLog(t)
	s.noExecutorRunning(t)
	return log
}

// words makes a text of n lines of words separated by single spaces.
func words(n int) string {
	vocab := []string{"spark", "gospark", "python", "kubernetes", "pod", "shuffle", "driver", "executor", "pi", "sort"}
	var b strings.Builder
	for i := range n {
		for j := range 1 + i%7 {
			if j > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(vocab[(i*7+j*3)%len(vocab)])
			if (i+j)%5 == 0 {
				fmt.Fprintf(&b, "%d", i%13)
			}
		}
		b.WriteByte('\n')
	}
	return b.String()
}

var wordCountLine = regexp.MustCompile(`(?m)^([a-z0-9]+): (\d+)$`)

// Issue 17, acceptance 1 on the cluster: wordcount.py counts right.
func TestPythonWordCountOnTheCluster(t *testing.T) {
	s := newSubmitEnv(t)
	text := words(3000)
	want := map[string]int{}
	for _, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		for _, w := range strings.Split(line, " ") {
			want[w]++
		}
	}
	log := pythonExampleOnCluster(t, s, "wordcount.py", text)
	got := map[string]int{}
	for _, m := range wordCountLine.FindAllStringSubmatch(log, -1) {
		n, _ := strconv.Atoi(m[2])
		got[m[1]] += n
	}
	if len(got) != len(want) {
		t.Errorf("%d words counted, want %d", len(got), len(want))
	}
	for w, n := range want {
		if got[w] != n {
			t.Errorf("%s: %d, want %d", w, got[w], n)
		}
	}
}

var intLine = regexp.MustCompile(`(?m)^(-?\d+)$`)

// Issue 17, acceptance 1 on the cluster: sort.py sorts right. The
// program comes from an http server here (examples/python/sort.py of the
// checkout): the pods download it.
func TestPythonSortOnTheCluster(t *testing.T) {
	s := newSubmitEnv(t)
	program, err := os.ReadFile(filepath.Join(s.root, "examples", "python", "sort.py"))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", nodeIP+":0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/apps/sort.py" {
			http.NotFound(w, r)
			return
		}
		w.Write(program)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	var nums []int
	var b strings.Builder
	for i := range 2000 {
		n := (i*7919)%10007 - 5000
		nums = append(nums, n)
		if i%10 != 0 {
			b.WriteByte(' ')
		} else if i > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "%d", n)
	}
	b.WriteByte('\n')
	slices.Sort(nums)
	log := pythonProgramOnCluster(t, s, "sort", "http://"+ln.Addr().String()+"/apps/sort.py", b.String())
	var got []int
	for _, m := range intLine.FindAllStringSubmatch(log, -1) {
		n, _ := strconv.Atoi(m[1])
		got = append(got, n)
	}
	if !slices.Equal(got, nums) {
		t.Errorf("sort.py printed %d numbers, want the %d sorted ones; first %v, want %v", len(got), len(nums), got[:min(10, len(got))], nums[:10])
	}
}

// Client mode: the Python driver runs here (gospark-py, built from the
// checkout since none is next to the test's gospark), its executors in
// pods of the Python image; the program and --py-files reach them through
// submit's own file server.
func TestPythonClientMode(t *testing.T) {
	s := newSubmitEnv(t)
	w := s.watchClientExecutors(t)
	out, code := s.submit(t, append(s.clientArgs("py-client", 2, "--conf", "spark.kubernetes.container.image="+pythonImage,
		"--py-files", "examples/python/sort.py"), "examples/python/pi.py", "10")...)
	w.halt()
	if code != 0 || !strings.Contains(out, "Pi is roughly 3.1") {
		t.Fatalf("exit %d, want 0 and %q", code, "Pi is roughly 3.1")
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.names) != 2 {
		t.Errorf("%d executor pods seen, want 2", len(w.names))
	}
	for name, p := range w.names {
		c := p.Spec.Containers[0]
		if c.Image != pythonImage || strings.Join(c.Command, " ") != "/opt/gospark/bin/gospark-py" {
			t.Errorf("executor pod %s runs %s %q", name, c.Image, c.Command)
		}
	}
}

// The seeds' staging-server flow for a Python program: the program and a
// --py-files entry on this machine go to the resource staging server in
// one bundle, the init-containers fetch it, and the program runs.
func TestPythonStagingServerFlow(t *testing.T) {
	s := newSubmitEnv(t)
	s.stagingServer(t)
	dir := t.TempDir()
	program, err := os.ReadFile(filepath.Join(s.root, "examples", "python", "pi.py"))
	if err != nil {
		t.Fatal(err)
	}
	app := filepath.Join(dir, "staged_pi.py")
	lib := filepath.Join(dir, "sort.py")
	for f, data := range map[string][]byte{app: program, lib: []byte("# a library\n")} {
		if err := os.WriteFile(f, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, code := s.submit(t,
		"--deploy-mode", "cluster",
		"--master", "k8s://"+s.server,
		"--kubernetes-namespace", s.ns,
		"--conf", "spark.executor.instances=2",
		"--conf", "spark.app.name=spark-pi",
		"--conf", "spark.kubernetes.driver.docker.image="+pythonImage,
		"--conf", "spark.kubernetes.executor.docker.image="+pythonImage,
		"--conf", "spark.kubernetes.initcontainer.docker.image=gospark:dev",
		"--conf", "spark.kubernetes.resourceStagingServer.uri=http://"+nodeIP+":31000",
		"--conf", "spark.kubernetes.driver.request.cores=100m",
		"--conf", "spark.kubernetes.executor.request.cores=100m",
		"--py-files", lib,
		app, "4")
	if code != 0 {
		t.Fatalf("submit exited %d", code)
	}
	if !strings.Contains(out, "Uploaded 2 file(s)") || resourceID.FindStringSubmatch(out) == nil {
		t.Errorf("submit does not report uploading the program and sort.py to the staging server")
	}
	if log := s.driverLog(t); !strings.Contains(log, "Pi is roughly 3.1") {
		t.Errorf("driver log lacks %q:\n%s", "Pi is roughly 3.1", log)
	}
	driver := s.pods(t, "spark-role=driver")[0]
	if c := driver.Spec.Containers[0]; len(driver.Spec.InitContainers) != 1 || strings.Join(c.Args, " ") != "/var/spark-data/spark-jars/staged_pi.py 4" {
		t.Errorf("driver pod: %d init-containers, args %q", len(driver.Spec.InitContainers), c.Args)
	}
	s.noExecutorRunning(t)
}
