package submit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gospark/gospark/internal/launch"
)

// stopGrace is how long a child may take to exit after SIGTERM when ctx is
// cancelled, before it is killed.
const stopGrace = 10 * time.Second

// Run builds or locates the application, runs it as the driver with the
// submission's configuration in its environment, and returns its exit
// code. SIGINT and SIGTERM received meanwhile are forwarded to the
// application (or stop the build). A non-nil error means the application
// could not be started; the code is then 1, or 128+signal if a signal
// stopped the build.
func Run(ctx context.Context, s *Submission, stdout, stderr io.Writer) (int, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	var (
		mu       sync.Mutex
		child    *os.Process
		received os.Signal
	)
	done := make(chan struct{})
	defer close(done)
	go func() {
		for {
			select {
			case sig := <-sigs:
				mu.Lock()
				received = sig
				if child != nil {
					_ = child.Signal(sig) // it may have exited already
				} else {
					cancel() // stop the build
				}
				mu.Unlock()
			case <-done:
				return
			}
		}
	}()
	signalCode := func() (int, bool) {
		mu.Lock()
		defer mu.Unlock()
		if sig, ok := received.(syscall.Signal); ok {
			return 128 + int(sig), true
		}
		return 0, false
	}

	bin, cleanup, err := s.binary(ctx, stderr)
	if err != nil {
		if code, ok := signalCode(); ok {
			return code, err
		}
		return 1, err
	}
	defer cleanup()

	cmd := exec.CommandContext(ctx, bin, s.Args.AppArgs...)
	cmd.Stdin = os.Stdin
	cmd.Stdout = stdout
	cmd.Stderr = stderr
	cmd.Env = append(launch.Without(os.Environ()),
		launch.EnvConf+"="+s.Conf.Encode(), launch.EnvRole+"="+launch.RoleDriver)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = stopGrace

	mu.Lock()
	err = cmd.Start()
	if err == nil {
		child = cmd.Process
	}
	mu.Unlock()
	if err != nil {
		return 1, fmt.Errorf("starting %s: %w", s.Args.Primary, err)
	}
	return exitCode(cmd.Wait())
}

// exitCode turns the result of waiting for the application into gospark
// submit's exit code: the application's own, or 128+signal when a signal
// ended it, as shells report it.
func exitCode(err error) (int, error) {
	if err == nil {
		return 0, nil
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal()), nil
		}
		return ee.ExitCode(), nil
	}
	return 1, fmt.Errorf("running the application: %w", err)
}

// binary returns the executable to run: the primary resource itself when it
// is an executable file, or one built from it with "go build" into a
// temporary directory that cleanup removes.
func (s *Submission) binary(ctx context.Context, stderr io.Writer) (path string, cleanup func(), err error) {
	primary := stripScheme(s.Args.Primary)
	nothing := func() {}
	fi, statErr := os.Stat(primary)
	switch {
	case statErr == nil && fi.IsDir():
		abs, err := filepath.Abs(primary)
		if err != nil {
			return "", nothing, fmt.Errorf("application %s: %w", s.Args.Primary, err)
		}
		return s.build(ctx, abs, ".", stderr)
	case statErr == nil && strings.HasSuffix(primary, ".go") && fi.Mode().IsRegular():
		abs, err := filepath.Abs(primary)
		if err != nil {
			return "", nothing, fmt.Errorf("application %s: %w", s.Args.Primary, err)
		}
		return s.build(ctx, filepath.Dir(abs), filepath.Base(abs), stderr)
	case statErr == nil && fi.Mode().IsRegular():
		if runtime.GOOS != "windows" && fi.Mode().Perm()&0o111 == 0 {
			return "", nothing, fmt.Errorf("application %s is neither an executable file nor a Go package directory", s.Args.Primary)
		}
		abs, err := filepath.Abs(primary)
		if err != nil {
			return "", nothing, fmt.Errorf("application %s: %w", s.Args.Primary, err)
		}
		return abs, nothing, nil
	case statErr == nil:
		return "", nothing, fmt.Errorf("application %s is neither an executable file nor a Go package directory", s.Args.Primary)
	case errors.Is(statErr, fs.ErrNotExist) && isImportPath(primary):
		wd, err := os.Getwd()
		if err != nil {
			return "", nothing, fmt.Errorf("application %s: %w", s.Args.Primary, err)
		}
		return s.build(ctx, wd, primary, stderr)
	case errors.Is(statErr, fs.ErrNotExist):
		return "", nothing, fmt.Errorf("application %s not found: want a Go package directory, a Go import path or an executable: %w", s.Args.Primary, statErr)
	default:
		return "", nothing, fmt.Errorf("application %s: %w", s.Args.Primary, statErr)
	}
}

// isImportPath reports whether p looks like a Go import path
// (example.com/app/cmd/x) rather than a file path.
func isImportPath(p string) bool {
	if p == "" || filepath.IsAbs(p) || strings.HasPrefix(p, ".") || strings.Contains(p, `\`) {
		return false
	}
	first, _, ok := strings.Cut(p, "/")
	return ok && strings.Contains(first, ".")
}

// build runs "go build -o <tmp>/<name> pkg" in dir, streaming the
// compiler's output to stderr.
func (s *Submission) build(ctx context.Context, dir, pkg string, stderr io.Writer) (string, func(), error) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		return "", func() {}, fmt.Errorf("building %s needs the go command: %w", s.Args.Primary, err)
	}
	tmp, err := os.MkdirTemp("", "gospark-build-")
	if err != nil {
		return "", func() {}, fmt.Errorf("building %s: %w", s.Args.Primary, err)
	}
	cleanup := func() { _ = os.RemoveAll(tmp) }
	name := appName(s.Args.Primary)
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	out := filepath.Join(tmp, name)
	if s.Args.Verbose {
		fmt.Fprintf(stderr, "Building %s\n", s.Args.Primary)
	}
	cmd := exec.CommandContext(ctx, goTool, "build", "-o", out, pkg)
	cmd.Dir = dir
	cmd.Stdout = stderr
	cmd.Stderr = stderr
	if err := cmd.Run(); err != nil {
		cleanup()
		return "", func() {}, fmt.Errorf("building %s: %w", s.Args.Primary, err)
	}
	return out, cleanup, nil
}
