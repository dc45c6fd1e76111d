package pods

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func buildRole(t *testing.T, role Role, kv ...string) (*corev1.Pod, error) {
	t.Helper()
	return Build(Input{Conf: conf(t, append([]string{"spark.kubernetes.container.image", "img"}, kv...)...), Role: role,
		AppID: "spark-app-1", Name: "p", ExecutorID: "7", Command: []string{"/app"}})
}

func TestSecretKeyRef(t *testing.T) {
	for _, role := range []Role{Driver, Executor} {
		prefix := "spark.kubernetes." + string(role) + ".secretKeyRef."
		p, err := buildRole(t, role, prefix+"DB_USER", "db-creds:user", prefix+"DB_PASS", "db-creds:pass.word")
		if err != nil {
			t.Fatal(err)
		}
		for env, want := range map[string]string{"DB_USER": "db-creds/user", "DB_PASS": "db-creds/pass.word"} {
			var got string
			for _, e := range p.Spec.Containers[0].Env {
				if e.Name == env && e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil && e.Value == "" {
					got = e.ValueFrom.SecretKeyRef.Name + "/" + e.ValueFrom.SecretKeyRef.Key
				}
			}
			if got != want {
				t.Errorf("%s: %s from %q, want secretKeyRef %s", role, env, got, want)
			}
		}
		for _, bad := range [][2]string{{"DB", "db-creds"}, {"DB", ":key"}, {"DB", "name:"}, {"1DB", "a:b"}, {"DB", "Bad_Name:k"}, {"DB", "a:bad/key"}} {
			_, err := buildRole(t, role, prefix+bad[0], bad[1])
			if err == nil || !strings.Contains(err.Error(), prefix+bad[0]) {
				t.Errorf("%s %s=%s: error %v, want one naming the property", role, prefix+bad[0], bad[1], err)
			}
		}
	}
}

// Found when tried: {{APP_ID}} in a label was refused at submit and stayed
// literal in annotations and environment values. Spark 4 replaces
// {{APP_ID}} and {{EXECUTOR_ID}} (empty in the driver) in all three.
func TestAppAndExecutorIDsSubstituted(t *testing.T) {
	for _, tc := range []struct {
		role Role
		kv   []string
		exec string
	}{
		{Driver, []string{"spark.kubernetes.driver.label.app", "{{APP_ID}}", "spark.kubernetes.driver.annotation.who", "{{APP_ID}}/{{EXECUTOR_ID}}",
			"spark.kubernetes.driverEnv.WHO", "app={{APP_ID}} exec={{EXECUTOR_ID}}"}, ""},
		{Executor, []string{"spark.kubernetes.executor.label.app", "{{APP_ID}}", "spark.kubernetes.executor.annotation.who", "{{APP_ID}}/{{EXECUTOR_ID}}",
			"spark.executorEnv.WHO", "app={{APP_ID}} exec={{EXECUTOR_ID}}"}, "7"},
	} {
		p, err := buildRole(t, tc.role, tc.kv...)
		if err != nil {
			t.Fatalf("%s: %v", tc.role, err)
		}
		if p.Labels["app"] != "spark-app-1" {
			t.Errorf("%s: label app=%q", tc.role, p.Labels["app"])
		}
		if p.Annotations["who"] != "spark-app-1/"+tc.exec {
			t.Errorf("%s: annotation who=%q", tc.role, p.Annotations["who"])
		}
		if got := envValue(p.Spec.Containers[0], "WHO"); got != "app=spark-app-1 exec="+tc.exec {
			t.Errorf("%s: WHO=%q", tc.role, got)
		}
	}
	// A label value is checked after substitution.
	if _, err := buildRole(t, Executor, "spark.kubernetes.executor.label.x", "{{APP_ID}}!"); err == nil || !strings.Contains(err.Error(), "spark.kubernetes.executor.label.x") {
		t.Errorf("an invalid substituted label: %v", err)
	}
}

// Found when tried: executors ran under the namespace's default service
// account whatever the driver's was.
func TestExecutorServiceAccount(t *testing.T) {
	for _, tc := range []struct {
		kv   []string
		want string
	}{
		{nil, "default"}, // the driver property's default
		{[]string{"spark.kubernetes.authenticate.driver.serviceAccountName", "spark"}, "spark"},
		{[]string{"spark.kubernetes.authenticate.driver.serviceAccountName", "spark", "spark.kubernetes.authenticate.executor.serviceAccountName", "exec"}, "exec"},
	} {
		p, err := buildRole(t, Executor, tc.kv...)
		if err != nil {
			t.Fatal(err)
		}
		if p.Spec.ServiceAccountName != tc.want {
			t.Errorf("%v: executor service account %q, want %q", tc.kv, p.Spec.ServiceAccountName, tc.want)
		}
	}
	if _, err := buildRole(t, Executor, "spark.kubernetes.authenticate.executor.serviceAccountName", "Bad_SA"); err == nil ||
		!strings.Contains(err.Error(), "spark.kubernetes.authenticate.executor.serviceAccountName") {
		t.Errorf("a bad service account: %v", err)
	}
}

// Found when tried: 4g with the default overhead asked for 4724464025
// bytes; Spark counts whole MiB and asks for 4505Mi.
func TestMemoryInWholeMiBAsSpark(t *testing.T) {
	for _, tc := range []struct {
		role Role
		kv   []string
		want string
	}{
		{Executor, []string{"spark.executor.memory", "4g"}, "4505Mi"},
		{Driver, []string{"spark.driver.memory", "4g"}, "4505Mi"},
		{Executor, nil, "1408Mi"}, // 1024 + 384
		{Executor, []string{"spark.executor.memory", "5000m"}, "5500Mi"},
		{Executor, []string{"spark.executor.memory", "1500000k"}, "1848Mi"}, // 1464 MiB + 384
		{Executor, []string{"spark.executor.memory", "4g", "spark.kubernetes.memoryOverheadFactor", "0.2"}, "4915Mi"},
		{Executor, []string{"spark.executor.memory", "4g", "spark.kubernetes.memoryOverheadFactor", "0.2", "spark.executor.memoryOverheadFactor", "0.25"}, "5Gi"},
		{Driver, []string{"spark.driver.memory", "4g", "spark.executor.memoryOverheadFactor", "0.25"}, "4505Mi"},
		{Driver, []string{"spark.driver.memory", "4g", "spark.driver.memoryOverheadFactor", "0.5"}, "6Gi"},
		{Executor, []string{"spark.executor.memory", "4g", "spark.executor.memoryOverhead", "1000k"}, "4Gi"}, // under a MiB is dropped
	} {
		p, err := buildRole(t, tc.role, tc.kv...)
		if err != nil {
			t.Fatal(err)
		}
		r := p.Spec.Containers[0].Resources
		if got := r.Limits.Memory().String(); got != tc.want || r.Requests.Memory().String() != tc.want {
			t.Errorf("%s %v: memory limit %s request %s, want %s", tc.role, tc.kv, got, r.Requests.Memory(), tc.want)
		}
	}
}
