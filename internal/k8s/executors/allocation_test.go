package executors

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/gospark/gospark/internal/k8s/pods"
)

// clock is a settable time for the manager.
type clock struct{ t time.Time }

func (c *clock) now() time.Time             { return c.t }
func (c *clock) advance(d time.Duration)    { c.t = c.t.Add(d) }
func newClock(m *Manager) *clock            { c := &clock{t: time.Unix(1_000_000, 0)}; m.now = c.now; return c }
func round(ctx context.Context, m *Manager) { m.lifecycle(ctx, m.store.Snapshot()); m.allocate(ctx) }

// informer makes the store see every pod the manager creates (Pending), as
// the informer would; without it, created pods stay unseen until the test
// puts them there (see). Call it before adding a reactor that refuses
// creates (reactors added later run first).
func informer(m *Manager, cs *fake.Clientset) {
	cs.PrependReactor("create", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		p := a.(k8stesting.CreateAction).GetObject().(*corev1.Pod).DeepCopy()
		p.Status.Phase = corev1.PodPending
		m.store.Update(p)
		return false, nil, nil
	})
}

// see puts the pods of the given executors in the store in a phase.
func see(m *Manager, phase corev1.PodPhase, ids ...string) {
	for _, id := range ids {
		m.store.Update(execPod(id, phase))
	}
}

func TestMaxPendingPodsLimitsPodsNotRunning(t *testing.T) {
	var mu sync.Mutex
	reg := map[string]bool{}
	m, cs, _ := manager(t, 6, 6, 10, reg, &mu)
	m.opts.MaxPending = 2
	newClock(m)
	ctx := context.Background()
	round(ctx, m)
	if got := podNames(t, cs); len(got) != 2 {
		t.Fatalf("first round created %v, want 2 pods (maxPendingPods=2, batch 6)", got)
	}
	// Seen Pending: they still count.
	see(m, corev1.PodPending, "1", "2")
	round(ctx, m)
	if got := podNames(t, cs); len(got) != 2 {
		t.Fatalf("with 2 pods Pending: %v, want still 2", got)
	}
	// One runs (not registered yet): one more may be asked for.
	see(m, corev1.PodRunning, "1")
	round(ctx, m)
	if got := podNames(t, cs); len(got) != 3 {
		t.Fatalf("with 1 running and 1 pending: %v, want 3 pods", got)
	}
	// The new one is not seen yet: it counts as pending.
	round(ctx, m)
	if got := podNames(t, cs); len(got) != 3 {
		t.Fatalf("with 1 pending and 1 not seen: %v, want still 3", got)
	}
	see(m, corev1.PodRunning, "2", "3")
	mu.Lock()
	reg["1"] = true
	mu.Unlock()
	round(ctx, m)
	if got := podNames(t, cs); len(got) != 5 {
		t.Fatalf("with none pending: %v, want 5 pods", got)
	}
	see(m, corev1.PodRunning, "4", "5")
	round(ctx, m)
	if got := m.Created(); got != 6 {
		t.Fatalf("created %d, want the 6 asked for", got)
	}
}

// An executor may register before its pod is reported Running: the pod
// is still pending.
func TestMaxPendingPodsCountsRegisteredExecutorsWhosePodsArePending(t *testing.T) {
	var mu sync.Mutex
	reg := map[string]bool{}
	m, cs, _ := manager(t, 4, 4, 10, reg, &mu)
	m.opts.MaxPending = 2
	newClock(m)
	ctx := context.Background()
	round(ctx, m)
	see(m, corev1.PodPending, "1", "2")
	mu.Lock()
	reg["1"], reg["2"] = true, true
	mu.Unlock()
	round(ctx, m)
	if got := podNames(t, cs); len(got) != 2 {
		t.Fatalf("with 2 registered executors whose pods are Pending: %v, want still 2 pods", got)
	}
	see(m, corev1.PodRunning, "1", "2")
	round(ctx, m)
	if got := podNames(t, cs); len(got) != 4 {
		t.Fatalf("once they run: %v, want 4 pods", got)
	}
}

func TestPodNotSeenInTimeIsReplacedAndCounted(t *testing.T) {
	var mu sync.Mutex
	m, cs, exits := manager(t, 1, 5, 10, map[string]bool{}, &mu)
	m.opts.Timeout = 10 * time.Second
	c := newClock(m)
	ctx := context.Background()
	round(ctx, m) // pod 1 created; the store never sees it
	c.advance(9 * time.Second)
	round(ctx, m)
	if len(*exits) != 0 || m.Failures() != 0 {
		t.Fatalf("before the timeout: exits %v, failures %d", *exits, m.Failures())
	}
	c.advance(2 * time.Second)
	round(ctx, m)
	if len(*exits) != 1 || !strings.Contains((*exits)[0], "not seen in the cluster 10s after it was requested (spark.kubernetes.allocation.executor.timeout)") {
		t.Fatalf("exits %v, want executor 1 given up for not being seen", *exits)
	}
	if m.Failures() != 1 {
		t.Fatalf("failures %d, want 1", m.Failures())
	}
	if got := podNames(t, cs); len(got) != 1 || got[0] != "app-exec-2" {
		t.Fatalf("pods %v, want pod 1 deleted and app-exec-2 asked for", got)
	}
}

// unschedulable is an executor pod the scheduler cannot place because a
// claim it mounts does not exist.
func unschedulable(id string) *corev1.Pod {
	p := execPod(id, corev1.PodPending)
	p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse,
		Reason: corev1.PodReasonUnschedulable, Message: `0/1 nodes are available: persistentvolumeclaim "OnDemand" not found.`}}
	return p
}

func TestPodPendingTooLongEndsAtTheFailureLimit(t *testing.T) {
	var mu sync.Mutex
	m, cs, exits := manager(t, 1, 5, 1, map[string]bool{}, &mu)
	m.opts.Timeout = 15 * time.Second
	var fatal error
	m.opts.OnFatal = func(err error) { fatal = err }
	c := newClock(m)
	ctx := context.Background()
	round(ctx, m)
	m.store.Update(unschedulable("1"))
	c.advance(10 * time.Second)
	round(ctx, m)
	if len(*exits) != 0 {
		t.Fatalf("exits %v before the timeout", *exits)
	}
	c.advance(6 * time.Second)
	round(ctx, m)
	want := `still pending 15s after it was requested (spark.kubernetes.allocation.executor.timeout): unschedulable: 0/1 nodes are available: persistentvolumeclaim "OnDemand" not found.`
	if len(*exits) != 1 || !strings.Contains((*exits)[0], want) {
		t.Fatalf("exits %v, want one saying %q", *exits, want)
	}
	if got := podNames(t, cs); len(got) != 1 || got[0] != "app-exec-2" {
		t.Fatalf("pods %v, want the pending pod deleted and app-exec-2 asked for", got)
	}
	if fatal != nil {
		t.Fatalf("fatal after 1 failure of 1 allowed: %v", fatal)
	}
	m.store.Update(unschedulable("2"))
	c.advance(16 * time.Second)
	round(ctx, m)
	if fatal == nil || !strings.Contains(fatal.Error(), "spark.executor.maxNumFailures=1") || !strings.Contains(fatal.Error(), `persistentvolumeclaim "OnDemand" not found`) {
		t.Fatalf("fatal = %v, want the failure limit and why", fatal)
	}
	if got := m.Created(); got != 2 {
		t.Fatalf("created %d after giving up, want 2", got)
	}
}

func TestPendingPodsAreNotGivenUpWithoutTimeoutNorWhenRunning(t *testing.T) {
	var mu sync.Mutex
	reg := map[string]bool{}
	m, _, exits := manager(t, 2, 5, 0, reg, &mu)
	m.opts.Timeout = 15 * time.Second
	c := newClock(m)
	ctx := context.Background()
	round(ctx, m)
	see(m, corev1.PodRunning, "1", "2")
	mu.Lock()
	reg["1"] = true // 2 runs but has not registered yet
	mu.Unlock()
	c.advance(time.Hour)
	round(ctx, m)
	if len(*exits) != 0 || m.Failures() != 0 {
		t.Fatalf("running pods given up: exits %v, failures %d", *exits, m.Failures())
	}
}

func TestRetiringPendingPodIsNotAFailure(t *testing.T) {
	var mu sync.Mutex
	m, _, exits := manager(t, 1, 5, 0, map[string]bool{}, &mu)
	m.opts.Timeout = 15 * time.Second
	c := newClock(m)
	ctx := context.Background()
	round(ctx, m)
	m.store.Update(unschedulable("1"))
	if err := m.Delete(ctx, []string{"1"}, nil, true); err != nil {
		t.Fatal(err)
	}
	c.advance(time.Minute)
	round(ctx, m)
	if len(*exits) != 0 || m.Failures() != 0 || m.Created() != 1 {
		t.Fatalf("decommissioned pending executor: exits %v, failures %d, created %d", *exits, m.Failures(), m.Created())
	}
}

// refuse makes the fake API server refuse creating pods with err while
// *on is true.
func refuse(cs interface {
	PrependReactor(verb, resource string, reaction k8stesting.ReactionFunc)
}, mu *sync.Mutex, on *bool, err error) {
	cs.PrependReactor("create", "pods", func(k8stesting.Action) (bool, runtime.Object, error) {
		mu.Lock()
		defer mu.Unlock()
		if *on {
			return true, nil, err
		}
		return false, nil, nil
	})
}

func quotaError() error {
	return apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, "app-exec-1",
		fmt.Errorf("exceeded quota: pods, requested: pods=1, used: pods=2, limited: pods=2"))
}

func TestRefusedPodIsAskedAgainUntilCreated(t *testing.T) {
	var mu sync.Mutex
	m, cs, exits := manager(t, 1, 5, 0, map[string]bool{}, &mu)
	m.opts.Timeout = 30 * time.Second
	c := newClock(m)
	on := true
	refuse(cs, &mu, &on, quotaError())
	ctx := context.Background()
	for range 3 {
		round(ctx, m)
		c.advance(5 * time.Second)
	}
	if m.Failures() != 0 || len(*exits) != 0 || m.Created() != 1 || len(podNames(t, cs)) != 0 {
		t.Fatalf("while refused: failures %d, exits %v, created %d, pods %v; want the same request waiting",
			m.Failures(), *exits, m.Created(), podNames(t, cs))
	}
	mu.Lock()
	on = false // the quota is lifted
	mu.Unlock()
	round(ctx, m)
	if got := podNames(t, cs); len(got) != 1 || got[0] != "app-exec-1" {
		t.Fatalf("pods %v, want app-exec-1 created at last", got)
	}
	if m.Failures() != 0 || m.Created() != 1 {
		t.Fatalf("failures %d, created %d; want 0 and 1", m.Failures(), m.Created())
	}
}

func TestRefusedPodPastTimeoutIsAFailure(t *testing.T) {
	var mu sync.Mutex
	m, cs, exits := manager(t, 1, 5, 0, map[string]bool{}, &mu)
	m.opts.Timeout = 15 * time.Second
	var fatal error
	m.opts.OnFatal = func(err error) { fatal = err }
	c := newClock(m)
	on := true
	refuse(cs, &mu, &on, quotaError())
	ctx := context.Background()
	round(ctx, m)
	c.advance(16 * time.Second)
	round(ctx, m)
	if fatal == nil || !strings.Contains(fatal.Error(), "pod not created within 15s (spark.kubernetes.allocation.executor.timeout)") ||
		!strings.Contains(fatal.Error(), "exceeded quota") {
		t.Fatalf("fatal = %v, want the timeout and the API's refusal", fatal)
	}
	if len(*exits) != 1 {
		t.Fatalf("exits %v, want executor 1 reported", *exits)
	}
}

func TestInvalidPodIsAFailureAtOnce(t *testing.T) {
	var mu sync.Mutex
	m, cs, _ := manager(t, 1, 5, 3, map[string]bool{}, &mu)
	newClock(m)
	on := true
	refuse(cs, &mu, &on, apierrors.NewInvalid(schema.GroupKind{Kind: "Pod"}, "app-exec-1", nil))
	ctx := context.Background()
	round(ctx, m)
	round(ctx, m)
	if m.Failures() != 2 || m.Created() != 2 {
		t.Fatalf("failures %d, created %d; want each invalid pod a failure and a new request", m.Failures(), m.Created())
	}
}

func TestRegisteredExecutorWhosePodIsMissingIsRemoved(t *testing.T) {
	var mu sync.Mutex
	reg := map[string]bool{}
	m, cs, exits := manager(t, 2, 5, 0, reg, &mu)
	m.opts.MissingDelta = 30 * time.Second
	c := newClock(m)
	ctx := context.Background()
	round(ctx, m)
	see(m, corev1.PodRunning, "1", "2")
	mu.Lock()
	reg["1"], reg["2"] = true, true
	mu.Unlock()
	round(ctx, m)
	// Pod 1 no longer carries executor 1's id: it is gone from the
	// listings as executor 1's pod, and no deletion was heard of.
	gone := execPod("1", corev1.PodRunning)
	gone.Labels[pods.LabelExecID] = "99"
	m.store.Update(gone)
	round(ctx, m)
	c.advance(29 * time.Second)
	round(ctx, m)
	if len(*exits) != 0 {
		t.Fatalf("exits %v before missingPodDetectDelta", *exits)
	}
	c.advance(2 * time.Second)
	round(ctx, m)
	want := "executor pod app-exec-1: pod missing from the cluster's listings for more than 30s (spark.kubernetes.executor.missingPodDetectDelta)"
	if len(*exits) != 1 || !strings.HasPrefix((*exits)[0], "1: "+want) {
		t.Fatalf("exits %v, want executor 1: %s", *exits, want)
	}
	if m.Failures() != 0 {
		t.Fatalf("failures %d: a missing pod is not a failure", m.Failures())
	}
	if got := podNames(t, cs); len(got) != 3 {
		t.Fatalf("pods %v, want a replacement for executor 1", got)
	}
}

// Dynamic allocation lowers the target while pods are still pending: those
// older than ExcessGrace are withdrawn (deleted, neither reported, counted
// nor replaced); running ones and recent requests stay.
func TestExcessPendingPodsAreWithdrawn(t *testing.T) {
	var mu sync.Mutex
	reg := map[string]bool{}
	m, cs, exits := manager(t, 4, 5, 0, reg, &mu)
	m.opts.ExcessGrace = 60 * time.Second
	c := newClock(m)
	ctx := context.Background()
	round(ctx, m)
	see(m, corev1.PodRunning, "1")
	mu.Lock()
	reg["1"] = true
	mu.Unlock()
	see(m, corev1.PodPending, "2", "3") // 4 not seen
	m.SetTarget(1)
	c.advance(30 * time.Second)
	round(ctx, m)
	if got := podNames(t, cs); len(got) != 4 {
		t.Fatalf("pods %v withdrawn before executorIdleTimeout", got)
	}
	c.advance(31 * time.Second)
	round(ctx, m)
	if got := podNames(t, cs); len(got) != 1 || got[0] != "app-exec-1" {
		t.Fatalf("pods %v, want the 3 pending withdrawn and the running one kept", got)
	}
	for _, id := range []string{"2", "3", "4"} {
		m.store.Delete(execPod(id, corev1.PodPending))
	}
	round(ctx, m)
	if len(*exits) != 0 || m.Failures() != 0 || m.Created() != 4 {
		t.Fatalf("withdrawn pods: exits %v, failures %d, created %d; want none reported, none counted, none replaced", *exits, m.Failures(), m.Created())
	}
	// The target rises again: new pods are asked for.
	m.SetTarget(2)
	round(ctx, m)
	if got := m.Created(); got != 5 {
		t.Fatalf("created %d after the target rose to 2, want 5", got)
	}
}
