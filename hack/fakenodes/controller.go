package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	listersv1 "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/retry"
	"k8s.io/client-go/util/workqueue"
)

const (
	// labelKey/labelValue mark the fake nodes; pods select them with it.
	labelKey   = "type"
	labelValue = "gospark-fake"
	// taintKey keeps pods that do not tolerate it off the fake nodes.
	taintKey   = "gospark.dev/fake-node"
	taintValue = "true"
	// leaseNamespace holds the nodes' heartbeat Leases, as the kubelet's.
	leaseNamespace = "kube-node-lease"
)

type options struct {
	nodes     int
	prefix    string
	podCIDR   netip.Prefix
	cpu       string
	memory    string
	maxPods   int
	workers   int
	heartbeat time.Duration
}

type controller struct {
	cs       kubernetes.Interface
	log      *slog.Logger
	opt      options
	capacity corev1.ResourceList
	names    map[string]bool
	now      func() time.Time
	ips      *ipPool
}

func newController(cs kubernetes.Interface, log *slog.Logger, opt options) (*controller, error) {
	if opt.nodes < 0 {
		return nil, fmt.Errorf("-nodes %d: must be 0 or more", opt.nodes)
	}
	if opt.workers < 1 {
		opt.workers = 1
	}
	if opt.heartbeat <= 0 {
		opt.heartbeat = 10 * time.Second
	}
	cpu, err := resource.ParseQuantity(opt.cpu)
	if err != nil {
		return nil, fmt.Errorf("-cpu %q: %w", opt.cpu, err)
	}
	mem, err := resource.ParseQuantity(opt.memory)
	if err != nil {
		return nil, fmt.Errorf("-memory %q: %w", opt.memory, err)
	}
	if opt.maxPods < 1 {
		return nil, fmt.Errorf("-max-pods %d: must be 1 or more", opt.maxPods)
	}
	ips, err := newIPPool(opt.podCIDR)
	if err != nil {
		return nil, err
	}
	c := &controller{
		cs: cs, log: log, opt: opt, now: time.Now, ips: ips, names: map[string]bool{},
		capacity: corev1.ResourceList{
			corev1.ResourceCPU:              cpu,
			corev1.ResourceMemory:           mem,
			corev1.ResourcePods:             *resource.NewQuantity(int64(opt.maxPods), resource.DecimalSI),
			corev1.ResourceEphemeralStorage: resource.MustParse("1Ti"),
		},
	}
	for i := range opt.nodes {
		c.names[c.nodeName(i)] = true
	}
	return c, nil
}

func (c *controller) nodeName(i int) string { return c.opt.prefix + strconv.Itoa(i) }

// run registers the nodes, then keeps them Ready and their pods Running
// until ctx ends.
func (c *controller) run(ctx context.Context) error {
	// The API server may still be starting (hack/cluster starts this with
	// the cluster): try until the nodes are registered.
	for {
		err := c.registerNodes(ctx)
		if err == nil {
			break
		}
		c.log.Info("registering the nodes", "error", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
	factory := informers.NewSharedInformerFactory(c.cs, 0)
	pods := factory.Core().V1().Pods()
	queue := workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[string]())
	defer queue.ShutDown()
	enqueue := func(obj any) {
		if p, ok := obj.(*corev1.Pod); ok && !c.names[p.Spec.NodeName] {
			return
		}
		if key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj); err == nil {
			queue.Add(key)
		}
	}
	if _, err := pods.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    enqueue,
		UpdateFunc: func(_, obj any) { enqueue(obj) },
		DeleteFunc: enqueue,
	}); err != nil {
		return err
	}
	factory.Start(ctx.Done())
	defer factory.Shutdown()
	if !cache.WaitForCacheSync(ctx.Done(), pods.Informer().HasSynced) {
		return ctx.Err()
	}
	c.log.Info("fake nodes ready", "nodes", c.opt.nodes, "prefix", c.opt.prefix, "podCIDR", c.opt.podCIDR)
	var wg sync.WaitGroup
	for range c.opt.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c.next(ctx, queue, pods.Lister()) {
			}
		}()
	}
	tick := time.NewTicker(c.opt.heartbeat)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			queue.ShutDown()
			wg.Wait()
			return ctx.Err()
		case <-tick.C:
			if err := c.heartbeat(ctx); err != nil {
				c.log.Warn("heartbeat", "error", err)
			}
		}
	}
}

// next handles one queued pod; false once the queue is shut down.
func (c *controller) next(ctx context.Context, queue workqueue.TypedRateLimitingInterface[string], lister listersv1.PodLister) bool {
	key, quit := queue.Get()
	if quit {
		return false
	}
	defer queue.Done(key)
	if err := c.syncPod(ctx, key, lister); err != nil {
		if ctx.Err() == nil {
			c.log.Warn("pod", "pod", key, "error", err)
			queue.AddRateLimited(key)
		}
		return true
	}
	queue.Forget(key)
	return true
}

// syncPod brings one pod bound to a fake node to what a kubelet would
// make of it: Running with an IP, or gone once it is being deleted.
func (c *controller) syncPod(ctx context.Context, key string, lister listersv1.PodLister) error {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return err
	}
	pod, err := lister.Pods(ns).Get(name)
	if apierrors.IsNotFound(err) {
		c.ips.release(key)
		return nil
	}
	if err != nil {
		return err
	}
	if !c.names[pod.Spec.NodeName] {
		return nil
	}
	if pod.DeletionTimestamp != nil {
		return c.deletePod(ctx, pod)
	}
	if pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
		c.ips.release(key)
		return nil
	}
	if pod.Status.Phase == corev1.PodRunning && pod.Status.PodIP != "" {
		// Running already (perhaps made so by an earlier run of this
		// controller): its address stays taken.
		c.ips.hold(key, pod.Status.PodIP)
		return nil
	}
	ip, err := c.ips.take(key)
	if err != nil {
		return err
	}
	running := pod.DeepCopy()
	c.setRunning(running, ip)
	if _, err := c.cs.CoreV1().Pods(ns).UpdateStatus(ctx, running, metav1.UpdateOptions{}); err != nil {
		if apierrors.IsNotFound(err) {
			c.ips.release(key)
			return nil
		}
		return fmt.Errorf("pod %s to Running: %w", key, err)
	}
	return nil
}

func (c *controller) deletePod(ctx context.Context, pod *corev1.Pod) error {
	uid := pod.UID
	err := c.cs.CoreV1().Pods(pod.Namespace).Delete(ctx, pod.Name, metav1.DeleteOptions{
		GracePeriodSeconds: new(int64),
		Preconditions:      &metav1.Preconditions{UID: &uid},
	})
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		return fmt.Errorf("deleting pod %s/%s: %w", pod.Namespace, pod.Name, err)
	}
	c.ips.release(pod.Namespace + "/" + pod.Name)
	return nil
}

// setRunning fills pod's status as a kubelet would for a pod whose
// containers all started and are ready.
func (c *controller) setRunning(pod *corev1.Pod, ip string) {
	now := metav1.NewTime(c.now())
	st := &pod.Status
	st.Phase = corev1.PodRunning
	st.HostIP = c.nodeIP(pod.Spec.NodeName)
	st.HostIPs = []corev1.HostIP{{IP: st.HostIP}}
	st.PodIP = ip
	st.PodIPs = []corev1.PodIP{{IP: ip}}
	if st.StartTime == nil {
		st.StartTime = &now
	}
	for _, t := range []corev1.PodConditionType{corev1.PodScheduled, corev1.PodInitialized, corev1.ContainersReady, corev1.PodReady} {
		setCondition(st, corev1.PodCondition{Type: t, Status: corev1.ConditionTrue, LastTransitionTime: now})
	}
	status := func(ctr corev1.Container, state corev1.ContainerState, ready bool) corev1.ContainerStatus {
		started := true
		return corev1.ContainerStatus{
			Name: ctr.Name, Image: ctr.Image, ImageID: "fake://" + ctr.Image,
			ContainerID: "fake://" + string(pod.UID) + "/" + ctr.Name,
			State:       state, Ready: ready, Started: &started,
		}
	}
	st.InitContainerStatuses = nil
	for _, ctr := range pod.Spec.InitContainers {
		st.InitContainerStatuses = append(st.InitContainerStatuses, status(ctr, corev1.ContainerState{
			Terminated: &corev1.ContainerStateTerminated{Reason: "Completed", StartedAt: now, FinishedAt: now},
		}, true))
	}
	st.ContainerStatuses = nil
	for _, ctr := range pod.Spec.Containers {
		st.ContainerStatuses = append(st.ContainerStatuses, status(ctr, corev1.ContainerState{
			Running: &corev1.ContainerStateRunning{StartedAt: now},
		}, true))
	}
}

func setCondition(st *corev1.PodStatus, cond corev1.PodCondition) {
	for i := range st.Conditions {
		if st.Conditions[i].Type == cond.Type {
			if st.Conditions[i].Status == cond.Status {
				return
			}
			st.Conditions[i] = cond
			return
		}
	}
	st.Conditions = append(st.Conditions, cond)
}

// nodeIP is a fake node's address: 10.201.x.y from its index, outside
// every range pods and services use.
func (c *controller) nodeIP(node string) string {
	i, _ := strconv.Atoi(strings.TrimPrefix(node, c.opt.prefix))
	return fmt.Sprintf("10.201.%d.%d", (i/250)%256, i%250+1)
}

// node is the Node object of fake node i, status included.
func (c *controller) node(i int) *corev1.Node {
	name := c.nodeName(i)
	n := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name: name,
			Labels: map[string]string{
				labelKey:                 labelValue,
				"kubernetes.io/hostname": name,
				"kubernetes.io/os":       "linux",
				"kubernetes.io/arch":     "amd64",
				"kubernetes.io/role":     "agent",
			},
			Annotations: map[string]string{"node.alpha.kubernetes.io/ttl": "0"},
		},
		Spec: corev1.NodeSpec{
			Taints: []corev1.Taint{{Key: taintKey, Value: taintValue, Effect: corev1.TaintEffectNoSchedule}},
		},
	}
	c.setNodeStatus(n)
	return n
}

func (c *controller) setNodeStatus(n *corev1.Node) {
	now := metav1.NewTime(c.now())
	n.Status.Capacity = c.capacity.DeepCopy()
	n.Status.Allocatable = c.capacity.DeepCopy()
	n.Status.Phase = corev1.NodeRunning
	n.Status.Addresses = []corev1.NodeAddress{
		{Type: corev1.NodeInternalIP, Address: c.nodeIP(n.Name)},
		{Type: corev1.NodeHostName, Address: n.Name},
	}
	n.Status.NodeInfo = corev1.NodeSystemInfo{
		Architecture: "amd64", OperatingSystem: "linux", KubeletVersion: "fake", KubeProxyVersion: "fake",
		ContainerRuntimeVersion: "fake://0", OSImage: "gospark fake node",
	}
	conds := []corev1.NodeCondition{
		{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady", Message: "fake node"},
		{Type: corev1.NodeMemoryPressure, Status: corev1.ConditionFalse, Reason: "KubeletHasSufficientMemory"},
		{Type: corev1.NodeDiskPressure, Status: corev1.ConditionFalse, Reason: "KubeletHasNoDiskPressure"},
		{Type: corev1.NodePIDPressure, Status: corev1.ConditionFalse, Reason: "KubeletHasSufficientPID"},
		{Type: corev1.NodeNetworkUnavailable, Status: corev1.ConditionFalse, Reason: "RouteCreated"},
	}
	old := map[corev1.NodeConditionType]corev1.NodeCondition{}
	for _, cond := range n.Status.Conditions {
		old[cond.Type] = cond
	}
	for i := range conds {
		conds[i].LastHeartbeatTime = now
		conds[i].LastTransitionTime = now
		if o, ok := old[conds[i].Type]; ok && o.Status == conds[i].Status {
			conds[i].LastTransitionTime = o.LastTransitionTime
		}
	}
	n.Status.Conditions = conds
}

// registerNodes creates the nodes that are missing and brings the status
// of all of them up to date.
func (c *controller) registerNodes(ctx context.Context) error {
	for i := range c.opt.nodes {
		want := c.node(i)
		got, err := c.cs.CoreV1().Nodes().Create(ctx, want, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			got, err = c.cs.CoreV1().Nodes().Get(ctx, want.Name, metav1.GetOptions{})
			if err == nil && got.Labels[labelKey] != labelValue {
				return fmt.Errorf("node %s exists and is not a fake node (no label %s=%s)", want.Name, labelKey, labelValue)
			}
		}
		if err != nil {
			return fmt.Errorf("node %s: %w", want.Name, err)
		}
		// The API server may drop a created node's status.
		if err := c.updateNodeStatus(ctx, want.Name); err != nil {
			return err
		}
	}
	return c.heartbeat(ctx)
}

// heartbeat renews every node's Lease and Ready condition, as a kubelet
// does, so that the node lifecycle controller keeps them Ready.
func (c *controller) heartbeat(ctx context.Context) error {
	var errs []error
	for i := range c.opt.nodes {
		name := c.nodeName(i)
		if err := c.renewLease(ctx, name); err != nil {
			errs = append(errs, err)
		}
		err := c.updateNodeStatus(ctx, name)
		if apierrors.IsNotFound(err) {
			// Deleted from outside: registered again.
			_, err = c.cs.CoreV1().Nodes().Create(ctx, c.node(i), metav1.CreateOptions{})
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// updateNodeStatus renews a node's status, again on conflicts (the node
// lifecycle controller updates new nodes too).
func (c *controller) updateNodeStatus(ctx context.Context, name string) error {
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		n, err := c.cs.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return fmt.Errorf("node %s: %w", name, err)
		}
		n = n.DeepCopy()
		c.setNodeStatus(n)
		if _, err := c.cs.CoreV1().Nodes().UpdateStatus(ctx, n, metav1.UpdateOptions{}); err != nil {
			return fmt.Errorf("node %s status: %w", name, err)
		}
		return nil
	})
}

func (c *controller) renewLease(ctx context.Context, node string) error {
	leases := c.cs.CoordinationV1().Leases(leaseNamespace)
	now := metav1.NewMicroTime(c.now())
	secs := int32(4 * c.opt.heartbeat / time.Second)
	l, err := leases.Get(ctx, node, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		holder := node
		_, err = leases.Create(ctx, &coordinationv1.Lease{
			ObjectMeta: metav1.ObjectMeta{Name: node, Namespace: leaseNamespace, Labels: map[string]string{labelKey: labelValue}},
			Spec:       coordinationv1.LeaseSpec{HolderIdentity: &holder, LeaseDurationSeconds: &secs, RenewTime: &now},
		}, metav1.CreateOptions{})
		if err != nil {
			return fmt.Errorf("lease %s: %w", node, err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("lease %s: %w", node, err)
	}
	l = l.DeepCopy()
	l.Spec.RenewTime = &now
	l.Spec.LeaseDurationSeconds = &secs
	if _, err := leases.Update(ctx, l, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("lease %s: %w", node, err)
	}
	return nil
}

// deleteNodes deletes this controller's nodes and their Leases. The pods
// bound to them are left to the pod garbage collector.
func (c *controller) deleteNodes(ctx context.Context) error {
	var names []string
	for i := range c.opt.nodes {
		names = append(names, c.nodeName(i))
	}
	return c.deleteNodesNamed(ctx, names)
}

func (c *controller) deleteNodesNamed(ctx context.Context, names []string) error {
	var errs []error
	for _, name := range names {
		if err := c.cs.CoreV1().Nodes().Delete(ctx, name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("node %s: %w", name, err))
		}
		if err := c.cs.CoordinationV1().Leases(leaseNamespace).Delete(ctx, name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("lease %s: %w", name, err))
		}
	}
	return errors.Join(errs...)
}

// cleanup deletes every fake node (name with the prefix and the label,
// however many an earlier run registered), the pods bound to them and
// their Leases.
func (c *controller) cleanup(ctx context.Context) error {
	nodes, err := c.cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{
		LabelSelector: labels.SelectorFromSet(labels.Set{labelKey: labelValue}).String(),
	})
	if err != nil {
		return fmt.Errorf("listing fake nodes: %w", err)
	}
	fake := map[string]bool{}
	var names []string
	for _, n := range nodes.Items {
		if strings.HasPrefix(n.Name, c.opt.prefix) && n.Labels[labelKey] == labelValue {
			fake[n.Name] = true
			names = append(names, n.Name)
		}
	}
	// The pods first: bound to a node that is gone they would wait for
	// the pod garbage collector.
	pods, err := c.cs.CoreV1().Pods(metav1.NamespaceAll).List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("listing pods: %w", err)
	}
	var errs []error
	deleted := 0
	for _, p := range pods.Items {
		if !fake[p.Spec.NodeName] {
			continue
		}
		err := c.cs.CoreV1().Pods(p.Namespace).Delete(ctx, p.Name, metav1.DeleteOptions{GracePeriodSeconds: new(int64)})
		if err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("pod %s/%s: %w", p.Namespace, p.Name, err))
			continue
		}
		deleted++
	}
	errs = append(errs, c.deleteNodesNamed(ctx, names))
	c.log.Info("cleaned up", "nodes", len(names), "pods", deleted)
	return errors.Join(errs...)
}

// ipPool hands out the fake pods' addresses, one per pod, from a range.
type ipPool struct {
	mu     sync.Mutex
	prefix netip.Prefix
	size   int
	next   int
	byKey  map[string]netip.Addr
	used   map[netip.Addr]string
}

func newIPPool(p netip.Prefix) (*ipPool, error) {
	if !p.IsValid() || !p.Addr().Is4() || p.Bits() > 30 || p.Bits() < 8 {
		return nil, fmt.Errorf("pod range %s: want an IPv4 range between /8 and /30", p)
	}
	p = p.Masked()
	return &ipPool{prefix: p, size: 1 << (32 - p.Bits()), byKey: map[string]netip.Addr{}, used: map[netip.Addr]string{}}, nil
}

// take returns key's address, choosing a free one the first time.
func (p *ipPool) take(key string) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if a, ok := p.byKey[key]; ok {
		return a.String(), nil
	}
	// Offsets 1..size-2: neither the network's nor the broadcast address.
	for range p.size - 2 {
		p.next = p.next%(p.size-2) + 1
		a := p.addr(p.next)
		if _, taken := p.used[a]; !taken {
			p.byKey[key], p.used[a] = a, key
			return a.String(), nil
		}
	}
	return "", fmt.Errorf("pod range %s is full", p.prefix)
}

// hold records that key has address ip (a pod already Running).
func (p *ipPool) hold(key, ip string) {
	a, err := netip.ParseAddr(ip)
	if err != nil || !p.prefix.Contains(a) {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.byKey[key]; ok {
		return
	}
	p.byKey[key], p.used[a] = a, key
}

func (p *ipPool) release(key string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if a, ok := p.byKey[key]; ok {
		delete(p.byKey, key)
		delete(p.used, a)
	}
}

func (p *ipPool) addr(off int) netip.Addr {
	b := p.prefix.Addr().As4()
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	v += uint32(off)
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}
