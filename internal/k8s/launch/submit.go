package launch

import (
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"

	"github.com/gospark/gospark/internal/config"
	"github.com/gospark/gospark/internal/k8s/pods"
	"github.com/gospark/gospark/internal/k8s/podstatus"
)

// logLines is how many of the driver's last log lines a failure shows.
const logLines = 20

// Create sends the plan's objects: the pre-resources (a Volcano
// PodGroup) first, then the driver pod, which becomes their owner, then
// the pod steps' objects (Services, ConfigMaps, Secrets) in step order,
// owned by it (deleted with it); p.Driver, p.PreObjects and p.Objects
// become what the API server made. When any of them fails, the driver pod
// and the pre-resources are deleted again, so nothing is left behind.
func Create(ctx context.Context, cs kubernetes.Interface, p *Plan) error {
	pre, err := createPreResources(ctx, cs, p)
	if err != nil {
		return err
	}
	driver, err := cs.CoreV1().Pods(p.Namespace).Create(ctx, p.Driver, metav1.CreateOptions{})
	if err != nil {
		return pre.undo(ctx, fmt.Errorf("creating driver pod %s in namespace %s: %w", p.Driver.Name, p.Namespace, err))
	}
	owner := metav1.OwnerReference{APIVersion: "v1", Kind: "Pod", Name: driver.Name, UID: driver.UID, Controller: new(true)}
	p.Driver = driver
	undo := func(cause error) error {
		if err := deleteDriver(ctx, cs, p.Namespace, driver.Name); err != nil {
			cause = fmt.Errorf("%w (and deleting driver pod %s again failed: %w)", cause, driver.Name, err)
		}
		return pre.undo(ctx, cause)
	}
	if err := pre.own(ctx, owner); err != nil {
		return undo(err)
	}
	for i, obj := range p.Objects {
		created, kind, name, err := createOwned(ctx, cs, p.Namespace, obj, owner)
		if err != nil {
			return undo(fmt.Errorf("creating %s %s: %w", kind, name, err))
		}
		p.Objects[i] = created // as the API server made it (a node port, ...)
	}
	return nil
}

// createOwned creates one of the driver's objects with owner as its owner,
// returning the object the API server made, and its kind and name for
// messages.
func createOwned(ctx context.Context, cs kubernetes.Interface, ns string, obj runtime.Object, owner metav1.OwnerReference) (created runtime.Object, kind, name string, err error) {
	core := cs.CoreV1()
	opts := metav1.CreateOptions{}
	switch o := obj.(type) {
	case *corev1.Service:
		o.OwnerReferences = []metav1.OwnerReference{owner}
		c, err := core.Services(ns).Create(ctx, o, opts)
		return c, "service", o.Name, err
	case *corev1.ConfigMap:
		o.OwnerReferences = []metav1.OwnerReference{owner}
		c, err := core.ConfigMaps(ns).Create(ctx, o, opts)
		return c, "config map", o.Name, err
	case *corev1.Secret:
		o.OwnerReferences = []metav1.OwnerReference{owner}
		c, err := core.Secrets(ns).Create(ctx, o, opts)
		return c, "secret", o.Name, err
	case *corev1.PersistentVolumeClaim:
		o.OwnerReferences = []metav1.OwnerReference{owner}
		c, err := core.PersistentVolumeClaims(ns).Create(ctx, o, opts)
		return c, "persistent volume claim", o.Name, err
	default:
		return nil, fmt.Sprintf("%T", obj), "", fmt.Errorf("launch: no way to create a %T", obj)
	}
}

// reportUI prints where the driver's UI of a created plan is, when it has
// one (spark.ui.enabled): the kubectl port-forward command that reaches
// it, and with spark.kubernetes.driver.service.exposeUiPort the URL of
// its NodePort Service on a node (the API server chose the node port when
// the Service was created).
func reportUI(ctx context.Context, cs kubernetes.Interface, p *Plan, out io.Writer) {
	if !p.DriverConf.Bool("spark.ui.enabled") {
		return
	}
	port := p.DriverConf.Int("spark.ui.port")
	fmt.Fprintf(out, "Driver UI: kubectl port-forward -n %s %s %d:%d, then http://localhost:%d\n", p.Namespace, p.Driver.Name, port, port, port)
	for _, o := range p.Objects {
		svc, ok := o.(*corev1.Service)
		if !ok || svc.Name != pods.UIService(p.Prefix) {
			continue
		}
		for _, sp := range svc.Spec.Ports {
			if sp.Name != pods.UIPortName || sp.NodePort == 0 {
				continue
			}
			host, err := nodeAddress(ctx, cs)
			if err != nil {
				fmt.Fprintf(out, "Driver UI on every node: http://<node>:%d (service %s; no node's address: %v)\n", sp.NodePort, svc.Name, err)
				continue
			}
			fmt.Fprintf(out, "Driver UI on every node: http://%s (service %s)\n", net.JoinHostPort(host, strconv.Itoa(int(sp.NodePort))), svc.Name)
		}
	}
}

// nodeAddress is the address of a node that is Ready, its external
// address rather than its internal one, for a NodePort URL.
func nodeAddress(ctx context.Context, cs kubernetes.Interface) (string, error) {
	nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return "", fmt.Errorf("listing nodes: %w", err)
	}
	best := ""
	for _, n := range nodes.Items {
		ready := false
		for _, c := range n.Status.Conditions {
			if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
				ready = true
			}
		}
		if !ready {
			continue
		}
		for _, want := range []corev1.NodeAddressType{corev1.NodeExternalIP, corev1.NodeInternalIP} {
			for _, a := range n.Status.Addresses {
				if a.Type == want && a.Address != "" {
					if want == corev1.NodeExternalIP {
						return a.Address, nil
					}
					if best == "" {
						best = a.Address
					}
				}
			}
		}
	}
	if best == "" {
		return "", fmt.Errorf("no ready node has an address")
	}
	return best, nil
}

// Submit stages the dependencies (Plan.Stage), creates the plan's objects and, when the plan waits, follows the
// driver until it ends, returning its exit code. Without waiting it
// returns 0 once the objects exist.
func Submit(ctx context.Context, cs kubernetes.Interface, p *Plan, conf *config.Conf, out io.Writer) (int, error) {
	if err := checkPreResources(ctx, cs, p); err != nil {
		return 1, err
	}
	if err := p.Stage(ctx, conf, out); err != nil {
		return 1, err
	}
	if err := Create(ctx, cs, p); err != nil {
		if uerr := p.staged.Undo(); uerr != nil {
			err = fmt.Errorf("%w (and removing the uploaded files failed: %w)", err, uerr)
		}
		return 1, err
	}
	fmt.Fprintf(out, "Created driver pod %s in namespace %s (application %s, id %s)\n", p.Driver.Name, p.Namespace, p.AppName, p.AppID)
	reportUI(ctx, cs, p, out)
	if !p.Wait {
		fmt.Fprintf(out, "Not waiting for the application (spark.kubernetes.submission.waitAppCompletion=false). Submission ID: %s\n", p.SubmissionID())
		return 0, nil
	}
	return follow(ctx, cs, p, out)
}

// follow reports the driver's phase every interval and on changes, with
// the executor pods still pending and why every interval, and executor
// pods' problems once each, until the driver ends.
func follow(ctx context.Context, cs kubernetes.Interface, p *Plan, out io.Writer) (int, error) {
	deleted := make(chan *corev1.Pod, 1)
	// Executor pods' deletions come in order with their updates.
	type event struct {
		pod  *corev1.Pod
		gone bool
	}
	evs := make(chan event, 64)
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	factory := informers.NewSharedInformerFactoryWithOptions(cs, 0, informers.WithNamespace(p.Namespace),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) {
			o.LabelSelector = labels.Set{pods.LabelAppSelector: p.AppID}.String()
		}))
	inf := factory.Core().V1().Pods().Informer()
	send := func(obj any) {
		if pod, ok := obj.(*corev1.Pod); ok {
			select {
			case evs <- event{pod: pod}:
			case <-wctx.Done():
			}
		}
	}
	if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    send,
		UpdateFunc: func(_, obj any) { send(obj) },
		DeleteFunc: func(obj any) {
			if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = t.Obj
			}
			pod, ok := obj.(*corev1.Pod)
			switch {
			case !ok:
			case pod.Name == p.Driver.Name:
				select {
				case deleted <- pod:
				default:
				}
			case pod.Labels[pods.LabelRole] == string(pods.Executor):
				select {
				case evs <- event{pod: pod, gone: true}:
				case <-wctx.Done():
				}
			}
		},
	}); err != nil {
		return 1, fmt.Errorf("watching the driver pod: %w", err)
	}
	factory.Start(wctx.Done())
	defer factory.Shutdown()
	defer cancel()

	tick := time.NewTicker(p.Interval)
	defer tick.Stop()
	driver := p.Driver
	last := ""
	reported := map[string]string{} // executor pod -> problem shown
	waiting := map[string]bool{}    // scheduling problems shown
	execs := executorPods{}         // for the pending executors' report
	// Executors that merely exited are shown only if the application
	// fails: one starting as the driver stops exits for want of it.
	var exits []string
	for {
		select {
		case <-ctx.Done():
			fmt.Fprintf(out, "Stopped waiting; the application goes on. Follow it with: gospark submit --status %s (stop it with --kill)\n", p.SubmissionID())
			return 130, ctx.Err()
		case pod := <-deleted:
			fmt.Fprintf(out, "Driver pod %s was deleted (%s)\n", pod.Name, podstatus.Phase(pod))
			return 1, fmt.Errorf("application %s: driver pod %s was deleted before it finished", p.AppName, pod.Name)
		case <-tick.C:
			fmt.Fprintf(out, "Application status for %s (phase: %s)\n", p.AppID, podstatus.Phase(driver))
			// Every time, not once: executors that stay pending are
			// what a user waiting for the application needs to see.
			for _, line := range execs.pendingReport() {
				fmt.Fprintln(out, line)
			}
			if r := refusedReport(driver); r != "" {
				fmt.Fprintln(out, r)
			}
			continue
		case ev := <-evs:
			pod := ev.pod
			if ev.gone {
				execs.seen(pod, true)
				continue
			}
			if pod.Labels[pods.LabelRole] == string(pods.Executor) {
				execs.seen(pod, false)
				prob, ok := podstatus.Explain(pod)
				if ok && prob.Kind == podstatus.Unschedulable {
					// Not a failure: the pod waits. Said once per reason,
					// so that a user sees why executors do not start.
					if !waiting[prob.Message] {
						waiting[prob.Message] = true
						fmt.Fprintf(out, "Executor pod %s (executor %s) is waiting for a node: %s\n", pod.Name, pod.Labels[pods.LabelExecID], prob)
					}
					continue
				}
				if ok && reported[pod.Name] != prob.String() {
					reported[pod.Name] = prob.String()
					line := fmt.Sprintf("Executor pod %s (executor %s): %s\n", pod.Name, pod.Labels[pods.LabelExecID], prob)
					if prob.Kind == podstatus.Exited {
						exits = append(exits, line)
					} else {
						fmt.Fprint(out, line)
					}
				}
				continue
			}
			if pod.Name != p.Driver.Name {
				continue
			}
			if r := refusedReport(pod); r != "" && r != refusedReport(driver) {
				fmt.Fprintln(out, r)
			}
			driver = pod
		}
		if phase := podstatus.Phase(driver); phase != last {
			last = phase
			fmt.Fprintf(out, "Driver pod %s: %s\n", driver.Name, phase)
		}
		if code, done := podstatus.Terminated(driver); done {
			if code != 0 {
				for _, line := range exits {
					fmt.Fprint(out, line)
				}
			}
			return finished(ctx, cs, p, driver, code, out)
		}
		if prob, ok := podstatus.Explain(driver); ok && permanent(prob) {
			fmt.Fprintf(out, "The driver cannot start: %s\n", prob)
			err := fmt.Errorf("application %s: driver pod %s cannot start: %s", p.AppName, driver.Name, prob)
			if derr := deleteDriver(ctx, cs, p.Namespace, driver.Name); derr != nil {
				err = fmt.Errorf("%w (deleting the driver pod failed: %w)", err, derr)
			} else {
				fmt.Fprintf(out, "Deleted driver pod %s and what it owns\n", driver.Name)
			}
			return 1, err
		}
	}
}

// deleteDriver deletes a driver pod and, through their owner references,
// what it owns. It uses a fresh context: the caller's may be what failed.
func deleteDriver(ctx context.Context, cs kubernetes.Interface, ns, name string) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	bg := metav1.DeletePropagationBackground
	err := cs.CoreV1().Pods(ns).Delete(ctx, name, metav1.DeleteOptions{PropagationPolicy: &bg})
	if err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	return nil
}

// permanent reports problems that waiting will not solve: an image that is
// not there and may not be pulled, or a malformed image name.
func permanent(prob podstatus.Problem) bool {
	return prob.Kind == podstatus.ImageError && (prob.Reason == "ErrImageNeverPull" || prob.Reason == "InvalidImageName")
}

// finished reports the driver's end and returns its exit code; a failure
// shows why and the last lines of the driver's log.
func finished(ctx context.Context, cs kubernetes.Interface, p *Plan, driver *corev1.Pod, code int32, out io.Writer) (int, error) {
	prob, explained := podstatus.Explain(driver)
	status := "succeeded"
	logOf := pods.DriverContainer
	if len(driver.Spec.Containers) > 0 { // a pod template may name it
		logOf = driver.Spec.Containers[0].Name
	}
	switch {
	case code != 0 && explained && prob.Init:
		status = "failed before it started: its init-container could not fetch the dependencies"
		logOf = prob.Container
	case code != 0:
		status = fmt.Sprintf("failed with exit code %d", code)
	}
	fmt.Fprintf(out, "Application %s with application ID %s and submission ID %s %s\n", p.AppName, p.AppID, p.SubmissionID(), status)
	if code == 0 {
		return 0, nil
	}
	if explained {
		fmt.Fprintf(out, "Reason: %s\n", prob)
	}
	if tail, err := LogTail(ctx, cs, p.Namespace, driver.Name, logOf, logLines); err == nil && tail != "" {
		fmt.Fprintf(out, "Last lines of the %s container's log:\n%s", logOf, indent(tail))
	} else if err != nil {
		fmt.Fprintf(out, "(the driver's log could not be read: %v)\n", err)
	}
	if code < 0 || code > 255 {
		code = 1
	}
	return int(code), nil
}

// LogTail returns the last n lines of a container's log.
func LogTail(ctx context.Context, cs kubernetes.Interface, ns, pod, container string, n int) (string, error) {
	tail := int64(n)
	b, err := cs.CoreV1().Pods(ns).GetLogs(pod, &corev1.PodLogOptions{Container: container, TailLines: &tail}).DoRaw(ctx)
	if err != nil {
		return "", fmt.Errorf("log of pod %s: %w", pod, err)
	}
	return string(b), nil
}

func indent(s string) string {
	var b strings.Builder
	for _, line := range strings.SplitAfter(s, "\n") {
		if line != "" {
			b.WriteString("  ")
			b.WriteString(line)
		}
	}
	if !strings.HasSuffix(b.String(), "\n") {
		b.WriteByte('\n')
	}
	return b.String()
}
