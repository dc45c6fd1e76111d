package launch

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/gospark/gospark/internal/config"
	"github.com/gospark/gospark/internal/config/configtest"
	"github.com/gospark/gospark/internal/k8s/pods"
)

func conf(t *testing.T, kv ...string) *config.Conf {
	return configtest.Conf(t, append([]string{"spark.master", "k8s://https://10.0.0.1:6443", "spark.submit.deployMode", "cluster",
		"spark.kubernetes.container.image", "gospark:dev", "spark.app.name", "spark-pi"}, kv...)...)
}

var launched = time.UnixMilli(0x1a2031afff3)

func TestPlanObjects(t *testing.T) {
	p, err := NewPlan(conf(t, "spark.kubernetes.namespace", "jobs",
		"spark.kubernetes.authenticate.submission.oauthToken", "submitter-secret"),
		"local:///opt/gospark/examples/sparkpi", []string{"10"}, launched)
	if err != nil {
		t.Fatal(err)
	}
	if p.Driver.Name != "spark-pi-1a2031afff3-driver" || p.Namespace != "jobs" || p.SubmissionID() != "jobs:spark-pi-1a2031afff3-driver" {
		t.Errorf("driver %s in %s, submission %s", p.Driver.Name, p.Namespace, p.SubmissionID())
	}
	c := p.Driver.Spec.Containers[0]
	if !slices.Equal(c.Command, []string{"/opt/gospark/bin/gospark", "driver", "/opt/gospark/examples/sparkpi"}) || !slices.Equal(c.Args, []string{"10"}) {
		t.Errorf("driver runs %q %q", c.Command, c.Args)
	}
	// The steps' objects, in step order, each with the application's label.
	var names []string
	for _, o := range p.Objects {
		m, err := meta.Accessor(o)
		if err != nil {
			t.Fatal(err)
		}
		if m.GetNamespace() != "jobs" || m.GetLabels()[pods.LabelAppSelector] != p.AppID {
			t.Errorf("%T %s in %q, labels %v", o, m.GetName(), m.GetNamespace(), m.GetLabels())
		}
		names = append(names, fmt.Sprintf("%T %s", o, m.GetName()))
	}
	if want := []string{"*v1.Service spark-pi-1a2031afff3-driver-svc", "*v1.ConfigMap spark-pi-1a2031afff3-driver-conf"}; !slices.Equal(names, want) {
		t.Errorf("objects %q, want %q", names, want)
	}
	svc := find[*corev1.Service](t, p, "driver-svc")
	if svc.Spec.ClusterIP != "None" || svc.Spec.Selector[pods.LabelAppSelector] != p.AppID ||
		svc.Spec.Selector[pods.LabelRole] != "driver" || svc.Spec.Ports[0].Port != DefaultDriverPort {
		t.Errorf("service %+v", svc.Spec)
	}
	props, err := config.ParseProperties(strings.NewReader(find[*corev1.ConfigMap](t, p, "driver-conf").Data[pods.ConfFile]))
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{
		"spark.app.id":                     p.AppID,
		"spark.kubernetes.driver.pod.name": p.Driver.Name,
		"spark.driver.host":                "spark-pi-1a2031afff3-driver-svc.jobs.svc",
		"spark.driver.port":                "7078",
		"spark.master":                     "k8s://https://10.0.0.1:6443",
	} {
		if props[k] != want {
			t.Errorf("driver property %s=%q, want %q", k, props[k], want)
		}
	}
	if _, ok := props["spark.kubernetes.authenticate.submission.oauthToken"]; ok {
		t.Error("the submitter's token is passed to the driver")
	}
	if p.InitConfigMap != nil || p.InitSecret != nil || len(p.Driver.Spec.InitContainers) != 0 {
		t.Error("an init-container without dependencies")
	}
}

// find returns the plan's object of type T whose name is the resource
// prefix and suffix.
func find[T runtime.Object](t *testing.T, p *Plan, suffix string) T {
	t.Helper()
	for _, o := range p.Objects {
		if o, ok := o.(T); ok {
			if m, err := meta.Accessor(o); err == nil && m.GetName() == p.Prefix+"-"+suffix {
				return o
			}
		}
	}
	var zero T
	t.Fatalf("no %T %s-%s among the plan's objects", zero, p.Prefix, suffix)
	return zero
}

func TestPlanLongNameAndDriverCredentials(t *testing.T) {
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, []byte("CA"), 0o600); err != nil {
		t.Fatal(err)
	}
	name := strings.Repeat("A Very Long Name ", 10)[:160]
	p, err := NewPlan(conf(t, "spark.app.name", name,
		"spark.kubernetes.authenticate.driver.caCertFile", ca,
		"spark.kubernetes.authenticate.driver.oauthToken", "driver-token"),
		"local:///app", nil, launched)
	if err != nil {
		t.Fatal(err)
	}
	svc := find[*corev1.Service](t, p, "driver-svc")
	cmap := find[*corev1.ConfigMap](t, p, "driver-conf")
	secret := find[*corev1.Secret](t, p, "kubernetes-credentials")
	// The Service's name must be a DNS label; the others may be longer
	// subdomains.
	for _, n := range []string{p.Driver.Name, svc.Name, cmap.Name, secret.Name} {
		if !strings.HasPrefix(n, "a-very-long-name-a-very") {
			t.Errorf("name %q", n)
		}
	}
	if errs := validation.IsDNS1035Label(svc.Name); len(errs) > 0 {
		t.Errorf("service name %q: %v", svc.Name, errs)
	}
	for _, n := range []string{p.Driver.Name, cmap.Name, secret.Name} {
		if errs := validation.IsDNS1123Subdomain(n); len(errs) > 0 {
			t.Errorf("name %q: %v", n, errs)
		}
	}
	if string(secret.Data["ca.crt"]) != "CA" || string(secret.Data["oauth-token"]) != "driver-token" {
		t.Errorf("secret data %q", secret.Data)
	}
	cm := cmap.Data[pods.ConfFile]
	if strings.Contains(cm, "driver-token") || !strings.Contains(cm, "spark.kubernetes.authenticate.driver.mounted.oauthTokenFile="+pods.CredentialsDir+"/oauth-token") {
		t.Errorf("driver properties:\n%s", cm)
	}
}

func TestPlanRejects(t *testing.T) {
	for _, tc := range []struct {
		primary string
		kv      []string
		want    string
	}{
		{"plan_test.go", nil, "spark.kubernetes.resourceStagingServer.uri"},
		{"./no-such-app", nil, "no-such-app"},
		{"local:///app", []string{"spark.kubernetes.namespace", "Bad_NS"}, "spark.kubernetes.namespace"},
		{"local:///app", []string{"spark.kubernetes.driver.pod.name", "Bad_Name"}, "spark.kubernetes.driver.pod.name"},
		{"local:///app", []string{"spark.kubernetes.executor.volumes.nfs.x.mount.path", "/x"}, `volume type "nfs"`},
		{"local:///app", []string{"spark.kubernetes.authenticate.driver.caCertFile", "/no/such/file"}, "spark.kubernetes.authenticate.driver.caCertFile"},
		{"local:///app", []string{"spark.kubernetes.executor.podNamePrefix", strings.Repeat("x", 60)}, "spark.kubernetes.executor.podNamePrefix"},
	} {
		_, err := NewPlan(conf(t, tc.kv...), tc.primary, nil, launched)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %v: error %v, want one naming %s", tc.primary, tc.kv, err, tc.want)
		}
	}
}

func TestParseSubmissionID(t *testing.T) {
	for _, tc := range []struct{ id, ns, glob string }{
		{"spark:spark-pi-*", "spark", "spark-pi-*"},
		{"spark-pi-1-driver", "default", "spark-pi-1-driver"},
	} {
		ns, glob, err := ParseSubmissionID(tc.id, "default")
		if err != nil || ns != tc.ns || glob != tc.glob {
			t.Errorf("%s: %s %s %v", tc.id, ns, glob, err)
		}
	}
	for _, bad := range []string{"ns:", ":pod", "ns:[x"} {
		if _, _, err := ParseSubmissionID(bad, "default"); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// Dependencies outside the image give the driver and its executors an
// init-container; the driver's properties name the download paths, and a
// staging server adds the init Secret.
func TestPlanWithDependencies(t *testing.T) {
	p, err := NewPlan(conf(t, "spark.files", "http://files.example/data.csv,plan_test.go",
		"spark.kubernetes.resourceStagingServer.uri", "http://10.0.0.1:31000"), "plan.go", []string{"x"}, launched)
	if err != nil {
		t.Fatal(err)
	}
	if p.InitConfigMap == nil || p.InitSecret == nil {
		t.Fatalf("init config map %v, secret %v", p.InitConfigMap, p.InitSecret)
	}
	if p.InitConfigMap.Name != p.Prefix+"-init-config" || p.InitSecret.Name != p.Prefix+"-init-secret" ||
		find[*corev1.ConfigMap](t, p, "init-config") != p.InitConfigMap || find[*corev1.Secret](t, p, "init-secret") != p.InitSecret {
		t.Errorf("init config map %s, secret %s: not the plan's objects", p.InitConfigMap.Name, p.InitSecret.Name)
	}
	props := find[*corev1.ConfigMap](t, p, "driver-conf").Data[pods.ConfFile]
	for _, want := range []string{
		"spark.files=/var/spark-data/spark-files/data.csv,/var/spark-data/spark-files/plan_test.go",
		"spark.kubernetes.initContainer.configMapName=" + p.InitConfigMap.Name,
		"spark.kubernetes.initContainer.secretName=" + p.InitSecret.Name,
	} {
		if !strings.Contains(props, want) {
			t.Errorf("driver properties lack %q:\n%s", want, props)
		}
	}
	c := p.Driver.Spec.Containers[0]
	if len(p.Driver.Spec.InitContainers) != 1 || c.Command[2] != "/var/spark-data/spark-jars/plan.go" || c.WorkingDir != "/var/spark-data/spark-files" {
		t.Errorf("driver: %d init-containers, command %v, working dir %q", len(p.Driver.Spec.InitContainers), c.Command, c.WorkingDir)
	}
	// Only remote files: an init-container but no secret.
	p, err = NewPlan(conf(t, "spark.files", "http://files.example/data.csv"), "local:///app", nil, launched)
	if err != nil {
		t.Fatal(err)
	}
	if p.InitConfigMap == nil || p.InitSecret != nil || p.Driver.Spec.Containers[0].Command[2] != "/app" {
		t.Errorf("remote files only: config map %v, secret %v, command %v", p.InitConfigMap, p.InitSecret, p.Driver.Spec.Containers[0].Command)
	}
}
