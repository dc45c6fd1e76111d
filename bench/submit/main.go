// Command submit measures how fast gospark submits applications to a
// Kubernetes cluster: N driver-only applications (the driver runs SparkPi
// with spark.kubernetes.driver.master=local[1], tiny requests,
// waitAppCompletion=false) into a namespace it creates and deletes.
//
//	go run ./bench/submit -n 300 -parallel 8 -mode cli|api
//
// In cli mode every submission is a `gospark submit` process (the binary
// is built once); in api mode one child process submits all of them
// through launch.NewPlan and launch.Submit with one clientset, as a
// scheduler or operator would. Either way the submitter runs as child
// processes of this one, so their CPU and maximum RSS come from the
// children's rusage, apart from this process's watch.
//
// It reports submissions per minute accepted by the API server (the driver
// pod was created), applications completed per minute (driver pods
// Succeeded, watched), the submitter's CPU and maximum RSS, and, after the
// driver pods are deleted, what objects of the applications remain.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/gospark/gospark/bench/internal/benchk8s"
	"github.com/gospark/gospark/internal/config"
	"github.com/gospark/gospark/internal/k8s/client"
	"github.com/gospark/gospark/internal/k8s/launch"
	"github.com/gospark/gospark/internal/k8s/pods"
)

type options struct {
	n, parallel    int
	mode           string
	kubeconfig     string
	image          string
	gospark        string
	qps            float64
	burst          int
	cpuprofile     string
	completeWithin time.Duration
	keep           bool
	deleteDone     bool
	leakWait       time.Duration
	// fakeNodes: the drivers go to hack/fakenodes' nodes (template: the
	// pod template file that tolerates their taint).
	fakeNodes bool
	template  string
	// child: this process is api mode's submitter, in namespace ns.
	child  bool
	ns     string
	server string
	prefix string
}

func main() {
	var o options
	flag.IntVar(&o.n, "n", 100, "applications to submit")
	flag.IntVar(&o.parallel, "parallel", 8, "submissions at a time")
	flag.StringVar(&o.mode, "mode", "cli", "cli (a gospark submit process per submission) or api (one process, one client)")
	flag.StringVar(&o.kubeconfig, "kubeconfig", ".cluster/kubeconfig", "kubeconfig of the test cluster")
	flag.StringVar(&o.image, "image", "gospark:dev", "container image with /opt/gospark/examples/sparkpi")
	flag.StringVar(&o.gospark, "gospark", "", "gospark binary for cli mode (default: built from ./cmd/gospark once)")
	flag.Float64Var(&o.qps, "qps", 0, "api mode: client-side QPS of the submitter's client (0: as gospark submit makes it)")
	flag.IntVar(&o.burst, "burst", 0, "api mode: client-side burst of the submitter's client (0: as gospark submit makes it)")
	flag.StringVar(&o.cpuprofile, "cpuprofile", "", "api mode: write the submitter's CPU profile to this file")
	flag.DurationVar(&o.completeWithin, "complete-within", 10*time.Minute, "how long to wait for the applications to succeed")
	flag.DurationVar(&o.leakWait, "leak-wait", 3*time.Minute, "how long the driver pods' objects may take to go once deleted (terminating pods on a busy node take a while)")
	flag.BoolVar(&o.keep, "keep", false, "keep the namespace at the end")
	flag.BoolVar(&o.deleteDone, "delete-succeeded", true, "delete each driver pod once it has succeeded, as an operator would (the node's pod limit counts the rest)")
	flag.BoolVar(&o.fakeNodes, "fake-nodes", false, "place the drivers on hack/fakenodes' nodes (go run ./hack/cluster fake-nodes N), where they never run: the API server's acceptance measured without the node starting the drivers beside it (none completes)")
	flag.StringVar(&o.template, "template", "", "internal: the drivers' pod template (with -child)")
	flag.BoolVar(&o.child, "child", false, "internal: api mode's submitter process")
	flag.StringVar(&o.ns, "ns", "", "internal: the namespace (with -child)")
	flag.StringVar(&o.server, "server", "", "internal: the API server (with -child)")
	flag.StringVar(&o.prefix, "prefix", "bench", "internal: application name prefix (with -child)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	if o.child {
		err = apiSubmitter(ctx, o)
	} else {
		err = run(ctx, o)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench/submit:", err)
		os.Exit(1)
	}
}

// props are the submission's properties, shared by both modes.
func props(o options, name string) [][2]string {
	var fake [][2]string
	if o.template != "" {
		fake = [][2]string{
			{"spark.kubernetes.node.selector.type", "gospark-fake"},
			{"spark.kubernetes.driver.podTemplateFile", o.template},
		}
	}
	return append(fake, [][2]string{
		{"spark.master", "k8s://" + o.server},
		{"spark.submit.deployMode", "cluster"},
		{"spark.kubernetes.namespace", o.ns},
		{"spark.app.name", name},
		{"spark.kubernetes.container.image", o.image},
		{"spark.kubernetes.driver.master", "local[1]"},
		{"spark.kubernetes.driver.request.cores", "10m"},
		{"spark.driver.memory", "32m"},
		{"spark.driver.memoryOverhead", "32m"},
		{"spark.kubernetes.submission.waitAppCompletion", "false"},
	}...)
}

const primary = "local:///opt/gospark/examples/sparkpi"

func run(ctx context.Context, o options) error {
	if o.mode != "cli" && o.mode != "api" {
		return fmt.Errorf("-mode %q: want cli or api", o.mode)
	}
	kc, err := filepath.Abs(o.kubeconfig)
	if err != nil {
		return err
	}
	o.kubeconfig = kc
	cfg, err := clientcmd.BuildConfigFromFlags("", kc)
	if err != nil {
		return fmt.Errorf("kubeconfig: %w", err)
	}
	o.server = cfg.Host
	cfg.QPS, cfg.Burst = 50, 100 // the watcher's own client
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}

	var bin string
	if o.mode == "cli" {
		if bin, err = gosparkBinary(ctx, o.gospark); err != nil {
			return err
		}
	} else if bin, err = os.Executable(); err != nil {
		return err
	}

	if o.fakeNodes {
		dir, err := os.MkdirTemp("", "bench-submit")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		o.template = filepath.Join(dir, "driver.yaml")
		if err := os.WriteFile(o.template, []byte(benchk8s.FakeNodeTemplate), 0o644); err != nil {
			return err
		}
	}

	o.ns = fmt.Sprintf("bench-submit-%x", time.Now().UnixMilli())
	if err := benchk8s.MakeNamespace(ctx, cs, o.ns, true); err != nil {
		return err
	}
	if !o.keep {
		defer func() {
			dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
			defer cancel()
			if err := cs.CoreV1().Namespaces().Delete(dctx, o.ns, metav1.DeleteOptions{}); err != nil {
				fmt.Fprintln(os.Stderr, "deleting namespace:", err)
			} else {
				fmt.Printf("deleted namespace %s\n", o.ns)
			}
		}()
	}
	fmt.Printf("mode %s: %d driver-only applications, %d at a time, into namespace %s of %s\n", o.mode, o.n, o.parallel, o.ns, o.server)

	w, err := watchDrivers(ctx, cs, o.ns, o.deleteDone)
	if err != nil {
		return err
	}
	defer w.stop()

	start := time.Now()
	var res submitResult
	if o.mode == "cli" {
		res, err = cliSubmissions(ctx, o, bin)
	} else {
		res, err = apiSubmissions(ctx, o, bin)
	}
	submitted := time.Since(start)
	if err != nil {
		return err
	}
	created := w.waitCreated(ctx, res.ok, time.Minute)
	fmt.Printf("submitted: %d ok, %d failed in %.2fs: %.0f submissions a minute accepted (driver pods seen by the watch: %d)\n",
		res.ok, res.failed, submitted.Seconds(), float64(res.ok)/submitted.Minutes(), created)
	for _, e := range res.errs {
		fmt.Printf("  failure: %s\n", e)
	}
	if o.mode == "cli" {
		fmt.Printf("submitter (per gospark submit process): CPU %.1f ms user+sys mean, max RSS %.1f MB mean, %.1f MB max\n",
			res.cpu.Seconds()*1000/float64(max(res.procs, 1)), float64(res.rssSum)/float64(max(res.procs, 1))/1024, float64(res.rssMax)/1024)
	} else {
		fmt.Printf("submitter (one process for all): CPU %.2fs user+sys = %.2f ms a submission, max RSS %.1f MB\n",
			res.cpu.Seconds(), res.cpu.Seconds()*1000/float64(max(res.ok, 1)), float64(res.rssMax)/1024)
	}

	done, last, timedOut := w.waitSucceeded(ctx, res.ok, o.completeWithin)
	elapsed := last.Sub(start)
	fmt.Printf("completed: %d of %d driver pods Succeeded, the last %.1fs after the start: %.0f applications a minute (failed: %d)\n",
		done, res.ok, elapsed.Seconds(), float64(done)/elapsed.Minutes(), w.failed())
	if timedOut {
		fmt.Printf("  (stopped waiting after %s)\n", o.completeWithin)
	}

	return leakCheck(ctx, cs, o.ns, o.leakWait)
}

type submitResult struct {
	ok, failed     int
	errs           []string
	cpu            time.Duration
	procs          int
	rssSum, rssMax int64 // KiB
}

// gosparkBinary builds cmd/gospark once, unless one is given.
func gosparkBinary(ctx context.Context, given string) (string, error) {
	if given != "" {
		return filepath.Abs(given)
	}
	dir, err := os.MkdirTemp("", "bench-submit")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "gospark")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/gospark")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("building gospark: %w", err)
	}
	return bin, nil
}

// cliSubmissions runs a gospark submit process per application, parallel
// at a time, from an empty directory (no spark-defaults.conf).
func cliSubmissions(ctx context.Context, o options, bin string) (submitResult, error) {
	dir, err := os.MkdirTemp("", "bench-submit-cwd")
	if err != nil {
		return submitResult{}, err
	}
	defer os.RemoveAll(dir)
	var (
		mu  sync.Mutex
		res submitResult
	)
	work(o.n, o.parallel, func(i int) {
		args := []string{"submit"}
		for _, kv := range props(o, fmt.Sprintf("bench-%05d", i)) {
			args = append(args, "--conf", kv[0]+"="+kv[1])
		}
		args = append(args, primary, "1")
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "KUBECONFIG="+o.kubeconfig)
		out, err := cmd.CombinedOutput()
		mu.Lock()
		defer mu.Unlock()
		if ru, ok := usage(cmd.ProcessState); ok {
			res.procs++
			res.cpu += cpuOf(ru)
			res.rssSum += ru.Maxrss
			res.rssMax = max(res.rssMax, ru.Maxrss)
		}
		if err != nil {
			res.failed++
			if len(res.errs) < 5 {
				res.errs = append(res.errs, fmt.Sprintf("%v: %s", err, strings.TrimSpace(string(out))))
			}
			return
		}
		res.ok++
	})
	return res, ctx.Err()
}

// apiSubmissions runs this command as api mode's submitter and reads its
// result lines.
func apiSubmissions(ctx context.Context, o options, self string) (submitResult, error) {
	args := []string{"-child", "-n", fmt.Sprint(o.n), "-parallel", fmt.Sprint(o.parallel), "-ns", o.ns, "-server", o.server,
		"-image", o.image, "-qps", fmt.Sprint(o.qps), "-burst", fmt.Sprint(o.burst), "-template", o.template}
	if o.cpuprofile != "" {
		args = append(args, "-cpuprofile", o.cpuprofile)
	}
	cmd := exec.CommandContext(ctx, self, args...)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+o.kubeconfig)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return submitResult{}, err
	}
	if err := cmd.Start(); err != nil {
		return submitResult{}, err
	}
	var res submitResult
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "ok":
			res.ok++
		case strings.HasPrefix(line, "failed "):
			res.failed++
			if len(res.errs) < 5 {
				res.errs = append(res.errs, strings.TrimPrefix(line, "failed "))
			}
		}
	}
	err = cmd.Wait()
	if ru, ok := usage(cmd.ProcessState); ok {
		res.procs = 1
		res.cpu = cpuOf(ru)
		res.rssMax = ru.Maxrss
	}
	if err != nil {
		return res, fmt.Errorf("api submitter: %w", err)
	}
	return res, nil
}

// apiSubmitter is api mode's child: every submission through
// launch.NewPlan and launch.Submit with one clientset, made as gospark
// submit makes it (client.New), its rate limits changed only by -qps and
// -burst. It prints "ok" or "failed <why>" a submission.
func apiSubmitter(ctx context.Context, o options) error {
	if o.cpuprofile != "" {
		f, err := os.Create(o.cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	base := config.New()
	for _, kv := range props(o, "bench") {
		if err := base.Set(kv[0], kv[1]); err != nil {
			return err
		}
	}
	rc, err := client.Config(base, o.server)
	if err != nil {
		return err
	}
	if o.qps > 0 {
		rc.QPS = float32(o.qps)
	}
	if o.burst > 0 {
		rc.Burst = o.burst
	}
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "api submitter: client QPS %s, burst %s\n", qpsString(rc), burstString(rc))
	var mu sync.Mutex
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	work(o.n, o.parallel, func(i int) {
		err := submitOne(ctx, cs, base, fmt.Sprintf("%s-%05d", o.prefix, i))
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			fmt.Fprintf(out, "failed %s\n", strings.ReplaceAll(err.Error(), "\n", " "))
		} else {
			fmt.Fprintln(out, "ok")
		}
	})
	return ctx.Err()
}

func qpsString(rc *rest.Config) string {
	switch {
	case rc.QPS == 0:
		return "0 (client-go's default, 5)"
	case rc.QPS < 0:
		return "none (no client-side rate limit)"
	}
	return fmt.Sprint(rc.QPS)
}

// submitOne is what an operator calls for one application: a plan from a
// configuration, then Submit without following the driver.
func submitOne(ctx context.Context, cs kubernetes.Interface, base *config.Conf, name string) error {
	conf := base.Clone()
	if err := conf.Set("spark.app.name", name); err != nil {
		return err
	}
	plan, err := launch.NewPlan(conf, primary, []string{"1"}, time.Now())
	if err != nil {
		return err
	}
	code, err := launch.Submit(ctx, cs, plan, conf, io.Discard)
	if err != nil {
		return err
	}
	if code != 0 {
		return fmt.Errorf("submit %s: exit code %d", name, code)
	}
	return nil
}

// work runs f(0..n-1), parallel at a time.
func work(n, parallel int, f func(i int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range max(parallel, 1) {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				f(i)
			}
		})
	}
	wg.Wait()
}

func usage(ps *os.ProcessState) (*syscall.Rusage, bool) {
	if ps == nil {
		return nil, false
	}
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	return ru, ok
}

func cpuOf(ru *syscall.Rusage) time.Duration {
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// driverWatch follows the namespace's driver pods: when each was first
// seen and when it Succeeded.
type driverWatch struct {
	mu        sync.Mutex
	cond      *sync.Cond
	seen      map[string]bool
	succeeded map[string]time.Time
	failures  map[string]bool
	cancel    context.CancelFunc
	done      chan struct{}
	// deleteDone: delete each driver pod once it has succeeded.
	cs         kubernetes.Interface
	ns         string
	deleteDone bool
	deletes    sync.WaitGroup
}

func watchDrivers(ctx context.Context, cs kubernetes.Interface, ns string, deleteDone bool) (*driverWatch, error) {
	w := &driverWatch{cs: cs, ns: ns, deleteDone: deleteDone, seen: map[string]bool{}, succeeded: map[string]time.Time{}, failures: map[string]bool{}, done: make(chan struct{})}
	w.cond = sync.NewCond(&w.mu)
	wctx, cancel := context.WithCancel(ctx)
	w.cancel = cancel
	sel := pods.LabelRole + "=" + string(pods.Driver)
	list, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: sel})
	if err != nil {
		cancel()
		return nil, fmt.Errorf("listing driver pods: %w", err)
	}
	rv := list.ResourceVersion
	go func() {
		defer close(w.done)
		for wctx.Err() == nil {
			wi, err := cs.CoreV1().Pods(ns).Watch(wctx, metav1.ListOptions{LabelSelector: sel, ResourceVersion: rv, AllowWatchBookmarks: true})
			if err != nil {
				time.Sleep(time.Second)
				continue
			}
			for ev := range wi.ResultChan() {
				pod, ok := ev.Object.(*corev1.Pod)
				if !ok {
					continue
				}
				rv = pod.ResourceVersion
				if ev.Type == watch.Added || ev.Type == watch.Modified {
					w.saw(pod)
				}
			}
			wi.Stop()
		}
	}()
	go func() {
		<-wctx.Done()
		w.cond.Broadcast()
	}()
	return w, nil
}

func (w *driverWatch) saw(pod *corev1.Pod) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.seen[pod.Name] = true
	switch pod.Status.Phase {
	case corev1.PodSucceeded:
		if _, ok := w.succeeded[pod.Name]; !ok {
			w.succeeded[pod.Name] = time.Now()
			if w.deleteDone {
				name := pod.Name
				w.deletes.Go(func() {
					ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
					defer cancel()
					bg := metav1.DeletePropagationBackground
					_ = w.cs.CoreV1().Pods(w.ns).Delete(ctx, name, metav1.DeleteOptions{PropagationPolicy: &bg})
				})
			}
		}
	case corev1.PodFailed:
		w.failures[pod.Name] = true
	}
	w.cond.Broadcast()
}

func (w *driverWatch) stop() {
	w.cancel()
	<-w.done
	w.deletes.Wait()
}

func (w *driverWatch) failed() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.failures)
}

// waitFor waits until cond holds (under w.mu) or timeout passes.
func (w *driverWatch) waitFor(ctx context.Context, timeout time.Duration, cond func() bool) bool {
	t := time.AfterFunc(timeout, w.cond.Broadcast)
	defer t.Stop()
	deadline := time.Now().Add(timeout)
	w.mu.Lock()
	defer w.mu.Unlock()
	for !cond() {
		if ctx.Err() != nil || time.Now().After(deadline) {
			return false
		}
		w.cond.Wait()
	}
	return true
}

func (w *driverWatch) waitCreated(ctx context.Context, n int, timeout time.Duration) int {
	w.waitFor(ctx, timeout, func() bool { return len(w.seen) >= n })
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.seen)
}

// waitSucceeded waits for n driver pods to succeed (or any to fail, in
// the count), returning how many did and when the last did.
func (w *driverWatch) waitSucceeded(ctx context.Context, n int, timeout time.Duration) (int, time.Time, bool) {
	ok := w.waitFor(ctx, timeout, func() bool { return len(w.succeeded)+len(w.failures) >= n })
	w.mu.Lock()
	defer w.mu.Unlock()
	var last time.Time
	for _, t := range w.succeeded {
		if t.After(last) {
			last = t
		}
	}
	if last.IsZero() {
		last = time.Now()
	}
	return len(w.succeeded), last, !ok
}

// leakCheck deletes the driver pods and waits for what they own to go:
// pods, services, config maps, secrets and claims with the applications'
// label. It reports what remains after wait.
func leakCheck(ctx context.Context, cs kubernetes.Interface, ns string, wait time.Duration) error {
	core := cs.CoreV1()
	bg := metav1.DeletePropagationBackground
	driverSel := metav1.ListOptions{LabelSelector: pods.LabelRole + "=" + string(pods.Driver)}
	if err := core.Pods(ns).DeleteCollection(ctx, metav1.DeleteOptions{PropagationPolicy: &bg}, driverSel); err != nil {
		return fmt.Errorf("deleting the driver pods: %w", err)
	}
	start := time.Now()
	sel := metav1.ListOptions{LabelSelector: pods.LabelAppSelector}
	var remain map[string][]string
	for {
		remain = map[string][]string{}
		add := func(kind string) func([]string, error) {
			return func(names []string, err error) {
				if err != nil {
					remain[kind] = []string{"(listing failed: " + err.Error() + ")"}
				} else if len(names) > 0 {
					remain[kind] = names
				}
			}
		}
		pl, err := core.Pods(ns).List(ctx, sel)
		add("pods")(names(err, func() []metav1.Object { return objs(pl.Items) }))
		sl, err := core.Services(ns).List(ctx, sel)
		add("services")(names(err, func() []metav1.Object { return objs(sl.Items) }))
		cl, err := core.ConfigMaps(ns).List(ctx, sel)
		add("configmaps")(names(err, func() []metav1.Object { return objs(cl.Items) }))
		secl, err := core.Secrets(ns).List(ctx, sel)
		add("secrets")(names(err, func() []metav1.Object { return objs(secl.Items) }))
		pvl, err := core.PersistentVolumeClaims(ns).List(ctx, sel)
		add("persistentvolumeclaims")(names(err, func() []metav1.Object { return objs(pvl.Items) }))
		// Anything else in the namespace, labelled or not (the
		// namespace's own root CA config map aside).
		all, err := core.ConfigMaps(ns).List(ctx, metav1.ListOptions{})
		if err == nil {
			var extra []string
			for _, c := range all.Items {
				if c.Name != "kube-root-ca.crt" && c.Labels[pods.LabelAppSelector] == "" {
					extra = append(extra, c.Name)
				}
			}
			add("unlabelled configmaps")(extra, nil)
		}
		allSec, err := core.Secrets(ns).List(ctx, metav1.ListOptions{})
		if err == nil {
			var extra []string
			for _, s := range allSec.Items {
				if s.Labels[pods.LabelAppSelector] == "" {
					extra = append(extra, s.Name)
				}
			}
			add("unlabelled secrets")(extra, nil)
		}
		allSvc, err := core.Services(ns).List(ctx, metav1.ListOptions{})
		if err == nil {
			var extra []string
			for _, s := range allSvc.Items {
				if s.Labels[pods.LabelAppSelector] == "" {
					extra = append(extra, s.Name)
				}
			}
			add("unlabelled services")(extra, nil)
		}
		if len(remain) == 0 || time.Since(start) > wait || ctx.Err() != nil {
			break
		}
		time.Sleep(time.Second) // polling the garbage collector
	}
	if len(remain) == 0 {
		fmt.Printf("leaks: none (driver pods deleted; no pod, service, config map, secret or claim of the applications left after %.1fs)\n", time.Since(start).Seconds())
		return nil
	}
	for _, kind := range slices.Sorted(maps.Keys(remain)) {
		r := remain[kind]
		fmt.Printf("leaks: %d %s remain %s after the driver pods were deleted, e.g. %s\n", len(r), kind, wait, strings.Join(r[:min(3, len(r))], ", "))
	}
	return errors.New("objects of the applications remain")
}

func objs[T any, PT interface {
	*T
	metav1.Object
}](items []T) []metav1.Object {
	out := make([]metav1.Object, len(items))
	for i := range items {
		out[i] = PT(&items[i])
	}
	return out
}

func names(err error, items func() []metav1.Object) ([]string, error) {
	if err != nil {
		return nil, err
	}
	var ns []string
	for _, o := range items() {
		ns = append(ns, o.GetName())
	}
	return ns, nil
}

func burstString(rc *rest.Config) string {
	switch {
	case rc.QPS < 0:
		return "-"
	case rc.Burst == 0:
		return "0 (client-go's default, 10)"
	}
	return fmt.Sprint(rc.Burst)
}
