package task

import (
	"sync/atomic"
	"time"
)

// Metrics is what one task attempt measures while it runs (Spark's
// TaskMetrics). The engine adds to it from the task's goroutines (a
// shuffle fetch runs beside the task), so every counter is atomic; Snapshot
// takes its value when the task ends.
type Metrics struct {
	// Input: records (and bytes, for files) read from the job's source.
	InputBytes, InputRecords atomic.Int64
	// Output: records and bytes written to files (SaveAsTextFile).
	OutputBytes, OutputRecords atomic.Int64
	// Shuffle write: bytes of map output on disk (compressed), records,
	// and the time spent writing it (nanoseconds).
	ShuffleBytesWritten, ShuffleRecordsWritten, ShuffleWriteTime atomic.Int64
	// Shuffle read: blocks and bytes fetched from this executor's disk and
	// from others, records read, and the time the task waited for fetches
	// (milliseconds, as Spark's Fetch Wait Time).
	LocalBlocksFetched, RemoteBlocksFetched atomic.Int64
	LocalBytesRead, RemoteBytesRead         atomic.Int64
	ShuffleRecordsRead                      atomic.Int64
	FetchWaitNanos                          atomic.Int64
	// Spill: the in-memory size of data spilled, and its size on disk.
	MemoryBytesSpilled, DiskBytesSpilled atomic.Int64
	// PeakExecutionMemory is the most execution memory the task held.
	PeakExecutionMemory atomic.Int64
}

// MetricsSnapshot is a task's metrics when it ended: plain values that
// travel to the driver with the task's status.
type MetricsSnapshot struct {
	RunTime    time.Duration // the task's wall time on the executor
	CPUTime    time.Duration // 0 when unknown
	ResultSize int64         // bytes of the result sent to the driver

	InputBytes, InputRecords                   int64
	OutputBytes, OutputRecords                 int64
	ShuffleBytesWritten, ShuffleRecordsWritten int64
	ShuffleWriteTime                           time.Duration
	LocalBlocksFetched, RemoteBlocksFetched    int64
	LocalBytesRead, RemoteBytesRead            int64
	ShuffleRecordsRead                         int64
	FetchWait                                  time.Duration
	MemoryBytesSpilled, DiskBytesSpilled       int64
	PeakExecutionMemory                        int64
}

// Snapshot returns the metrics' current values.
func (m *Metrics) Snapshot() MetricsSnapshot {
	if m == nil {
		return MetricsSnapshot{}
	}
	return MetricsSnapshot{
		InputBytes: m.InputBytes.Load(), InputRecords: m.InputRecords.Load(),
		OutputBytes: m.OutputBytes.Load(), OutputRecords: m.OutputRecords.Load(),
		ShuffleBytesWritten: m.ShuffleBytesWritten.Load(), ShuffleRecordsWritten: m.ShuffleRecordsWritten.Load(),
		ShuffleWriteTime:   time.Duration(m.ShuffleWriteTime.Load()),
		LocalBlocksFetched: m.LocalBlocksFetched.Load(), RemoteBlocksFetched: m.RemoteBlocksFetched.Load(),
		LocalBytesRead: m.LocalBytesRead.Load(), RemoteBytesRead: m.RemoteBytesRead.Load(),
		ShuffleRecordsRead: m.ShuffleRecordsRead.Load(),
		FetchWait:          time.Duration(m.FetchWaitNanos.Load()),
		MemoryBytesSpilled: m.MemoryBytesSpilled.Load(), DiskBytesSpilled: m.DiskBytesSpilled.Load(),
		PeakExecutionMemory: m.PeakExecutionMemory.Load(),
	}
}

// ObservePeak raises PeakExecutionMemory to n if n is higher.
func (m *Metrics) ObservePeak(n int64) {
	for {
		old := m.PeakExecutionMemory.Load()
		if n <= old || m.PeakExecutionMemory.CompareAndSwap(old, n) {
			return
		}
	}
}
