package storage

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"sync"

	"github.com/gospark/gospark/internal/memory"
)

// Level is a storage level, as Spark's StorageLevel.
type Level int

const (
	None Level = iota
	MemoryOnly
	MemoryAndDisk
	DiskOnly
)

func (l Level) String() string {
	switch l {
	case None:
		return "NONE"
	case MemoryOnly:
		return "MEMORY_ONLY"
	case MemoryAndDisk:
		return "MEMORY_AND_DISK"
	case DiskOnly:
		return "DISK_ONLY"
	}
	return fmt.Sprintf("Level(%d)", int(l))
}

// UseMemory reports whether the level keeps blocks in memory when they fit.
func (l Level) UseMemory() bool { return l == MemoryOnly || l == MemoryAndDisk }

// UseDisk reports whether the level may keep blocks on disk.
func (l Level) UseDisk() bool { return l == MemoryAndDisk || l == DiskOnly }

// BlockID names one cached partition.
type BlockID struct {
	Dataset   int64
	Partition int
}

func (b BlockID) String() string { return fmt.Sprintf("rdd_%d_%d", b.Dataset, b.Partition) }

// Block is a stored partition: either decoded records in memory (Value, a
// []T owned by the store) or an encoded file on disk (Path).
type Block struct {
	Value any
	Path  string
	Size  int64
	Count int64
	// Encode writes a memory block in the on-disk format (compressed
	// frames of encoded records), for executors that fetch it; nil when the
	// records have no codec.
	Encode func(w io.Writer) error
}

// Manager holds an executor's blocks.
type Manager struct {
	mem *memory.Manager
	dir string

	mu     sync.Mutex
	blocks map[BlockID]*Block
	added  []Stored // stored since the last TakeAdded
}

// Stored is a block as it was stored: in memory or on disk, and its size
// (in memory: the estimated size of its records; on disk: the file's).
type Stored struct {
	ID   BlockID
	Disk bool
	Size int64
}

// TakeAdded returns the blocks stored since the last call, for an executor
// to report to the driver.
func (m *Manager) TakeAdded() []Stored {
	m.mu.Lock()
	defer m.mu.Unlock()
	a := m.added
	m.added = nil
	return a
}

// New returns a store using mem for memory accounting and dir for blocks on
// disk.
func New(mem *memory.Manager, dir string) *Manager {
	return &Manager{mem: mem, dir: dir, blocks: make(map[BlockID]*Block)}
}

// Get returns a stored block.
func (m *Manager) Get(id BlockID) (*Block, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.blocks[id]
	return b, ok
}

// List returns the ids of the stored blocks, in order.
func (m *Manager) List() []BlockID {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]BlockID, 0, len(m.blocks))
	for id := range m.blocks {
		out = append(out, id)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Dataset != out[j].Dataset {
			return out[i].Dataset < out[j].Dataset
		}
		return out[i].Partition < out[j].Partition
	})
	return out
}

// Contains reports whether a block is stored.
func (m *Manager) Contains(id BlockID) bool {
	_, ok := m.Get(id)
	return ok
}

// Reserve asks for n bytes of storage memory for a block being built.
func (m *Manager) Reserve(n int64) bool { return m.mem.AcquireStorage(n) }

// Unreserve gives back memory reserved for a block that was not stored.
func (m *Manager) Unreserve(n int64) { m.mem.ReleaseStorage(n) }

// PutMemory stores decoded records whose size was reserved with Reserve.
func (m *Manager) PutMemory(id BlockID, value any, size, count int64, encode func(io.Writer) error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if old, ok := m.blocks[id]; ok {
		m.drop(old)
	}
	m.blocks[id] = &Block{Value: value, Size: size, Count: count, Encode: encode}
	m.added = append(m.added, Stored{ID: id, Size: size})
}

// DiskPath is where a block's file goes.
func (m *Manager) DiskPath(id BlockID) (string, error) {
	dir := filepath.Join(m.dir, "blocks")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("block dir: %w", err)
	}
	return filepath.Join(dir, id.String()), nil
}

// PutDisk records a block written to path.
func (m *Manager) PutDisk(id BlockID, path string, size, count int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if old, ok := m.blocks[id]; ok && old.Path != path {
		m.drop(old)
	}
	m.blocks[id] = &Block{Path: path, Size: size, Count: count}
	m.added = append(m.added, Stored{ID: id, Disk: true, Size: size})
}

// Remove drops every block of a dataset (unpersist).
func (m *Manager) Remove(dataset int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for id, b := range m.blocks {
		if id.Dataset == dataset {
			m.drop(b)
			delete(m.blocks, id)
		}
	}
}

func (m *Manager) drop(b *Block) {
	if b.Path != "" {
		_ = os.Remove(b.Path)
		return
	}
	m.mem.ReleaseStorage(b.Size)
}

// MemoryUsed is the memory held by blocks.
func (m *Manager) MemoryUsed() int64 { return m.mem.StorageUsed() }
