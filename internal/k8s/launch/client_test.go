package launch

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gospark/gospark/internal/config"
	"github.com/gospark/gospark/internal/config/configtest"
	"github.com/gospark/gospark/internal/deps"
	"github.com/gospark/gospark/internal/k8s/pods"
)

func clientConf(t *testing.T, kv ...string) *config.Conf {
	return configtest.Conf(t, append([]string{"spark.master", "k8s://https://10.0.0.1:6443", "spark.submit.deployMode", "client",
		"spark.kubernetes.container.image", "gospark:dev", "spark.app.name", "notebook"}, kv...)...)
}

// An application in the image: nothing to serve, no object but the
// executor pods; the driver's configuration says client mode.
func TestClientPlanInImage(t *testing.T) {
	p, err := NewClientPlan(clientConf(t, "spark.driver.host", "10.88.0.1", "spark.kubernetes.namespace", "jobs"),
		"https://10.0.0.1:6443", "local:///opt/gospark/examples/groupbytest", []string{"10"}, launched)
	if err != nil {
		t.Fatal(err)
	}
	if p.ExecutorCommand != "/opt/gospark/examples/groupbytest" || len(p.Objects) != 0 || p.serve || p.ExecutorProperties != nil {
		t.Errorf("command %q, objects %v, serve %v, executor properties %v", p.ExecutorCommand, p.Objects, p.serve, p.ExecutorProperties)
	}
	if p.Namespace != "jobs" || p.DriverHost != "10.88.0.1" || p.OwnerPod != "" || !strings.HasPrefix(p.AppID, "spark-") {
		t.Errorf("plan %+v", p)
	}
	d := p.DriverConf
	if d.String("spark.submit.deployMode") != "client" || d.String("spark.app.id") != p.AppID || d.String("spark.driver.host") != "10.88.0.1" ||
		d.String("spark.driver.bindAddress") != "10.88.0.1" {
		t.Errorf("driver configuration %v", d.All())
	}
	if got := p.ExecutorConf.String("spark.kubernetes.executor.podNamePrefix"); got != "notebook-1a2031afff3" || p.Prefix != got {
		t.Errorf("executor pods' prefix %q, plan's %q", got, p.Prefix)
	}
}

// A local application and file: the executor pods get an init-container
// whose ConfigMap and Secret the plan makes, submit serves the files, and
// the executors (not the driver) read spark.files where it puts them.
func TestClientPlanLocalFilesAreServed(t *testing.T) {
	dir := t.TempDir()
	app := filepath.Join(dir, "app")
	data := filepath.Join(dir, "data.txt")
	for _, f := range []string{app, data} {
		if err := os.WriteFile(f, []byte("x"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	p, err := NewClientPlan(clientConf(t, "spark.driver.host", "10.88.0.1", "spark.files", data), "", app, nil, launched)
	if err != nil {
		t.Fatal(err)
	}
	if !p.serve || p.InitConfigMap == nil || p.InitSecret == nil || len(p.Objects) != 2 {
		t.Fatalf("serve %v, objects %v", p.serve, p.Objects)
	}
	if p.InitConfigMap.Name != "notebook-1a2031afff3-init-config" || p.InitSecret.Name != "notebook-1a2031afff3-init-secret" ||
		p.InitConfigMap.Labels[pods.LabelAppSelector] != p.AppID {
		t.Errorf("init objects %s %s %v", p.InitConfigMap.Name, p.InitSecret.Name, p.InitConfigMap.Labels)
	}
	if p.ExecutorCommand != "/var/spark-data/spark-jars/app" {
		t.Errorf("executor command %q", p.ExecutorCommand)
	}
	if got := p.ExecutorProperties["spark.files"]; got != "/var/spark-data/spark-files/data.txt" {
		t.Errorf("executors' spark.files %q", got)
	}
	if got := p.DriverConf.String("spark.files"); got != data {
		t.Errorf("driver's spark.files %q, want %q", got, data)
	}
	if p.DriverConf.Has("spark.kubernetes.resourceStagingServer.uri") {
		t.Errorf("the driver's configuration names a staging server: %v", p.DriverConf.All())
	}
	e := p.ExecutorConf
	if e.String("spark.kubernetes.initContainer.configMapName") != p.InitConfigMap.Name || e.String("spark.kubernetes.initContainer.secretName") != p.InitSecret.Name {
		t.Errorf("executor pods' init-container objects: %v", e.All())
	}
	pod, err := pods.Build(pods.Input{Conf: e, Role: pods.Executor, AppID: p.AppID, Namespace: p.Namespace,
		Name: "x-exec-1", ExecutorID: "1", Command: []string{p.ExecutorCommand}})
	if err != nil {
		t.Fatal(err)
	}
	if len(pod.Spec.InitContainers) != 1 || pod.Spec.InitContainers[0].Name != pods.InitContainer {
		t.Errorf("executor pod's init-containers %v", pod.Spec.InitContainers)
	}
}

// What submit serves reaches the init-container: staged on the staging
// server this process runs, fetched with the spec and secret the executor
// pods get.
func TestClientPlanStageServesTheFiles(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data.txt")
	if err := os.WriteFile(data, []byte("shipped to the executors\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := NewClientPlan(clientConf(t, "spark.driver.host", "127.0.0.1", "spark.files", data), "",
		"local:///opt/gospark/examples/groupbytest", nil, launched)
	if err != nil {
		t.Fatal(err)
	}
	if !p.serve {
		t.Fatal("a local file is not served")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if err := p.stage(ctx, ctx, t.TempDir(), io.Discard, log); err != nil {
		t.Fatal(err)
	}
	var spec deps.Spec
	if err := json.Unmarshal([]byte(p.InitConfigMap.Data[pods.InitSpecKey]), &spec); err != nil {
		t.Fatal(err)
	}
	if spec.Staged == nil || !strings.HasPrefix(spec.Staged.URI, "http://127.0.0.1:") {
		t.Fatalf("spec %+v", spec)
	}
	// The pod's paths, here.
	pod := t.TempDir()
	secret := filepath.Join(pod, "secret")
	if err := os.WriteFile(secret, p.InitSecret.Data[pods.InitSecretKey], 0o600); err != nil {
		t.Fatal(err)
	}
	spec.Staged.SecretFile = secret
	spec.JarsDir, spec.FilesDir = filepath.Join(pod, "jars"), filepath.Join(pod, "files")
	if err := deps.Fetch(ctx, &spec, log); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(spec.FilesDir, "data.txt"))
	if err != nil || string(got) != "shipped to the executors\n" {
		t.Errorf("fetched %q, %v", got, err)
	}
}

// In a pod, spark.driver.host defaults to the pod's address; elsewhere it
// must be given.
func TestClientDriverHost(t *testing.T) {
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	if _, err := clientDriverHost(clientConf(t)); err == nil || !strings.Contains(err.Error(), "spark.driver.host is not set") {
		t.Errorf("outside a pod: %v", err)
	}
	if h, err := clientDriverHost(clientConf(t, "spark.driver.host", "10.1.2.3")); err != nil || h != "10.1.2.3" {
		t.Errorf("given: %q, %v", h, err)
	}
	t.Setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1")
	want, werr := ownAddress()
	h, err := clientDriverHost(clientConf(t))
	if werr == nil && (err != nil || h != want) {
		t.Errorf("in a pod: %q, %v; want %q", h, err, want)
	}
	if werr != nil && err == nil {
		t.Errorf("in a pod whose name has no address: %q", h)
	}
}

// The binary built for the driver goes to the executor pods only when it
// suits them; else the package is built for them.
func TestClientPlanUseBuilt(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n\nfunc main() {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(t.TempDir(), "app")
	if err := os.WriteFile(script, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	p, err := NewClientPlan(clientConf(t, "spark.driver.host", "10.88.0.1"), "", dir, nil, launched)
	if err != nil {
		t.Fatal(err)
	}
	if p.UseBuilt(script) || !p.Deps.Primary.Package || p.Deps.Primary.Path == script {
		t.Errorf("a script was taken for the pods: %+v", p.Deps.Primary)
	}
	inImage, err := NewClientPlan(clientConf(t, "spark.driver.host", "10.88.0.1"), "", "local:///opt/app", nil, launched)
	if err != nil {
		t.Fatal(err)
	}
	if inImage.UseBuilt(script) || inImage.Deps.Primary.Path != "/opt/app" {
		t.Errorf("an application in the image was replaced: %+v", inImage.Deps.Primary)
	}
}
