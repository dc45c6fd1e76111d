package executors

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

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
	m := &Manager{store: NewStore(), execs: map[string]*exec{}, now: time.Now, opts: Options{
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

// As Spark 4's allocator: the next batch waits until the pods of the last
// one are in the snapshot (not for their executors to register), and
// comes at most a batch at a time.
func TestAllocatorWaitsForItsLastBatchToBeSeen(t *testing.T) {
	var mu sync.Mutex
	m, cs, _ := manager(t, 12, 5, 10, map[string]bool{}, &mu)
	ctx := context.Background()
	round(ctx, m)
	if got := len(podNames(t, cs)); got != 5 {
		t.Fatalf("first round created %d pods, want a batch of 5", got)
	}
	round(ctx, m) // none seen yet: no new batch
	if got := len(podNames(t, cs)); got != 5 {
		t.Fatalf("second round with 5 pods not seen: %d pods, want still 5", got)
	}
	see(m, corev1.PodPending, "1", "2", "3", "4")
	round(ctx, m) // one still unseen
	if got := len(podNames(t, cs)); got != 5 {
		t.Fatalf("with one pod not seen: %d pods, want still 5", got)
	}
	see(m, corev1.PodPending, "5")
	round(ctx, m) // all seen, none registered: the next batch
	if got := len(podNames(t, cs)); got != 10 {
		t.Fatalf("after the first batch was seen (Pending, none registered): %d pods, want 10", got)
	}
	see(m, corev1.PodRunning, "6", "7", "8", "9", "10")
	round(ctx, m) // 2 more wanted
	round(ctx, m)
	if got := m.Created(); got != 12 {
		t.Fatalf("created %d, want 12 (target reached)", got)
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
	// The replacement exits with code 1: a second failure, one too many.
	m.store.Update(exitedPod("2", 1, false))
	m.lifecycle(ctx, m.store.Snapshot())
	if fatal == nil || !strings.Contains(fatal.Error(), "spark.executor.maxNumFailures=1") || !strings.Contains(fatal.Error(), "exited with code 1") {
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

// exitedPod is executor id's pod after its container exited with code;
// deleted sets its deletion timestamp.
func exitedPod(id string, code int32, deleted bool) *corev1.Pod {
	phase := corev1.PodFailed
	if code == 0 {
		phase = corev1.PodSucceeded
	}
	p := execPod(id, phase)
	p.Spec.Containers = []corev1.Container{{Name: pods.ExecContainer}}
	p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: pods.ExecContainer,
		State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{Reason: "Error", ExitCode: code}}}}
	if deleted {
		p.DeletionTimestamp = &metav1.Time{Time: time.Unix(1000, 0)}
	}
	return p
}

func TestDeletedPodsAndCleanExitsAreNotFailures(t *testing.T) {
	for _, c := range []struct {
		name string
		end  func(m *Manager, id string)
	}{
		{"pod gone (kubectl delete)", func(m *Manager, id string) {
			m.store.Update(execPod(id, corev1.PodRunning))
			_ = m.opts.Client.CoreV1().Pods("ns").Delete(context.Background(), "app-exec-"+id, metav1.DeleteOptions{})
			m.store.Delete(execPod(id, corev1.PodRunning))
		}},
		{"deleted, exited on SIGTERM", func(m *Manager, id string) { m.store.Update(exitedPod(id, 143, true)) }},
		{"deleted, exited 0", func(m *Manager, id string) { m.store.Update(exitedPod(id, 0, true)) }},
		{"exited 0 on its own", func(m *Manager, id string) { m.store.Update(exitedPod(id, 0, false)) }},
		{"deleted while its image could not be pulled", func(m *Manager, id string) {
			p := execPod(id, corev1.PodPending)
			p.DeletionTimestamp = &metav1.Time{Time: time.Unix(1000, 0)}
			p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: pods.ExecContainer,
				State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ErrImagePull"}}}}
			m.store.Update(p)
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			// 3 executors, Spark's default limit for them (6), and one
			// executor ended every round, 7 times: as many as would end
			// the application if these counted.
			var mu sync.Mutex
			m, cs, exits := manager(t, 3, 5, 6, map[string]bool{}, &mu)
			informer(m, cs)
			var fatal error
			m.opts.OnFatal = func(err error) { fatal = err }
			ctx := context.Background()
			m.allocate(ctx)
			for i := range 7 {
				id := strconv.Itoa(i + 1)
				c.end(m, id)
				m.lifecycle(ctx, m.store.Snapshot())
				m.allocate(ctx)
			}
			if fatal != nil || m.Failures() != 0 {
				t.Fatalf("%d failures counted, fatal %v; want none", m.Failures(), fatal)
			}
			if len(*exits) != 7 {
				t.Fatalf("driver heard of %d ended executors, want 7: %v", len(*exits), *exits)
			}
			if got := m.Created(); got != 10 {
				t.Fatalf("created %d pods, want 10 (3, and 7 replacements)", got)
			}
			if names := podNames(t, cs); len(names) != 3 {
				t.Fatalf("pods left: %v, want the 3 latest", names)
			}
		})
	}
}

func TestFailuresWhileNotDeletedCount(t *testing.T) {
	for _, c := range []struct {
		name string
		pod  *corev1.Pod
		want string
	}{
		{"exit code 1", exitedPod("1", 1, false), "exited with code 1"},
		{"killed by a signal, not deleted", exitedPod("1", 137, false), "137"},
		{"evicted by the kubelet", func() *corev1.Pod {
			p := execPod("1", corev1.PodFailed)
			p.Status.Reason, p.Status.Message = "Evicted", "The node was low on resource: memory."
			return p
		}(), "evicted"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var mu sync.Mutex
			m, _, exits := manager(t, 1, 5, 6, map[string]bool{}, &mu)
			ctx := context.Background()
			m.allocate(ctx)
			m.store.Update(c.pod)
			m.lifecycle(ctx, m.store.Snapshot())
			if m.Failures() != 1 || len(*exits) != 1 || !strings.Contains((*exits)[0], c.want) {
				t.Fatalf("failures %d, exits %v; want 1 failure and the exit reported with %q", m.Failures(), *exits, c.want)
			}
		})
	}
}

// deletions returns the grace periods of the pod deletions cs received, by
// pod name (-1: none given).
func deletions(cs *fake.Clientset) map[string]int64 {
	out := map[string]int64{}
	for _, a := range cs.Actions() {
		if d, ok := a.(k8stesting.DeleteActionImpl); ok && d.GetResource().Resource == "pods" {
			g := int64(-1)
			if d.DeleteOptions.GracePeriodSeconds != nil {
				g = *d.DeleteOptions.GracePeriodSeconds
			}
			out[d.Name] = g
		}
	}
	return out
}

func TestRetiredExecutorsAreNeitherReportedNorReplaced(t *testing.T) {
	var mu sync.Mutex
	m, cs, exits := manager(t, 3, 5, 0, map[string]bool{}, &mu)
	var fatal error
	m.opts.OnFatal = func(err error) { fatal = err }
	ctx := context.Background()
	m.allocate(ctx)
	if err := m.Delete(ctx, []string{"2"}, new(int64(30)), true); err != nil {
		t.Fatal(err)
	}
	if err := m.Delete(ctx, []string{"2"}, new(int64(30)), true); err != nil { // twice: the target drops once
		t.Fatal(err)
	}
	if got := deletions(cs); got["app-exec-2"] != 30 {
		t.Fatalf("deletions %v, want app-exec-2 with a 30 s grace period", got)
	}
	if got := m.Target(); got != 2 {
		t.Fatalf("target %d after decommissioning one of 3, want 2", got)
	}
	// Its pod ends as a deleted pod does (SIGTERM, exit 143), even with
	// no failure allowed.
	m.store.Update(exitedPod("2", 143, true))
	m.lifecycle(ctx, m.store.Snapshot())
	m.allocate(ctx)
	if fatal != nil || m.Failures() != 0 || len(*exits) != 0 {
		t.Fatalf("a retired executor's end: failures %d, exits %v, fatal %v; want none", m.Failures(), *exits, fatal)
	}
	if got := m.Created(); got != 3 {
		t.Fatalf("created %d, want 3: a retired executor is not replaced", got)
	}
}

func TestRetiringExecutorsDoNotCountAsAlive(t *testing.T) {
	var mu sync.Mutex
	m, cs, _ := manager(t, 3, 5, 6, map[string]bool{"1": true, "2": true, "3": true}, &mu)
	informer(m, cs)
	ctx := context.Background()
	round(ctx, m)
	if err := m.Delete(ctx, []string{"1"}, nil, true); err != nil {
		t.Fatal(err)
	}
	round(ctx, m)
	if got := m.Created(); got != 3 {
		t.Fatalf("created %d after a decommission, want still 3", got)
	}
	// The driver wants 3 again while executor 1 is still on its way out.
	m.SetTarget(3)
	round(ctx, m)
	if got := m.Created(); got != 4 {
		t.Fatalf("created %d with the target back at 3 and one executor retiring, want 4", got)
	}
}

func TestDeleteThatFailsDoesNotRetire(t *testing.T) {
	var mu sync.Mutex
	m, cs, exits := manager(t, 2, 5, 6, map[string]bool{}, &mu)
	ctx := context.Background()
	m.allocate(ctx)
	cs.PrependReactor("delete", "pods", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, "app-exec-1", errors.New("no"))
	})
	err := m.Delete(ctx, []string{"1"}, nil, true)
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "deleting pod app-exec-1 of executor 1") {
		t.Fatalf("Delete refused by the API server: %v, want the Forbidden error naming the pod", err)
	}
	if got := m.Target(); got != 2 {
		t.Fatalf("target %d after a refused decommission, want 2", got)
	}
	m.store.Update(exitedPod("1", 1, false))
	m.lifecycle(ctx, m.store.Snapshot())
	if m.Failures() != 1 || len(*exits) != 1 {
		t.Fatalf("executor not retired ended: failures %d, exits %v; want it counted and reported", m.Failures(), *exits)
	}
}

func TestLabel(t *testing.T) {
	var mu sync.Mutex
	m, cs, _ := manager(t, 2, 5, 6, map[string]bool{}, &mu)
	ctx := context.Background()
	m.allocate(ctx)
	if err := m.Label(ctx, []string{"2", "9"}, map[string]string{"spark-decommission": "true"}); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"app-exec-1": "", "app-exec-2": "true"} {
		p, err := cs.CoreV1().Pods("ns").Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got := p.Labels["spark-decommission"]; got != want {
			t.Fatalf("pod %s has spark-decommission=%q, want %q (labels %v)", name, got, want, p.Labels)
		}
		if p.Labels[pods.LabelExecID] == "" {
			t.Fatalf("labelling removed the pod's other labels: %v", p.Labels)
		}
	}
}

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
