package executors

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/gospark/gospark/internal/k8s/pods"
)

func execPod(id string, phase corev1.PodPhase) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "app-exec-" + id, Namespace: "ns",
		Labels: map[string]string{pods.LabelAppSelector: "app", pods.LabelRole: "executor", pods.LabelExecID: id}},
		Status: corev1.PodStatus{Phase: phase}}
}

// manager builds a Manager without starting its goroutines: rounds are
// driven by the test.
func manager(t *testing.T, instances, batch, maxFailures int, registered map[string]bool, mu *sync.Mutex) (*Manager, *fake.Clientset, *[]string) {
	t.Helper()
	cs := fake.NewClientset()
	var exits []string
	m := &Manager{store: NewStore(), execs: map[string]*exec{}, opts: Options{
		Client: cs, Namespace: "ns", AppID: "app", Instances: instances, BatchSize: batch, MaxFailures: maxFailures,
		DeleteOnTermination: true,
		NewPod:              func(id string) (*corev1.Pod, error) { return execPod(id, ""), nil },
		Registered: func(id string) bool {
			mu.Lock()
			defer mu.Unlock()
			return registered[id]
		},
		OnExit: func(id, reason string) { exits = append(exits, id+": "+reason) },
	}}
	m.opts.Log = discard()
	return m, cs, &exits
}

func podNames(t *testing.T, cs *fake.Clientset) []string {
	t.Helper()
	list, err := cs.CoreV1().Pods("ns").List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range list.Items {
		out = append(out, p.Name)
	}
	return out
}

func TestAllocatorKeepsAtMostABatchPending(t *testing.T) {
	var mu sync.Mutex
	reg := map[string]bool{}
	m, cs, _ := manager(t, 7, 5, 10, reg, &mu)
	ctx := context.Background()
	m.allocate(ctx)
	if got := len(podNames(t, cs)); got != 5 {
		t.Fatalf("first round created %d pods, want a batch of 5", got)
	}
	m.allocate(ctx) // none registered: five are pending, no room
	if got := len(podNames(t, cs)); got != 5 {
		t.Fatalf("second round with 5 pending: %d pods, want still 5", got)
	}
	mu.Lock()
	reg["1"], reg["2"], reg["3"] = true, true, true
	mu.Unlock()
	m.allocate(ctx) // 2 pending, 3 room, but only 2 more wanted
	if got := len(podNames(t, cs)); got != 7 {
		t.Fatalf("after 3 registered: %d pods, want 7", got)
	}
	m.allocate(ctx)
	if got := m.Created(); got != 7 {
		t.Fatalf("created %d, want 7 (target reached)", got)
	}
}

func TestLifecycleReplacesFailedAndGivesUp(t *testing.T) {
	var mu sync.Mutex
	m, cs, exits := manager(t, 1, 5, 1, map[string]bool{}, &mu)
	var fatal error
	m.opts.OnFatal = func(err error) { fatal = err }
	ctx := context.Background()
	m.allocate(ctx)

	oom := execPod("1", corev1.PodFailed)
	oom.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: pods.ExecContainer,
		State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{Reason: "OOMKilled", ExitCode: 137}}}}
	m.store.Update(oom)
	m.lifecycle(ctx, m.store.Snapshot())
	if len(*exits) != 1 || !strings.Contains((*exits)[0], "OOMKilled") {
		t.Fatalf("exits %v, want executor 1 OOMKilled", *exits)
	}
	if names := podNames(t, cs); len(names) != 0 {
		t.Fatalf("ended pod not deleted: %v", names)
	}
	m.allocate(ctx)
	if names := podNames(t, cs); len(names) != 1 || names[0] != "app-exec-2" {
		t.Fatalf("replacement: %v, want app-exec-2", names)
	}
	if fatal != nil {
		t.Fatalf("fatal after one failure of one allowed: %v", fatal)
	}
	// The replacement is deleted by someone: a second failure, one too many.
	m.store.Update(execPod("2", corev1.PodRunning))
	m.store.Delete(execPod("2", corev1.PodRunning))
	m.lifecycle(ctx, m.store.Snapshot())
	if fatal == nil || !strings.Contains(fatal.Error(), "spark.executor.maxNumFailures=1") || !strings.Contains(fatal.Error(), "pod deleted") {
		t.Fatalf("fatal = %v", fatal)
	}
	m.allocate(ctx)
	if got := m.Created(); got != 2 {
		t.Fatalf("created %d after giving up, want 2", got)
	}
}

func TestStoppingDoesNotCountExits(t *testing.T) {
	var mu sync.Mutex
	m, _, exits := manager(t, 1, 5, 0, map[string]bool{}, &mu)
	ctx := context.Background()
	m.allocate(ctx)
	m.BeginStop()
	m.store.Update(execPod("1", corev1.PodSucceeded))
	m.lifecycle(ctx, m.store.Snapshot())
	if m.Failures() != 0 || len(*exits) != 0 {
		t.Fatalf("failures %d exits %v while stopping", m.Failures(), *exits)
	}
}

func TestStoreReplaceKeepsNewerWatchState(t *testing.T) {
	s := NewStore()
	now := time.Unix(1000, 0)
	s.now = func() time.Time { return now }
	s.Update(execPod("1", corev1.PodRunning)) // seen at 1000
	listed := now.Add(-time.Second)           // a listing that began before the watch event
	s.Replace(nil, listed)
	if snap := s.Snapshot(); len(snap.Pods) != 1 || len(snap.Deleted) != 0 {
		t.Fatalf("an older listing removed a pod the watch saw later: %+v", snap)
	}
	s.Replace(nil, now.Add(time.Second))
	if snap := s.Snapshot(); len(snap.Pods) != 0 || len(snap.Deleted) != 1 {
		t.Fatalf("a newer listing without the pod did not delete it: %+v", snap)
	}
	inactive := execPod("2", corev1.PodSucceeded)
	inactive.Labels[pods.LabelExecInactive] = "true"
	s.Update(inactive)
	if snap := s.Snapshot(); len(snap.Pods) != 0 {
		t.Fatalf("an inactive pod is in the snapshot: %+v", snap)
	}
}

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
