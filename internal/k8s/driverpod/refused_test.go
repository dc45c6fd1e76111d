package driverpod

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/gospark/gospark/internal/k8s/executors"
)

func TestRefusalsAnnotateTheDriverPod(t *testing.T) {
	ctx := context.Background()
	cs := fake.NewClientset(&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "app-driver", Namespace: "ns",
		Annotations: map[string]string{"keep": "me"}}})
	annotation := func() (string, bool) {
		t.Helper()
		p, err := cs.CoreV1().Pods("ns").Get(ctx, "app-driver", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if p.Annotations["keep"] != "me" {
			t.Fatalf("other annotations lost: %v", p.Annotations)
		}
		v, ok := p.Annotations[executors.RefusedAnnotation]
		return v, ok
	}
	report := refusals(ctx, cs, "ns", "app-driver", slog.New(slog.NewTextHandler(io.Discard, nil)))
	report("2", errors.New(`pods "app-exec-2" is forbidden: exceeded quota: pods`))
	if v, _ := annotation(); v != `executor 2: pods "app-exec-2" is forbidden: exceeded quota: pods` {
		t.Fatalf("annotation %q", v)
	}
	report("1", nil) // another executor's: the annotation is about 2
	if _, ok := annotation(); !ok {
		t.Fatal("annotation removed for another executor")
	}
	report("2", nil)
	if v, ok := annotation(); ok {
		t.Fatalf("annotation %q left after executor 2's pod was created", v)
	}
	if refusals(ctx, cs, "ns", "", nil) != nil {
		t.Error("a driver in no pod annotates one")
	}
}
