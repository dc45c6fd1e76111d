package staging

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/gospark/gospark/internal/bundle/bundletest"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

// fakePods is a PodIndex holding pods as namespace and labels.
type fakePods struct {
	mu     sync.Mutex
	synced bool
	pods   []fakePod
}

type fakePod struct {
	namespace string
	labels    map[string]string
}

func (f *fakePods) Exists(namespace string, selector map[string]string) (bool, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range f.pods {
		if p.namespace == namespace && hasLabels(p.labels, selector) {
			return true, f.synced
		}
	}
	return false, f.synced
}

func (f *fakePods) set(synced bool, pods ...fakePod) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.synced = synced
	f.pods = pods
}

func readMeta(t *testing.T, dir, id string) (meta, bool) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, id, metaFile))
	if errors.Is(err, os.ErrNotExist) {
		return meta{}, false
	}
	if err != nil {
		t.Fatal(err)
	}
	var m meta
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m, true
}

func TestCleanupOnce(t *testing.T) {
	const expire = time.Hour
	appLabels := map[string]string{"spark-app-selector": "spark-1", "spark-role": "driver"}
	driver := fakePod{"ns1", map[string]string{"spark-app-selector": "spark-1", "spark-role": "driver", "extra": "x"}}
	elsewhere := fakePod{"ns2", appLabels}
	partial := fakePod{"ns1", map[string]string{"spark-app-selector": "spark-1"}}
	tests := []struct {
		desc      string
		nilIndex  bool
		preClaim  bool // a synced pass with the driver present first
		synced    bool
		pods      []fakePod
		age       time.Duration
		wantKept  bool
		wantClaim bool
	}{
		{desc: "pods present: claimed", synced: true, pods: []fakePod{driver}, wantKept: true, wantClaim: true},
		{desc: "claimed, pods present, old: kept", preClaim: true, synced: true, pods: []fakePod{driver}, age: 3 * expire, wantKept: true, wantClaim: true},
		{desc: "claimed, pods gone: deleted", preClaim: true, synced: true},
		{desc: "claimed, pods gone, unsynced: kept", preClaim: true, synced: false, wantKept: true, wantClaim: true},
		{desc: "claimed, pod in another namespace: deleted", preClaim: true, synced: true, pods: []fakePod{elsewhere}},
		{desc: "claimed, pod with some labels only: deleted", preClaim: true, synced: true, pods: []fakePod{partial}},
		{desc: "unclaimed, young: kept", synced: true, age: expire / 2, wantKept: true},
		{desc: "unclaimed, expired: deleted", synced: true, age: expire + time.Minute},
		{desc: "unsynced, pods present: not claimed", synced: false, pods: []fakePod{driver}, wantKept: true},
		{desc: "unsynced, unclaimed, expired: deleted", synced: false, age: 3 * expire},
		{desc: "unsynced, unclaimed, young: kept", synced: false, age: expire / 2, wantKept: true},
		{desc: "no index, young: kept", nilIndex: true, wantKept: true},
		{desc: "no index, expired: deleted", nilIndex: true, age: expire + time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			pods := &fakePods{}
			cfg := Config{ExpireUnclaimed: expire, Pods: pods}
			if tt.nilIndex {
				cfg.Pods = nil
			}
			ts := newTestServer(t, cfg)
			res, err := ts.client.Upload(t.Context(), "ns1", appLabels, bundletest.Files(t, []bundletest.Source{{Name: "files/a", Data: "a", Mode: 0o644}}))
			if err != nil {
				t.Fatal(err)
			}
			created := time.Now()
			if tt.preClaim {
				pods.set(true, driver)
				ts.CleanupOnce(created)
				if m, _ := readMeta(t, ts.dir, res.ID); !m.Claimed {
					t.Fatal("not claimed with its driver present")
				}
			}
			pods.set(tt.synced, tt.pods...)
			ts.CleanupOnce(created.Add(tt.age))

			m, kept := readMeta(t, ts.dir, res.ID)
			if kept != tt.wantKept || m.Claimed != tt.wantClaim {
				t.Fatalf("kept %v claimed %v, want kept %v claimed %v", kept, m.Claimed, tt.wantKept, tt.wantClaim)
			}
			err = ts.client.Download(t.Context(), res, io.Discard)
			var se *StatusError
			if tt.wantKept && err != nil || !tt.wantKept && (!errors.As(err, &se) || se.Code != http.StatusNotFound) {
				t.Fatalf("Download = %v, kept %v", err, tt.wantKept)
			}
			if names := bundletest.DirNames(t, ts.dir); len(names) != map[bool]int{true: 1, false: 0}[tt.wantKept] {
				t.Fatalf("storage holds %q", names)
			}
			// The claimed flag survives a restart.
			restarted, err := New(Config{Dir: ts.dir, Logger: testLogger(t)})
			if err != nil {
				t.Fatal(err)
			}
			if rm, ok := restarted.bundles[res.ID]; ok != tt.wantKept || rm.Claimed != tt.wantClaim {
				t.Fatalf("after restart: present %v claimed %v", ok, rm.Claimed)
			}
		})
	}
}

// watchingClientset is a fake clientset that says when the pod watch is
// established; events before that would be lost.
func watchingClientset(objs ...*corev1.Pod) (*fake.Clientset, <-chan struct{}) {
	cs := fake.NewClientset()
	for _, p := range objs {
		_ = cs.Tracker().Add(p)
	}
	watching := make(chan struct{})
	var once sync.Once
	cs.PrependWatchReactor("pods", func(action k8stesting.Action) (bool, watch.Interface, error) {
		var opts metav1.ListOptions
		if wa, ok := action.(k8stesting.WatchActionImpl); ok {
			opts = wa.ListOptions
		}
		w, err := cs.Tracker().Watch(action.GetResource(), action.GetNamespace(), opts)
		if err != nil {
			return false, nil, err
		}
		once.Do(func() { close(watching) })
		return true, w, nil
	})
	return cs, watching
}

func sparkPod(ns, name string, labels map[string]string) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: labels}}
}

func TestInformerPodIndex(t *testing.T) {
	labels := map[string]string{AppSelectorLabel: "spark-7", "spark-role": "driver"}
	cs, watching := watchingClientset(sparkPod("ns1", "driver", labels))
	idx := NewPodIndex(cs)
	if exists, synced := idx.Exists("ns1", labels); exists || synced {
		t.Fatalf("before Run: exists %v synced %v", exists, synced)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { idx.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })

	waitFor(t, 10*time.Second, "the pod index to sync", func() bool { _, synced := idx.Exists("ns1", labels); return synced })
	<-watching
	for _, tt := range []struct {
		ns     string
		sel    map[string]string
		exists bool
	}{
		{"ns1", labels, true},
		{"ns1", map[string]string{AppSelectorLabel: "spark-7"}, true},
		{"ns2", labels, false},
		{"ns1", map[string]string{AppSelectorLabel: "spark-8"}, false},
		{"ns1", map[string]string{AppSelectorLabel: "spark-7", "spark-role": "executor"}, false},
	} {
		if exists, synced := idx.Exists(tt.ns, tt.sel); exists != tt.exists || !synced {
			t.Errorf("Exists(%s, %v) = %v, %v; want %v, true", tt.ns, tt.sel, exists, synced, tt.exists)
		}
	}

	if err := cs.CoreV1().Pods("ns1").Delete(t.Context(), "driver", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-idx.Deleted():
	case <-time.After(10 * time.Second):
		t.Fatal("no deletion signal")
	}
	if exists, synced := idx.Exists("ns1", labels); exists || !synced {
		t.Fatalf("after deletion: exists %v synced %v", exists, synced)
	}
}

// TestCleanerWithInformer runs the cleaner on a real pod index: a pod
// deletion triggers a pass long before CheckInterval.
func TestCleanerWithInformer(t *testing.T) {
	labels := map[string]string{AppSelectorLabel: "spark-9"}
	cs, watching := watchingClientset(sparkPod("ns1", "driver", labels))
	idx := NewPodIndex(cs)
	ts := newTestServer(t, Config{Pods: idx, CheckInterval: time.Hour})
	res, err := ts.client.Upload(t.Context(), "ns1", labels, bundletest.Files(t, []bundletest.Source{{Name: "jars/a", Data: "a", Mode: 0o644}}))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	wg.Go(func() { idx.Run(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait() })
	waitFor(t, 10*time.Second, "the pod index to sync", func() bool { _, synced := idx.Exists("ns1", labels); return synced })
	<-watching
	wg.Go(func() { ts.RunCleaner(ctx) })

	waitFor(t, 10*time.Second, "the bundle to be claimed", func() bool { m, _ := readMeta(t, ts.dir, res.ID); return m.Claimed })
	if err := cs.CoreV1().Pods("ns1").Delete(t.Context(), "driver", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the bundle to be deleted", func() bool { _, ok := readMeta(t, ts.dir, res.ID); return !ok })
	var se *StatusError
	if err := ts.client.Download(t.Context(), res, io.Discard); !errors.As(err, &se) || se.Code != http.StatusNotFound {
		t.Fatalf("Download after cleanup = %v, want 404", err)
	}
}
