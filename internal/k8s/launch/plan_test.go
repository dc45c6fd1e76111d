package launch

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
	if c.Command[0] != "/opt/gospark/examples/sparkpi" || c.Args[0] != "10" {
		t.Errorf("driver runs %v %v", c.Command, c.Args)
	}
	if p.Service.Spec.ClusterIP != "None" || p.Service.Spec.Selector[pods.LabelAppSelector] != p.AppID ||
		p.Service.Spec.Selector[pods.LabelRole] != "driver" || p.Service.Spec.Ports[0].Port != DefaultDriverPort {
		t.Errorf("service %+v", p.Service.Spec)
	}
	props, err := config.ParseProperties(strings.NewReader(p.ConfigMap.Data[pods.ConfFile]))
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
	if p.Secret != nil {
		t.Error("a credentials secret without driver credentials")
	}
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
	// The Service's name must be a DNS label; the others may be longer
	// subdomains.
	for _, n := range []string{p.Driver.Name, p.Service.Name, p.ConfigMap.Name, p.Secret.Name} {
		if !strings.HasPrefix(n, "a-very-long-name-a-very") {
			t.Errorf("name %q", n)
		}
	}
	if errs := validation.IsDNS1035Label(p.Service.Name); len(errs) > 0 {
		t.Errorf("service name %q: %v", p.Service.Name, errs)
	}
	for _, n := range []string{p.Driver.Name, p.ConfigMap.Name, p.Secret.Name} {
		if errs := validation.IsDNS1123Subdomain(n); len(errs) > 0 {
			t.Errorf("name %q: %v", n, errs)
		}
	}
	if string(p.Secret.Data["ca.crt"]) != "CA" || string(p.Secret.Data["oauth-token"]) != "driver-token" {
		t.Errorf("secret data %q", p.Secret.Data)
	}
	cm := p.ConfigMap.Data[pods.ConfFile]
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
	props := p.ConfigMap.Data[pods.ConfFile]
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
	if len(p.Driver.Spec.InitContainers) != 1 || c.Command[0] != "/var/spark-data/spark-jars/plan.go" || c.WorkingDir != "/var/spark-data/spark-files" {
		t.Errorf("driver: %d init-containers, command %v, working dir %q", len(p.Driver.Spec.InitContainers), c.Command, c.WorkingDir)
	}
	// Only remote files: an init-container but no secret.
	p, err = NewPlan(conf(t, "spark.files", "http://files.example/data.csv"), "local:///app", nil, launched)
	if err != nil {
		t.Fatal(err)
	}
	if p.InitConfigMap == nil || p.InitSecret != nil || p.Driver.Spec.Containers[0].Command[0] != "/app" {
		t.Errorf("remote files only: config map %v, secret %v, command %v", p.InitConfigMap, p.InitSecret, p.Driver.Spec.Containers[0].Command)
	}
}
