// Package clustermgr is the engine's side of a cluster manager, after
// Spark's ExternalClusterManager and SchedulerBackend split: the driver
// runtime owns the scheduler and the executors' endpoint, and asks a
// Manager for executor processes. A Manager starts executors with the
// launch contract (internal/launch), keeps the number the driver asked for
// running, kills or decommissions the executors it is told to, and tells
// the driver about executors whose process or pod ended.
//
// Managers register themselves by master kind (Register); the spark
// package links only those it imports: local-cluster's processes
// (clustermgr/localcluster) and the external manager of a Kubernetes
// driver pod (clustermgr/external), which speaks to the gospark process
// that runs the pod, so that an application binary carries no Kubernetes
// code.
package clustermgr

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"

	"github.com/gospark/gospark/internal/config"
	"github.com/gospark/gospark/internal/launch"
	"github.com/gospark/gospark/internal/master"
)

// Manager provides an application's executors.
type Manager interface {
	// Start launches the initial executors (app.Instances) and returns
	// once they were asked for; they register with the driver later.
	Start(ctx context.Context, app App) error
	// RequestTotal sets how many executors should run (dynamic
	// allocation's target); lost executors are replaced up to it.
	RequestTotal(ctx context.Context, total int) error
	// Kill ends the given executors at once (lost, or silent); they are
	// replaced while the total asks for them.
	Kill(ctx context.Context, ids []string) error
	// Decommission ends the given executors gracefully and lowers the
	// total by as many: they are not replaced.
	Decommission(ctx context.Context, ids []string) error
	// Registered tells the manager an executor registered with the
	// driver (a started executor is pending until then).
	Registered(id string)
	// BeginStop marks exits from now on as expected: the application is
	// ending and the driver has told its executors to stop.
	BeginStop()
	// Stop ends every executor that is left and releases the manager.
	Stop(ctx context.Context) error
}

// ShuffleServices is implemented by managers that know the external
// shuffle service (spark.shuffle.service.enabled) of each executor's host:
// local-cluster runs one, and on Kubernetes it is the pod of the shuffle
// service DaemonSet on the executor's node, found by
// spark.kubernetes.shuffle.labels.
type ShuffleServices interface {
	// ShuffleService returns host:port of the shuffle service that serves
	// executor id, which runs on host (launch.EnvHost). The error says
	// why there is none (no pod with the labels on that node, ...).
	ShuffleService(ctx context.Context, executorID, host string) (string, error)
}

// Logs is implemented by managers that can show an executor's log, for
// the UI's Executors page: local-cluster keeps each executor process's
// output in a file, and on Kubernetes it is the log of the executor's pod.
// The log is the executor's stdout and stderr together (the UI's stdout
// and stderr links may both show it).
type Logs interface {
	// ExecutorLog returns the end of executor id's log: at most its last
	// LogTail bytes. The error wraps ErrNoLog when there is no log to show
	// (an unknown executor, or one whose process or pod is gone with its
	// log), and says why.
	ExecutorLog(ctx context.Context, executorID string) (io.ReadCloser, error)
}

// LogTail is the most of an executor's log Logs.ExecutorLog returns: its
// last MiB.
const LogTail = 1 << 20

// ErrNoLog is wrapped by Logs.ExecutorLog's error when the executor has
// no log to show.
var ErrNoLog = errors.New("clustermgr: no log for this executor")

// App is what a manager starts executors for.
type App struct {
	// Launch is the contract every executor starts with.
	Launch launch.Executor
	// Instances is the initial number of executors.
	Instances int
	// MemoryMiB is each executor's memory.
	MemoryMiB int64
	Events    Events
}

// Events are how a manager reports to the driver. Each may be called from
// any goroutine.
type Events struct {
	// Exited: executor id's process or pod ended (or is gone) while the
	// application was not stopping, for the reason given.
	Exited func(id, reason string)
	// Fatal: the application cannot get executors any more (too many
	// failures); its jobs fail with err.
	Fatal func(err error)
}

// Factory makes the manager of a master URL.
type Factory func(m master.Master, conf *config.Conf, log *slog.Logger) (Manager, error)

// registry holds the managers linked into this binary, by master kind.
var registry struct {
	mu        sync.Mutex
	factories map[master.Kind]Factory
}

// Register makes a manager available for a kind of master URL.
func Register(kind master.Kind, f Factory) {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	if registry.factories == nil {
		registry.factories = make(map[master.Kind]Factory)
	}
	registry.factories[kind] = f
}

// ErrNoManager is returned by New for a master no linked manager serves.
var ErrNoManager = errors.New("clustermgr: no cluster manager for this master")

// New makes the manager for m.
func New(m master.Master, conf *config.Conf, log *slog.Logger) (Manager, error) {
	registry.mu.Lock()
	f := registry.factories[m.Kind]
	registry.mu.Unlock()
	if f == nil {
		return nil, fmt.Errorf("%w: %s", ErrNoManager, m.Raw)
	}
	return f(m, conf, log)
}
