package executors

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	k8stesting "k8s.io/client-go/testing"

	"github.com/gospark/gospark/internal/k8s/pods"
)

func execNames(from, to int) []string {
	var names []string
	for i := from; i <= to; i++ {
		names = append(names, "app-exec-"+strconv.Itoa(i))
	}
	return names
}

// A round creates its whole batch (several pods at once), each id once.
func TestRoundCreatesItsBatch(t *testing.T) {
	var mu sync.Mutex
	m, cs, _ := manager(t, 100, 40, 0, map[string]bool{}, &mu)
	newClock(m)
	round(context.Background(), m)
	got := podNames(t, cs)
	slices.SortFunc(got, func(a, b string) int { return cmpID(a[len("app-exec-"):], b[len("app-exec-"):]) })
	if !slices.Equal(got, execNames(1, 40)) || m.Created() != 40 {
		t.Fatalf("pods %v (created %d), want app-exec-1..40", got, m.Created())
	}
}

// A quota reached in the middle of a round: the pods refused then are not
// kept (no failures pile up), later rounds keep one request waiting as
// before, and once the quota is lifted every executor gets a pod, with no
// id skipped.
func TestQuotaReachedInARoundKeepsOneRequest(t *testing.T) {
	var mu sync.Mutex
	m, cs, _ := manager(t, 10, 10, 0, map[string]bool{}, &mu)
	newClock(m)
	informer(m, cs)
	var refused []string
	m.opts.OnRefused = func(id string, err error) {
		if err != nil {
			mu.Lock()
			refused = append(refused, id)
			mu.Unlock()
		}
	}
	allowed, quota := 4, true
	cs.PrependReactor("create", "pods", func(k8stesting.Action) (bool, runtime.Object, error) {
		mu.Lock()
		defer mu.Unlock()
		if !quota || allowed > 0 {
			allowed--
			return false, nil, nil
		}
		return true, nil, quotaError()
	})
	ctx := context.Background()
	round(ctx, m)
	if got := podNames(t, cs); len(got) != 4 {
		t.Fatalf("first round: pods %v, want the 4 the quota allows", got)
	}
	round(ctx, m)
	round(ctx, m)
	mu.Lock()
	n := len(refused)
	mu.Unlock()
	if n != 1 || m.Failures() != 0 {
		t.Fatalf("with the quota reached: refusals reported %v, failures %d; want one request waiting, no failure", refused, m.Failures())
	}
	mu.Lock()
	quota = false
	mu.Unlock()
	round(ctx, m) // the waiting request
	round(ctx, m) // once its pod is seen, the rest
	got := podNames(t, cs)
	slices.SortFunc(got, func(a, b string) int { return cmpID(a[len("app-exec-"):], b[len("app-exec-"):]) })
	if !slices.Equal(got, execNames(1, 10)) || m.Failures() != 0 {
		t.Fatalf("once the quota is lifted: pods %v, failures %d; want app-exec-1..10 and none", got, m.Failures())
	}
}

// Stop deletes every executor pod of the application, and only those.
func TestStopDeletesEveryExecutorPod(t *testing.T) {
	var mu sync.Mutex
	m, cs, _ := manager(t, 0, 1, 0, map[string]bool{}, &mu)
	done := make(chan struct{})
	close(done)
	m.cancel, m.done = func() {}, done
	ctx := context.Background()
	for i := 1; i <= 50; i++ {
		if _, err := cs.CoreV1().Pods("ns").Create(ctx, execPod(strconv.Itoa(i), corev1.PodRunning), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	other := execPod("1", corev1.PodRunning)
	other.Name, other.Labels[pods.LabelAppSelector] = "other-exec-1", "other"
	if _, err := cs.CoreV1().Pods("ns").Create(ctx, other, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := m.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if got := podNames(t, cs); !slices.Equal(got, []string{"other-exec-1"}) {
		t.Fatalf("pods left %v, want only the other application's", got)
	}
}
