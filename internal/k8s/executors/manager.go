package executors

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/gospark/gospark/internal/k8s/pods"
	"github.com/gospark/gospark/internal/k8s/podstatus"
)

// Options configure a Manager.
type Options struct {
	Client    kubernetes.Interface
	Namespace string
	AppID     string
	// Instances is how many executors the application wants
	// (spark.executor.instances).
	Instances int
	// BatchSize and BatchDelay pace creation
	// (spark.kubernetes.allocation.batch.size and .delay).
	BatchSize  int
	BatchDelay time.Duration
	// PollInterval is spark.kubernetes.executor.apiPollingInterval.
	PollInterval time.Duration
	// DeleteOnTermination deletes ended pods; otherwise they are labelled
	// spark-exec-inactive=true.
	DeleteOnTermination bool
	// MaxPending is the most executor pods that may be pending at once:
	// requested and not yet seen, or seen Pending
	// (spark.kubernetes.allocation.maxPendingPods); 0 means no limit.
	MaxPending int
	// Timeout is how long an executor pod may take from its request to
	// running (spark.kubernetes.allocation.executor.timeout, at least five
	// batch delays, as in Spark): a pod not seen by then, not created by
	// then (the API refusing it, e.g. for a quota), or still Pending then
	// (unschedulable, a missing claim) is deleted, counted as a failure and
	// requested again. 0 means no limit.
	Timeout time.Duration
	// ExcessGrace is how old a pending executor pod must be before it is
	// deleted because the target fell below the executors alive (dynamic
	// allocation's spark.dynamicAllocation.executorIdleTimeout, as in
	// Spark: a request is not withdrawn as soon as it is made); 0 means
	// pending pods are never withdrawn.
	ExcessGrace time.Duration
	// MissingDelta is how long the pod of a registered executor may be
	// missing from the listings before the executor is removed
	// (spark.kubernetes.executor.missingPodDetectDelta); 0 means never.
	MissingDelta time.Duration
	// MaxFailures is how many executor failures are tolerated
	// (spark.executor.maxNumFailures). Pods that were deleted and
	// executors that exited with code 0 are not failures.
	MaxFailures int
	// NewPod builds the pod of executor id.
	NewPod func(id string) (*corev1.Pod, error)
	// Created, when set, is called after the pod of an executor was
	// created (p is the pod sent), to make what it needs that must exist
	// after it (claims it owns). An error deletes the pod and counts as a
	// failure.
	Created func(ctx context.Context, p *corev1.Pod) error
	// Registered reports whether executor id registered with the driver.
	Registered func(id string) bool
	// OnExit hears of an executor whose pod ended or went away, and why.
	OnExit func(id, reason string)
	// OnRefused hears that the API server refused to create the pod of
	// executor id (err; it is asked again each round until Timeout), and,
	// with err nil, that it no longer is (created after all, or given up).
	OnRefused func(id string, err error)
	// OnFatal hears, once, that the application cannot get executors.
	OnFatal func(err error)
	// Observed, when set, hears of every pod state the snapshot store
	// takes in from the watch, right after (deleted: the pod went away);
	// bench/pods measures the store's event lag with it.
	Observed func(p *corev1.Pod, deleted bool)
	Log      *slog.Logger
}

// exec is what the manager knows of one executor it created.
type exec struct {
	id, pod  string
	exited   bool
	retiring bool // decommissioned: its end is expected and not replaced
	// requested is when the pod was first asked for; refused is the API's
	// last refusal while it is not created yet (a quota, say), retried
	// every round until Timeout.
	requested time.Time
	refused   error
	// seen: the pod was in a snapshot; pending: it is not known to run
	// (not seen, or seen Pending); missingSince: the executor registered
	// and its pod is not in the snapshot since then.
	seen, pending bool
	missingSince  time.Time
}

// Manager creates and follows the executor pods of one application.
type Manager struct {
	opts   Options
	store  *Store
	cancel context.CancelFunc
	done   chan struct{}

	now func() time.Time // the clock; tests set it

	buildMu sync.Mutex // NewPod is called by one at a time

	mu       sync.Mutex
	execs    map[string]*exec
	next     int
	freeIDs  []string // ids of requests dropped (createMany), smallest first
	failures int
	fatal    bool
	stopping bool

	unschedulable unschedulableLog // unschedulable.go; the loop's own
}

// RefusedAnnotation is the annotation of the driver pod saying which
// executor pod the API server refuses to create and why (a quota, say),
// while it does: gospark submit reports it, since there is no pod to see.
const RefusedAnnotation = "spark.gospark.io/executor-pod-refused"

// Selector selects an application's executor pods.
func Selector(appID string) string {
	return labels.Set{pods.LabelAppSelector: appID, pods.LabelRole: string(pods.Executor)}.String()
}

// Start begins watching and allocating; executors are created from the
// first round on.
func Start(ctx context.Context, opts Options) (*Manager, error) {
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.BatchSize < 1 || opts.BatchDelay <= 0 || opts.PollInterval <= 0 {
		return nil, fmt.Errorf("executors: batch size %d, batch delay %s and polling interval %s must be positive",
			opts.BatchSize, opts.BatchDelay, opts.PollInterval)
	}
	ctx, cancel := context.WithCancel(ctx)
	m := &Manager{opts: opts, store: NewStore(), cancel: cancel, done: make(chan struct{}), execs: map[string]*exec{}, now: time.Now}
	if m.opts.Timeout > 0 {
		m.opts.Timeout = max(m.opts.Timeout, 5*m.opts.BatchDelay)
	}

	factory := informers.NewSharedInformerFactoryWithOptions(opts.Client, 0,
		informers.WithNamespace(opts.Namespace),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = Selector(opts.AppID) }))
	inf := factory.Core().V1().Pods().Informer()
	if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { m.watched(obj, false) },
		UpdateFunc: func(_, obj any) { m.watched(obj, false) },
		DeleteFunc: func(obj any) { m.watched(obj, true) },
	}); err != nil {
		cancel()
		return nil, fmt.Errorf("executors: watching pods: %w", err)
	}
	factory.Start(ctx.Done())

	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); m.poll(ctx) }()
	go func() { defer wg.Done(); m.loop(ctx) }()
	go func() {
		wg.Wait()
		factory.Shutdown()
		close(m.done)
	}()
	return m, nil
}

func (m *Manager) watched(obj any, deleted bool) {
	if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = t.Obj
	}
	p, ok := obj.(*corev1.Pod)
	if !ok {
		return
	}
	if deleted {
		m.store.Delete(p)
	} else {
		m.store.Update(p)
	}
	if m.opts.Observed != nil {
		m.opts.Observed(p, deleted)
	}
}

// poll lists the executor pods every PollInterval, catching what the watch
// missed.
func (m *Manager) poll(ctx context.Context) {
	t := time.NewTicker(m.opts.PollInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		listed := time.Now()
		list, err := m.opts.Client.CoreV1().Pods(m.opts.Namespace).List(ctx, metav1.ListOptions{LabelSelector: Selector(m.opts.AppID)})
		if err != nil {
			if ctx.Err() == nil {
				m.opts.Log.Warn("listing executor pods", "error", err)
			}
			continue
		}
		m.store.Replace(list.Items, listed)
	}
}

// eventInterval is the least time between two lifecycle rounds the store's
// changes start. A round looks at every pod, and while thousands of pods
// start each change started one: with 1,000 pods the rounds took half of
// the allocator's CPU, and the cost grew with the square of the pods.
// Spark inspects the snapshots once a second
// (spark.kubernetes.executor.eventProcessingInterval).
const eventInterval = 100 * time.Millisecond

// loop runs a lifecycle and allocation round every BatchDelay, and a
// lifecycle round when the store changes, at most one every eventInterval.
func (m *Manager) loop(ctx context.Context) {
	t := time.NewTicker(m.opts.BatchDelay)
	defer t.Stop()
	m.round(ctx, true)
	last := time.Now()
	var later <-chan time.Time // a round due for changes that came too soon
	for {
		select {
		case <-ctx.Done():
			return
		case <-m.store.Changed():
			if wait := eventInterval - time.Since(last); wait > 0 {
				if later == nil {
					later = time.After(wait)
				}
				continue
			}
			m.round(ctx, false)
		case <-later:
			later = nil
			m.round(ctx, false)
		case <-t.C:
			m.round(ctx, true)
		}
		last = time.Now()
	}
}

func (m *Manager) round(ctx context.Context, allocate bool) {
	snap := m.store.Snapshot()
	m.lifecycle(ctx, snap)
	if allocate {
		m.allocate(ctx)
	}
}

// lifecycle handles executor pods that ended, failed to start or vanished.
func (m *Manager) lifecycle(ctx context.Context, snap Snapshot) {
	for _, name := range slices.Sorted(maps.Keys(snap.Pods)) {
		p := snap.Pods[name]
		e := m.lookup(p)
		if e == nil {
			continue
		}
		if code, done := podstatus.Terminated(p); done {
			reason := fmt.Sprintf("exit code %d", code)
			if prob, ok := podstatus.Explain(p); ok {
				reason = prob.String()
			}
			if p.DeletionTimestamp != nil {
				reason = "pod deleted (" + reason + ")"
			}
			m.exited(ctx, e, p, reason, failure(p, code), true)
			continue
		}
		if prob, ok := podstatus.Explain(p); ok {
			switch prob.Kind {
			case podstatus.ImageError, podstatus.ConfigError, podstatus.Evicted, podstatus.OOMKilled:
				m.exited(ctx, e, p, prob.String(), failure(p, -1), true)
			}
		}
	}
	for _, p := range snap.Deleted {
		if e := m.lookup(p); e != nil {
			reason := "pod deleted"
			if prob, ok := podstatus.Explain(p); ok {
				reason += " (" + prob.String() + ")"
			}
			m.exited(ctx, e, p, reason, false, false)
		}
	}
	m.overdue(ctx, snap)
	m.reportUnschedulable(snap)
}

// overdue notes which executors' pods are seen, pending or missing, and
// gives up on those that are late:
//
//   - a pod requested more than Timeout ago that is not in the snapshot
//     (never created, the API refusing it, or missed by the watch) or
//     still Pending (it cannot be scheduled, a claim it needs is missing,
//     ...) is deleted and counted as a failure, with why; the allocator
//     asks for another, so that a request that cannot be satisfied ends
//     at spark.executor.maxNumFailures instead of waiting for ever;
//   - a registered executor whose pod is missing from the snapshot for
//     more than MissingDelta (its deletion was missed) is removed; as
//     for any deleted pod, this is not a failure.
//
// Retiring executors are given up on too, but exited neither counts nor
// reports them.
func (m *Manager) overdue(ctx context.Context, snap Snapshot) {
	now := m.now()
	byID := map[string]*corev1.Pod{}
	for _, p := range snap.Pods {
		if id := p.Labels[pods.LabelExecID]; id != "" {
			byID[id] = p
		}
	}
	type late struct {
		e      *exec
		pod    *corev1.Pod // nil when it is not in the snapshot
		reason string
		failed bool
	}
	var lates []late
	timeout, delta := m.opts.Timeout, m.opts.MissingDelta
	m.mu.Lock()
	for _, id := range slices.Sorted(maps.Keys(m.execs)) {
		e := m.execs[id]
		if e.exited {
			continue
		}
		registered := m.opts.Registered != nil && m.opts.Registered(e.id)
		p := byID[e.id]
		if p != nil && p.Name != e.pod {
			p = nil
		}
		switch {
		case p != nil:
			e.seen, e.missingSince = true, time.Time{}
			e.pending = p.Status.Phase == corev1.PodPending || p.Status.Phase == ""
			if e.pending && !registered && p.DeletionTimestamp == nil && timeout > 0 && now.Sub(e.requested) > timeout {
				why := podstatus.Phase(p)
				if prob, ok := podstatus.Explain(p); ok {
					why = prob.String()
				}
				lates = append(lates, late{e, p, fmt.Sprintf("still pending %s after it was requested (spark.kubernetes.allocation.executor.timeout): %s",
					timeout, why), true})
			}
		case registered:
			e.pending = false
			if e.missingSince.IsZero() {
				e.missingSince = now
			} else if delta > 0 && now.Sub(e.missingSince) > delta {
				lates = append(lates, late{e, nil, fmt.Sprintf("pod missing from the cluster's listings for more than %s (spark.kubernetes.executor.missingPodDetectDelta): it was deleted or changed without the driver hearing of it",
					delta), false})
			}
		default:
			e.pending = true
			if timeout > 0 && now.Sub(e.requested) > timeout {
				reason := fmt.Sprintf("pod not seen in the cluster %s after it was requested (spark.kubernetes.allocation.executor.timeout)", timeout)
				if e.refused != nil {
					reason = fmt.Sprintf("pod not created within %s (spark.kubernetes.allocation.executor.timeout): %v", timeout, e.refused)
				}
				lates = append(lates, late{e, nil, reason, true})
			}
		}
	}
	m.mu.Unlock()
	api := m.opts.Client.CoreV1().Pods(m.opts.Namespace)
	for _, l := range lates {
		if l.e.refused != nil && m.opts.OnRefused != nil {
			m.opts.OnRefused(l.e.id, nil)
		}
		if l.failed {
			// Whether or not ended pods are kept (DeleteOnTermination),
			// this one goes: a pod kept pending could start later and
			// join as an executor no one asked for.
			err := api.Delete(ctx, l.e.pod, metav1.DeleteOptions{})
			if err != nil && !apierrors.IsNotFound(err) && ctx.Err() == nil {
				m.opts.Log.Warn("deleting a late executor pod", "executor", l.e.id, "pod", l.e.pod, "error", err)
			}
		}
		m.exited(ctx, l.e, l.pod, l.reason, l.failed, false)
	}
}

// failure tells whether the end of an executor's pod counts toward
// MaxFailures. A pod that was deleted does not, whoever deleted it (the
// driver, kubectl delete, a node drain): its executor was told to go, as
// a decommissioned executor is, and Spark does not count those. Neither
// does an executor that exited with code 0 (it ended on its own, after
// SIGTERM for instance). Everything else does: exit codes other than 0,
// OOM kills, evictions by the kubelet, pods that cannot start. code is
// the main container's exit code, -1 when it has none.
func failure(p *corev1.Pod, code int32) bool {
	if p.DeletionTimestamp != nil {
		return false
	}
	if code == 0 || (code == -1 && p.Status.Phase == corev1.PodSucceeded) {
		return false
	}
	return true
}

func (m *Manager) lookup(p *corev1.Pod) *exec {
	m.mu.Lock()
	defer m.mu.Unlock()
	e := m.execs[p.Labels[pods.LabelExecID]]
	if e == nil || e.pod != p.Name || e.exited {
		return nil
	}
	return e
}

// exited handles the end of an executor's pod: the driver forgets the
// executor, a failure is counted if it is one (see failure) and the
// application is not stopping, and the pod is deleted or labelled inactive
// (present says it still exists). The end of a retiring executor is
// expected: it is neither reported nor counted, and the target was lowered
// for it. Any other executor is replaced while the target asks for it.
func (m *Manager) exited(ctx context.Context, e *exec, p *corev1.Pod, reason string, isFailure, present bool) {
	m.mu.Lock()
	e.exited = true
	stopping := m.stopping
	retiring := e.retiring
	m.mu.Unlock()
	var failures int
	var fatal bool
	switch {
	case stopping || retiring:
	case isFailure:
		failures, fatal = m.countFailure()
		m.opts.Log.Warn("executor pod failed", "executor", e.id, "pod", e.pod, "reason", reason, "failures", failures)
	default:
		m.opts.Log.Info("executor pod ended", "executor", e.id, "pod", e.pod, "reason", reason)
	}
	if !stopping && !retiring && m.opts.OnExit != nil {
		m.opts.OnExit(e.id, fmt.Sprintf("executor pod %s: %s", e.pod, reason))
	}
	if present {
		m.removePod(ctx, p)
	}
	if fatal && m.opts.OnFatal != nil {
		m.opts.OnFatal(fmt.Errorf("%d executor failures, more than spark.executor.maxNumFailures=%d allows; the last: executor %s (pod %s): %s",
			failures, m.opts.MaxFailures, e.id, e.pod, reason))
	}
}

// removePod deletes an ended pod or labels it inactive.
func (m *Manager) removePod(ctx context.Context, p *corev1.Pod) {
	api := m.opts.Client.CoreV1().Pods(m.opts.Namespace)
	var err error
	if m.opts.DeleteOnTermination {
		err = api.Delete(ctx, p.Name, metav1.DeleteOptions{})
	} else {
		patch := []byte(`{"metadata":{"labels":{"` + pods.LabelExecInactive + `":"true"}}}`)
		_, err = api.Patch(ctx, p.Name, types.StrategicMergePatchType, patch, metav1.PatchOptions{})
	}
	if err != nil && !apierrors.IsNotFound(err) && ctx.Err() == nil {
		m.opts.Log.Warn("removing an ended executor pod", "pod", p.Name, "error", err)
	}
}

// allocate first asks again for the pods the API refused, then creates
// executor pods until Instances are alive (retiring ones do not count): a
// batch of at most BatchSize once every pod asked for before is in the
// snapshot (as Spark 4's allocator, whose next batch waits for its
// "newly created" pods only, not for their executors to register), and at
// most MaxPending of them not running (not seen yet, or seen Pending).
func (m *Manager) allocate(ctx context.Context) {
	m.mu.Lock()
	if m.fatal || m.stopping {
		m.mu.Unlock()
		return
	}
	alive, unseen, notRunning := 0, 0, 0
	var refused, withdrawable []*exec
	now := m.now()
	for _, e := range m.execs {
		// A retiring executor is on its way out: the target was lowered
		// for it already, and a new one may be asked for meanwhile.
		if e.exited || e.retiring {
			continue
		}
		alive++
		if !e.seen { // asked for (or refused), not in a snapshot yet
			unseen++
		}
		// By the pod's phase, as a user watching the pods sees it: an
		// executor may register before the kubelet reports its pod
		// Running, and is still a pending pod meanwhile (as in Spark).
		if !e.seen || e.pending {
			notRunning++
			if (m.opts.Registered == nil || !m.opts.Registered(e.id)) && m.opts.ExcessGrace > 0 && now.Sub(e.requested) > m.opts.ExcessGrace {
				withdrawable = append(withdrawable, e)
			}
		}
		if e.refused != nil {
			refused = append(refused, e)
		}
	}
	// The target fell below the executors alive (dynamic allocation):
	// pending requests old enough are withdrawn, newest first, as Spark
	// deletes excess pending pods. Their ends are expected, like retiring
	// executors'.
	var withdrawn []*exec
	if excess := alive - m.opts.Instances; excess > 0 && len(withdrawable) > 0 {
		slices.SortFunc(withdrawable, func(a, b *exec) int { return b.requested.Compare(a.requested) })
		withdrawn = withdrawable[:min(excess, len(withdrawable))]
		for _, e := range withdrawn {
			e.retiring = true
			if e.refused != nil {
				e.exited = true // never created
			}
		}
		alive -= len(withdrawn)
		notRunning -= len(withdrawn)
		for _, e := range withdrawn {
			if !e.seen {
				unseen--
			}
		}
	}
	n := 0
	if unseen == 0 {
		n = min(m.opts.Instances-alive, m.opts.BatchSize)
	}
	if m.opts.MaxPending > 0 {
		n = min(n, m.opts.MaxPending-notRunning)
	}
	m.mu.Unlock()
	m.withdraw(ctx, withdrawn)
	slices.SortFunc(refused, func(a, b *exec) int { return a.requested.Compare(b.requested) })
	for _, e := range refused {
		if e.exited {
			continue // withdrawn
		}
		if err := m.retry(ctx, e); err != nil {
			return
		}
	}
	m.createMany(ctx, n)
}

// createParallelism is how many executor pods a round creates at once.
// One at a time, a round of spark.kubernetes.allocation.batch.size=200
// took six seconds on a busy test cluster (30 ms a create); with 16, 200
// pods a second are within reach.
const createParallelism = 16

// createMany creates n executor pods: the first alone, so that a refusal
// (a quota, say) ends the round as it always did, with one request kept
// and asked again, then the rest createParallelism at a time, until one
// fails. A pod refused among those is not kept: its id is given to the
// next pod asked for, on a later round.
func (m *Manager) createMany(ctx context.Context, n int) {
	if n <= 0 {
		return
	}
	if err := m.create(ctx, true); err != nil || n == 1 {
		return
	}
	n--
	var next atomic.Int64
	var stop atomic.Bool
	var wg sync.WaitGroup
	for range min(n, createParallelism) {
		wg.Go(func() {
			for !stop.Load() && next.Add(1) <= int64(n) {
				if err := m.create(ctx, false); err != nil {
					stop.Store(true)
				}
			}
		})
	}
	wg.Wait()
}

// withdraw deletes the pods of excess pending executors (allocate).
func (m *Manager) withdraw(ctx context.Context, execs []*exec) {
	api := m.opts.Client.CoreV1().Pods(m.opts.Namespace)
	for _, e := range execs {
		m.opts.Log.Info("deleting an excess pending executor pod: the target is lower", "executor", e.id, "pod", e.pod, "target", m.Target())
		if e.refused != nil && m.opts.OnRefused != nil {
			m.opts.OnRefused(e.id, nil)
		}
		if err := api.Delete(ctx, e.pod, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) && ctx.Err() == nil {
			m.opts.Log.Warn("deleting an excess pending executor pod", "executor", e.id, "pod", e.pod, "error", err)
		}
	}
}

// create asks for one executor pod with the next id (the smallest given
// back, else a new one). With keep, a refusal that asking again may
// overcome keeps the request (send); without, the request is dropped and
// its id given back.
func (m *Manager) create(ctx context.Context, keep bool) error {
	m.mu.Lock()
	var id string
	if len(m.freeIDs) > 0 {
		id, m.freeIDs = m.freeIDs[0], m.freeIDs[1:]
	} else {
		m.next++
		id = strconv.Itoa(m.next)
	}
	m.mu.Unlock()
	m.buildMu.Lock() // NewPod may reserve claims to reuse: one at a time
	p, err := m.opts.NewPod(id)
	m.buildMu.Unlock()
	if err != nil {
		m.failed(fmt.Errorf("building the pod of executor %s: %w", id, err))
		return err
	}
	e := &exec{id: id, pod: p.Name, requested: m.now(), pending: true}
	m.mu.Lock()
	m.execs[id] = e
	m.mu.Unlock()
	return m.send(ctx, e, p, keep)
}

// retry asks again for the pod of an executor the API refused.
func (m *Manager) retry(ctx context.Context, e *exec) error {
	m.buildMu.Lock()
	p, err := m.opts.NewPod(e.id)
	m.buildMu.Unlock()
	if err != nil {
		m.mu.Lock()
		e.exited = true
		m.mu.Unlock()
		m.failed(fmt.Errorf("building the pod of executor %s: %w", e.id, err))
		return err
	}
	return m.send(ctx, e, p, true)
}

// send creates the pod of executor e. A refusal that asking again may
// overcome (a quota, a webhook, the API server unavailable) is kept in
// e.refused and asked again each round until the executor's Timeout
// (overdue), or, without keep, the request is dropped and its id given
// back; a pod the API server finds invalid is a failure at once.
func (m *Manager) send(ctx context.Context, e *exec, p *corev1.Pod, keep bool) error {
	_, err := m.opts.Client.CoreV1().Pods(m.opts.Namespace).Create(ctx, p, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		// A create retried after a lost answer: the name is this
		// executor's alone, so the pod is the one asked for.
		err = nil
	}
	switch {
	case err == nil:
		m.mu.Lock()
		again := e.refused != nil
		e.refused = nil
		m.mu.Unlock()
		m.opts.Log.Info("executor pod created", "executor", e.id, "pod", p.Name, "retried", again)
		if again && m.opts.OnRefused != nil {
			m.opts.OnRefused(e.id, nil)
		}
		if m.opts.Created != nil {
			if err := m.opts.Created(ctx, p); err != nil {
				// The pod cannot start without what Created makes (its
				// claims): it goes, and the failure counts.
				if derr := m.opts.Client.CoreV1().Pods(m.opts.Namespace).Delete(ctx, p.Name, metav1.DeleteOptions{}); derr != nil && !apierrors.IsNotFound(derr) {
					err = fmt.Errorf("%w (and deleting pod %s: %w)", err, p.Name, derr)
				}
				m.mu.Lock()
				e.exited = true
				m.mu.Unlock()
				m.failed(fmt.Errorf("executor %s: %w", e.id, err))
				return err
			}
		}
		return nil
	case ctx.Err() != nil:
		return err
	case apierrors.IsInvalid(err) || apierrors.IsBadRequest(err):
		m.mu.Lock()
		e.exited = true
		m.mu.Unlock()
		m.failed(fmt.Errorf("creating the pod of executor %s: %w", e.id, err))
		return err
	}
	m.mu.Lock()
	if !keep {
		delete(m.execs, e.id)
		m.freeIDs = append(m.freeIDs, e.id)
		slices.SortFunc(m.freeIDs, func(a, b string) int { return cmpID(a, b) })
		m.mu.Unlock()
		m.opts.Log.Info("executor pod refused; asking again next round", "executor", e.id, "pod", p.Name, "error", err)
		return err
	}
	first := e.refused == nil
	e.refused = err
	m.mu.Unlock()
	if first {
		m.opts.Log.Warn("executor pod refused; asking again until spark.kubernetes.allocation.executor.timeout",
			"executor", e.id, "pod", p.Name, "timeout", m.opts.Timeout, "error", err)
		if m.opts.OnRefused != nil {
			m.opts.OnRefused(e.id, err)
		}
	}
	return err
}

// cmpID orders executor ids as numbers.
func cmpID(a, b string) int {
	x, _ := strconv.Atoi(a)
	y, _ := strconv.Atoi(b)
	return x - y
}

// failed counts a failure that is not a pod's (the API refused to create
// one, for instance).
func (m *Manager) failed(err error) {
	failures, fatal := m.countFailure()
	m.opts.Log.Warn("executor allocation failed", "error", err, "failures", failures)
	if fatal && m.opts.OnFatal != nil {
		m.opts.OnFatal(fmt.Errorf("%d executor failures, more than spark.executor.maxNumFailures=%d allows; the last: %w",
			failures, m.opts.MaxFailures, err))
	}
}

// countFailure counts one executor failure; fatal is true the first time
// there are more than MaxFailures.
func (m *Manager) countFailure() (failures int, fatal bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.failures++
	fatal = !m.fatal && m.failures > m.opts.MaxFailures
	if fatal {
		m.fatal = true
	}
	return m.failures, fatal
}

// Failures is how many executor failures were counted.
func (m *Manager) Failures() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.failures
}

// Created is how many executor pods were created.
func (m *Manager) Created() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.next
}

// SetTarget changes how many executors should be alive (dynamic
// allocation's total); the allocator creates or stops creating pods on its
// next round.
func (m *Manager) SetTarget(n int) {
	m.mu.Lock()
	m.opts.Instances = max(n, 0)
	m.mu.Unlock()
}

// Target is how many executors should be alive.
func (m *Manager) Target() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.opts.Instances
}

// Delete deletes the pods of the given executors with the given grace
// period (nil: the pod's own). With retire, their ends are expected: not
// counted as failures nor reported, and the target shrinks by as many
// (once per executor, however often it is deleted); a pod the API server
// would not delete is not retired. Otherwise they are replaced like any
// ended executor.
func (m *Manager) Delete(ctx context.Context, ids []string, grace *int64, retire bool) error {
	api := m.opts.Client.CoreV1().Pods(m.opts.Namespace)
	var errs []error
	for _, id := range ids {
		m.mu.Lock()
		e := m.execs[id]
		if e == nil || e.exited {
			m.mu.Unlock()
			continue
		}
		// Retire before the call: a pod that ends at once must not be
		// replaced against the target, nor reported.
		retired := retire && !e.retiring
		if retired {
			e.retiring = true
			m.opts.Instances = max(m.opts.Instances-1, 0)
		}
		name := e.pod
		m.mu.Unlock()
		err := api.Delete(ctx, name, metav1.DeleteOptions{GracePeriodSeconds: grace})
		if err != nil && !apierrors.IsNotFound(err) {
			if retired {
				m.mu.Lock()
				e.retiring = false
				m.opts.Instances++
				m.mu.Unlock()
			}
			errs = append(errs, fmt.Errorf("executors: deleting pod %s of executor %s: %w", name, id, err))
		}
	}
	return errors.Join(errs...)
}

// livePod is the pod of an executor that has not ended.
func (m *Manager) livePod(id string) (string, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e := m.execs[id]; e != nil && !e.exited {
		return e.pod, true
	}
	return "", false
}

// Label puts labels on the pods of the given executors that are still
// running (Spark labels the pods of executors being decommissioned).
func (m *Manager) Label(ctx context.Context, ids []string, labels map[string]string) error {
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{"labels": labels}})
	if err != nil {
		return fmt.Errorf("executors: labels %v: %w", labels, err)
	}
	api := m.opts.Client.CoreV1().Pods(m.opts.Namespace)
	var errs []error
	for _, id := range ids {
		name, ok := m.livePod(id)
		if !ok {
			continue
		}
		_, err := api.Patch(ctx, name, types.StrategicMergePatchType, patch, metav1.PatchOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("executors: labelling pod %s of executor %s: %w", name, id, err))
		}
	}
	return errors.Join(errs...)
}

// BeginStop marks executor exits from now on as expected and stops
// allocating.
func (m *Manager) BeginStop() {
	m.mu.Lock()
	m.stopping = true
	m.mu.Unlock()
}

// Stop ends watching and removes every executor pod of the application:
// deleted, or, without DeleteOnTermination, labelled inactive. It waits
// up to ctx for the API calls.
func (m *Manager) Stop(ctx context.Context) error {
	m.BeginStop()
	m.cancel()
	<-m.done
	api := m.opts.Client.CoreV1().Pods(m.opts.Namespace)
	sel := metav1.ListOptions{LabelSelector: Selector(m.opts.AppID)}
	list, err := api.List(ctx, sel)
	if err != nil {
		return fmt.Errorf("executors: listing executor pods: %w", err)
	}
	if m.opts.DeleteOnTermination {
		return deleteAll(ctx, api, list.Items)
	}
	for i := range list.Items {
		if !inactive(&list.Items[i]) {
			m.removePod(ctx, &list.Items[i])
		}
	}
	return nil
}

// deleteAll deletes the pods, createParallelism at a time. One
// DeleteCollection would do, but the API server deletes a collection's
// items one by one (--delete-collection-workers=1): 1,000 pods took longer
// than a request may (spark.kubernetes.driver.requestTimeout, 10 s), and
// its retries did not end within their budget with 5,000.
func deleteAll(ctx context.Context, api corev1client.PodInterface, items []corev1.Pod) error {
	var (
		mu   sync.Mutex
		errs []error
		next atomic.Int64
		wg   sync.WaitGroup
	)
	for range min(len(items), createParallelism) {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < len(items) && ctx.Err() == nil; i = int(next.Add(1)) - 1 {
				err := api.Delete(ctx, items[i].Name, metav1.DeleteOptions{})
				if err != nil && !apierrors.IsNotFound(err) {
					mu.Lock()
					errs = append(errs, fmt.Errorf("executors: deleting executor pod %s: %w", items[i].Name, err))
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if ctx.Err() != nil {
		errs = append(errs, fmt.Errorf("executors: deleting executor pods: %w", ctx.Err()))
	}
	return errors.Join(errs...)
}
