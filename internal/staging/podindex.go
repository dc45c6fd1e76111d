package staging

import (
	"context"
	"log/slog"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
)

// AppSelectorLabel is the label Spark puts on every pod of an application;
// the pod index watches only pods that carry it.
const AppSelectorLabel = "spark-app-selector"

// InformerPodIndex is a PodIndex backed by a client-go shared informer on
// the pods, in all namespaces, that carry AppSelectorLabel.
type InformerPodIndex struct {
	factory  informers.SharedInformerFactory
	informer cache.SharedIndexInformer
	deleted  chan struct{}
	regErr   error
}

// NewPodIndex returns an index of the Spark pods client can see; it is
// empty and unsynced until Run has listed them.
func NewPodIndex(client kubernetes.Interface) *InformerPodIndex {
	p := &InformerPodIndex{deleted: make(chan struct{}, 1)}
	p.factory = informers.NewSharedInformerFactoryWithOptions(client, 0,
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = AppSelectorLabel }))
	p.informer = p.factory.Core().V1().Pods().Informer()
	// Only namespace and labels matter: keep the cache small.
	p.regErr = p.informer.SetTransform(slimPod)
	if p.regErr == nil {
		_, p.regErr = p.informer.AddEventHandler(cache.ResourceEventHandlerFuncs{
			DeleteFunc: func(any) {
				select {
				case p.deleted <- struct{}{}:
				default: // a signal is already pending
				}
			},
		})
	}
	return p
}

func slimPod(obj any) (any, error) {
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return obj, nil
	}
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{
		Name:            pod.Name,
		Namespace:       pod.Namespace,
		UID:             pod.UID,
		ResourceVersion: pod.ResourceVersion,
		Labels:          pod.Labels,
	}}, nil
}

// Run watches pods until ctx is done.
func (p *InformerPodIndex) Run(ctx context.Context) {
	if p.regErr != nil {
		// Only possible if the informer was already started elsewhere.
		slog.Default().Error("pod index: cannot configure the pod informer; pod deletions will not trigger early cleanup", "err", p.regErr)
	}
	p.factory.Start(ctx.Done())
	<-ctx.Done()
	p.factory.Shutdown()
}

// Deleted signals (coalescing) that a watched pod was deleted.
func (p *InformerPodIndex) Deleted() <-chan struct{} { return p.deleted }

// Exists reports whether a pod in namespace carrying all the labels of
// selector is in the cache, and whether the cache has had its first full
// listing.
func (p *InformerPodIndex) Exists(namespace string, selector map[string]string) (exists, synced bool) {
	synced = p.informer.HasSynced()
	objs, err := p.informer.GetIndexer().ByIndex(cache.NamespaceIndex, namespace)
	if err != nil {
		// The namespace index is built in; without it nothing is known.
		return false, false
	}
	for _, obj := range objs {
		if pod, ok := obj.(*corev1.Pod); ok && hasLabels(pod.Labels, selector) {
			return true, synced
		}
	}
	return false, synced
}

func hasLabels(labels, selector map[string]string) bool {
	for k, v := range selector {
		if got, ok := labels[k]; !ok || got != v {
			return false
		}
	}
	return true
}
