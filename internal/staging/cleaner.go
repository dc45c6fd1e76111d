package staging

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// podDeletions is implemented by a PodIndex that can tell when a pod went
// away, so that the cleaner runs early (InformerPodIndex does).
type podDeletions interface {
	Deleted() <-chan struct{}
}

// RunCleaner runs a cleanup pass now, then every CheckInterval, and early
// when the PodIndex signals a pod deletion, until ctx is done.
func (s *Server) RunCleaner(ctx context.Context) {
	t := time.NewTicker(s.cfg.CheckInterval)
	defer t.Stop()
	var deleted <-chan struct{}
	if d, ok := s.cfg.Pods.(podDeletions); ok {
		deleted = d.Deleted()
	}
	for {
		s.CleanupOnce(time.Now())
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-deleted:
		}
	}
}

// CleanupOnce runs one cleanup pass as of now. For each bundle: if a pod it
// is for exists, it is marked claimed (persisted); if it was claimed and its
// pods are gone, it is deleted; if it was never claimed and is older than
// ExpireUnclaimed, it is deleted. While the PodIndex has not synced, pod
// absence proves nothing, so only unclaimed bundles past ExpireUnclaimed
// are deleted (a claim is persisted, so a restart does not forget it).
func (s *Server) CleanupOnce(now time.Time) {
	s.cleanMu.Lock()
	defer s.cleanMu.Unlock()
	s.mu.Lock()
	all := slices.Collect(maps.Values(s.bundles))
	s.mu.Unlock()
	slices.SortFunc(all, func(a, b meta) int { return cmp.Compare(a.ID, b.ID) })

	unsynced := 0
	for _, m := range all {
		exists, synced := false, s.cfg.Pods == nil
		if s.cfg.Pods != nil {
			exists, synced = s.cfg.Pods.Exists(m.Namespace, m.Labels)
		}
		switch {
		case !synced && !m.Claimed && now.Sub(m.Created) > s.cfg.ExpireUnclaimed:
			// Without a pod listing (a watch that is not allowed, say), a
			// bundle nobody claimed still expires.
			s.remove(m, fmt.Sprintf("never claimed within %s", s.cfg.ExpireUnclaimed))
		case !synced:
			unsynced++
		case exists:
			if !m.Claimed {
				s.claim(m)
			}
		case m.Claimed:
			s.remove(m, "the application's pods are gone")
		case now.Sub(m.Created) > s.cfg.ExpireUnclaimed:
			s.remove(m, fmt.Sprintf("never claimed within %s", s.cfg.ExpireUnclaimed))
		}
	}
	if unsynced > 0 {
		s.log.Info("pod index not synced yet; cleanup deferred", "bundles", unsynced)
	}
}

// claim marks a bundle claimed, in memory and in its meta.json. If that
// cannot be persisted it stays unclaimed, to be retried by the next pass.
func (s *Server) claim(m meta) {
	m.Claimed = true
	dir := filepath.Join(s.cfg.Dir, m.ID)
	if err := writeMeta(dir, m); err != nil {
		s.log.Error("mark bundle claimed", "id", m.ID, "namespace", m.Namespace, "err", err)
		return
	}
	if err := syncDir(dir); err != nil {
		s.log.Warn("sync bundle directory", "id", m.ID, "err", err)
	}
	s.mu.Lock()
	if _, ok := s.bundles[m.ID]; ok {
		s.bundles[m.ID] = m
	}
	s.mu.Unlock()
	s.log.Info("bundle claimed", "id", m.ID, "namespace", m.Namespace, "labels", m.Labels)
}

// remove deletes a bundle: it leaves the index, then its directory is
// renamed away, so that a request sees 404 rather than a partial bundle
// (downloads in progress keep their open file), and then removed.
func (s *Server) remove(m meta, reason string) {
	s.mu.Lock()
	delete(s.bundles, m.ID)
	s.mu.Unlock()
	dir := filepath.Join(s.cfg.Dir, m.ID)
	doomed := filepath.Join(s.cfg.Dir, deletingPrefix+m.ID)
	if err := os.Rename(dir, doomed); err != nil {
		s.log.Error("delete bundle", "id", m.ID, "namespace", m.Namespace, "reason", reason, "err", err)
		s.mu.Lock()
		s.bundles[m.ID] = m // retried by the next pass
		s.mu.Unlock()
		return
	}
	if err := os.RemoveAll(doomed); err != nil {
		// New removes it on the next start.
		s.log.Error("remove deleted bundle", "id", m.ID, "path", doomed, "err", err)
	}
	s.log.Info("bundle deleted", "id", m.ID, "namespace", m.Namespace, "reason", reason)
}
