package executors

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/gospark/gospark/internal/k8s/podstatus"
)

// UnschedulableLogInterval is how often the driver repeats, while executor
// pods stay unschedulable, that they are and why: not every round, so that
// a driver waiting for a full cluster does not flood its log.
const UnschedulableLogInterval = 30 * time.Second

// unschedulableGrace is how long an executor pod waits for a node before
// the driver says it does: a batch being placed, or a node being added,
// is not worth a warning, and by then the batch's other pods are counted
// too. It is at most half of spark.kubernetes.allocation.executor.timeout.
const unschedulableGrace = 5 * time.Second

// unschedulableLog is what the driver last said about executor pods that
// no node can take. It is used by the manager's loop only.
type unschedulableLog struct {
	last    time.Time // when it was last said; zero: never
	reasons string    // the reasons said then
}

// reportUnschedulable logs a WARN line per reason when executor pods of
// this manager have been Pending for a while because the scheduler finds
// no node for them (the PodScheduled condition's message, e.g. "0/1 nodes
// are available: 1 Insufficient memory."): at once when the reasons
// change, else every UnschedulableLogInterval while it lasts (pods given
// up and their replacements are one wait, not a new one each). The line
// says how many wait, how long the oldest of them has waited and what
// ends the wait: each pod is given up after
// spark.kubernetes.allocation.executor.timeout, and the application after
// spark.executor.maxNumFailures failures.
//
// This is the driver's side of the deadlock of a full cluster: drivers
// whose requests fill the nodes wait for executors that cannot be placed.
func (m *Manager) reportUnschedulable(snap Snapshot) {
	now := m.now()
	grace := unschedulableGrace
	if m.opts.Timeout > 0 {
		grace = min(grace, m.opts.Timeout/2)
	}
	type group struct {
		ids    []string
		oldest time.Time
	}
	byReason := map[string]*group{}
	overdue := false
	for _, p := range snap.Pods {
		if p.DeletionTimestamp != nil || (p.Status.Phase != corev1.PodPending && p.Status.Phase != "") {
			continue
		}
		prob, ok := podstatus.Explain(p)
		if !ok || prob.Kind != podstatus.Unschedulable {
			continue
		}
		e := m.lookup(p)
		if e == nil {
			continue
		}
		g := byReason[prob.Message]
		if g == nil {
			g = &group{oldest: e.requested}
			byReason[prob.Message] = g
		}
		g.ids = append(g.ids, e.id)
		if e.requested.Before(g.oldest) {
			g.oldest = e.requested
		}
		overdue = overdue || now.Sub(e.requested) >= grace
	}
	if !overdue {
		return
	}
	st := &m.unschedulable
	reasons := slices.Sorted(maps.Keys(byReason))
	joined := strings.Join(reasons, "\n")
	if !st.last.IsZero() && joined == st.reasons && now.Sub(st.last) < UnschedulableLogInterval {
		return
	}
	st.last, st.reasons = now, joined
	m.mu.Lock()
	failures := m.failures
	m.mu.Unlock()
	limit := "they wait with no time limit"
	if m.opts.Timeout > 0 {
		limit = fmt.Sprintf("each is deleted and counted as a failure once pending for %s (spark.kubernetes.allocation.executor.timeout); the application fails after more than %d failures (spark.executor.maxNumFailures)",
			m.opts.Timeout, m.opts.MaxFailures)
	}
	for _, why := range reasons {
		g := byReason[why]
		slices.SortFunc(g.ids, byNumber)
		if why == "" {
			why = "the scheduler gave no reason"
		}
		m.opts.Log.Warn("executor pods cannot be scheduled: no node can take them; "+limit,
			"pods", len(g.ids), "executors", strings.Join(g.ids, ","),
			"waiting", now.Sub(g.oldest).Round(time.Second).String(),
			"reason", why, "failures", failures)
	}
}

// byNumber orders executor ids numerically.
func byNumber(a, b string) int {
	if len(a) != len(b) {
		return len(a) - len(b)
	}
	return strings.Compare(a, b)
}
