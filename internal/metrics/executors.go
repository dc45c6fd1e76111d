package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// App names the application the executors' metrics are labelled with.
// Version, when set, is printed as spark_info's version label.
type App struct {
	ID, Name          string
	Version, Revision string
}

// ExecutorValues is one executor's summary, as the REST API's
// ExecutorSummary has it.
type ExecutorValues struct {
	ID                                                   string
	RDDBlocks                                            int
	MemoryUsed, DiskUsed, MaxMemory                      int64 // bytes
	TotalCores, MaxTasks, ActiveTasks                    int
	FailedTasks, CompletedTasks, TotalTasks              int
	TotalDuration, TotalGCTime                           time.Duration
	TotalInputBytes, TotalShuffleRead, TotalShuffleWrite int64
	// Memory is the executor's storage memory (Spark's memoryMetrics); nil
	// leaves its four series out.
	Memory *StorageMemory
}

// StorageMemory is an executor's storage memory, in bytes.
type StorageMemory struct {
	UsedOnHeap, UsedOffHeap, TotalOnHeap, TotalOffHeap int64
}

var executorLabels = []string{"application_id", "application_name", "executor_id"}

type executorSeries struct {
	desc  *prometheus.Desc
	typ   prometheus.ValueType
	value func(*ExecutorValues) float64
}

func executorSeriesList() []executorSeries {
	gauge, counter := prometheus.GaugeValue, prometheus.CounterValue
	n := func(v int) float64 { return float64(v) }
	b := func(v int64) float64 { return float64(v) }
	s := func(name, help string, typ prometheus.ValueType, value func(*ExecutorValues) float64) executorSeries {
		return executorSeries{prometheus.NewDesc("metrics_executor_"+name, help, executorLabels, nil), typ, value}
	}
	return []executorSeries{
		s("rddBlocks", "Cached partitions the executor holds.", gauge, func(e *ExecutorValues) float64 { return n(e.RDDBlocks) }),
		s("memoryUsed_bytes", "Storage memory used by cached blocks.", gauge, func(e *ExecutorValues) float64 { return b(e.MemoryUsed) }),
		s("diskUsed_bytes", "Disk used by cached blocks.", gauge, func(e *ExecutorValues) float64 { return b(e.DiskUsed) }),
		s("totalCores", "Cores of the executor.", gauge, func(e *ExecutorValues) float64 { return n(e.TotalCores) }),
		s("maxTasks", "Tasks the executor may run at once.", gauge, func(e *ExecutorValues) float64 { return n(e.MaxTasks) }),
		s("activeTasks", "Tasks running.", gauge, func(e *ExecutorValues) float64 { return n(e.ActiveTasks) }),
		s("failedTasks_total", "Tasks that failed.", counter, func(e *ExecutorValues) float64 { return n(e.FailedTasks) }),
		s("completedTasks_total", "Tasks that succeeded.", counter, func(e *ExecutorValues) float64 { return n(e.CompletedTasks) }),
		s("totalTasks_total", "Tasks run.", counter, func(e *ExecutorValues) float64 { return n(e.TotalTasks) }),
		s("totalDuration_seconds_total", "Time spent running tasks.", counter, func(e *ExecutorValues) float64 { return e.TotalDuration.Seconds() }),
		s("totalGCTime_seconds_total", "Garbage collection time during tasks.", counter, func(e *ExecutorValues) float64 { return e.TotalGCTime.Seconds() }),
		s("totalInputBytes_bytes_total", "Input bytes read by tasks.", counter, func(e *ExecutorValues) float64 { return b(e.TotalInputBytes) }),
		s("totalShuffleRead_bytes_total", "Shuffle bytes read by tasks.", counter, func(e *ExecutorValues) float64 { return b(e.TotalShuffleRead) }),
		s("totalShuffleWrite_bytes_total", "Shuffle bytes written by tasks.", counter, func(e *ExecutorValues) float64 { return b(e.TotalShuffleWrite) }),
		s("maxMemory_bytes", "Storage memory available.", gauge, func(e *ExecutorValues) float64 { return b(e.MaxMemory) }),
	}
}

func storageSeriesList() []executorSeries {
	s := func(name, help string, value func(*StorageMemory) int64) executorSeries {
		return executorSeries{prometheus.NewDesc("metrics_executor_"+name, help, executorLabels, nil), prometheus.GaugeValue,
			func(e *ExecutorValues) float64 { return float64(value(e.Memory)) }}
	}
	return []executorSeries{
		s("usedOnHeapStorageMemory_bytes", "On-heap storage memory used.", func(m *StorageMemory) int64 { return m.UsedOnHeap }),
		s("usedOffHeapStorageMemory_bytes", "Off-heap storage memory used.", func(m *StorageMemory) int64 { return m.UsedOffHeap }),
		s("totalOnHeapStorageMemory_bytes", "On-heap storage memory available.", func(m *StorageMemory) int64 { return m.TotalOnHeap }),
		s("totalOffHeapStorageMemory_bytes", "Off-heap storage memory available.", func(m *StorageMemory) int64 { return m.TotalOffHeap }),
	}
}

// ExecutorsHandler serves Spark's executor metrics
// (/metrics/executors/prometheus) of app's executors: list returns them at
// each scrape, normally the status store's active executors.
func ExecutorsHandler(app App, list func() []ExecutorValues) http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(&executorsCollector{
		app: app, list: list,
		series: executorSeriesList(), storage: storageSeriesList(),
		info: prometheus.NewDesc("spark_info", "The version of Spark the application runs.", nil,
			prometheus.Labels{"version": app.Version, "revision": app.Revision}),
	})
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
}

type executorsCollector struct {
	app             App
	list            func() []ExecutorValues
	series, storage []executorSeries
	info            *prometheus.Desc
}

func (c *executorsCollector) Describe(ch chan<- *prometheus.Desc) {
	if c.app.Version != "" {
		ch <- c.info
	}
	for _, s := range c.series {
		ch <- s.desc
	}
	for _, s := range c.storage {
		ch <- s.desc
	}
}

func (c *executorsCollector) Collect(ch chan<- prometheus.Metric) {
	if c.app.Version != "" {
		ch <- prometheus.MustNewConstMetric(c.info, prometheus.GaugeValue, 1)
	}
	execs := c.list()
	for i := range execs {
		e := &execs[i]
		emit := func(s executorSeries) {
			ch <- prometheus.MustNewConstMetric(s.desc, s.typ, s.value(e), c.app.ID, c.app.Name, e.ID)
		}
		for _, s := range c.series {
			emit(s)
		}
		if e.Memory != nil {
			for _, s := range c.storage {
				emit(s)
			}
		}
	}
}
