// Command elastic measures dynamic allocation on the test cluster
// (`make cluster-up` first): the executor-seconds a job with a long
// single-task tail uses with a fixed number of executors and with dynamic
// allocation (same run, same job), and the seconds from a request for
// executors to the new executor registered with the driver.
//
//	go run ./bench/elastic [-runs 2] [-parts 24] [-ms 1500] [-tail 60000]
//
// It builds gospark and an image with test/e2e/sparktest, imports it into
// the cluster's containerd, runs the shuffle service DaemonSet of
// conf/kubernetes-shuffle-service.yaml in a fresh namespace (with its own
// labels), submits `sparktest tail PARTS MS TAIL` once per mode and run,
// and prints a Markdown table. Executor-seconds and latencies come from the
// driver's log (registration to departure or to the end of the session;
// request to the registration that meets it). The namespace is deleted at
// the end.
package main

import (
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
)

type bench struct {
	root, kubeconfig, kubectl, gospark, server, ns string
}

func main() {
	runs := flag.Int("runs", 2, "runs of each mode (alternating)")
	parts := flag.Int("parts", 24, "map tasks of the backlog")
	ms := flag.Int("ms", 1500, "milliseconds each map task sleeps")
	tail := flag.Int("tail", 60000, "milliseconds the single reduce task sleeps")
	maxExec := flag.Int("executors", 4, "executors of the static run, maxExecutors of the dynamic one")
	idle := flag.String("idle", "10s", "spark.dynamicAllocation.executorIdleTimeout")
	flag.Parse()
	b, err := setup()
	if err != nil {
		fail(err)
	}
	defer func() { _, _ = b.kube("delete", "namespace", b.ns, "--wait=false") }()
	fmt.Printf("job: sparktest tail %d %d %d; static: %d executors; dynamic: 1..%d, executorIdleTimeout=%s\n\n",
		*parts, *ms, *tail, *maxExec, *maxExec, *idle)
	type row struct {
		mode        string
		wall, execS float64
		pods        int
		latencies   []float64
	}
	var rows []row
	for r := 0; r < *runs; r++ {
		for _, mode := range []string{"static", "dynamic"} {
			conf := []string{"--conf", fmt.Sprintf("spark.executor.instances=%d", *maxExec)}
			if mode == "dynamic" {
				conf = []string{
					"--conf", "spark.dynamicAllocation.enabled=true",
					"--conf", "spark.dynamicAllocation.initialExecutors=1",
					"--conf", "spark.dynamicAllocation.minExecutors=1",
					"--conf", fmt.Sprintf("spark.dynamicAllocation.maxExecutors=%d", *maxExec),
					"--conf", "spark.dynamicAllocation.executorIdleTimeout=" + *idle,
					"--conf", "spark.shuffle.service.enabled=true",
					"--conf", "spark.kubernetes.shuffle.namespace=" + b.ns,
					"--conf", "spark.kubernetes.shuffle.labels=app=spark-shuffle-service,spark-version=bench",
				}
			}
			name := fmt.Sprintf("tail-%s-%d", mode, r)
			wall, err := b.submit(name, conf, fmt.Sprint(*parts), fmt.Sprint(*ms), fmt.Sprint(*tail))
			if err != nil {
				fail(err)
			}
			execS, pods, err := b.executorSeconds(name)
			if err != nil {
				fail(err)
			}
			lat, err := b.latencies(name)
			if err != nil {
				fail(err)
			}
			rows = append(rows, row{mode, wall, execS, pods, lat})
			fmt.Fprintf(os.Stderr, "%s: wall %.1f s, %d executors, %.1f executor-seconds, request→registered %v\n",
				name, wall, pods, execS, lat)
			_, _ = b.kube("-n", b.ns, "delete", "pods", "-l", "bench-run="+name, "--wait=false")
		}
	}
	fmt.Println("| run | mode | wall (s) | executors | executor-seconds | request → registered (s) |")
	fmt.Println("|---|---|---|---|---|---|")
	for i, r := range rows {
		lat := "–"
		if len(r.latencies) > 0 {
			var parts []string
			for _, l := range r.latencies {
				parts = append(parts, fmt.Sprintf("%.1f", l))
			}
			lat = strings.Join(parts, ", ")
		}
		fmt.Printf("| %d | %s | %.1f | %d | %.1f | %s |\n", i/2+1, r.mode, r.wall, r.pods, r.execS, lat)
	}
	var st, dy []float64
	for _, r := range rows {
		if r.mode == "static" {
			st = append(st, r.execS)
		} else {
			dy = append(dy, r.execS)
		}
	}
	fmt.Printf("\nmedian executor-seconds: static %.1f, dynamic %.1f (dynamic/static %.2f)\n", median(st), median(dy), median(dy)/median(st))
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bench/elastic:", err)
	os.Exit(1)
}

func setup() (*bench, error) {
	root, err := filepath.Abs(".")
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		return nil, fmt.Errorf("run from the repository's root")
	}
	b := &bench{root: root, kubeconfig: os.Getenv("KUBECONFIG")}
	if b.kubeconfig == "" {
		b.kubeconfig = filepath.Join(root, ".cluster", "kubeconfig")
	}
	home, _ := os.UserHomeDir()
	b.kubectl = filepath.Join(home, ".cache", "gospark", "kube-v1.34.12", "bin", "kubectl")
	if _, err := os.Stat(b.kubectl); err != nil {
		if b.kubectl, err = exec.LookPath("kubectl"); err != nil {
			return nil, fmt.Errorf("no kubectl")
		}
	}
	out, err := b.kube("config", "view", "--minify", "-o", "jsonpath={.clusters[0].cluster.server}")
	if err != nil {
		return nil, fmt.Errorf("no cluster (make cluster-up): %w", err)
	}
	b.server = strings.TrimSpace(out)
	dir, err := os.MkdirTemp("", "gospark-bench-elastic-")
	if err != nil {
		return nil, err
	}
	b.gospark = filepath.Join(dir, "gospark")
	if out, err := b.run("go", "build", "-o", b.gospark, "./cmd/gospark"); err != nil {
		return nil, fmt.Errorf("building gospark: %w\n%s", err, out)
	}
	tar := filepath.Join(dir, "image.tar")
	if out, err := b.run(b.gospark, "image", "build", "--tag", "gospark-bench:dev", "--output", tar, "--gospark", b.gospark,
		"--app", "sparktest="+filepath.Join(root, "test", "e2e", "sparktest")); err != nil {
		return nil, fmt.Errorf("image: %w\n%s", err, out)
	}
	if out, err := b.run("ctr", "--address", filepath.Join(root, ".cluster", "containerd.sock"), "-n", "k8s.io", "images", "import", tar); err != nil {
		return nil, fmt.Errorf("importing the image: %w\n%s", err, out)
	}
	rb := make([]byte, 3)
	_, _ = rand.Read(rb)
	b.ns = "bench-elastic-" + hex.EncodeToString(rb)
	if out, err := b.kube("create", "namespace", b.ns); err != nil {
		return nil, fmt.Errorf("%w: %s", err, out)
	}
	if out, err := b.kube("-n", b.ns, "create", "rolebinding", "spark-edit", "--clusterrole=edit", "--serviceaccount="+b.ns+":default"); err != nil {
		return nil, fmt.Errorf("%w: %s", err, out)
	}
	yaml, err := os.ReadFile(filepath.Join(root, "conf", "kubernetes-shuffle-service.yaml"))
	if err != nil {
		return nil, err
	}
	ds := strings.ReplaceAll(string(yaml), "namespace: default", "namespace: "+b.ns)
	ds = strings.ReplaceAll(ds, `spark-version: "2.2.0"`, `spark-version: "bench"`)
	ds = strings.ReplaceAll(ds, "image: gospark:dev", "image: gospark-bench:dev")
	cmd := exec.Command(b.kubectl, "apply", "-f", "-")
	cmd.Env = append(os.Environ(), "KUBECONFIG="+b.kubeconfig)
	cmd.Stdin = strings.NewReader(ds)
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("shuffle service: %w: %s", err, out)
	}
	if out, err := b.kube("-n", b.ns, "rollout", "status", "daemonset/spark-shuffle-service", "--timeout=3m"); err != nil {
		return nil, fmt.Errorf("shuffle service not ready: %w: %s", err, out)
	}
	return b, nil
}

func (b *bench) run(name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = b.root
	cmd.Env = append(os.Environ(), "KUBECONFIG="+b.kubeconfig, "CGO_ENABLED=0")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (b *bench) kube(args ...string) (string, error) { return b.run(b.kubectl, args...) }

// submit runs one application and returns its wall time.
func (b *bench) submit(name string, conf []string, args ...string) (float64, error) {
	flags := []string{"submit", "--deploy-mode", "cluster", "--master", "k8s://" + b.server, "--kubernetes-namespace", b.ns,
		"--conf", "spark.app.name=" + name,
		"--conf", "spark.kubernetes.container.image=gospark-bench:dev",
		"--conf", "spark.kubernetes.driver.request.cores=100m",
		"--conf", "spark.kubernetes.executor.request.cores=100m",
		"--conf", "spark.kubernetes.driverEnv.GOSPARK_LOG_LEVEL=INFO",
		"--conf", "spark.kubernetes.driver.label.bench-run=" + name,
		"--conf", "spark.kubernetes.executor.label.bench-run=" + name,
	}
	flags = append(flags, conf...)
	flags = append(flags, append([]string{"local:///opt/gospark/examples/sparktest", "tail"}, args...)...)
	start := time.Now()
	out, err := b.run(b.gospark, flags...)
	if err != nil {
		return 0, fmt.Errorf("%s: %w\n%s", name, err, out)
	}
	return time.Since(start).Seconds(), nil
}

// executorSeconds sums, over the application's executors, the time from
// their registration with the driver to their departure (released, lost,
// or the end of the session), as the driver's log tells: the executors'
// own pods are deleted when dynamic allocation releases them.
func (b *bench) executorSeconds(name string) (float64, int, error) {
	out, err := b.driverLog(name)
	if err != nil {
		return 0, 0, err
	}
	start := make(map[string]time.Time)
	end := make(map[string]time.Time)
	var stopped time.Time
	for _, line := range strings.Split(out, "\n") {
		at, ok := lineTime(line)
		if !ok {
			continue
		}
		switch {
		case registered.MatchString(line):
			if m := executorField.FindStringSubmatch(line); m != nil {
				start[m[1]] = at
			}
		case departed.MatchString(line):
			if m := executorField.FindStringSubmatch(line); m != nil {
				end[m[1]] = at
			}
		case strings.Contains(line, `msg="session stopped"`):
			stopped = at
		}
	}
	if stopped.IsZero() || len(start) == 0 {
		return 0, 0, fmt.Errorf("%s: no registrations or no end of session in the driver's log", name)
	}
	total := 0.0
	for id, s := range start {
		e, ok := end[id]
		if !ok {
			e = stopped
		}
		total += e.Sub(s).Seconds()
	}
	return total, len(start), nil
}

func (b *bench) driverLog(name string) (string, error) {
	out, err := b.kube("-n", b.ns, "logs", "-l", "spark-role=driver,bench-run="+name, "--tail=-1")
	if err != nil {
		return "", fmt.Errorf("%w: %s", err, out)
	}
	return out, nil
}

func lineTime(line string) (time.Time, bool) {
	m := logTime.FindStringSubmatch(line)
	if m == nil {
		return time.Time{}, false
	}
	at, err := time.Parse(time.RFC3339Nano, m[1])
	return at, err == nil
}

var (
	logTime       = regexp.MustCompile(`^time=(\S+) `)
	requesting    = regexp.MustCompile(`msg="dynamic allocation: requesting executors" .*total=(\d+)`)
	registered    = regexp.MustCompile(`msg="executor registered"`)
	departed      = regexp.MustCompile(`msg="executor (left|lost)"`)
	executorField = regexp.MustCompile(` executor=(\S+)`)
)

// latencies reads the driver's log: for each request that raised the
// total, the seconds until as many more executors had registered.
func (b *bench) latencies(name string) ([]float64, error) {
	out, err := b.driverLog(name)
	if err != nil {
		return nil, err
	}
	type req struct {
		at    time.Time
		total int
	}
	var reqs []req
	var regs []time.Time
	for _, line := range strings.Split(out, "\n") {
		at, ok := lineTime(line)
		if !ok {
			continue
		}
		if r := requesting.FindStringSubmatch(line); r != nil {
			var n int
			fmt.Sscan(r[1], &n)
			reqs = append(reqs, req{at, n})
		} else if registered.MatchString(line) {
			regs = append(regs, at)
		}
	}
	var lat []float64
	most := 0
	for _, r := range reqs {
		// A raise above every earlier request: the r.total-th
		// registration answers it (executors are only released later).
		if r.total <= most {
			continue
		}
		most = r.total
		if r.total <= len(regs) && regs[r.total-1].After(r.at) {
			lat = append(lat, regs[r.total-1].Sub(r.at).Seconds())
		}
	}
	if len(reqs) > 0 && len(lat) == 0 {
		return nil, fmt.Errorf("%s: requests but no registration after them", name)
	}
	return lat, nil
}
