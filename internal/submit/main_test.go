package submit

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Built once by TestMain: the gospark command and the echo application.
var (
	gosparkBin string
	echoBin    string
	echoDir    string // testdata/echoapp, absolute
	brokenDir  string // testdata/broken, absolute
)

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "gospark-submit-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	wd, err := os.Getwd()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	echoDir = filepath.Join(wd, "testdata", "echoapp")
	brokenDir = filepath.Join(wd, "testdata", "broken")
	gosparkBin = filepath.Join(dir, "gospark")
	echoBin = filepath.Join(dir, "echoapp")
	for _, b := range []struct{ out, pkg string }{
		{gosparkBin, "github.com/gospark/gospark/cmd/gospark"},
		{echoBin, "./testdata/echoapp"},
	} {
		cmd := exec.Command("go", "build", "-o", b.out, b.pkg)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintf(os.Stderr, "building %s: %v\n", b.pkg, err)
			return 1
		}
	}
	return m.Run()
}

type result struct {
	code           int
	stdout, stderr string
}

// gospark runs the built gospark binary in dir with extra environment.
func gospark(t *testing.T, dir string, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, gosparkBin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running gospark: %v", err)
	}
	return result{code, stdout.String(), stderr.String()}
}

// confOf extracts the GOSPARK_CONF the echo application printed.
func confOf(t *testing.T, stdout string) map[string]string {
	t.Helper()
	for _, line := range strings.Split(stdout, "\n") {
		if v, ok := strings.CutPrefix(line, "GOSPARK_CONF="); ok {
			var m map[string]string
			if err := json.Unmarshal([]byte(v), &m); err != nil {
				t.Fatalf("GOSPARK_CONF %q: %v", v, err)
			}
			return m
		}
	}
	t.Fatalf("no GOSPARK_CONF in output:\n%s", stdout)
	return nil
}

func TestBinaryRunsPackage(t *testing.T) {
	work := t.TempDir()
	tmp := t.TempDir()
	r := gospark(t, work, []string{"TMPDIR=" + tmp, "SPARK_CONF_DIR="},
		"submit", "--master", "local[2]", "--conf", "spark.executor.memory=2g", "--executor-memory", "3g",
		"--conf", "spark.executorEnv.GREETING=hi there", echoDir, "one", "--two", "-v", "--master", "yarn")
	if r.code != 0 {
		t.Fatalf("exit code %d, stderr:\n%s", r.code, r.stderr)
	}
	for _, want := range []string{"role=driver\n", "arg[0]=one\n", "arg[1]=--two\n", "arg[2]=-v\n", "arg[3]=--master\n", "arg[4]=yarn\n"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	conf := confOf(t, r.stdout)
	want := map[string]string{
		"spark.master": "local[2]", "spark.executor.memory": "3g", "spark.app.name": "echoapp",
		"spark.submit.deployMode": "client", "spark.executorEnv.GREETING": "hi there",
	}
	if len(conf) != len(want) {
		t.Errorf("GOSPARK_CONF = %v, want %v", conf, want)
	}
	for k, v := range want {
		if conf[k] != v {
			t.Errorf("GOSPARK_CONF %s = %q, want %q", k, conf[k], v)
		}
	}
	// The application decoded the configuration itself.
	if !strings.Contains(r.stdout, "conf spark.executor.memory=3g\n") {
		t.Errorf("the application did not decode its configuration:\n%s", r.stdout)
	}
	if !strings.Contains(r.stderr, "echoapp: stderr works") {
		t.Errorf("the application's stderr was not passed through:\n%s", r.stderr)
	}
	left, err := filepath.Glob(filepath.Join(tmp, "gospark-build-*"))
	if err != nil || len(left) != 0 {
		t.Errorf("build directories left behind: %v %v", left, err)
	}
}

func TestBinaryRunsExecutableAndImportPath(t *testing.T) {
	work := t.TempDir()
	tests := []struct {
		name, primary string
		env           []string
		wantCode      int
		wantName      string
	}{
		{"executable", echoBin, []string{"ECHOAPP_EXIT=7"}, 7, "echoapp"},
		{"executable exit 0", echoBin, nil, 0, "echoapp"},
		{"import path", "github.com/gospark/gospark/internal/submit/testdata/echoapp", []string{"ECHOAPP_EXIT=3"}, 3, "echoapp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := work
			if tt.name == "import path" {
				dir = echoDir // inside the module, so that go build resolves the path
			}
			r := gospark(t, dir, tt.env, "submit", tt.primary, "x")
			if r.code != tt.wantCode {
				t.Fatalf("exit code %d, want %d; stderr:\n%s", r.code, tt.wantCode, r.stderr)
			}
			if !strings.Contains(r.stdout, "arg[0]=x\n") {
				t.Errorf("stdout:\n%s", r.stdout)
			}
			if got := confOf(t, r.stdout)["spark.app.name"]; got != tt.wantName {
				t.Errorf("spark.app.name = %q, want %q", got, tt.wantName)
			}
		})
	}
}

func TestBinaryDefaultsFile(t *testing.T) {
	work := t.TempDir()
	writeFile(t, filepath.Join(work, "conf", "spark-defaults.conf"),
		"# defaults\nspark.app.name  from-defaults\nspark.executor.cores=4\nspark.master local[1]\n")
	r := gospark(t, work, []string{"SPARK_CONF_DIR="}, "submit", "--verbose", "--conf", "spark.executor.cores=5",
		"--conf", "spark.authenticate.secret=hunter2", echoBin)
	if r.code != 0 {
		t.Fatalf("exit code %d, stderr:\n%s", r.code, r.stderr)
	}
	conf := confOf(t, r.stdout)
	if conf["spark.app.name"] != "from-defaults" || conf["spark.executor.cores"] != "5" || conf["spark.master"] != "local[1]" {
		t.Errorf("GOSPARK_CONF = %v", conf)
	}
	for _, want := range []string{
		"Using properties file: " + filepath.Join("conf", "spark-defaults.conf"),
		"Parsed arguments:",
		"  master                  local[1]\n",
		"  executorCores           5\n",
		"  primaryResource         " + echoBin + "\n",
		"Spark properties used",
		"  spark.app.name=from-defaults\n",
		"  spark.authenticate.secret=*********(redacted)\n",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("verbose output lacks %q:\n%s", want, r.stderr)
		}
	}
	if strings.Contains(r.stderr, "hunter2") {
		t.Error("verbose output shows the secret")
	}
}

func TestBinaryFailsBeforeRunning(t *testing.T) {
	work := t.TempDir()
	writeFile(t, filepath.Join(work, "notexec"), "data")
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"unknown option", []string{"--frobnicate", echoBin},
			[]string{"gospark submit: error: unknown option --frobnicate", "Run 'gospark submit --help' for usage."}},
		{"missing application", []string{echoBin + "x", "--master"}, // "--master" is an argument of the (missing) app
			[]string{"application " + echoBin + "x not found"}},
		{"missing option value", []string{"--master"}, []string{"option --master needs a value"}},
		{"malformed memory", []string{"--executor-memory", "abc", echoBin},
			[]string{`--executor-memory: property spark.executor.memory: want a size such as 512m or 2g`, `got "abc"`}},
		{"negative executors", []string{"--num-executors", "-1", echoBin},
			[]string{`--num-executors: property spark.executor.instances: want a non-negative integer, got "-1"`}},
		{"unknown property", []string{"--conf", "spark.kubernets.namespace=x", echoBin},
			[]string{"property spark.kubernets.namespace: unknown property; did you mean spark.kubernetes.namespace?"}},
		{"cluster mode", []string{"--deploy-mode", "cluster", echoBin},
			[]string{`Cluster deploy mode is not compatible with master "local[*]"`}},
		{"status", []string{"--status", "x"}, []string{"--status x: needs a k8s:// master"}},
		{"not executable", []string{filepath.Join(work, "notexec")}, []string{"is neither an executable file nor a Go package directory"}},
		{"build failure", []string{brokenDir}, []string{"building " + brokenDir, "cannot use"}},
		{"no application", nil, []string{"no application given"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := gospark(t, work, []string{"SPARK_CONF_DIR="}, append([]string{"submit"}, tt.args...)...)
			if r.code != 1 {
				t.Errorf("exit code %d, want 1", r.code)
			}
			if r.stdout != "" {
				t.Errorf("something ran; stdout:\n%s", r.stdout)
			}
			for _, want := range tt.want {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
				}
			}
		})
	}
}

func TestBinaryHelpVersionClass(t *testing.T) {
	work := t.TempDir()
	r := gospark(t, work, nil, "submit", "--help")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "Usage: gospark submit [options]") {
		t.Errorf("submit --help: code %d stdout:\n%s", r.code, r.stdout)
	}
	r = gospark(t, work, nil, "version")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "gospark ") {
		t.Errorf("version: code %d stdout %q", r.code, r.stdout)
	}
	r = gospark(t, work, nil, "submit", "--class", "org.apache.spark.examples.SparkPi", echoBin)
	if r.code != 0 || !strings.Contains(r.stderr, "ignoring --class org.apache.spark.examples.SparkPi: Go applications have no main class") {
		t.Errorf("--class: code %d stderr:\n%s", r.code, r.stderr)
	}
	r = gospark(t, work, nil, "frobnicate")
	if r.code != 1 || !strings.Contains(r.stderr, `unknown command "frobnicate"`) {
		t.Errorf("unknown command: code %d stderr:\n%s", r.code, r.stderr)
	}
}

func TestBinaryForwardsSignals(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no SIGTERM on Windows")
	}
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, gosparkBin, "submit", echoBin)
			cmd.Env = append(os.Environ(), "ECHOAPP_WAIT=1")
			cmd.Stderr = io.Discard
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = cmd.Process.Kill() })
			lines := bufio.NewScanner(stdout)
			var out []string
			for lines.Scan() {
				out = append(out, lines.Text())
				if lines.Text() == "ready" {
					break
				}
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			for lines.Scan() {
				out = append(out, lines.Text())
			}
			err = cmd.Wait()
			if code := cmd.ProcessState.ExitCode(); code != 42 {
				t.Errorf("exit code %d (%v), want the application's 42", code, err)
			}
			if want := "got signal " + sig.String(); !strings.Contains(strings.Join(out, "\n"), want) {
				t.Errorf("the application did not get the signal; output:\n%s", strings.Join(out, "\n"))
			}
		})
	}
}

// TestMainInProcess drives Main directly, as cmd/gospark does.
func TestMainInProcess(t *testing.T) {
	inTempDir(t)
	tests := []struct {
		name       string
		args       []string
		env        string // ECHOAPP_EXIT
		wantCode   int
		wantStdout []string
		wantStderr []string
	}{
		{"runs", []string{"--name", "inproc", echoBin, "a b"}, "", 0,
			[]string{"arg[0]=a b\n", `"spark.app.name":"inproc"`}, []string{"echoapp: stderr works"}},
		{"exit code", []string{echoBin}, "9", 9, []string{"role=driver"}, nil},
		{"warnings", []string{"--conf", "spark.kubernetes.submit.waitAppCompletion=false", "--conf", "x.y=1", echoBin}, "", 0,
			[]string{`"spark.kubernetes.submission.waitAppCompletion":"false"`},
			[]string{"Warning: spark.kubernetes.submit.waitAppCompletion is deprecated; use spark.kubernetes.submission.waitAppCompletion instead",
				"Warning: Ignoring non-Spark config property: x.y"}},
		{"help", []string{"-h"}, "", 0, []string{"Usage: gospark submit"}, nil},
		{"usage error", []string{"--nope"}, "", 1, nil, []string{"unknown option --nope", "Run 'gospark submit --help'"}},
		{"config error", []string{"--driver-memory", "lots", echoBin}, "", 1, nil, []string{`--driver-memory: property spark.driver.memory`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("ECHOAPP_EXIT", tt.env)
			var stdout, stderr bytes.Buffer
			code := Main(context.Background(), tt.args, &stdout, &stderr)
			if code != tt.wantCode {
				t.Errorf("code %d, want %d; stderr:\n%s", code, tt.wantCode, stderr.String())
			}
			for _, w := range tt.wantStdout {
				if !strings.Contains(stdout.String(), w) {
					t.Errorf("stdout lacks %q:\n%s", w, stdout.String())
				}
			}
			if len(tt.wantStdout) == 0 && stdout.Len() != 0 {
				t.Errorf("unexpected stdout:\n%s", stdout.String())
			}
			for _, w := range tt.wantStderr {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr.String())
				}
			}
		})
	}
}

func TestRunCancelStopsApplication(t *testing.T) {
	inTempDir(t)
	t.Setenv("ECHOAPP_WAIT", "1")
	s, err := prepare(t, echoBin)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	type ran struct {
		code int
		err  error
	}
	done := make(chan ran, 1)
	go func() {
		code, err := Run(ctx, s, pw, io.Discard)
		pw.Close()
		done <- ran{code, err}
	}()
	lines := bufio.NewScanner(pr)
	var out []string
	for lines.Scan() {
		out = append(out, lines.Text())
		if lines.Text() == "ready" {
			cancel() // Run asks the application to stop with SIGTERM
		}
	}
	r := <-done
	if r.err != nil || r.code != 42 {
		t.Errorf("Run = %d, %v; want the application's exit code 42", r.code, r.err)
	}
	if !strings.Contains(strings.Join(out, "\n"), "got signal terminated") {
		t.Errorf("output:\n%s", strings.Join(out, "\n"))
	}
}
