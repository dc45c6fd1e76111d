package driverpod

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"

	"github.com/gospark/gospark/internal/config"
	"github.com/gospark/gospark/internal/k8s/pods"
)

// claims makes the on-demand persistent volume claims of executor pods
// (a volume with claimName=OnDemand), as Spark's ExecutorPodsAllocator
// does: each pod's claims are created right after the pod, owned by the
// driver pod with spark.kubernetes.driver.ownPersistentVolumeClaim (so
// that they outlive their executor), else by the executor pod. With
// spark.kubernetes.driver.reusePersistentVolumeClaim too, a new executor
// pod is given a claim of the application that no pod uses (its executor
// is gone) with the same storage class and size, instead of a new one:
// what that executor wrote there (shuffle files, say) is found again.
type claims struct {
	ctx       context.Context // the executor manager's lifetime, for the lookups of newPod
	conf      *config.Conf
	cs        kubernetes.Interface
	namespace string
	appID     string
	driver    *metav1.OwnerReference // the owner with ownPersistentVolumeClaim, else nil
	reuse     bool
	minAge    time.Duration // a claim younger than this is not reused (spark.kubernetes.allocation.batch.delay, as in Spark)
	build     func(id string) (*corev1.Pod, error)
	log       *slog.Logger

	mu sync.Mutex
	// pending are the claims to create after each pod (by pod name);
	// reserved are the claims given to a pod not created yet.
	pending  map[string][]*corev1.PersistentVolumeClaim
	reserved map[string]string // claim -> pod
}

func newClaims(ctx context.Context, conf *config.Conf, cs kubernetes.Interface, namespace, appID string,
	driver *metav1.OwnerReference, build func(id string) (*corev1.Pod, error), log *slog.Logger) *claims {
	c := &claims{ctx: ctx, conf: conf, cs: cs, namespace: namespace, appID: appID, build: build, log: log,
		minAge:   conf.Duration("spark.kubernetes.allocation.batch.delay"),
		pending:  map[string][]*corev1.PersistentVolumeClaim{},
		reserved: map[string]string{}}
	if conf.Bool("spark.kubernetes.driver.ownPersistentVolumeClaim") && driver != nil {
		c.driver = driver
		c.reuse = conf.Bool("spark.kubernetes.driver.reusePersistentVolumeClaim")
	}
	return c
}

// newPod builds the pod of executor id and notes the claims to create
// after it, giving it reusable claims instead where it can.
func (c *claims) newPod(id string) (*corev1.Pod, error) {
	p, err := c.build(id)
	if err != nil {
		return nil, err
	}
	want, err := pods.Claims(pods.Input{Conf: c.conf, Role: pods.Executor, AppID: c.appID, Name: p.Name,
		Namespace: c.namespace, ExecutorID: id})
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.release(p.Name) // a pod asked for again
	c.mu.Unlock()
	if len(want) == 0 {
		return p, nil
	}
	if c.reuse {
		want = c.reuseClaims(p, want)
	}
	c.mu.Lock()
	c.pending[p.Name] = want
	c.mu.Unlock()
	return p, nil
}

// release forgets what was noted for pod name. c.mu is held.
func (c *claims) release(pod string) {
	delete(c.pending, pod)
	for claim, owner := range c.reserved {
		if owner == pod {
			delete(c.reserved, claim)
		}
	}
}

// reuseClaims points p's volumes at claims of the application that no pod
// uses, where one has the storage class and size of a claim p wants, and
// returns the claims still to make.
func (c *claims) reuseClaims(p *corev1.Pod, want []*corev1.PersistentVolumeClaim) []*corev1.PersistentVolumeClaim {
	ctx, cancel := context.WithTimeout(c.ctx, time.Minute)
	defer cancel()
	free, err := c.freeClaims(ctx)
	if err != nil {
		c.log.Warn("listing the application's claims to reuse; making new ones", "error", err)
		return want
	}
	var left []*corev1.PersistentVolumeClaim
	for _, w := range want {
		i := -1
		for j, f := range free {
			if sameClass(f.Spec.StorageClassName, w.Spec.StorageClassName) &&
				f.Spec.Resources.Requests.Storage().Cmp(*w.Spec.Resources.Requests.Storage()) == 0 {
				i = j
				break
			}
		}
		vol := claimVolume(p, w.Name)
		if i < 0 || vol == nil {
			left = append(left, w)
			continue
		}
		reused := free[i].Name
		free = append(free[:i], free[i+1:]...)
		vol.PersistentVolumeClaim.ClaimName = reused
		c.mu.Lock()
		c.reserved[reused] = p.Name
		c.mu.Unlock()
		c.log.Info("executor pod reuses a claim", "pod", p.Name, "claim", reused, "instead of", w.Name)
	}
	return left
}

// freeClaims are the application's executor claims that no pod uses (a
// pod that ended uses none), none reserved for a pod being created, at
// least minAge old, oldest first.
func (c *claims) freeClaims(ctx context.Context) ([]corev1.PersistentVolumeClaim, error) {
	sel := labels.Set{pods.LabelAppSelector: c.appID}.String()
	list, err := c.cs.CoreV1().PersistentVolumeClaims(c.namespace).List(ctx, metav1.ListOptions{
		LabelSelector: labels.Set{pods.LabelAppSelector: c.appID, pods.LabelRole: string(pods.Executor)}.String()})
	if err != nil {
		return nil, fmt.Errorf("listing claims: %w", err)
	}
	podList, err := c.cs.CoreV1().Pods(c.namespace).List(ctx, metav1.ListOptions{LabelSelector: sel})
	if err != nil {
		return nil, fmt.Errorf("listing pods: %w", err)
	}
	used := map[string]bool{}
	for _, p := range podList.Items {
		if ended(&p) {
			continue
		}
		for _, v := range p.Spec.Volumes {
			if v.PersistentVolumeClaim != nil {
				used[v.PersistentVolumeClaim.ClaimName] = true
			}
		}
	}
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	var free []corev1.PersistentVolumeClaim
	for _, pvc := range list.Items {
		_, reserved := c.reserved[pvc.Name]
		if used[pvc.Name] || reserved || pvc.DeletionTimestamp != nil || !c.ownedByDriver(&pvc) ||
			now.Sub(pvc.CreationTimestamp.Time) <= c.minAge {
			continue
		}
		free = append(free, pvc)
	}
	// Oldest first (the API lists by name).
	slices.SortStableFunc(free, func(a, b corev1.PersistentVolumeClaim) int {
		return a.CreationTimestamp.Time.Compare(b.CreationTimestamp.Time)
	})
	return free, nil
}

// ended tells whether a pod's containers are all gone (it may still be
// listed, being deleted).
func ended(p *corev1.Pod) bool {
	if p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
		return true
	}
	if len(p.Status.ContainerStatuses) == 0 {
		return false
	}
	for _, s := range p.Status.ContainerStatuses {
		if s.State.Terminated == nil {
			return false
		}
	}
	return true
}

func (c *claims) ownedByDriver(pvc *corev1.PersistentVolumeClaim) bool {
	for _, o := range pvc.OwnerReferences {
		if o.UID == c.driver.UID {
			return true
		}
	}
	return false
}

func sameClass(a, b *string) bool {
	return (a == nil) == (b == nil) && (a == nil || *a == *b)
}

// claimVolume is p's volume of claim name.
func claimVolume(p *corev1.Pod, name string) *corev1.Volume {
	for i := range p.Spec.Volumes {
		if v := &p.Spec.Volumes[i]; v.PersistentVolumeClaim != nil && v.PersistentVolumeClaim.ClaimName == name {
			return v
		}
	}
	return nil
}

// created makes the claims noted for pod p, which was just created: owned
// by the driver pod, or by p (read back for its uid).
func (c *claims) created(ctx context.Context, p *corev1.Pod) error {
	c.mu.Lock()
	want := c.pending[p.Name]
	c.release(p.Name)
	c.mu.Unlock()
	if len(want) == 0 {
		return nil
	}
	owner := c.driver
	if owner == nil {
		got, err := c.cs.CoreV1().Pods(c.namespace).Get(ctx, p.Name, metav1.GetOptions{})
		if err != nil {
			return fmt.Errorf("reading pod %s, the owner of its claims: %w", p.Name, err)
		}
		owner = &metav1.OwnerReference{APIVersion: "v1", Kind: "Pod", Name: got.Name, UID: got.UID, Controller: new(true)}
	}
	api := c.cs.CoreV1().PersistentVolumeClaims(c.namespace)
	for _, w := range want {
		w = w.DeepCopy()
		w.OwnerReferences = []metav1.OwnerReference{*owner}
		_, err := api.Create(ctx, w, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			err = nil // a create retried after a lost answer, or a pod asked for again
		}
		if err != nil {
			return fmt.Errorf("creating claim %s of pod %s: %w", w.Name, p.Name, err)
		}
		class := "(default)"
		if w.Spec.StorageClassName != nil {
			class = *w.Spec.StorageClassName
		}
		c.log.Info("executor claim created", "pod", p.Name, "claim", w.Name, "storageClass", class,
			"size", w.Spec.Resources.Requests.Storage().String(), "owner", owner.Name)
	}
	return nil
}
