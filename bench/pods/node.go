package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/gospark/gospark/bench/internal/benchk8s"
	"github.com/gospark/gospark/internal/config"
	"github.com/gospark/gospark/internal/k8s/launch"
)

// node submits one application with o.pods executors to the real node.
func node(ctx context.Context, o options) error {
	if err := absKubeconfig(&o); err != nil {
		return err
	}
	cs, cfg, err := adminClient(o.kubeconfig)
	if err != nil {
		return err
	}
	fmt.Printf("$ %s\n", commandLine())
	ns := "bench-pods-" + strconv.FormatInt(time.Now().UnixMilli(), 36)
	if err := benchk8s.MakeNamespace(ctx, cs, ns, true); err != nil {
		return err
	}
	submitted := false
	defer func() {
		if !submitted { // failed before submitting: the namespace goes
			_ = cs.CoreV1().Namespaces().Delete(context.WithoutCancel(ctx), ns, metav1.DeleteOptions{})
		}
	}()
	w, err := watchPods(ctx, cs, ns)
	if err != nil {
		return err
	}
	conf := config.New()
	for _, kv := range [][2]string{
		{"spark.master", "k8s://" + cfg.Host},
		{"spark.submit.deployMode", "cluster"},
		{"spark.kubernetes.namespace", ns},
		{"spark.app.name", "bench-pods"},
		{"spark.kubernetes.container.image", o.image},
		{"spark.kubernetes.driver.request.cores", o.driverCores},
		{"spark.driver.memory", o.driverMem},
		{"spark.executor.instances", strconv.Itoa(o.pods)},
		{"spark.executor.cores", "1"},
		{"spark.kubernetes.executor.request.cores", "10m"},
		{"spark.executor.memory", "32m"},
		{"spark.executor.memoryOverhead", "32m"},
		{"spark.kubernetes.allocation.batch.size", strconv.Itoa(o.batches[0])},
		{"spark.kubernetes.allocation.batch.delay", strconv.FormatInt(o.batchDelay.Milliseconds(), 10) + "ms"},
		{"spark.scheduler.minRegisteredResourcesRatio", "1.0"},
		{"spark.scheduler.maxRegisteredResourcesWaitingTime", strconv.FormatInt(o.timeout.Milliseconds(), 10) + "ms"},
		{"spark.kubernetes.submission.waitAppCompletion", "false"},
		{"spark.log.level", "INFO"}, // the driver logs each executor's registration
	} {
		if err := conf.Set(kv[0], kv[1]); err != nil {
			return err
		}
	}
	start := time.Now()
	plan, err := launch.NewPlan(conf, "local:///opt/gospark/examples/sparkpi", []string{strconv.Itoa(o.slices)}, start)
	if err != nil {
		return err
	}
	submitted = true
	code, err := launch.Submit(ctx, cs, plan, conf, io.Discard)
	submitTime := time.Since(start)
	res := nodeResult{}
	if err == nil && code != 0 {
		err = fmt.Errorf("submit: exit code %d", code)
	}
	if err == nil {
		res, err = followDriver(ctx, cs, ns, plan.Driver.Name, o, start)
	}
	// The driver pod goes; everything it owns goes with it.
	bg := metav1.DeletePropagationBackground
	_ = cs.CoreV1().Pods(ns).Delete(context.WithoutCancel(ctx), plan.Driver.Name, metav1.DeleteOptions{PropagationPolicy: &bg})
	w.stop()
	lerr := cleanup(ctx, cs, ns, plan.AppID, o.leakWait, o.keep)
	if err != nil {
		return err
	}
	added, running := times(w.added), times(w.running)
	if len(added) == 0 {
		return fmt.Errorf("no executor pod seen")
	}
	fmt.Printf("\n%d executors on the real node, batch size %d, batch delay %s (%s)\n", o.pods, o.batches[0], o.batchDelay, time.Now().UTC().Format("2006-01-02"))
	fmt.Println("| executors | submit s | s to all registered | pods created/s | s to all pods created | s to all Running | driver CPU s (at all registered / last sample) | driver memory MB (working set at all registered / max seen) | app s |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|")
	toRunning := -1.0
	if len(running) > 0 {
		toRunning = running[len(running)-1].Sub(start).Seconds()
	}
	fmt.Printf("| %d | %.2f | %.2f | %.1f | %.2f | %.2f | %.2f / %.2f | %.0f / %.0f | %.1f |\n",
		res.registered, submitTime.Seconds(), res.allRegistered.Sub(start).Seconds(),
		float64(len(added))/added[len(added)-1].Sub(added[0]).Seconds(), added[len(added)-1].Sub(start).Seconds(), toRunning,
		res.cpuAtAll, res.cpuEnd, res.memAtAll/(1<<20), res.memMax/(1<<20), res.end.Sub(start).Seconds())
	fmt.Printf("(pods created/s: from the first executor pod seen to the last; the driver's CPU and memory from the kubelet's /metrics/resource)\n")
	if res.registered < o.pods {
		return fmt.Errorf("%d of %d executors registered", res.registered, o.pods)
	}
	return lerr
}

type nodeResult struct {
	registered         int
	allRegistered, end time.Time
	cpuAtAll, cpuEnd   float64
	memAtAll, memMax   float64
}

// followDriver follows the driver's log, counting the executors that
// registered, samples the driver's CPU and memory, and waits for the
// driver to end.
func followDriver(ctx context.Context, cs kubernetes.Interface, ns, name string, o options, start time.Time) (nodeResult, error) {
	var res nodeResult
	err := waitFor(ctx, o.timeout, func() (bool, error) {
		p, err := cs.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		return p.Status.Phase != corev1.PodPending, nil
	})
	if err != nil {
		return res, fmt.Errorf("driver pod %s: %w", name, err)
	}
	var mu sync.Mutex
	sample := func() (cpu, mem float64) {
		cpu, mem, err := driverStats(ctx, cs, ns, name)
		if err == nil {
			mu.Lock()
			res.memMax = max(res.memMax, mem)
			res.cpuEnd = cpu // the last sample: the summary drops ended pods
			mu.Unlock()
		}
		return cpu, mem
	}
	sctx, stopSampling := context.WithCancel(ctx)
	defer stopSampling()
	go func() {
		for sctx.Err() == nil {
			sample()
			select {
			case <-sctx.Done():
			case <-time.After(2 * time.Second):
			}
		}
	}()
	lctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	// The followed log may end before the container does: it is read
	// again from the start, counting only registrations not seen yet.
	for lctx.Err() == nil {
		if err := readLog(lctx, cs, ns, name, o, start, &res, sample); err != nil {
			return res, err
		}
		p, err := cs.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return res, err
		}
		if p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
			break
		}
		select {
		case <-lctx.Done():
		case <-time.After(time.Second):
		}
	}
	res.end = time.Now()
	stopSampling()
	p, err := cs.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
	if err == nil && p.Status.Phase != corev1.PodSucceeded {
		err = fmt.Errorf("driver pod %s: %s", name, p.Status.Phase)
	}
	mu.Lock()
	defer mu.Unlock()
	return res, err
}

// driverStats reads the pod's CPU seconds and working set bytes from the
// kubelet's /metrics/resource through the API server's node proxy (its
// /stats/summary fails on the test machine, not finding the root
// filesystem's device).
func driverStats(ctx context.Context, cs kubernetes.Interface, ns, name string) (float64, float64, error) {
	p, err := cs.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil || p.Spec.NodeName == "" {
		return 0, 0, fmt.Errorf("driver pod's node: %w", err)
	}
	b, err := cs.CoreV1().RESTClient().Get().AbsPath("/api/v1/nodes", p.Spec.NodeName, "proxy/metrics/resource").DoRaw(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("kubelet resource metrics: %w", err)
	}
	labels := fmt.Sprintf(`{namespace="%s",pod="%s"}`, ns, name)
	var cpu, mem float64
	found := 0
	for line := range strings.SplitSeq(string(b), "\n") {
		var v *float64
		switch {
		case strings.HasPrefix(line, "pod_cpu_usage_seconds_total"+labels):
			v = &cpu
		case strings.HasPrefix(line, "pod_memory_working_set_bytes"+labels):
			v = &mem
		default:
			continue
		}
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		if x, err := strconv.ParseFloat(f[1], 64); err == nil {
			*v = x
			found++
		}
	}
	if found < 2 {
		return 0, 0, fmt.Errorf("kubelet resource metrics: no pod %s/%s", ns, name)
	}
	return cpu, mem, nil
}

// readLog follows the driver's log once, counting the executors that
// registered beyond those res counted already.
func readLog(ctx context.Context, cs kubernetes.Interface, ns, name string, o options, start time.Time, res *nodeResult, sample func() (float64, float64)) error {
	stream, err := cs.CoreV1().Pods(ns).GetLogs(name, &corev1.PodLogOptions{Follow: true}).Stream(ctx)
	if err != nil {
		return fmt.Errorf("driver log: %w", err)
	}
	defer stream.Close()
	sc := bufio.NewScanner(stream)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	n := 0
	for sc.Scan() {
		if !strings.Contains(sc.Text(), `msg="executor registered"`) {
			continue
		}
		n++
		if n <= res.registered {
			continue
		}
		res.registered = n
		if n == o.pods {
			res.allRegistered = time.Now()
			res.cpuAtAll, res.memAtAll = sample()
			fmt.Printf("all %d executors registered %.2fs after submit\n", o.pods, res.allRegistered.Sub(start).Seconds())
		}
	}
	return nil
}
