package main

import (
	"context"
	"io"
	"log/slog"
	"net/netip"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"
)

func testController(t *testing.T, cs kubernetes.Interface, nodes int) *controller {
	t.Helper()
	c, err := newController(cs, slog.New(slog.NewTextHandler(io.Discard, nil)), options{
		nodes: nodes, prefix: "fake-node-", podCIDR: netip.MustParsePrefix("10.200.0.0/16"),
		cpu: "32", memory: "256Gi", maxPods: 500, workers: 4, heartbeat: time.Hour,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// eventually polls f until it returns true; the deadline is generous.
func eventually(t *testing.T, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func pod(ns, name, node string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, UID: types.UID("uid-" + name)},
		Spec: corev1.PodSpec{
			NodeName:   node,
			Containers: []corev1.Container{{Name: "main", Image: "gospark:dev"}, {Name: "side", Image: "busybox"}},
		},
		Status: corev1.PodStatus{Phase: corev1.PodPending},
	}
}

// startController runs a controller and returns once its nodes are
// registered and its pod informer watches (the fake clientset drops what
// happens between an informer's list and its watch).
func startController(t *testing.T, cs *fake.Clientset, nodes int) *controller {
	t.Helper()
	watching := make(chan struct{})
	var once sync.Once
	cs.PrependWatchReactor("pods", func(a clienttesting.Action) (bool, watch.Interface, error) {
		w, err := cs.Tracker().Watch(a.GetResource(), a.GetNamespace())
		once.Do(func() { close(watching) })
		return true, w, err
	})
	c := testController(t, cs, nodes)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	select {
	case <-watching:
	case <-time.After(30 * time.Second):
		t.Fatal("the controller does not watch pods")
	}
	eventually(t, "the nodes' leases", func() bool {
		l, err := cs.CoordinationV1().Leases(leaseNamespace).List(context.Background(), metav1.ListOptions{})
		return err == nil && len(l.Items) == nodes
	})
	return c
}

func TestNodesRegistered(t *testing.T) {
	cs := fake.NewClientset()
	startController(t, cs, 3)
	ctx := context.Background()
	for _, name := range []string{"fake-node-0", "fake-node-1", "fake-node-2"} {
		n, err := cs.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if n.Labels[labelKey] != labelValue {
			t.Errorf("%s labels %v, want %s=%s", name, n.Labels, labelKey, labelValue)
		}
		if len(n.Spec.Taints) != 1 || n.Spec.Taints[0].Key != taintKey || n.Spec.Taints[0].Effect != corev1.TaintEffectNoSchedule {
			t.Errorf("%s taints %v, want %s:NoSchedule", name, n.Spec.Taints, taintKey)
		}
		if got := n.Status.Allocatable.Cpu().String(); got != "32" {
			t.Errorf("%s allocatable cpu %s, want 32", name, got)
		}
		if got := n.Status.Allocatable.Memory().String(); got != "256Gi" {
			t.Errorf("%s allocatable memory %s, want 256Gi", name, got)
		}
		if got := n.Status.Allocatable.Pods().Value(); got != 500 {
			t.Errorf("%s allocatable pods %d, want 500", name, got)
		}
		if !ready(n) {
			t.Errorf("%s is not Ready: %v", name, n.Status.Conditions)
		}
		if _, err := cs.CoordinationV1().Leases(leaseNamespace).Get(ctx, name, metav1.GetOptions{}); err != nil {
			t.Errorf("%s lease: %v", name, err)
		}
	}
}

func ready(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func readyCondition(t *testing.T, n *corev1.Node) corev1.NodeCondition {
	t.Helper()
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c
		}
	}
	t.Fatalf("%s has no Ready condition", n.Name)
	return corev1.NodeCondition{}
}

func TestHeartbeatRenewsLeaseAndReady(t *testing.T) {
	cs := fake.NewClientset()
	c := testController(t, cs, 2)
	ctx := context.Background()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c.now = func() time.Time { return t0 }
	if err := c.registerNodes(ctx); err != nil {
		t.Fatal(err)
	}
	t1 := t0.Add(time.Minute)
	c.now = func() time.Time { return t1 }
	// A node deleted from outside comes back.
	if err := cs.CoreV1().Nodes().Delete(ctx, "fake-node-1", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := c.heartbeat(ctx); err != nil {
		t.Fatal(err)
	}
	n, err := cs.CoreV1().Nodes().Get(ctx, "fake-node-0", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cond := readyCondition(t, n)
	if cond.Status != corev1.ConditionTrue || !cond.LastHeartbeatTime.Time.Equal(t1) || !cond.LastTransitionTime.Time.Equal(t0) {
		t.Errorf("Ready condition %+v: want True, heartbeat %s, transition %s", cond, t1, t0)
	}
	l, err := cs.CoordinationV1().Leases(leaseNamespace).Get(ctx, "fake-node-0", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if l.Spec.RenewTime == nil || !l.Spec.RenewTime.Time.Equal(t1) {
		t.Errorf("lease renewed at %v, want %s", l.Spec.RenewTime, t1)
	}
	if _, err := cs.CoreV1().Nodes().Get(ctx, "fake-node-1", metav1.GetOptions{}); err != nil {
		t.Errorf("deleted node not registered again: %v", err)
	}
}

func TestBoundPodsRun(t *testing.T) {
	cs := fake.NewClientset()
	startController(t, cs, 2)
	ctx := context.Background()
	real := pod("ns", "real", "gospark-node")
	withInit := pod("ns", "b", "fake-node-1")
	withInit.Spec.InitContainers = []corev1.Container{{Name: "init", Image: "busybox"}}
	for _, p := range []*corev1.Pod{real, pod("ns", "a", "fake-node-0"), withInit, pod("other", "a", "fake-node-0")} {
		if _, err := cs.CoreV1().Pods(p.Namespace).Create(ctx, p, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	ips := map[string]string{}
	for _, key := range [][2]string{{"ns", "a"}, {"ns", "b"}, {"other", "a"}} {
		var p *corev1.Pod
		eventually(t, key[0]+"/"+key[1]+" Running", func() bool {
			var err error
			p, err = cs.CoreV1().Pods(key[0]).Get(ctx, key[1], metav1.GetOptions{})
			return err == nil && p.Status.Phase == corev1.PodRunning
		})
		ip, err := netip.ParseAddr(p.Status.PodIP)
		if err != nil || !netip.MustParsePrefix("10.200.0.0/16").Contains(ip) {
			t.Errorf("%s/%s IP %q, want one in 10.200.0.0/16", p.Namespace, p.Name, p.Status.PodIP)
		}
		if prev, dup := ips[p.Status.PodIP]; dup {
			t.Errorf("%s/%s has the IP of %s: %s", p.Namespace, p.Name, prev, p.Status.PodIP)
		}
		ips[p.Status.PodIP] = p.Namespace + "/" + p.Name
		if len(p.Status.PodIPs) != 1 || p.Status.PodIPs[0].IP != p.Status.PodIP || p.Status.HostIP == "" {
			t.Errorf("%s/%s podIPs %v hostIP %q", p.Namespace, p.Name, p.Status.PodIPs, p.Status.HostIP)
		}
		if len(p.Status.ContainerStatuses) != 2 {
			t.Fatalf("%s/%s container statuses %v, want 2", p.Namespace, p.Name, p.Status.ContainerStatuses)
		}
		for _, s := range p.Status.ContainerStatuses {
			if !s.Ready || s.Started == nil || !*s.Started || s.State.Running == nil {
				t.Errorf("%s/%s container %s: %+v, want running, started and ready", p.Namespace, p.Name, s.Name, s)
			}
		}
		for _, cond := range []corev1.PodConditionType{corev1.PodReady, corev1.ContainersReady, corev1.PodInitialized} {
			found := false
			for _, c := range p.Status.Conditions {
				found = found || (c.Type == cond && c.Status == corev1.ConditionTrue)
			}
			if !found {
				t.Errorf("%s/%s has no condition %s=True: %v", p.Namespace, p.Name, cond, p.Status.Conditions)
			}
		}
	}
	b, err := cs.CoreV1().Pods("ns").Get(ctx, "b", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Status.InitContainerStatuses) != 1 || b.Status.InitContainerStatuses[0].State.Terminated == nil ||
		b.Status.InitContainerStatuses[0].State.Terminated.ExitCode != 0 {
		t.Errorf("init container statuses %v, want one terminated with 0", b.Status.InitContainerStatuses)
	}
	// The real node's pod is the kubelet's business.
	r, err := cs.CoreV1().Pods("ns").Get(ctx, "real", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Status.Phase != corev1.PodPending || r.Status.PodIP != "" {
		t.Errorf("pod on the real node changed: phase %s IP %q", r.Status.Phase, r.Status.PodIP)
	}
}

func TestDeletingPodIsRemoved(t *testing.T) {
	cs := fake.NewClientset()
	startController(t, cs, 1)
	ctx := context.Background()
	p := pod("ns", "gone", "fake-node-0")
	if _, err := cs.CoreV1().Pods("ns").Create(ctx, p, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "ns/gone Running", func() bool {
		got, err := cs.CoreV1().Pods("ns").Get(ctx, "gone", metav1.GetOptions{})
		return err == nil && got.Status.Phase == corev1.PodRunning
	})
	// What the API server does on a graceful delete: the pod stays, marked.
	got, err := cs.CoreV1().Pods("ns").Get(ctx, "gone", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	now := metav1.Now()
	got.DeletionTimestamp = &now
	if _, err := cs.CoreV1().Pods("ns").Update(ctx, got, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "ns/gone deleted", func() bool {
		_, err := cs.CoreV1().Pods("ns").Get(ctx, "gone", metav1.GetOptions{})
		return apierrors.IsNotFound(err)
	})
}

func TestCleanupAndShutdown(t *testing.T) {
	cs := fake.NewClientset()
	ctx := context.Background()
	c := testController(t, cs, 3)
	if err := c.registerNodes(ctx); err != nil {
		t.Fatal(err)
	}
	// A node with the prefix that is not fake stays.
	if _, err := cs.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "fake-node-9"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []*corev1.Pod{pod("ns", "a", "fake-node-0"), pod("ns", "b", "fake-node-2"), pod("ns", "real", "gospark-node"), pod("ns", "c", "fake-node-9")} {
		if _, err := cs.CoreV1().Pods(p.Namespace).Create(ctx, p, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	// Cleanup finds the fake nodes by label, whatever -nodes says.
	if err := testController(t, cs, 0).cleanup(ctx); err != nil {
		t.Fatal(err)
	}
	nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(nodes.Items) != 1 || nodes.Items[0].Name != "fake-node-9" {
		t.Errorf("nodes after cleanup %v, want only fake-node-9", nodes.Items)
	}
	pods, err := cs.CoreV1().Pods("ns").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	left := map[string]bool{}
	for _, p := range pods.Items {
		left[p.Name] = true
	}
	if len(left) != 2 || !left["real"] || !left["c"] {
		t.Errorf("pods after cleanup %v, want real and c", left)
	}
	leases, err := cs.CoordinationV1().Leases(leaseNamespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(leases.Items) != 0 {
		t.Errorf("%d leases left after cleanup", len(leases.Items))
	}

	// Shutdown deletes the controller's own nodes and Leases.
	if err := c.registerNodes(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.deleteNodes(ctx); err != nil {
		t.Fatal(err)
	}
	nodes, _ = cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	leases, _ = cs.CoordinationV1().Leases(leaseNamespace).List(ctx, metav1.ListOptions{})
	if len(nodes.Items) != 1 || len(leases.Items) != 0 {
		t.Errorf("after shutdown: %d nodes (want fake-node-9 only), %d leases", len(nodes.Items), len(leases.Items))
	}
}

func TestIPPool(t *testing.T) {
	p, err := newIPPool(netip.MustParsePrefix("10.200.0.0/30"))
	if err != nil {
		t.Fatal(err)
	}
	a, err := p.take("a")
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := p.take("a"); again != a {
		t.Errorf("take(a) twice: %s then %s", a, again)
	}
	b, err := p.take("b")
	if err != nil {
		t.Fatal(err)
	}
	if a == b || a == "10.200.0.0" || b == "10.200.0.3" || a == "10.200.0.3" || b == "10.200.0.0" {
		t.Errorf("addresses %s and %s: want 10.200.0.1 and 10.200.0.2", a, b)
	}
	if _, err := p.take("c"); err == nil {
		t.Error("a third address from a /30: want an error")
	}
	p.release("a")
	if c, err := p.take("c"); err != nil || c != a {
		t.Errorf("after release: %q, %v; want %s", c, err, a)
	}
	if _, err := newIPPool(netip.MustParsePrefix("fd00::/64")); err == nil {
		t.Error("an IPv6 range: want an error")
	}
}
