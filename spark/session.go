package spark

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gospark/gospark/internal/cluster"
	"github.com/gospark/gospark/internal/clustermgr"
	"github.com/gospark/gospark/internal/compress"
	"github.com/gospark/gospark/internal/config"
	"github.com/gospark/gospark/internal/executor"
	"github.com/gospark/gospark/internal/launch"
	"github.com/gospark/gospark/internal/master"
	"github.com/gospark/gospark/internal/memory"
	"github.com/gospark/gospark/internal/progress"
	"github.com/gospark/gospark/internal/scheduler"
	"github.com/gospark/gospark/internal/shuffle"
	"github.com/gospark/gospark/internal/storage"
	"github.com/gospark/gospark/internal/task"
)

// Session is a running application's driver (Spark's SparkContext): it owns
// the scheduler, the executors and the application's local directory.
//
// In an executor process the same type holds the plans the executor
// rebuilt from the driver's calls (remote is set, and the driver-side
// fields are not).
type Session struct {
	conf     *config.Conf
	master   master.Master
	appID    string
	appName  string
	log      *slog.Logger
	localDir string

	env      *task.Env
	backend  scheduler.Backend
	local    *executor.Local    // local[N]: tasks run here
	driver   *cluster.Driver    // other masters: the executors' endpoint
	cm       clustermgr.Manager // other masters: who starts the executors
	secret   string             // spark.authenticate's secret, given or made up
	tasks    *scheduler.TaskScheduler
	tracker  *scheduler.MapOutputTracker
	dag      *scheduler.DAGScheduler
	console  *consoleProgress
	events   *appEvents // the listener bus and what hangs on it (driver)
	ui       *uiServer  // nil when spark.ui.enabled is false
	memLimit int64      // the memory limit before the session set its own

	// fatal ends every job when the application cannot go on (no executor
	// can be started); fail cancels it with the reason.
	fatal context.Context
	fail  func(error)
	// stopping is cancelled by Stop, with ErrStopped: running actions fail.
	stopping context.Context
	stop     func()
	// registrations is signalled when an executor registers.
	registrations notifier

	started time.Time   // when the session started
	ready   atomic.Bool // enough executors registered (waitForExecutors)

	planSeq atomic.Int64
	shared  atomic.Int64

	mu       sync.Mutex
	stopped  bool
	accums   map[int64]accumSink
	calls    []invocation  // calls of plan functions, in order
	datasets map[int64]any // id -> *Dataset[T] built by those calls
	shuffles map[int64]*scheduler.ShuffleDep
	// Driver of executor processes: how many calls each executor was sent,
	// and the broadcast values they may ask for.
	sentCalls  map[string]int
	broadcasts map[int64]func() ([]byte, error)
	// remote is the executor runtime, in an executor process.
	remote *executorRuntime
	// serviceDir is, in an executor with an external shuffle service,
	// its local directory in the service's tree (kept at exit: the
	// service removes it when the application ends).
	serviceDir string
	// elastic is dynamic allocation and the shuffle services' upkeep
	// (driver side).
	elastic *elastic
}

// SessionOption configures a Session: Conf, Master, AppName.
type SessionOption struct{ set func(*config.Conf) error }

// Conf sets a property, as SparkConf.set: it wins over what spark-submit
// passed.
func Conf(name, value string) SessionOption {
	return SessionOption{set: func(c *config.Conf) error { return c.Set(name, value) }}
}

// Master sets spark.master.
func Master(m string) SessionOption { return Conf("spark.master", m) }

// AppName sets spark.app.name.
func AppName(name string) SessionOption { return Conf("spark.app.name", name) }

// NewSession starts the driver. Properties come from gospark submit (the
// GOSPARK_CONF environment variable) and then opts; with neither, the master
// is local[*]. Stop the session when done.
func NewSession(ctx context.Context, opts ...SessionOption) (*Session, error) {
	conf, err := config.FromEnv()
	if err != nil {
		return nil, fmt.Errorf("spark: configuration from gospark submit: %w", err)
	}
	if launch.IsShuffleService() {
		runShuffleService(ctx, conf) // never returns
	}
	if launch.IsExecutor() {
		// The driver's configuration, as it passed it: the options are the
		// driver's business.
		m, err := master.Parse(conf.String("spark.master"))
		if err != nil {
			return nil, fmt.Errorf("spark: %w", err)
		}
		runExecutor(ctx, conf, m) // never returns
	}
	for _, o := range opts {
		if o.set == nil {
			continue // the zero option sets nothing
		}
		if err := o.set(conf); err != nil {
			return nil, fmt.Errorf("spark: %w", err)
		}
	}
	m, err := master.Parse(conf.String("spark.master"))
	if err != nil {
		return nil, fmt.Errorf("spark: %w", err)
	}
	freezeRegistry()
	s := newSessionState(conf, m)
	s.started = time.Now()
	s.appID = conf.String("spark.app.id")
	if s.appID == "" {
		s.appID = fmt.Sprintf("local-%d", s.started.UnixMilli())
	}
	s.appName = conf.String("spark.app.name")
	if s.appName == "" {
		s.appName = filepath.Base(os.Args[0])
	}
	s.log = newLogger(conf).With("app", s.appID)
	for _, w := range conf.Warnings() {
		s.log.Warn(w)
	}
	if err := s.start(ctx); err != nil {
		s.stopExecutors() // nothing half-started stays behind
		if s.events != nil {
			s.events.discard()
		}
		s.cleanup()
		return nil, err
	}
	s.log.Info("session started", "name", s.appName, "master", m.Raw, "local_dir", s.localDir)
	return s, nil
}

func newSessionState(conf *config.Conf, m master.Master) *Session {
	fatal, cancel := context.WithCancelCause(context.Background())
	stopping, stop := context.WithCancelCause(context.Background())
	return &Session{conf: conf, master: m, accums: make(map[int64]accumSink), datasets: make(map[int64]any),
		shuffles: make(map[int64]*scheduler.ShuffleDep), sentCalls: make(map[string]int),
		broadcasts: make(map[int64]func() ([]byte, error)),
		fatal:      fatal, fail: func(err error) { cancel(err) },
		stopping: stopping, stop: func() { stop(ErrStopped) }}
}

func newLogger(conf *config.Conf) *slog.Logger {
	level := slog.LevelWarn
	name := os.Getenv("GOSPARK_LOG_LEVEL")
	if _, ok := config.Lookup("spark.log.level"); ok && conf.Has("spark.log.level") {
		name = conf.String("spark.log.level")
	}
	switch strings.ToUpper(name) {
	case "DEBUG", "TRACE", "ALL":
		level = slog.LevelDebug
	case "INFO":
		level = slog.LevelInfo
	case "ERROR", "FATAL", "OFF":
		level = slog.LevelError
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
}

func (s *Session) start(ctx context.Context) error {
	conf := s.conf
	cores := s.master.Threads
	if s.master.Kind != master.Local {
		cores = 1 // the driver runs no tasks, only what actions do on their results
	}
	// In local mode the driver's memory is the executor's, as in Spark.
	heap := conf.Bytes("spark.driver.memory")
	if err := s.setupEnv(ctx, executor.DriverID, "", heap, cores); err != nil {
		return err
	}
	tracker := scheduler.NewMapOutputTracker()
	s.tracker = tracker
	s.env.MapOutputs = tracker
	maxFailures := conf.Int("spark.task.maxFailures")
	if s.master.MaxFailures > 0 {
		maxFailures = s.master.MaxFailures
	}
	ev, err := newAppEvents(ctx, s)
	if err != nil {
		return err
	}
	s.events = ev
	ev.driverAdded(s.env.Memory.Usable())
	listener := scheduler.Listeners{ev}
	if conf.Bool("spark.ui.showConsoleProgress") && progress.IsTerminal(os.Stderr) {
		s.console = newConsoleProgress(os.Stderr)
		listener = append(listener, s.console)
	}
	if s.master.Kind != master.Local {
		// The manager first: a master no linked manager serves, or a
		// Kubernetes driver outside its pod, fails before anything listens.
		if err := checkElastic(conf, s.master); err != nil {
			return err
		}
		el, err := newElastic(s)
		if err != nil {
			return err
		}
		s.elastic = el
		cm, err := clustermgr.New(s.master, conf, s.log)
		if err != nil {
			return fmt.Errorf("spark: %w", err)
		}
		s.cm = cm
		if err := s.startDriverEndpoint(); err != nil {
			return err
		}
	} else {
		s.local = executor.NewLocal(s.env, cores)
		s.backend = s.local
	}
	s.tasks = scheduler.NewTaskScheduler(s.backend, maxFailures, s.log)
	s.dag = scheduler.NewDAGScheduler(s.tasks, tracker, scheduler.Options{
		MaxStageAttempts: conf.Int("spark.stage.maxConsecutiveAttempts"),
		Listener:         listener,
		OnAccums:         s.applyAccums,
		Log:              s.log,
	})
	if err := s.startUI(ev.handlers()); err != nil {
		return err
	}
	if s.cm != nil {
		if err := s.startExecutors(ctx); err != nil {
			return err
		}
		s.elastic.start()
	}
	return nil
}

// setupEnv creates the process's local directory and task environment.
// suffix tells executors' directories apart.
func (s *Session) setupEnv(ctx context.Context, execID, suffix string, heap int64, cores int) error {
	conf := s.conf
	base := conf.String("spark.local.dir")
	if v := os.Getenv("SPARK_LOCAL_DIRS"); v != "" {
		base = v // set by the cluster manager (the pod's emptyDir), as in Spark
	}
	if first, _, ok := strings.Cut(base, ","); ok {
		base = first
	}
	if err := os.MkdirAll(base, 0o755); err != nil {
		return fmt.Errorf("spark: spark.local.dir %s: %w", base, err)
	}
	dir, err := os.MkdirTemp(base, "gospark-"+s.appID+suffix+"-")
	if s.serviceDir != "" {
		dir, err = s.serviceDir, os.MkdirAll(s.serviceDir, 0o755)
	}
	if err != nil {
		return fmt.Errorf("spark: spark.local.dir %s: %w", base, err)
	}
	s.localDir = dir
	mem, err := memory.New(heap, cores, conf.Float("spark.memory.fraction"))
	if err != nil {
		return fmt.Errorf("spark: %w", err)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		s.memLimit = debug.SetMemoryLimit(heap)
	}
	shuf := &shuffle.Options{BufferSize: int(conf.Bytes("spark.shuffle.file.buffer"))}
	codecName := conf.String("spark.io.compression.codec")
	c, err := compress.Lookup(codecName)
	if err != nil {
		return fmt.Errorf("spark: spark.io.compression.codec: %w", err)
	}
	if conf.Bool("spark.shuffle.compress") {
		shuf.Codec = c
	}
	if conf.Bool("spark.shuffle.spill.compress") {
		shuf.SpillCodec = c
	}
	filesDir := filepath.Join(dir, filesDirName)
	if err := addFiles(ctx, conf.String("spark.files"), filesDir); err != nil {
		return err
	}
	s.env = &task.Env{
		ExecutorID: execID,
		Conf:       conf,
		LocalDir:   dir,
		FilesDir:   filesDir,
		Memory:     mem,
		Blocks:     storage.New(mem, dir),
		Fetcher:    shuffle.LocalFetcher{},
		Shuffle:    shuf,
	}
	return nil
}

// AppID is the application's id.
func (s *Session) AppID() string { return s.appID }

// AppName is spark.app.name.
func (s *Session) AppName() string { return s.appName }

// Master is spark.master.
func (s *Session) Master() string { return s.master.Raw }

// DefaultParallelism is spark.default.parallelism when set, else the
// total number of task slots.
func (s *Session) DefaultParallelism() int {
	if n := s.explicitParallelism(); n > 0 {
		return n
	}
	return s.backend.DefaultParallelism()
}

func (s *Session) explicitParallelism() int {
	if !s.conf.Has("spark.default.parallelism") {
		return 0
	}
	return s.conf.Int("spark.default.parallelism")
}

// GetConf returns a property's value as a string: the value set, else its
// default ("" when it has none). A name that is not a spark.* property
// known to gospark is an error (see docs/configuration.md).
func (s *Session) GetConf(name string) (string, error) {
	if _, ok := config.Lookup(name); !ok {
		return "", fmt.Errorf("spark: GetConf(%q): %w", name, config.ErrUnknownProperty)
	}
	return s.conf.String(name), nil
}

// Logger is the session's logger.
func (s *Session) Logger() *slog.Logger { return s.log }

// LocalDir is the application's scratch directory under spark.local.dir.
func (s *Session) LocalDir() string { return s.localDir }

func (s *Session) newPlan(e *funcEntry, seq int64) *Plan {
	p := &Plan{seq: seq, fn: e, conf: s.conf, env: s.env, sess: s, explicitParallelism: s.explicitParallelism()}
	if s.backend != nil { // executors take the driver's parallelism from the call
		p.parallelism = s.DefaultParallelism()
	}
	return p
}

// adopt records a sealed plan's call and datasets.
func (s *Session) adopt(p *Plan, inv invocation) {
	p.mu.Lock()
	built, shuffles := p.datasets, p.shuffles
	p.mu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, inv)
	for id, d := range built {
		s.datasets[id] = d
	}
	for id, dep := range shuffles {
		s.shuffles[id] = dep
	}
}

// datasetByID finds a dataset built by a call in this session.
func (s *Session) datasetByID(id int64) (any, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.datasets[id]
	return d, ok
}

// callLog returns the session's calls of plan functions, in order: what an
// executor replays to rebuild the driver's plans.
func (s *Session) callLog() []invocation {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]invocation(nil), s.calls...)
}

// replay rebuilds, in this session, a call another process (the driver)
// made: the same function with the same arguments, plan number and
// parallelism, so that every dataset gets the driver's id. Calls must be
// replayed in order, since a call may use datasets of earlier ones.
func (s *Session) replay(inv invocation) error {
	registry.mu.Lock()
	if inv.Func < 0 || inv.Func >= len(registry.funcs) {
		registry.mu.Unlock()
		return fmt.Errorf("spark: replay: no plan function %d in this binary (%d registered): driver and executor must run the same binary", inv.Func, len(registry.funcs))
	}
	e := registry.funcs[inv.Func]
	registry.mu.Unlock()
	p := s.newPlan(e, inv.Seq)
	p.parallelism, p.explicitParallelism = inv.Parallelism, inv.ExplicitParallelism
	p.args = inv.Args
	if err := e.replay(s, p, inv.Args); err != nil {
		return err
	}
	if s.planSeq.Load() < inv.Seq {
		s.planSeq.Store(inv.Seq) // calls are replayed one at a time, in order
	}
	s.adopt(p, inv)
	return nil
}

// ErrStopped is the error of using a stopped session, and of an action
// that was running when the session stopped.
var ErrStopped = errors.New("spark: session is stopped")

func (s *Session) usable() error {
	if s == nil {
		return errors.New("spark: no session")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return ErrStopped
	}
	return nil
}

// Stop ends the application: it waits for running tasks, clears the
// console progress bar and removes the local directory.
func (s *Session) Stop() error {
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		return nil
	}
	s.stopped = true
	s.mu.Unlock()
	s.stop() // running actions fail with ErrStopped
	if s.local != nil {
		s.local.Wait()
	}
	s.stopExecutors()
	if s.events != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		s.events.end(ctx)
		cancel()
	}
	s.cleanup()
	s.log.Info("session stopped")
	return nil
}

func (s *Session) cleanup() {
	if s.ui != nil {
		s.ui.stop()
	}
	if s.events != nil {
		s.events.abort() // after end, nothing is left to do
	}
	if s.console != nil {
		s.console.stop()
	}
	if s.memLimit != 0 {
		debug.SetMemoryLimit(s.memLimit)
	}
	if s.localDir != "" && s.serviceDir == "" {
		if err := os.RemoveAll(s.localDir); err != nil {
			s.log.Warn("removing local dir", "dir", s.localDir, "error", err)
		}
	}
}

func (s *Session) applyAccums(updates map[int64]any) {
	if len(updates) == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, v := range updates {
		a, ok := s.accums[id]
		if !ok {
			continue
		}
		if enc, ok := v.(scheduler.EncodedAccum); ok {
			if err := a.applyEncoded(enc); err != nil {
				s.log.Error("accumulator update from an executor", "accumulator", id, "error", err)
			}
			continue
		}
		a.apply(v)
	}
}

// notifier wakes whoever waits for a change.
type notifier struct {
	mu sync.Mutex
	ch chan struct{}
}

// wait returns a channel closed at the next notify.
func (n *notifier) wait() <-chan struct{} {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.ch == nil {
		n.ch = make(chan struct{})
	}
	return n.ch
}

func (n *notifier) notify() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.ch != nil {
		close(n.ch)
		n.ch = nil
	}
}
