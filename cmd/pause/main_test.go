package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// build compiles pause as the image has it.
func build(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "pause")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// wait waits for cmd to exit, at most d.
func wait(t *testing.T, cmd *exec.Cmd, d time.Duration) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("pause still running after %v", d)
		return nil
	}
}

func TestExitsOnSignal(t *testing.T) {
	bin := build(t)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		cmd := exec.Command(bin)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Until pause has installed its handlers, the signal's default
		// action would kill it: give it time to start, and check it is
		// still there.
		time.Sleep(200 * time.Millisecond)
		if err := cmd.Process.Signal(syscall.Signal(0)); err != nil {
			t.Fatalf("pause exited by itself: %v", err)
		}
		if err := cmd.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
		if err := wait(t, cmd, 10*time.Second); err != nil {
			t.Errorf("%v: exit %v, want 0; stderr %q", sig, err, stderr.String())
		}
		if !strings.Contains(stderr.String(), "shutting down") {
			t.Errorf("%v: stderr %q", sig, stderr.String())
		}
	}
}

// children returns the pids whose parent is pid, with their states (R, S,
// Z...), read from /proc.
func children(t *testing.T, pid int) map[int]string {
	t.Helper()
	out := map[int]string{}
	ents, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue // gone
		}
		// pid (comm) state ppid ...; comm may hold spaces and parentheses.
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(f) < 2 {
			continue
		}
		if ppid, _ := strconv.Atoi(f[1]); ppid == pid {
			out[p] = f[0]
		}
	}
	return out
}

// TestReapsOrphansAsPID1 runs pause as PID 1 of a new PID namespace, as in
// a pod that shares its process namespace, leaves orphans in it, and checks
// that pause collects them once they exit rather than leaving zombies.
func TestReapsOrphansAsPID1(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root for a PID namespace")
	}
	nsenter, err := exec.LookPath("nsenter")
	if err != nil {
		t.Skip("needs nsenter")
	}
	bin := build(t)
	cmd := exec.Command(bin)
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWPID}
	if err := cmd.Start(); err != nil {
		if errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EINVAL) {
			t.Skipf("no PID namespace here: %v", err)
		}
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	time.Sleep(200 * time.Millisecond) // pause installs its handlers

	// A shell in pause's namespace starts three sleeps and exits: they are
	// orphaned, and the namespace's PID 1 inherits them. (Their output is
	// not the shell's, or CombinedOutput would wait for them.)
	orphans := exec.Command(nsenter, "--target", strconv.Itoa(pid), "--pid", "--",
		"sh", "-c", "for i in 1 2 3; do sleep 1 </dev/null >/dev/null 2>&1 & done")
	if out, err := orphans.CombinedOutput(); err != nil {
		t.Fatalf("nsenter: %v\n%s", err, out)
	}
	if got := children(t, pid); len(got) != 3 {
		t.Fatalf("pause has children %v, want the 3 orphaned sleeps", got)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		got := children(t, pid)
		if len(got) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("pause's children not reaped: %v (Z: zombie)", got)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Still waiting, and still exits cleanly.
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := wait(t, cmd, 10*time.Second); err != nil {
		t.Errorf("exit %v, want 0", err)
	}
}
