package driverpod

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/gospark/gospark/internal/clustermgr"
	"github.com/gospark/gospark/internal/config"
	"github.com/gospark/gospark/internal/k8s/pods"
	"github.com/gospark/gospark/internal/launch"
)

const (
	appNS      = "spark-ns"
	shuffleNS  = "shuffle-ns"
	driverName = "spark-pi-driver"
	// The labels of conf/kubernetes-shuffle-service.yaml's pods.
	shuffleLabels = "app=spark-shuffle-service,spark-version=2.2.0"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// testConf is a driver pod's configuration, with extra properties set.
func testConf(t *testing.T, kv ...string) *config.Conf {
	t.Helper()
	c := config.New()
	base := []string{
		"spark.app.name", "spark-pi",
		"spark.kubernetes.namespace", appNS,
		"spark.kubernetes.driver.pod.name", driverName,
		"spark.kubernetes.executor.podNamePrefix", "spark-pi",
		"spark.kubernetes.container.image", "gospark:dev",
	}
	kv = append(base, kv...)
	for i := 0; i+1 < len(kv); i += 2 {
		if err := c.Set(kv[i], kv[i+1]); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

func shuffleConf(t *testing.T, kv ...string) *config.Conf {
	t.Helper()
	return testConf(t, append([]string{
		"spark.shuffle.service.enabled", "true",
		"spark.kubernetes.shuffle.namespace", shuffleNS,
		"spark.kubernetes.shuffle.labels", shuffleLabels,
	}, kv...)...)
}

func driverPod() *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: driverName, Namespace: appNS, UID: "driver-uid",
		CreationTimestamp: metav1.Time{Time: time.Unix(1700000000, 0)}}}
}

// shufflePod is a pod of conf/kubernetes-shuffle-service.yaml's DaemonSet
// on node, running at ip ("" for a pod that is not running).
func shufflePod(name, node, ip string) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: shuffleNS,
			Labels: map[string]string{"app": "spark-shuffle-service", "spark-version": "2.2.0"}},
		Spec: corev1.PodSpec{
			NodeName: node,
			Volumes: []corev1.Volume{
				{Name: "shuffle-dir", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{
					Path: "/var/lib/gospark/shuffle", Type: new(corev1.HostPathDirectoryOrCreate)}}},
				{Name: "kube-api-access", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{}}},
			},
			Containers: []corev1.Container{{Name: "shuffle", Image: "gospark:dev",
				Ports: []corev1.ContainerPort{{ContainerPort: 7337}},
				VolumeMounts: []corev1.VolumeMount{
					{Name: "kube-api-access", MountPath: "/var/run/secrets/kubernetes.io/serviceaccount"},
					{Name: "shuffle-dir", MountPath: "/var/lib/gospark/shuffle"},
				}}},
		},
		Status: corev1.PodStatus{Phase: corev1.PodPending},
	}
	if ip != "" {
		p.Status.Phase, p.Status.PodIP = corev1.PodRunning, ip
		p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}
	}
	return p
}

// managerWith is a pod manager whose API client is cs.
func managerWith(conf *config.Conf, cs kubernetes.Interface) *podManager {
	m := newPodManager(conf, quiet())
	m.client = func(*config.Conf) (kubernetes.Interface, error) { return cs, nil }
	return m
}

func testApp(instances int) clustermgr.App {
	return clustermgr.App{Launch: launch.Executor{AppID: "spark-app-1", DriverURL: "spark-pi-driver-svc:7078",
		Cores: 1, Conf: "{}", Command: "/opt/gospark/examples/sparkpi"}, Instances: instances}
}

func ctx30s(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestStartWithoutTheShuffleServiceFails(t *testing.T) {
	for _, c := range []struct {
		name string
		conf *config.Conf
		objs []runtime.Object
		want []string
	}{
		{"no pods", shuffleConf(t), nil, []string{
			"spark.shuffle.service.enabled", "spark.kubernetes.shuffle.labels", "spark.kubernetes.shuffle.namespace",
			"namespace " + shuffleNS, shuffleLabels, "kubectl create -f conf/kubernetes-shuffle-service.yaml"}},
		{"pods in another namespace", shuffleConf(t), []runtime.Object{func() *corev1.Pod {
			p := shufflePod("spark-shuffle-abcde", "node-a", "10.0.0.5")
			p.Namespace = "default"
			return p
		}()}, []string{"no pod has the labels " + shuffleLabels, "namespace " + shuffleNS, "kubectl create -f conf/kubernetes-shuffle-service.yaml"}},
		{"labels unset", testConf(t, "spark.shuffle.service.enabled", "true", "spark.kubernetes.shuffle.namespace", shuffleNS),
			[]runtime.Object{shufflePod("spark-shuffle-abcde", "node-a", "10.0.0.5")}, []string{
				"spark.kubernetes.shuffle.labels is not set", "spark.kubernetes.shuffle.namespace", `namespace "` + shuffleNS + `"`,
				"kubectl create -f conf/kubernetes-shuffle-service.yaml"}},
		{"no hostPath volume", shuffleConf(t), []runtime.Object{func() *corev1.Pod {
			p := shufflePod("spark-shuffle-abcde", "node-a", "10.0.0.5")
			p.Spec.Volumes[0].HostPath = nil
			p.Spec.Volumes[0].EmptyDir = &corev1.EmptyDirVolumeSource{}
			return p
		}()}, []string{"shuffle service pod " + shuffleNS + "/spark-shuffle-abcde mounts no hostPath volume"}},
		{"two hostPath volumes", shuffleConf(t), []runtime.Object{func() *corev1.Pod {
			p := shufflePod("spark-shuffle-abcde", "node-a", "10.0.0.5")
			p.Spec.Volumes = append(p.Spec.Volumes, corev1.Volume{Name: "logs",
				VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/var/log"}}})
			p.Spec.Containers[0].VolumeMounts = append(p.Spec.Containers[0].VolumeMounts, corev1.VolumeMount{Name: "logs", MountPath: "/logs"})
			return p
		}()}, []string{"mounts 2 hostPath volumes", "/var/lib/gospark/shuffle at /var/lib/gospark/shuffle", "/var/log at /logs"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			cs := fake.NewClientset(append(c.objs, driverPod())...)
			m := managerWith(c.conf, cs)
			err := m.Start(ctx30s(t), testApp(2))
			if err == nil {
				_ = m.Stop(context.Background())
				t.Fatal("Start succeeded")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if got := createdPods(t, cs); len(got) != 0 {
				t.Errorf("executor pods created after Start failed: %v", got)
			}
		})
	}
}

func createdPods(t *testing.T, cs *fake.Clientset) []string {
	t.Helper()
	var out []string
	for _, a := range cs.Actions() {
		if c, ok := a.(k8stesting.CreateActionImpl); ok && c.GetResource().Resource == "pods" {
			out = append(out, c.GetObject().(*corev1.Pod).Name)
		}
	}
	return out
}

// waitForPods waits until n executor pods were created through w and
// returns them.
func waitForPods(t *testing.T, w watch.Interface, n int) []*corev1.Pod {
	t.Helper()
	var out []*corev1.Pod
	timeout := time.After(30 * time.Second)
	for len(out) < n {
		select {
		case ev := <-w.ResultChan():
			if p, ok := ev.Object.(*corev1.Pod); ok && ev.Type == watch.Added && p.Labels[pods.LabelRole] == "executor" {
				out = append(out, p)
			}
		case <-timeout:
			t.Fatalf("%d executor pods created after 30 s, want %d", len(out), n)
		}
	}
	return out
}

// startManager starts a pod manager on cs and waits for its n executor
// pods.
func startManager(t *testing.T, conf *config.Conf, cs *fake.Clientset, n int) (*podManager, []*corev1.Pod) {
	t.Helper()
	ctx := ctx30s(t)
	w, err := cs.CoreV1().Pods(appNS).Watch(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	m := managerWith(conf, cs)
	if err := m.Start(ctx, testApp(n)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Stop(context.Background()) })
	return m, waitForPods(t, w, n)
}

func TestExecutorPodsGetTheShuffleServicesDirectory(t *testing.T) {
	cs := fake.NewClientset(driverPod(), shufflePod("spark-shuffle-b", "node-b", ""), shufflePod("spark-shuffle-a", "node-a", "10.0.0.5"))
	_, execs := startManager(t, shuffleConf(t), cs, 2)
	for _, p := range execs {
		var vol *corev1.Volume
		for i := range p.Spec.Volumes {
			if p.Spec.Volumes[i].Name == "spark-shuffle-service-dir" {
				vol = &p.Spec.Volumes[i]
			}
		}
		if vol == nil || vol.HostPath == nil || vol.HostPath.Path != "/var/lib/gospark/shuffle" ||
			vol.HostPath.Type == nil || *vol.HostPath.Type != corev1.HostPathDirectoryOrCreate {
			t.Fatalf("pod %s: shuffle volume %+v, want hostPath /var/lib/gospark/shuffle (DirectoryOrCreate); volumes %+v", p.Name, vol, p.Spec.Volumes)
		}
		ctr := p.Spec.Containers[0]
		if !slices.Contains(ctr.VolumeMounts, corev1.VolumeMount{Name: "spark-shuffle-service-dir", MountPath: "/var/lib/gospark/shuffle"}) {
			t.Fatalf("pod %s: mounts %+v, want spark-shuffle-service-dir at /var/lib/gospark/shuffle", p.Name, ctr.VolumeMounts)
		}
		env := map[string]corev1.EnvVar{}
		for _, e := range ctr.Env {
			env[e.Name] = e
		}
		if got := env[launch.EnvShuffleDir]; got.Value != "/var/lib/gospark/shuffle" {
			t.Fatalf("pod %s: %s = %+v, want /var/lib/gospark/shuffle", p.Name, launch.EnvShuffleDir, got)
		}
		if got := env[launch.EnvHost]; got.ValueFrom == nil || got.ValueFrom.FieldRef == nil || got.ValueFrom.FieldRef.FieldPath != "spec.nodeName" {
			t.Fatalf("pod %s: %s = %+v, want the downward API's spec.nodeName", p.Name, launch.EnvHost, got)
		}
		if got := env[launch.EnvBindHost]; got.ValueFrom == nil || got.ValueFrom.FieldRef.FieldPath != "status.podIP" {
			t.Fatalf("pod %s: %s = %+v, want the pod IP still", p.Name, launch.EnvBindHost, got)
		}
	}
}

func TestExecutorPodsWithoutTheShuffleService(t *testing.T) {
	cs := fake.NewClientset(driverPod(), shufflePod("spark-shuffle-a", "node-a", "10.0.0.5"))
	m, execs := startManager(t, testConf(t), cs, 1)
	p := execs[0]
	for _, v := range p.Spec.Volumes {
		if v.HostPath != nil {
			t.Fatalf("pod %s has hostPath volume %+v without spark.shuffle.service.enabled", p.Name, v)
		}
	}
	for _, e := range p.Spec.Containers[0].Env {
		if e.Name == launch.EnvShuffleDir || e.Name == launch.EnvHost {
			t.Fatalf("pod %s has %s without spark.shuffle.service.enabled", p.Name, e.Name)
		}
	}
	_, err := m.ShuffleService(ctx30s(t), "1", "node-a")
	if err == nil || !strings.Contains(err.Error(), "spark.shuffle.service.enabled is false") {
		t.Fatalf("ShuffleService without the service: %v, want an error saying spark.shuffle.service.enabled is false", err)
	}
}

func TestShuffleDirCollisions(t *testing.T) {
	d := shuffleDir{HostPath: "/var/lib/gospark/shuffle", MountPath: "/data"}
	tmpl := executorPod{conf: testConf(t, "spark.kubernetes.executor.volumes.emptyDir.scratch.mount.path", "/data"),
		contract: testApp(1).Launch, namespace: appNS, prefix: "spark-pi", shuffle: &d}
	if _, err := tmpl.build("1"); err == nil || !strings.Contains(err.Error(), "scratch is mounted at /data") {
		t.Fatalf("executor pod with a volume where the shuffle directory goes: %v, want an error naming the volume", err)
	}
	d.SubPath = "apps"
	tmpl.conf = testConf(t)
	p, err := tmpl.build("1")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(p.Spec.Containers[0].VolumeMounts, corev1.VolumeMount{Name: "spark-shuffle-service-dir", MountPath: "/data", SubPath: "apps"}) {
		t.Fatalf("mounts %+v, want the service's subPath too", p.Spec.Containers[0].VolumeMounts)
	}
}

// lookupManager is a pod manager that finds shuffle services through cs,
// without starting executors.
func lookupManager(t *testing.T, cs kubernetes.Interface, kv ...string) (*podManager, *shuffleServices) {
	t.Helper()
	conf := shuffleConf(t, kv...)
	s, err := newShuffleServices(conf, cs)
	if err != nil {
		t.Fatal(err)
	}
	m := managerWith(conf, cs)
	m.shuffle = s
	return m, s
}

func TestShuffleServiceLookup(t *testing.T) {
	notReady := shufflePod("spark-shuffle-d", "node-d", "10.0.0.8")
	notReady.Status.Conditions[0].Status = corev1.ConditionFalse
	deleting := shufflePod("spark-shuffle-f", "node-f", "10.0.0.9")
	deleting.DeletionTimestamp = &metav1.Time{Time: time.Unix(1700000000, 0)}
	otherNS := shufflePod("spark-shuffle-x", "node-b", "10.0.1.1")
	otherNS.Namespace = "default"
	unlabelled := shufflePod("something-else", "node-b", "10.0.1.2")
	unlabelled.Labels = map[string]string{"app": "other"}
	cs := fake.NewClientset(
		shufflePod("spark-shuffle-a", "node-a", "10.0.0.5"),
		shufflePod("spark-shuffle-c1", "node-c", "10.0.0.6"), shufflePod("spark-shuffle-c2", "node-c", "10.0.0.7"),
		notReady, shufflePod("spark-shuffle-e", "node-e", ""), deleting, otherNS, unlabelled)
	m, _ := lookupManager(t, cs, "spark.shuffle.service.port", "7447")
	ctx := ctx30s(t)

	addr, err := m.ShuffleService(ctx, "1", "node-a")
	if err != nil || addr != "10.0.0.5:7447" {
		t.Fatalf("ShuffleService(1, node-a) = %q, %v; want 10.0.0.5:7447", addr, err)
	}
	var fieldSelectors []string
	for _, a := range cs.Actions() {
		if l, ok := a.(k8stesting.ListActionImpl); ok {
			if l.Namespace != shuffleNS {
				t.Fatalf("listed pods in %q, want %q", l.Namespace, shuffleNS)
			}
			fieldSelectors = append(fieldSelectors, l.ListOptions.FieldSelector)
		}
	}
	if !slices.Equal(fieldSelectors, []string{"spec.nodeName=node-a"}) {
		t.Fatalf("field selectors of the listings: %q, want spec.nodeName=node-a", fieldSelectors)
	}

	const where = "with labels " + shuffleLabels + " in namespace " + shuffleNS + " on node "
	const must = "(spark.kubernetes.shuffle.labels must select exactly one pod on each node that runs executors)"
	for _, c := range []struct{ node, want string }{
		{"node-b", "no shuffle service pod " + where + "node-b " + must},
		{"node-c", "2 shuffle service pods " + where + "node-c: spark-shuffle-c1, spark-shuffle-c2 " + must},
		{"node-d", "no shuffle service pod " + where + "node-d; not running and ready: spark-shuffle-d (Running) " + must},
		{"node-e", "no shuffle service pod " + where + "node-e; not running and ready: spark-shuffle-e (Pending) " + must},
		{"node-f", "no shuffle service pod " + where + "node-f; not running and ready: spark-shuffle-f (Running) " + must},
	} {
		addr, err := m.ShuffleService(ctx, "2", c.node)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "executor 2") {
			t.Errorf("ShuffleService(2, %s) = %q, %v; want an error about executor 2 with %q", c.node, addr, err, c.want)
		}
	}
	if _, err := m.ShuffleService(ctx, "3", ""); err == nil || !strings.Contains(err.Error(), launch.EnvHost) {
		t.Errorf("ShuffleService without a host: %v, want an error naming %s", err, launch.EnvHost)
	}
}

func TestShuffleServiceLookupIsNotKeptLong(t *testing.T) {
	cs := fake.NewClientset(shufflePod("spark-shuffle-a", "node-a", "10.0.0.5"))
	m, s := lookupManager(t, cs)
	now := time.Unix(1700000000, 0)
	s.now = func() time.Time { return now }
	ctx := ctx30s(t)
	if addr, err := m.ShuffleService(ctx, "1", "node-a"); err != nil || addr != "10.0.0.5:7337" {
		t.Fatalf("ShuffleService = %q, %v; want 10.0.0.5:7337", addr, err)
	}
	// The DaemonSet's pod is replaced and comes back with a new address.
	if err := cs.CoreV1().Pods(shuffleNS).Delete(ctx, "spark-shuffle-a", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CoreV1().Pods(shuffleNS).Create(ctx, shufflePod("spark-shuffle-a2", "node-a", "10.0.0.50"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Second)
	if addr, err := m.ShuffleService(ctx, "2", "node-a"); err != nil || addr != "10.0.0.5:7337" {
		t.Fatalf("ShuffleService a second later = %q, %v; want the address just found, 10.0.0.5:7337", addr, err)
	}
	now = now.Add(shuffleTTL)
	if addr, err := m.ShuffleService(ctx, "3", "node-a"); err != nil || addr != "10.0.0.50:7337" {
		t.Fatalf("ShuffleService %s later = %q, %v; want the new pod's 10.0.0.50:7337", shuffleTTL+time.Second, addr, err)
	}
}

func TestShuffleServiceForbiddenSaysHowToGrant(t *testing.T) {
	cs := fake.NewClientset()
	cs.PrependReactor("list", "pods", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, "", errors.New("RBAC: access denied"))
	})
	m, _ := lookupManager(t, cs, "spark.kubernetes.authenticate.driver.serviceAccountName", "spark")
	_, err := m.ShuffleService(ctx30s(t), "1", "node-a")
	if !apierrors.IsForbidden(err) {
		t.Fatalf("ShuffleService refused by RBAC: %v, want the Forbidden error", err)
	}
	want := "kubectl create rolebinding spark-shuffle-lookup --clusterrole=view --serviceaccount=" + appNS + ":spark -n " + shuffleNS
	if !strings.Contains(err.Error(), want) {
		t.Fatalf("error %q does not say how to grant the right (%q)", err, want)
	}
}

// podActions are the patches and deletions of executor pods cs received,
// in order: "patch NAME PATCH" and "delete NAME GRACE" (GRACE -1: none).
func podActions(cs *fake.Clientset) []string {
	var out []string
	for _, a := range cs.Actions() {
		switch a := a.(type) {
		case k8stesting.PatchActionImpl:
			out = append(out, "patch "+a.Name+" "+string(a.Patch))
		case k8stesting.DeleteActionImpl:
			g := int64(-1)
			if a.DeleteOptions.GracePeriodSeconds != nil {
				g = *a.DeleteOptions.GracePeriodSeconds
			}
			out = append(out, "delete "+a.Name+" "+strconv.FormatInt(g, 10))
		}
	}
	return out
}

func TestDecommission(t *testing.T) {
	for _, c := range []struct {
		name string
		conf []string
		want []string
	}{
		{"label and force-kill timeout", []string{
			"spark.kubernetes.executor.decommissionLabel", "spark.example.com/decommissioning",
			"spark.kubernetes.executor.decommissionLabelValue", "true",
			"spark.executor.decommission.forceKillTimeout", "45s"},
			[]string{`patch spark-pi-exec-2 {"metadata":{"labels":{"spark.example.com/decommissioning":"true"}}}`, "delete spark-pi-exec-2 45"}},
		{"timeout rounded up to seconds", []string{"spark.executor.decommission.forceKillTimeout", "1500ms"},
			[]string{"delete spark-pi-exec-2 2"}},
		{"the pod's own grace period", nil, []string{"delete spark-pi-exec-2 -1"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			cs := fake.NewClientset(driverPod())
			m, _ := startManager(t, testConf(t, c.conf...), cs, 3)
			cs.ClearActions()
			if err := m.Decommission(ctx30s(t), []string{"2"}); err != nil {
				t.Fatal(err)
			}
			if got := podActions(cs); !slices.Equal(got, c.want) {
				t.Fatalf("Decommission(2): %q, want %q", got, c.want)
			}
			if got := m.pods.Target(); got != 2 {
				t.Fatalf("target %d after decommissioning one of 3, want 2", got)
			}
			if c.conf != nil && c.conf[0] == "spark.kubernetes.executor.decommissionLabel" {
				p, err := cs.CoreV1().Pods(appNS).Get(ctx30s(t), "spark-pi-exec-2", metav1.GetOptions{})
				if !apierrors.IsNotFound(err) {
					t.Fatalf("decommissioned pod: %v, %v; want it deleted", p, err)
				}
			}
		})
	}
}

func TestKillDeletesAtOnce(t *testing.T) {
	cs := fake.NewClientset(driverPod())
	m, _ := startManager(t, testConf(t, "spark.executor.decommission.forceKillTimeout", "45s"), cs, 2)
	cs.ClearActions()
	if err := m.Kill(ctx30s(t), []string{"1"}); err != nil {
		t.Fatal(err)
	}
	if got := podActions(cs); !slices.Equal(got, []string{"delete spark-pi-exec-1 0"}) {
		t.Fatalf("Kill(1): %q, want a deletion with no grace period", got)
	}
	if got := m.pods.Target(); got != 2 {
		t.Fatalf("target %d after Kill, want still 2", got)
	}
}

func TestBadDecommissionLabelFailsStart(t *testing.T) {
	for _, c := range []struct{ kv []string }{
		{[]string{"spark.kubernetes.executor.decommissionLabel", "not a label"}},
		{[]string{"spark.kubernetes.executor.decommissionLabel", "spark-exec-id"}},
		{[]string{"spark.kubernetes.executor.decommissionLabel", "decommissioning", "spark.kubernetes.executor.decommissionLabelValue", "no spaces"}},
	} {
		m := managerWith(testConf(t, c.kv...), fake.NewClientset(driverPod()))
		err := m.Start(ctx30s(t), testApp(1))
		if err == nil {
			_ = m.Stop(context.Background())
			t.Fatalf("Start with %v succeeded", c.kv)
		}
		if !strings.Contains(err.Error(), c.kv[len(c.kv)-2]) {
			t.Fatalf("Start with %v: %v, want an error naming %s", c.kv, err, c.kv[len(c.kv)-2])
		}
	}
}

func TestMaxExecutorFailures(t *testing.T) {
	for _, c := range []struct {
		kv        []string
		instances int
		want      int
	}{
		{nil, 3, 6},
		{nil, 1, 3},
		{nil, 0, 3},
		{[]string{"spark.executor.maxNumFailures", "40"}, 3, 40},
		{[]string{"spark.dynamicAllocation.enabled", "true", "spark.dynamicAllocation.maxExecutors", "10"}, 2, 20},
		{[]string{"spark.dynamicAllocation.enabled", "true", "spark.dynamicAllocation.maxExecutors", "1"}, 1, 3},
		{[]string{"spark.dynamicAllocation.enabled", "true"}, 2, math.MaxInt32}, // maxExecutors' default: no limit, as in Spark
		{[]string{"spark.dynamicAllocation.enabled", "true", "spark.executor.maxNumFailures", "9"}, 2, 9},
		{[]string{"spark.dynamicAllocation.maxExecutors", "10"}, 2, 4}, // off: instances count
	} {
		if got := maxExecutorFailures(testConf(t, c.kv...), c.instances); got != c.want {
			t.Errorf("maxExecutorFailures(%v, %d instances) = %d, want %d", c.kv, c.instances, got, c.want)
		}
	}
}
