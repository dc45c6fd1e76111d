package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/gospark/gospark/internal/shuffle"
	"github.com/gospark/gospark/internal/shuffleservice"
)

// syncBuffer is a bytes.Buffer that a running command and the test share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var listeningRE = regexp.MustCompile(`msg="shuffle service listening" addr=(\S+)`)

// startServer runs a server command of gospark until ctx ends and returns
// the address its log line (matched by re) says it listens on, its stderr,
// and a channel that receives its exit code.
func startServer(t *testing.T, ctx context.Context, args []string, re *regexp.Regexp, wait time.Duration) (string, *syncBuffer, <-chan int) {
	t.Helper()
	var stdout syncBuffer
	stderr := &syncBuffer{}
	done := make(chan int, 1)
	go func() { done <- run(ctx, args, &stdout, stderr) }()
	deadline := time.Now().Add(wait)
	for {
		if m := re.FindStringSubmatch(stderr.String()); m != nil {
			return m[1], stderr, done
		}
		select {
		case code := <-done:
			t.Fatalf("the command exited with %d:\n%s", code, stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("the command does not say where it listens:\n%s", stderr.String())
		}
	}
}

func TestShuffleServiceCommand(t *testing.T) {
	dir := t.TempDir()
	// A map output of executor 1 of app-1, with two reduce partitions.
	sdir := shuffle.Dir(shuffleservice.ExecutorDir(dir, "app-1", "1"))
	if err := os.MkdirAll(sdir, 0o755); err != nil {
		t.Fatal(err)
	}
	index := binary.BigEndian.AppendUint64(nil, 0)
	index = binary.BigEndian.AppendUint64(index, 3)
	index = binary.BigEndian.AppendUint64(index, 8)
	for name, content := range map[string][]byte{"shuffle_0_0_0.data": []byte("onetwo!!"), "shuffle_0_0_0.index": index} {
		if err := os.WriteFile(filepath.Join(sdir, name), content, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr, stderr, done := startServer(t, ctx, []string{"shuffle-service", "--dir", dir, "--host", "127.0.0.1", "--port", "0", "--orphan-timeout", "90s"},
		listeningRE, 30*time.Second)
	if !strings.HasPrefix(addr, "127.0.0.1:") || !strings.Contains(stderr.String(), "orphanTimeout=1m30s") ||
		!strings.Contains(stderr.String(), "dir="+dir) {
		t.Errorf("the flags did not reach the service:\n%s", stderr.String())
	}
	// The directory found at start is an orphan, kept while its
	// application connects within the timeout.
	c := shuffleservice.NewClient("app-1", []byte("secret"), 10*time.Second)
	defer c.Close()
	if err := c.RegisterExecutor(ctx, addr, "1"); err != nil {
		t.Fatal(err)
	}
	if got, err := c.Fetch(ctx, addr, "1", "shuffle_0_0_0", 1); err != nil || string(got) != "two!!" {
		t.Errorf("fetch: got %q, %v", got, err)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit code %d after the context ended:\n%s", code, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the command did not stop")
	}
}

func TestShuffleServiceFlags(t *testing.T) {
	tests := []struct {
		args       []string
		wantStderr string
	}{
		{[]string{"--port", "70000"}, "--port 70000: want a port number from 0 to 65535"},
		{[]string{"--port", "seven"}, `invalid argument "seven" for "--port"`},
		{[]string{"--orphan-timeout", "0s"}, "--orphan-timeout 0s: want a positive duration"},
		{[]string{"--orphan-timeout", "2"}, `invalid argument "2" for "--orphan-timeout"`},
		{[]string{"--dir", ""}, "--dir: want a directory"},
		{[]string{"extra"}, `unknown command "extra"`},
		{[]string{"--nope"}, "unknown flag: --nope"},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), append([]string{"shuffle-service"}, tt.args...), &stdout, &stderr)
		if code != 1 || !strings.Contains(stderr.String(), tt.wantStderr) {
			t.Errorf("%q: code %d, stderr %q; want 1 and %q", tt.args, code, stderr.String(), tt.wantStderr)
		}
	}

	// The defaults.
	cmd := shuffleServiceCommand(&bytes.Buffer{})
	for name, want := range map[string]string{"dir": "/var/lib/gospark/shuffle", "host": "", "port": "7337", "orphan-timeout": "2m0s"} {
		if got := cmd.Flags().Lookup(name).DefValue; got != want {
			t.Errorf("--%s defaults to %q, want %q", name, got, want)
		}
	}
}

// TestShuffleServiceDaemonSet checks conf/kubernetes-shuffle-service.yaml:
// what the driver relies on to find the service pods and their hostPath,
// and that the container's args are a valid command line.
func TestShuffleServiceDaemonSet(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "conf", "kubernetes-shuffle-service.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var ds appsv1.DaemonSet
	if err := yaml.UnmarshalStrict(b, &ds); err != nil {
		t.Fatal(err)
	}
	if ds.APIVersion != "apps/v1" || ds.Kind != "DaemonSet" || ds.Name != "spark-shuffle-service" || ds.Namespace != "default" {
		t.Errorf("got %s %s %s/%s, want apps/v1 DaemonSet default/spark-shuffle-service", ds.APIVersion, ds.Kind, ds.Namespace, ds.Name)
	}
	labels := map[string]string{"app": "spark-shuffle-service", "spark-version": "2.2.0"}
	for where, got := range map[string]map[string]string{
		"metadata.labels": ds.Labels, "spec.template.metadata.labels": ds.Spec.Template.Labels,
	} {
		for k, v := range labels {
			if got[k] != v {
				t.Errorf("%s[%s] = %q, want %q", where, k, got[k], v)
			}
		}
	}
	if ds.Spec.Selector == nil || len(ds.Spec.Selector.MatchLabels) != len(labels) {
		t.Fatalf("selector %v, want matchLabels %v", ds.Spec.Selector, labels)
	}
	for k, v := range ds.Spec.Selector.MatchLabels {
		if labels[k] != v || ds.Spec.Template.Labels[k] != v {
			t.Errorf("selector %s=%s does not match the pods' labels", k, v)
		}
	}

	pod := ds.Spec.Template.Spec
	if len(pod.Containers) != 1 {
		t.Fatalf("%d containers, want 1", len(pod.Containers))
	}
	c := pod.Containers[0]
	if c.Name != "shuffle" || c.Image != "gospark:dev" || c.ImagePullPolicy != corev1.PullIfNotPresent {
		t.Errorf("container %s image %s pull %s, want shuffle, gospark:dev, IfNotPresent", c.Name, c.Image, c.ImagePullPolicy)
	}
	if len(c.Ports) != 1 || c.Ports[0].Name != "shuffle" || c.Ports[0].ContainerPort != 7337 {
		t.Errorf("ports %+v, want shuffle 7337", c.Ports)
	}
	if p := c.ReadinessProbe; p == nil || p.TCPSocket == nil || p.TCPSocket.Port.IntValue() != 7337 {
		t.Errorf("readiness probe %+v, want tcpSocket 7337", p)
	}
	if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
		t.Errorf("resources %+v: want cpu and memory requests and a memory limit", c.Resources)
	}

	// Exactly one hostPath volume mounted in the container: the driver
	// mounts the same hostPath into executors.
	hostPaths := map[string]*corev1.HostPathVolumeSource{}
	for _, v := range pod.Volumes {
		if v.HostPath != nil {
			hostPaths[v.Name] = v.HostPath
		}
	}
	var mount *corev1.VolumeMount
	for i, m := range c.VolumeMounts {
		if hostPaths[m.Name] != nil {
			if mount != nil {
				t.Fatalf("hostPath volumes %s and %s are both mounted", mount.Name, m.Name)
			}
			mount = &c.VolumeMounts[i]
		}
	}
	if mount == nil {
		t.Fatal("no hostPath volume is mounted in the container")
	}
	hp := hostPaths[mount.Name]
	if mount.Name != "shuffle-dir" || hp.Path != "/var/lib/gospark/shuffle" || hp.Type == nil || *hp.Type != corev1.HostPathDirectoryOrCreate ||
		mount.MountPath != "/var/lib/gospark/shuffle" || mount.ReadOnly {
		t.Errorf("hostPath volume %s (%+v) mounted at %s, want shuffle-dir, /var/lib/gospark/shuffle (DirectoryOrCreate), writable, at the same path",
			mount.Name, hp, mount.MountPath)
	}

	// The args are a gospark command line (the image's entrypoint is
	// gospark) that serves the mounted directory on the container's port.
	want := []string{"shuffle-service", "--dir", "/var/lib/gospark/shuffle", "--port", "7337"}
	if len(c.Command) != 0 || strings.Join(c.Args, " ") != strings.Join(want, " ") {
		t.Fatalf("command %q args %q, want the entrypoint with args %q", c.Command, c.Args, want)
	}
	cmd := shuffleServiceCommand(&bytes.Buffer{})
	if c.Args[0] != cmd.Name() {
		t.Errorf("args start with %q, not the command %q", c.Args[0], cmd.Name())
	}
	if err := cmd.ParseFlags(c.Args[1:]); err != nil {
		t.Fatalf("the args do not parse: %v", err)
	}
	if got := cmd.Flags().Lookup("dir").Value.String(); got != mount.MountPath {
		t.Errorf("--dir %s is not the hostPath's mountPath %s", got, mount.MountPath)
	}
	if got := cmd.Flags().Lookup("port").Value.String(); got != "7337" {
		t.Errorf("--port %s is not the container's port", got)
	}
}
