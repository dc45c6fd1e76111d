package driverpod

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/gospark/gospark/internal/k8s/executors"
)

// refusals returns the executors.Options.OnRefused of the driver pod
// driver: it keeps the latest refusal of an executor pod in the driver
// pod's executors.RefusedAnnotation, and removes it once that executor's
// pod is created or given up, so that gospark submit, which sees no
// executor pod to explain, can say why executors do not come. nil when
// the driver runs in no pod.
func refusals(ctx context.Context, cs kubernetes.Interface, ns, driver string, log *slog.Logger) func(id string, err error) {
	if driver == "" {
		return nil
	}
	var mu sync.Mutex
	current := "" // the executor the annotation is about
	return func(id string, err error) {
		mu.Lock()
		defer mu.Unlock()
		var value *string
		switch {
		case err != nil:
			v := fmt.Sprintf("executor %s: %v", id, err)
			value, current = &v, id
		case id != current:
			return
		default:
			current = ""
		}
		patch, merr := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": map[string]any{executors.RefusedAnnotation: value}}})
		if merr != nil {
			log.Warn("reporting a refused executor pod", "error", merr)
			return
		}
		if _, perr := cs.CoreV1().Pods(ns).Patch(ctx, driver, types.MergePatchType, patch, metav1.PatchOptions{}); perr != nil && ctx.Err() == nil {
			log.Warn("annotating the driver pod with a refused executor pod", "pod", driver, "error", perr)
		}
	}
}
