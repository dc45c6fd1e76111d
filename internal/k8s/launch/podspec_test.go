package launch

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/gospark/gospark/internal/k8s/pods"
)

// Found when tried: spark.executor.instances=0 passed submit and failed in
// the driver pod. It fails at submit unless executors come later (dynamic
// allocation) or are never needed (a local driver master).
func TestNoExecutorsFailsAtSubmit(t *testing.T) {
	_, err := NewPlan(conf(t, "spark.executor.instances", "0"), "local:///opt/gospark/examples/sparkpi", nil, launched)
	if err == nil || !strings.Contains(err.Error(), "spark.executor.instances=0") || !strings.Contains(err.Error(), "spark.dynamicAllocation.enabled") {
		t.Errorf("0 executors: %v, want an error naming spark.executor.instances", err)
	}
	for _, kv := range [][]string{
		{"spark.executor.instances", "0", "spark.dynamicAllocation.enabled", "true", "spark.dynamicAllocation.shuffleTracking.enabled", "true"},
		{"spark.executor.instances", "0", "spark.kubernetes.driver.master", "local[*]"},
		{"spark.executor.instances", "1"},
	} {
		if _, err := NewPlan(conf(t, kv...), "local:///opt/gospark/examples/sparkpi", nil, launched); err != nil {
			t.Errorf("%v: %v", kv, err)
		}
	}
}

// The executors' pod template is checked at submit and reaches the driver
// pod in a ConfigMap; the driver's template shapes the driver pod.
func TestPlanWithPodTemplates(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		f := filepath.Join(dir, name)
		if err := os.WriteFile(f, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return f
	}
	driverT := write("driver.yaml", "apiVersion: v1\nkind: Pod\nspec:\n  priorityClassName: high\n  containers: [{name: main}]\n")
	execT := write("exec.yaml", "apiVersion: v1\nkind: Pod\nspec:\n  priorityClassName: low\n  containers: [{name: side}, {name: main}]\n")
	p, err := NewPlan(conf(t, "spark.kubernetes.driver.podTemplateFile", driverT, "spark.kubernetes.executor.podTemplateFile", execT,
		"spark.kubernetes.executor.podTemplateContainerName", "main"), "local:///opt/gospark/examples/sparkpi", nil, launched)
	if err != nil {
		t.Fatal(err)
	}
	if p.Driver.Spec.PriorityClassName != "high" || p.Driver.Spec.Containers[0].Name != "main" {
		t.Errorf("driver pod %+v, want its template's", p.Driver.Spec)
	}
	if got := p.DriverConf.String("spark.kubernetes.executor.podTemplateFile"); got != pods.PodTemplateDir+"/"+pods.PodTemplateKey {
		t.Errorf("the driver's executor template is %q, want the mounted file", got)
	}
	cm := find[*corev1.ConfigMap](t, p, "podspec-conf-map")
	if !strings.Contains(cm.Data[pods.PodTemplateKey], "priorityClassName: low") {
		t.Errorf("template ConfigMap %v", cm.Data)
	}

	bad := write("bad.yaml", "apiVersion: v1\nkind: Pod\nspec:\n  containers: [{name: side}]\n")
	for _, prop := range []string{"spark.kubernetes.driver.podTemplateFile", "spark.kubernetes.executor.podTemplateFile"} {
		_, err := NewPlan(conf(t, prop, bad, "spark.kubernetes.driver.podTemplateContainerName", "main",
			"spark.kubernetes.executor.podTemplateContainerName", "main"), "local:///opt/gospark/examples/sparkpi", nil, launched)
		if err == nil || !strings.Contains(err.Error(), prop+"="+bad) {
			t.Errorf("%s with no container main: %v, want an error naming it and the file", prop, err)
		}
	}
}
