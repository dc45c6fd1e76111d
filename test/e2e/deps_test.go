//go:build e2e

package e2e

import (
	"crypto/sha256"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gospark/gospark/internal/testcert"
)

// nodeIP is the node's address: the API server, NodePorts and the host's
// test servers are reached there, from the host and from pods.
const nodeIP = "10.88.0.1"

// stagingServer creates the seeds' manifest with kubectl create -f in the
// default namespace and waits until the server is ready.
func (s *submitEnv) stagingServer(t *testing.T) {
	t.Helper()
	manifest := filepath.Join(s.root, "conf", "kubernetes-resource-staging-server.yaml")
	s.must(t, "-n", "default", "create", "-f", manifest)
	t.Cleanup(func() {
		if t.Failed() {
			out, _ := s.run("-n", "default", "logs", "deployment/spark-resource-staging-server")
			t.Logf("staging server log:\n%s", out)
		}
		_, _ = s.run("-n", "default", "delete", "-f", manifest, "--wait=true")
	})
	s.must(t, "-n", "default", "rollout", "status", "deployment/spark-resource-staging-server", "--timeout=120s")
	s.waitNodePort(t, "http://"+nodeIP+":31000/healthz")
}

// waitNodePort waits until url answers 200 OK: a pod that is Ready is
// reached through its NodePort only once kube-proxy has written the
// Service's rules, which on a busy machine takes seconds more.
func (s *submitEnv) waitNodePort(t *testing.T, url string) {
	t.Helper()
	c := &http.Client{Timeout: 5 * time.Second}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		resp, err := c.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
			err = fmt.Errorf("status %s", resp.Status)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s does not answer 2 minutes after its pod is ready: %v", url, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

var resourceID = regexp.MustCompile(`to the resource staging server \S+ as resource ([0-9a-f]+)`)

// Acceptance 1 and the bundle cleanup: the seeds' staging-server flow with
// a local Go package as the application; once the application's pods are
// deleted, the server deletes its bundle.
func TestSeedStagingServerFlow(t *testing.T) {
	s := newSubmitEnv(t)
	s.stagingServer(t)
	out, code := s.submit(t,
		"--deploy-mode", "cluster",
		"--class", "org.apache.spark.examples.SparkPi",
		"--master", "k8s://"+s.server,
		"--kubernetes-namespace", s.ns,
		"--conf", "spark.executor.instances=2",
		"--conf", "spark.app.name=spark-pi",
		"--conf", "spark.kubernetes.driver.docker.image=gospark:dev",
		"--conf", "spark.kubernetes.executor.docker.image=gospark:dev",
		"--conf", "spark.kubernetes.initcontainer.docker.image=gospark:dev",
		"--conf", "spark.kubernetes.resourceStagingServer.uri=http://"+nodeIP+":31000",
		"--conf", "spark.kubernetes.driver.request.cores=100m",
		"--conf", "spark.kubernetes.executor.request.cores=100m",
		"./examples/sparkpi") // from the checkout, not in the image
	if code != 0 {
		t.Fatalf("submit exited %d", code)
	}
	m := resourceID.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("submit did not report the upload:\n%s", out)
	}
	if log := s.driverLog(t); !strings.Contains(log, "Pi is roughly 3.1") {
		t.Errorf("driver log lacks %q:\n%s", "Pi is roughly 3.1", log)
	}
	driver := s.pods(t, "spark-role=driver")[0]
	if len(driver.Spec.InitContainers) != 1 || driver.Spec.Containers[0].Command[2] != "/var/spark-data/spark-jars/sparkpi" {
		t.Errorf("driver pod: init-containers %d, command %v; want the init-container and the downloaded binary", len(driver.Spec.InitContainers), driver.Spec.Containers[0].Command)
	}
	// The driver pod is the last of the application's pods; once it is
	// gone the bundle goes.
	s.must(t, "-n", s.ns, "delete", "pod", driver.Name, "--wait=true")
	want := "bundle deleted"
	deadline := time.Now().Add(90 * time.Second)
	for {
		log := s.must(t, "-n", "default", "logs", "deployment/spark-resource-staging-server")
		if line := lineWith(log, m[1], want); line != "" {
			t.Logf("staging server: %s", line)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the staging server did not delete bundle %s within 90 s of the driver pod's deletion:\n%s", m[1], log)
		}
		time.Sleep(time.Second)
	}
}

// lineWith is the first line of log holding all of parts.
func lineWith(log string, parts ...string) string {
	for _, l := range strings.Split(log, "\n") {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(l, p)
		}
		if all {
			return l
		}
	}
	return ""
}

// Acceptance 2: the same flow with TLS on the staging server, the
// submitter and the init-containers trusting its certificate.
func TestStagingServerTLS(t *testing.T) {
	s := newSubmitEnv(t)
	dir := t.TempDir()
	key, cert := testcert.Write(t, dir, "tls", []string{"spark-resource-staging-service-tls." + s.ns + ".svc"}, []net.IP{net.ParseIP(nodeIP)})
	s.must(t, "-n", s.ns, "create", "secret", "tls", "spark-staging-tls", "--key", key, "--cert", cert)
	s.apply(t, s.ns, tlsStagingServer)
	s.must(t, "-n", s.ns, "rollout", "status", "deployment/spark-resource-staging-server-tls", "--timeout=120s")
	t.Cleanup(func() {
		if t.Failed() {
			out, _ := s.run("-n", s.ns, "logs", "deployment/spark-resource-staging-server-tls")
			t.Logf("staging server log:\n%s", out)
		}
		// The NodePort must be free for the next run.
		_, _ = s.run("-n", s.ns, "delete", "service", "spark-resource-staging-service-tls")
	})
	args := s.base("spark-pi-tls",
		"--conf", "spark.executor.instances=1",
		"--conf", "spark.kubernetes.resourceStagingServer.uri=https://"+nodeIP+":31001",
		"--conf", "spark.ssl.kubernetes.resourceStagingServer.enabled=true",
		"--conf", "spark.ssl.kubernetes.resourceStagingServer.clientCertPem="+cert,
		filepath.Join(s.root, "examples", "sparkpi"))
	out, code := s.submit(t, args...)
	if code != 0 || !resourceID.MatchString(out) {
		t.Fatalf("submit exited %d", code)
	}
	if log := s.driverLog(t); !strings.Contains(log, "Pi is roughly 3.1") {
		t.Errorf("driver log lacks %q:\n%s", "Pi is roughly 3.1", log)
	}
	// Without the certificate, the submitter refuses the server.
	bad := s.base("spark-pi-untrusted",
		"--conf", "spark.kubernetes.resourceStagingServer.uri=https://"+nodeIP+":31001",
		"--conf", "spark.ssl.kubernetes.resourceStagingServer.enabled=true",
		filepath.Join(s.root, "examples", "sparkpi"))
	out, code = s.submit(t, bad...)
	if code == 0 || !strings.Contains(out, "certificate") {
		t.Errorf("submit without clientCertPem: exit %d, want a certificate error", code)
	}
	if pods := s.pods(t, "spark-app-selector,spark-role=driver"); len(pods) != 1 {
		t.Errorf("%d driver pods, want only the first submission's", len(pods))
	}
}

const tlsStagingServer = `
apiVersion: v1
kind: ConfigMap
metadata:
  name: spark-resource-staging-server-tls
data:
  resource-staging-server.properties: |
    spark.kubernetes.resourceStagingServer.port=10000
    spark.kubernetes.resourceStagingServer.storageDir=/var/spark-data/resource-staging-server
    spark.ssl.kubernetes.resourceStagingServer.enabled=true
    spark.ssl.kubernetes.resourceStagingServer.keyPem=/mnt/secrets/spark-staging-tls/tls.key
    spark.ssl.kubernetes.resourceStagingServer.serverCertPem=/mnt/secrets/spark-staging-tls/tls.crt
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: spark-resource-staging-server-tls
spec:
  replicas: 1
  selector:
    matchLabels: {resource-staging-server-instance: tls}
  template:
    metadata:
      labels: {resource-staging-server-instance: tls}
    spec:
      containers:
      - name: spark-resource-staging-server
        image: gospark:dev
        imagePullPolicy: IfNotPresent
        args: ["staging-server", "/etc/spark-resource-staging-server/resource-staging-server.properties"]
        readinessProbe:
          httpGet: {path: /healthz, port: 10000, scheme: HTTPS}
        volumeMounts:
        - {name: properties, mountPath: /etc/spark-resource-staging-server}
        - {name: tls, mountPath: /mnt/secrets/spark-staging-tls}
        - {name: storage, mountPath: /var/spark-data/resource-staging-server}
      volumes:
      - name: properties
        configMap: {name: spark-resource-staging-server-tls}
      - name: tls
        secret: {secretName: spark-staging-tls}
      - name: storage
        emptyDir: {}
---
apiVersion: v1
kind: Service
metadata:
  name: spark-resource-staging-service-tls
spec:
  type: NodePort
  selector: {resource-staging-server-instance: tls}
  ports:
  - {protocol: TCP, port: 10000, targetPort: 10000, nodePort: 31001}
`

// Acceptances 3 and 4: without a staging server, through
// spark.kubernetes.file.upload.path (a host directory the pods mount), the
// application (a local Go package), a local file and a remote file served
// over http by the host reach the working directories of the driver and
// of every executor.
func TestUploadPathRemoteAndLocalFiles(t *testing.T) {
	s := newSubmitEnv(t)
	dir := t.TempDir()
	local := filepath.Join(dir, "local.txt")
	localData := []byte("a file on the submitting machine\n")
	if err := os.WriteFile(local, localData, 0o644); err != nil {
		t.Fatal(err)
	}
	remoteData := []byte(strings.Repeat("served over http by the test\n", 1000))
	ln, err := net.Listen("tcp", nodeIP+":0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/data/remote.txt" {
			http.NotFound(w, r)
			return
		}
		w.Write(remoteData)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	upload := filepath.Join(dir, "upload")
	if err := os.Mkdir(upload, 0o755); err != nil {
		t.Fatal(err)
	}
	args := []string{"--conf", "spark.executor.instances=2",
		"--conf", "spark.kubernetes.file.upload.path=" + upload,
		"--conf", "spark.kubernetes.executor.deleteOnTermination=false",
		"--files", fmt.Sprintf("http://%s/data/remote.txt,%s", ln.Addr(), local)}
	for _, role := range []string{"driver", "executor"} {
		p := "spark.kubernetes." + role + ".volumes.hostPath.upload."
		args = append(args, "--conf", p+"mount.path="+upload, "--conf", p+"options.path="+upload, "--conf", p+"mount.readOnly=true")
	}
	args = append(s.base("files-test", args...), filepath.Join(s.root, "test", "e2e", "sparktest"), "files", "4", "remote.txt", "local.txt")
	out, code := s.submit(t, args...)
	if code != 0 {
		t.Fatalf("submit exited %d", code)
	}
	if !strings.Contains(out, "Uploaded 2 file(s)") {
		t.Errorf("submit does not report uploading the application and local.txt to %s", upload)
	}
	sums := map[string]string{
		"remote.txt": fmt.Sprintf("sha256=%x", sha256.Sum256(remoteData)),
		"local.txt":  fmt.Sprintf("sha256=%x", sha256.Sum256(localData)),
	}
	check := func(who, log string, prefixes ...string) {
		for _, prefix := range prefixes {
			for name, sum := range sums {
				if lineWith(log, prefix, name+" "+sum) == "" {
					t.Errorf("%s's log has no %q line for %s %s:\n%s", who, prefix, name, sum, log)
				}
			}
		}
	}
	check("the driver", s.driverLog(t), "driver ", "task on ")
	execs := s.pods(t, "spark-role=executor")
	if len(execs) < 2 {
		t.Fatalf("%d executor pods, want 2", len(execs))
	}
	for _, p := range execs {
		check(p.Name, s.must(t, "-n", s.ns, "logs", p.Name), "executor "+p.Name)
		if len(p.Spec.InitContainers) != 1 || p.Spec.Containers[0].WorkingDir != "/var/spark-data/spark-files" {
			t.Errorf("executor pod %s: %d init-containers, working dir %q", p.Name, len(p.Spec.InitContainers), p.Spec.Containers[0].WorkingDir)
		}
	}
	if m, _ := filepath.Glob(filepath.Join(upload, "spark-upload-*", "sparktest")); len(m) != 1 {
		t.Errorf("the application binary is not under %s: %v", upload, m)
	}
}

// A remote file that does not exist fails the driver's init-container, and
// submit says which file.
func TestMissingRemoteFileFailsTheInitContainer(t *testing.T) {
	s := newSubmitEnv(t)
	ln, err := net.Listen("tcp", nodeIP+":0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.NotFoundHandler()}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	missing := fmt.Sprintf("http://%s/nothing-here.txt", ln.Addr())
	out, code := s.submit(t, s.base("missing-file", "--files", missing, "local:///opt/gospark/examples/sparkpi")...)
	if code == 0 {
		t.Fatalf("submit exited 0 though %s does not exist", missing)
	}
	if !strings.Contains(out, missing) || !strings.Contains(out, "404") {
		t.Errorf("submit's output does not name %s and its 404", missing)
	}
}
