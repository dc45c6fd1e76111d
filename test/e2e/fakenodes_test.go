//go:build e2e

package e2e

import (
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestFakeNodesRunPodsPastTheRealNode: hack/fakenodes against the real API
// server and scheduler. Its nodes become Ready, the real scheduler binds
// pods that tolerate the fake-node taint to them, the controller makes
// those pods Running with distinct IPs from its range, deletes them when
// asked (no kubelet will), and takes its nodes and Leases with it when it
// stops. A pod that does not tolerate the taint is never placed there.
func TestFakeNodesRunPodsPastTheRealNode(t *testing.T) {
	e := setup(t)
	ns := e.namespace(t)
	bin := filepath.Join(t.TempDir(), "fakenodes")
	build := exec.Command("go", "build", "-o", bin, "./hack/fakenodes")
	build.Dir = e.root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building hack/fakenodes: %v\n%s", err, out)
	}
	prefix := "e2e-" + ns[len("e2e-"):] + "-fake-"
	const cidr = "10.201.0.0/16"
	ctl := exec.Command(bin, "-kubeconfig", e.kubeconfig, "-nodes", "3", "-prefix", prefix,
		"-pod-cidr", cidr, "-max-pods", "20", "-heartbeat", "5s")
	logPath := filepath.Join(t.TempDir(), "fakenodes.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	ctl.Stdout, ctl.Stderr = logFile, logFile
	if err := ctl.Start(); err != nil {
		t.Fatal(err)
	}
	nodes := []string{prefix + "0", prefix + "1", prefix + "2"}
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		_ = ctl.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- ctl.Wait() }()
		select {
		case <-done:
		case <-time.After(90 * time.Second):
			_ = ctl.Process.Kill()
			<-done
			t.Errorf("hack/fakenodes did not stop within 90s of SIGTERM")
		}
	}
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			log, _ := os.ReadFile(logPath)
			t.Logf("hack/fakenodes log:\n%s", log)
		}
		// Whatever a failed run left.
		_, _ = e.run(append([]string{"delete", "node", "--ignore-not-found", "--wait=false"}, nodes...)...)
	})

	for _, n := range nodes {
		e.waitFor(t, "", "node/"+n, `{.status.conditions[?(@.type=="Ready")].status}`, "True", 2*time.Minute)
	}
	taints := e.must(t, "get", "node", nodes[0], "-o", `jsonpath={.spec.taints[*].key}={.spec.taints[*].effect} {.metadata.labels.type}`)
	if strings.TrimSpace(taints) != "gospark.dev/fake-node=NoSchedule gospark-fake" {
		t.Errorf("fake node's taint and label: %q, want gospark.dev/fake-node=NoSchedule gospark-fake", taints)
	}

	// 12 pods that go to our fake nodes only, and one that does not tolerate
	// the taint but asks for them.
	var manifest strings.Builder
	for i := range 12 {
		fmt.Fprintf(&manifest, `---
apiVersion: v1
kind: Pod
metadata: {name: fake-%d}
spec:
  tolerations: [{key: gospark.dev/fake-node, operator: Exists, effect: NoSchedule}]
  affinity:
    nodeAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        nodeSelectorTerms: [{matchExpressions: [{key: kubernetes.io/hostname, operator: In, values: [%s]}]}]
  containers: [{name: main, image: gospark:dev, resources: {requests: {cpu: 10m, memory: 16Mi}}}]
`, i, strings.Join(nodes, ", "))
	}
	fmt.Fprintf(&manifest, `---
apiVersion: v1
kind: Pod
metadata: {name: intolerant}
spec:
  nodeSelector: {kubernetes.io/hostname: %s}
  containers: [{name: main, image: gospark:dev}]
`, nodes[1])
	e.apply(t, ns, manifest.String())

	want := netip.MustParsePrefix(cidr)
	deadline := time.Now().Add(2 * time.Minute)
	var lines []string
	for {
		out := e.must(t, "-n", ns, "get", "pods", "-o",
			`jsonpath={range .items[*]}{.metadata.name} {.status.phase} {.spec.nodeName} {.status.podIP} {.status.containerStatuses[0].ready}{"\n"}{end}`)
		lines = strings.Split(strings.TrimSpace(out), "\n")
		running := 0
		for _, l := range lines {
			if strings.Contains(l, " Running ") {
				running++
			}
		}
		if running >= 12 || time.Now().After(deadline) {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	ips := map[string]string{}
	perNode := map[string]int{}
	for _, l := range lines {
		f := strings.Fields(l)
		if len(f) == 0 {
			continue
		}
		if f[0] == "intolerant" {
			if len(f) != 2 || f[1] != "Pending" { // no node, no IP
				t.Errorf("a pod that does not tolerate the fake-node taint: %q, want Pending and unbound", l)
			}
			continue
		}
		if len(f) != 5 || f[1] != "Running" || !strings.HasPrefix(f[2], prefix) || f[4] != "true" {
			t.Errorf("pod %q: want Running and ready on one of %v with an IP", l, nodes)
			continue
		}
		ip, err := netip.ParseAddr(f[3])
		if err != nil || !want.Contains(ip) {
			t.Errorf("pod %s has IP %q, want one in %s", f[0], f[3], cidr)
		}
		if other, dup := ips[f[3]]; dup {
			t.Errorf("pods %s and %s share IP %s", other, f[0], f[3])
		}
		ips[f[3]] = f[0]
		perNode[f[2]]++
	}
	if len(ips) != 12 {
		t.Fatalf("%d of 12 pods Running on fake nodes:\n%s", len(ips), strings.Join(lines, "\n"))
	}
	t.Logf("pods per fake node: %v", perNode)

	// Deleting: graceful deletes complete without a kubelet.
	e.must(t, "-n", ns, "delete", "pods", "--all", "--wait=false")
	deadline = time.Now().Add(2 * time.Minute)
	for {
		out := e.must(t, "-n", ns, "get", "pods", "-o", "name")
		if strings.TrimSpace(out) == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("pods still there 2m after their deletion:\n%s", out)
		}
		time.Sleep(250 * time.Millisecond)
	}

	// Stopping: the nodes and their Leases go with the controller.
	stop()
	for _, n := range nodes {
		if out, err := e.run("get", "node", n, "-o", "name"); err == nil {
			t.Errorf("node %s still there after hack/fakenodes stopped: %s", n, out)
		}
		if out, err := e.run("-n", "kube-node-lease", "get", "lease", n, "-o", "name"); err == nil {
			t.Errorf("lease %s still there after hack/fakenodes stopped: %s", n, out)
		}
	}
}
