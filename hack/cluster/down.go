package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// down stops every process of the cluster and removes what it made:
// containers and their shims, mounts, pod network namespaces, the bridge,
// kubepods cgroups, kube-proxy's and CNI's iptables chains, the kubelet's
// fixed paths, and the state directory (except logs). It goes on after
// errors and reports them all.
func (c *cluster) down(ctx context.Context) error {
	var errs []error
	note := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	// The fake nodes' controller first, while the API server answers; the
	// kubelet next, so that it restarts nothing; then the pods'
	// processes; then the rest, in reverse start order.
	pids := c.pids()
	stopPid(pids[fakeNodesName])
	stopPid(pids["kubelet"])
	note(c.killPods())
	comps := c.components()
	for i := len(comps) - 1; i >= 0; i-- {
		stopPid(pids[comps[i].name])
	}
	note(c.killShims())
	note(c.unmount())
	note(c.removeNetns())
	if exec.Command("ip", "link", "show", c.Bridge).Run() == nil {
		note(run("ip", "link", "del", c.Bridge))
	}
	note(c.removeCgroups())
	note(removeChains())
	if orig, err := os.ReadFile(c.path("ip_forward.orig")); err == nil {
		note(os.WriteFile("/proc/sys/net/ipv4/ip_forward", bytes.TrimSpace(orig), 0o644))
	}
	for _, p := range []string{"/var/lib/kubelet/device-plugins", "/var/log/pods", "/var/log/containers", "/run/containerd/runc/k8s.io"} {
		note(os.RemoveAll(p))
	}
	entries, _ := os.ReadDir(c.State)
	for _, e := range entries {
		if e.Name() != "logs" {
			note(os.RemoveAll(c.path(e.Name())))
		}
	}
	return errors.Join(errs...)
}

// stopPid sends SIGTERM, waits up to 10 s, then SIGKILL.
func stopPid(pid int) {
	if pid <= 0 || !alive(pid) {
		return
	}
	_ = syscall.Kill(pid, syscall.SIGTERM)
	deadline := time.Now().Add(10 * time.Second)
	for alive(pid) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if alive(pid) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
		for i := 0; alive(pid) && i < 100; i++ {
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// processes lists every pid with the predicate true of its cgroup file
// or command line.
func processes(match func(cgroup, cmdline string) bool) []int {
	dirs, _ := os.ReadDir("/proc")
	var out []int
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		cg, _ := os.ReadFile("/proc/" + d.Name() + "/cgroup")
		cmd, _ := os.ReadFile("/proc/" + d.Name() + "/cmdline")
		if match(string(cg), strings.ReplaceAll(string(cmd), "\x00", " ")) {
			out = append(out, pid)
		}
	}
	return out
}

// killPods kills every process in a kubepods cgroup.
func (c *cluster) killPods() error {
	return killAll("pod processes", func(cg, _ string) bool { return strings.Contains(cg, "/kubepods") })
}

// killShims kills the containerd shims of this cluster's containerd.
func (c *cluster) killShims() error {
	return killAll("containerd shims", func(_, cmd string) bool {
		return strings.Contains(cmd, "containerd-shim") && strings.Contains(cmd, c.ContainerdSock)
	})
}

// killAll SIGKILLs the matching processes until none is left (5 s at most).
func killAll(what string, match func(cgroup, cmdline string) bool) error {
	for range 50 {
		pids := processes(match)
		if len(pids) == 0 {
			return nil
		}
		for _, p := range pids {
			_ = syscall.Kill(p, syscall.SIGKILL)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("%s keep running", what)
}

// unmount lazily unmounts everything under the state directory, the
// kubelet's and containerd's run paths and the CNI namespaces, deepest
// first.
func (c *cluster) unmount() error {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return err
	}
	defer f.Close()
	var targets []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 {
			continue
		}
		mp := fields[4]
		for _, prefix := range []string{c.State + "/", "/run/containerd/io.containerd.", "/run/netns/cni-", "/var/run/netns/cni-", "/run/containerd/runc/k8s.io"} {
			if strings.HasPrefix(mp, prefix) {
				targets = append(targets, mp)
			}
		}
	}
	sort.Slice(targets, func(i, j int) bool { return len(targets[i]) > len(targets[j]) })
	targets = slices.Compact(targets)
	var errs []error
	for _, t := range targets {
		if err := syscall.Unmount(t, syscall.MNT_DETACH); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENOENT) {
			errs = append(errs, fmt.Errorf("unmount %s: %w", t, err))
		}
	}
	return errors.Join(errs...)
}

// removeNetns deletes the pod network namespaces CNI made.
func (c *cluster) removeNetns() error {
	var errs []error
	for _, dir := range []string{"/run/netns", "/var/run/netns"} {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), "cni-") {
				p := filepath.Join(dir, e.Name())
				_ = syscall.Unmount(p, syscall.MNT_DETACH)
				if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
					errs = append(errs, err)
				}
			}
		}
	}
	return errors.Join(errs...)
}

// removeCgroups removes the kubepods hierarchy of every cgroup v1
// controller, deepest directories first.
func (c *cluster) removeCgroups() error {
	roots, _ := filepath.Glob("/sys/fs/cgroup/*/kubepods*")
	var errs []error
	for _, root := range roots {
		var dirs []string
		_ = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				dirs = append(dirs, p)
			}
			return nil
		})
		sort.Slice(dirs, func(i, j int) bool { return len(dirs[i]) > len(dirs[j]) })
		for _, d := range dirs {
			if err := os.Remove(d); err != nil && !errors.Is(err, os.ErrNotExist) {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// removeChains drops kube-proxy's and CNI's chains, and the rules that jump
// to them, from every table, IPv4 and IPv6, keeping every other rule.
func removeChains() error {
	var errs []error
	for _, tool := range []string{"iptables", "ip6tables"} {
		out, err := exec.Command(tool + "-save").Output()
		if err != nil {
			continue // no such family here
		}
		var keep []string
		changed := false
		for _, line := range strings.Split(string(out), "\n") {
			if ours(line) {
				changed = true
				continue
			}
			keep = append(keep, line)
		}
		if !changed {
			continue
		}
		cmd := exec.Command(tool + "-restore")
		cmd.Stdin = strings.NewReader(strings.Join(keep, "\n"))
		if b, err := cmd.CombinedOutput(); err != nil {
			errs = append(errs, fmt.Errorf("%s-restore: %w: %s", tool, err, bytes.TrimSpace(b)))
		}
	}
	return errors.Join(errs...)
}

// ours reports whether an iptables-save line declares or uses a chain of
// kube-proxy, the kubelet or CNI.
func ours(line string) bool {
	for _, p := range []string{"KUBE-", "CNI-"} {
		if strings.HasPrefix(line, ":"+p) || strings.Contains(line, " "+p) {
			return true
		}
	}
	return false
}

func run(args ...string) error {
	if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
		return fmt.Errorf("%s: %w: %s", strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return nil
}
