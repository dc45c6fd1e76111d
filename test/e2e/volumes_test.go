//go:build e2e

package e2e

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// storageClass is hack/provisioner's class, which hack/cluster up creates.
const storageClass = "gospark-hostpath"

// onDemandLocalDir makes the executors' local directory an on-demand
// claim of the test cluster's provisioner, mounted at /data.
func onDemandLocalDir(extra ...string) []string {
	const v = "spark.kubernetes.executor.volumes.persistentVolumeClaim.spark-local-dir-1."
	return append([]string{
		"--conf", v + "mount.path=/data",
		"--conf", v + "options.claimName=OnDemand",
		"--conf", v + "options.storageClass=" + storageClass,
		"--conf", v + "options.sizeLimit=1Gi",
		// Both executors register before the first job, so that both
		// write map output.
		"--conf", "spark.scheduler.minRegisteredResourcesRatio=1",
	}, extra...)
}

func (s *submitEnv) needStorageClass(t *testing.T) {
	t.Helper()
	if _, err := s.run("get", "storageclass", storageClass); err != nil {
		t.Fatalf("no StorageClass %s: the test cluster's provisioner (hack/provisioner) is not running; hack/cluster up starts it", storageClass)
	}
}

// claimsOf lists the namespace's claims by name.
func (s *submitEnv) claimsOf(t *testing.T) map[string]corev1.PersistentVolumeClaim {
	t.Helper()
	var list corev1.PersistentVolumeClaimList
	if err := json.Unmarshal([]byte(s.must(t, "-n", s.ns, "get", "pvc", "-o", "json")), &list); err != nil {
		t.Fatal(err)
	}
	out := map[string]corev1.PersistentVolumeClaim{}
	for _, c := range list.Items {
		out[c.Name] = c
	}
	return out
}

// localDirClaim is the claim an executor pod's spark-local-dir-1 mounts.
func localDirClaim(t *testing.T, p corev1.Pod) string {
	t.Helper()
	for _, v := range p.Spec.Volumes {
		if v.Name == "spark-local-dir-1" && v.PersistentVolumeClaim != nil {
			return v.PersistentVolumeClaim.ClaimName
		}
	}
	t.Fatalf("pod %s mounts no claim as spark-local-dir-1: %+v", p.Name, p.Spec.Volumes)
	return ""
}

// waitBound waits until claim name is Bound and returns it.
func (s *submitEnv) waitBound(t *testing.T, name string) corev1.PersistentVolumeClaim {
	t.Helper()
	s.waitFor(t, s.ns, "pvc/"+name, "{.status.phase}", "Bound", 2*time.Minute)
	return s.claimsOf(t)[name]
}

// shuffleFilesOn counts the shuffle data files in the host directory of
// the volume bound to claim c (hack/provisioner's volumes are hostPath
// directories on this machine).
func (s *submitEnv) shuffleFilesOn(t *testing.T, c corev1.PersistentVolumeClaim) (string, int) {
	t.Helper()
	var pv corev1.PersistentVolume
	if err := json.Unmarshal([]byte(s.must(t, "get", "pv", c.Spec.VolumeName, "-o", "json")), &pv); err != nil {
		t.Fatal(err)
	}
	if pv.Spec.HostPath == nil {
		t.Fatalf("volume %s of claim %s is not a hostPath volume: %+v", pv.Name, c.Name, pv.Spec.PersistentVolumeSource)
	}
	n := 0
	err := filepath.WalkDir(pv.Spec.HostPath.Path, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".data") {
			n++
		}
		return err
	})
	if err != nil {
		t.Fatalf("reading volume %s's directory: %v", pv.Name, err)
	}
	return pv.Spec.HostPath.Path, n
}

var localDirsLine = regexp.MustCompile(`localdirs pod=(\S+) dirs=(\S*) shuffleFiles=(\d+)`)

// reports are the executors' "localdirs" lines of the driver's log: pod ->
// the line's dirs and file count.
func reports(log string) map[string][2]string {
	out := map[string][2]string{}
	for _, m := range localDirsLine.FindAllStringSubmatch(log, -1) {
		out[m[1]] = [2]string{m[2], m[3]}
	}
	return out
}

func ownerName(c corev1.PersistentVolumeClaim) string {
	if len(c.OwnerReferences) != 1 {
		return ""
	}
	return c.OwnerReferences[0].Kind + "/" + c.OwnerReferences[0].Name
}

// Acceptance 3 (driver-owned claims, the default): executors whose local
// directory is an on-demand claim write their shuffle there; the claims
// are Bound and owned by the driver pod; an executor deleted mid-job is
// replaced by one that mounts its claim.
func TestOnDemandClaimsOwnedByTheDriver(t *testing.T) {
	s := newSubmitEnv(t)
	s.needStorageClass(t)
	app := s.testApp(t)
	r := s.submitAsync(t, append(s.base("on-demand", append(app, onDemandLocalDir("--conf", "spark.executor.instances=2")...)...),
		"local:///opt/gospark/examples/sparktest", "localdirs", "8", "150")...)
	s.waitForLog(t, r, "map stage done", 4*time.Minute)
	driver := s.driverPod(t)
	log := s.liveDriverLog()
	execs := s.pods(t, "spark-role=executor")
	if len(execs) != 2 {
		t.Fatalf("%d executor pods, want 2", len(execs))
	}
	rep := reports(log)
	claimOf := map[string]string{}
	for _, p := range execs {
		name := localDirClaim(t, p)
		claimOf[p.Name] = name
		if want := p.Name + "-pvc-0"; name != want {
			t.Errorf("pod %s mounts claim %s, want %s (Spark's name)", p.Name, name, want)
		}
		c := s.waitBound(t, name)
		if got := ownerName(c); got != "Pod/"+driver {
			t.Errorf("claim %s is owned by %q, want the driver pod %s", name, got, driver)
		}
		if c.Spec.StorageClassName == nil || *c.Spec.StorageClassName != storageClass ||
			len(c.Spec.AccessModes) != 1 || c.Spec.AccessModes[0] != corev1.ReadWriteOncePod {
			t.Errorf("claim %s: class %v, access modes %v", name, c.Spec.StorageClassName, c.Spec.AccessModes)
		}
		dir, n := s.shuffleFilesOn(t, c)
		t.Logf("executor pod %s: claim %s, volume %s, %d shuffle data files; it reports %v", p.Name, name, dir, n, rep[p.Name])
		if n == 0 {
			t.Errorf("no shuffle data file on claim %s of executor pod %s (%s)", name, p.Name, dir)
		}
		if got := rep[p.Name]; got[0] != "/data" || got[1] == "0" {
			t.Errorf("executor pod %s reports local dirs %q with %s shuffle files, want /data with some", p.Name, got[0], got[1])
		}
	}

	// An executor deleted mid-job: its replacement gets its claim.
	victim := execs[0].Name
	s.must(t, "-n", s.ns, "delete", "pod", victim, "--wait=true")
	var replacement corev1.Pod
	deadline := time.Now().Add(3 * time.Minute)
	for replacement.Name == "" {
		for _, p := range s.pods(t, "spark-role=executor") {
			if _, old := claimOf[p.Name]; !old && p.Status.Phase == corev1.PodRunning {
				replacement = p
			}
		}
		if time.Now().After(deadline) {
			desc, _ := s.run("-n", s.ns, "describe", "pods", "-l", "spark-role=executor")
			t.Fatalf("no replacement executor running 3 minutes after %s was deleted:\n%s\n%s", victim, desc, s.liveDriverLog())
		}
		time.Sleep(time.Second)
	}
	if got := localDirClaim(t, replacement); got != claimOf[victim] {
		t.Errorf("replacement %s mounts claim %s, want %s, the claim of deleted executor %s", replacement.Name, got, claimOf[victim], victim)
	}
	if n := len(s.claimsOf(t)); n != 2 {
		t.Errorf("%d claims after the replacement, want 2 (no new one)", n)
	}
	s.must(t, "-n", s.ns, "exec", driver, "-c", "spark-kubernetes-driver", "--", "/opt/gospark/examples/sparktest", "release")
	if _, code := r.wait(t); code != 0 {
		t.Fatalf("submit exited %d", code)
	}
	log = s.driverLog(t)
	if !strings.Contains(log, "localdirs total=8000") {
		t.Errorf("driver log lacks %q:\n%s", "localdirs total=8000", log)
	}
	if !strings.Contains(log, "executor pod reuses a claim") {
		t.Errorf("the driver did not log the claim's reuse:\n%s", log)
	}
	s.noExecutorRunning(t)
}

// Acceptance 3 (pod-owned claims): with
// spark.kubernetes.driver.ownPersistentVolumeClaim=false each executor pod
// owns its claim, which goes with it. The driver's own on-demand claim is
// made by submit with the driver pod, which owns it.
func TestOnDemandClaimsOwnedByTheExecutor(t *testing.T) {
	s := newSubmitEnv(t)
	s.needStorageClass(t)
	app := s.testApp(t)
	r := s.submitAsync(t, append(s.base("on-demand-pod", append(app, onDemandLocalDir(
		"--conf", "spark.executor.instances=1",
		"--conf", "spark.kubernetes.driver.ownPersistentVolumeClaim=false",
		"--conf", "spark.kubernetes.driver.volumes.persistentVolumeClaim.data.mount.path=/driver-data",
		"--conf", "spark.kubernetes.driver.volumes.persistentVolumeClaim.data.options.claimName=OnDemand",
		"--conf", "spark.kubernetes.driver.volumes.persistentVolumeClaim.data.options.sizeLimit=1Gi")...)...),
		"local:///opt/gospark/examples/sparktest", "localdirs", "4", "150")...)
	s.waitForLog(t, r, "map stage done", 4*time.Minute)
	driver := s.driverPod(t)
	// The driver's claim, of the cluster's default class: named from the
	// resource prefix (the driver pod's name without "-driver").
	dc := s.waitBound(t, driver+"-pvc-0")
	if got := ownerName(dc); got != "Pod/"+driver || dc.Labels["spark-role"] != "driver" {
		t.Errorf("driver claim %s: owner %q, labels %v; want the driver pod", dc.Name, got, dc.Labels)
	}
	execs := s.pods(t, "spark-role=executor")
	if len(execs) != 1 {
		t.Fatalf("%d executor pods, want 1", len(execs))
	}
	name := localDirClaim(t, execs[0])
	c := s.waitBound(t, name)
	if got := ownerName(c); got != "Pod/"+execs[0].Name || c.OwnerReferences[0].UID != execs[0].UID {
		t.Errorf("claim %s is owned by %q, want executor pod %s", name, got, execs[0].Name)
	}
	dir, n := s.shuffleFilesOn(t, c)
	if n == 0 {
		t.Errorf("no shuffle data file on claim %s (%s)", name, dir)
	}
	s.must(t, "-n", s.ns, "exec", driver, "-c", "spark-kubernetes-driver", "--", "/opt/gospark/examples/sparktest", "release")
	if _, code := r.wait(t); code != 0 {
		t.Fatalf("submit exited %d", code)
	}
	// The executor pod is deleted when the application ends, and its
	// claim with it; the provisioner then deletes the volume's directory.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		_, claimErr := s.run("-n", s.ns, "get", "pvc", name)
		_, dirErr := os.Stat(dir)
		if claimErr != nil && os.IsNotExist(dirErr) {
			break
		}
		if time.Now().After(deadline) {
			left, _ := s.run("-n", s.ns, "get", "pvc,pods")
			t.Fatalf("claim %s (or its directory %s: %v) still there 2 minutes after the application ended:\n%s", name, dir, dirErr, left)
		}
		time.Sleep(time.Second)
	}
}

// Found when tried: the staging server kept bundles in an emptyDir, so
// deleting its pod lost them and an executor replaced later could not
// fetch its files. On its claim, the bundles survive: the staging
// server's pod is deleted while the application runs, then an executor;
// the replacement's init-container fetches from the new staging server
// pod, the job completes, and the new pod deletes the bundle when the
// application's pods are gone.
func TestStagingServerKeepsBundlesAcrossItsPod(t *testing.T) {
	s := newSubmitEnv(t)
	s.needStorageClass(t)
	s.stagingServer(t)
	app := s.testApp(t)
	file := filepath.Join(t.TempDir(), "lookup.txt")
	if err := os.WriteFile(file, []byte("staged for executors to come\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := s.submitAsync(t, append(s.base("staged-durable", append(app,
		"--conf", "spark.executor.instances=1",
		"--conf", "spark.kubernetes.resourceStagingServer.uri=http://"+nodeIP+":31000",
		"--files", file)...),
		"local:///opt/gospark/examples/sparktest", "localdirs", "2", "150")...)
	s.waitForLog(t, r, "map stage done", 4*time.Minute)
	published := s.must(t, "-n", "default", "logs", "deployment/spark-resource-staging-server")
	m := regexp.MustCompile(`msg="bundle published" id=([0-9a-f]+) namespace=` + s.ns).FindStringSubmatch(published)
	if m == nil {
		t.Fatalf("the staging server did not log the application's upload:\n%s", published)
	}
	bundle := m[1]

	// The staging server's pod goes; the Deployment makes another, which
	// mounts the same claim.
	const sel = "resource-staging-server-instance=default"
	var before corev1.PodList
	if err := json.Unmarshal([]byte(s.must(t, "-n", "default", "get", "pods", "-l", sel, "-o", "json")), &before); err != nil || len(before.Items) != 1 {
		t.Fatalf("staging server pods: %v, %d", err, len(before.Items))
	}
	old := before.Items[0].Name
	s.must(t, "-n", "default", "delete", "pod", old, "--wait=true")
	s.must(t, "-n", "default", "rollout", "status", "deployment/spark-resource-staging-server", "--timeout=120s")
	s.waitNodePort(t, "http://"+nodeIP+":31000/healthz")

	// An executor deleted now is replaced by one whose init-container
	// fetches the bundle from the new staging server pod.
	execs := s.pods(t, "spark-role=executor")
	if len(execs) != 1 {
		t.Fatalf("%d executor pods, want 1", len(execs))
	}
	s.must(t, "-n", s.ns, "delete", "pod", execs[0].Name, "--wait=true")
	var replacement corev1.Pod
	deadline := time.Now().Add(3 * time.Minute)
	for replacement.Name == "" {
		for _, p := range s.pods(t, "spark-role=executor") {
			if p.Name != execs[0].Name && p.Status.Phase == corev1.PodRunning {
				replacement = p
			}
		}
		if time.Now().After(deadline) {
			desc, _ := s.run("-n", s.ns, "describe", "pods", "-l", "spark-role=executor")
			t.Fatalf("no replacement executor running 3 minutes after %s was deleted:\n%s", execs[0].Name, desc)
		}
		time.Sleep(time.Second)
	}
	if len(replacement.Status.InitContainerStatuses) == 0 {
		t.Fatalf("replacement %s has no init-container", replacement.Name)
	}
	for _, st := range replacement.Status.InitContainerStatuses {
		if st.State.Terminated == nil || st.State.Terminated.ExitCode != 0 {
			t.Errorf("replacement %s: init-container %s: %+v", replacement.Name, st.Name, st.State)
		}
	}
	s.must(t, "-n", s.ns, "exec", s.driverPod(t), "-c", "spark-kubernetes-driver", "--", "/opt/gospark/examples/sparktest", "release")
	if _, code := r.wait(t); code != 0 {
		t.Fatalf("submit exited %d", code)
	}
	if log := s.driverLog(t); !strings.Contains(log, "localdirs total=2000") {
		t.Errorf("driver log lacks %q:\n%s", "localdirs total=2000", log)
	}
	// The new pod found the bundle on its claim and served it to the
	// replacement, and deletes it once the application's pods are gone.
	served := s.must(t, "-n", "default", "logs", "deployment/spark-resource-staging-server")
	if lineWith(served, "bundle served", bundle) == "" {
		t.Errorf("the new staging server pod did not serve bundle %s:\n%s", bundle, served)
	}
	s.must(t, "-n", s.ns, "delete", "pod", s.driverPod(t), "--wait=true")
	deadline = time.Now().Add(90 * time.Second)
	for {
		log := s.must(t, "-n", "default", "logs", "deployment/spark-resource-staging-server")
		if line := lineWith(log, bundle, "bundle deleted"); line != "" {
			t.Logf("staging server: %s", line)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the new staging server pod did not delete bundle %s within 90 s of the driver pod's deletion:\n%s", bundle, log)
		}
		time.Sleep(time.Second)
	}
}
