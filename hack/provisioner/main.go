// Command provisioner is the test cluster's dynamic volume provisioner:
// claims of its StorageClass (gospark-hostpath, the cluster's default
// class) get a PersistentVolume backed by a directory on the node, under
// the cluster's state directory (.cluster/volumes/<pv>), made with the
// claim's size, access modes and volume mode and pre-bound to the claim,
// so that Kubernetes' own PV controller binds them. A released volume whose
// reclaim policy is Delete is deleted, and its directory removed.
//
//	go run ./hack/provisioner -kubeconfig .cluster/kubeconfig -dir .cluster/volumes
//
// hack/cluster up builds and starts it with the cluster's other processes;
// it creates its StorageClass when it is missing.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"
)

const (
	// annProvisionedBy marks the volumes a provisioner made, as Kubernetes'
	// provisioners do.
	annProvisionedBy = "pv.kubernetes.io/provisioned-by"
	annDefaultClass  = "storageclass.kubernetes.io/is-default-class"
)

func main() {
	kubeconfig := flag.String("kubeconfig", os.Getenv("KUBECONFIG"), "the cluster's admin kubeconfig")
	dir := flag.String("dir", ".cluster/volumes", "the directory the volumes' directories are made in")
	class := flag.String("class", "gospark-hostpath", "the StorageClass whose claims this provisioner serves (created as the default class if missing)")
	name := flag.String("name", "gospark.dev/hostpath", "the provisioner's name (the StorageClass's provisioner)")
	resync := flag.Duration("resync", 10*time.Second, "how often every claim and volume is looked at again")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, log, *kubeconfig, *dir, *class, *name, *resync); err != nil && !errors.Is(err, context.Canceled) {
		log.Error("provisioner", "error", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, log *slog.Logger, kubeconfig, dir, class, name string, resync time.Duration) error {
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return fmt.Errorf("kubeconfig %s: %w", kubeconfig, err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return err
	}
	p := &provisioner{cs: cs, log: log, dir: abs, class: class, name: name, kick: make(chan struct{}, 1)}
	// The API server may still be starting (hack/cluster starts this with
	// the cluster): try until the class exists.
	for {
		err := p.ensureClass(ctx)
		if err == nil {
			break
		}
		log.Info("waiting for the API server", "error", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
	factory := informers.NewSharedInformerFactory(cs, resync)
	claims := factory.Core().V1().PersistentVolumeClaims()
	volumes := factory.Core().V1().PersistentVolumes()
	handler := cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { p.poke() },
		UpdateFunc: func(any, any) { p.poke() },
	}
	if _, err := claims.Informer().AddEventHandler(handler); err != nil {
		return err
	}
	if _, err := volumes.Informer().AddEventHandler(handler); err != nil {
		return err
	}
	factory.Start(ctx.Done())
	defer factory.Shutdown()
	factory.WaitForCacheSync(ctx.Done())
	log.Info("provisioning", "class", class, "provisioner", name, "dir", abs)
	tick := time.NewTicker(resync)
	defer tick.Stop()
	for {
		cl, err := claims.Lister().List(labels.Everything())
		if err != nil {
			return err
		}
		pvs, err := volumes.Lister().List(labels.Everything())
		if err != nil {
			return err
		}
		p.reconcile(ctx, cl, pvs)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-p.kick:
		case <-tick.C:
		}
	}
}

type provisioner struct {
	cs          kubernetes.Interface
	log         *slog.Logger
	dir         string
	class, name string
	kick        chan struct{}
}

func (p *provisioner) poke() {
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

// ensureClass creates the StorageClass, the cluster's default, unless it
// exists.
func (p *provisioner) ensureClass(ctx context.Context) error {
	_, err := p.cs.StorageV1().StorageClasses().Get(ctx, p.class, metav1.GetOptions{})
	if err == nil {
		return nil
	}
	if !apierrors.IsNotFound(err) {
		return err
	}
	reclaim := corev1.PersistentVolumeReclaimDelete
	mode := storagev1.VolumeBindingImmediate
	sc := &storagev1.StorageClass{
		ObjectMeta:        metav1.ObjectMeta{Name: p.class, Annotations: map[string]string{annDefaultClass: "true"}},
		Provisioner:       p.name,
		ReclaimPolicy:     &reclaim,
		VolumeBindingMode: &mode,
	}
	if _, err := p.cs.StorageV1().StorageClasses().Create(ctx, sc, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	p.log.Info("storage class created", "class", p.class)
	return nil
}

// reconcile provisions a volume for each claim of the class that has
// none, and deletes the released volumes this provisioner made.
func (p *provisioner) reconcile(ctx context.Context, claims []*corev1.PersistentVolumeClaim, pvs []*corev1.PersistentVolume) {
	made := map[string]bool{}
	for _, pv := range pvs {
		made[pv.Name] = true
	}
	for _, c := range claims {
		if c.Spec.VolumeName != "" || c.Status.Phase != corev1.ClaimPending || c.DeletionTimestamp != nil ||
			c.Spec.StorageClassName == nil || *c.Spec.StorageClassName != p.class || made[volumeName(c)] {
			continue
		}
		if err := p.provision(ctx, c); err != nil {
			p.log.Warn("provisioning", "claim", c.Namespace+"/"+c.Name, "error", err)
		}
	}
	for _, pv := range pvs {
		if pv.Annotations[annProvisionedBy] != p.name || pv.Spec.PersistentVolumeReclaimPolicy != corev1.PersistentVolumeReclaimDelete ||
			(pv.Status.Phase != corev1.VolumeReleased && pv.Status.Phase != corev1.VolumeFailed) || pv.DeletionTimestamp != nil {
			continue
		}
		if err := p.remove(ctx, pv); err != nil {
			p.log.Warn("deleting a released volume", "volume", pv.Name, "error", err)
		}
	}
}

// volumeName is the name of the volume made for claim c.
func volumeName(c *corev1.PersistentVolumeClaim) string { return "pvc-" + string(c.UID) }

func (p *provisioner) provision(ctx context.Context, c *corev1.PersistentVolumeClaim) error {
	name := volumeName(c)
	path := filepath.Join(p.dir, name)
	if err := os.MkdirAll(path, 0o777); err != nil {
		return err
	}
	// Whatever user the pod's containers run as may write there.
	if err := os.Chmod(path, 0o777); err != nil {
		return err
	}
	size, ok := c.Spec.Resources.Requests[corev1.ResourceStorage]
	if !ok {
		return fmt.Errorf("the claim requests no storage")
	}
	typ := corev1.HostPathDirectory
	pv := &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: name, Annotations: map[string]string{annProvisionedBy: p.name}},
		Spec: corev1.PersistentVolumeSpec{
			Capacity:                      corev1.ResourceList{corev1.ResourceStorage: size},
			AccessModes:                   c.Spec.AccessModes,
			VolumeMode:                    c.Spec.VolumeMode,
			StorageClassName:              p.class,
			PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimDelete,
			ClaimRef: &corev1.ObjectReference{Kind: "PersistentVolumeClaim", APIVersion: "v1",
				Namespace: c.Namespace, Name: c.Name, UID: c.UID},
			PersistentVolumeSource: corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: path, Type: &typ}},
		},
	}
	if _, err := p.cs.CoreV1().PersistentVolumes().Create(ctx, pv, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	p.log.Info("volume provisioned", "claim", c.Namespace+"/"+c.Name, "volume", name, "size", size.String(),
		"accessModes", c.Spec.AccessModes, "path", path)
	return nil
}

// remove deletes a released volume's directory, then the volume.
func (p *provisioner) remove(ctx context.Context, pv *corev1.PersistentVolume) error {
	if pv.Spec.HostPath != nil {
		path := filepath.Clean(pv.Spec.HostPath.Path)
		// Only what this provisioner made: a directory right under dir.
		if filepath.Dir(path) != p.dir || !strings.HasPrefix(filepath.Base(path), "pvc-") {
			return fmt.Errorf("volume %s: path %s is not one of %s", pv.Name, path, p.dir)
		}
		if err := os.RemoveAll(path); err != nil {
			return err
		}
	}
	if err := p.cs.CoreV1().PersistentVolumes().Delete(ctx, pv.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	p.log.Info("released volume deleted", "volume", pv.Name, "claim", claimOf(pv))
	return nil
}

func claimOf(pv *corev1.PersistentVolume) string {
	if pv.Spec.ClaimRef == nil {
		return ""
	}
	return pv.Spec.ClaimRef.Namespace + "/" + pv.Spec.ClaimRef.Name
}
