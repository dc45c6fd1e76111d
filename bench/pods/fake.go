package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"runtime/metrics"
	"runtime/pprof"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/gospark/gospark/bench/internal/benchk8s"
	"github.com/gospark/gospark/internal/config"
	"github.com/gospark/gospark/internal/k8s/client"
	"github.com/gospark/gospark/internal/k8s/executors"
	"github.com/gospark/gospark/internal/k8s/pods"
)

// fakeTemplate is the executors' pod template: on the fake nodes, with
// the main container named.
const fakeTemplate = benchk8s.FakeNodeTemplate + `  containers:
  - name: executor
`

// childResult is what the allocator process reports when told to stop.
type childResult struct {
	Start      int64            `json:"start"`      // unix ns, just before executors.Start
	AllSeen    int64            `json:"allSeen"`    // unix ns, the allocator's store saw every pod Running
	Running    map[string]int64 `json:"running"`    // pod -> unix ns its store took in its Running state
	CPU        float64          `json:"cpuSeconds"` // user+sys up to AllSeen (or the stop)
	MaxRSS     int64            `json:"maxRSSKiB"`
	Heap       uint64           `json:"heapBytes"` // live heap objects then
	GoTotal    uint64           `json:"goTotalBytes"`
	Requests   map[string]int64 `json:"requests"` // by method, up to AllSeen
	Created    int              `json:"created"`
	Failures   int              `json:"failures"`
	StopSecond float64          `json:"stopSeconds"`
}

type fakeRow struct {
	batch                      int
	pace, peak, toAll, toFirst float64
	cpu, cpuPerPod             float64
	heapMB, rssMB              float64
	lagP50, lagP99, lagMax     float64
	reqs, reqsPerPod           float64
	maxExist, maxNotRun        int
	created, failures, events  int
	stop, gone                 float64
}

func fake(ctx context.Context, o options) error {
	if err := absKubeconfig(&o); err != nil {
		return err
	}
	cs, _, err := adminClient(o.kubeconfig)
	if err != nil {
		return err
	}
	if err := checkFakeNodes(ctx, cs, o.pods); err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	fmt.Printf("$ %s\n", commandLine())
	var rows []fakeRow
	var failed []string
	for _, b := range o.batches {
		r, err := fakeRun(ctx, o, cs, self, b)
		if err != nil {
			failed = append(failed, fmt.Sprintf("batch %d: %v", b, err))
			fmt.Fprintf(os.Stderr, "batch %d: %v\n", b, err)
			if ctx.Err() != nil {
				break
			}
			continue
		}
		rows = append(rows, r)
	}
	fmt.Printf("\n%d executor pods on fake nodes, batch delay %s, maxPendingPods %d, allocator client %s (%s)\n",
		o.pods, o.batchDelay, o.maxPending, qpsDesc(o.qps), time.Now().UTC().Format("2006-01-02"))
	fmt.Println("| batch | pods/s created (peak in 1 s) | s to first Running | s to all Running | allocator CPU s (ms/pod) | heap MB | max RSS MB | API requests (per pod) | store lag p50/p99/max ms | max pods / not Running | failures | stop s / gone s |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|---|---|")
	for _, r := range rows {
		fmt.Printf("| %d | %.1f (%.0f) | %.2f | %.2f | %.2f (%.2f) | %.1f | %.1f | %.0f (%.2f) | %.0f / %.0f / %.0f | %d / %d | %d | %.2f / %.1f |\n",
			r.batch, r.pace, r.peak, r.toFirst, r.toAll, r.cpu, r.cpuPerPod, r.heapMB, r.rssMB, r.reqs, r.reqsPerPod,
			r.lagP50, r.lagP99, r.lagMax, r.maxExist, r.maxNotRun, r.failures, r.stop, r.gone)
	}
	if len(failed) > 0 {
		return fmt.Errorf("%d of %d runs failed: %v", len(failed), len(o.batches), failed)
	}
	return nil
}

// peakRate is the most of the sorted times within one window, per second.
func peakRate(ts []time.Time, window time.Duration) float64 {
	most, j := 0, 0
	for i := range ts {
		for ts[i].Sub(ts[j]) >= window {
			j++
		}
		most = max(most, i-j+1)
	}
	return float64(most) / window.Seconds()
}

func qpsDesc(q string) string {
	switch q {
	case "driver":
		return "as gospark driver's (no client-side rate limit)"
	case "0":
		return "client-go's default rate limit (5/s, burst 10)"
	}
	return "QPS " + q
}

// checkFakeNodes checks that the Ready fake nodes can hold n more pods.
func checkFakeNodes(ctx context.Context, cs kubernetes.Interface, n int) error {
	nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{LabelSelector: "type=gospark-fake"})
	if err != nil {
		return fmt.Errorf("listing fake nodes: %w", err)
	}
	capacity, ready := int64(0), 0
	for _, nd := range nodes.Items {
		for _, c := range nd.Status.Conditions {
			if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
				ready++
				capacity += nd.Status.Allocatable.Pods().Value()
			}
		}
	}
	used := 0
	if ready > 0 {
		all, err := cs.CoreV1().Pods("").List(ctx, metav1.ListOptions{})
		if err != nil {
			return fmt.Errorf("listing pods: %w", err)
		}
		for _, p := range all.Items {
			if p.Spec.NodeName != "" && slices.ContainsFunc(nodes.Items, func(nd corev1.Node) bool { return nd.Name == p.Spec.NodeName }) {
				used++
			}
		}
	}
	if capacity-int64(used) < int64(n) {
		per := int64(1000)
		if ready > 0 {
			per = capacity / int64(ready)
		}
		return fmt.Errorf("the fake nodes hold %d more pods (%d Ready nodes, %d pods on them), %d needed: start them with `go run ./hack/cluster fake-nodes %d`",
			capacity-int64(used), ready, used, n, (int64(n)+per-1)/per+1)
	}
	fmt.Printf("fake nodes: %d Ready, room for %d pods\n", ready, capacity-int64(used))
	return nil
}

// fakeRun runs the allocator once with batch size b.
func fakeRun(ctx context.Context, o options, cs kubernetes.Interface, self string, b int) (fakeRow, error) {
	row := fakeRow{batch: b}
	stamp := strconv.FormatInt(time.Now().UnixMilli(), 36)
	ns, app := "bench-pods-"+stamp, "spark-bench-"+stamp
	if err := benchk8s.MakeNamespace(ctx, cs, ns, false); err != nil {
		return row, err
	}
	abort := func(err error) (fakeRow, error) { // before the allocator ran
		_ = cs.CoreV1().Namespaces().Delete(context.WithoutCancel(ctx), ns, metav1.DeleteOptions{})
		return row, err
	}
	w, err := watchPods(ctx, cs, ns)
	if err != nil {
		return abort(err)
	}
	fmt.Printf("batch %d: %d pods in %s\n", b, o.pods, ns)
	args := []string{"-child", "-ns", ns, "-app", app, "-kubeconfig", o.kubeconfig, "-image", o.image, "-pods", strconv.Itoa(o.pods),
		"-batch", strconv.Itoa(b), "-batch-delay", o.batchDelay.String(), "-max-pending", strconv.Itoa(o.maxPending), "-qps", o.qps}
	if o.cpuprofile != "" {
		args = append(args, "-cpuprofile", fmt.Sprintf("%s-%d", o.cpuprofile, b))
	}
	cmd := exec.CommandContext(ctx, self, args...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return abort(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return abort(err)
	}
	if err := cmd.Start(); err != nil {
		return abort(err)
	}
	outc := make(chan []byte, 1)
	childCtx, childDone := context.WithCancel(ctx)
	go func() {
		out, _ := io.ReadAll(stdout)
		childDone() // the allocator ended (or closed its output)
		outc <- out
	}()
	allRunning := w.wait(childCtx, o.timeout, func() bool { return len(w.running) >= o.pods })
	stdin.Close()
	out := <-outc
	werr := cmd.Wait()
	// Whatever happened, the pods go (the allocator's Stop deleted
	// them; this is for a child that failed) and the namespace with them.
	_ = cs.CoreV1().Pods(ns).DeleteCollection(context.WithoutCancel(ctx), metav1.DeleteOptions{}, metav1.ListOptions{LabelSelector: executors.Selector(app)})
	gone := w.wait(ctx, o.leakWait, func() bool { return len(w.gone) >= len(w.added) })
	goneAt := time.Now()
	w.stop()
	lerr := cleanup(ctx, cs, ns, app, o.leakWait, o.keep)
	if werr != nil {
		return row, fmt.Errorf("allocator: %w", werr)
	}
	var res childResult
	if err := json.Unmarshal(lastLine(out), &res); err != nil {
		return row, fmt.Errorf("allocator's result %q: %w", out, err)
	}
	if !allRunning {
		return row, fmt.Errorf("%d of %d pods Running after %s", len(w.running), o.pods, o.timeout)
	}
	if !gone {
		return row, fmt.Errorf("pods left %s after the allocator stopped", o.leakWait)
	}
	if lerr != nil {
		return row, lerr
	}
	start := time.Unix(0, res.Start)
	added, running := times(w.added), times(w.running)
	row.toFirst = running[0].Sub(start).Seconds()
	row.toAll = running[len(running)-1].Sub(start).Seconds()
	row.pace = float64(len(added)) / added[len(added)-1].Sub(start).Seconds()
	row.peak = peakRate(added, time.Second)
	row.cpu, row.cpuPerPod = res.CPU, res.CPU*1000/float64(o.pods)
	row.heapMB, row.rssMB = float64(res.Heap)/(1<<20), float64(res.MaxRSS)/1024
	for _, n := range res.Requests {
		row.reqs += float64(n)
	}
	row.reqsPerPod = row.reqs / float64(o.pods)
	var lags []float64
	for name, t := range w.running {
		if m, ok := res.Running[name]; ok {
			lags = append(lags, float64(m-t.UnixNano())/1e6)
		}
	}
	slices.Sort(lags)
	if len(lags) > 0 {
		row.lagP50, row.lagP99, row.lagMax = lags[len(lags)/2], lags[len(lags)*99/100], lags[len(lags)-1]
	}
	row.maxExist, row.maxNotRun, row.events = w.maxExist, w.maxNotRun, w.events
	row.created, row.failures = res.Created, res.Failures
	row.stop, row.gone = res.StopSecond, goneAt.Sub(start).Seconds()-row.toAll
	fmt.Printf("batch %d: %.1f pods/s, all Running in %.2fs, requests %v, %d watch events\n", b, row.pace, row.toAll, res.Requests, w.events)
	// What the allocator may create: the total, and maxPendingPods not
	// Running. The batch size bounds each round, not the pods pending: as
	// in Spark 4, a round waits only for the last round's pods to be seen.
	switch {
	case w.maxExist > o.pods || res.Created > o.pods:
		return row, fmt.Errorf("the allocator exceeded the total: %d pods at once, %d created, %d asked for", w.maxExist, res.Created, o.pods)
	case o.maxPending > 0 && w.maxNotRun > o.maxPending:
		return row, fmt.Errorf("the allocator exceeded spark.kubernetes.allocation.maxPendingPods: %d pods not Running at once, %d allowed", w.maxNotRun, o.maxPending)
	case res.Failures > 0:
		return row, fmt.Errorf("%d executor failures", res.Failures)
	}
	return row, nil
}

// quietLog logs the allocator's warnings only.
func quietLog() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

func lastLine(b []byte) []byte {
	var last []byte
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		if len(sc.Bytes()) > 0 {
			last = slices.Clone(sc.Bytes())
		}
	}
	return last
}

// countingTransport counts requests by method.
type countingTransport struct {
	rt     http.RoundTripper
	counts *sync.Map // method -> *atomic.Int64
	on     *atomic.Bool
}

func (c countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if c.on.Load() {
		method := r.Method
		if r.URL.Query().Get("watch") == "true" {
			method = "WATCH"
		}
		n, _ := c.counts.LoadOrStore(method, new(atomic.Int64))
		n.(*atomic.Int64).Add(1)
	}
	return c.rt.RoundTrip(r)
}

// allocator is fake mode's child: the real allocator with the driver's
// client settings, an executor registered once its store saw its pod
// Running. It stops when its stdin closes and prints a childResult.
func allocator(ctx context.Context, o options) error {
	cfg, err := clientcmd.BuildConfigFromFlags("", o.kubeconfig)
	if err != nil {
		return fmt.Errorf("kubeconfig: %w", err)
	}
	cfg.UserAgent = "gospark-bench-pods"
	client.WrapRetries(cfg, client.DefaultRetryPolicy())
	if o.qps == "driver" {
		client.WithoutRateLimit(cfg)
	} else {
		q, err := strconv.ParseFloat(o.qps, 32)
		if err != nil {
			return fmt.Errorf("-qps %q: want driver or a number", o.qps)
		}
		cfg.QPS = float32(q)
	}
	var counts sync.Map
	var counting atomic.Bool
	counting.Store(true)
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper {
		return countingTransport{rt: rt, counts: &counts, on: &counting}
	})
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "bench-pods")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	tmplFile := dir + "/executor.yaml"
	if err := os.WriteFile(tmplFile, []byte(fakeTemplate), 0o644); err != nil {
		return err
	}
	conf := config.New()
	for _, kv := range [][2]string{
		{"spark.kubernetes.namespace", o.ns},
		{"spark.app.id", o.app},
		{"spark.kubernetes.container.image", o.image},
		{"spark.executor.instances", strconv.Itoa(o.pods)},
		{"spark.executor.cores", "1"},
		{"spark.kubernetes.executor.request.cores", "10m"},
		{"spark.executor.memory", "32m"},
		{"spark.executor.memoryOverhead", "32m"},
		{"spark.kubernetes.node.selector.type", "gospark-fake"},
		{"spark.kubernetes.executor.podTemplateFile", tmplFile},
		{"spark.kubernetes.allocation.batch.size", strconv.Itoa(o.batches[0])},
		{"spark.kubernetes.allocation.batch.delay", strconv.FormatInt(o.batchDelay.Milliseconds(), 10) + "ms"},
	} {
		if err := conf.Set(kv[0], kv[1]); err != nil {
			return err
		}
	}
	if o.maxPending > 0 {
		if err := conf.Set("spark.kubernetes.allocation.maxPendingPods", strconv.Itoa(o.maxPending)); err != nil {
			return err
		}
	}
	tmpl, err := pods.ReadTemplate(conf, pods.Executor)
	if err != nil {
		return err
	}
	prefix := o.app
	newPod := func(id string) (*corev1.Pod, error) {
		return pods.Build(pods.Input{Conf: conf, Role: pods.Executor, AppID: o.app, Name: pods.ExecutorPodName(prefix, id),
			Namespace: o.ns, ExecutorID: id, Command: []string{"/opt/gospark/examples/sparkpi"}, Template: tmpl})
	}
	if _, err := newPod("1"); err != nil {
		return err
	}

	var mu sync.Mutex
	running := map[string]int64{} // pod -> when the store saw it Running
	registered := map[string]bool{}
	allSeen := make(chan struct{})
	observed := func(p *corev1.Pod, deleted bool) {
		if deleted || p.Status.Phase != corev1.PodRunning {
			return
		}
		now := time.Now().UnixNano()
		mu.Lock()
		defer mu.Unlock()
		if _, ok := running[p.Name]; ok {
			return
		}
		running[p.Name] = now
		registered[p.Labels[pods.LabelExecID]] = true
		if len(running) == o.pods {
			close(allSeen)
		}
	}
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
	res := childResult{Start: time.Now().UnixNano()}
	m, err := executors.Start(ctx, executors.Options{
		Client: cs, Namespace: o.ns, AppID: o.app, Instances: o.pods,
		BatchSize:           conf.Int("spark.kubernetes.allocation.batch.size"),
		BatchDelay:          conf.Duration("spark.kubernetes.allocation.batch.delay"),
		PollInterval:        conf.Duration("spark.kubernetes.executor.apiPollingInterval"),
		MaxPending:          conf.Int("spark.kubernetes.allocation.maxPendingPods"),
		Timeout:             conf.Duration("spark.kubernetes.allocation.executor.timeout"),
		MissingDelta:        conf.Duration("spark.kubernetes.executor.missingPodDetectDelta"),
		DeleteOnTermination: true,
		MaxFailures:         2 * o.pods,
		NewPod:              newPod,
		Registered: func(id string) bool {
			mu.Lock()
			defer mu.Unlock()
			return registered[id]
		},
		Observed: observed,
		OnFatal:  func(err error) { fmt.Fprintln(os.Stderr, "allocator: fatal:", err) },
		Log:      quietLog(),
	})
	if err != nil {
		return err
	}
	eof := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		close(eof)
	}()
	select {
	case <-allSeen:
	case <-eof:
		// The parent saw them all (or gave up): the store's last ones
		// may be a moment behind.
		select {
		case <-allSeen:
		case <-time.After(time.Minute):
		}
	case <-ctx.Done():
	}
	counting.Store(false)
	res.AllSeen = time.Now().UnixNano()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		res.CPU = float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
		res.MaxRSS = ru.Maxrss
	}
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/total:bytes"}}
	metrics.Read(sample)
	res.Heap, res.GoTotal = sample[0].Value.Uint64(), sample[1].Value.Uint64()
	res.Requests = map[string]int64{}
	counts.Range(func(k, v any) bool {
		res.Requests[k.(string)] = v.(*atomic.Int64).Load()
		return true
	})
	res.Created, res.Failures = m.Created(), m.Failures()
	<-eof
	stopStart := time.Now()
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	defer cancel()
	serr := m.Stop(sctx)
	res.StopSecond = time.Since(stopStart).Seconds()
	mu.Lock()
	res.Running = running
	b, err := json.Marshal(res)
	mu.Unlock()
	if err != nil {
		return err
	}
	fmt.Println(string(b))
	return serr
}
