package metrics

import (
	"net/http"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/gospark/gospark/internal/events"
)

// DriverConfig says what the driver's endpoint exports besides what the
// events tell.
type DriverConfig struct {
	// Namespace is spark.metrics.namespace, or the application id when
	// that is unset.
	Namespace string
	// WaitingStages returns how many stages wait for their parents (the
	// DAG scheduler's waiting stages). Nil leaves the gauge out: the events
	// do not tell a waiting stage from one that will be skipped.
	WaitingStages func() int
	// Storage returns the storage memory of every block manager together.
	// Nil leaves the BlockManager gauges out.
	Storage func() Storage
	// Queues names the listener bus's queues; Dropped returns how many
	// events a queue dropped (events.Bus.Dropped). With both set, each
	// queue gets a numDroppedEvents counter.
	Queues  []string
	Dropped func(queue string) int64
	// LocalExecutor says the driver runs the tasks itself (local[N]); the
	// executor source is then exported, Cores being its task slots.
	LocalExecutor bool
	Cores         int
}

// Storage is the block managers' memory and disk use, in bytes.
type Storage struct {
	MaxMemory  int64 // storage memory the block managers may use
	MemoryUsed int64 // held by cached blocks
	DiskUsed   int64 // cached blocks on disk
}

// Driver is the driver's metric sources. Add it to the listener bus; serve
// Handler at /metrics/prometheus.
type Driver struct {
	cfg  DriverConfig
	reg  *prometheus.Registry
	desc descs

	mu         sync.Mutex
	allJobs    int64
	jobs       map[int][]int // active job -> its stages
	running    map[int]bool  // stage ids
	failed     map[int]bool
	posted     int64
	started    int64
	ended      int64
	succeeded  int64
	taskTotals taskTotals
}

// taskTotals are the executor source's counters, summed over succeeded
// tasks.
type taskTotals struct {
	runTime, resultSize                                  int64
	fetchWait, writeTime                                 int64
	localBytes, remoteBytes, remoteToDisk                int64
	localBlocks, remoteBlocks, recordsRead               int64
	bytesWritten, recordsWritten                         int64
	inputBytes, inputRecords, outputBytes, outputRecords int64
	memorySpilled, diskSpilled                           int64
}

// NewDriver returns the driver's sources with their own registry.
func NewDriver(cfg DriverConfig) *Driver {
	d := &Driver{cfg: cfg, reg: prometheus.NewRegistry(),
		jobs: map[int][]int{}, running: map[int]bool{}, failed: map[int]bool{}}
	d.desc = newDescs(cfg)
	d.reg.MustRegister(driverCollector{d})
	return d
}

// Handler serves the metrics in Prometheus' text format.
func (d *Driver) Handler() http.Handler {
	return promhttp.HandlerFor(d.reg, promhttp.HandlerOpts{})
}

// Registry is the driver's registry, for tests and for other handlers.
func (d *Driver) Registry() *prometheus.Registry { return d.reg }

// OnEvent implements events.Listener.
func (d *Driver) OnEvent(e events.Event) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.posted++
	switch e := e.(type) {
	case *events.JobStart:
		d.allJobs++
		d.jobs[e.JobID] = e.StageIDs
	case *events.JobEnd:
		stages := d.jobs[e.JobID]
		delete(d.jobs, e.JobID)
		for _, id := range stages {
			if !d.inActiveJob(id) {
				delete(d.running, id)
				delete(d.failed, id)
			}
		}
	case *events.StageSubmitted:
		d.running[e.StageInfo.StageID] = true
		delete(d.failed, e.StageInfo.StageID)
	case *events.StageCompleted:
		delete(d.running, e.StageInfo.StageID)
		if e.StageInfo.FailureReason != nil {
			d.failed[e.StageInfo.StageID] = true
		}
	case *events.TaskStart:
		d.started++
	case *events.TaskEnd:
		d.ended++
		if e.TaskEndReason.Failed() {
			return
		}
		d.succeeded++
		if m := e.TaskMetrics; m != nil {
			d.taskTotals.add(m)
		}
	}
}

func (d *Driver) inActiveJob(stage int) bool {
	for _, ids := range d.jobs {
		for _, id := range ids {
			if id == stage {
				return true
			}
		}
	}
	return false
}

func (t *taskTotals) add(m *events.TaskMetrics) {
	t.runTime += m.ExecutorRunTime
	t.resultSize += m.ResultSize
	r, w := m.ShuffleReadMetrics, m.ShuffleWriteMetrics
	t.fetchWait += r.FetchWaitTime
	t.localBytes += r.LocalBytesRead
	t.remoteBytes += r.RemoteBytesRead
	t.remoteToDisk += r.RemoteBytesReadToDisk
	t.localBlocks += r.LocalBlocksFetched
	t.remoteBlocks += r.RemoteBlocksFetched
	t.recordsRead += r.TotalRecordsRead
	t.writeTime += w.ShuffleWriteTime
	t.bytesWritten += w.ShuffleBytesWritten
	t.recordsWritten += w.ShuffleRecordsWritten
	t.inputBytes += m.InputMetrics.BytesRead
	t.inputRecords += m.InputMetrics.RecordsRead
	t.outputBytes += m.OutputMetrics.BytesWritten
	t.outputRecords += m.OutputMetrics.RecordsWritten
	t.memorySpilled += m.MemoryBytesSpilled
	t.diskSpilled += m.DiskBytesSpilled
}

// normalize turns a metric key into the form PrometheusServlet prints:
// every character other than an ASCII letter or digit becomes "_".
func normalize(key string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, key)
}

// gauge is a gauge's two series, <name>_Number and <name>_Value.
type gauge struct{ number, value *prometheus.Desc }

func newGauge(prefix, name string) gauge {
	base := prefix + normalize(name) + "_"
	labels := prometheus.Labels{"type": "gauges"}
	return gauge{
		number: prometheus.NewDesc(base+"Number", "Spark gauge "+name, nil, labels),
		value:  prometheus.NewDesc(base+"Value", "Spark gauge "+name, nil, labels),
	}
}

func newCounter(prefix, name string) *prometheus.Desc {
	return prometheus.NewDesc(prefix+normalize(name)+"_Count", "Spark counter "+name, nil, prometheus.Labels{"type": "counters"})
}

type descs struct {
	allJobs, activeJobs, running, failed, waiting gauge
	posted                                        *prometheus.Desc
	dropped                                       []*prometheus.Desc // per cfg.Queues

	maxMem, maxOnHeap, maxOffHeap        gauge
	memUsed, onHeapUsed, offHeapUsed     gauge
	remaining, remainingOn, remainingOff gauge
	diskUsed                             gauge

	activeTasks, startedTasks, completeTasks, maxPool gauge
	counters                                          []taskCounter
}

// taskCounter is one of the executor source's counters and where its
// value is in the totals.
type taskCounter struct {
	desc  *prometheus.Desc
	value func(*Driver) int64
}

func newDescs(cfg DriverConfig) descs {
	p := "metrics_" + normalize(cfg.Namespace) + "_driver_"
	var ds descs
	dag := p + "DAGScheduler_"
	ds.allJobs = newGauge(dag, "job.allJobs")
	ds.activeJobs = newGauge(dag, "job.activeJobs")
	ds.running = newGauge(dag, "stage.runningStages")
	ds.failed = newGauge(dag, "stage.failedStages")
	ds.waiting = newGauge(dag, "stage.waitingStages")

	bus := p + "LiveListenerBus_"
	ds.posted = newCounter(bus, "numEventsPosted")
	if cfg.Dropped != nil {
		for _, q := range cfg.Queues {
			ds.dropped = append(ds.dropped, newCounter(bus, "queue."+q+".numDroppedEvents"))
		}
	}

	bm := p + "BlockManager_"
	ds.maxMem = newGauge(bm, "memory.maxMem_MB")
	ds.maxOnHeap = newGauge(bm, "memory.maxOnHeapMem_MB")
	ds.maxOffHeap = newGauge(bm, "memory.maxOffHeapMem_MB")
	ds.memUsed = newGauge(bm, "memory.memUsed_MB")
	ds.onHeapUsed = newGauge(bm, "memory.onHeapMemUsed_MB")
	ds.offHeapUsed = newGauge(bm, "memory.offHeapMemUsed_MB")
	ds.remaining = newGauge(bm, "memory.remainingMem_MB")
	ds.remainingOn = newGauge(bm, "memory.remainingOnHeapMem_MB")
	ds.remainingOff = newGauge(bm, "memory.remainingOffHeapMem_MB")
	ds.diskUsed = newGauge(bm, "disk.diskSpaceUsed_MB")

	ex := p + "executor_"
	ds.activeTasks = newGauge(ex, "threadpool.activeTasks")
	ds.startedTasks = newGauge(ex, "threadpool.startedTasks")
	ds.completeTasks = newGauge(ex, "threadpool.completeTasks")
	ds.maxPool = newGauge(ex, "threadpool.maxPool_size")
	tt := func(f func(*taskTotals) int64) func(*Driver) int64 {
		return func(d *Driver) int64 { return f(&d.taskTotals) }
	}
	for _, c := range []struct {
		name  string
		value func(*Driver) int64
	}{
		{"succeededTasks", func(d *Driver) int64 { return d.succeeded }},
		{"runTime", tt(func(t *taskTotals) int64 { return t.runTime })},
		{"resultSize", tt(func(t *taskTotals) int64 { return t.resultSize })},
		{"shuffleFetchWaitTime", tt(func(t *taskTotals) int64 { return t.fetchWait })},
		{"shuffleWriteTime", tt(func(t *taskTotals) int64 { return t.writeTime })},
		{"shuffleTotalBytesRead", tt(func(t *taskTotals) int64 { return t.localBytes + t.remoteBytes })},
		{"shuffleLocalBytesRead", tt(func(t *taskTotals) int64 { return t.localBytes })},
		{"shuffleRemoteBytesRead", tt(func(t *taskTotals) int64 { return t.remoteBytes })},
		{"shuffleRemoteBytesReadToDisk", tt(func(t *taskTotals) int64 { return t.remoteToDisk })},
		{"shuffleLocalBlocksFetched", tt(func(t *taskTotals) int64 { return t.localBlocks })},
		{"shuffleRemoteBlocksFetched", tt(func(t *taskTotals) int64 { return t.remoteBlocks })},
		{"shuffleRecordsRead", tt(func(t *taskTotals) int64 { return t.recordsRead })},
		{"shuffleBytesWritten", tt(func(t *taskTotals) int64 { return t.bytesWritten })},
		{"shuffleRecordsWritten", tt(func(t *taskTotals) int64 { return t.recordsWritten })},
		{"bytesRead", tt(func(t *taskTotals) int64 { return t.inputBytes })},
		{"recordsRead", tt(func(t *taskTotals) int64 { return t.inputRecords })},
		{"bytesWritten", tt(func(t *taskTotals) int64 { return t.outputBytes })},
		{"recordsWritten", tt(func(t *taskTotals) int64 { return t.outputRecords })},
		{"memoryBytesSpilled", tt(func(t *taskTotals) int64 { return t.memorySpilled })},
		{"diskBytesSpilled", tt(func(t *taskTotals) int64 { return t.diskSpilled })},
	} {
		ds.counters = append(ds.counters, taskCounter{newCounter(ex, c.name), c.value})
	}
	return ds
}

// driverCollector reads the driver's state at each scrape.
type driverCollector struct{ d *Driver }

func (c driverCollector) Describe(ch chan<- *prometheus.Desc) {
	d, ds := c.d, &c.d.desc
	gauges := []gauge{ds.allJobs, ds.activeJobs, ds.running, ds.failed}
	if d.cfg.WaitingStages != nil {
		gauges = append(gauges, ds.waiting)
	}
	if d.cfg.Storage != nil {
		gauges = append(gauges, ds.maxMem, ds.maxOnHeap, ds.maxOffHeap, ds.memUsed, ds.onHeapUsed, ds.offHeapUsed,
			ds.remaining, ds.remainingOn, ds.remainingOff, ds.diskUsed)
	}
	if d.cfg.LocalExecutor {
		gauges = append(gauges, ds.activeTasks, ds.startedTasks, ds.completeTasks, ds.maxPool)
		for _, tc := range ds.counters {
			ch <- tc.desc
		}
	}
	for _, g := range gauges {
		ch <- g.number
		ch <- g.value
	}
	ch <- ds.posted
	for _, desc := range ds.dropped {
		ch <- desc
	}
}

func (c driverCollector) Collect(ch chan<- prometheus.Metric) {
	d, ds := c.d, &c.d.desc
	// Callbacks run outside the lock: they may take locks of their own.
	var waiting int
	if d.cfg.WaitingStages != nil {
		waiting = d.cfg.WaitingStages()
	}
	var st *Storage
	if d.cfg.Storage != nil {
		s := d.cfg.Storage()
		st = &s
	}
	var dropped []int64
	if d.cfg.Dropped != nil {
		for _, q := range d.cfg.Queues {
			dropped = append(dropped, d.cfg.Dropped(q))
		}
	}

	setGauge := func(g gauge, v float64) {
		ch <- prometheus.MustNewConstMetric(g.number, prometheus.GaugeValue, v)
		ch <- prometheus.MustNewConstMetric(g.value, prometheus.GaugeValue, v)
	}
	setCounter := func(desc *prometheus.Desc, v int64) {
		ch <- prometheus.MustNewConstMetric(desc, prometheus.CounterValue, float64(v))
	}

	d.mu.Lock()
	setGauge(ds.allJobs, float64(d.allJobs))
	setGauge(ds.activeJobs, float64(len(d.jobs)))
	setGauge(ds.running, float64(len(d.running)))
	setGauge(ds.failed, float64(len(d.failed)))
	setCounter(ds.posted, d.posted)
	if d.cfg.LocalExecutor {
		setGauge(ds.activeTasks, float64(d.started-d.ended))
		setGauge(ds.startedTasks, float64(d.started))
		setGauge(ds.completeTasks, float64(d.ended))
		setGauge(ds.maxPool, float64(d.cfg.Cores))
		for _, tc := range ds.counters {
			setCounter(tc.desc, tc.value(d))
		}
	}
	d.mu.Unlock()

	if d.cfg.WaitingStages != nil {
		setGauge(ds.waiting, float64(waiting))
	}
	for i, desc := range ds.dropped {
		setCounter(desc, dropped[i])
	}
	if st != nil {
		// Spark divides by 1024*1024 in whole numbers.
		mb := func(n int64) float64 { return float64(n / (1 << 20)) }
		remaining := max(st.MaxMemory-st.MemoryUsed, 0)
		setGauge(ds.maxMem, mb(st.MaxMemory))
		setGauge(ds.maxOnHeap, mb(st.MaxMemory))
		setGauge(ds.maxOffHeap, 0)
		setGauge(ds.memUsed, mb(st.MemoryUsed))
		setGauge(ds.onHeapUsed, mb(st.MemoryUsed))
		setGauge(ds.offHeapUsed, 0)
		setGauge(ds.remaining, mb(remaining))
		setGauge(ds.remainingOn, mb(remaining))
		setGauge(ds.remainingOff, 0)
		setGauge(ds.diskUsed, mb(st.DiskUsed))
	}
}
