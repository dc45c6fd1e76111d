//go:build e2e

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestDownLeftNothing runs after `make cluster-down` (GOSPARK_CLUSTER_DOWN=1,
// as make test does): no process, mount, interface, network namespace,
// cgroup or iptables chain of the cluster may remain.
func TestDownLeftNothing(t *testing.T) {
	if os.Getenv("GOSPARK_CLUSTER_DOWN") != "1" {
		t.Fatal("run this test right after `make cluster-down`, with GOSPARK_CLUSTER_DOWN=1 (make test does)")
	}
	state, err := filepath.Abs("../../.cluster")
	if err != nil {
		t.Fatal(err)
	}
	c := newCluster(state, defaultBin())
	names := []string{"kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubelet", "kube-proxy", "coredns", "containerd-shim"}
	// The make recipe and go test that run this test name the state
	// directory too: they are not the cluster's.
	ancestors := map[int]bool{}
	for pid := os.Getpid(); pid > 1; {
		ancestors[pid] = true
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			break
		}
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
		if pid, err = strconv.Atoi(f[1]); err != nil {
			break
		}
	}
	left := processes(func(cg, cmd string) bool {
		if strings.Contains(cg, "/kubepods") || strings.Contains(cmd, state) {
			return true
		}
		argv0, _, _ := strings.Cut(cmd, " ")
		return slices.Contains(names, filepath.Base(argv0))
	})
	for _, pid := range left {
		if !ancestors[pid] {
			cmd, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
			t.Errorf("process left: %d %s", pid, strings.ReplaceAll(string(cmd), "\x00", " "))
		}
	}
	mounts, _ := os.ReadFile("/proc/self/mountinfo")
	for _, line := range strings.Split(string(mounts), "\n") {
		if strings.Contains(line, state) || strings.Contains(line, "/run/netns/cni-") || strings.Contains(line, "k8s.io") {
			t.Errorf("mount left: %s", line)
		}
	}
	if exec.Command("ip", "link", "show", c.Bridge).Run() == nil {
		t.Errorf("interface %s left", c.Bridge)
	}
	if out, _ := exec.Command("ip", "-o", "link", "show", "type", "veth").Output(); len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("veth interfaces left:\n%s", out)
	}
	for _, dir := range []string{"/run/netns", "/var/run/netns"} {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), "cni-") {
				t.Errorf("network namespace %s left", e.Name())
			}
		}
	}
	if cgs, _ := filepath.Glob("/sys/fs/cgroup/*/kubepods*"); len(cgs) > 0 {
		t.Errorf("cgroups left: %v", cgs)
	}
	for _, tool := range []string{"iptables-save", "ip6tables-save"} {
		out, err := exec.Command(tool).Output()
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(out), "\n") {
			if ours(line) {
				t.Errorf("%s: rule or chain left: %s", tool, line)
			}
		}
	}
	for _, p := range []string{"/var/lib/kubelet/device-plugins", "/var/log/pods", "/var/log/containers", "/run/containerd/runc/k8s.io"} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s left", p)
		}
	}
	if b, _ := os.ReadFile("/proc/sys/net/ipv4/ip_forward"); strings.TrimSpace(string(b)) != "0" {
		t.Logf("ip_forward is %s (it was restored to its value before up)", strings.TrimSpace(string(b)))
	}
}
