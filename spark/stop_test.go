package spark_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gospark/gospark/spark"
)

// slowRecords makes slowFn's job last about half a minute.
const slowRecords = 1 << 20

// slowFn maps over slowRecords integers in two partitions at about 70µs a
// record (a 1 ms sleep every 16 records), so that the job runs for about
// half a minute while the tasks' cancellation checks, one per batch of 1024
// records, come about every 70 ms. The first record a process maps dials
// addr: the test's signal that a task of the action really runs (on the
// driver under local[N], in an executor process under local-cluster).
var slowFn = spark.Func2(func(p *spark.Plan, n int64, addr string) *spark.Dataset[int64] {
	var once sync.Once
	return spark.Map(spark.Range(p, 0, n, 2), func(i int64) int64 {
		once.Do(func() {
			if c, err := net.Dial("tcp", addr); err == nil {
				c.Close()
			}
		})
		if i%16 == 0 {
			time.Sleep(time.Millisecond)
		}
		return i
	})
})

// Stop while an action runs fails the action at once with ErrStopped,
// instead of letting it run to its end (local[N]) or wait forever for
// tasks of executors the stopped driver forgot (local-cluster).
func TestStopFailsRunningAction(t *testing.T) {
	for _, master := range []string{"local[2]", "local-cluster[2,1,512]"} {
		t.Run(master, func(t *testing.T) { testStopFailsRunningAction(t, master) })
	}
}

func testStopFailsRunningAction(t *testing.T, master string) {
	s := newSession(t, spark.Master(master))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	running := make(chan struct{}, 1)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
			select {
			case running <- struct{}{}:
			default:
			}
		}
	}()
	type result struct {
		n   int64
		err error
		at  time.Time
	}
	res := make(chan result, 1)
	go func() {
		n, err := spark.Count(context.Background(), slowFn.Call(s, slowRecords, ln.Addr().String()))
		res <- result{n, err, time.Now()}
	}()
	select {
	case <-running:
	case r := <-res:
		t.Fatalf("Count returned before Stop: %d, %v", r.n, r.err)
	case <-time.After(60 * time.Second):
		t.Fatal("no task of the action started within 60s")
	}

	stopAt := time.Now()
	type stopResult struct {
		err error
		at  time.Time
	}
	stopped := make(chan stopResult, 1)
	go func() {
		err := s.Stop()
		stopped <- stopResult{err, time.Now()}
	}()
	// A hard bound: the old behaviour was to wait for the whole job, or
	// forever.
	hard := time.NewTimer(20 * time.Second)
	defer hard.Stop()
	select {
	case r := <-res:
		el := r.at.Sub(stopAt)
		t.Logf("%s: Count failed %s after Stop: %v", master, el.Round(time.Millisecond), r.err)
		if !errors.Is(r.err, spark.ErrStopped) || !strings.Contains(r.err.Error(), "session is stopped") {
			t.Fatalf("Count during Stop returned %d, %v; want an error wrapping spark.ErrStopped that says the session stopped", r.n, r.err)
		}
		if el > 2*time.Second {
			t.Fatalf("Count failed %s after Stop, want within 2s", el)
		}
	case <-hard.C:
		t.Fatal("Count still running 20s after Stop")
	}
	select {
	case r := <-stopped:
		el := r.at.Sub(stopAt)
		t.Logf("%s: Stop returned after %s", master, el.Round(time.Millisecond))
		if r.err != nil {
			t.Fatalf("Stop: %v", r.err)
		}
		// Well under the 10 s executors get to leave.
		if el > 5*time.Second {
			t.Fatalf("Stop took %s with an action running, want under 5s", el)
		}
	case <-hard.C:
		t.Fatal("Stop still running 20s after it was called")
	}
	// The stopped session refuses new actions with the same error.
	if _, err := spark.Count(context.Background(), pairsFn.Call(s, 10, 2, 2)); !errors.Is(err, spark.ErrStopped) {
		t.Fatalf("Count on a stopped session: %v, want spark.ErrStopped", err)
	}
}

// stopexit is testdata/stopexit, built once for the tests that need it.
var stopexit struct {
	once sync.Once
	dir  string
	exe  string
	err  error
}

func buildStopexit(t *testing.T) string {
	t.Helper()
	stopexit.once.Do(func() {
		dir, err := os.MkdirTemp("", "gospark-stopexit-")
		if err != nil {
			stopexit.err = err
			return
		}
		stopexit.dir = dir
		exe := filepath.Join(dir, "stopexit")
		out, err := exec.Command("go", "build", "-o", exe, "./testdata/stopexit").CombinedOutput()
		if err != nil {
			stopexit.err = fmt.Errorf("building testdata/stopexit: %w\n%s", err, out)
			return
		}
		stopexit.exe = exe
	})
	if stopexit.err != nil {
		t.Fatal(stopexit.err)
	}
	return stopexit.exe
}

// removeBuilt removes what buildStopexit built (from TestMain).
func removeBuilt() {
	if stopexit.dir != "" {
		os.RemoveAll(stopexit.dir)
	}
}

// A local-cluster application exits within 1 s of its end and leaves no
// executor process and no directory in spark.local.dir behind: after a
// job, when it fails while its executors are still starting, and when they
// never register (see testdata/stopexit).
func TestLocalClusterApplicationEndsPromptlyAndClean(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds and runs a local-cluster application")
	}
	exe := buildStopexit(t)
	for _, c := range []struct {
		mode string
		code int
	}{{"job", 0}, {"early", 1}, {"slow", 1}} {
		t.Run(c.mode, func(t *testing.T) { runStopexit(t, exe, c.mode, c.code) })
	}
}

func runStopexit(t *testing.T, exe, mode string, wantCode int) {
	localDir, runDir := t.TempDir(), t.TempDir()
	stderr, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	defer stderr.Close()
	logs := func() string {
		b, _ := os.ReadFile(stderr.Name())
		return string(b)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cmd := exec.Command(exe, mode, localDir, runDir)
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GOSPARK_") && !strings.HasPrefix(kv, "SPARK_") {
			env = append(env, kv)
		}
	}
	cmd.Env = env
	// Files, not buffers: Wait returns when the process exits, not when
	// every holder of a pipe closed it.
	cmd.Stdout, cmd.Stderr = w, stderr
	if err := cmd.Start(); err != nil {
		w.Close()
		t.Fatal(err)
	}
	w.Close()
	marker := make(chan time.Time, 1)
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "stopping "); ok {
				ns, err := strconv.ParseInt(v, 10, 64)
				if err == nil {
					marker <- time.Unix(0, ns)
				}
			}
		}
	}()
	type exit struct {
		err error
		at  time.Time
	}
	exited := make(chan exit, 1)
	go func() {
		err := cmd.Wait()
		exited <- exit{err, time.Now()}
	}()
	var e exit
	select {
	case e = <-exited:
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		<-exited
		t.Fatalf("%s: still running after 60s\n%s", mode, logs())
	}
	if code := cmd.ProcessState.ExitCode(); code != wantCode {
		t.Fatalf("%s: exit code %d (%v), want %d\n%s", mode, code, e.err, wantCode, logs())
	}
	var stopping time.Time
	select {
	case stopping = <-marker:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: no \"stopping\" line on stdout\n%s", mode, logs())
	}
	entries, err := os.ReadDir(runDir)
	if err != nil {
		t.Fatal(err)
	}
	var pids []int // the executor processes that started
	for _, de := range entries {
		if pid, err := strconv.Atoi(de.Name()); err == nil {
			pids = append(pids, pid)
		}
	}
	el := e.at.Sub(stopping)
	t.Logf("%s: exited %s after it began to stop (%d executor processes had started)", mode, el.Round(time.Millisecond), len(pids))
	if el > time.Second {
		t.Fatalf("%s: exited %s after it began to stop, want within 1s\n%s", mode, el, logs())
	}
	// Nothing of the application stays in spark.local.dir.
	left, err := filepath.Glob(filepath.Join(localDir, "gospark-*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(left) > 0 {
		for i := range left {
			left[i] = filepath.Base(left[i])
		}
		t.Fatalf("%s: left in spark.local.dir: %v\n%s", mode, left, logs())
	}
	// No executor process outlives the application.
	if mode == "job" && len(pids) == 0 || mode != "job" && len(pids) != 2 {
		t.Fatalf("%s: %d executor processes started\n%s", mode, len(pids), logs())
	}
	for _, pid := range pids {
		if runs(pid, exe) {
			t.Errorf("%s: executor process %d is still running", mode, pid)
		}
	}
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range procs {
		pid, err := strconv.Atoi(filepath.Base(p))
		if err == nil && runs(pid, exe) {
			t.Errorf("%s: process %d of the application is still running", mode, pid)
		}
	}
}

// runs reports whether process pid runs exe (a zombie runs nothing).
func runs(pid int, exe string) bool {
	path, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	return err == nil && path == exe
}
