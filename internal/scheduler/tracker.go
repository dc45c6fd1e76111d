package scheduler

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"

	"github.com/gospark/gospark/internal/shuffle"
)

// MapOutputTracker keeps the registered map outputs of every shuffle.
type MapOutputTracker struct {
	mu      sync.Mutex
	outputs map[int64][]*shuffle.MapStatus
}

// NewMapOutputTracker returns an empty tracker.
func NewMapOutputTracker() *MapOutputTracker {
	return &MapOutputTracker{outputs: make(map[int64][]*shuffle.MapStatus)}
}

// Register records the output of one map task.
func (m *MapOutputTracker) Register(numMaps int, st *shuffle.MapStatus) {
	m.mu.Lock()
	defer m.mu.Unlock()
	outs := m.outputs[st.ShuffleID]
	if outs == nil {
		outs = make([]*shuffle.MapStatus, numMaps)
		m.outputs[st.ShuffleID] = outs
	}
	outs[st.MapIndex] = st
}

// Unregister forgets one map output (its files are lost).
func (m *MapOutputTracker) Unregister(shuffleID int64, mapIndex int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if outs := m.outputs[shuffleID]; mapIndex >= 0 && mapIndex < len(outs) {
		outs[mapIndex] = nil
	}
}

// UnregisterExecutor forgets every output an executor holds in its own
// files (those an external shuffle service serves outlive it) and returns
// the map indexes it dropped, by shuffle.
func (m *MapOutputTracker) UnregisterExecutor(executorID string) map[int64][]int {
	m.mu.Lock()
	defer m.mu.Unlock()
	lost := make(map[int64][]int)
	for id, outs := range m.outputs {
		for i, st := range outs {
			if st != nil && st.ExecutorID == executorID && !st.Service {
				outs[i] = nil
				lost[id] = append(lost[id], i)
			}
		}
	}
	return lost
}

// UnregisterShuffleOnExecutor forgets every output of one shuffle that an
// executor wrote and returns the map indexes it dropped.
func (m *MapOutputTracker) UnregisterShuffleOnExecutor(shuffleID int64, executorID string) []int {
	m.mu.Lock()
	defer m.mu.Unlock()
	var lost []int
	for i, st := range m.outputs[shuffleID] {
		if st != nil && st.ExecutorID == executorID {
			m.outputs[shuffleID][i] = nil
			lost = append(lost, i)
		}
	}
	return lost
}

// Registered reports whether any output of the shuffle was ever
// registered (so that missing ones were lost rather than never computed).
func (m *MapOutputTracker) Registered(shuffleID int64) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.outputs[shuffleID]
	return ok
}

// Missing lists the map partitions of a shuffle with no registered output.
func (m *MapOutputTracker) Missing(shuffleID int64, numMaps int) []int {
	m.mu.Lock()
	defer m.mu.Unlock()
	outs := m.outputs[shuffleID]
	var miss []int
	for i := 0; i < numMaps; i++ {
		if outs == nil || outs[i] == nil {
			miss = append(miss, i)
		}
	}
	return miss
}

// Statuses returns every map output of a shuffle; it fails when one is
// missing (a reducer cannot run before its map stage completed).
func (m *MapOutputTracker) Statuses(_ context.Context, shuffleID int64) ([]*shuffle.MapStatus, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	outs, ok := m.outputs[shuffleID]
	if !ok {
		return nil, &shuffle.FetchFailedError{ShuffleID: shuffleID, MapIndex: -1, Err: fmt.Errorf("no map outputs registered")}
	}
	cp := make([]*shuffle.MapStatus, len(outs))
	for i, st := range outs {
		if st == nil {
			return nil, &shuffle.FetchFailedError{ShuffleID: shuffleID, MapIndex: i, Err: fmt.Errorf("map output missing")}
		}
		cp[i] = st
	}
	return cp, nil
}

// Remove forgets a whole shuffle.
func (m *MapOutputTracker) Remove(shuffleID int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.outputs, shuffleID)
}

// UnregisterServer forgets every output that the external shuffle service
// at addr serves (it failed: its node's files are suspect, as Spark drops a
// host's outputs) and returns the map indexes it dropped, by shuffle.
func (m *MapOutputTracker) UnregisterServer(addr string) map[int64][]int {
	m.mu.Lock()
	defer m.mu.Unlock()
	lost := make(map[int64][]int)
	for id, outs := range m.outputs {
		for i, st := range outs {
			if st != nil && st.Service && st.Addr == addr {
				outs[i] = nil
				lost[id] = append(lost[id], i)
			}
		}
	}
	return lost
}

// Moved is a map output that a decommissioned executor handed to a peer.
type Moved struct {
	ShuffleID int64
	MapIndex  int
	From      string // the executor that wrote it
	DataBase  string // base name of the data file (the output's identity)
	To        string // the executor that holds it now
	Addr      string // that executor's block server
	DataFile  string
	IndexFile string
}

// Migrate points the outputs that moved at their new holder; an output
// that was unregistered or recomputed meanwhile is left alone. It returns
// how many it moved.
func (m *MapOutputTracker) Migrate(moves []Moved) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, mv := range moves {
		outs := m.outputs[mv.ShuffleID]
		if mv.MapIndex < 0 || mv.MapIndex >= len(outs) {
			continue
		}
		st := outs[mv.MapIndex]
		if st == nil || st.ExecutorID != mv.From || st.Service || filepath.Base(st.DataFile) != mv.DataBase {
			continue
		}
		cp := *st
		cp.ExecutorID, cp.Addr, cp.DataFile, cp.IndexFile = mv.To, mv.Addr, mv.DataFile, mv.IndexFile
		outs[mv.MapIndex] = &cp
		n++
	}
	return n
}

// Holders lists the executors that hold registered map output in their
// own files (not served by a shuffle service), of every shuffle or, when
// only is not nil, of the shuffles it lists: shuffle tracking keeps them.
func (m *MapOutputTracker) Holders(only map[int64]bool) map[string]bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]bool)
	for id, outs := range m.outputs {
		if only != nil && !only[id] {
			continue
		}
		for _, st := range outs {
			if st != nil && !st.Service {
				out[st.ExecutorID] = true
			}
		}
	}
	return out
}
