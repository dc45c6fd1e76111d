package driverpod

import (
	"context"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/gospark/gospark/internal/k8s/pods"
)

const claimApp = "spark-app-1"

// onDemand is an executor local directory on an on-demand claim.
var onDemand = []string{
	"spark.kubernetes.executor.volumes.persistentVolumeClaim.spark-local-dir-1.mount.path", "/data",
	"spark.kubernetes.executor.volumes.persistentVolumeClaim.spark-local-dir-1.options.claimName", "OnDemand",
	"spark.kubernetes.executor.volumes.persistentVolumeClaim.spark-local-dir-1.options.storageClass", "gospark-hostpath",
	"spark.kubernetes.executor.volumes.persistentVolumeClaim.spark-local-dir-1.options.sizeLimit", "1Gi",
}

// claimsFixture is the claims of an application whose executor pods are
// created in a fake API server, as the executor manager creates them:
// newPod, create, created.
type claimsFixture struct {
	t  *testing.T
	cs *fake.Clientset
	c  *claims
}

func newClaimsFixture(t *testing.T, kv ...string) *claimsFixture {
	conf := testConf(t, append(slices.Clone(onDemand), kv...)...)
	cs := fake.NewClientset(driverPod())
	owner := &metav1.OwnerReference{APIVersion: "v1", Kind: "Pod", Name: driverName, UID: "driver-uid", Controller: new(true)}
	build := func(id string) (*corev1.Pod, error) {
		return pods.Build(pods.Input{Conf: conf, Role: pods.Executor, AppID: claimApp, Name: pods.ExecutorPodName("spark-pi", id),
			Namespace: appNS, ExecutorID: id, Owner: owner, Command: []string{"/app"}})
	}
	return &claimsFixture{t: t, cs: cs, c: newClaims(context.Background(), conf, cs, appNS, claimApp, owner, build, quiet())}
}

// start creates the pod of executor id and its claims; it returns the
// claim its local directory mounts.
func (f *claimsFixture) start(id string) string {
	f.t.Helper()
	ctx := context.Background()
	p, err := f.c.newPod(id)
	if err != nil {
		f.t.Fatal(err)
	}
	created, err := f.cs.CoreV1().Pods(appNS).Create(ctx, p, metav1.CreateOptions{})
	if err != nil {
		f.t.Fatal(err)
	}
	// The fake API server gives no uid.
	created.UID = types.UID("uid-" + p.Name)
	if _, err := f.cs.CoreV1().Pods(appNS).Update(ctx, created, metav1.UpdateOptions{}); err != nil {
		f.t.Fatal(err)
	}
	if err := f.c.created(ctx, p); err != nil {
		f.t.Fatal(err)
	}
	for _, v := range p.Spec.Volumes {
		if v.Name == "spark-local-dir-1" {
			return v.PersistentVolumeClaim.ClaimName
		}
	}
	f.t.Fatalf("pod %s has no local dir volume: %+v", p.Name, p.Spec.Volumes)
	return ""
}

// end marks executor id's pod Failed (its containers are gone).
func (f *claimsFixture) end(id string) {
	f.t.Helper()
	ctx := context.Background()
	p, err := f.cs.CoreV1().Pods(appNS).Get(ctx, pods.ExecutorPodName("spark-pi", id), metav1.GetOptions{})
	if err != nil {
		f.t.Fatal(err)
	}
	p.Status.Phase = corev1.PodFailed
	if _, err := f.cs.CoreV1().Pods(appNS).UpdateStatus(ctx, p, metav1.UpdateOptions{}); err != nil {
		f.t.Fatal(err)
	}
}

// age makes every claim older than the batch delay.
func (f *claimsFixture) age() {
	f.t.Helper()
	ctx := context.Background()
	for _, c := range f.claims() {
		c.CreationTimestamp = metav1.Time{Time: time.Now().Add(-time.Minute)}
		if _, err := f.cs.CoreV1().PersistentVolumeClaims(appNS).Update(ctx, &c, metav1.UpdateOptions{}); err != nil {
			f.t.Fatal(err)
		}
	}
}

// fresh makes claim name just created.
func (f *claimsFixture) fresh(name string) {
	f.t.Helper()
	ctx := context.Background()
	c, err := f.cs.CoreV1().PersistentVolumeClaims(appNS).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		f.t.Fatal(err)
	}
	c.CreationTimestamp = metav1.Time{Time: time.Now()}
	if _, err := f.cs.CoreV1().PersistentVolumeClaims(appNS).Update(ctx, c, metav1.UpdateOptions{}); err != nil {
		f.t.Fatal(err)
	}
}

func (f *claimsFixture) claims() []corev1.PersistentVolumeClaim {
	f.t.Helper()
	l, err := f.cs.CoreV1().PersistentVolumeClaims(appNS).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		f.t.Fatal(err)
	}
	return l.Items
}

func ownerOf(c corev1.PersistentVolumeClaim) string {
	if len(c.OwnerReferences) != 1 {
		return ""
	}
	return c.OwnerReferences[0].Name
}

// With ownPersistentVolumeClaim=false each executor pod owns its claim,
// named as Spark names it, and none is reused.
func TestClaimsOwnedByTheExecutorPod(t *testing.T) {
	f := newClaimsFixture(t, "spark.kubernetes.driver.ownPersistentVolumeClaim", "false")
	if got := f.start("1"); got != "spark-pi-exec-1-pvc-0" {
		t.Errorf("executor 1 mounts claim %s", got)
	}
	f.end("1")
	f.age()
	if got := f.start("2"); got != "spark-pi-exec-2-pvc-0" {
		t.Errorf("executor 2 mounts claim %s, want its own", got)
	}
	cl := f.claims()
	if len(cl) != 2 {
		t.Fatalf("%d claims, want 2", len(cl))
	}
	for _, c := range cl {
		if ownerOf(c) != c.Name[:len("spark-pi-exec-1")] || c.OwnerReferences[0].UID != types.UID("uid-"+ownerOf(c)) ||
			c.Labels[pods.LabelAppSelector] != claimApp || *c.Spec.StorageClassName != "gospark-hostpath" {
			t.Errorf("claim %s: owners %+v, labels %v", c.Name, c.OwnerReferences, c.Labels)
		}
	}
}

// By default (Spark 3.4+) the driver owns the claims and a new executor
// pod gets a claim no pod uses instead of a new one: a running executor's
// claim, a claim younger than the batch delay, or one of another size are
// not reused.
func TestClaimsOwnedByTheDriverAreReused(t *testing.T) {
	f := newClaimsFixture(t)
	if got := f.start("1"); got != "spark-pi-exec-1-pvc-0" {
		t.Errorf("executor 1 mounts claim %s", got)
	}
	f.age()
	if got := f.start("2"); got != "spark-pi-exec-2-pvc-0" {
		t.Errorf("executor 2 mounts %s while executor 1 runs, want a claim of its own", got)
	}
	f.end("1")
	f.fresh("spark-pi-exec-1-pvc-0")
	if got := f.start("3"); got != "spark-pi-exec-3-pvc-0" {
		t.Errorf("executor 3 mounts %s, a claim younger than the batch delay", got)
	}
	f.age()
	if got := f.start("4"); got != "spark-pi-exec-1-pvc-0" {
		t.Errorf("executor 4 mounts %s, want executor 1's claim", got)
	}
	f.end("4")
	f.end("2")
	// Reserved between newPod and created: two pods asked for in a row do
	// not get the same claim.
	var got []string
	for _, id := range []string{"5", "6"} {
		p, err := f.c.newPod(id)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, p.Spec.Volumes[slices.IndexFunc(p.Spec.Volumes, func(v corev1.Volume) bool { return v.Name == "spark-local-dir-1" })].PersistentVolumeClaim.ClaimName)
	}
	slices.Sort(got)
	if want := []string{"spark-pi-exec-1-pvc-0", "spark-pi-exec-2-pvc-0"}; !slices.Equal(got, want) {
		t.Errorf("executors 5 and 6 mount %v, want the two free claims %v", got, want)
	}
	cl := f.claims()
	if len(cl) != 3 {
		t.Errorf("%d claims, want 3", len(cl))
	}
	for _, c := range cl {
		if ownerOf(c) != driverName {
			t.Errorf("claim %s owned by %+v, want the driver pod", c.Name, c.OwnerReferences)
		}
	}

	// A claim of another size is not reused.
	g := newClaimsFixture(t)
	g.start("1")
	g.end("1")
	g.age()
	if err := g.c.conf.Set("spark.kubernetes.executor.volumes.persistentVolumeClaim.spark-local-dir-1.options.sizeLimit", "2Gi"); err != nil {
		t.Fatal(err)
	}
	if got := g.start("2"); got != "spark-pi-exec-2-pvc-0" {
		t.Errorf("a 2Gi claim wanted, got %s (1Gi)", got)
	}
}
