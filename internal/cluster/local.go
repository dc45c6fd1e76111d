package cluster

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// LocalOptions describe the executor processes of local-cluster[N,C,M].
type LocalOptions struct {
	AppID     string
	DriverURL string
	Secret    string
	Cores     int
	// Conf is the encoded configuration executors start with (EnvConf).
	Conf string
	// Output receives the executors' stdout and stderr.
	Output io.Writer
	// MaxRelaunches bounds how many lost executors are replaced.
	MaxRelaunches int
	// OnExit hears of an executor process that exited while the cluster
	// was not stopping, with its exit status.
	OnExit func(id, status string)
	Log    *slog.Logger
}

// Local starts and stops executor processes of this program on this
// machine, as Spark's local-cluster master does with its workers.
type Local struct {
	opts LocalOptions
	exe  string

	mu         sync.Mutex
	procs      map[string]*exec.Cmd
	next       int
	relaunched int
	stopped    bool
	wg         sync.WaitGroup
}

// StartLocal starts n executor processes.
func StartLocal(n int, opts LocalOptions) (*Local, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("cluster: finding this program to start executors: %w", err)
	}
	if opts.Output == nil {
		opts.Output = os.Stderr
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	l := &Local{opts: opts, exe: exe, procs: make(map[string]*exec.Cmd)}
	for range n {
		if err := l.launch(); err != nil {
			l.Stop(0)
			return nil, err
		}
	}
	return l, nil
}

// launch starts one executor with the next id.
func (l *Local) launch() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.stopped {
		return nil
	}
	l.next++
	id := strconv.Itoa(l.next)
	cmd := exec.Command(l.exe, os.Args[1:]...)
	cmd.Env = append(withoutGospark(os.Environ()),
		EnvRole+"="+RoleExecutor,
		EnvExecutorID+"="+id,
		EnvDriverURL+"="+l.opts.DriverURL,
		EnvAppID+"="+l.opts.AppID,
		EnvCores+"="+strconv.Itoa(l.opts.Cores),
		EnvBindHost+"=127.0.0.1",
		"GOSPARK_CONF="+l.opts.Conf,
	)
	if l.opts.Secret != "" {
		cmd.Env = append(cmd.Env, EnvSecret+"="+l.opts.Secret)
	}
	cmd.Stdout = l.opts.Output
	cmd.Stderr = l.opts.Output
	// Belt and braces: the executor also exits when its connection to the
	// driver ends, which covers a driver killed with SIGKILL.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("cluster: starting executor %s: %w", id, err)
	}
	l.procs[id] = cmd
	l.opts.Log.Info("executor process started", "executor", id, "pid", cmd.Process.Pid)
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		err := cmd.Wait()
		l.mu.Lock()
		delete(l.procs, id)
		stopped := l.stopped
		l.mu.Unlock()
		if !stopped {
			l.opts.Log.Warn("executor process exited", "executor", id, "pid", cmd.Process.Pid, "status", exitStatus(err))
			if l.opts.OnExit != nil {
				l.opts.OnExit(id, exitStatus(err))
			}
		}
	}()
	return nil
}

func exitStatus(err error) string {
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}

// Replace starts a new executor for a lost one, up to MaxRelaunches times,
// and reports whether it did.
func (l *Local) Replace(lost string) bool {
	l.mu.Lock()
	if l.stopped || l.relaunched >= l.opts.MaxRelaunches {
		l.mu.Unlock()
		return false
	}
	l.relaunched++
	cmd := l.procs[lost]
	l.mu.Unlock()
	if cmd != nil && cmd.Process != nil {
		// A lost executor that still runs (silent, not dead) must go.
		_ = cmd.Process.Kill()
	}
	if err := l.launch(); err != nil {
		l.opts.Log.Error("replacing a lost executor", "executor", lost, "error", err)
		return false
	}
	return true
}

// PIDs lists the executor processes still running.
func (l *Local) PIDs() []int {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []int
	for _, c := range l.procs {
		out = append(out, c.Process.Pid)
	}
	return out
}

// BeginStop marks the executors' exits from now on as expected.
func (l *Local) BeginStop() {
	l.mu.Lock()
	l.stopped = true
	l.mu.Unlock()
}

// Stop waits up to grace for the executors to exit (the driver asked them
// to) and kills those still running.
func (l *Local) Stop(grace time.Duration) {
	l.mu.Lock()
	l.stopped = true
	l.mu.Unlock()
	done := make(chan struct{})
	go func() { l.wg.Wait(); close(done) }()
	select {
	case <-done:
		return
	case <-time.After(grace):
	}
	l.mu.Lock()
	for _, c := range l.procs {
		_ = c.Process.Kill()
	}
	l.mu.Unlock()
	<-done
}

// withoutGospark drops the variables that set a process's role.
func withoutGospark(env []string) []string {
	drop := map[string]bool{EnvRole: true, EnvExecutorID: true, EnvDriverURL: true, EnvSecret: true,
		EnvAppID: true, EnvCores: true, EnvBindHost: true, "GOSPARK_CONF": true}
	out := env[:0:0]
	for _, kv := range env {
		if k, _, _ := strings.Cut(kv, "="); drop[k] {
			continue
		}
		out = append(out, kv)
	}
	return out
}
