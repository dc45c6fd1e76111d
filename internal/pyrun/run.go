package pyrun

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/gospark/gospark/internal/config"
	"github.com/gospark/gospark/internal/launch"
	"github.com/gospark/gospark/internal/master"
	"github.com/gospark/gospark/spark"
)

// Main is gospark-py, the application binary of every Python application.
// In an executor (or shuffle service) process it runs the executor runtime,
// whose Python stages start workers. In the driver it runs
// `python <app.py> args...` with the gateway's address in its environment
// and returns the program's exit status.
func Main(ctx context.Context, args []string, stderr io.Writer) int {
	if launch.IsExecutor() || launch.IsShuffleService() {
		_, err := spark.NewSession(ctx) // does not return
		fmt.Fprintln(stderr, "gospark-py:", err)
		return 1
	}
	if len(args) < 1 || !strings.HasSuffix(args[0], ".py") {
		fmt.Fprintln(stderr, "usage: gospark-py <app.py> [args...]")
		return 2
	}
	code, err := runDriver(ctx, args[0], args[1:])
	if err != nil {
		fmt.Fprintln(stderr, "gospark-py:", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// PythonPaths splits spark.submit.pyFiles into local paths, checking that
// each is a .py, .zip or .egg that exists.
func PythonPaths(list string) ([]string, error) {
	var out []string
	for _, f := range strings.Split(list, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		for _, scheme := range []string{"file://", "local://"} {
			f = strings.TrimPrefix(f, scheme)
		}
		switch filepath.Ext(f) {
		case ".py", ".zip", ".egg":
		default:
			return nil, fmt.Errorf("spark.submit.pyFiles: %s: want a .py, .zip or .egg file", f)
		}
		st, err := os.Stat(f)
		if err != nil {
			return nil, fmt.Errorf("spark.submit.pyFiles: %w", err)
		}
		if st.IsDir() {
			return nil, fmt.Errorf("spark.submit.pyFiles: %s is a directory, want a .py, .zip or .egg file", f)
		}
		out = append(out, f)
	}
	return out, nil
}

// driverPython is the Python that runs the driver program, with Spark's
// precedence.
func driverPython(conf *config.Conf) string {
	for _, p := range []string{conf.String("spark.pyspark.driver.python"), conf.String("spark.pyspark.python"),
		os.Getenv("PYSPARK_DRIVER_PYTHON"), os.Getenv("PYSPARK_PYTHON")} {
		if p != "" {
			return p
		}
	}
	return "python3"
}

// workerPython is the Python that runs the workers, with Spark's
// precedence.
func workerPython(conf *config.Conf) string {
	if p := conf.String("spark.pyspark.python"); p != "" {
		return p
	}
	if p := os.Getenv("PYSPARK_PYTHON"); p != "" {
		return p
	}
	return "python3"
}

// prestartedWorkers is the most workers a local application starts before
// its first task.
const prestartedWorkers = 8

func runDriver(ctx context.Context, app string, args []string) (int, error) {
	conf, err := config.FromEnv()
	if err != nil {
		return 1, err
	}
	pyFiles, err := PythonPaths(conf.String("spark.submit.pyFiles"))
	if err != nil {
		return 1, err
	}
	pkg, err := ExtractPackage()
	if err != nil {
		return 1, err
	}
	// The driver program's path: the package, the py-files (a .py by its
	// own directory of one file, as PySpark copies it), then what was set.
	path := []string{pkg}
	for _, f := range pyFiles {
		if filepath.Ext(f) != ".py" {
			path = append(path, f)
			continue
		}
		abs, _ := filepath.Abs(f)
		paths, err := copyPyFile(abs)
		if err != nil {
			return 1, err
		}
		path = append(path, paths)
	}
	g, err := NewGateway(ctx, conf, pyFiles)
	if err != nil {
		return 1, err
	}
	defer g.Close()
	// A local application's tasks run in this process: its workers start
	// now, beside the driver program, rather than when the first tasks
	// wait for them (unused ones are ended with the rest).
	if m, err := master.Parse(conf.String("spark.master")); err == nil && m.Kind == master.Local {
		proc.pool.prestart(workerPython(conf), min(m.Threads, prestartedWorkers))
	}
	cmd := exec.Command(driverPython(conf), append([]string{app}, args...)...)
	env := workerEnv(os.Environ(), strings.Join(path, string(os.PathListSeparator)))
	cmd.Env = append(env, g.Env()...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Start(); err != nil {
		return 1, fmt.Errorf("starting the Python driver program (spark.pyspark.driver.python, spark.pyspark.python, PYSPARK_DRIVER_PYTHON, PYSPARK_PYTHON or python3): %w", err)
	}
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	defer signal.Stop(sigs)
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	for {
		select {
		case sig := <-sigs:
			_ = cmd.Process.Signal(sig)
		case err := <-waited:
			stopErr := g.Close()
			// The local executors' Python workers end with the driver.
			proc.pool.close(5 * time.Second)
			var ee *exec.ExitError
			switch {
			case errors.As(err, &ee):
				if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
					return 128 + int(ws.Signal()), nil
				}
				return ee.ExitCode(), nil
			case err != nil:
				return 1, err
			}
			if stopErr != nil {
				return 1, stopErr
			}
			return 0, nil
		}
	}
}

// copyPyFile puts a .py py-file alone in a directory (by content) for
// sys.path.
func copyPyFile(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("spark.submit.pyFiles: %w", err)
	}
	dir := filepath.Join(cacheRoot(), "driver-files", fmt.Sprintf("%x", sha(data)))
	if err := writeAtomic(dir, filepath.Base(path), data); err != nil {
		return "", fmt.Errorf("spark.submit.pyFiles: %w", err)
	}
	return dir, nil
}
