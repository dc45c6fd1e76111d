package pods

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/gospark/gospark/internal/config"
)

// Each step alone: its change to a new pod, its properties on a copy of
// the submission's configuration, and its objects.

func stepNamed(t *testing.T, name string) Step {
	t.Helper()
	for _, s := range Steps {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no step %q", name)
	return Step{}
}

// submitted is the driver pod of a submission with prefix "pi".
func submitted(t *testing.T, kv ...string) *Input {
	return &Input{Conf: conf(t, append([]string{"spark.kubernetes.container.image", "img", "spark.app.name", "Spark Pi"}, kv...)...),
		Role: Driver, AppID: "spark-app-1", Name: "pi-driver", Namespace: "jobs", Prefix: "pi", Command: []string{"/app"}, Args: []string{"10"}}
}

// outcome is what one step did.
type outcome struct {
	pod     *corev1.Pod
	driver  *config.Conf
	objects []runtime.Object
}

// runStep runs step s alone on in: Properties, then Pod, then Objects, as
// submit does.
func runStep(t *testing.T, s Step, in *Input) (outcome, error) {
	t.Helper()
	o := outcome{driver: in.Conf.Clone()}
	if s.Properties != nil {
		if err := s.Properties(in, o.driver); err != nil {
			return o, err
		}
	}
	p, err := newPod(in)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Pod(in, p); err != nil {
		return o, err
	}
	o.pod = p
	if s.Objects != nil {
		if o.objects, err = s.Objects(in, o.driver); err != nil {
			return o, err
		}
	}
	return o, nil
}

func mustRun(t *testing.T, name string, in *Input) outcome {
	t.Helper()
	o, err := runStep(t, stepNamed(t, name), in)
	if err != nil {
		t.Fatalf("step %s: %v", name, err)
	}
	return o
}

// changed lists the properties of driver that differ from in.Conf, "-name"
// for the ones removed.
func changed(in *Input, driver *config.Conf) []string {
	before, after := in.Conf.All(), driver.All()
	var out []string
	for k, v := range after {
		if w, ok := before[k]; !ok || w != v {
			out = append(out, k+"="+v)
		}
	}
	for k := range before {
		if _, ok := after[k]; !ok {
			out = append(out, "-"+k)
		}
	}
	slices.Sort(out)
	return out
}

func equal(t *testing.T, what string, got, want []string) {
	t.Helper()
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("%s:\n got %q\nwant %q", what, got, want)
	}
}

func only[T runtime.Object](t *testing.T, objs []runtime.Object) T {
	t.Helper()
	if len(objs) != 1 {
		t.Fatalf("%d objects, want one", len(objs))
	}
	o, ok := objs[0].(T)
	if !ok {
		t.Fatalf("object is a %T", objs[0])
	}
	return o
}

func checkMeta(t *testing.T, name, namespace string, labels map[string]string, want string) {
	t.Helper()
	if name != want || namespace != "jobs" || len(labels) != 1 || labels[LabelAppSelector] != "spark-app-1" {
		t.Errorf("object %s in %q, labels %v; want %s in jobs with the application's label", name, namespace, labels, want)
	}
}

// Only the driver pod of a submission has properties and objects: not an
// executor, not a driver pod built alone.
func TestStepsOnlyForTheSubmittedDriver(t *testing.T) {
	for _, s := range Steps {
		if s.Pod == nil {
			t.Errorf("step %s changes no pod", s.Name)
		}
		for _, in := range []*Input{
			{Conf: conf(t, "spark.kubernetes.container.image", "img"), Role: Executor, AppID: "a", Name: "e", ExecutorID: "1", Prefix: "pi", Command: []string{"/app"}},
			{Conf: conf(t, "spark.kubernetes.container.image", "img"), Role: Driver, AppID: "a", Name: "d", Command: []string{"/app"}},
		} {
			o, err := runStep(t, s, in)
			if err != nil {
				t.Fatalf("%s: %v", s.Name, err)
			}
			if c := changed(in, o.driver); len(c) > 0 || len(o.objects) > 0 {
				t.Errorf("step %s for a %s pod (prefix %q): properties %q, %d objects", s.Name, in.Role, in.Prefix, c, len(o.objects))
			}
		}
	}
}

func TestMetadataStep(t *testing.T) {
	in := submitted(t)
	o := mustRun(t, "metadata", in)
	if o.pod.Name != "pi-driver" || o.pod.Namespace != "jobs" || o.pod.Labels[LabelAppSelector] != "spark-app-1" || o.pod.Labels[LabelRole] != "driver" {
		t.Errorf("pod %s in %s, labels %v", o.pod.Name, o.pod.Namespace, o.pod.Labels)
	}
	// spark.app.name is already the submission's.
	equal(t, "properties", changed(in, o.driver), []string{"spark.app.id=spark-app-1", "spark.kubernetes.namespace=jobs",
		"spark.kubernetes.driver.pod.name=pi-driver", "spark.kubernetes.executor.podNamePrefix=pi", "spark.submit.deployMode=cluster"})

	in = submitted(t, "spark.kubernetes.executor.podNamePrefix", "workers")
	if o := mustRun(t, "metadata", in); o.driver.String("spark.kubernetes.executor.podNamePrefix") != "workers" {
		t.Errorf("executor prefix %q, want the user's", o.driver.String("spark.kubernetes.executor.podNamePrefix"))
	}
	in = submitted(t, "spark.kubernetes.executor.podNamePrefix", strings.Repeat("x", 60))
	if _, err := runStep(t, stepNamed(t, "metadata"), in); err == nil || !strings.Contains(err.Error(), "spark.kubernetes.executor.podNamePrefix") {
		t.Errorf("a too long executor prefix: error %v", err)
	}
}

// The driver runs the application through gospark; executors run it
// directly.
func TestCommandStep(t *testing.T) {
	o := mustRun(t, "command", submitted(t))
	if c := o.pod.Spec.Containers[0]; !slices.Equal(c.Command, []string{GosparkBin, "driver", "/app"}) || !slices.Equal(c.Args, []string{"10"}) {
		t.Errorf("driver runs %q %q", c.Command, c.Args)
	}
	o = mustRun(t, "command", &Input{Conf: conf(t), Role: Executor, Command: []string{"/app"}, Args: []string{"10"}})
	if c := o.pod.Spec.Containers[0]; !slices.Equal(c.Command, []string{"/app"}) || !slices.Equal(c.Args, []string{"10"}) {
		t.Errorf("executor runs %q %q", c.Command, c.Args)
	}
	if _, err := runStep(t, stepNamed(t, "command"), &Input{Conf: conf(t), Role: Executor}); err == nil {
		t.Error("a pod without a program was built")
	}
}

func TestServiceStep(t *testing.T) {
	for _, tc := range []struct {
		kv   []string
		port int32
		ui   int32 // 0: no UI port
		// props are the properties the step sets besides
		// spark.driver.host (and spark.driver.port, unless the
		// submission's already is port).
		props []string
	}{
		{nil, 7078, 4040, nil},
		{[]string{"spark.driver.port", "0"}, 7078, 4040, nil},
		{[]string{"spark.driver.port", "7100"}, 7100, 4040, nil},
		{[]string{"spark.ui.port", "4050"}, 7078, 4050, nil},
		// Any free port cannot be named by the Service: 4040 it is.
		{[]string{"spark.ui.port", "0"}, 7078, 4040, []string{"spark.ui.port=4040"}},
		{[]string{"spark.ui.enabled", "false"}, 7078, 0, nil},
		// Without the UI there is nothing to expose.
		{[]string{"spark.ui.enabled", "false", "spark.kubernetes.driver.service.exposeUiPort", "true"}, 7078, 0, nil},
	} {
		in := submitted(t, tc.kv...)
		o := mustRun(t, "driver service", in)
		wantPorts := []corev1.ContainerPort{{Name: DriverPortName, ContainerPort: tc.port, Protocol: corev1.ProtocolTCP}}
		if tc.ui != 0 {
			wantPorts = append(wantPorts, corev1.ContainerPort{Name: "spark-ui", ContainerPort: tc.ui, Protocol: corev1.ProtocolTCP})
		}
		if ports := o.pod.Spec.Containers[0].Ports; !slices.Equal(ports, wantPorts) {
			t.Errorf("%v: ports %+v, want %+v", tc.kv, ports, wantPorts)
		}
		want := append([]string{"spark.driver.host=pi-driver-svc.jobs.svc", "spark.driver.port=" + strconv.Itoa(int(tc.port))}, tc.props...)
		if in.Conf.String("spark.driver.port") == strconv.Itoa(int(tc.port)) {
			want = slices.Delete(want, 1, 2) // already the submission's
		}
		equal(t, "properties", changed(in, o.driver), want)
		svc := only[*corev1.Service](t, o.objects)
		checkMeta(t, svc.Name, svc.Namespace, svc.Labels, "pi-driver-svc")
		s := svc.Spec
		wantSvcPorts := []corev1.ServicePort{{Name: DriverPortName, Port: tc.port, Protocol: corev1.ProtocolTCP}}
		if tc.ui != 0 {
			wantSvcPorts = append(wantSvcPorts, corev1.ServicePort{Name: "spark-ui", Port: tc.ui, Protocol: corev1.ProtocolTCP})
		}
		if s.ClusterIP != corev1.ClusterIPNone || s.Type != "" || !s.PublishNotReadyAddresses || len(s.Selector) != 2 ||
			s.Selector[LabelAppSelector] != "spark-app-1" || s.Selector[LabelRole] != "driver" || !slices.Equal(s.Ports, wantSvcPorts) {
			t.Errorf("%v: service %+v", tc.kv, s)
		}
	}
}

// With spark.kubernetes.driver.service.exposeUiPort the UI also gets a
// NodePort Service of its own (the driver's Service is headless, which a
// NodePort Service cannot be); the headless one is as without it.
func TestServiceStepExposesTheUI(t *testing.T) {
	in := submitted(t, "spark.kubernetes.driver.service.exposeUiPort", "true", "spark.ui.port", "4050")
	o := mustRun(t, "driver service", in)
	if len(o.objects) != 2 {
		t.Fatalf("%d objects, want the driver's Service and the UI's", len(o.objects))
	}
	headless, ui := o.objects[0].(*corev1.Service), o.objects[1].(*corev1.Service)
	if headless.Name != "pi-driver-svc" || headless.Spec.ClusterIP != corev1.ClusterIPNone || len(headless.Spec.Ports) != 2 {
		t.Errorf("driver service %s: %+v", headless.Name, headless.Spec)
	}
	checkMeta(t, ui.Name, ui.Namespace, ui.Labels, "pi-ui-svc")
	if ui.Name != UIService("pi") {
		t.Errorf("UIService(pi) = %q, the service is %q", UIService("pi"), ui.Name)
	}
	want := []corev1.ServicePort{{Name: "spark-ui", Port: 4050, TargetPort: intstr.FromString("spark-ui"), Protocol: corev1.ProtocolTCP}}
	s := ui.Spec
	if s.Type != corev1.ServiceTypeNodePort || s.ClusterIP != "" || s.PublishNotReadyAddresses ||
		!maps.Equal(s.Selector, map[string]string{LabelAppSelector: "spark-app-1", LabelRole: "driver"}) || !slices.Equal(s.Ports, want) {
		t.Errorf("UI service %+v", s)
	}
	// The pod's spark-ui port is the one the NodePort Service targets.
	if ports := o.pod.Spec.Containers[0].Ports; len(ports) != 2 || ports[1].Name != "spark-ui" || ports[1].ContainerPort != 4050 {
		t.Errorf("pod ports %+v", ports)
	}
}

func TestDriverConfStep(t *testing.T) {
	in := submitted(t)
	s := stepNamed(t, "driver configuration")
	if s.Properties != nil {
		t.Error("the driver configuration step adds properties of its own")
	}
	o := mustRun(t, "driver configuration", in)
	ctr := o.pod.Spec.Containers[0]
	vols := o.pod.Spec.Volumes
	if len(vols) != 1 || vols[0].ConfigMap == nil || vols[0].ConfigMap.Name != "pi-driver-conf" ||
		len(ctr.VolumeMounts) != 1 || ctr.VolumeMounts[0] != (corev1.VolumeMount{Name: vols[0].Name, MountPath: ConfDir, ReadOnly: true}) ||
		len(ctr.Env) != 1 || ctr.Env[0] != (corev1.EnvVar{Name: config.EnvConfFile, Value: "/opt/gospark/conf/spark.properties"}) {
		t.Errorf("volumes %+v, mounts %+v, env %+v", vols, ctr.VolumeMounts, ctr.Env)
	}
	// It carries the driver's configuration as the other steps made it.
	driver := in.Conf.Clone()
	if err := driver.Set("spark.driver.host", "pi-driver-svc.jobs.svc"); err != nil {
		t.Fatal(err)
	}
	objs, err := s.Objects(in, driver)
	if err != nil {
		t.Fatal(err)
	}
	cm := only[*corev1.ConfigMap](t, objs)
	checkMeta(t, cm.Name, cm.Namespace, cm.Labels, "pi-driver-conf")
	props, err := config.ParseProperties(strings.NewReader(cm.Data[ConfFile]))
	if err != nil || len(cm.Data) != 1 {
		t.Fatalf("config map data %q: %v", cm.Data, err)
	}
	if !maps.Equal(props, driver.All()) {
		t.Errorf("config map holds %v, want %v", props, driver.All())
	}
}

func TestCredentialsStep(t *testing.T) {
	dir := t.TempDir()
	file := func(name, content string) string {
		f := filepath.Join(dir, name)
		if err := os.WriteFile(f, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return f
	}
	const auth = "spark.kubernetes.authenticate."
	in := submitted(t, auth+"driver.caCertFile", file("ca.pem", "CA"), auth+"driver.clientKeyFile", file("key.pem", "KEY"),
		auth+"driver.clientCertFile", file("cert.pem", "CERT"), auth+"driver.oauthTokenFile", file("token", "TOKEN"),
		auth+"submission.oauthToken", "submitter-token", auth+"submission.caCertFile", file("sub-ca.pem", "SUBCA"))
	o := mustRun(t, "driver credentials", in)
	ctr := o.pod.Spec.Containers[0]
	vols := o.pod.Spec.Volumes
	if len(vols) != 1 || vols[0].Secret == nil || vols[0].Secret.SecretName != "pi-kubernetes-credentials" ||
		len(ctr.VolumeMounts) != 1 || ctr.VolumeMounts[0] != (corev1.VolumeMount{Name: vols[0].Name, MountPath: CredentialsDir, ReadOnly: true}) {
		t.Errorf("volumes %+v, mounts %+v", vols, ctr.VolumeMounts)
	}
	const mounted = "=/mnt/secrets/spark-kubernetes-credentials/"
	equal(t, "properties", changed(in, o.driver), []string{
		"-" + auth + "driver.caCertFile", "-" + auth + "driver.clientKeyFile", "-" + auth + "driver.clientCertFile", "-" + auth + "driver.oauthTokenFile",
		"-" + auth + "submission.oauthToken", "-" + auth + "submission.caCertFile",
		auth + "driver.mounted.caCertFile" + mounted + "ca.crt", auth + "driver.mounted.clientKeyFile" + mounted + "client.key",
		auth + "driver.mounted.clientCertFile" + mounted + "client.crt", auth + "driver.mounted.oauthTokenFile" + mounted + "oauth-token"})
	secret := only[*corev1.Secret](t, o.objects)
	checkMeta(t, secret.Name, secret.Namespace, secret.Labels, "pi-kubernetes-credentials")
	if len(secret.Data) != 4 || string(secret.Data["ca.crt"]) != "CA" || string(secret.Data["client.key"]) != "KEY" ||
		string(secret.Data["client.crt"]) != "CERT" || string(secret.Data["oauth-token"]) != "TOKEN" {
		t.Errorf("secret data %q", secret.Data)
	}

	// A token given as a value goes into the Secret too, never into the
	// driver's properties.
	in = submitted(t, auth+"driver.oauthToken", "driver-token")
	o = mustRun(t, "driver credentials", in)
	equal(t, "properties", changed(in, o.driver), []string{"-" + auth + "driver.oauthToken", auth + "driver.mounted.oauthTokenFile" + mounted + "oauth-token"})
	if secret := only[*corev1.Secret](t, o.objects); len(secret.Data) != 1 || string(secret.Data["oauth-token"]) != "driver-token" {
		t.Errorf("secret data %q", secret.Data)
	}

	// Without driver credentials: no Secret, no mount, and still none of
	// the submitter's.
	in = submitted(t, auth+"submission.oauthToken", "submitter-token")
	o = mustRun(t, "driver credentials", in)
	if len(o.pod.Spec.Volumes) != 0 || len(o.objects) != 0 {
		t.Errorf("volumes %+v, %d objects without credentials", o.pod.Spec.Volumes, len(o.objects))
	}
	equal(t, "properties", changed(in, o.driver), []string{"-" + auth + "submission.oauthToken"})

	for _, tc := range []struct {
		kv   []string
		want string
	}{
		{[]string{auth + "driver.oauthToken", "t", auth + "driver.oauthTokenFile", file("t2", "T")}, "give one of them"},
		{[]string{auth + "driver.clientKeyFile", file("k2", "K")}, "go together"},
		{[]string{auth + "driver.caCertFile", filepath.Join(dir, "missing")}, auth + "driver.caCertFile"},
	} {
		if _, err := runStep(t, stepNamed(t, "driver credentials"), submitted(t, tc.kv...)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want one containing %q", tc.kv, err, tc.want)
		}
	}
}

func TestInitStep(t *testing.T) {
	const ic = "spark.kubernetes.initContainer."
	in := submitted(t, ic+"configMapName", "users-map", ic+"secretName", "users-secret")
	in.Dependencies = &Dependencies{Jars: "/var/spark-data/spark-jars/a.jar", Files: "/var/spark-data/spark-files/x.csv", Staged: true}
	o := mustRun(t, "init-container", in)
	if len(o.pod.Spec.InitContainers) != 1 {
		t.Fatalf("%d init-containers", len(o.pod.Spec.InitContainers))
	}
	sources := map[string]string{}
	for _, v := range o.pod.Spec.Volumes {
		switch {
		case v.ConfigMap != nil:
			sources[v.Name] = "configMap " + v.ConfigMap.Name
		case v.Secret != nil:
			sources[v.Name] = "secret " + v.Secret.SecretName
		}
	}
	if sources["spark-init-properties"] != "configMap pi-init-config" || sources["spark-init-secret"] != "secret pi-init-secret" {
		t.Errorf("init volumes %v", sources)
	}
	equal(t, "properties", changed(in, o.driver), []string{ic + "configMapName=pi-init-config", ic + "secretName=pi-init-secret",
		"spark.jars=/var/spark-data/spark-jars/a.jar", "spark.files=/var/spark-data/spark-files/x.csv"})
	if len(o.objects) != 2 {
		t.Fatalf("%d objects, want the init ConfigMap and Secret", len(o.objects))
	}
	cm := only[*corev1.ConfigMap](t, o.objects[:1])
	checkMeta(t, cm.Name, cm.Namespace, cm.Labels, "pi-init-config")
	secret := only[*corev1.Secret](t, o.objects[1:])
	checkMeta(t, secret.Name, secret.Namespace, secret.Labels, "pi-init-secret")
	if cm.Data != nil || secret.Data != nil {
		t.Error("the init objects have data before staging")
	}

	// Without the staging server: no Secret, and the user's secret name is
	// not passed on.
	in.Dependencies.Staged = false
	o = mustRun(t, "init-container", in)
	if len(o.objects) != 1 || o.driver.String(ic+"secretName") != "" || len(o.pod.Spec.Volumes) != 3 {
		t.Errorf("%d objects, secret name %q, volumes %+v", len(o.objects), o.driver.String(ic+"secretName"), o.pod.Spec.Volumes)
	}

	// Everything in the image: no init-container, and only submit names
	// the init objects.
	in.Dependencies = nil
	o = mustRun(t, "init-container", in)
	if len(o.pod.Spec.InitContainers) != 0 || len(o.objects) != 0 {
		t.Errorf("%d init-containers, %d objects without dependencies", len(o.pod.Spec.InitContainers), len(o.objects))
	}
	equal(t, "properties", changed(in, o.driver), []string{"-" + ic + "configMapName", "-" + ic + "secretName"})
}
