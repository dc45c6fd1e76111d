// Package localcluster is the cluster manager of local-cluster[N,C,M]: it
// runs executors as processes of the application binary on this machine,
// as Spark's local-cluster master does with its workers, replaces those
// that end while the application runs (up to a bound), and removes what
// executors killed before they could clean up left in spark.local.dir.
// Each executor's stdout and stderr go to the driver's stderr and to a
// file, executor-<id>.log in gospark-<app>-logs under spark.local.dir,
// which the UI shows (clustermgr.Logs) until the application stops.
package localcluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gospark/gospark/internal/clustermgr"
	"github.com/gospark/gospark/internal/config"
	"github.com/gospark/gospark/internal/launch"
	"github.com/gospark/gospark/internal/master"
)

func init() {
	clustermgr.Register(master.LocalCluster, func(_ master.Master, conf *config.Conf, log *slog.Logger) (clustermgr.Manager, error) {
		opts := Options{LocalDir: LocalDirBase(conf), MaxRelaunches: DefaultMaxRelaunches, Log: log}
		if conf.Bool("spark.shuffle.service.enabled") {
			opts.ShuffleService = true
			if conf.Has("spark.shuffle.service.port") {
				opts.ServicePort = conf.Int("spark.shuffle.service.port")
			}
		}
		return New(opts), nil
	})
}

// DefaultMaxRelaunches bounds how many ended executors are replaced.
const DefaultMaxRelaunches = 10

// LocalDirBase is the directory executors make their local directories
// in: the first of SPARK_LOCAL_DIRS or spark.local.dir.
func LocalDirBase(conf *config.Conf) string {
	base := conf.String("spark.local.dir")
	if v := os.Getenv("SPARK_LOCAL_DIRS"); v != "" {
		base = v
	}
	first, _, _ := strings.Cut(base, ",")
	return first
}

// Options configure a Manager.
type Options struct {
	// LocalDir is where executors make their local directories
	// (gospark-<app>-exec-<id>-*) and where the manager keeps their logs
	// (gospark-<app>-logs), removed when the manager stops (the system's
	// temporary directory when empty).
	LocalDir string
	// MaxRelaunches bounds how many ended executors are replaced.
	MaxRelaunches int
	// Output receives the executors' stdout and stderr (default stderr),
	// besides their log files.
	Output io.Writer
	Log    *slog.Logger
	// ShuffleService runs an external shuffle service process (a process
	// of the application binary in the shuffle service role) that serves
	// the executors' shuffle files, on 127.0.0.1:ServicePort (0: any free
	// port, the default here so that applications on one machine do not
	// collide; spark.shuffle.service.port when set). It is restarted when
	// it ends, on the same address, as a DaemonSet's pod would be.
	ShuffleService bool
	ServicePort    int
}

type proc struct {
	id         string
	cmd        *exec.Cmd
	registered bool
	retiring   bool // decommissioned or killed on purpose: not an event
	done       chan struct{}
	log        *os.File // its log file (nil without one), closed once it exited
}

// Manager runs executor processes. It implements clustermgr.Manager.
type Manager struct {
	opts Options

	mu         sync.Mutex
	app        clustermgr.App
	exe        string
	procs      map[string]*proc
	target     int
	next       int
	relaunched int
	stopping   bool
	fatal      bool
	wg         sync.WaitGroup
	// logs is the directory of the executors' log files ("" when it could
	// not be made).
	logs string

	// The shuffle service: its listener (kept here so that a restarted
	// service has the same address), directory and process.
	serviceLn   *net.TCPListener
	serviceDir  string
	serviceProc *exec.Cmd
	serviceWg   sync.WaitGroup
}

var (
	_ clustermgr.Manager         = (*Manager)(nil)
	_ clustermgr.ShuffleServices = (*Manager)(nil)
	_ clustermgr.Logs            = (*Manager)(nil)
)

// New makes a manager; Start launches the executors.
func New(opts Options) *Manager {
	if opts.Output == nil {
		opts.Output = os.Stderr
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	return &Manager{opts: opts, procs: make(map[string]*proc)}
}

// Start implements clustermgr.Manager.
func (m *Manager) Start(ctx context.Context, app clustermgr.App) error {
	exe := app.Launch.Command
	if exe == "" {
		var err error
		if exe, err = os.Executable(); err != nil {
			return fmt.Errorf("localcluster: finding this program to start executors: %w", err)
		}
	}
	logs := filepath.Join(m.localDir(), "gospark-"+app.Launch.AppID+"-logs")
	if err := os.MkdirAll(logs, 0o700); err != nil {
		// The executors run all the same; the UI shows no log.
		m.opts.Log.Warn("executor logs will not be kept", "dir", logs, "error", err)
		logs = ""
	}
	m.mu.Lock()
	m.app, m.exe, m.target, m.logs = app, exe, app.Instances, logs
	m.mu.Unlock()
	if m.opts.ShuffleService {
		if err := m.startService(); err != nil {
			_ = m.Stop(ctx)
			return err
		}
	}
	for range app.Instances {
		if err := m.launch(ctx); err != nil {
			_ = m.Stop(ctx)
			return err
		}
	}
	return nil
}

// launch starts one executor with the next id.
func (m *Manager) launch(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.stopping {
		return nil
	}
	m.next++
	id := strconv.Itoa(m.next)
	// Not CommandContext: the process belongs to the manager, not to the
	// call that happened to start it; Stop ends it.
	cmd := exec.Command(m.exe, m.app.Launch.Args...)
	cmd.Env = launch.Without(os.Environ())
	for _, v := range m.app.Launch.Env(id, "127.0.0.1") {
		cmd.Env = append(cmd.Env, v.Name+"="+v.Value)
	}
	if m.serviceDir != "" {
		cmd.Env = append(cmd.Env, launch.EnvShuffleDir+"="+m.serviceDir, launch.EnvHost+"=localhost")
	}
	logFile, out := m.openLog(id)
	// One writer for both: one pipe, so the log keeps the order in which
	// the executor wrote.
	cmd.Stdout, cmd.Stderr = out, out
	// The executor also exits when its connection to the driver ends;
	// this covers a driver killed with SIGKILL before it connected.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	err := ctx.Err()
	if err == nil {
		err = cmd.Start()
	}
	if err != nil {
		if logFile != nil {
			logFile.Close()
		}
		return fmt.Errorf("localcluster: starting executor %s: %w", id, err)
	}
	p := &proc{id: id, cmd: cmd, done: make(chan struct{}), log: logFile}
	m.procs[id] = p
	m.opts.Log.Info("executor process started", "executor", id, "pid", cmd.Process.Pid)
	m.wg.Add(1)
	go m.wait(p)
	return nil
}

// wait follows one process until it exits, then reports and replaces it.
func (m *Manager) wait(p *proc) {
	defer m.wg.Done()
	err := p.cmd.Wait() // and its output is copied
	if p.log != nil {
		if cerr := p.log.Close(); cerr != nil {
			m.opts.Log.Warn("executor log", "executor", p.id, "error", cerr)
		}
	}
	close(p.done)
	status := "exit status 0"
	if err != nil {
		status = err.Error()
	}
	m.mu.Lock()
	delete(m.procs, p.id)
	stopping, retiring, registered := m.stopping, p.retiring, p.registered
	m.mu.Unlock()
	if stopping {
		return
	}
	reason := fmt.Sprintf("executor %s exited (%s)", p.id, status)
	if !registered {
		reason = fmt.Sprintf("executor %s exited before registering (%s)", p.id, status)
	}
	if !retiring {
		m.opts.Log.Warn("executor process exited", "executor", p.id, "pid", p.cmd.Process.Pid, "status", status)
		if f := m.app.Events.Exited; f != nil {
			f(p.id, reason)
		}
	}
	m.replace(reason)
}

// replace starts executors while fewer run than the target, up to
// MaxRelaunches in the application's life; when none runs and none may
// start, the application cannot go on.
func (m *Manager) replace(why string) {
	for {
		m.mu.Lock()
		if m.stopping || m.liveLocked() >= m.target {
			m.mu.Unlock()
			return
		}
		if m.relaunched >= m.opts.MaxRelaunches {
			dead := len(m.procs) == 0 && !m.fatal
			m.fatal = m.fatal || dead
			n := m.relaunched
			m.mu.Unlock()
			if dead && m.app.Events.Fatal != nil {
				m.app.Events.Fatal(fmt.Errorf("no executor left and no more may be started (%d replaced already); last: %s", n, why))
			}
			return
		}
		m.relaunched++
		m.mu.Unlock()
		if err := m.launch(context.Background()); err != nil {
			m.opts.Log.Error("replacing an executor", "error", err)
		}
	}
}

// liveLocked counts the executors that are not leaving. The caller holds
// m.mu.
func (m *Manager) liveLocked() int {
	n := 0
	for _, p := range m.procs {
		if !p.retiring {
			n++
		}
	}
	return n
}

// RequestTotal implements clustermgr.Manager.
func (m *Manager) RequestTotal(ctx context.Context, total int) error {
	if total < 0 {
		return fmt.Errorf("localcluster: a total of %d executors", total)
	}
	m.mu.Lock()
	m.target = total
	m.mu.Unlock()
	for {
		m.mu.Lock()
		short := !m.stopping && m.liveLocked() < m.target
		m.mu.Unlock()
		if !short {
			return nil
		}
		if err := m.launch(ctx); err != nil {
			return err
		}
	}
}

// Kill implements clustermgr.Manager: the processes get SIGKILL and are
// replaced while the total asks for them.
func (m *Manager) Kill(_ context.Context, ids []string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.signal(ids, syscall.SIGKILL, false)
	return nil
}

// Decommission implements clustermgr.Manager: the processes get SIGTERM
// and the total shrinks by as many (once per executor, however often it
// is decommissioned).
func (m *Manager) Decommission(_ context.Context, ids []string) error {
	// One critical section: a process that exits at once must not be
	// replaced against the total before it is lowered.
	m.mu.Lock()
	defer m.mu.Unlock()
	n := m.signal(ids, syscall.SIGTERM, true)
	m.target = max(m.target-n, 0)
	return nil
}

// signal sends sig to the given executors and returns how many it newly
// retired. The caller holds m.mu.
func (m *Manager) signal(ids []string, sig syscall.Signal, retire bool) int {
	n := 0
	for _, id := range ids {
		if p := m.procs[id]; p != nil {
			if retire && !p.retiring {
				p.retiring = true
				n++
			}
			_ = p.cmd.Process.Signal(sig)
		}
	}
	return n
}

// Registered implements clustermgr.Manager.
func (m *Manager) Registered(id string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if p := m.procs[id]; p != nil {
		p.registered = true
	}
}

// PIDs lists the executor processes still running.
func (m *Manager) PIDs() []int {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []int
	for _, p := range m.procs {
		out = append(out, p.cmd.Process.Pid)
	}
	return out
}

// BeginStop implements clustermgr.Manager. Executors that never
// registered were not told to stop by the driver: they are killed now.
func (m *Manager) BeginStop() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.stopping = true
	for _, p := range m.procs {
		if !p.registered {
			_ = p.cmd.Process.Kill()
		}
	}
}

// Stop implements clustermgr.Manager: it waits until ctx is done for the
// executors to exit, kills those still running, and removes the local
// directories of this application's executors.
func (m *Manager) Stop(ctx context.Context) error {
	m.BeginStop()
	done := make(chan struct{})
	go func() { m.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		m.mu.Lock()
		for _, p := range m.procs {
			_ = p.cmd.Process.Kill()
		}
		m.mu.Unlock()
		<-done
	}
	m.stopService()
	return m.removeLocalDirs()
}

// removeLocalDirs removes what executors that died without cleaning up
// left in the local directory, and the executors' logs; only directories
// named for this application's executors are touched.
func (m *Manager) removeLocalDirs() error {
	m.mu.Lock()
	appID, logs := m.app.Launch.AppID, m.logs
	m.mu.Unlock()
	var errs []error
	if logs != "" {
		if err := os.RemoveAll(logs); err != nil {
			errs = append(errs, err)
		}
	}
	if m.opts.LocalDir != "" && appID != "" {
		dirs, err := filepath.Glob(filepath.Join(m.opts.LocalDir, "gospark-"+appID+"-exec-*"))
		if err != nil {
			return fmt.Errorf("localcluster: %w", err)
		}
		for _, d := range dirs {
			if err := os.RemoveAll(d); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("localcluster: removing executors' local directories and logs: %w", err)
	}
	return nil
}

// localDir is Options.LocalDir, or the system's temporary directory.
func (m *Manager) localDir() string {
	if m.opts.LocalDir != "" {
		return m.opts.LocalDir
	}
	return os.TempDir()
}

// logName is the file of executor id's log in the logs directory.
func logName(id string) string { return "executor-" + id + ".log" }

// openLog opens executor id's log file, and returns it with the writer
// its output goes to: Output and the file. Without a file (its directory
// or the file could not be made) the writer is Output alone. The caller
// holds m.mu.
func (m *Manager) openLog(id string) (*os.File, io.Writer) {
	if m.logs == "" {
		return nil, m.opts.Output
	}
	f, err := os.OpenFile(filepath.Join(m.logs, logName(id)), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		m.opts.Log.Warn("executor log will not be kept", "executor", id, "error", err)
		return nil, m.opts.Output
	}
	return f, &tee{out: m.opts.Output, file: f, log: m.opts.Log, id: id}
}

// tee writes an executor's output to Output and to its log file. It never
// fails: a write error would stop the copying and leave the executor
// writing to a pipe nobody reads. A file that fails is given up (said
// once). One goroutine writes (os/exec copies stdout and stderr together
// when they are the same writer).
type tee struct {
	out  io.Writer
	file *os.File
	log  *slog.Logger
	id   string
}

func (t *tee) Write(b []byte) (int, error) {
	_, _ = t.out.Write(b)
	if t.file != nil {
		if _, err := t.file.Write(b); err != nil {
			t.log.Warn("executor log: no more output is kept", "executor", t.id, "error", err)
			t.file = nil
		}
	}
	return len(b), nil
}

// ExecutorLog implements clustermgr.Logs: the last clustermgr.LogTail
// bytes of executor id's output (from its first whole line), whether the
// executor still runs or not, until Stop removes the logs.
func (m *Manager) ExecutorLog(_ context.Context, executorID string) (io.ReadCloser, error) {
	m.mu.Lock()
	logs, next := m.logs, m.next
	m.mu.Unlock()
	n, err := strconv.Atoi(executorID)
	switch {
	case err != nil || n < 1 || n > next || strconv.Itoa(n) != executorID:
		return nil, fmt.Errorf("%w: no executor %q was started", clustermgr.ErrNoLog, executorID)
	case logs == "":
		return nil, fmt.Errorf("%w: executor %s: executor logs are not kept (see the driver's log)", clustermgr.ErrNoLog, executorID)
	}
	b, err := readTail(filepath.Join(logs, logName(executorID)), clustermgr.LogTail)
	if errors.Is(err, os.ErrNotExist) {
		// Removed by Stop.
		return nil, fmt.Errorf("%w: executor %s: the application stopped and its executors' logs were removed", clustermgr.ErrNoLog, executorID)
	}
	if err != nil {
		return nil, fmt.Errorf("localcluster: executor %s's log: %w", executorID, err)
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

// readTail reads at most the last n bytes of a file; when that is not the
// whole file, it starts after the first newline in them (a whole line).
func readTail(path string, n int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	off := max(st.Size()-n, 0)
	b, err := io.ReadAll(io.NewSectionReader(f, off, n))
	if err != nil {
		return nil, err
	}
	if off > 0 {
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			b = b[i+1:]
		}
	}
	return b, nil
}

// startService starts the shuffle service process on a listener this
// manager keeps.
func (m *Manager) startService() error {
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(m.opts.ServicePort)))
	if err != nil {
		return fmt.Errorf("localcluster: the shuffle service's port (spark.shuffle.service.port): %w", err)
	}
	m.mu.Lock()
	m.serviceLn = l.(*net.TCPListener)
	m.serviceDir = filepath.Join(m.opts.LocalDir, "gospark-"+m.app.Launch.AppID+"-shuffle-service")
	m.mu.Unlock()
	if err := os.MkdirAll(m.serviceDir, 0o755); err != nil {
		return fmt.Errorf("localcluster: the shuffle service's directory: %w", err)
	}
	return m.runService()
}

// runService starts one shuffle service process; when it ends while the
// application runs, another takes its place.
func (m *Manager) runService() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.stopping {
		return nil
	}
	f, err := m.serviceLn.File()
	if err != nil {
		return fmt.Errorf("localcluster: the shuffle service's listener: %w", err)
	}
	defer f.Close()
	cmd := exec.Command(m.exe, m.app.Launch.Args...)
	cmd.Env = launch.Without(os.Environ())
	cmd.Env = append(cmd.Env, launch.EnvRole+"="+launch.RoleShuffleService, launch.EnvShuffleDir+"="+m.serviceDir,
		launch.EnvConf+"="+m.app.Launch.Conf)
	cmd.ExtraFiles = []*os.File{f}
	cmd.Stdout, cmd.Stderr = m.opts.Output, m.opts.Output
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("localcluster: starting the shuffle service: %w", err)
	}
	m.serviceProc = cmd
	m.opts.Log.Info("shuffle service process started", "addr", m.serviceLn.Addr().String(), "pid", cmd.Process.Pid, "dir", m.serviceDir)
	m.serviceWg.Add(1)
	go func() {
		defer m.serviceWg.Done()
		err := cmd.Wait()
		m.mu.Lock()
		stopping := m.stopping
		m.mu.Unlock()
		if stopping {
			return
		}
		m.opts.Log.Warn("shuffle service process ended; starting another", "error", err)
		time.Sleep(200 * time.Millisecond)
		if err := m.runService(); err != nil {
			m.opts.Log.Error("restarting the shuffle service", "error", err)
		}
	}()
	return nil
}

// ServiceProcess is the shuffle service's process id (0 without one).
func (m *Manager) ServiceProcess() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.serviceProc == nil || m.serviceProc.Process == nil {
		return 0
	}
	return m.serviceProc.Process.Pid
}

// ShuffleService implements clustermgr.ShuffleServices: every executor
// uses the one service process.
func (m *Manager) ShuffleService(_ context.Context, _, _ string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.serviceLn == nil {
		return "", errors.New("localcluster: no shuffle service (spark.shuffle.service.enabled is off)")
	}
	return m.serviceLn.Addr().String(), nil
}

// stopService ends the shuffle service and removes its directory.
func (m *Manager) stopService() {
	m.mu.Lock()
	proc, dir, ln := m.serviceProc, m.serviceDir, m.serviceLn
	m.mu.Unlock()
	if proc != nil && proc.Process != nil {
		_ = proc.Process.Kill()
	}
	m.serviceWg.Wait()
	if ln != nil {
		ln.Close()
	}
	if dir != "" {
		if err := os.RemoveAll(dir); err != nil {
			m.opts.Log.Warn("removing the shuffle service's directory", "dir", dir, "error", err)
		}
	}
}
