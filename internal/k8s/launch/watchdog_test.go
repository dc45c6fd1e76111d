package launch

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/gospark/gospark/internal/k8s/pods"
)

// withDeleteCollection makes the fake clientset delete what a
// DeleteCollection's label selector matches (its tracker does not).
func withDeleteCollection(cs *fake.Clientset) {
	kinds := map[string]string{"pods": "Pod", "configmaps": "ConfigMap", "secrets": "Secret"}
	cs.PrependReactor("delete-collection", "*", func(a k8stesting.Action) (bool, runtime.Object, error) {
		dc := a.(k8stesting.DeleteCollectionAction)
		sel, err := labels.Parse(dc.GetListRestrictions().Labels.String())
		if err != nil {
			return true, nil, err
		}
		gvr, ns := dc.GetResource(), dc.GetNamespace()
		list, err := cs.Tracker().List(gvr, schema.GroupVersionKind{Version: "v1", Kind: kinds[gvr.Resource]}, ns)
		if err != nil {
			return true, nil, err
		}
		items, err := apimeta.ExtractList(list)
		if err != nil {
			return true, nil, err
		}
		for _, it := range items {
			m, err := apimeta.Accessor(it)
			if err == nil && sel.Matches(labels.Set(m.GetLabels())) {
				_ = cs.Tracker().Delete(gvr, ns, m.GetName())
			}
		}
		return true, nil, nil
	})
}

func appObject(name, app, role string) metav1.ObjectMeta {
	l := map[string]string{pods.LabelAppSelector: app}
	if role != "" {
		l[pods.LabelRole] = role
	}
	return metav1.ObjectMeta{Name: name, Namespace: "jobs", Labels: l}
}

// The watchdog's cleanup removes the application's executor pods,
// ConfigMaps and Secrets, and nothing of other applications, nor the pod
// the driver runs in.
func TestRemoveApplication(t *testing.T) {
	cs := fake.NewClientset(
		&corev1.Pod{ObjectMeta: appObject("app-exec-1", "spark-a", "executor")},
		&corev1.Pod{ObjectMeta: appObject("app-exec-2", "spark-a", "executor")},
		&corev1.Pod{ObjectMeta: appObject("notebook", "spark-a", "")},
		&corev1.Pod{ObjectMeta: appObject("other-exec-1", "spark-b", "executor")},
		&corev1.ConfigMap{ObjectMeta: appObject("app-init-config", "spark-a", "")},
		&corev1.Secret{ObjectMeta: appObject("app-init-secret", "spark-a", "")},
		&corev1.Secret{ObjectMeta: appObject("app-exec-auth", "spark-a", "executor")},
		&corev1.Secret{ObjectMeta: appObject("other-init-secret", "spark-b", "")},
	)
	withDeleteCollection(cs)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := RemoveApplication(ctx, cs, "jobs", "spark-a", time.Millisecond); err != nil {
		t.Fatal(err)
	}
	var left []string
	ps, _ := cs.CoreV1().Pods("jobs").List(ctx, metav1.ListOptions{})
	for _, p := range ps.Items {
		left = append(left, "pod "+p.Name)
	}
	cms, _ := cs.CoreV1().ConfigMaps("jobs").List(ctx, metav1.ListOptions{})
	for _, c := range cms.Items {
		left = append(left, "configmap "+c.Name)
	}
	ss, _ := cs.CoreV1().Secrets("jobs").List(ctx, metav1.ListOptions{})
	for _, s := range ss.Items {
		left = append(left, "secret "+s.Name)
	}
	slices.Sort(left)
	if want := []string{"pod notebook", "pod other-exec-1", "secret other-init-secret"}; !slices.Equal(left, want) {
		t.Errorf("left %q, want %q", left, want)
	}
}

// An executor pod that is still there after the first deletion (created
// meanwhile, or slow to go) is deleted again until none is left.
func TestRemoveApplicationDeletesUntilNoneIsLeft(t *testing.T) {
	cs := fake.NewClientset(&corev1.Pod{ObjectMeta: appObject("app-exec-1", "spark-a", "executor")})
	withDeleteCollection(cs)
	created := false
	cs.PrependReactor("delete-collection", "pods", func(k8stesting.Action) (bool, runtime.Object, error) {
		if !created { // a pod an allocator created as the first deletion ran
			created = true
			_ = cs.Tracker().Add(&corev1.Pod{ObjectMeta: appObject("app-exec-2", "spark-a", "executor")})
			return true, nil, nil
		}
		return false, nil, nil
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := RemoveApplication(ctx, cs, "jobs", "spark-a", time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if ps, _ := cs.CoreV1().Pods("jobs").List(ctx, metav1.ListOptions{}); len(ps.Items) != 0 {
		t.Errorf("pods left: %v", ps.Items)
	}
}

// A submit that says it is done leaves the watchdog nothing to do: it
// returns without reaching any API server and keeps the directory.
func TestWatchdogDone(t *testing.T) {
	dir := t.TempDir()
	b, err := json.Marshal(WatchdogSpec{Conf: "{}", APIServer: "https://192.0.2.1:1", Namespace: "jobs", AppID: "spark-a", Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := RunWatchdog(context.Background(), strings.NewReader(string(b)+"\ndone\n")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Errorf("the directory went: %v", err)
	}
}

// A submit that dies (its pipe closes without "done") has the watchdog
// clean up: here the API server cannot be reached, which it says, and the
// submission's directory is removed all the same.
func TestWatchdogSubmitDied(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "client")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(WatchdogSpec{Conf: `{"spark.kubernetes.context":"no-such-context"}`, APIServer: "https://192.0.2.1:1",
		Namespace: "jobs", AppID: "spark-a", Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("KUBECONFIG", filepath.Join(t.TempDir(), "none"))
	err = RunWatchdog(context.Background(), strings.NewReader(string(b)+"\n"))
	if err == nil || !strings.Contains(err.Error(), "no-such-context") {
		t.Errorf("error %v, want one naming the context", err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("the submission's directory is still there: %v", err)
	}
}
