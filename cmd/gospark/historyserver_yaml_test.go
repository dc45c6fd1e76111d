package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/gospark/gospark/internal/config"
)

// TestHistoryServerManifest checks conf/kubernetes-history-server.yaml
// (run for real by the e2e tests): its three objects parse strictly, the
// container's args are a valid command line whose properties file is the
// ConfigMap's, the properties are valid, the event log directory is the
// hostPath volume mounted at the same path, and the probe and the
// Service reach spark.history.ui.port.
func TestHistoryServerManifest(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "conf", "kubernetes-history-server.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	docs := strings.Split(string(b), "\n---\n")
	if len(docs) != 3 {
		t.Fatalf("%d documents, want a ConfigMap, a Deployment and a Service", len(docs))
	}
	var (
		cm  corev1.ConfigMap
		dep appsv1.Deployment
		svc corev1.Service
	)
	for i, v := range []any{&cm, &dep, &svc} {
		if err := yaml.UnmarshalStrict([]byte(docs[i]), v); err != nil {
			t.Fatalf("document %d: %v", i+1, err)
		}
	}
	if cm.Kind != "ConfigMap" || dep.Kind != "Deployment" || dep.APIVersion != "apps/v1" || svc.Kind != "Service" {
		t.Fatalf("kinds %s, %s %s, %s", cm.Kind, dep.APIVersion, dep.Kind, svc.Kind)
	}

	pod := dep.Spec.Template.Spec
	if len(pod.Containers) != 1 {
		t.Fatalf("%d containers, want 1", len(pod.Containers))
	}
	c := pod.Containers[0]
	if c.Image != "gospark:dev" || c.ImagePullPolicy != corev1.PullIfNotPresent || len(c.Command) != 0 {
		t.Errorf("image %s, pull policy %s, command %q; want gospark:dev, IfNotPresent and the image's entrypoint", c.Image, c.ImagePullPolicy, c.Command)
	}
	if len(c.Args) == 0 || c.Args[0] != "history-server" {
		t.Fatalf("args %q, want history-server ...", c.Args)
	}
	cmd := historyServerCommand(&bytes.Buffer{})
	if err := cmd.ParseFlags(c.Args[1:]); err != nil {
		t.Fatalf("args %q: %v", c.Args, err)
	}
	if err := cmd.ValidateArgs(cmd.Flags().Args()); err != nil {
		t.Fatalf("args %q: %v", c.Args, err)
	}
	propsFile := cmd.Flags().Lookup("properties-file").Value.String()

	// The properties file is the ConfigMap's, mounted.
	mounts := map[string]corev1.VolumeMount{}
	for _, m := range c.VolumeMounts {
		mounts[m.Name] = m
	}
	var props map[string]string
	for _, v := range pod.Volumes {
		if v.ConfigMap == nil {
			continue
		}
		if v.ConfigMap.Name != cm.Name {
			t.Errorf("volume %s is config map %s, want %s", v.Name, v.ConfigMap.Name, cm.Name)
		}
		dir := mounts[v.Name].MountPath
		key, ok := strings.CutPrefix(propsFile, dir+"/")
		if dir == "" || !ok || cm.Data[key] == "" {
			t.Fatalf("--properties-file %s is not a key of config map %s mounted at %q", propsFile, cm.Name, dir)
		}
		if props, err = config.ParseProperties(strings.NewReader(cm.Data[key])); err != nil {
			t.Fatal(err)
		}
	}
	conf := config.New()
	for k, v := range props {
		if err := conf.Set(k, v); err != nil {
			t.Errorf("property %s=%s: %v", k, v, err)
		}
	}
	if w := conf.Warnings(); len(w) > 0 {
		t.Errorf("the properties warn: %q", w)
	}
	if d := conf.Duration("spark.history.fs.update.interval"); d.Seconds() > 5 {
		t.Errorf("spark.history.fs.update.interval %s: want a few seconds, so that new applications show soon", d)
	}

	// The log directory is the hostPath volume, at the same path.
	logDir := conf.String("spark.history.fs.logDirectory")
	found := false
	for _, v := range pod.Volumes {
		if v.HostPath == nil {
			continue
		}
		found = true
		if v.HostPath.Path != logDir || mounts[v.Name].MountPath != logDir || v.HostPath.Type == nil || *v.HostPath.Type != corev1.HostPathDirectoryOrCreate {
			t.Errorf("hostPath %+v mounted at %q; want %s, DirectoryOrCreate, at the same path", v.HostPath, mounts[v.Name].MountPath, logDir)
		}
	}
	if !found {
		t.Errorf("no hostPath volume for the event logs")
	}

	// The port, the probe and the Service.
	port := int32(conf.Int("spark.history.ui.port"))
	if len(c.Ports) != 1 || c.Ports[0].ContainerPort != port {
		t.Errorf("container ports %+v, want %d", c.Ports, port)
	}
	if p := c.ReadinessProbe; p == nil || p.HTTPGet == nil || p.HTTPGet.Path != "/api/v1/version" || p.HTTPGet.Port.IntValue() != int(port) {
		t.Errorf("readiness probe %+v, want GET /api/v1/version on %d", c.ReadinessProbe, port)
	}
	if svc.Spec.Type != corev1.ServiceTypeNodePort || len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].NodePort != 31080 ||
		svc.Spec.Ports[0].TargetPort.IntValue() != int(port) {
		t.Errorf("service %+v, want a NodePort 31080 to %d", svc.Spec, port)
	}
	for k, v := range svc.Spec.Selector {
		if dep.Spec.Template.Labels[k] != v || dep.Spec.Selector.MatchLabels[k] != v {
			t.Errorf("selector %s=%s does not match the pods", k, v)
		}
	}
}
