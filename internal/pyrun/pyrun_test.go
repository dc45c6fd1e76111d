// Tests of Python applications end to end: the programs in examples/python
// and testdata run through a built gospark submit (which runs gospark-py)
// on local[2] and local-cluster, and their output is checked against
// answers computed here.
package pyrun_test

import (
	"archive/zip"
	"bufio"
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

var (
	bin    string // gospark and gospark-py
	python string // a python3 with cloudpickle
)

var masters = []string{"local[2]", "local-cluster[2,1,1024]"}

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	out, err := exec.Command("python3", "-c", "import sys, cloudpickle; print(sys.executable)").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "Python applications need python3 with cloudpickle (Debian: apt-get install python3-cloudpickle; else pip install cloudpickle): %v\n%s", err, out)
		return 1
	}
	// The interpreter itself, not a wrapper such as pyenv's shim (slow to
	// start on a loaded machine).
	python = strings.TrimSpace(string(out))
	dir, err := os.MkdirTemp("", "gospark-py-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	bin = dir
	build := exec.Command("go", "build", "-o", dir+"/", "../../cmd/gospark", "../../cmd/gospark-py")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building gospark and gospark-py:", err)
		return 1
	}
	return m.Run()
}

type result struct {
	stdout, stderr string
	code           int
}

// submit runs `gospark submit --master master args...`.
func submit(t *testing.T, master string, args ...string) result {
	t.Helper()
	cmd := exec.Command(filepath.Join(bin, "gospark"), append([]string{"submit", "--master", master,
		"--conf", "spark.local.dir=" + t.TempDir()}, args...)...)
	cmd.Env = append(os.Environ(), "SPARK_CONF_DIR="+t.TempDir(), "PYSPARK_PYTHON="+python, "PYSPARK_DRIVER_PYTHON=")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	_ = cmd.Run()
	if cmd.ProcessState == nil {
		t.Fatalf("gospark submit %v did not run", args)
	}
	return result{out.String(), errb.String(), cmd.ProcessState.ExitCode()}
}

func mustSucceed(t *testing.T, r result) {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("exit code %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
}

func example(name string) string { return filepath.Join("..", "..", "examples", "python", name) }

func TestExamples(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	// Words separated by single spaces, with empty lines and doubled
	// spaces, as wordcount.py splits them.
	var text strings.Builder
	counts := map[string]int{}
	for i := range 3000 {
		var words []string
		if i%50 != 0 {
			for range rng.IntN(12) + 1 {
				words = append(words, fmt.Sprintf("w%d", rng.IntN(400)))
			}
			if i%97 == 0 {
				words = append(words, "", "ünï")
			}
		}
		line := strings.Join(words, " ")
		for _, w := range strings.Split(line, " ") {
			counts[w]++
		}
		text.WriteString(line + "\n")
	}
	words := filepath.Join(dir, "words.txt")
	if err := os.WriteFile(words, []byte(text.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	var want []string
	for w, c := range counts {
		want = append(want, fmt.Sprintf("%s: %d", w, c))
	}
	slices.Sort(want)

	var nums []int
	var numText strings.Builder
	for i := range 2000 {
		n := rng.IntN(1_000_000) - 500_000
		nums = append(nums, n)
		sep := " "
		if i%10 == 9 {
			sep = "\n"
		}
		fmt.Fprintf(&numText, "%d%s", n, sep)
	}
	numFile := filepath.Join(dir, "nums.txt")
	if err := os.WriteFile(numFile, []byte(strings.TrimSpace(numText.String())+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	slices.Sort(nums)

	for _, m := range masters {
		t.Run(m, func(t *testing.T) {
			r := submit(t, m, example("pi.py"), "4")
			mustSucceed(t, r)
			if !strings.Contains(r.stdout, "Pi is roughly 3.1") {
				t.Errorf("pi.py printed %q, want Pi is roughly 3.1...", r.stdout)
			}

			r = submit(t, m, example("wordcount.py"), words)
			mustSucceed(t, r)
			got := strings.Split(strings.TrimRight(r.stdout, "\n"), "\n")
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("wordcount.py: %d lines, want %d; first lines %q, want %q", len(got), len(want), got[:min(5, len(got))], want[:5])
			}

			r = submit(t, m, example("sort.py"), numFile)
			mustSucceed(t, r)
			var sorted []int
			for _, l := range strings.Fields(r.stdout) {
				n, err := strconv.Atoi(l)
				if err != nil {
					t.Fatalf("sort.py printed %q", l)
				}
				sorted = append(sorted, n)
			}
			if !slices.Equal(sorted, nums) {
				t.Errorf("sort.py: %d numbers, not the %d sorted inputs", len(sorted), len(nums))
			}
		})
	}
}

// TestFeatures runs testdata/features.py, which checks the RDD API's
// answers against plain Python (shuffles, sorting, joins, cache,
// accumulators, broadcast, saveAsTextFile, take over partitions).
func TestFeatures(t *testing.T) {
	for _, m := range masters {
		t.Run(m, func(t *testing.T) {
			r := submit(t, m, filepath.Join("testdata", "features.py"))
			mustSucceed(t, r)
			if !strings.Contains(r.stdout, "features OK") {
				t.Fatalf("stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
			}
		})
	}
}

func TestTaskRaises(t *testing.T) {
	r := submit(t, "local[2]", filepath.Join("testdata", "failing.py"), "raise")
	if r.code != 3 {
		t.Fatalf("exit code %d, want 3 (the job failed)\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{
		"job failed: SparkJobError",
		"task 1 in stage 0 failed 4 times", // spark.task.maxFailures
		"Traceback (most recent call last)",
		`failing.py", line 19, in step`,
		"ValueError: bad record 50",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("the error the program got lacks %q:\n%s", want, r.stdout)
		}
	}
}

func TestWorkerKilled(t *testing.T) {
	for _, m := range masters {
		t.Run(m, func(t *testing.T) {
			// Killed in its first attempt only: the task is retried and the
			// job succeeds.
			r := submit(t, m, filepath.Join("testdata", "failing.py"), "kill-once")
			mustSucceed(t, r)
			if !strings.Contains(r.stdout, "sum=4950") {
				t.Errorf("stdout %q, want sum=4950", r.stdout)
			}
			if !strings.Contains(r.stderr, "Python worker exited unexpectedly (killed by signal 9") {
				t.Errorf("the driver's log does not report the killed worker:\n%s", r.stderr)
			}
		})
	}
	r := submit(t, "local[2]", filepath.Join("testdata", "failing.py"), "kill")
	if r.code != 3 || !strings.Contains(r.stdout, "failed 4 times") ||
		!strings.Contains(r.stdout, "Python worker exited unexpectedly (killed by signal 9") {
		t.Fatalf("a worker killed in every attempt: exit code %d, want 3, and the error naming the signal\nstdout:\n%s", r.code, r.stdout)
	}
}

// TestWorkerNoReuse runs a job whose workers end with their task
// (spark.python.worker.reuse=false): more tasks than cores, so tasks run
// after the first ones' workers have gone.
func TestWorkerNoReuse(t *testing.T) {
	r := submit(t, "local[2]", "--conf", "spark.python.worker.reuse=false", example("pi.py"), "6")
	mustSucceed(t, r)
	if !strings.Contains(r.stdout, "Pi is roughly 3.1") {
		t.Errorf("pi.py printed %q, want Pi is roughly 3.1...", r.stdout)
	}
}

func TestPyFiles(t *testing.T) {
	dir := t.TempDir()
	zipPath := filepath.Join(dir, "deps.zip")
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create("zipped.py")
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(w, "def plus_one(x):\n    return x + 1")
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(zipPath, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	added := filepath.Join(dir, "added.py")
	if err := os.WriteFile(added, []byte("def minus(x):\n    return -x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	helper, _ := filepath.Abs(filepath.Join("testdata", "pyfiles", "helper.py"))
	for _, m := range masters {
		t.Run(m, func(t *testing.T) {
			r := submit(t, m, "--py-files", helper+","+zipPath, filepath.Join("testdata", "usepyfiles.py"), added)
			mustSucceed(t, r)
			// sum of 3x + (x+1) - x for x in 0..9 = 3*45 + 10
			if !strings.Contains(r.stdout, "pyfiles=145") {
				t.Fatalf("stdout %q, want pyfiles=145\nstderr:\n%s", r.stdout, r.stderr)
			}
		})
	}
}

// TestPythonUnit runs the pyspark package's unit tests (python/tests).
func TestPythonUnit(t *testing.T) {
	cmd := exec.Command(python, "-m", "unittest", "discover", "-s", "tests", "-t", ".")
	cmd.Dir = filepath.Join("..", "..", "python")
	cmd.Env = append(os.Environ(), "PYTHONPATH=.", "PYTHONDONTWRITEBYTECODE=1", "PYTHONHASHSEED=0")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("python -m unittest: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "OK") {
		t.Fatalf("python -m unittest:\n%s", out)
	}
}

// TestWorkersEndWithTheDriver: when a local application ends, its Python
// workers have exited and been reaped (none is left running or a zombie).
func TestWorkersEndWithTheDriver(t *testing.T) {
	dir := t.TempDir()
	pids := filepath.Join(dir, "pids")
	wrapper := filepath.Join(dir, "python")
	script := fmt.Sprintf("#!/bin/sh\necho $$ >> %s\nexec %s \"$@\"\n", pids, python)
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	r := submit(t, "local[2]", "--conf", "spark.pyspark.python="+wrapper, example("pi.py"), "4")
	mustSucceed(t, r)
	data, err := os.ReadFile(pids)
	if err != nil {
		t.Fatal(err)
	}
	started := strings.Fields(string(data))
	if len(started) < 2 { // the driver program and at least one worker
		t.Fatalf("%d Python processes started, want the driver and its workers", len(started))
	}
	for _, pid := range started {
		if st, err := os.ReadFile(filepath.Join("/proc", pid, "stat")); err == nil {
			t.Errorf("Python process %s is still there after the application ended: %s", pid, st)
		}
	}
}

// TestWorkersStartBesideTheDriver: a local application's workers start
// with the driver program, not when its first tasks need them: those of a
// job that starts 1.5 s after the program have been there that long.
func TestWorkersStartBesideTheDriver(t *testing.T) {
	r := submit(t, "local[2]", filepath.Join("testdata", "prestart.py"))
	mustSucceed(t, r)
	_, ages, ok := strings.Cut(strings.TrimSpace(r.stdout), "worker ages: ")
	if !ok {
		t.Fatalf("no worker ages in the output %q", r.stdout)
	}
	for _, a := range strings.Fields(ages) {
		age, err := strconv.ParseFloat(a, 64)
		if err != nil {
			t.Fatal(err)
		}
		if age < 1.0 {
			t.Errorf("a worker of the first job started %.2f s before its task, want at least 1 s (started by the task?)", age)
		}
	}
}

// TestDriverOutputBeforeAJob: a line the driver program prints before an
// action reaches gospark submit's output (a pipe here) while the job runs.
func TestDriverOutputBeforeAJob(t *testing.T) {
	gate := filepath.Join(t.TempDir(), "go")
	cmd := exec.Command(filepath.Join(bin, "gospark"), "submit", "--master", "local[2]",
		"--conf", "spark.local.dir="+t.TempDir(), filepath.Join("testdata", "flush.py"), gate)
	cmd.Env = append(os.Environ(), "SPARK_CONF_DIR="+t.TempDir(), "PYSPARK_PYTHON="+python,
		"PYSPARK_DRIVER_PYTHON=", "PYTHONUNBUFFERED=")
	var errb bytes.Buffer
	cmd.Stderr = &errb
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var lines []string
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if strings.HasPrefix(sc.Text(), "waiting for") {
			if err := os.WriteFile(gate, nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("%v\nstdout: %q\nstderr:\n%s", err, lines, errb.String())
	}
	if want := []string{"waiting for " + gate, "released"}; !slices.Equal(lines, want) {
		t.Fatalf("stdout %q, want %q (the first line held back until the job timed out)", lines, want)
	}
}
