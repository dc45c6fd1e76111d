// Command pods measures how gospark's driver creates and follows executor
// pods at scale, in a namespace it creates and deletes.
//
//	go run ./bench/pods -mode node -pods 100
//	go run ./bench/pods -mode fake -pods 1000 -batch 5,10,50,200
//
// In node mode it submits one application (SparkPi, launch.NewPlan and
// launch.Submit as gospark submit does) with -pods executors with tiny
// requests to the test cluster's real node; the driver waits for all of
// them (spark.scheduler.minRegisteredResourcesRatio=1). It reports the
// seconds from submit to every executor registered (the driver's log), the
// executor pods created per second (a watch), and the driver pod's CPU and
// memory (the kubelet's /metrics/resource through the API server).
//
// In fake mode the executors do not run: a child process runs the real
// allocator (internal/k8s/executors, with the driver's client settings) for
// -pods executor pods that select the fake nodes of hack/fakenodes and
// tolerate their taint (spark.kubernetes.node.selector.type and a
// pod template), an executor counting as registered once its pod is
// Running. The fake nodes must be up (`go run ./hack/cluster fake-nodes N`,
// 1,000 pods a node). For each batch size it reports the allocation pace,
// the seconds to all Running, the allocator's CPU, memory and API requests,
// and the snapshot store's event lag (when the allocator's watch took in a
// pod's Running state, against this process's own watch); it fails when
// the pods ever outnumber what the allocator may create (the total, the
// batch size of not yet Running pods, spark.kubernetes.allocation.maxPendingPods).
//
// Either way it deletes everything at the end and fails when anything of
// the applications is left.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/gospark/gospark/internal/k8s/pods"
)

type options struct {
	mode        string
	kubeconfig  string
	image       string
	pods        int
	batches     []int
	batchDelay  time.Duration
	maxPending  int
	qps         string
	timeout     time.Duration
	leakWait    time.Duration
	slices      int
	keep        bool
	cpuprofile  string
	driverCores string
	driverMem   string
	// child: this process is fake mode's allocator, in namespace ns.
	child bool
	ns    string
	app   string
}

func main() {
	var o options
	var batches string
	flag.StringVar(&o.mode, "mode", "fake", "node (one application's executors on the real node) or fake (the allocator against fake nodes)")
	flag.StringVar(&o.kubeconfig, "kubeconfig", ".cluster/kubeconfig", "kubeconfig of the test cluster")
	flag.StringVar(&o.image, "image", "gospark:dev", "container image with /opt/gospark/examples/sparkpi")
	flag.IntVar(&o.pods, "pods", 100, "executor pods")
	flag.StringVar(&batches, "batch", "10", "spark.kubernetes.allocation.batch.size, a comma-separated list in fake mode (one run each)")
	flag.DurationVar(&o.batchDelay, "batch-delay", time.Second, "spark.kubernetes.allocation.batch.delay")
	flag.IntVar(&o.maxPending, "max-pending", 0, "spark.kubernetes.allocation.maxPendingPods (0: unset)")
	flag.StringVar(&o.qps, "qps", "driver", "fake mode: the allocator's client-side rate limit: driver (as gospark driver makes its client) or a QPS (0: client-go's default, 5)")
	flag.DurationVar(&o.timeout, "timeout", 10*time.Minute, "how long the pods may take to be Running (registered in node mode)")
	flag.DurationVar(&o.leakWait, "leak-wait", 3*time.Minute, "how long the pods may take to go once deleted")
	flag.IntVar(&o.slices, "slices", 2000, "node mode: SparkPi's slices")
	flag.StringVar(&o.driverCores, "driver-cores", "100m", "node mode: spark.kubernetes.driver.request.cores")
	flag.StringVar(&o.driverMem, "driver-memory", "256m", "node mode: spark.driver.memory")
	flag.BoolVar(&o.keep, "keep", false, "keep the namespace at the end")
	flag.StringVar(&o.cpuprofile, "cpuprofile", "", "fake mode: write the allocator's CPU profile to this file (-<batch> appended)")
	flag.BoolVar(&o.child, "child", false, "internal: fake mode's allocator process")
	flag.StringVar(&o.ns, "ns", "", "internal: the namespace (with -child)")
	flag.StringVar(&o.app, "app", "", "internal: the application id (with -child)")
	flag.Parse()
	for f := range strings.SplitSeq(batches, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "bench/pods: -batch %q: want positive integers separated by commas\n", batches)
			os.Exit(2)
		}
		o.batches = append(o.batches, n)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch {
	case o.child:
		err = allocator(ctx, o)
	case o.mode == "fake":
		err = fake(ctx, o)
	case o.mode == "node":
		err = node(ctx, o)
	default:
		err = fmt.Errorf("-mode %q: want node or fake", o.mode)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench/pods:", err)
		os.Exit(1)
	}
}

// adminClient is this process's client: the kubeconfig's user, without a
// client-side rate limit worth the name.
func adminClient(kubeconfig string) (kubernetes.Interface, *rest.Config, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return nil, nil, fmt.Errorf("kubeconfig: %w", err)
	}
	cfg.QPS, cfg.Burst = 200, 400
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, nil, err
	}
	return cs, cfg, nil
}

// waitFor polls cond every 200 ms until it holds, fails, or timeout.
func waitFor(ctx context.Context, timeout time.Duration, cond func() (bool, error)) error {
	deadline := time.Now().Add(timeout)
	for {
		ok, err := cond()
		if err != nil || ok {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not done after %s", timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// podWatch follows the executor pods of a namespace: when each was first
// seen, first seen Running and deleted, and, at every event, how many
// exist and how many of them are not Running yet.
type podWatch struct {
	mu                  sync.Mutex
	cond                *sync.Cond
	added, running      map[string]time.Time
	pending             map[string]bool // exists, not Running yet
	gone                map[string]bool
	maxExist, maxNotRun int
	events              int
	cancel              context.CancelFunc
	done                chan struct{}
}

func watchPods(ctx context.Context, cs kubernetes.Interface, ns string) (*podWatch, error) {
	w := &podWatch{added: map[string]time.Time{}, running: map[string]time.Time{}, pending: map[string]bool{}, gone: map[string]bool{}, done: make(chan struct{})}
	w.cond = sync.NewCond(&w.mu)
	wctx, cancel := context.WithCancel(ctx)
	w.cancel = cancel
	sel := pods.LabelRole + "=" + string(pods.Executor)
	list, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: sel})
	if err != nil {
		cancel()
		return nil, fmt.Errorf("listing executor pods: %w", err)
	}
	for i := range list.Items {
		w.saw(&list.Items[i], false)
	}
	rv := list.ResourceVersion
	go func() {
		defer close(w.done)
		for wctx.Err() == nil {
			wi, err := cs.CoreV1().Pods(ns).Watch(wctx, metav1.ListOptions{LabelSelector: sel, ResourceVersion: rv, AllowWatchBookmarks: true})
			if err != nil {
				select {
				case <-wctx.Done():
				case <-time.After(time.Second):
				}
				continue
			}
			for ev := range wi.ResultChan() {
				pod, ok := ev.Object.(*corev1.Pod)
				if !ok {
					continue
				}
				rv = pod.ResourceVersion
				switch ev.Type {
				case watch.Added, watch.Modified:
					w.saw(pod, false)
				case watch.Deleted:
					w.saw(pod, true)
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

func (w *podWatch) saw(p *corev1.Pod, deleted bool) {
	now := time.Now()
	w.mu.Lock()
	defer w.mu.Unlock()
	w.events++
	if _, ok := w.added[p.Name]; !ok {
		w.added[p.Name] = now
	}
	switch {
	case deleted:
		w.gone[p.Name] = true
		delete(w.pending, p.Name)
	case p.Status.Phase == corev1.PodPending || p.Status.Phase == "":
		w.pending[p.Name] = true
	default:
		if _, ok := w.running[p.Name]; !ok && p.Status.Phase == corev1.PodRunning {
			w.running[p.Name] = now
		}
		delete(w.pending, p.Name)
	}
	w.maxExist = max(w.maxExist, len(w.added)-len(w.gone))
	w.maxNotRun = max(w.maxNotRun, len(w.pending))
	w.cond.Broadcast()
}

// wait waits until cond (called with w.mu held) holds, up to timeout.
func (w *podWatch) wait(ctx context.Context, timeout time.Duration, cond func() bool) bool {
	tctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	stop := context.AfterFunc(tctx, func() {
		w.mu.Lock()
		w.cond.Broadcast()
		w.mu.Unlock()
	})
	defer stop()
	w.mu.Lock()
	defer w.mu.Unlock()
	for !cond() {
		if tctx.Err() != nil {
			return false
		}
		w.cond.Wait()
	}
	return true
}

func (w *podWatch) stop() {
	w.cancel()
	<-w.done
}

// times returns the sorted values of m.
func times(m map[string]time.Time) []time.Time {
	var ts []time.Time
	for _, t := range m {
		ts = append(ts, t)
	}
	slices.SortFunc(ts, func(a, b time.Time) int { return a.Compare(b) })
	return ts
}

// leftovers lists what remains in ns of the applications: pods, services,
// config maps (but the namespace's kube-root-ca.crt), secrets, claims.
func leftovers(ctx context.Context, cs kubernetes.Interface, ns string) ([]string, error) {
	var left []string
	add := func(kind string, err error, names []string) error {
		if err != nil {
			return fmt.Errorf("listing %s: %w", kind, err)
		}
		for _, n := range names {
			left = append(left, kind+"/"+n)
		}
		return nil
	}
	pl, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	if err := add("pod", err, namesOf(pl, func(l *corev1.PodList) []metav1.ObjectMeta {
		return metas(l.Items, func(p corev1.Pod) metav1.ObjectMeta { return p.ObjectMeta })
	})); err != nil {
		return nil, err
	}
	sl, err := cs.CoreV1().Services(ns).List(ctx, metav1.ListOptions{})
	if err := add("service", err, namesOf(sl, func(l *corev1.ServiceList) []metav1.ObjectMeta {
		return metas(l.Items, func(p corev1.Service) metav1.ObjectMeta { return p.ObjectMeta })
	})); err != nil {
		return nil, err
	}
	cl, err := cs.CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{})
	if err := add("configmap", err, namesOf(cl, func(l *corev1.ConfigMapList) []metav1.ObjectMeta {
		return metas(l.Items, func(p corev1.ConfigMap) metav1.ObjectMeta { return p.ObjectMeta })
	})); err != nil {
		return nil, err
	}
	sc, err := cs.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{})
	if err := add("secret", err, namesOf(sc, func(l *corev1.SecretList) []metav1.ObjectMeta {
		return metas(l.Items, func(p corev1.Secret) metav1.ObjectMeta { return p.ObjectMeta })
	})); err != nil {
		return nil, err
	}
	pv, err := cs.CoreV1().PersistentVolumeClaims(ns).List(ctx, metav1.ListOptions{})
	if err := add("pvc", err, namesOf(pv, func(l *corev1.PersistentVolumeClaimList) []metav1.ObjectMeta {
		return metas(l.Items, func(p corev1.PersistentVolumeClaim) metav1.ObjectMeta { return p.ObjectMeta })
	})); err != nil {
		return nil, err
	}
	return slices.DeleteFunc(left, func(s string) bool { return s == "configmap/kube-root-ca.crt" }), nil
}

func namesOf[L any](l *L, items func(*L) []metav1.ObjectMeta) []string {
	if l == nil {
		return nil
	}
	var ns []string
	for _, m := range items(l) {
		ns = append(ns, m.Name)
	}
	return ns
}

func metas[T any](items []T, meta func(T) metav1.ObjectMeta) []metav1.ObjectMeta {
	var ms []metav1.ObjectMeta
	for _, it := range items {
		ms = append(ms, meta(it))
	}
	return ms
}

// cleanup deletes ns's executor pods if any remain, waits for the pods to
// go, checks that nothing of the applications is left in ns and that no
// pod of app remains anywhere, then deletes ns (unless keep).
func cleanup(ctx context.Context, cs kubernetes.Interface, ns, app string, wait time.Duration, keep bool) error {
	start := time.Now()
	var left []string
	err := waitFor(ctx, wait, func() (bool, error) {
		var err error
		left, err = leftovers(ctx, cs, ns)
		return len(left) == 0, err
	})
	var anywhere *corev1.PodList
	if app != "" {
		var lerr error
		anywhere, lerr = cs.CoreV1().Pods("").List(ctx, metav1.ListOptions{LabelSelector: pods.LabelAppSelector + "=" + app})
		if lerr != nil {
			err = errors.Join(err, lerr)
		}
	}
	if !keep {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		if derr := cs.CoreV1().Namespaces().Delete(dctx, ns, metav1.DeleteOptions{}); derr != nil {
			err = errors.Join(err, fmt.Errorf("deleting namespace %s: %w", ns, derr))
		}
	}
	switch {
	case len(left) > 0:
		return fmt.Errorf("leaks: %d objects remain in %s %s after the pods were deleted, e.g. %s", len(left), ns, wait, strings.Join(left[:min(5, len(left))], ", "))
	case anywhere != nil && len(anywhere.Items) > 0:
		return fmt.Errorf("leaks: %d pods of %s remain, e.g. %s/%s", len(anywhere.Items), app, anywhere.Items[0].Namespace, anywhere.Items[0].Name)
	case err != nil:
		return err
	}
	fmt.Printf("leaks: none (no pod, service, config map, secret or claim left in %s, %.1fs after the deletion)\n", ns, time.Since(start).Seconds())
	return nil
}

func commandLine() string {
	args := slices.Clone(os.Args[1:])
	return "go run ./bench/pods " + strings.Join(args, " ")
}

func absKubeconfig(o *options) error {
	kc, err := filepath.Abs(o.kubeconfig)
	if err != nil {
		return err
	}
	o.kubeconfig = kc
	return nil
}
