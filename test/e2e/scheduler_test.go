//go:build e2e

package e2e

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// Batch schedulers (acceptance 7): Volcano's PodGroup and annotations as
// Spark makes them, against the real API server with a PodGroup CRD the
// test installs (no Volcano scheduler runs: what is checked are the
// objects); YuniKorn's documented settings.

const (
	volcanoStep = "org.apache.spark.deploy.k8s.features.VolcanoFeatureStep"
	podGroupCRD = "podgroups.scheduling.volcano.sh"
	groupAnnot  = "scheduling.k8s.io/group-name"
	// crdLock is a ConfigMap in namespace default that a test holds while
	// it adds or removes the cluster-scoped PodGroup CRD, so that test
	// runs at the same time on the cluster do not see each other's.
	crdLock = "gospark-e2e-podgroup-crd-lock"
)

// podGroupCRDManifest is Volcano's PodGroup CRD reduced to its names and
// an open schema: enough for the API server to serve and store PodGroups.
const podGroupCRDManifest = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: podgroups.scheduling.volcano.sh
  labels:
    gospark-e2e: podgroup-crd
spec:
  group: scheduling.volcano.sh
  scope: Namespaced
  names:
    kind: PodGroup
    listKind: PodGroupList
    plural: podgroups
    singular: podgroup
    shortNames: [pg]
  versions:
  - name: v1beta1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-preserve-unknown-fields: true
`

// lockPodGroupCRD takes crdLock until the test ends, waiting while
// another run holds it; a lock older than 10 minutes is a killed run's
// and is taken over.
func (e *env) lockPodGroupCRD(t *testing.T) {
	t.Helper()
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	holder := hex.EncodeToString(b)
	deadline := time.Now().Add(3 * time.Minute)
	for {
		out, err := e.run("-n", "default", "create", "configmap", crdLock, "--from-literal=holder="+holder)
		if err == nil {
			break
		}
		if !strings.Contains(out, "AlreadyExists") {
			t.Fatalf("taking the PodGroup CRD lock: %v\n%s", err, out)
		}
		created, _ := e.run("-n", "default", "get", "configmap", crdLock, "-o", "jsonpath={.metadata.creationTimestamp}")
		if ts, err := time.Parse(time.RFC3339, strings.TrimSpace(created)); err == nil && time.Since(ts) > 10*time.Minute {
			t.Logf("taking over the PodGroup CRD lock of %s (a run that did not end)", ts)
			_, _ = e.run("-n", "default", "delete", "configmap", crdLock)
			continue
		}
		if time.Now().After(deadline) {
			t.Fatalf("the PodGroup CRD lock (configmap default/%s) is still held after 3 minutes", crdLock)
		}
		time.Sleep(2 * time.Second)
	}
	t.Cleanup(func() {
		if out, _ := e.run("-n", "default", "get", "configmap", crdLock, "-o", "jsonpath={.data.holder}"); strings.TrimSpace(out) == holder {
			_, _ = e.run("-n", "default", "delete", "configmap", crdLock)
		}
	})
}

// podGroupsServed tells whether the API server serves Volcano's PodGroups.
func (e *env) podGroupsServed() bool {
	out, err := e.run("get", "--raw", "/apis/scheduling.volcano.sh/v1beta1")
	return err == nil && strings.Contains(out, `"podgroups"`)
}

// waitPodGroups waits until the API server does (or does not) serve
// PodGroups.
func (e *env) waitPodGroups(t *testing.T, served bool) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for e.podGroupsServed() != served {
		if time.Now().After(deadline) {
			t.Fatalf("the API server serving PodGroups is not %v after 90s", served)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// removePodGroupCRD deletes the CRD (and so every PodGroup) and waits
// until it is no longer served.
func (e *env) removePodGroupCRD(t *testing.T) {
	t.Helper()
	if out, err := e.run("delete", "crd", podGroupCRD, "--ignore-not-found", "--wait=true", "--timeout=90s"); err != nil {
		t.Errorf("deleting the PodGroup CRD: %v\n%s", err, out)
	}
	e.waitPodGroups(t, false)
}

// installPodGroupCRD installs the CRD until the test ends.
func (e *env) installPodGroupCRD(t *testing.T) {
	t.Helper()
	t.Cleanup(func() { e.removePodGroupCRD(t) })
	e.apply(t, "default", podGroupCRDManifest)
	e.must(t, "wait", "--for=condition=Established", "crd/"+podGroupCRD, "--timeout=60s")
	e.waitPodGroups(t, true)
}

// getJSON decodes `kubectl get` of one object.
func (s *submitEnv) getJSON(t *testing.T, what string, into any) {
	t.Helper()
	out := s.must(t, "-n", s.ns, "get", what, "-o", "json")
	if err := json.Unmarshal([]byte(out), into); err != nil {
		t.Fatalf("decoding %s: %v", what, err)
	}
}

// nothingCreated fails if the namespace has any pod, or any Service,
// ConfigMap or Secret of an application.
func (s *submitEnv) nothingCreated(t *testing.T) {
	t.Helper()
	if got := strings.TrimSpace(s.must(t, "-n", s.ns, "get", "pods", "-o", "name")); got != "" {
		t.Errorf("pods were created: %s", got)
	}
	for _, kind := range []string{"services", "configmaps", "secrets"} {
		if got := strings.TrimSpace(s.must(t, "-n", s.ns, "get", kind, "-l", "spark-app-selector", "-o", "name")); got != "" {
			t.Errorf("%s were created: %s", kind, got)
		}
	}
}

// Volcano: without the CRD submit refuses and creates nothing; with it the
// PodGroup exists before the driver, has the template's spec, and is owned
// by the driver pod (and deleted with it); driver and executor pods are
// annotated with it; the driver's own scheduler name wins over the
// global one, which the executors get.
func TestVolcanoPodGroup(t *testing.T) {
	s := newSubmitEnv(t)
	s.lockPodGroupCRD(t)
	if s.podGroupsServed() {
		// Left by a run that was killed: this test needs it absent first.
		s.removePodGroupCRD(t)
	}
	template := filepath.Join(t.TempDir(), "podgroup.yaml")
	if err := os.WriteFile(template, []byte(`apiVersion: scheduling.volcano.sh/v1beta1
kind: PodGroup
metadata:
  labels:
    team: data
spec:
  minMember: 1
  minResources:
    cpu: 300m
    memory: 2Gi
  priorityClassName: e2e-priority
  queue: e2e-queue
`), 0o644); err != nil {
		t.Fatal(err)
	}
	args := append(s.base("volcano",
		"--conf", "spark.executor.instances=2",
		"--conf", "spark.kubernetes.submission.waitAppCompletion=false",
		"--conf", "spark.kubernetes.scheduler.name=volcano",
		"--conf", "spark.kubernetes.driver.scheduler.name=default-scheduler",
		"--conf", "spark.kubernetes.driver.pod.featureSteps="+volcanoStep,
		"--conf", "spark.kubernetes.executor.pod.featureSteps="+volcanoStep,
		"--conf", "spark.kubernetes.scheduler.volcano.podGroupTemplateFile="+template,
	), "local:///opt/gospark/examples/sparkpi", "1000")

	out, code := s.submit(t, args...)
	if code != 1 {
		t.Errorf("submit without the PodGroup CRD exited %d, want 1", code)
	}
	for _, want := range []string{"podgroups.scheduling.volcano.sh", "install Volcano", "spark.kubernetes.driver.pod.featureSteps=" + volcanoStep, "nothing was created"} {
		if !strings.Contains(out, want) {
			t.Errorf("submit without the CRD does not say %q", want)
		}
	}
	s.nothingCreated(t)

	s.installPodGroupCRD(t)
	if _, code := s.submit(t, args...); code != 0 {
		t.Fatalf("submit exited %d", code)
	}
	drivers := s.pods(t, "spark-role=driver")
	if len(drivers) != 1 {
		t.Fatalf("%d driver pods, want 1", len(drivers))
	}
	driver := drivers[0]
	group := driver.Labels["spark-app-selector"] + "-podgroup"
	if driver.Annotations[groupAnnot] != group || driver.Spec.SchedulerName != "default-scheduler" {
		t.Errorf("driver pod: annotations %v, schedulerName %q; want %s=%s and default-scheduler (the driver's own name wins)",
			driver.Annotations, driver.Spec.SchedulerName, groupAnnot, group)
	}
	var pg struct {
		Metadata struct {
			Labels          map[string]string `json:"labels"`
			CreationTime    time.Time         `json:"creationTimestamp"`
			OwnerReferences []struct {
				Kind       string `json:"kind"`
				Name       string `json:"name"`
				UID        string `json:"uid"`
				Controller bool   `json:"controller"`
			} `json:"ownerReferences"`
		} `json:"metadata"`
		Spec struct {
			MinMember         int               `json:"minMember"`
			MinResources      map[string]string `json:"minResources"`
			PriorityClassName string            `json:"priorityClassName"`
			Queue             string            `json:"queue"`
		} `json:"spec"`
	}
	s.getJSON(t, "podgroups.scheduling.volcano.sh/"+group, &pg)
	if pg.Spec.Queue != "e2e-queue" || pg.Spec.MinMember != 1 || pg.Spec.PriorityClassName != "e2e-priority" ||
		pg.Spec.MinResources["cpu"] != "300m" || pg.Spec.MinResources["memory"] != "2Gi" {
		t.Errorf("PodGroup spec %+v: want the template's", pg.Spec)
	}
	if pg.Metadata.Labels["team"] != "data" || pg.Metadata.Labels["spark-app-selector"] != driver.Labels["spark-app-selector"] {
		t.Errorf("PodGroup labels %v", pg.Metadata.Labels)
	}
	if refs := pg.Metadata.OwnerReferences; len(refs) != 1 || refs[0].Kind != "Pod" || refs[0].Name != driver.Name || refs[0].UID != string(driver.UID) || !refs[0].Controller {
		t.Errorf("PodGroup owned by %+v, want the driver pod %s (%s)", refs, driver.Name, driver.UID)
	}
	if pg.Metadata.CreationTime.After(driver.CreationTimestamp.Time) {
		t.Errorf("PodGroup created at %s, after the driver pod (%s)", pg.Metadata.CreationTime, driver.CreationTimestamp)
	}

	// The driver runs (default scheduler) and asks for executors, which
	// wait for a Volcano scheduler that is not there.
	deadline := time.Now().Add(90 * time.Second)
	var execs []corev1.Pod
	for {
		execs = s.pods(t, "spark-role=executor")
		if len(execs) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d executor pods after 90s, want 2\n%s", len(execs), s.must(t, "-n", s.ns, "get", "pods"))
		}
		time.Sleep(time.Second)
	}
	for _, p := range execs {
		if p.Spec.SchedulerName != "volcano" || p.Annotations[groupAnnot] != group {
			t.Errorf("executor pod %s: schedulerName %q, annotations %v; want volcano and %s=%s", p.Name, p.Spec.SchedulerName, p.Annotations, groupAnnot, group)
		}
		if p.Spec.NodeName != "" {
			t.Errorf("executor pod %s was scheduled to %s by another scheduler", p.Name, p.Spec.NodeName)
		}
	}

	// Owned by the driver pod, the PodGroup goes with it.
	s.must(t, "-n", s.ns, "delete", "pod", driver.Name, "--wait=false")
	deadline = time.Now().Add(90 * time.Second)
	for {
		out, err := s.run("-n", s.ns, "get", "podgroups.scheduling.volcano.sh", "-o", "name")
		if err == nil && strings.TrimSpace(out) == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("PodGroup still there 90s after its driver pod was deleted: %v\n%s", err, out)
		}
		time.Sleep(time.Second)
	}
}

// YuniKorn as Spark's documentation sets it up: the scheduler name, the
// queue label and the app-id annotation ({{APP_ID}}) reach the driver pod,
// which stays Pending since no YuniKorn scheduler runs.
func TestYuniKornSettings(t *testing.T) {
	s := newSubmitEnv(t)
	_, code := s.submit(t, append(s.base("yunikorn",
		"--conf", "spark.executor.instances=1",
		"--conf", "spark.kubernetes.submission.waitAppCompletion=false",
		"--conf", "spark.kubernetes.scheduler.name=yunikorn",
		"--conf", "spark.kubernetes.driver.label.queue=root.default",
		"--conf", "spark.kubernetes.executor.label.queue=root.default",
		"--conf", "spark.kubernetes.driver.annotation.yunikorn.apache.org/app-id={{APP_ID}}",
		"--conf", "spark.kubernetes.executor.annotation.yunikorn.apache.org/app-id={{APP_ID}}",
	), "local:///opt/gospark/examples/sparkpi")...)
	if code != 0 {
		t.Fatalf("submit exited %d", code)
	}
	drivers := s.pods(t, "spark-role=driver")
	if len(drivers) != 1 {
		t.Fatalf("%d driver pods, want 1", len(drivers))
	}
	d := drivers[0]
	app := d.Labels["spark-app-selector"]
	if d.Spec.SchedulerName != "yunikorn" || d.Labels["queue"] != "root.default" || d.Annotations["yunikorn.apache.org/app-id"] != app {
		t.Errorf("driver pod: schedulerName %q, labels %v, annotations %v; want yunikorn, queue=root.default, yunikorn.apache.org/app-id=%s",
			d.Spec.SchedulerName, d.Labels, d.Annotations, app)
	}
	if d.Status.Phase != corev1.PodPending || d.Spec.NodeName != "" {
		t.Errorf("driver pod %s on node %q: no scheduler named yunikorn runs", d.Status.Phase, d.Spec.NodeName)
	}
	// The executors' settings reach the driver, which builds their pods.
	var cm corev1.ConfigMap
	s.getJSON(t, "configmap/"+strings.TrimSuffix(d.Name, "-driver")+"-driver-conf", &cm)
	for _, want := range []string{"spark.kubernetes.executor.label.queue=root.default", "spark.kubernetes.executor.annotation.yunikorn.apache.org/app-id={{APP_ID}}", "spark.kubernetes.scheduler.name=yunikorn"} {
		found := false
		for _, v := range cm.Data {
			found = found || strings.Contains(v, want)
		}
		if !found {
			t.Errorf("the driver's properties lack %s", want)
		}
	}
}
