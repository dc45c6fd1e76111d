package pods

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// A template a team might bring: its main container ("spark") second,
// a native sidecar, a plain sidecar, scheduling constraints, a GPU, and
// fields gospark sets (image, command, restart policy, a label and env
// variable gospark also sets).
const teamTemplate = `apiVersion: v1
kind: Pod
metadata:
  name: ignored
  namespace: elsewhere
  labels:
    team: data
    spark-role: not-this
  annotations:
    scrape: "true"
spec:
  restartPolicy: Always
  serviceAccountName: team-sa
  priorityClassName: spot-low
  nodeSelector:
    pool: spot
  imagePullSecrets:
  - name: team-registry
  tolerations:
  - key: spot
    operator: Equal
    value: "true"
    effect: NoSchedule
  affinity:
    nodeAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        nodeSelectorTerms:
        - matchExpressions:
          - {key: zone, operator: In, values: [a, b]}
  securityContext:
    runAsUser: 1000
    fsGroup: 2000
  initContainers:
  - name: log-shipper
    image: shipper:1
    restartPolicy: Always
  containers:
  - name: metrics
    image: metrics:1
  - name: spark
    image: will-be-replaced
    command: [/bin/false]
    args: [nope]
    env:
    - {name: FROM_TEMPLATE, value: kept}
    - {name: SPARK_LOCAL_DIRS, value: /replaced}
    resources:
      limits:
        nvidia.com/gpu: "1"
        memory: 64Gi
      requests:
        memory: 1Mi
    volumeMounts:
    - {name: cache, mountPath: /cache}
  volumes:
  - name: cache
    emptyDir: {}
`

func writeTemplate(t *testing.T, text string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "template.yaml")
	if err := os.WriteFile(f, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestGoldenTemplatePods(t *testing.T) {
	file := writeTemplate(t, teamTemplate)
	c := conf(t,
		"spark.kubernetes.container.image", "gospark:dev",
		"spark.kubernetes.container.image.pullSecrets", "regcred",
		"spark.kubernetes.driver.podTemplateFile", file,
		"spark.kubernetes.driver.podTemplateContainerName", "spark",
		"spark.kubernetes.executor.podTemplateFile", "file://"+file,
		"spark.kubernetes.executor.podTemplateContainerName", "spark",
		"spark.kubernetes.driver.label.tier", "etl",
		"spark.kubernetes.executor.annotation.scrape", "false",
		"spark.kubernetes.node.selector.disk", "ssd",
		"spark.executorEnv.TZ", "UTC",
		"spark.executor.memory", "4g",
	)
	owner := &metav1.OwnerReference{APIVersion: "v1", Kind: "Pod", Name: "pi-driver", UID: "uid-1"}
	d, err := Build(Input{Conf: c, Role: Driver, AppID: "spark-app-1", Name: "pi-driver", Namespace: "jobs",
		Command: []string{"/opt/gospark/examples/sparkpi"}, Args: []string{"10"}})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "driver-template", d)
	e, err := Build(Input{Conf: c, Role: Executor, AppID: "spark-app-1", Name: "pi-exec-3", Namespace: "jobs",
		ExecutorID: "3", Owner: owner, Command: []string{"/opt/gospark/examples/sparkpi"}, Args: []string{"10"}})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "executor-template", e)

	// The rules, spelled out (the golden files show the rest).
	for _, p := range []*corev1.Pod{d, e} {
		main := p.Spec.Containers[0]
		if main.Name != "spark" || p.Spec.Containers[1].Name != "metrics" || len(p.Spec.Containers) != 2 {
			t.Errorf("%s: containers %v, want the template's spark first, then metrics", p.Name, names(p.Spec.Containers))
		}
		if main.Image != "gospark:dev" || slices.Contains(main.Command, "/bin/false") || !slices.Equal(main.Args, []string{"10"}) {
			t.Errorf("%s: image %s command %v args %v: gospark's must win", p.Name, main.Image, main.Command, main.Args)
		}
		if p.Name == "elsewhere" || p.Namespace != "jobs" || p.Spec.RestartPolicy != corev1.RestartPolicyNever {
			t.Errorf("%s/%s restart %s", p.Namespace, p.Name, p.Spec.RestartPolicy)
		}
		if p.Labels["team"] != "data" || p.Labels[LabelRole] != p.Labels[LabelRole] || p.Labels[LabelRole] == "not-this" {
			t.Errorf("%s: labels %v", p.Name, p.Labels)
		}
		if len(p.Spec.Tolerations) != 1 || p.Spec.Affinity == nil || p.Spec.PriorityClassName != "spot-low" ||
			p.Spec.SecurityContext.RunAsUser == nil || p.Spec.InitContainers[0].Name != "log-shipper" {
			t.Errorf("%s: the template's scheduling, security context or sidecar is lost: %+v", p.Name, p.Spec)
		}
		if p.Spec.NodeSelector["pool"] != "spot" || p.Spec.NodeSelector["disk"] != "ssd" {
			t.Errorf("%s: node selector %v, want both", p.Name, p.Spec.NodeSelector)
		}
		if len(p.Spec.ImagePullSecrets) != 2 {
			t.Errorf("%s: pull secrets %v, want the template's and regcred", p.Name, p.Spec.ImagePullSecrets)
		}
		if gpu := main.Resources.Limits["nvidia.com/gpu"]; gpu.String() != "1" {
			t.Errorf("%s: the template's GPU is lost: %v", p.Name, main.Resources)
		}
		if env := envValue(main, "FROM_TEMPLATE"); env != "kept" {
			t.Errorf("%s: FROM_TEMPLATE=%q", p.Name, env)
		}
		if n := strings.Count(envNames(main), "SPARK_LOCAL_DIRS "); n != 1 || envValue(main, "SPARK_LOCAL_DIRS") != LocalDir {
			t.Errorf("%s: SPARK_LOCAL_DIRS %d times, =%q: gospark's must replace the template's", p.Name, n, envValue(main, "SPARK_LOCAL_DIRS"))
		}
	}
	if mem := e.Spec.Containers[0].Resources.Limits.Memory().String(); mem != "4505Mi" {
		t.Errorf("executor memory limit %s, want gospark's 4505Mi", mem)
	}
	if d.Spec.ServiceAccountName != "team-sa" || e.Spec.ServiceAccountName != "team-sa" {
		t.Errorf("service accounts %q, %q: with none configured the template's stays", d.Spec.ServiceAccountName, e.Spec.ServiceAccountName)
	}
	if e.Annotations["scrape"] != "false" || d.Annotations["scrape"] != "true" {
		t.Errorf("annotations: driver %v executor %v", d.Annotations, e.Annotations)
	}
	// The configured driver service account wins over the template's.
	c2 := c.Clone()
	if err := c2.Set("spark.kubernetes.authenticate.driver.serviceAccountName", "spark"); err != nil {
		t.Fatal(err)
	}
	d2, err := Build(Input{Conf: c2, Role: Driver, AppID: "a", Name: "d", Command: []string{"/app"}})
	if err != nil || d2.Spec.ServiceAccountName != "spark" {
		t.Errorf("driver service account %q (%v), want the property's", d2.Spec.ServiceAccountName, err)
	}
}

func names(cs []corev1.Container) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Name)
	}
	return out
}

func envValue(c corev1.Container, name string) string {
	for _, e := range c.Env {
		if e.Name == name {
			return e.Value
		}
	}
	return ""
}

func envNames(c corev1.Container) string {
	var b strings.Builder
	for _, e := range c.Env {
		b.WriteString(e.Name + " ")
	}
	return b.String()
}

// A template's unnamed first container is the main one and gets Spark's
// name; a template without a container name keeps the role's.
func TestTemplateFirstContainer(t *testing.T) {
	file := writeTemplate(t, "kind: Pod\napiVersion: v1\nspec:\n  containers:\n  - image: x\n  - name: side\n    image: y\n")
	e, err := Build(Input{Conf: conf(t, "spark.kubernetes.container.image", "img", "spark.kubernetes.executor.podTemplateFile", file),
		Role: Executor, AppID: "a", Name: "e-1", ExecutorID: "1", Command: []string{"/app"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := names(e.Spec.Containers); !slices.Equal(got, []string{ExecContainer, "side"}) {
		t.Errorf("containers %v", got)
	}
}

// A template with no container (tolerations only) gets gospark's main
// container, as Spark gives it an empty one.
func TestTemplateWithoutContainers(t *testing.T) {
	file := writeTemplate(t, "kind: Pod\napiVersion: v1\nspec:\n  tolerations: [{key: k, operator: Exists}]\n")
	for _, role := range []Role{Driver, Executor} {
		p, err := Build(Input{Conf: conf(t, "spark.kubernetes.container.image", "img", "spark.kubernetes."+string(role)+".podTemplateFile", file),
			Role: role, AppID: "a", Name: "p", ExecutorID: "1", Command: []string{"/app"}})
		if err != nil {
			t.Fatalf("%s: %v", role, err)
		}
		if len(p.Spec.Containers) != 1 || p.Spec.Containers[0].Image != "img" || len(p.Spec.Tolerations) != 1 {
			t.Errorf("%s: containers %+v, tolerations %v; want gospark's container and the template's toleration", role, p.Spec.Containers, p.Spec.Tolerations)
		}
	}
}

func TestBadTemplatesFailNamingPropertyAndFile(t *testing.T) {
	for _, tc := range []struct{ name, text, container, want string }{
		{"not yaml", "{{{", "", "not a valid Pod"},
		{"a deployment", "apiVersion: apps/v1\nkind: Deployment\nspec: {}\n", "", `kind "Deployment"`},
		{"no kind", "spec:\n  containers: [{name: a}]\n", "", "want a Pod"},
		{"unknown field", "kind: Pod\nspec:\n  containers: [{name: a}]\n  tolerashuns: []\n", "", "tolerashuns"},
		{"empty", "", "", "empty"},
		{"missing container", "kind: Pod\nspec:\n  containers: [{name: a}, {name: b}]\n", "spark", `no container "spark"`},
	} {
		for _, role := range []Role{Driver, Executor} {
			file := writeTemplate(t, tc.text)
			prop := "spark.kubernetes." + string(role) + ".podTemplateFile"
			kv := []string{"spark.kubernetes.container.image", "img", prop, file}
			if tc.container != "" {
				kv = append(kv, "spark.kubernetes."+string(role)+".podTemplateContainerName", tc.container)
			}
			_, err := Build(Input{Conf: conf(t, kv...), Role: role, AppID: "a", Name: "p", ExecutorID: "1", Command: []string{"/app"}})
			if err == nil || !strings.Contains(err.Error(), prop+"="+file) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s, %s: error %v, want one naming %s=%s and saying %q", tc.name, role, err, prop, file, tc.want)
			}
		}
	}
	_, err := Build(Input{Conf: conf(t, "spark.kubernetes.container.image", "img", "spark.kubernetes.driver.podTemplateFile", "/no/such/file"),
		Role: Driver, AppID: "a", Name: "p", Command: []string{"/app"}})
	if err == nil || !strings.Contains(err.Error(), "spark.kubernetes.driver.podTemplateFile") || !strings.Contains(err.Error(), "/no/such/file") {
		t.Errorf("missing file: %v", err)
	}
}

// The executors' template reaches the driver pod in a ConfigMap, and the
// driver's configuration names the mounted file; a bad one fails at
// submit.
func TestPodTemplateStep(t *testing.T) {
	file := writeTemplate(t, teamTemplate)
	in := submitted(t, "spark.kubernetes.executor.podTemplateFile", file, "spark.kubernetes.executor.podTemplateContainerName", "spark")
	o := mustRun(t, "executor pod template", in)
	equal(t, "driver properties", changed(in, o.driver), []string{"spark.kubernetes.executor.podTemplateFile=" + PodTemplateDir + "/" + PodTemplateKey})
	cm := only[*corev1.ConfigMap](t, o.objects)
	checkMeta(t, cm.Name, cm.Namespace, cm.Labels, "pi-podspec-conf-map")
	if cm.Data[PodTemplateKey] != teamTemplate {
		t.Errorf("ConfigMap data %v, want the template file", cm.Data)
	}
	v := o.pod.Spec.Volumes[len(o.pod.Spec.Volumes)-1]
	m := o.pod.Spec.Containers[0].VolumeMounts[len(o.pod.Spec.Containers[0].VolumeMounts)-1]
	if v.ConfigMap == nil || v.ConfigMap.Name != cm.Name || m.Name != v.Name || m.MountPath != PodTemplateDir {
		t.Errorf("volume %+v mount %+v, want the ConfigMap at %s", v, m, PodTemplateDir)
	}
	// An executor built from the driver's configuration in the driver pod
	// reads the mounted file: here, Input.Template stands for it.
	tmpl, err := ReadTemplate(in.Conf, Executor)
	if err != nil {
		t.Fatal(err)
	}
	e, err := Build(Input{Conf: o.driver, Role: Executor, AppID: "a", Name: "e-1", ExecutorID: "1", Command: []string{"/app"}, Template: tmpl})
	if err != nil || e.Spec.PriorityClassName != "spot-low" {
		t.Errorf("executor from the driver's configuration: %v, %v", err, e)
	}

	bad := submitted(t, "spark.kubernetes.executor.podTemplateFile", writeTemplate(t, "kind: Service\n"))
	if _, err := runStep(t, stepNamed(t, "executor pod template"), bad); err == nil || !strings.Contains(err.Error(), "spark.kubernetes.executor.podTemplateFile") {
		t.Errorf("a bad executor template: %v, want an error naming the property", err)
	}
	// Without an executor template: nothing.
	none := mustRun(t, "executor pod template", submitted(t))
	if none.objects != nil || len(none.pod.Spec.Volumes) != 0 || len(changed(submitted(t), none.driver)) != 0 {
		t.Errorf("without a template the step did something: %+v", none)
	}
}
