package launch

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	fakediscovery "k8s.io/client-go/discovery/fake"
	"k8s.io/client-go/dynamic"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/rest"
	k8stesting "k8s.io/client-go/testing"

	"github.com/gospark/gospark/internal/k8s/pods"
)

// volcanoCluster is a fake API server with (or without) Volcano's
// PodGroups, recording every call to either client in order.
type volcanoCluster struct {
	*fake.Clientset
	dyn   *dynamicfake.FakeDynamicClient
	mu    sync.Mutex
	calls []string // "verb resource name"
}

func (c *volcanoCluster) Dynamic() dynamic.Interface { return c.dyn }

func (c *volcanoCluster) record(a k8stesting.Action) {
	name := ""
	switch a := a.(type) {
	case k8stesting.CreateAction:
		if m, err := meta.Accessor(a.GetObject()); err == nil {
			name = m.GetName()
		}
	case k8stesting.DeleteAction:
		name = a.GetName()
	case k8stesting.PatchAction:
		name = a.GetName()
	}
	if a.GetVerb() == "get" && a.GetResource().Resource == "resource" {
		return // discovery
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = append(c.calls, strings.TrimSpace(a.GetVerb()+" "+a.GetResource().Resource+" "+name))
}

func newVolcanoCluster(withCRD bool) *volcanoCluster {
	c := &volcanoCluster{Clientset: fake.NewClientset(),
		dyn: dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(),
			map[schema.GroupVersionResource]string{pods.PodGroupResource: "PodGroupList"})}
	if withCRD {
		c.Discovery().(*fakediscovery.FakeDiscovery).Resources = []*metav1.APIResourceList{{
			GroupVersion: pods.PodGroupResource.GroupVersion().String(),
			APIResources: []metav1.APIResource{{Name: "podgroups", Namespaced: true, Kind: "PodGroup"}, {Name: "queues", Kind: "Queue"}},
		}}
	}
	rec := func(a k8stesting.Action) (bool, runtime.Object, error) {
		if pod, ok := a.(k8stesting.CreateAction); ok {
			if p, ok := pod.GetObject().(*corev1.Pod); ok {
				p.UID = "driver-uid"
			}
		}
		c.record(a)
		return false, nil, nil
	}
	c.PrependReactor("*", "*", rec)
	c.dyn.PrependReactor("*", "*", rec)
	return c
}

// volcanoPlan is a plan with Volcano's feature step for both roles.
func volcanoPlan(t *testing.T, kv ...string) *Plan {
	t.Helper()
	p, err := NewPlan(conf(t, append([]string{"spark.kubernetes.namespace", "jobs", "spark.kubernetes.submission.waitAppCompletion", "false",
		"spark.kubernetes.scheduler.name", "volcano",
		"spark.kubernetes.driver.pod.featureSteps", pods.VolcanoFeatureStep,
		"spark.kubernetes.executor.pod.featureSteps", pods.VolcanoFeatureStep}, kv...)...),
		"local:///app", nil, launched)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPlanPodGroupBeforeTheDriver(t *testing.T) {
	p := volcanoPlan(t, "spark.app.id", "spark-0123")
	if len(p.PreObjects) != 1 || !pods.PreResource(p.PreObjects[0]) {
		t.Fatalf("pre-resources %v", p.PreObjects)
	}
	if pg := p.PreObjects[0].(*unstructured.Unstructured); pg.GetName() != "spark-0123-podgroup" || pg.GetNamespace() != "jobs" {
		t.Errorf("PodGroup %s/%s", pg.GetNamespace(), pg.GetName())
	}
	for _, o := range p.Objects {
		if pods.PreResource(o) {
			t.Errorf("the PodGroup is also among the objects created after the driver")
		}
	}
	if p.Driver.Annotations[pods.PodGroupAnnotation] != "spark-0123-podgroup" || p.Driver.Spec.SchedulerName != "volcano" {
		t.Errorf("driver pod: annotations %v, scheduler %q", p.Driver.Annotations, p.Driver.Spec.SchedulerName)
	}
	// The executors' feature step reaches the driver, which builds them.
	if got := p.DriverConf.String("spark.kubernetes.executor.pod.featureSteps"); got != pods.VolcanoFeatureStep {
		t.Errorf("driver's executor feature steps %q", got)
	}
	// An unknown feature step fails the plan, naming the property.
	_, err := NewPlan(conf(t, "spark.kubernetes.executor.pod.featureSteps", "com.example.Step"), "local:///app", nil, launched)
	if err == nil || !strings.Contains(err.Error(), "spark.kubernetes.executor.pod.featureSteps") {
		t.Errorf("unknown executor feature step: %v", err)
	}
}

// Spark's order: the PodGroup, the driver pod, the PodGroup made the
// driver's, then the driver's other objects.
func TestCreatePodGroupFirstThenOwnIt(t *testing.T) {
	p := volcanoPlan(t)
	c := newVolcanoCluster(true)
	var out strings.Builder
	if code, err := Submit(context.Background(), c, p, p.DriverConf, &out); err != nil || code != 0 {
		t.Fatalf("submit: %d, %v\n%s", code, err, out.String())
	}
	group := pods.PodGroupName(p.AppID)
	want := []string{"create podgroups " + group, "create pods " + p.Prefix + "-driver", "patch podgroups " + group,
		"create services " + p.Prefix + "-driver-svc", "create configmaps " + p.Prefix + "-driver-conf"}
	if !slices.Equal(c.calls, want) {
		t.Errorf("calls\n %q\nwant\n %q", c.calls, want)
	}
	pg, err := c.dyn.Resource(pods.PodGroupResource).Namespace("jobs").Get(context.Background(), group, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	refs := pg.GetOwnerReferences()
	if len(refs) != 1 || refs[0].Kind != "Pod" || refs[0].Name != p.Driver.Name || refs[0].UID != types.UID("driver-uid") || refs[0].Controller == nil || !*refs[0].Controller {
		t.Errorf("PodGroup owned by %+v", refs)
	}
	if pg.GetLabels()[pods.LabelAppSelector] != p.AppID {
		t.Errorf("PodGroup labels %v", pg.GetLabels())
	}
	// The plan holds the PodGroup as the API server has it.
	if got := p.PreObjects[0].(*unstructured.Unstructured).GetOwnerReferences(); len(got) != 1 || got[0].UID != "driver-uid" {
		t.Errorf("plan's PodGroup owned by %+v", got)
	}
}

// When anything after the PodGroup fails, the PodGroup goes too.
func TestCreatePodGroupRollsBack(t *testing.T) {
	refused := errors.New("quota exceeded")
	for _, tc := range []struct {
		name, verb, resource string
		want                 []string // calls after the failing one, with %p the prefix, %g the group
		message              string
	}{
		{"driver pod refused", "create", "pods", []string{"delete podgroups %g"}, "creating driver pod"},
		{"owner refused", "patch", "podgroups", []string{"delete pods %p-driver", "delete podgroups %g"}, "making driver pod %p-driver the owner of Volcano PodGroup %g"},
		{"service refused", "create", "services", []string{"delete pods %p-driver", "delete podgroups %g"}, "creating service %p-driver-svc"},
		{"PodGroup refused", "create", "podgroups", nil, "creating Volcano PodGroup %g"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := volcanoPlan(t)
			c := newVolcanoCluster(true)
			fail := func(a k8stesting.Action) (bool, runtime.Object, error) {
				c.record(a)
				return true, nil, refused
			}
			if tc.resource == "podgroups" {
				c.dyn.PrependReactor(tc.verb, tc.resource, fail)
			} else {
				c.PrependReactor(tc.verb, tc.resource, fail)
			}
			_, err := Submit(context.Background(), c, p, p.DriverConf, io.Discard)
			expand := func(s string) string {
				return strings.NewReplacer("%p", p.Prefix, "%g", pods.PodGroupName(p.AppID)).Replace(s)
			}
			if !errors.Is(err, refused) || !strings.Contains(err.Error(), expand(tc.message)) {
				t.Fatalf("error %v, want one wrapping %q and saying %q", err, refused, expand(tc.message))
			}
			at := slices.IndexFunc(c.calls, func(s string) bool { return strings.HasPrefix(s, tc.verb+" "+tc.resource) })
			var want []string
			for _, w := range tc.want {
				want = append(want, expand(w))
			}
			if got := c.calls[at+1:]; !slices.Equal(got, want) {
				t.Errorf("after the failure: %q, want %q (all: %q)", got, want, c.calls)
			}
			if _, err := c.dyn.Resource(pods.PodGroupResource).Namespace("jobs").Get(context.Background(), pods.PodGroupName(p.AppID), metav1.GetOptions{}); !apierrors.IsNotFound(err) {
				t.Errorf("PodGroup left: %v", err)
			}
		})
	}
}

// Without Volcano's CRD, submit fails before creating or uploading
// anything, saying what is missing and which properties asked for it.
func TestSubmitRefusesWithoutPodGroupCRD(t *testing.T) {
	f := writePodGroup(t, "spec:\n  queue: etl\n")
	p := volcanoPlan(t, pods.PodGroupTemplateProperty, f)
	c := newVolcanoCluster(false)
	var out strings.Builder
	code, err := Submit(context.Background(), c, p, p.DriverConf, &out)
	if code == 0 || !errors.Is(err, ErrNoPodGroups) {
		t.Fatalf("submit: %d, %v", code, err)
	}
	for _, w := range []string{"podgroups.scheduling.volcano.sh", "v1beta1", "install Volcano",
		"spark.kubernetes.driver.pod.featureSteps=" + pods.VolcanoFeatureStep,
		"spark.kubernetes.executor.pod.featureSteps=" + pods.VolcanoFeatureStep,
		"spark.kubernetes.scheduler.name=volcano", pods.PodGroupTemplateProperty + "=" + f} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not say %q", err, w)
		}
	}
	if len(c.calls) != 0 || out.Len() != 0 {
		t.Errorf("calls %q, output %q", c.calls, out.String())
	}
	// Another API group's PodGroups are not Volcano's.
	c = newVolcanoCluster(false)
	c.Discovery().(*fakediscovery.FakeDiscovery).Resources = []*metav1.APIResourceList{{
		GroupVersion: pods.PodGroupResource.GroupVersion().String(), APIResources: []metav1.APIResource{{Name: "queues"}}}}
	if _, err := Submit(context.Background(), c, volcanoPlan(t), p.DriverConf, io.Discard); !errors.Is(err, ErrNoPodGroups) {
		t.Errorf("group without podgroups: %v", err)
	}
	// Without Volcano, discovery is not asked.
	c = newVolcanoCluster(false)
	asked := false
	c.Discovery().(*fakediscovery.FakeDiscovery).PrependReactor("get", "resource", func(k8stesting.Action) (bool, runtime.Object, error) {
		asked = true
		return false, nil, nil
	})
	plain, err := NewPlan(conf(t, "spark.kubernetes.submission.waitAppCompletion", "false", "spark.kubernetes.scheduler.name", "volcano"), "local:///app", nil, launched)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Submit(context.Background(), c, plain, plain.DriverConf, io.Discard); err != nil || asked {
		t.Errorf("without the feature step: %v, discovery asked: %v", err, asked)
	}
}

func writePodGroup(t *testing.T, text string) string {
	t.Helper()
	f := t.TempDir() + "/pg.yaml"
	if err := os.WriteFile(f, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

// A clientset made from a REST configuration gets its PodGroups over the
// same connection: the server's path prefix, its credentials.
func TestDynamicOverTheClientsetsConnection(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Method+" "+r.URL.Path+" "+r.Header.Get("Authorization"))
		mu.Unlock()
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		var obj map[string]any
		if json.Unmarshal(body, &obj) != nil {
			obj = map[string]any{}
		}
		_ = json.NewEncoder(w).Encode(obj)
	}))
	t.Cleanup(srv.Close)
	cs, err := kubernetes.NewForConfig(&rest.Config{Host: srv.URL + "/k8s/clusters/c-1", BearerToken: "tok"})
	if err != nil {
		t.Fatal(err)
	}
	dyn, err := dynamicFor(cs)
	if err != nil {
		t.Fatal(err)
	}
	pg, err := pods.PodGroup(conf(t), "spark-1", "jobs")
	if err != nil {
		t.Fatal(err)
	}
	made, err := dyn.Resource(pods.PodGroupResource).Namespace("jobs").Create(context.Background(), pg, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if made.GetName() != "spark-1-podgroup" {
		t.Errorf("made %v", made.Object)
	}
	want := []string{"POST /k8s/clusters/c-1/apis/scheduling.volcano.sh/v1beta1/namespaces/jobs/podgroups Bearer tok"}
	if !slices.Equal(seen, want) {
		t.Errorf("requests %q, want %q", seen, want)
	}
	// A fake clientset has no connection: that is an error, not a panic.
	if _, err := dynamicFor(fake.NewClientset()); err == nil {
		t.Error("a fake clientset gave a dynamic client")
	}
}
