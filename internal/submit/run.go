package submit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
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

	bin, args, cleanup, err := s.program(ctx, stderr)
	if err != nil {
		if code, ok := signalCode(); ok {
			return code, err
		}
		return 1, err
	}
	defer cleanup()

	cmd := exec.CommandContext(ctx, bin, args...)
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

// program returns the executable to run and its arguments: the
// application's binary (binary) with the application's arguments, or for
// a Python program gospark-py with the program and its arguments
// (pythonCommand). cleanup removes what was built or downloaded.
func (s *Submission) program(ctx context.Context, stderr io.Writer) (bin string, args []string, cleanup func(), err error) {
	if !IsPython(s.Args.Primary) {
		bin, cleanup, err = s.binary(ctx, stderr)
		return bin, s.Args.AppArgs, cleanup, err
	}
	tmp, err := os.MkdirTemp("", "gospark-py-")
	if err != nil {
		return "", nil, func() {}, err
	}
	cleanup = func() { _ = os.RemoveAll(tmp) }
	bin, args, err = s.pythonCommand(ctx, tmp, stderr)
	if err != nil {
		cleanup()
		return "", nil, func() {}, err
	}
	return bin, args, cleanup, nil
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

// build runs "go build" of pkg in dir and returns a copy of the program
// in a directory of its own (removed by the cleanup function), so that
// this run's executors keep running the binary its driver runs even if
// the package is built again meanwhile. The build's output is kept in
// the user's cache directory (gospark/apps), where go build leaves an
// up-to-date program alone instead of linking it again; without a cache
// directory the program is built straight into the run's directory.
func (s *Submission) build(ctx context.Context, dir, pkg string, stderr io.Writer) (string, func(), error) {
	tmp, err := os.MkdirTemp("", "gospark-build-")
	if err != nil {
		return "", func() {}, fmt.Errorf("building %s: %w", s.Args.Primary, err)
	}
	cleanup := func() { _ = os.RemoveAll(tmp) }
	out, err := s.buildNamed(ctx, s.Args.Primary, dir, pkg, appName(s.Args.Primary), tmp, stderr)
	if err != nil {
		cleanup()
		return "", func() {}, err
	}
	return out, cleanup, nil
}

// buildNamed builds pkg in dir as build does, into the directory into
// (the caller's to remove) as the program name; what names it in errors.
func (s *Submission) buildNamed(ctx context.Context, what, dir, pkg, name, into string, stderr io.Writer) (string, error) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("building %s needs the go command: %w", what, err)
	}
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	out := filepath.Join(into, name)
	target := out
	key := pkg
	if len(s.buildEnv) > 0 { // kept apart from the default build's
		key += "\x00" + strings.Join(s.buildEnv, " ")
	}
	if cache, err := buildCacheDir(dir, key); err == nil {
		target = filepath.Join(cache, name)
	}
	if s.Args.Verbose {
		fmt.Fprintf(stderr, "Building %s\n", what)
	}
	cmd := exec.CommandContext(ctx, goTool, "build", "-o", target, pkg)
	cmd.Dir = dir
	if len(s.buildEnv) > 0 {
		cmd.Env = append(os.Environ(), s.buildEnv...)
	}
	cmd.Stdout = stderr
	cmd.Stderr = stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("building %s: %w", what, err)
	}
	if target != out {
		if err := linkOrCopy(target, out); err != nil {
			return "", fmt.Errorf("building %s: %w", what, err)
		}
	}
	return out, nil
}

// buildCacheDir is the directory the build of pkg in dir is kept in.
func buildCacheDir(dir, pkg string) (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	key := sha256.Sum256([]byte(abs + "\x00" + pkg + "\x00" + runtime.GOOS + "/" + runtime.GOARCH))
	cache := filepath.Join(base, "gospark", "apps", hex.EncodeToString(key[:8]))
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return "", err
	}
	return cache, nil
}

// linkOrCopy makes to a hard link of from, or a copy when they are on
// different file systems.
func linkOrCopy(from, to string) error {
	if err := os.Link(from, to); err == nil {
		return nil
	}
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}
