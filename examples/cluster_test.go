package examples_test

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// running is a gospark submit still running, whose stderr the test
// follows line by line.
type running struct {
	cmd    *exec.Cmd
	stdout bytes.Buffer
	mu     sync.Mutex
	stderr bytes.Buffer
	lines  chan string
	done   chan struct{}
}

func start(t *testing.T, env []string, args ...string) *running {
	t.Helper()
	r := &running{lines: make(chan string, 4096), done: make(chan struct{})}
	r.cmd = exec.Command(filepath.Join(bin, "gospark"), append([]string{"submit"}, args...)...)
	r.cmd.Env = append(append(os.Environ(), "SPARK_CONF_DIR="+t.TempDir()), env...)
	r.cmd.Stdout = &r.stdout
	pr, pw := io.Pipe()
	r.cmd.Stderr = pw
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			r.mu.Lock()
			r.stderr.WriteString(sc.Text() + "\n")
			r.mu.Unlock()
			select {
			case r.lines <- sc.Text():
			default:
			}
		}
	}()
	go func() {
		_ = r.cmd.Wait()
		pw.Close()
		close(r.done)
	}()
	t.Cleanup(func() {
		_ = r.cmd.Process.Kill()
		<-r.done
	})
	return r
}

// waitFor returns the first stderr line matching re.
func (r *running) waitFor(t *testing.T, re *regexp.Regexp, timeout time.Duration) []string {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case l := <-r.lines:
			if m := re.FindStringSubmatch(l); m != nil {
				return m
			}
		case <-deadline:
			t.Fatalf("no stderr line matching %s in %s:\n%s", re, timeout, r.errText())
		}
	}
}

func (r *running) errText() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stderr.String()
}

func (r *running) wait(t *testing.T, timeout time.Duration) int {
	t.Helper()
	select {
	case <-r.done:
	case <-time.After(timeout):
		t.Fatalf("still running after %s:\n%s", timeout, r.errText())
	}
	return r.cmd.ProcessState.ExitCode()
}

var started = regexp.MustCompile(`msg="executor process started".* executor=(\d+) pid=(\d+)`)

// alive reports whether pid is a process that has not exited (a zombie
// waiting for its parent to reap it has exited).
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// pid (comm) state ...
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && i+2 < len(s) && s[i+2] != 'Z'
}

func TestExecutorKilledDuringGroupByReduce(t *testing.T) {
	// 4 mappers x 500,000 pairs x 100-byte values into 8 reducers: two
	// executors of one core each run the reduce stage in four waves.
	scratch := t.TempDir()
	r := start(t, []string{"GOSPARK_LOG_LEVEL=info"}, "--master", cluster, "--conf", "spark.local.dir="+scratch,
		app("groupbytest"), "4", "500000", "100", "8")
	pids := map[string]int{}
	for len(pids) < 2 {
		m := r.waitFor(t, started, time.Minute)
		pids[m[1]], _ = strconv.Atoi(m[2])
	}
	r.waitFor(t, regexp.MustCompile(`msg="stage submitted".*name="GroupByKey at`), 2*time.Minute)
	time.Sleep(100 * time.Millisecond)
	if err := syscall.Kill(pids["1"], syscall.SIGKILL); err != nil {
		t.Fatalf("killing executor 1 (pid %d): %v", pids["1"], err)
	}
	if code := r.wait(t, 5*time.Minute); code != 0 {
		t.Fatalf("exit code %d after losing an executor:\n%s", code, r.errText())
	}
	want := groupByCount(4, 500000, 100)
	if got := lastLine(r.stdout.String()); got != strconv.Itoa(want) {
		t.Fatalf("GroupByTest printed %q after losing an executor, want %d", got, want)
	}
	// The killed executor could not clean up; the driver did.
	if left, _ := os.ReadDir(scratch); len(left) != 0 {
		t.Errorf("spark.local.dir holds %d entries after the application ended, want none (first %s)", len(left), left[0].Name())
	}
	log := r.errText()
	for _, re := range []string{
		`msg="executor lost".* executor=1 `,
		// Whichever notices first (a reducer's fetch failure or the lost
		// connection) logs the executor's outputs of the shuffle as lost.
		`msg="map outputs lost with their executor".* executor=1 shuffle=\d+ maps="?\[[0-9 ]+\]`,
		`msg="recomputing lost map outputs".* maps="?\[[0-9 ]+\]`,
	} {
		if !regexp.MustCompile(re).MatchString(log) {
			t.Errorf("the driver's log has no line matching %s", re)
		}
	}
	if t.Failed() {
		t.Logf("stderr:\n%s", log)
		return
	}
	for _, l := range strings.Split(log, "\n") {
		if strings.Contains(l, "lost") || strings.Contains(l, "recomputing") || strings.Contains(l, "fetch failed") {
			t.Log(l)
		}
	}
}

func TestDriverKilledLeavesNoExecutors(t *testing.T) {
	const heartbeat = time.Second
	r := start(t, []string{"GOSPARK_LOG_LEVEL=info"}, "--master", cluster,
		"--conf", "spark.executor.heartbeatInterval="+heartbeat.String(), app("sparkpi"), "5000")
	var execs []int
	for len(execs) < 2 {
		m := r.waitFor(t, started, time.Minute)
		pid, _ := strconv.Atoi(m[2])
		execs = append(execs, pid)
	}
	r.waitFor(t, regexp.MustCompile(`msg="executor registered" .*executor=2 `), time.Minute)
	// The driver is the executors' parent (gospark submit is the driver's).
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(execs[0]) + "/stat")
	if err != nil {
		t.Fatal(err)
	}
	fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	driver, _ := strconv.Atoi(fields[1])
	if driver <= 1 || driver == r.cmd.Process.Pid {
		t.Fatalf("executor's parent %d is not the driver process", driver)
	}
	if err := syscall.Kill(driver, syscall.SIGKILL); err != nil {
		t.Fatalf("killing the driver (pid %d): %v", driver, err)
	}
	time.Sleep(2 * heartbeat)
	for _, pid := range execs {
		if alive(pid) {
			t.Errorf("executor pid %d still alive %s after the driver was killed", pid, 2*heartbeat)
		}
	}
}

func TestClusterSizeFlagsEncryptionAndBadSettings(t *testing.T) {
	// --num-executors and --executor-cores win over N and C of
	// local-cluster[N,C,M], as in Spark; the channels run over TLS.
	r := submit(t, "--master", cluster, "--num-executors", "3", "--executor-cores", "2",
		"--conf", "spark.network.crypto.enabled=true", "--conf", "spark.log.level=INFO",
		// Every executor must register before the job runs (Spark's
		// cluster schedulers wait for 80% by default; local-cluster does not).
		"--conf", "spark.scheduler.minRegisteredResourcesRatio=1", app("sparkpi"), "10")
	mustSucceed(t, r)
	if !strings.HasPrefix(lastLine(r.stdout), "Pi is roughly 3.1") {
		t.Fatalf("output %q", r.stdout)
	}
	regs := regexp.MustCompile(`msg="executor registered" .*executor=(\d+) cores=(\d+)`).FindAllStringSubmatch(r.stderr, -1)
	if len(regs) != 3 {
		t.Fatalf("%d executors registered, want 3:\n%s", len(regs), r.stderr)
	}
	for _, m := range regs {
		if m[2] != "2" {
			t.Fatalf("executor %s has %s cores, want 2", m[1], m[2])
		}
	}
	for _, bad := range []struct {
		args []string
		want string
	}{
		{[]string{"--conf", "spark.authenticate=false", "--conf", "spark.network.crypto.enabled=true"}, "spark.network.crypto.enabled=true needs spark.authenticate=true"},
		{[]string{"--executor-memory", "2g"}, "spark.executor.memory (2048 MiB) is more than the 1024 MiB"},
	} {
		r := submit(t, append(append([]string{"--master", cluster}, bad.args...), app("sparkpi"), "2")...)
		if r.code == 0 || !strings.Contains(r.stderr, bad.want) {
			t.Fatalf("%v: exit %d, stderr %q; want a failure saying %q", bad.args, r.code, r.stderr, bad.want)
		}
	}
	// spark.authenticate=false: no secret, same answer.
	r = submit(t, "--master", cluster, "--conf", "spark.authenticate=false", app("sparkpi"), "10")
	mustSucceed(t, r)
}

func TestExecutorsThatCannotStartFailTheJob(t *testing.T) {
	start := time.Now()
	r := submit(t, "--master", cluster, app("noexec"))
	if r.code == 0 {
		t.Fatalf("exit 0 with executors that never start; stdout %q", r.stdout)
	}
	if !strings.Contains(r.stderr, "no executor left and no more may be started") ||
		!strings.Contains(r.stderr, "exited before registering (exit status 3)") {
		t.Fatalf("stderr does not say why the job failed:\n%s", r.stderr)
	}
	if el := time.Since(start); el > time.Minute {
		t.Fatalf("took %s to give up", el)
	}
}
