package launch

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/gospark/gospark/internal/image"
	"github.com/gospark/gospark/internal/k8s/pods"
)

// The driver runs gospark at the path the image puts it; pods cannot
// import internal/image, so the two constants are checked here.
func TestGosparkBinIsTheImageEntrypoint(t *testing.T) {
	if pods.GosparkBin != image.BinPath {
		t.Errorf("pods.GosparkBin %q, image.BinPath %q", pods.GosparkBin, image.BinPath)
	}
	if pods.GosparkPyBin != image.PyBinPath {
		t.Errorf("pods.GosparkPyBin %q, image.PyBinPath %q", pods.GosparkPyBin, image.PyBinPath)
	}
}

// planWithEverything has every object the steps make: Service, driver
// ConfigMap, credentials Secret, init ConfigMap and Secret.
func planWithEverything(t *testing.T) *Plan {
	p, err := NewPlan(conf(t, "spark.kubernetes.namespace", "jobs", "spark.kubernetes.authenticate.driver.oauthToken", "t",
		"spark.files", "plan_test.go", "spark.kubernetes.resourceStagingServer.uri", "http://10.0.0.1:31000"),
		"local:///app", nil, launched)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Create sends the driver pod first, then the steps' objects in step
// order, each owned by the driver pod.
func TestCreateOwnsObjectsByTheDriver(t *testing.T) {
	p := planWithEverything(t)
	cs := fake.NewClientset()
	var order []string
	cs.PrependReactor("create", "*", func(a k8stesting.Action) (bool, runtime.Object, error) {
		obj := a.(k8stesting.CreateAction).GetObject()
		m, _ := meta.Accessor(obj)
		if pod, ok := obj.(*corev1.Pod); ok {
			pod.UID = types.UID("driver-uid")
		}
		order = append(order, a.GetResource().Resource+" "+m.GetName())
		return false, nil, nil
	})
	if err := Create(context.Background(), cs, p); err != nil {
		t.Fatal(err)
	}
	pre := p.Prefix
	want := []string{"pods " + pre + "-driver", "services " + pre + "-driver-svc", "configmaps " + pre + "-driver-conf",
		"secrets " + pre + "-kubernetes-credentials", "configmaps " + pre + "-init-config", "secrets " + pre + "-init-secret"}
	if !slices.Equal(order, want) {
		t.Errorf("created\n %q\nwant\n %q", order, want)
	}
	ctx := context.Background()
	check := func(what string, obj metav1.Object, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		refs := obj.GetOwnerReferences()
		if len(refs) != 1 || refs[0].Kind != "Pod" || refs[0].Name != pre+"-driver" || refs[0].UID != "driver-uid" || refs[0].Controller == nil || !*refs[0].Controller {
			t.Errorf("%s owned by %+v", what, refs)
		}
	}
	core := cs.CoreV1()
	svc, err := core.Services("jobs").Get(ctx, pre+"-driver-svc", metav1.GetOptions{})
	check("service", svc, err)
	for _, name := range []string{pre + "-driver-conf", pre + "-init-config"} {
		cm, err := core.ConfigMaps("jobs").Get(ctx, name, metav1.GetOptions{})
		check(name, cm, err)
	}
	for _, name := range []string{pre + "-kubernetes-credentials", pre + "-init-secret"} {
		s, err := core.Secrets("jobs").Get(ctx, name, metav1.GetOptions{})
		check(name, s, err)
	}
}

// When an object cannot be created, the driver pod (and through it what
// was created) is deleted again and the error names the object.
func TestCreateRollsBack(t *testing.T) {
	p := planWithEverything(t)
	cs := fake.NewClientset()
	refused := errors.New("quota exceeded")
	cs.PrependReactor("create", "secrets", func(a k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, refused
	})
	var deleted []string
	cs.PrependReactor("delete", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		deleted = append(deleted, a.(k8stesting.DeleteAction).GetName())
		return false, nil, nil
	})
	err := Create(context.Background(), cs, p)
	want := fmt.Sprintf("creating secret %s-kubernetes-credentials", p.Prefix)
	if !errors.Is(err, refused) || !strings.Contains(err.Error(), want) {
		t.Fatalf("error %v, want one wrapping %q and containing %q", err, refused, want)
	}
	if !slices.Equal(deleted, []string{p.Prefix + "-driver"}) {
		t.Errorf("deleted pods %q, want the driver", deleted)
	}
	if _, err := cs.CoreV1().Pods("jobs").Get(context.Background(), p.Prefix+"-driver", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("driver pod still there: %v", err)
	}
	// The driver pod cannot be created: nothing else is tried.
	cs = fake.NewClientset()
	cs.PrependReactor("create", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) { return true, nil, refused })
	var tried []string
	cs.PrependReactor("create", "*", func(a k8stesting.Action) (bool, runtime.Object, error) {
		tried = append(tried, a.GetResource().Resource)
		return false, nil, nil
	})
	if err := Create(context.Background(), cs, planWithEverything(t)); !errors.Is(err, refused) || !slices.Equal(tried, []string{"pods"}) {
		t.Errorf("error %v, tried %q", err, tried)
	}
}

// Once the driver pod is created, submit says how to reach its UI: the
// port-forward line, and with exposeUiPort the NodePort Service's URL on
// a ready node, with the node port the API server chose.
func TestReportUI(t *testing.T) {
	ctx := context.Background()
	node := func(name string, ready corev1.ConditionStatus, addrs ...corev1.NodeAddress) *corev1.Node {
		return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}, Status: corev1.NodeStatus{
			Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: ready}}, Addresses: addrs}}
	}
	internal := func(ip string) corev1.NodeAddress {
		return corev1.NodeAddress{Type: corev1.NodeInternalIP, Address: ip}
	}
	for _, tc := range []struct {
		name  string
		kv    []string
		nodes []runtime.Object
		want  []string // the lines after "Created driver pod"
	}{
		{"default", nil, nil, []string{"Driver UI: kubectl port-forward -n jobs %s-driver 4040:4040, then http://localhost:4040"}},
		{"port", []string{"spark.ui.port", "4050"}, nil, []string{"Driver UI: kubectl port-forward -n jobs %s-driver 4050:4050, then http://localhost:4050"}},
		{"disabled", []string{"spark.ui.enabled", "false", "spark.kubernetes.driver.service.exposeUiPort", "true"}, nil, nil},
		{"exposed", []string{"spark.kubernetes.driver.service.exposeUiPort", "true"},
			[]runtime.Object{node("down", corev1.ConditionFalse, internal("10.0.0.9")), node("up", corev1.ConditionTrue, internal("10.0.0.2"))},
			[]string{"Driver UI: kubectl port-forward -n jobs %s-driver 4040:4040, then http://localhost:4040",
				"Driver UI on every node: http://10.0.0.2:31234 (service %s-ui-svc)"}},
		{"exposed without nodes", []string{"spark.kubernetes.driver.service.exposeUiPort", "true"}, nil,
			[]string{"Driver UI: kubectl port-forward -n jobs %s-driver 4040:4040, then http://localhost:4040",
				"Driver UI on every node: http://<node>:31234 (service %s-ui-svc; no node's address: no ready node has an address)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := NewPlan(conf(t, append([]string{"spark.kubernetes.namespace", "jobs", "spark.kubernetes.submission.waitAppCompletion", "false"}, tc.kv...)...),
				"local:///app", nil, launched)
			if err != nil {
				t.Fatal(err)
			}
			cs := fake.NewClientset(tc.nodes...)
			// The API server picks a NodePort Service's node port.
			cs.PrependReactor("create", "services", func(a k8stesting.Action) (bool, runtime.Object, error) {
				svc := a.(k8stesting.CreateAction).GetObject().(*corev1.Service)
				if svc.Spec.Type == corev1.ServiceTypeNodePort {
					for i := range svc.Spec.Ports {
						svc.Spec.Ports[i].NodePort = 31234
					}
				}
				return false, nil, nil
			})
			var out strings.Builder
			if code, err := Submit(ctx, cs, p, p.DriverConf, &out); err != nil || code != 0 {
				t.Fatalf("submit: %d, %v", code, err)
			}
			lines := strings.Split(strings.TrimSpace(out.String()), "\n")
			if len(lines) < 2 || !strings.HasPrefix(lines[0], "Created driver pod") {
				t.Fatalf("output:\n%s", out.String())
			}
			var want []string
			for _, w := range tc.want {
				want = append(want, strings.ReplaceAll(w, "%s", p.Prefix))
			}
			// Then the line saying submit does not wait.
			if got := lines[1 : len(lines)-1]; !slices.Equal(got, want) {
				t.Errorf("output:\n%s\nwant the lines\n%s", out.String(), strings.Join(want, "\n"))
			}
		})
	}
}
