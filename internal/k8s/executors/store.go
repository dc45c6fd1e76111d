// Package executors runs an application's executor pods from inside its
// driver, as Spark's Kubernetes scheduler backend does: a snapshot store fed
// by a watch and by polling, an allocator that creates pods in batches, and
// a lifecycle manager that notices pods that ended, tells the driver, and
// deletes them (or labels them inactive) so that the allocator replaces
// them.
package executors

import (
	"maps"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/gospark/gospark/internal/k8s/pods"
)

// Snapshot is the executor pods as last seen, by pod name, and the pods
// that disappeared since the previous snapshot, with their last state.
type Snapshot struct {
	Pods    map[string]*corev1.Pod
	Deleted []*corev1.Pod
}

// Store merges what the watch and the polling see into snapshots. Pods
// labelled spark-exec-inactive=true are left out: they were dealt with.
type Store struct {
	mu      sync.Mutex
	pods    map[string]*corev1.Pod
	seen    map[string]time.Time // when each pod's state was last received
	deleted []*corev1.Pod
	changed chan struct{}
	now     func() time.Time
}

// NewStore returns an empty store.
func NewStore() *Store {
	return &Store{pods: map[string]*corev1.Pod{}, seen: map[string]time.Time{},
		changed: make(chan struct{}, 1), now: time.Now}
}

func inactive(p *corev1.Pod) bool { return p.Labels[pods.LabelExecInactive] == "true" }

// Changed is signalled (without blocking) after every update.
func (s *Store) Changed() <-chan struct{} { return s.changed }

func (s *Store) signal() {
	select {
	case s.changed <- struct{}{}:
	default:
	}
}

// Update records a pod's new state, as the watch reports it.
func (s *Store) Update(p *corev1.Pod) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if inactive(p) {
		delete(s.pods, p.Name)
		delete(s.seen, p.Name)
		return
	}
	s.pods[p.Name] = p
	s.seen[p.Name] = s.now()
	s.signal()
}

// Delete records that a pod is gone, with its last known state.
func (s *Store) Delete(p *corev1.Pod) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if last, ok := s.pods[p.Name]; ok {
		if p.Status.Phase == "" {
			p = last // a tombstone without state: keep what was known
		}
		delete(s.pods, p.Name)
		delete(s.seen, p.Name)
		s.deleted = append(s.deleted, p)
		s.signal()
		return
	}
	if !inactive(p) {
		s.deleted = append(s.deleted, p)
		s.signal()
	}
}

// Replace merges a full listing that was requested at listed: pods in it
// are updated, pods missing from it are deleted, unless the watch
// reported them after the listing began (the listing is older then).
func (s *Store) Replace(list []corev1.Pod, listed time.Time) {
	s.mu.Lock()
	present := map[string]bool{}
	for i := range list {
		present[list[i].Name] = true
	}
	var gone []*corev1.Pod
	for name, p := range s.pods {
		if !present[name] && s.seen[name].Before(listed) {
			gone = append(gone, p)
		}
	}
	s.mu.Unlock()
	for _, p := range gone {
		s.Delete(p)
	}
	for i := range list {
		p := list[i]
		s.mu.Lock()
		newer := s.seen[p.Name].After(listed)
		s.mu.Unlock()
		if !newer {
			s.Update(&p)
		}
	}
}

// Snapshot returns the current pods and the deletions since the last call.
func (s *Store) Snapshot() Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	snap := Snapshot{Pods: maps.Clone(s.pods), Deleted: s.deleted}
	s.deleted = nil
	return snap
}
