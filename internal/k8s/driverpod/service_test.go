package driverpod

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/gospark/gospark/internal/config"
	"github.com/gospark/gospark/internal/config/configtest"
	"github.com/gospark/gospark/internal/k8s/pods"
)

func service(name, app, owner string) *corev1.Service {
	s := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", Labels: map[string]string{pods.LabelAppSelector: app}}}
	if owner != "" {
		s.OwnerReferences = []metav1.OwnerReference{{APIVersion: "v1", Kind: "Pod", Name: owner, UID: "u"}}
	}
	return s
}

func serviceNames(t *testing.T, cs kubernetes.Interface) []string {
	t.Helper()
	list, err := cs.CoreV1().Services("ns").List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range list.Items {
		names = append(names, s.Name)
	}
	slices.Sort(names)
	return names
}

func TestRemoveServices(t *testing.T) {
	for _, tc := range []struct {
		deleteOnTermination string
		want                []string
	}{
		// The driver's two Services go; another application's, and one
		// of this application that its driver pod does not own, stay.
		{"true", []string{"app-other-svc", "other-driver-svc"}},
		{"false", []string{"app-driver-svc", "app-other-svc", "app-ui-svc", "other-driver-svc"}},
	} {
		cs := fake.NewClientset(
			service("app-driver-svc", "spark-1", "app-driver"),
			service("app-ui-svc", "spark-1", "app-driver"),
			service("app-other-svc", "spark-1", ""),
			service("other-driver-svc", "spark-2", "other-driver"))
		conf := configtest.Conf(t, "spark.kubernetes.namespace", "ns", "spark.app.id", "spark-1",
			"spark.kubernetes.driver.pod.name", "app-driver",
			"spark.kubernetes.driver.service.deleteOnTermination", tc.deleteOnTermination)
		client := func(*config.Conf) (kubernetes.Interface, error) { return cs, nil }
		removeServices(context.Background(), conf, client, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if got := serviceNames(t, cs); !slices.Equal(got, tc.want) {
			t.Errorf("deleteOnTermination=%s: services left %v, want %v", tc.deleteOnTermination, got, tc.want)
		}
	}
}
