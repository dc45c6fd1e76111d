//go:build e2e

// Package e2e holds the tests that need the real single-node cluster of
// hack/cluster (`make cluster-up`). They run with `make test` (build tag
// e2e); without a reachable cluster they fail, they never skip.
package e2e

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// env is how the tests reach the cluster.
type env struct {
	root       string // the repository
	state      string // the cluster's state directory
	kubeconfig string
	kubectl    string
}

func setup(t *testing.T) *env {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	e := &env{root: root, state: filepath.Join(root, ".cluster")}
	e.kubeconfig = os.Getenv("KUBECONFIG")
	if e.kubeconfig == "" {
		e.kubeconfig = filepath.Join(e.state, "kubeconfig")
	}
	if _, err := os.Stat(e.kubeconfig); err != nil {
		t.Fatalf("no cluster: %v (bring it up with `make cluster-up`)", err)
	}
	bin := os.Getenv("GOSPARK_KUBE_BIN")
	if bin == "" {
		home, _ := os.UserHomeDir()
		bin = filepath.Join(home, ".cache", "gospark", "kube-v1.34.12", "bin")
	}
	e.kubectl = filepath.Join(bin, "kubectl")
	if _, err := os.Stat(e.kubectl); err != nil {
		if e.kubectl, err = exec.LookPath("kubectl"); err != nil {
			t.Fatalf("no kubectl in %s or on PATH (hack/build-kube.sh builds it)", bin)
		}
	}
	if out, err := e.run("get", "nodes"); err != nil || !strings.Contains(out, " Ready") {
		t.Fatalf("cluster not usable: %v\n%s", err, out)
	}
	return e
}

func (e *env) run(args ...string) (string, error) {
	cmd := exec.Command(e.kubectl, append([]string{"--kubeconfig", e.kubeconfig}, args...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

func (e *env) must(t *testing.T, args ...string) string {
	t.Helper()
	out, err := e.run(args...)
	if err != nil {
		t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func (e *env) apply(t *testing.T, ns, manifest string) {
	t.Helper()
	cmd := exec.Command(e.kubectl, "--kubeconfig", e.kubeconfig, "-n", ns, "apply", "-f", "-")
	cmd.Stdin = strings.NewReader(manifest)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("kubectl apply: %v\n%s\n%s", err, out, manifest)
	}
}

// namespace makes a fresh namespace, deleted when the test ends.
func (e *env) namespace(t *testing.T) string {
	t.Helper()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	ns := "e2e-" + hex.EncodeToString(b)
	e.must(t, "create", "namespace", ns)
	t.Cleanup(func() { _, _ = e.run("delete", "namespace", ns, "--wait=false") })
	return ns
}

// waitFor polls `kubectl get` with a jsonpath until it prints want.
func (e *env) waitFor(t *testing.T, ns, what, jsonpath, want string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last string
	for time.Now().Before(deadline) {
		out, err := e.run("-n", ns, "get", what, "-o", "jsonpath="+jsonpath)
		if err == nil && strings.TrimSpace(out) == want {
			return
		}
		last = out
		time.Sleep(250 * time.Millisecond)
	}
	desc, _ := e.run("-n", ns, "describe", what)
	t.Fatalf("%s: %s is %q after %s, want %q\n%s", what, jsonpath, last, timeout, want, desc)
}

// buildImage builds an image with `gospark image build` holding podtool
// and imports it into the node's containerd.
// imagesBuilt remembers the tags built by this test run.
var imagesBuilt sync.Map

func (e *env) buildImage(t *testing.T, tag string) {
	t.Helper()
	if _, done := imagesBuilt.Load(tag); done {
		return
	}
	dir := t.TempDir()
	gospark := filepath.Join(dir, "gospark")
	build := exec.Command("go", "build", "-o", gospark, "./cmd/gospark")
	build.Dir = e.root
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building gospark: %v\n%s", err, out)
	}
	tar := filepath.Join(dir, "image.tar")
	img := exec.Command(gospark, "image", "build", "--tag", tag, "--output", tar, "--gospark", gospark,
		"--app", "podtool="+filepath.Join(e.root, "test", "e2e", "podtool"),
		"--app", "sparktest="+filepath.Join(e.root, "test", "e2e", "sparktest"))
	img.Dir = e.root
	if out, err := img.CombinedOutput(); err != nil {
		t.Fatalf("gospark image build: %v\n%s", err, out)
	}
	imp := exec.Command("ctr", "--address", filepath.Join(e.state, "containerd.sock"), "-n", "k8s.io", "images", "import", tar)
	if out, err := imp.CombinedOutput(); err != nil {
		t.Fatalf("importing the image: %v\n%s", err, out)
	}
	imagesBuilt.Store(tag, true)
}

const podtool = "/opt/gospark/examples/podtool"

func pod(name, image string, labels map[string]string, restart string, args ...string) string {
	var lb strings.Builder
	for k, v := range labels {
		fmt.Fprintf(&lb, "\n    %s: %s", k, v)
	}
	var ab strings.Builder
	for _, a := range args {
		fmt.Fprintf(&ab, "\n    - %q", a)
	}
	return fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata:
  name: %s
  labels:
    test: e2e%s
spec:
  restartPolicy: %s
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: %s
    imagePullPolicy: Never
    command: [%q]
    args:%s
`, name, lb.String(), restart, image, podtool, ab.String())
}

func TestPodsServicesDNSAndServiceAccount(t *testing.T) {
	e := setup(t)
	const image = "gospark-e2e:dev"
	e.buildImage(t, image)
	ns := e.namespace(t)
	e.apply(t, ns, pod("server", image, map[string]string{"app": "server"}, "Always", "serve", "hello from server"))
	e.apply(t, ns, `apiVersion: v1
kind: Service
metadata:
  name: echo
spec:
  selector:
    app: server
  ports:
  - port: 80
    targetPort: 8080
`)
	e.waitFor(t, ns, "pod/server", "{.status.phase}", "Running", 2*time.Minute)
	// kubectl logs shows the pod's output.
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, _ := e.run("-n", ns, "logs", "server")
		if strings.Contains(out, "serving on :8080") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("kubectl logs server: %q, want the pod's \"serving on :8080\"", out)
		}
		time.Sleep(250 * time.Millisecond)
	}
	// A second pod reaches it through the ClusterIP Service, by DNS name.
	e.apply(t, ns, pod("client", image, nil, "Never", "get", "http://echo."+ns+".svc.cluster.local/"))
	e.waitFor(t, ns, "pod/client", "{.status.phase}", "Succeeded", 2*time.Minute)
	if out := e.must(t, "-n", ns, "logs", "client"); !strings.Contains(out, "hello from server") {
		t.Fatalf("client got %q through the service, want the server's text", out)
	}
	// A pod lists pods with its mounted service-account token.
	e.apply(t, ns, `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: pod-reader
rules:
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["get", "list"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: pod-reader
subjects:
- kind: ServiceAccount
  name: default
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: pod-reader
`)
	e.apply(t, ns, pod("lister", image, nil, "Never", "pods"))
	e.waitFor(t, ns, "pod/lister", "{.status.phase}", "Succeeded", 2*time.Minute)
	if out := e.must(t, "-n", ns, "logs", "lister"); !strings.Contains(out, "pod server") || !strings.Contains(out, "pod lister") {
		t.Fatalf("lister printed %q, want the namespace's pods", out)
	}
}

func TestOwnedPodIsGarbageCollected(t *testing.T) {
	e := setup(t)
	const image = "gospark-e2e:dev"
	e.buildImage(t, image)
	ns := e.namespace(t)
	e.apply(t, ns, pod("owner", image, nil, "Always", "serve", "owner"))
	uid := strings.TrimSpace(e.must(t, "-n", ns, "get", "pod/owner", "-o", "jsonpath={.metadata.uid}"))
	owned := strings.Replace(pod("owned", image, nil, "Always", "serve", "owned"), "metadata:\n", fmt.Sprintf(`metadata:
  ownerReferences:
  - apiVersion: v1
    kind: Pod
    name: owner
    uid: %s
`, uid), 1)
	e.apply(t, ns, owned)
	e.waitFor(t, ns, "pod/owned", "{.status.phase}", "Running", 2*time.Minute)
	e.must(t, "-n", ns, "delete", "pod", "owner", "--wait=true")
	deadline := time.Now().Add(2 * time.Minute)
	for {
		out, err := e.run("-n", ns, "get", "pod", "owned", "-o", "name")
		if err != nil && strings.Contains(out, "NotFound") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("pod owned still exists 2 minutes after its owner was deleted: %s", out)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func TestSparkPiPodFromDevImage(t *testing.T) {
	// gospark:dev is what make cluster-up builds and loads: every example
	// under /opt/gospark/examples. SparkPi runs in local mode in the pod.
	e := setup(t)
	ns := e.namespace(t)
	e.must(t, "-n", ns, "run", "sparkpi", "--image=gospark:dev", "--image-pull-policy=Never", "--restart=Never",
		"--command", "--", "/opt/gospark/examples/sparkpi", "4")
	e.waitFor(t, ns, "pod/sparkpi", "{.status.phase}", "Succeeded", 3*time.Minute)
	if out := e.must(t, "-n", ns, "logs", "sparkpi"); !strings.Contains(out, "Pi is roughly 3.1") {
		t.Fatalf("sparkpi pod printed %q", out)
	}
}
