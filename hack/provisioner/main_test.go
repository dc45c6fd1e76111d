package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8stypes "k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"
)

func claim(name, class string) *corev1.PersistentVolumeClaim {
	return &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", UID: k8stypes.UID("uid-" + name)},
		Spec: corev1.PersistentVolumeClaimSpec{StorageClassName: &class,
			AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOncePod},
			Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}}},
		Status: corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimPending},
	}
}

// A pending claim of the class gets a volume pre-bound to it, backed by a
// writable directory; a claim of another class does not; a released
// volume is deleted with its directory, and the class is made the default.
func TestProvisionAndDelete(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cs := fake.NewClientset()
	p := &provisioner{cs: cs, log: slog.New(slog.NewTextHandler(io.Discard, nil)), dir: dir, class: "hp", name: "test/hp"}
	if err := p.ensureClass(ctx); err != nil {
		t.Fatal(err)
	}
	sc, err := cs.StorageV1().StorageClasses().Get(ctx, "hp", metav1.GetOptions{})
	if err != nil || sc.Provisioner != "test/hp" || sc.Annotations[annDefaultClass] != "true" {
		t.Fatalf("class %+v, %v", sc, err)
	}
	mine, other := claim("a", "hp"), claim("b", "other")
	p.reconcile(ctx, []*corev1.PersistentVolumeClaim{mine, other}, nil)
	pvs, _ := cs.CoreV1().PersistentVolumes().List(ctx, metav1.ListOptions{})
	if len(pvs.Items) != 1 {
		t.Fatalf("%d volumes, want 1", len(pvs.Items))
	}
	pv := pvs.Items[0]
	path := filepath.Join(dir, "pvc-uid-a")
	if pv.Name != "pvc-uid-a" || pv.Spec.ClaimRef == nil || pv.Spec.ClaimRef.UID != mine.UID || pv.Spec.HostPath == nil ||
		pv.Spec.HostPath.Path != path || pv.Spec.AccessModes[0] != corev1.ReadWriteOncePod || pv.Spec.StorageClassName != "hp" ||
		!pv.Spec.Capacity.Storage().Equal(resource.MustParse("1Gi")) || pv.Annotations[annProvisionedBy] != "test/hp" {
		t.Errorf("volume %+v", pv)
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o777 {
		t.Errorf("volume directory: %v, %v", st, err)
	}
	// Once made, not made again.
	p.reconcile(ctx, []*corev1.PersistentVolumeClaim{mine}, []*corev1.PersistentVolume{&pv})

	if err := os.WriteFile(filepath.Join(path, "shuffle_0_0_0.data"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	pv.Status.Phase = corev1.VolumeReleased
	p.reconcile(ctx, nil, []*corev1.PersistentVolume{&pv})
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("the released volume's directory is still there: %v", err)
	}
	if pvs, _ := cs.CoreV1().PersistentVolumes().List(ctx, metav1.ListOptions{}); len(pvs.Items) != 0 {
		t.Errorf("the released volume was not deleted")
	}
}
