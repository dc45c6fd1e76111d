package launch

import (
	"bytes"
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/gospark/gospark/internal/k8s/pods"
)

func driverPod(name, app string) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "jobs",
		Labels: map[string]string{pods.LabelAppSelector: app, pods.LabelRole: string(pods.Driver)}},
		Spec:   corev1.PodSpec{Containers: []corev1.Container{{Name: pods.DriverContainer}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning}}
}

// --status shows what keeps a running driver waiting: its executor pods
// that no node can take, and the scheduler's reason.
func TestStatusShowsPendingExecutorsAndWhy(t *testing.T) {
	const why = "0/1 nodes are available: 1 Insufficient memory."
	unschedulable := func(id string) *corev1.Pod {
		p := executorPod(id, corev1.PodPending, "spark-a")
		p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse,
			Reason: corev1.PodReasonUnschedulable, Message: why}}
		return p
	}
	other := executorPod("9", corev1.PodPending, "spark-b") // another application's
	other.Name = "b-exec-9"
	cs := fake.NewClientset(driverPod("a-driver", "spark-a"), unschedulable("1"), unschedulable("2"),
		executorPod("3", corev1.PodRunning, "spark-a"), other)
	var out bytes.Buffer
	if err := Status(context.Background(), cs, "jobs", "a-driver", &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"\t phase: Running\n",
		"\t executor pods: 3 (1 running)\n",
		"\t Executor pods pending: 2 of 3\n",
		"\t   2 unschedulable: " + why + " (executors 1, 2)\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("--status does not say %q:\n%s", want, out.String())
		}
	}
}

// After the driver failed, --status shows why: the termination message the
// driver left.
func TestStatusShowsTheDriversTerminationMessage(t *testing.T) {
	const msg = "spark: 3 executor failures, more than spark.executor.maxNumFailures=2 allows"
	d := driverPod("a-driver", "spark-a")
	d.Status.Phase = corev1.PodFailed
	d.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: pods.DriverContainer,
		State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 1, Reason: "Error", Message: msg}}}}
	cs := fake.NewClientset(d)
	var out bytes.Buffer
	if err := Status(context.Background(), cs, "jobs", "a-*", &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"\t problem: container " + pods.DriverContainer + " exited with code 1: " + msg + "\n", "\t executor pods: 0 (0 running)\n"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("--status does not say %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "pending") {
		t.Errorf("--status reports pending executors of an ended driver:\n%s", out.String())
	}
}
