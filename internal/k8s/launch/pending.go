package launch

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/gospark/gospark/internal/k8s/executors"
	"github.com/gospark/gospark/internal/k8s/pods"
	"github.com/gospark/gospark/internal/k8s/podstatus"
)

// executorPods is what submit last saw of the application's executor pods,
// by name, for its periodic report.
type executorPods map[string]*corev1.Pod

// seen records a pod's new state, or its deletion.
func (e executorPods) seen(p *corev1.Pod, deleted bool) {
	if p.Labels[pods.LabelRole] != string(pods.Executor) {
		return
	}
	if deleted {
		delete(e, p.Name)
		return
	}
	e[p.Name] = p
}

// pendingReport says how many executor pods are pending and why, one line
// per reason (podstatus), e.g.
//
//	Executor pods pending: 2 of 3
//	  2 unschedulable: 0/1 nodes are available: ... (executors 2, 3)
//
// or nothing when none is. Pods being deleted are not counted: the driver
// gave up on them or is stopping.
func (e executorPods) pendingReport() []string {
	byReason := map[string][]string{}
	total, pending := 0, 0
	for _, name := range slices.Sorted(maps.Keys(e)) {
		p := e[name]
		if p.DeletionTimestamp != nil {
			continue
		}
		total++
		if p.Status.Phase != corev1.PodPending && p.Status.Phase != "" {
			continue
		}
		pending++
		why := podstatus.Phase(p)
		if prob, ok := podstatus.Explain(p); ok {
			why = prob.String()
		}
		id := p.Labels[pods.LabelExecID]
		if id == "" {
			id = p.Name
		}
		byReason[why] = append(byReason[why], id)
	}
	if pending == 0 {
		return nil
	}
	lines := []string{fmt.Sprintf("Executor pods pending: %d of %d", pending, total)}
	for _, why := range slices.Sorted(maps.Keys(byReason)) {
		ids := byReason[why]
		slices.SortFunc(ids, func(a, b string) int {
			if len(a) != len(b) {
				return len(a) - len(b) // numerically, for executor ids
			}
			return strings.Compare(a, b)
		})
		word := "executor"
		if len(ids) > 1 {
			word = "executors"
		}
		lines = append(lines, fmt.Sprintf("  %d %s (%s %s)", len(ids), why, word, strings.Join(ids, ", ")))
	}
	return lines
}

// refusedReport is the driver's word that the API server refuses an
// executor pod (executors.RefusedAnnotation), or "".
func refusedReport(driver *corev1.Pod) string {
	if v := driver.Annotations[executors.RefusedAnnotation]; v != "" {
		return "Executor pod refused by the API server, asked again until spark.kubernetes.allocation.executor.timeout: " + v
	}
	return ""
}

// executorStatus is --status's account of a driver's executor pods: how
// many exist and how many run, then, as submit reports them while it
// waits, those pending and why (the scheduler's message when no node can
// take them) and an executor pod the API server refuses. A driver that
// has ended has none left.
func executorStatus(ctx context.Context, cs kubernetes.Interface, driver *corev1.Pod, out io.Writer) error {
	app := driver.Labels[pods.LabelAppSelector]
	if app == "" {
		return nil
	}
	list, err := cs.CoreV1().Pods(driver.Namespace).List(ctx, metav1.ListOptions{LabelSelector: executors.Selector(app)})
	if err != nil {
		return fmt.Errorf("listing the executor pods of driver pod %s: %w", driver.Name, err)
	}
	e := executorPods{}
	running := 0
	for i := range list.Items {
		p := &list.Items[i]
		if p.Labels[pods.LabelExecInactive] == "true" || p.DeletionTimestamp != nil {
			continue // ended and dealt with, or going
		}
		e.seen(p, false)
		if p.Status.Phase == corev1.PodRunning {
			running++
		}
	}
	fmt.Fprintf(out, "\t executor pods: %d (%d running)\n", len(e), running)
	for _, line := range e.pendingReport() {
		fmt.Fprintf(out, "\t %s\n", line)
	}
	if r := refusedReport(driver); r != "" {
		fmt.Fprintf(out, "\t %s\n", r)
	}
	return nil
}
