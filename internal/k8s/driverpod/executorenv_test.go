package driverpod

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	"sigs.k8s.io/yaml"

	"github.com/gospark/gospark/internal/k8s/pods"
	"github.com/gospark/gospark/internal/launch"
)

// Found when tried: spark.authenticate's secret was a plain value in the
// executor pods' spec. It is kept in a Secret owned by the driver pod and
// referenced; executors also get the driver pod's address.
func TestExecutorPodsReferenceTheAuthSecret(t *testing.T) {
	t.Setenv(launch.EnvPodIP, "10.88.0.7")
	const secret = "s3cret-value-of-spark-authenticate"
	cs := fake.NewClientset()
	owner := &metav1.OwnerReference{APIVersion: "v1", Kind: "Pod", Name: driverName, UID: "driver-uid", Controller: new(true)}
	tp := executorPod{conf: testConf(t, "spark.authenticate", "true"), namespace: appNS, prefix: "spark-pi", owner: owner,
		contract: launch.Executor{AppID: "spark-app-1", DriverURL: "spark-pi-driver-svc:7078", Secret: secret, Cores: 1, Conf: "{}", Command: "/app"}}
	for range 2 { // a second start (the same driver again) replaces the Secret
		if err := tp.prepare(ctx30s(t), cs, quiet()); err != nil {
			t.Fatal(err)
		}
	}
	s, err := cs.CoreV1().Secrets(appNS).Get(ctx30s(t), AuthSecretName("spark-pi"), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if string(s.Data[AuthSecretKey]) != secret || len(s.OwnerReferences) != 1 || s.OwnerReferences[0].UID != "driver-uid" ||
		s.Labels[pods.LabelAppSelector] != "spark-app-1" {
		t.Errorf("secret %+v: want the value, owned by the driver pod, with the application's label", s)
	}
	p, err := tp.build("3")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := yaml.Marshal(p)
	if strings.Contains(string(b), secret) {
		t.Errorf("the executor pod's spec shows the secret:\n%s", b)
	}
	var ref *corev1.SecretKeySelector
	var ip string
	for _, e := range p.Spec.Containers[0].Env {
		switch e.Name {
		case launch.EnvSecret:
			if e.ValueFrom != nil {
				ref = e.ValueFrom.SecretKeyRef
			}
		case EnvDriverPodIP:
			ip = e.Value
		}
	}
	if ref == nil || ref.Name != s.Name || ref.Key != AuthSecretKey {
		t.Errorf("%s references %+v, want %s/%s", launch.EnvSecret, ref, s.Name, AuthSecretKey)
	}
	if ip != "10.88.0.7" {
		t.Errorf("%s=%q, want the driver pod's address", EnvDriverPodIP, ip)
	}

	// Without spark.authenticate: no Secret, no variable.
	cs2 := fake.NewClientset()
	tp2 := executorPod{conf: testConf(t), namespace: appNS, prefix: "spark-pi", owner: owner,
		contract: launch.Executor{AppID: "spark-app-1", DriverURL: "d:7078", Cores: 1, Conf: "{}", Command: "/app"}}
	if err := tp2.prepare(ctx30s(t), cs2, quiet()); err != nil {
		t.Fatal(err)
	}
	if l, _ := cs2.CoreV1().Secrets(appNS).List(ctx30s(t), metav1.ListOptions{}); len(l.Items) != 0 {
		t.Errorf("secrets without spark.authenticate: %v", l.Items)
	}
}

// The executors' template (mounted in the driver pod) is read once at
// start; a bad one fails the start naming the property.
func TestExecutorPodsFromTheMountedTemplate(t *testing.T) {
	file := filepath.Join(t.TempDir(), "t.yaml")
	if err := os.WriteFile(file, []byte("apiVersion: v1\nkind: Pod\nspec:\n  priorityClassName: batch-low\n  containers: [{name: exec}]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tp := executorPod{conf: testConf(t, "spark.kubernetes.executor.podTemplateFile", file), namespace: appNS, prefix: "spark-pi",
		contract: launch.Executor{AppID: "spark-app-1", DriverURL: "d:7078", Cores: 1, Conf: "{}", Command: "/app"}}
	if err := tp.prepare(ctx30s(t), fake.NewClientset(), quiet()); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(file); err != nil { // read once: later pods do not read it again
		t.Fatal(err)
	}
	p, err := tp.build("2")
	if err != nil {
		t.Fatal(err)
	}
	if p.Spec.PriorityClassName != "batch-low" || p.Spec.Containers[0].Name != "exec" {
		t.Errorf("executor pod %+v, want the template's", p.Spec)
	}
	bad := tp
	bad.conf = testConf(t, "spark.kubernetes.executor.podTemplateFile", file)
	if err := bad.prepare(ctx30s(t), fake.NewClientset(), quiet()); err == nil || !strings.Contains(err.Error(), "spark.kubernetes.executor.podTemplateFile") {
		t.Errorf("a missing template: %v", err)
	}
}

// A driver whose service account may not create Secrets still starts its
// executors, with the secret as a plain value.
func TestAuthSecretForbiddenFallsBackToTheValue(t *testing.T) {
	cs := fake.NewClientset()
	cs.PrependReactor("create", "secrets", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "secrets"}, "", errors.New("no"))
	})
	tp := executorPod{conf: testConf(t), namespace: appNS, prefix: "spark-pi",
		contract: launch.Executor{AppID: "spark-app-1", DriverURL: "d:7078", Secret: "plain", Cores: 1, Conf: "{}", Command: "/app"}}
	if err := tp.prepare(ctx30s(t), cs, quiet()); err != nil {
		t.Fatal(err)
	}
	p, err := tp.build("1")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range p.Spec.Containers[0].Env {
		if e.Name == launch.EnvSecret && e.Value != "plain" {
			t.Errorf("%s = %+v, want the plain value", e.Name, e)
		}
	}
}
