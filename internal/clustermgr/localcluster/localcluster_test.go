package localcluster

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gospark/gospark/internal/clustermgr"
	"github.com/gospark/gospark/internal/launch"
)

// TestMain lets the test binary be the executors: started by a Manager
// with the launch contract, it does what its first argument says.
//
//	sleep <addr>  make its local directory, print "executor <id> on
//	              stdout" and "... on stderr", tell the test at addr who
//	              it is, then wait until killed (or the test is gone)
//	exit3         exit with status 3 at once
func TestMain(m *testing.M) {
	if launch.IsExecutor() {
		os.Exit(executor(os.Args[1:]))
	}
	os.Exit(m.Run())
}

// hello is what a sleeping executor tells the test.
type hello struct {
	ID, PID, Role, DriverURL, AppID, Cores, Secret, Conf, BindHost string
	Args                                                           []string
	LocalDir                                                       string
}

func executor(args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "test executor: no mode")
		return 2
	}
	switch args[0] {
	case "exit3":
		return 3
	case "sleep":
		self, err := launch.FromEnv()
		if err != nil {
			fmt.Fprintln(os.Stderr, "test executor:", err)
			return 2
		}
		// As an executor's session does: its local directory, which a
		// killed executor leaves behind.
		dir, err := os.MkdirTemp(os.Getenv("TEST_LOCAL_DIR"), "gospark-"+self.AppID+"-exec-"+self.ID+"-")
		if err != nil {
			fmt.Fprintln(os.Stderr, "test executor:", err)
			return 2
		}
		if err := os.WriteFile(filepath.Join(dir, "block"), []byte("data"), 0o644); err != nil {
			return 2
		}
		// Its output, which the manager keeps in its log.
		fmt.Printf("executor %s on stdout\n", self.ID)
		fmt.Fprintf(os.Stderr, "executor %s on stderr\n", self.ID)
		c, err := net.Dial("tcp", args[1])
		if err != nil {
			fmt.Fprintln(os.Stderr, "test executor:", err)
			return 2
		}
		h := hello{ID: self.ID, PID: strconv.Itoa(os.Getpid()), Role: os.Getenv(launch.EnvRole), DriverURL: self.DriverURL,
			AppID: self.AppID, Cores: os.Getenv(launch.EnvCores), Secret: self.Secret, Conf: os.Getenv(launch.EnvConf),
			BindHost: self.BindHost, Args: args, LocalDir: dir}
		fmt.Fprintf(c, "%s\n", encodeHello(h))
		// Until killed (the test sees the connection end when it exits),
		// or until the test is gone.
		_, _ = io.Copy(io.Discard, c)
		return 0
	}
	fmt.Fprintln(os.Stderr, "test executor: unknown mode", args[0])
	return 2
}

func encodeHello(h hello) string {
	return strings.Join([]string{h.ID, h.PID, h.Role, h.DriverURL, h.AppID, h.Cores, h.Secret, h.Conf, h.BindHost,
		strings.Join(h.Args, "\x1f"), h.LocalDir}, "\x1e")
}

func decodeHello(s string) (hello, error) {
	f := strings.Split(s, "\x1e")
	if len(f) != 11 {
		return hello{}, fmt.Errorf("bad hello %q", s)
	}
	return hello{ID: f[0], PID: f[1], Role: f[2], DriverURL: f[3], AppID: f[4], Cores: f[5], Secret: f[6], Conf: f[7],
		BindHost: f[8], Args: strings.Split(f[9], "\x1f"), LocalDir: f[10]}, nil
}

// runningExec is a sleeping executor that said hello.
type runningExec struct {
	hello
	pid  int
	gone chan struct{} // closed when its connection ends (it exited)
}

// executors listens for the hellos of sleeping executors.
type executors struct {
	addr   string
	hellos chan *runningExec
}

func listenExecutors(t *testing.T) *executors {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	x := &executors{addr: ln.Addr().String(), hellos: make(chan *runningExec, 32)}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				line, err := r.ReadString('\n')
				if err != nil {
					return
				}
				h, err := decodeHello(strings.TrimSuffix(line, "\n"))
				if err != nil {
					t.Error(err)
					return
				}
				pid, _ := strconv.Atoi(h.PID)
				e := &runningExec{hello: h, pid: pid, gone: make(chan struct{})}
				x.hellos <- e
				_, _ = io.Copy(io.Discard, r)
				close(e.gone)
			}()
		}
	}()
	return x
}

// recorder collects a manager's events.
type recorder struct {
	exited chan [2]string
	fatal  chan error
}

func newRecorder() *recorder {
	return &recorder{exited: make(chan [2]string, 64), fatal: make(chan error, 64)}
}

func (r *recorder) events() clustermgr.Events {
	return clustermgr.Events{
		Exited: func(id, reason string) { r.exited <- [2]string{id, reason} },
		Fatal:  func(err error) { r.fatal <- err },
	}
}

const waitFor = 20 * time.Second // generous: a loaded machine starts processes slowly

func next[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(waitFor):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

// none checks that nothing arrives on ch for d (nothing is there, for 0).
func none[T any](t *testing.T, ch <-chan T, d time.Duration, what string) {
	t.Helper()
	if d == 0 {
		select {
		case v := <-ch:
			t.Fatalf("unexpected %s: %v", what, v)
		default:
		}
		return
	}
	select {
	case v := <-ch:
		t.Fatalf("unexpected %s: %v", what, v)
	case <-time.After(d):
	}
}

func testExe(t *testing.T) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return exe
}

type fixture struct {
	m   *Manager
	x   *executors
	ev  *recorder
	dir string
	app clustermgr.App
	out *lockedBuffer
}

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// start makes a manager and starts n executors running mode.
func start(t *testing.T, n, maxRelaunches int, mode string) *fixture {
	t.Helper()
	f := &fixture{x: listenExecutors(t), ev: newRecorder(), dir: t.TempDir(), out: &lockedBuffer{}}
	t.Setenv("TEST_LOCAL_DIR", f.dir) // inherited by the executors
	f.m = New(Options{LocalDir: f.dir, MaxRelaunches: maxRelaunches, Output: f.out,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	args := []string{mode}
	if mode == "sleep" {
		args = append(args, f.x.addr)
	}
	f.app = clustermgr.App{
		Launch: launch.Executor{AppID: "app-" + strconv.Itoa(os.Getpid()), DriverURL: "127.0.0.1:7077", Secret: "s3cret",
			Cores: 2, Conf: "spark.master=local-cluster", Command: testExe(t), Args: args},
		Instances: n, MemoryMiB: 512, Events: f.ev.events(),
	}
	// Whatever a test leaves running ends with it (killed: no driver tells
	// registered executors to stop).
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		_ = f.m.Stop(ctx)
		if t.Failed() {
			t.Logf("executors' output:\n%s", f.out.String())
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	if err := f.m.Start(ctx, f.app); err != nil {
		t.Fatal(err)
	}
	return f
}

// hellos waits for n executors to say hello and returns them by id.
func (f *fixture) hellos(t *testing.T, n int) map[string]*runningExec {
	t.Helper()
	out := make(map[string]*runningExec)
	for range n {
		e := next(t, f.x.hellos, "an executor to start")
		if out[e.ID] != nil {
			t.Fatalf("two executors with id %s", e.ID)
		}
		out[e.ID] = e
	}
	return out
}

func ids[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for id := range m {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

func alive(pid int) bool {
	// A zombie is gone for this purpose; the manager reaps its children.
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2] != 'Z'
	}
	return true
}

func TestStartLaunchesExecutorsWithTheContract(t *testing.T) {
	f := start(t, 3, 0, "sleep")
	execs := f.hellos(t, 3)
	if got := ids(execs); !slices.Equal(got, []string{"1", "2", "3"}) {
		t.Fatalf("executor ids %v, want 1, 2, 3", got)
	}
	l := f.app.Launch
	for id, e := range execs {
		want := hello{ID: id, PID: e.PID, Role: launch.RoleExecutor, DriverURL: l.DriverURL, AppID: l.AppID, Cores: "2",
			Secret: l.Secret, Conf: l.Conf, BindHost: "127.0.0.1", Args: l.Args, LocalDir: e.LocalDir}
		if !reflect.DeepEqual(e.hello, want) {
			t.Fatalf("executor %s started with\n%+v\nwant\n%+v", id, e.hello, want)
		}
	}
	pids := f.m.PIDs()
	slices.Sort(pids)
	var want []int
	for _, e := range execs {
		want = append(want, e.pid)
	}
	slices.Sort(want)
	if !slices.Equal(pids, want) {
		t.Fatalf("PIDs() = %v, want the executors' %v", pids, want)
	}
	none(t, f.ev.exited, 0, "Exited event")
}

func TestExitedExecutorIsReportedAndReplaced(t *testing.T) {
	f := start(t, 2, 5, "sleep")
	execs := f.hellos(t, 2)
	f.m.Registered("1")
	// Executor 2 dies before it registered, executor 1 after.
	for _, id := range []string{"2", "1"} {
		if err := syscall.Kill(execs[id].pid, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		got := next(t, f.ev.exited, "Exited of executor "+id)
		want := "executor " + id + " exited (signal: killed)"
		if id == "2" {
			want = "executor 2 exited before registering (signal: killed)"
		}
		if got != [2]string{id, want} {
			t.Fatalf("Exited%q, want (%s, %s)", got, id, want)
		}
		repl := next(t, f.x.hellos, "the replacement of executor "+id)
		if repl.ID == "1" || repl.ID == "2" {
			t.Fatalf("replacement of executor %s has the id %s of an earlier executor", id, repl.ID)
		}
		execs[repl.ID] = repl
	}
	if got := ids(execs); !slices.Equal(got, []string{"1", "2", "3", "4"}) {
		t.Fatalf("executor ids %v, want 1 to 4", got)
	}
	if n := len(f.m.PIDs()); n != 2 {
		t.Fatalf("%d executors run after two were replaced, want 2", n)
	}
}

func TestAllDeadAfterMaxRelaunchesIsFatalOnce(t *testing.T) {
	const n, maxRelaunches = 2, 3
	f := start(t, n, maxRelaunches, "exit3")
	err := next(t, f.ev.fatal, "Fatal")
	if !strings.Contains(err.Error(), "no executor left") || !strings.Contains(err.Error(), "exit status 3") {
		t.Fatalf("Fatal(%v), want no executor left, with the last exit status", err)
	}
	// Every process that started and exited was reported, and no other
	// started after the last allowed replacement.
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	if err := f.m.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	close(f.ev.exited)
	var exits []string
	for e := range f.ev.exited {
		if !strings.HasSuffix(e[1], "exited before registering (exit status 3)") {
			t.Fatalf("Exited%q, want exited before registering with status 3", e)
		}
		exits = append(exits, e[0])
	}
	slices.Sort(exits)
	if !slices.Equal(exits, []string{"1", "2", "3", "4", "5"}) {
		t.Fatalf("Exited for %v, want the %d executors and %d replacements (1 to 5)", exits, n, maxRelaunches)
	}
	close(f.ev.fatal)
	for err := range f.ev.fatal {
		t.Fatalf("Fatal again: %v", err)
	}
}

func TestDecommissionLowersTheTotal(t *testing.T) {
	f := start(t, 2, 5, "sleep")
	execs := f.hellos(t, 2)
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	if err := f.m.Decommission(ctx, []string{"1"}); err != nil {
		t.Fatal(err)
	}
	next(t, execs["1"].gone, "executor 1 to exit")
	// Not an event, not replaced.
	none(t, f.x.hellos, 500*time.Millisecond, "replacement of a decommissioned executor")
	none(t, f.ev.exited, 0, "Exited of a decommissioned executor")
	// The total is one now: a killed executor 2 gets one replacement, with
	// the next id (no executor was started for 1).
	if err := f.m.Kill(ctx, []string{"2"}); err != nil {
		t.Fatal(err)
	}
	next(t, execs["2"].gone, "executor 2 to exit")
	if repl := next(t, f.x.hellos, "the replacement of executor 2"); repl.ID != "3" {
		t.Fatalf("replacement has id %s, want 3", repl.ID)
	}
	none(t, f.x.hellos, 500*time.Millisecond, "second replacement")
	if n := len(f.m.PIDs()); n != 1 {
		t.Fatalf("%d executors run, want 1 after decommissioning one of 2", n)
	}
}

func TestKillReplaces(t *testing.T) {
	f := start(t, 2, 5, "sleep")
	execs := f.hellos(t, 2)
	f.m.Registered("1")
	f.m.Registered("2")
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	if err := f.m.Kill(ctx, []string{"2"}); err != nil {
		t.Fatal(err)
	}
	next(t, execs["2"].gone, "executor 2 to exit")
	if got := next(t, f.ev.exited, "Exited of executor 2"); got != [2]string{"2", "executor 2 exited (signal: killed)"} {
		t.Fatalf("Exited%q, want (2, executor 2 exited (signal: killed))", got)
	}
	if repl := next(t, f.x.hellos, "the replacement of executor 2"); repl.ID != "3" {
		t.Fatalf("replacement has id %s, want 3", repl.ID)
	}
	if alive(execs["2"].pid) || !alive(execs["1"].pid) {
		t.Fatalf("after Kill(2): executor 2 alive %v, executor 1 alive %v", alive(execs["2"].pid), alive(execs["1"].pid))
	}
	// Kill of an executor that is gone does nothing.
	if err := f.m.Kill(ctx, []string{"2", "99"}); err != nil {
		t.Fatal(err)
	}
	none(t, f.x.hellos, 300*time.Millisecond, "executor started for a Kill of unknown ones")
}

func TestRequestTotal(t *testing.T) {
	f := start(t, 1, 5, "sleep")
	f.hellos(t, 1)
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	if err := f.m.RequestTotal(ctx, 3); err != nil {
		t.Fatal(err)
	}
	if got := ids(f.hellos(t, 2)); !slices.Equal(got, []string{"2", "3"}) {
		t.Fatalf("RequestTotal(3) started %v, want 2 and 3", got)
	}
	if err := f.m.RequestTotal(ctx, -1); err == nil {
		t.Fatal("RequestTotal(-1) succeeded")
	}
}

func TestBeginStopKillsExecutorsThatNeverRegistered(t *testing.T) {
	f := start(t, 2, 5, "sleep")
	execs := f.hellos(t, 2)
	f.m.Registered("1")
	began := time.Now()
	f.m.BeginStop()
	// Executor 2 never registered: no driver can tell it to stop.
	next(t, execs["2"].gone, "executor 2 to be killed")
	if el := time.Since(began); el > 5*time.Second {
		t.Fatalf("unregistered executor ended %s after BeginStop, want at once", el)
	}
	// Executor 1 registered: the driver tells it to stop; it is left to do
	// so until Stop's context ends.
	if !alive(execs["1"].pid) {
		t.Fatal("BeginStop killed an executor that registered")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := f.m.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if alive(execs["1"].pid) || len(f.m.PIDs()) != 0 {
		t.Fatalf("executor 1 alive %v, PIDs %v after Stop", alive(execs["1"].pid), f.m.PIDs())
	}
	none(t, f.ev.exited, 0, "Exited while stopping")
	none(t, f.x.hellos, 0, "executor started while stopping")
}

func TestStopReturnsAtOnceWhenNoExecutorRegistered(t *testing.T) {
	f := start(t, 3, 5, "sleep")
	execs := f.hellos(t, 3)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	began := time.Now()
	if err := f.m.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(began); el > 5*time.Second {
		t.Fatalf("Stop took %s with executors that never registered, want at once (not the context's minute)", el)
	}
	for id, e := range execs {
		if alive(e.pid) {
			t.Fatalf("executor %s (pid %d) still alive after Stop", id, e.pid)
		}
	}
	none(t, f.ev.exited, 0, "Exited while stopping")
}

func TestStopRemovesThisApplicationsExecutorDirectories(t *testing.T) {
	f := start(t, 2, 5, "sleep")
	execs := f.hellos(t, 2)
	app := f.app.Launch.AppID
	mkdir := func(name string) string {
		p := filepath.Join(f.dir, name)
		if err := os.MkdirAll(filepath.Join(p, "sub"), 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	removed := []string{mkdir("gospark-" + app + "-exec-7-abc")}
	for _, e := range execs {
		removed = append(removed, e.LocalDir) // made by the executor, which is killed
	}
	kept := []string{
		mkdir("gospark-" + app + "-123"),       // the driver's own directory
		mkdir("gospark-" + app + "0-exec-1-x"), // another application whose id starts the same
		mkdir("gospark-other-app-exec-1-x"),    // another application
		mkdir("spark-" + app + "-exec-1-x"),    // not gospark's
		mkdir("unrelated"),
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	if err := f.m.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	for _, d := range removed {
		if _, err := os.Stat(d); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("%s after Stop: %v, want it removed", filepath.Base(d), err)
		}
	}
	for _, d := range kept {
		if _, err := os.Stat(filepath.Join(d, "sub")); err != nil {
			t.Fatalf("Stop touched %s: %v", filepath.Base(d), err)
		}
	}
}

func TestDecommissioningTwiceLowersTheTotalOnce(t *testing.T) {
	f := start(t, 2, 5, "sleep")
	execs := f.hellos(t, 2)
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	// Asked again while it is still leaving: the total drops by one.
	for range 2 {
		if err := f.m.Decommission(ctx, []string{"1"}); err != nil {
			t.Fatal(err)
		}
	}
	next(t, execs["1"].gone, "executor 1 to exit")
	if err := f.m.Kill(ctx, []string{"2"}); err != nil {
		t.Fatal(err)
	}
	if repl := next(t, f.x.hellos, "the replacement of executor 2 (the total is still 1)"); repl.ID != "3" {
		t.Fatalf("replacement has id %s, want 3", repl.ID)
	}
}

// logOf reads executor id's log through clustermgr.Logs.
func logOf(m clustermgr.Logs, id string) (string, error) {
	r, err := m.ExecutorLog(context.Background(), id)
	if err != nil {
		return "", err
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	return string(b), err
}

// waitLog waits until executor id's log holds every one of want.
func waitLog(t *testing.T, m clustermgr.Logs, id string, want ...string) string {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for {
		log, err := logOf(m, id)
		ok := err == nil
		for _, w := range want {
			ok = ok && strings.Contains(log, w)
		}
		if ok {
			return log
		}
		if time.Now().After(deadline) {
			t.Fatalf("executor %s's log is %q (%v), want it to hold %q", id, log, err, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Each executor's stdout and stderr are in its log, and still on Output;
// the log of an executor that exited stays until Stop removes them all.
func TestExecutorLogs(t *testing.T) {
	f := start(t, 2, 5, "sleep")
	execs := f.hellos(t, 2)
	for _, id := range []string{"1", "2"} {
		log := waitLog(t, f.m, id, "executor "+id+" on stdout\n", "executor "+id+" on stderr\n")
		if strings.Contains(log, "executor "+map[string]string{"1": "2", "2": "1"}[id]) {
			t.Errorf("executor %s's log has the other executor's output: %q", id, log)
		}
	}
	if out := f.out.String(); !strings.Contains(out, "executor 1 on stderr") || !strings.Contains(out, "executor 2 on stdout") {
		t.Errorf("Output %q lacks the executors' output", out)
	}
	logs := filepath.Join(f.dir, "gospark-"+f.app.Launch.AppID+"-logs")
	if _, err := os.Stat(filepath.Join(logs, "executor-1.log")); err != nil {
		t.Errorf("executor 1's log file: %v", err)
	}
	for _, id := range []string{"3", "0", "01", "-1", "../executor-1", ""} {
		if _, err := logOf(f.m, id); !errors.Is(err, clustermgr.ErrNoLog) {
			t.Errorf("log of executor %q: %v, want ErrNoLog", id, err)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	if err := f.m.Kill(ctx, []string{"1"}); err != nil {
		t.Fatal(err)
	}
	next(t, execs["1"].gone, "executor 1 to exit")
	repl := next(t, f.x.hellos, "the replacement of executor 1")
	waitLog(t, f.m, "1", "executor 1 on stdout")
	waitLog(t, f.m, repl.ID, "executor "+repl.ID+" on stdout")

	if err := f.m.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(logs); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("logs directory after Stop: %v, want it removed", err)
	}
	if log, err := logOf(f.m, "2"); !errors.Is(err, clustermgr.ErrNoLog) {
		t.Errorf("log of executor 2 after Stop: %q, %v; want ErrNoLog", log, err)
	}
}

// A log longer than clustermgr.LogTail is shown from its first whole line
// in the last LogTail bytes.
func TestReadTail(t *testing.T) {
	file := filepath.Join(t.TempDir(), "executor-1.log")
	var b strings.Builder
	for i := 0; b.Len() < 3*clustermgr.LogTail; i++ {
		fmt.Fprintf(&b, "line %d of the executor's output\n", i)
	}
	if err := os.WriteFile(file, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := readTail(file, clustermgr.LogTail)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) > clustermgr.LogTail || len(got) < clustermgr.LogTail-100 || !strings.HasSuffix(b.String(), string(got)) || !strings.HasPrefix(string(got), "line ") {
		t.Errorf("tail of %d bytes starting %q; want the last whole lines of at most %d bytes", len(got), string(got[:min(len(got), 40)]), clustermgr.LogTail)
	}
	short, err := readTail(file, 1<<40)
	if err != nil || string(short) != b.String() {
		t.Errorf("a tail longer than the file: %d bytes, %v; want the whole file", len(short), err)
	}
}
