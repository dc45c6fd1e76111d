//go:build e2e

package e2e

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// Pod templates, secrets and what executor pods are given (issue 15,
// acceptance 1 and 2, and the "found when tried" items on service
// accounts, the authentication secret, {{APP_ID}} and the driver's IP).

// podTemplate is a pod template a team might bring: tolerations, a
// priority class, a native sidecar (an init-container that keeps running,
// ended by Kubernetes with the pod), its own labels, and a main container
// named "spark" whose image and resources gospark replaces. extra is added
// to the containers (a plain sidecar).
func podTemplate(priorityClass, extra string) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata:
  labels:
    team: data
    spark-role: not-this
spec:
  priorityClassName: %s
  tolerations:
  - key: gospark.example/spot
    operator: Exists
    effect: NoSchedule
  initContainers:
  - name: native-sidecar
    image: gospark-e2e:dev
    imagePullPolicy: IfNotPresent
    restartPolicy: Always
    command: [%s, serve, native sidecar]
  containers:
  - name: spark
    image: will-be-replaced:latest
    resources:
      requests: {cpu: 10m, memory: 1Mi}
%s`, priorityClass, podtool, extra)
}

// watchExecutors collects the executor pods seen (in any phase, their
// last version) while an application runs, until stop is called.
func (s *submitEnv) watchExecutors(t *testing.T) (seen func() map[string]corev1.Pod, stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var mu sync.Mutex
	pods := map[string]corev1.Pod{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			out, err := s.run("-n", s.ns, "get", "pods", "-l", "spark-role=executor", "-o", "json")
			var list corev1.PodList
			if err == nil && json.Unmarshal([]byte(out), &list) == nil {
				mu.Lock()
				for _, p := range list.Items {
					// Any phase: under load the kubelet may report an
					// executor Running only after its tasks are done.
					pods[p.Name] = p
				}
				mu.Unlock()
			}
			select {
			case <-ctx.Done():
			case <-time.After(500 * time.Millisecond):
			}
		}
	}()
	stopped := sync.OnceFunc(func() { cancel(); <-done })
	t.Cleanup(stopped)
	return func() map[string]corev1.Pod {
		mu.Lock()
		defer mu.Unlock()
		return maps.Clone(pods)
	}, stopped
}

func containerNames(cs []corev1.Container) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Name)
	}
	return out
}

// Acceptance 1: a driver and executors built on templates keep the
// templates' tolerations, priority class and sidecars, while gospark's
// image, resources and labels win, and the application completes. The
// driver's sidecar is a native one, so the driver pod ends (Succeeded)
// with its main container. The executors also have a plain sidecar
// container, which would keep a pod Running after the executor exits:
// the driver counts the main container's end as the executor's, and
// deletes the pods when the application stops (their sidecars end on
// SIGTERM), so nothing is left running.
func TestPodTemplatesKeepTheTeamsSettings(t *testing.T) {
	s := newSubmitEnv(t)
	app := s.testApp(t)
	pc := "gospark-e2e-" + s.ns
	s.apply(t, s.ns, fmt.Sprintf("apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata:\n  name: %s\nvalue: 1000\ndescription: gospark e2e\n", pc))
	t.Cleanup(func() { _, _ = s.run("delete", "priorityclass", pc, "--ignore-not-found") })
	dir := t.TempDir()
	driverT := filepath.Join(dir, "driver.yaml")
	execT := filepath.Join(dir, "executor.yaml")
	plain := fmt.Sprintf("  - name: plain-sidecar\n    image: gospark-e2e:dev\n    imagePullPolicy: IfNotPresent\n    command: [%s, wait]\n", podtool)
	if err := os.WriteFile(driverT, []byte(podTemplate(pc, "")), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(execT, []byte(podTemplate(pc, plain)), 0o644); err != nil {
		t.Fatal(err)
	}
	seen, stop := s.watchExecutors(t)
	out, code := s.submit(t, append(s.base("templates", append(app,
		"--conf", "spark.executor.instances=2",
		"--conf", "spark.kubernetes.driver.podTemplateFile="+driverT,
		"--conf", "spark.kubernetes.executor.podTemplateFile="+execT,
		"--conf", "spark.kubernetes.driver.podTemplateContainerName=spark",
		"--conf", "spark.kubernetes.executor.podTemplateContainerName=spark",
		"--conf", "spark.kubernetes.driver.label.tier=etl",
		"--conf", "spark.kubernetes.executor.label.tier=etl",
		"--conf", "spark.executor.memory=600m")...,
	), "local:///opt/gospark/examples/sparktest", "podspec", "4", "/etc/hostname", "NONE")...)
	stop()
	if code != 0 {
		t.Fatalf("submit exited %d", code)
	}
	if !strings.Contains(out, "succeeded") {
		t.Errorf("submit did not report success:\n%s", out)
	}
	drivers := s.pods(t, "spark-role=driver")
	if len(drivers) != 1 {
		t.Fatalf("%d driver pods", len(drivers))
	}
	execs := seen()
	if len(execs) == 0 {
		t.Fatal("no executor pod was seen")
	}
	check := func(p corev1.Pod, role, memory string, containers []string) {
		t.Helper()
		if p.Spec.PriorityClassName != pc || p.Spec.Priority == nil || *p.Spec.Priority != 1000 {
			t.Errorf("%s: priority class %q priority %v, want the template's %s (1000)", p.Name, p.Spec.PriorityClassName, p.Spec.Priority, pc)
		}
		if !slices.ContainsFunc(p.Spec.Tolerations, func(tl corev1.Toleration) bool { return tl.Key == "gospark.example/spot" }) {
			t.Errorf("%s: tolerations %v lack the template's", p.Name, p.Spec.Tolerations)
		}
		if len(p.Spec.InitContainers) == 0 || p.Spec.InitContainers[0].Name != "native-sidecar" {
			t.Errorf("%s: init-containers %v, want the template's native sidecar", p.Name, containerNames(p.Spec.InitContainers))
		}
		if got := containerNames(p.Spec.Containers); !slices.Equal(got, containers) {
			t.Errorf("%s: containers %v, want %v", p.Name, got, containers)
		}
		main := p.Spec.Containers[0]
		if main.Image != "gospark-e2e:dev" {
			t.Errorf("%s: image %s, want gospark's", p.Name, main.Image)
		}
		if got := main.Resources.Requests.Memory().String(); got != memory || main.Resources.Requests.Cpu().String() != "100m" {
			t.Errorf("%s: requests %v, want gospark's memory %s and cpu 100m", p.Name, main.Resources.Requests, memory)
		}
		if p.Labels["team"] != "data" || p.Labels["tier"] != "etl" || p.Labels["spark-role"] != role {
			t.Errorf("%s: labels %v, want the template's team, gospark's tier and spark-role=%s", p.Name, p.Labels, role)
		}
	}
	check(drivers[0], "driver", "1408Mi", []string{"spark"})
	for _, e := range execs {
		check(e, "executor", "984Mi", []string{"spark", "plain-sidecar"})
	}
	log := s.driverLog(t) // kubectl logs picks the spark container (default-container annotation)
	if !strings.Contains(log, "driver file sha256=") || !strings.Contains(log, "executor ") {
		t.Errorf("the driver's log lacks the application's output:\n%s", log)
	}
	// The native sidecar ends with the driver: the pod completes.
	s.waitFor(t, s.ns, "pod/"+drivers[0].Name, "{.status.phase}", "Succeeded", 2*time.Minute)
	s.noExecutorRunning(t)
}

// Acceptance 2, and what executors are given: a secret reaches the driver
// and the executors both as a file and as an environment variable (their
// checksums are compared with the secret's); executors run under the
// driver's service account, reference the authentication secret instead
// of holding it, know the driver pod's IP, and {{APP_ID}} and
// {{EXECUTOR_ID}} are replaced in labels, annotations and environment.
func TestSecretsAndWhatExecutorsAreGiven(t *testing.T) {
	s := newSubmitEnv(t)
	app := s.testApp(t)
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	value := "token-" + hex.EncodeToString(b[:12])
	authSecret := "auth-" + hex.EncodeToString(b[12:])
	sum := fmt.Sprintf("%x", sha256.Sum256([]byte(value)))
	s.must(t, "-n", s.ns, "create", "secret", "generic", "app-creds", "--from-literal=token="+value)
	s.must(t, "-n", s.ns, "create", "serviceaccount", "spark-driver")
	s.must(t, "-n", s.ns, "create", "rolebinding", "spark-driver-edit", "--clusterrole=edit", "--serviceaccount="+s.ns+":spark-driver")
	out, code := s.submit(t, append(s.base("secrets", append(app,
		"--conf", "spark.executor.instances=2",
		"--conf", "spark.kubernetes.executor.deleteOnTermination=false",
		"--conf", "spark.authenticate=true",
		"--conf", "spark.authenticate.secret="+authSecret,
		"--conf", "spark.kubernetes.authenticate.driver.serviceAccountName=spark-driver",
		"--conf", "spark.kubernetes.driver.secrets.app-creds=/etc/creds",
		"--conf", "spark.kubernetes.executor.secrets.app-creds=/etc/creds",
		"--conf", "spark.kubernetes.driver.secretKeyRef.APP_TOKEN=app-creds:token",
		"--conf", "spark.kubernetes.executor.secretKeyRef.APP_TOKEN=app-creds:token",
		"--conf", "spark.kubernetes.driver.label.app-id={{APP_ID}}",
		"--conf", "spark.kubernetes.executor.label.app-id={{APP_ID}}",
		"--conf", "spark.kubernetes.executor.annotation.who=exec-{{EXECUTOR_ID}}-of-{{APP_ID}}",
		"--conf", "spark.kubernetes.driverEnv.WHO=driver-{{APP_ID}}-{{EXECUTOR_ID}}",
		"--conf", "spark.executorEnv.WHO=exec-{{EXECUTOR_ID}}-of-{{APP_ID}}")...,
	), "local:///opt/gospark/examples/sparktest", "podspec", "8", "/etc/creds/token", "APP_TOKEN", "WHO", "SPARK_DRIVER_POD_IP")...)
	if code != 0 {
		t.Fatalf("submit exited %d", code)
	}
	drivers := s.pods(t, "spark-role=driver")
	execs := s.pods(t, "spark-role=executor")
	if len(drivers) != 1 || len(execs) != 2 {
		t.Fatalf("%d driver and %d executor pods, want 1 and 2", len(drivers), len(execs))
	}
	driver := drivers[0]
	appID := driver.Labels["spark-app-selector"]
	log := s.driverLog(t)
	for _, want := range []string{
		"driver file sha256=" + sum,
		"driver env APP_TOKEN sha256=" + sum,
		"driver WHO=driver-" + appID + "-\n",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("the driver's log lacks %q", want)
		}
	}
	if strings.Contains(log, value) || strings.Contains(out, value) || strings.Contains(log, authSecret) {
		t.Error("the secret's value is in the driver's log or submit's output")
	}
	if driver.Labels["app-id"] != appID {
		t.Errorf("driver label app-id=%q, want %s", driver.Labels["app-id"], appID)
	}
	// Every executor line of the tasks' output is right, from at least
	// one executor pod.
	var execLines int
	for _, e := range execs {
		id := e.Labels["spark-exec-id"]
		for _, want := range []string{
			"executor " + e.Name + " file sha256=" + sum,
			"executor " + e.Name + " env APP_TOKEN sha256=" + sum,
			"executor " + e.Name + " WHO=exec-" + id + "-of-" + appID + "\n",
			"executor " + e.Name + " SPARK_DRIVER_POD_IP=" + driver.Status.PodIP + "\n",
		} {
			if strings.Contains(log, want) {
				execLines++
			} else if strings.Contains(log, "executor "+e.Name+" ") {
				t.Errorf("the driver's log lacks %q", want)
			}
		}
		if e.Labels["app-id"] != appID || e.Annotations["who"] != "exec-"+id+"-of-"+appID {
			t.Errorf("executor %s: label app-id=%q annotation who=%q", e.Name, e.Labels["app-id"], e.Annotations["who"])
		}
		// Found when tried: executors ran under the namespace's default
		// service account.
		if e.Spec.ServiceAccountName != "spark-driver" {
			t.Errorf("executor %s runs as %q, want the driver's spark-driver", e.Name, e.Spec.ServiceAccountName)
		}
	}
	if execLines == 0 {
		t.Errorf("no executor reported what it was given:\n%s", log)
	}
	// Found when tried: the authentication secret was a plain value in the
	// executor pods' spec. It is in a Secret owned by the driver pod.
	secrets := s.must(t, "-n", s.ns, "get", "secrets", "-l", "spark-role=executor,spark-app-selector="+appID, "-o", "json")
	var list corev1.SecretList
	if err := json.Unmarshal([]byte(secrets), &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 1 {
		t.Fatalf("%d executor secrets, want the authentication secret", len(list.Items))
	}
	auth := list.Items[0]
	if len(auth.OwnerReferences) != 1 || auth.OwnerReferences[0].UID != driver.UID {
		t.Errorf("secret %s owned by %v, want the driver pod", auth.Name, auth.OwnerReferences)
	}
	authValue := string(auth.Data["auth-secret"])
	if authValue != authSecret {
		t.Fatalf("secret %s holds %q, want spark.authenticate.secret", auth.Name, auth.Data)
	}
	for _, e := range execs {
		yamlOut := s.must(t, "-n", s.ns, "get", "pod", e.Name, "-o", "yaml")
		if strings.Contains(yamlOut, authValue) || strings.Contains(yamlOut, base64.StdEncoding.EncodeToString([]byte(authValue))) {
			t.Errorf("kubectl get pod %s -o yaml shows the authentication secret", e.Name)
		}
		ref := false
		for _, v := range e.Spec.Containers[0].Env {
			if v.Name == "GOSPARK_AUTH_SECRET" {
				ref = v.Value == "" && v.ValueFrom != nil && v.ValueFrom.SecretKeyRef != nil && v.ValueFrom.SecretKeyRef.Name == auth.Name
			}
		}
		if !ref {
			t.Errorf("executor %s does not reference secret %s for GOSPARK_AUTH_SECRET", e.Name, auth.Name)
		}
	}
}

// Bad template and secret properties fail at submit, before anything is
// created, naming the property.
func TestBadTemplatesAndSecretRefsCreateNothing(t *testing.T) {
	s := newSubmitEnv(t)
	dir := t.TempDir()
	deployment := filepath.Join(dir, "deployment.yaml")
	if err := os.WriteFile(deployment, []byte("apiVersion: apps/v1\nkind: Deployment\nspec: {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range [][]string{
		{"spark.kubernetes.executor.podTemplateFile=" + deployment, "spark.kubernetes.executor.podTemplateFile=" + deployment},
		{"spark.kubernetes.driver.podTemplateFile=" + filepath.Join(dir, "missing.yaml"), "spark.kubernetes.driver.podTemplateFile"},
		{"spark.kubernetes.executor.secretKeyRef.TOKEN=no-key", "spark.kubernetes.executor.secretKeyRef.TOKEN"},
		{"spark.executor.instances=0", "spark.executor.instances=0"},
	} {
		out, code := s.submit(t, append(s.base("bad", "--conf", tc[0]), "local:///opt/gospark/examples/sparkpi")...)
		if code == 0 || !strings.Contains(out, tc[1]) {
			t.Errorf("%s: exit %d, output %q; want a failure naming %s", tc[0], code, out, tc[1])
		}
	}
	for _, kind := range []string{"pods", "configmaps", "secrets", "services"} {
		if got := strings.TrimSpace(s.must(t, "-n", s.ns, "get", kind, "-l", "spark-app-selector", "-o", "name")); got != "" {
			t.Errorf("%s created by failed submissions: %s", kind, got)
		}
	}
}
