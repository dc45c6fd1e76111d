package pods

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/gospark/gospark/internal/config"
	"github.com/gospark/gospark/internal/config/configtest"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func conf(t *testing.T, kv ...string) *config.Conf { return configtest.Conf(t, kv...) }

// full sets one property of every concern the builder has.
func full(t *testing.T) *config.Conf {
	return conf(t,
		"spark.kubernetes.container.image", "gospark:dev",
		"spark.kubernetes.executor.container.image", "gospark-exec:dev",
		"spark.kubernetes.container.image.pullPolicy", "Never",
		"spark.kubernetes.container.image.pullSecrets", "regcred, other",
		"spark.kubernetes.driver.labels", "team=data,tier=batch",
		"spark.kubernetes.driver.label.tier", "etl",
		"spark.kubernetes.driver.annotation.owner", "alice",
		"spark.kubernetes.executor.label.pool", "spot",
		"spark.kubernetes.executor.annotation.cost", "low",
		"spark.kubernetes.driverEnv.MODE", "prod",
		"spark.executorEnv.TZ", "UTC",
		"spark.kubernetes.node.selector.disk", "ssd",
		"spark.driver.memory", "2g",
		"spark.executor.memory", "4g",
		"spark.executor.memoryOverhead", "1g",
		"spark.executor.cores", "2",
		"spark.kubernetes.executor.request.cores", "100m",
		"spark.kubernetes.executor.limit.cores", "2",
		"spark.kubernetes.authenticate.driver.serviceAccountName", "spark",
		"spark.kubernetes.authenticate.driver.oauthToken", "driver-token",
		"spark.kubernetes.driver.secrets.creds", "/etc/creds",
		"spark.kubernetes.executor.volumes.emptyDir.scratch.mount.path", "/scratch",
		"spark.kubernetes.executor.volumes.emptyDir.scratch.options.medium", "Memory",
		"spark.kubernetes.executor.volumes.persistentVolumeClaim.data.mount.path", "/data",
		"spark.kubernetes.executor.volumes.persistentVolumeClaim.data.mount.readOnly", "true",
		"spark.kubernetes.executor.volumes.persistentVolumeClaim.data.options.claimName", "datasets",
	)
}

func golden(t *testing.T, name string, p *corev1.Pod) {
	t.Helper()
	got, err := yaml.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	goldenText(t, name, string(got))
}

// goldenText compares got with testdata/<name>.yaml (rewritten with
// -update).
func goldenText(t *testing.T, name, s string) {
	t.Helper()
	got := []byte(s)
	file := filepath.Join("testdata", name+".yaml")
	if *update {
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/k8s/pods -update to write it)", err)
	}
	if string(got) != string(want) {
		t.Fatalf("%s differs from %s:\n%s", name, file, got)
	}
}

func TestGoldenPods(t *testing.T) {
	owner := &metav1.OwnerReference{APIVersion: "v1", Kind: "Pod", Name: "pi-driver", UID: "uid-1"}
	d, err := Build(Input{Conf: full(t), Role: Driver, AppID: "spark-app-1", Name: "pi-driver", Namespace: "jobs",
		Command: []string{"/opt/gospark/examples/sparkpi"}, Args: []string{"10"}, Prefix: "pi",
		Env: []corev1.EnvVar{{Name: "GOSPARK_ROLE", Value: "driver"}}})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "driver", d)
	e, err := Build(Input{Conf: full(t), Role: Executor, AppID: "spark-app-1", Name: "pi-exec-3", Namespace: "jobs",
		ExecutorID: "3", Owner: owner, Command: []string{"/opt/gospark/examples/sparkpi"}, Args: []string{"10"}, Env: []corev1.EnvVar{{Name: "GOSPARK_ROLE", Value: "executor"}}})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "executor", e)
	// Defaults: 1g + 384 MiB overhead, one core, the default service account.
	m, err := Build(Input{Conf: conf(t, "spark.kubernetes.container.image", "img"), Role: Driver, AppID: "a", Name: "d",
		Command: []string{"/app"}})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "driver-defaults", m)
}

func TestOverhead(t *testing.T) {
	for _, tc := range []struct {
		kv   []string
		want int64
	}{
		{nil, 384 << 20}, // 10% of 1g is below the minimum
		{[]string{"spark.executor.memory", "8g"}, 819 << 20}, // 10% of 8 GiB, rounded down to bytes
		{[]string{"spark.executor.memory", "8g", "spark.kubernetes.memoryOverheadFactor", "0.2"}, 1638 << 20},
		{[]string{"spark.kubernetes.executor.memoryOverhead", "100m"}, 100 << 20}, // the fork's name
	} {
		got := Overhead(conf(t, tc.kv...), Executor)
		if got>>20 != tc.want>>20 {
			t.Errorf("%v: overhead %d MiB, want %d MiB", tc.kv, got>>20, tc.want>>20)
		}
	}
}

func TestBadInputNamesTheProperty(t *testing.T) {
	for _, tc := range []struct {
		kv   []string
		want string
	}{
		{nil, "spark.kubernetes.container.image"},
		{[]string{"spark.kubernetes.driver.label.spark-role", "x"}, "spark.kubernetes.driver.label.spark-role: label spark-role is reserved"},
		{[]string{"spark.kubernetes.driver.label.ok", "bad value!"}, "spark.kubernetes.driver.label.ok"},
		{[]string{"spark.kubernetes.driver.request.cores", "lots"}, "spark.kubernetes.driver.request.cores"},
		{[]string{"spark.kubernetes.driver.limit.cores", "100m", "spark.driver.cores", "2"}, "spark.kubernetes.driver.limit.cores=100m is below the CPU request 2"},
		{[]string{"spark.kubernetes.driverEnv.1BAD", "x"}, "spark.kubernetes.driverEnv.1BAD"},
		{[]string{"spark.kubernetes.driver.secrets.s", "relative"}, "spark.kubernetes.driver.secrets.s"},
		{[]string{"spark.kubernetes.driver.volumes.nfs.v.mount.path", "/v"}, `volume type "nfs"`},
		{[]string{"spark.kubernetes.driver.volumes.hostPath.v.mount.path", "/v"}, "spark.kubernetes.driver.volumes.hostPath.v.options.path"},
		{[]string{"spark.kubernetes.driver.volumes.persistentVolumeClaim.v.mount.path", "/v"}, "options.claimName"},
	} {
		kv := tc.kv
		if len(kv) == 0 || !strings.Contains(tc.want, "container.image") {
			kv = append([]string{"spark.kubernetes.container.image", "img"}, kv...)
		}
		_, err := Build(Input{Conf: conf(t, kv...), Role: Driver, AppID: "a", Name: "d", Command: []string{"/app"}})
		if tc.kv == nil {
			_, err = Build(Input{Conf: conf(t), Role: Driver, AppID: "a", Name: "d", Command: []string{"/app"}})
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want one containing %q", tc.kv, err, tc.want)
		}
	}
	if _, err := Build(Input{Conf: conf(t, "spark.kubernetes.container.image", "i"), Role: Driver, AppID: "a", Name: "Bad_Name", Command: []string{"/app"}}); err == nil {
		t.Error("an invalid pod name was accepted")
	}
}

// With an init ConfigMap, both roles get the init-container, the download
// directories shared with the main container, which starts in the files
// directory, and the user's volumes in the init-container too.
func TestInitContainer(t *testing.T) {
	c := conf(t, "spark.kubernetes.container.image", "gospark:dev",
		"spark.kubernetes.initcontainer.docker.image", "gospark-init:dev",
		"spark.kubernetes.initContainer.configMapName", "pi-init-config",
		"spark.kubernetes.initContainer.secretName", "pi-init-secret",
		"spark.kubernetes.mountdependencies.filesDownloadDir", "/data/files",
		"spark.kubernetes.executor.volumes.hostPath.up.mount.path", "/uploads",
		"spark.kubernetes.executor.volumes.hostPath.up.options.path", "/srv/uploads")
	e, err := Build(Input{Conf: c, Role: Executor, AppID: "spark-app-1", Name: "pi-exec-1", Namespace: "jobs",
		ExecutorID: "1", Command: []string{"/var/spark-data/spark-jars/pi"}})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "executor-init", e)
	ic := e.Spec.InitContainers
	if len(ic) != 1 || ic[0].Image != "gospark-init:dev" || e.Spec.Containers[0].WorkingDir != "/data/files" {
		t.Fatalf("init-containers %+v, working dir %q", ic, e.Spec.Containers[0].WorkingDir)
	}
	mounts := map[string]string{}
	for _, m := range ic[0].VolumeMounts {
		mounts[m.Name] = m.MountPath
	}
	for name, path := range map[string]string{"up": "/uploads", "spark-init-properties": InitSpecDir, "spark-init-secret": InitSecretDir,
		"download-jars-volume": "/var/spark-data/spark-jars", "download-files-volume": "/data/files"} {
		if mounts[name] != path {
			t.Errorf("init-container mount %s at %q, want %q", name, mounts[name], path)
		}
	}
	// Without the ConfigMap there is no init-container and the image's
	// working directory stays.
	d, err := Build(Input{Conf: conf(t, "spark.kubernetes.container.image", "img"), Role: Driver, AppID: "a", Name: "d", Command: []string{"/app"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Spec.InitContainers) != 0 || d.Spec.Containers[0].WorkingDir != "" {
		t.Errorf("init-containers %d, working dir %q without dependencies", len(d.Spec.InitContainers), d.Spec.Containers[0].WorkingDir)
	}
}

// The Services of a submission that exposes its UI: the headless driver
// Service with the driver's and the UI's ports, and the UI's NodePort
// Service.
func TestGoldenDriverServices(t *testing.T) {
	in := Input{Conf: conf(t, "spark.kubernetes.container.image", "gospark:dev", "spark.kubernetes.driver.service.exposeUiPort", "true"),
		Role: Driver, AppID: "spark-app-1", Name: "pi-driver", Namespace: "jobs", Prefix: "pi", Command: []string{"/app"}}
	var docs []string
	for _, s := range Steps {
		if s.Objects == nil {
			continue
		}
		objs, err := s.Objects(&in, in.Conf)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range objs {
			if svc, ok := o.(*corev1.Service); ok {
				b, err := yaml.Marshal(svc)
				if err != nil {
					t.Fatal(err)
				}
				docs = append(docs, string(b))
			}
		}
	}
	goldenText(t, "driver-services", strings.Join(docs, "---\n"))
}
