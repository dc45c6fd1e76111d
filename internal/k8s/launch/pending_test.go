package launch

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/gospark/gospark/internal/k8s/executors"
	"github.com/gospark/gospark/internal/k8s/pods"
)

func executorPod(id string, phase corev1.PodPhase, app string) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "app-exec-" + id, Namespace: "jobs",
		Labels: map[string]string{pods.LabelAppSelector: app, pods.LabelRole: string(pods.Executor), pods.LabelExecID: id}},
		Status: corev1.PodStatus{Phase: phase}}
}

func missingClaim(p *corev1.Pod) *corev1.Pod {
	p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse,
		Reason: corev1.PodReasonUnschedulable, Message: `0/1 nodes are available: persistentvolumeclaim "OnDemand" not found.`}}
	return p
}

func TestPendingReport(t *testing.T) {
	creating := executorPod("10", corev1.PodPending, "a")
	creating.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: pods.ExecContainer,
		State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}}}}
	leaving := missingClaim(executorPod("4", corev1.PodPending, "a"))
	leaving.DeletionTimestamp = &metav1.Time{Time: time.Unix(1, 0)}
	e := executorPods{}
	for _, p := range []*corev1.Pod{missingClaim(executorPod("3", corev1.PodPending, "a")), executorPod("1", corev1.PodRunning, "a"),
		missingClaim(executorPod("2", corev1.PodPending, "a")), creating, leaving} {
		e.seen(p, false)
	}
	want := []string{
		"Executor pods pending: 3 of 4",
		"  1 Pending (ContainerCreating) (executor 10)",
		`  2 unschedulable: 0/1 nodes are available: persistentvolumeclaim "OnDemand" not found. (executors 2, 3)`,
	}
	if got := e.pendingReport(); !slices.Equal(got, want) {
		t.Errorf("report\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, id := range []string{"2", "3", "10"} {
		e.seen(executorPod(id, "", "a"), true)
	}
	if got := e.pendingReport(); got != nil {
		t.Errorf("with no pod pending: %q", got)
	}
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Submit keeps saying which executors are pending and why, every report
// interval, not once.
func TestFollowReportsPendingExecutorsEveryInterval(t *testing.T) {
	p, err := NewPlan(conf(t, "spark.kubernetes.namespace", "jobs"), "local:///app", nil, launched)
	if err != nil {
		t.Fatal(err)
	}
	p.Interval = 20 * time.Millisecond
	p.Driver.Status.Phase = corev1.PodRunning
	cs := fake.NewClientset(p.Driver, missingClaim(executorPod("1", corev1.PodPending, p.AppID)),
		missingClaim(executorPod("2", corev1.PodPending, p.AppID)))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out syncBuffer
	type result struct {
		code int
		err  error
	}
	done := make(chan result, 1)
	go func() {
		code, err := follow(ctx, cs, p, &out)
		done <- result{code, err}
	}()
	const line = `  2 unschedulable: 0/1 nodes are available: persistentvolumeclaim "OnDemand" not found. (executors 1, 2)`
	for strings.Count(out.String(), line) < 3 {
		select {
		case r := <-done:
			t.Fatalf("follow ended (%d, %v) before reporting the pending executors three times:\n%s", r.code, r.err, out.String())
		case <-ctx.Done():
			t.Fatalf("no pending executors reported three times:\n%s", out.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	if !strings.Contains(out.String(), "Executor pods pending: 2 of 2\n") {
		t.Errorf("no count of pending executors:\n%s", out.String())
	}
	// The driver says the API server refuses an executor pod.
	d := p.Driver.DeepCopy()
	d.Annotations = map[string]string{executors.RefusedAnnotation: "executor 3: exceeded quota: pods"}
	if _, err := cs.CoreV1().Pods("jobs").Update(ctx, d, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	const refused = "Executor pod refused by the API server, asked again until spark.kubernetes.allocation.executor.timeout: executor 3: exceeded quota: pods"
	for strings.Count(out.String(), refused) < 2 {
		select {
		case r := <-done:
			t.Fatalf("follow ended (%d, %v) before reporting the refused pod twice:\n%s", r.code, r.err, out.String())
		case <-ctx.Done():
			t.Fatalf("no refused pod reported twice:\n%s", out.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	// The executors give up (deleted); the driver then ends.
	for _, id := range []string{"1", "2"} {
		if err := cs.CoreV1().Pods("jobs").Delete(ctx, "app-exec-"+id, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	d = d.DeepCopy()
	d.Status.Phase = corev1.PodSucceeded
	d.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: pods.DriverContainer,
		State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 0}}}}
	if _, err := cs.CoreV1().Pods("jobs").UpdateStatus(ctx, d, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.code != 0 || r.err != nil {
		t.Fatalf("follow = %d, %v", r.code, r.err)
	}
}
