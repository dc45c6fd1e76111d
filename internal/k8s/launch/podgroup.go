package launch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/gospark/gospark/internal/config"
	"github.com/gospark/gospark/internal/k8s/pods"
)

// Pre-resources (Spark's getAdditionalPreKubernetesResources): objects of
// the pod steps that must exist before the driver pod, Volcano's PodGroup
// (pods.PreResource). Submit checks that the API server serves their kind
// before anything is created, creates them first, and once the driver pod
// exists makes it their owner, as Spark does; when anything after them
// fails, they are deleted again.

// ErrNoPodGroups is the error of a plan with a Volcano PodGroup when the
// API server does not serve PodGroups (Volcano is not installed).
var ErrNoPodGroups = errors.New("the API server does not serve PodGroups")

// checkPreResources fails, naming what asked for them, when the API
// server does not serve the plan's pre-resources.
func checkPreResources(ctx context.Context, cs kubernetes.Interface, p *Plan) error {
	if len(p.PreObjects) == 0 {
		return nil
	}
	gvr := pods.PodGroupResource
	list, err := cs.Discovery().ServerResourcesForGroupVersion(gvr.GroupVersion().String())
	switch {
	case apierrors.IsNotFound(err):
	case err != nil:
		return fmt.Errorf("asking the API server whether it has %s.%s (%s): %w", gvr.Resource, gvr.Group, gvr.GroupVersion(), err)
	default:
		for _, r := range list.APIResources {
			if r.Name == gvr.Resource {
				return nil
			}
		}
	}
	return fmt.Errorf("the Volcano settings (%s) need a Volcano PodGroup, but %w (no %s.%s, version %s): install Volcano (its CRDs) in the cluster, or take %s out of spark.kubernetes.driver.pod.featureSteps; nothing was created",
		volcanoProperties(p.DriverConf), ErrNoPodGroups, gvr.Resource, gvr.Group, gvr.Version, pods.VolcanoFeatureStep)
}

// volcanoProperties lists the properties that asked for Volcano.
func volcanoProperties(c *config.Conf) string {
	var props []string
	for _, name := range []string{"spark.kubernetes.driver.pod.featureSteps", "spark.kubernetes.executor.pod.featureSteps"} {
		if strings.Contains(c.String(name), pods.VolcanoFeatureStep) {
			props = append(props, name+"="+c.String(name))
		}
	}
	for _, name := range []string{"spark.kubernetes.scheduler.name", pods.PodGroupTemplateProperty} {
		if v := c.String(name); v != "" {
			props = append(props, name+"="+v)
		}
	}
	return strings.Join(props, ", ")
}

// preResources are a plan's pre-resources as they are created.
type preResources struct {
	dyn  dynamic.Interface
	p    *Plan
	made []*unstructured.Unstructured // p.PreObjects[:len(made)], as made
}

// createPreResources creates the plan's pre-resources, which become what
// the API server made; when one fails, those made are deleted again.
func createPreResources(ctx context.Context, cs kubernetes.Interface, p *Plan) (*preResources, error) {
	r := &preResources{p: p}
	if len(p.PreObjects) == 0 {
		return r, nil
	}
	dyn, err := dynamicFor(cs)
	if err != nil {
		return nil, err
	}
	r.dyn = dyn
	for i, obj := range p.PreObjects {
		u, ok := obj.(*unstructured.Unstructured)
		if !ok || u.GroupVersionKind() != pods.PodGroupKind {
			return nil, r.undo(ctx, fmt.Errorf("launch: no way to create a %T before the driver pod", obj))
		}
		created, err := dyn.Resource(pods.PodGroupResource).Namespace(p.Namespace).Create(ctx, u, metav1.CreateOptions{})
		if err != nil {
			return nil, r.undo(ctx, fmt.Errorf("creating Volcano PodGroup %s in namespace %s: %w", u.GetName(), p.Namespace, err))
		}
		r.made = append(r.made, created)
		p.PreObjects[i] = created
	}
	return r, nil
}

// own makes owner (the driver pod) the controlling owner of each
// pre-resource, so that they go with it.
func (r *preResources) own(ctx context.Context, owner metav1.OwnerReference) error {
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{"ownerReferences": []metav1.OwnerReference{owner}}})
	if err != nil {
		return err
	}
	for i, u := range r.made {
		owned, err := r.dyn.Resource(pods.PodGroupResource).Namespace(r.p.Namespace).Patch(ctx, u.GetName(), types.MergePatchType, patch, metav1.PatchOptions{})
		if err != nil {
			return fmt.Errorf("making driver pod %s the owner of Volcano PodGroup %s: %w", owner.Name, u.GetName(), err)
		}
		r.made[i], r.p.PreObjects[i] = owned, owned
	}
	return nil
}

// undo deletes the pre-resources made, with a fresh context (the caller's
// may be what failed), and returns cause with any failure to do so.
func (r *preResources) undo(ctx context.Context, cause error) error {
	if r == nil || len(r.made) == 0 {
		return cause
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	for _, u := range r.made {
		err := r.dyn.Resource(pods.PodGroupResource).Namespace(r.p.Namespace).Delete(ctx, u.GetName(), metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			cause = fmt.Errorf("%w (and deleting Volcano PodGroup %s again failed: %w)", cause, u.GetName(), err)
		}
	}
	r.made = nil
	return cause
}

// DynamicClientset is a clientset that also has a client for custom
// resources (tests give fakes of both).
type DynamicClientset interface {
	kubernetes.Interface
	Dynamic() dynamic.Interface
}

// dynamicFor is a client for custom resources: cs's own when it has one
// (DynamicClientset), else one over cs's connection (the same API server,
// credentials and retries).
func dynamicFor(cs kubernetes.Interface) (dynamic.Interface, error) {
	if d, ok := cs.(DynamicClientset); ok {
		return d.Dynamic(), nil
	}
	rc, ok := cs.CoreV1().RESTClient().(*rest.RESTClient)
	if !ok || rc == nil || rc.Client == nil {
		return nil, errors.New("launch: the Kubernetes client has no connection for custom resources")
	}
	// The core client's URLs are <server>/api/v1: the server (with any
	// path prefix) is what comes before.
	u := rc.Get().URL()
	u.Path = strings.TrimSuffix(u.Path, "/api/v1")
	u.RawQuery = ""
	return dynamic.NewForConfigAndClient(&rest.Config{Host: u.String()}, rc.Client)
}

// splitPreResources separates the steps' objects that must exist before
// the driver pod from the others.
func splitPreResources(objs []runtime.Object) (pre, after []runtime.Object) {
	for _, o := range objs {
		if pods.PreResource(o) {
			pre = append(pre, o)
		} else {
			after = append(after, o)
		}
	}
	return pre, after
}
