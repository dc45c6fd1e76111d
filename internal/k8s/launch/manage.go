package launch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"

	"github.com/gospark/gospark/internal/k8s/pods"
	"github.com/gospark/gospark/internal/k8s/podstatus"
)

// ErrNoMatch is returned by Status and Kill when no driver pod matches.
var ErrNoMatch = errors.New("no driver pod matches")

// ParseSubmissionID splits "namespace:pod-glob" (Spark 3's form); without
// a namespace, defaultNS is used. The glob is a path.Match pattern.
func ParseSubmissionID(id, defaultNS string) (ns, glob string, err error) {
	ns, glob, ok := strings.Cut(id, ":")
	if !ok {
		ns, glob = defaultNS, id
	}
	if glob == "" || ns == "" {
		return "", "", fmt.Errorf("submission ID %q: want namespace:driver-pod-name (a glob such as spark-pi* may name several)", id)
	}
	if _, err := path.Match(glob, ""); err != nil {
		return "", "", fmt.Errorf("submission ID %q: bad pattern: %w", id, err)
	}
	return ns, glob, nil
}

// matching lists the driver pods in ns whose names match glob.
func matching(ctx context.Context, cs kubernetes.Interface, ns, glob string) ([]corev1.Pod, error) {
	list, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{
		LabelSelector: labels.Set{pods.LabelRole: string(pods.Driver)}.String()})
	if err != nil {
		return nil, fmt.Errorf("listing driver pods in namespace %s: %w", ns, err)
	}
	var out []corev1.Pod
	for _, p := range list.Items {
		if ok, _ := path.Match(glob, p.Name); ok {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w %q in namespace %s", ErrNoMatch, glob, ns)
	}
	slices.SortFunc(out, func(a, b corev1.Pod) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// Status prints the state of each driver pod matching ns:glob.
func Status(ctx context.Context, cs kubernetes.Interface, ns, glob string, out io.Writer) error {
	list, err := matching(ctx, cs, ns, glob)
	if err != nil {
		return err
	}
	for i := range list {
		p := &list[i]
		fmt.Fprintf(out, "Application status (driver):\n")
		field := func(k, v string) {
			if v == "" {
				v = "N/A"
			}
			fmt.Fprintf(out, "\t %s: %s\n", k, v)
		}
		field("pod name", p.Name)
		field("namespace", p.Namespace)
		field("application id", p.Labels[pods.LabelAppSelector])
		field("labels", labels.Set(p.Labels).String())
		field("pod uid", string(p.UID))
		field("creation time", p.CreationTimestamp.UTC().Format(time.RFC3339))
		field("service account name", p.Spec.ServiceAccountName)
		field("node name", p.Spec.NodeName)
		if p.Status.StartTime != nil {
			field("start time", p.Status.StartTime.UTC().Format(time.RFC3339))
		} else {
			field("start time", "")
		}
		field("phase", podstatus.Phase(p))
		if prob, ok := podstatus.Explain(p); ok {
			field("problem", prob.String())
		}
		for _, c := range p.Status.ContainerStatuses {
			field("container "+c.Name+" image", c.Image)
		}
		if err := executorStatus(ctx, cs, p, out); err != nil {
			return err
		}
	}
	return nil
}

// Kill deletes each driver pod matching ns:glob; its Service, ConfigMap,
// Secret and executor pods go with it (they are owned by it). grace < 0
// means the pod's own termination grace period.
func Kill(ctx context.Context, cs kubernetes.Interface, ns, glob string, grace time.Duration, out io.Writer) error {
	list, err := matching(ctx, cs, ns, glob)
	if err != nil {
		return err
	}
	bg := metav1.DeletePropagationBackground
	opts := metav1.DeleteOptions{PropagationPolicy: &bg}
	if grace >= 0 {
		opts.GracePeriodSeconds = new(int64(grace / time.Second))
	}
	var failed []string
	for _, p := range list {
		fmt.Fprintf(out, "Deleting driver pod %s in namespace %s\n", p.Name, p.Namespace)
		if err := cs.CoreV1().Pods(p.Namespace).Delete(ctx, p.Name, opts); err != nil && !apierrors.IsNotFound(err) {
			failed = append(failed, fmt.Sprintf("%s: %v", p.Name, err))
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("deleting driver pods: %s", strings.Join(failed, "; "))
	}
	return nil
}
