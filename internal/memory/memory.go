package memory

import (
	"fmt"
	"sync"
)

// reservedMax is Spark's reserved system memory (300 MiB). Small heaps, which
// Spark refuses outright, reserve a quarter instead so tests can run with
// little memory.
const reservedMax = 300 << 20

// Manager tracks one executor's execution and storage memory.
type Manager struct {
	heap   int64
	usable int64
	slots  int

	mu      sync.Mutex
	storage int64
}

// New returns a manager for a process with heap bytes of memory running at
// most slots tasks at once. fraction is spark.memory.fraction.
func New(heap int64, slots int, fraction float64) (*Manager, error) {
	if heap <= 0 {
		return nil, fmt.Errorf("memory: heap must be positive, got %d", heap)
	}
	if slots < 1 {
		slots = 1
	}
	if fraction <= 0 || fraction > 1 {
		return nil, fmt.Errorf("memory: spark.memory.fraction must be in (0, 1], got %v", fraction)
	}
	reserved := min(int64(reservedMax), heap/4)
	usable := int64(float64(heap-reserved) * fraction)
	return &Manager{
		heap:   heap,
		usable: usable,
		slots:  slots,
	}, nil
}

// Heap is the process memory the manager was built for.
func (m *Manager) Heap() int64 { return m.heap }

// Usable is the memory shared by execution and storage.
func (m *Manager) Usable() int64 { return m.usable }

// TaskBudget is how much execution memory one task may buffer before it
// spills: its 1/N share of the usable memory not held by cached blocks, so
// that storage plus all running tasks never exceed the usable memory.
// Cached blocks are not evicted for execution: tasks spill sooner instead.
func (m *Manager) TaskBudget() int64 {
	m.mu.Lock()
	held := m.storage
	m.mu.Unlock()
	b := (m.usable - held) / int64(m.slots)
	return max(b, 1<<20)
}

// AcquireStorage reserves n bytes for a cached block. It returns false when
// storage would exceed the usable memory minus what running tasks may need.
func (m *Manager) AcquireStorage(n int64) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.storage+n > m.usable {
		return false
	}
	m.storage += n
	return true
}

// ReleaseStorage returns n bytes of storage memory.
func (m *Manager) ReleaseStorage(n int64) {
	m.mu.Lock()
	m.storage -= n
	if m.storage < 0 {
		m.storage = 0
	}
	m.mu.Unlock()
}

// StorageUsed is the memory held by cached blocks.
func (m *Manager) StorageUsed() int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.storage
}
