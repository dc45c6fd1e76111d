package spark

import (
	"github.com/gospark/gospark/internal/shuffle"
	"github.com/gospark/gospark/internal/spill"
	"github.com/gospark/gospark/internal/task"
)

// The engine's packages measure with their own counters (internal/shuffle
// and internal/spill cannot import internal/task); these add them to the
// task's metrics when the writer, reader, map or sorter is done with, once
// per structure rather than per record.

func addWriteMetrics(m *task.Metrics, w shuffle.WriteMetrics) {
	m.ShuffleBytesWritten.Add(w.BytesWritten)
	m.ShuffleRecordsWritten.Add(w.RecordsWritten)
	m.ShuffleWriteTime.Add(int64(w.WriteTime))
	m.MemoryBytesSpilled.Add(w.MemoryBytesSpilled)
	m.DiskBytesSpilled.Add(w.DiskBytesSpilled)
	// Structures alive in one task add their peaks, as Spark's
	// incPeakExecutionMemory does.
	m.PeakExecutionMemory.Add(w.PeakMemory)
}

func addReadMetrics(m *task.Metrics, r *shuffle.ReadMetrics) {
	m.LocalBlocksFetched.Add(r.LocalBlocks)
	m.RemoteBlocksFetched.Add(r.RemoteBlocks)
	m.LocalBytesRead.Add(r.LocalBytes)
	m.RemoteBytesRead.Add(r.RemoteBytes)
	m.ShuffleRecordsRead.Add(r.Records)
	m.FetchWaitNanos.Add(int64(r.FetchWait))
}

func addSpillMetrics(m *task.Metrics, s spill.Metrics) {
	m.MemoryBytesSpilled.Add(s.MemoryBytesSpilled)
	m.DiskBytesSpilled.Add(s.DiskBytesSpilled)
	m.PeakExecutionMemory.Add(s.PeakMemory)
}

// countInput passes batches to out, counting their records as the task's
// input (records read from a source or a cached partition).
func countInput[T any](m *task.Metrics, out func([]T) error) func([]T) error {
	return func(b []T) error {
		m.InputRecords.Add(int64(len(b)))
		return out(b)
	}
}
