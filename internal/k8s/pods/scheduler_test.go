package pods

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

const volcano = VolcanoFeatureStep

// executorIn is an executor pod's input (as the driver builds it) with
// properties kv.
func executorIn(t *testing.T, kv ...string) *Input {
	return &Input{Conf: conf(t, append([]string{"spark.kubernetes.container.image", "img"}, kv...)...),
		Role: Executor, AppID: "spark-app-1", Name: "pi-exec-1", Namespace: "jobs", ExecutorID: "1", Command: []string{"/app"}}
}

func TestSchedulerNames(t *testing.T) {
	for _, tc := range []struct {
		name             string
		kv               []string
		driver, executor string
	}{
		{"none: the cluster's default", nil, "", ""},
		{"both roles", []string{"spark.kubernetes.scheduler.name", "volcano"}, "volcano", "volcano"},
		{"the driver's wins", []string{"spark.kubernetes.scheduler.name", "volcano", "spark.kubernetes.driver.scheduler.name", "default-scheduler"}, "default-scheduler", "volcano"},
		{"the executors' wins", []string{"spark.kubernetes.scheduler.name", "volcano", "spark.kubernetes.executor.scheduler.name", "yunikorn"}, "volcano", "yunikorn"},
		{"per role alone", []string{"spark.kubernetes.executor.scheduler.name", "yunikorn"}, "", "yunikorn"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := mustRun(t, "scheduler", submitted(t, tc.kv...))
			e := mustRun(t, "scheduler", executorIn(t, tc.kv...))
			if d.pod.Spec.SchedulerName != tc.driver || e.pod.Spec.SchedulerName != tc.executor {
				t.Errorf("schedulerName: driver %q, executor %q; want %q, %q", d.pod.Spec.SchedulerName, e.pod.Spec.SchedulerName, tc.driver, tc.executor)
			}
			if len(d.objects) != 0 || d.pod.Annotations[PodGroupAnnotation] != "" {
				t.Errorf("a scheduler name alone made %d objects and annotation %q", len(d.objects), d.pod.Annotations[PodGroupAnnotation])
			}
		})
	}
}

// The whole builder: the step is in Steps, after the user's annotations.
func TestBuildSetsSchedulerAndGroup(t *testing.T) {
	in := *submitted(t, "spark.kubernetes.scheduler.name", "volcano",
		"spark.kubernetes.driver.pod.featureSteps", volcano,
		"spark.kubernetes.driver.annotation.owner", "alice",
		"spark.kubernetes.driver.annotation."+PodGroupAnnotation, "mine")
	p, err := Build(in)
	if err != nil {
		t.Fatal(err)
	}
	if p.Spec.SchedulerName != "volcano" {
		t.Errorf("schedulerName %q", p.Spec.SchedulerName)
	}
	if p.Annotations[PodGroupAnnotation] != "spark-app-1-podgroup" || p.Annotations["owner"] != "alice" {
		t.Errorf("annotations %v: want the PodGroup's (Volcano's step wins) and the user's owner", p.Annotations)
	}
}

func TestVolcanoAnnotatesEachRoleThatHasTheStep(t *testing.T) {
	// Spaces and empty entries in the list are fine.
	kv := []string{"spark.kubernetes.executor.pod.featureSteps", " " + volcano + " ,"}
	d := mustRun(t, "scheduler", submitted(t, kv...))
	e := mustRun(t, "scheduler", executorIn(t, kv...))
	if e.pod.Annotations[PodGroupAnnotation] != "spark-app-1-podgroup" {
		t.Errorf("executor annotations %v", e.pod.Annotations)
	}
	// Spark makes the PodGroup for the driver's step only.
	if _, ok := d.pod.Annotations[PodGroupAnnotation]; ok || len(d.objects) != 0 {
		t.Errorf("driver without the step: annotations %v, %d objects", d.pod.Annotations, len(d.objects))
	}
	if d.pod.Spec.SchedulerName != "" {
		t.Errorf("the feature step set schedulerName %q: Spark leaves it to spark.kubernetes.scheduler.name", d.pod.Spec.SchedulerName)
	}
}

func TestPodGroupWithoutTemplate(t *testing.T) {
	d := mustRun(t, "scheduler", submitted(t, "spark.kubernetes.driver.pod.featureSteps", volcano))
	if d.pod.Annotations[PodGroupAnnotation] != "spark-app-1-podgroup" {
		t.Errorf("driver annotations %v", d.pod.Annotations)
	}
	pg := only[*unstructured.Unstructured](t, d.objects)
	if !PreResource(pg) {
		t.Error("the PodGroup is not created before the driver pod")
	}
	got, err := yaml.Marshal(pg.Object)
	if err != nil {
		t.Fatal(err)
	}
	want := `apiVersion: scheduling.volcano.sh/v1beta1
kind: PodGroup
metadata:
  labels:
    spark-app-selector: spark-app-1
  name: spark-app-1-podgroup
  namespace: jobs
spec: {}
`
	if string(got) != want {
		t.Errorf("PodGroup:\n%s\nwant\n%s", got, want)
	}
	// The driver's other objects are not pre-resources.
	for _, s := range Steps {
		if s.Objects == nil || s.Name == "scheduler" {
			continue
		}
		o := mustRun(t, s.Name, submitted(t))
		for _, obj := range o.objects {
			if PreResource(obj) {
				t.Errorf("step %s: %T is a pre-resource", s.Name, obj)
			}
		}
	}
}

func writePodGroupTemplate(t *testing.T, text string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "podgroup.yaml")
	if err := os.WriteFile(f, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestPodGroupTemplateIsKept(t *testing.T) {
	f := writePodGroupTemplate(t, `apiVersion: scheduling.volcano.sh/v1beta1
kind: PodGroup
metadata:
  name: ignored
  namespace: elsewhere
  uid: 1234
  resourceVersion: "9"
  labels:
    team: data
  annotations:
    note: nightly
spec:
  minMember: 1
  minResources:
    cpu: "2"
    memory: "3Gi"
  priorityClassName: system-node-critical
  queue: etl
  minTaskMember:
    driver: 1
  futureField:
    kept: true
status:
  phase: Running
`)
	d := mustRun(t, "scheduler", submitted(t, "spark.kubernetes.driver.pod.featureSteps", volcano, PodGroupTemplateProperty, f))
	pg := only[*unstructured.Unstructured](t, d.objects)
	got, err := yaml.Marshal(pg.Object)
	if err != nil {
		t.Fatal(err)
	}
	want := `apiVersion: scheduling.volcano.sh/v1beta1
kind: PodGroup
metadata:
  annotations:
    note: nightly
  labels:
    spark-app-selector: spark-app-1
    team: data
  name: spark-app-1-podgroup
  namespace: jobs
spec:
  futureField:
    kept: true
  minMember: 1
  minResources:
    cpu: "2"
    memory: 3Gi
  minTaskMember:
    driver: 1
  priorityClassName: system-node-critical
  queue: etl
`
	if string(got) != want {
		t.Errorf("PodGroup:\n%s\nwant\n%s", got, want)
	}
	// Numbers stay integers (the API server's schema wants int32).
	if n, _, _ := unstructured.NestedInt64(pg.Object, "spec", "minMember"); n != 1 {
		t.Errorf("spec.minMember is %T", pg.Object["spec"].(map[string]any)["minMember"])
	}
}

func TestPodGroupTemplateWithoutKindOrSpec(t *testing.T) {
	for _, text := range []string{"spec:\n  queue: q\n", `{"metadata": {"labels": {"a": "b"}}}`} {
		f := writePodGroupTemplate(t, text)
		d := mustRun(t, "scheduler", submitted(t, "spark.kubernetes.driver.pod.featureSteps", volcano, PodGroupTemplateProperty, f))
		pg := only[*unstructured.Unstructured](t, d.objects)
		if pg.GroupVersionKind() != PodGroupKind || pg.GetName() != "spark-app-1-podgroup" {
			t.Errorf("%q: made %v %s", text, pg.GroupVersionKind(), pg.GetName())
		}
		if _, ok := pg.Object["spec"].(map[string]any); !ok {
			t.Errorf("%q: spec %v", text, pg.Object["spec"])
		}
	}
}

func TestSchedulerBadInputNamesTheProperty(t *testing.T) {
	vol := []string{"spark.kubernetes.driver.pod.featureSteps", volcano}
	for _, tc := range []struct {
		name     string
		in       *Input
		template string // a PodGroup template's text, when set
		want     []string
	}{
		{"other feature step", submitted(t, "spark.kubernetes.driver.pod.featureSteps", volcano+",com.example.MyStep"), "",
			[]string{"spark.kubernetes.driver.pod.featureSteps", "com.example.MyStep", volcano}},
		{"executor feature step", executorIn(t, "spark.kubernetes.executor.pod.featureSteps", "org.apache.spark.deploy.k8s.features.YuniKornFeatureStep"), "",
			[]string{"spark.kubernetes.executor.pod.featureSteps", "YuniKornFeatureStep"}},
		{"bad scheduler name", submitted(t, "spark.kubernetes.scheduler.name", "My Scheduler"), "",
			[]string{"spark.kubernetes.scheduler.name", "My Scheduler"}},
		{"bad per-role scheduler name", executorIn(t, "spark.kubernetes.executor.scheduler.name", "_x"), "",
			[]string{"spark.kubernetes.executor.scheduler.name"}},
		{"app id that names no PodGroup", func() *Input { in := submitted(t, vol...); in.AppID = "My_App"; return in }(), "",
			[]string{"spark.app.id", "My_App"}},
		{"template file missing", submitted(t, append(vol, PodGroupTemplateProperty, "/nonexistent/pg.yaml")...), "",
			[]string{PodGroupTemplateProperty, "/nonexistent/pg.yaml", "no such file"}},
		{"template is a Pod", nil, "apiVersion: v1\nkind: Pod\nspec:\n  containers: []\n",
			[]string{PodGroupTemplateProperty, "a Pod, not a PodGroup"}},
		{"template of another API", nil, "apiVersion: scheduling.x-k8s.io/v1alpha1\nkind: PodGroup\n",
			[]string{PodGroupTemplateProperty, "scheduling.x-k8s.io/v1alpha1", "scheduling.volcano.sh/v1beta1"}},
		{"template is empty", nil, "\n", []string{PodGroupTemplateProperty, "empty"}},
		{"template is a list", nil, "- a\n- b\n", []string{PodGroupTemplateProperty, "not a PodGroup"}},
		{"template is not YAML", nil, "spec: [unclosed\n", []string{PodGroupTemplateProperty, "not YAML"}},
		{"spec not an object", nil, "kind: PodGroup\nspec: 3\n", []string{PodGroupTemplateProperty, "spec: want an object"}},
		{"minMember not a number", nil, "spec:\n  minMember: two\n", []string{PodGroupTemplateProperty, "minMember"}},
		{"minMember negative", nil, "spec:\n  minMember: -1\n", []string{PodGroupTemplateProperty, "spec.minMember", "negative"}},
		{"bad quantity", nil, "spec:\n  minResources:\n    cpu: lots\n", []string{PodGroupTemplateProperty, "spec"}},
		{"bad label", nil, "metadata:\n  labels:\n    team: not a value\n", []string{PodGroupTemplateProperty, "metadata.labels"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			if tc.template != "" {
				in = submitted(t, append(vol, PodGroupTemplateProperty, writePodGroupTemplate(t, tc.template))...)
			}
			_, err := runStep(t, stepNamed(t, "scheduler"), in)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

// A template is read only when the driver has Volcano's step, as in Spark.
func TestPodGroupTemplateWithoutTheStep(t *testing.T) {
	d := mustRun(t, "scheduler", submitted(t, PodGroupTemplateProperty, "/nonexistent/pg.yaml"))
	if len(d.objects) != 0 || len(d.pod.Annotations) != 0 || d.pod.Spec.SchedulerName != "" {
		t.Errorf("objects %d, annotations %v, scheduler %q", len(d.objects), d.pod.Annotations, d.pod.Spec.SchedulerName)
	}
}

// YuniKorn is the user's scheduler name, labels and annotations.
func TestYuniKornSettings(t *testing.T) {
	kv := []string{"spark.kubernetes.scheduler.name", "yunikorn",
		"spark.kubernetes.driver.label.queue", "root.default",
		"spark.kubernetes.executor.label.queue", "root.default",
		"spark.kubernetes.driver.annotation.yunikorn.apache.org/app-id", "{{APP_ID}}",
		"spark.kubernetes.executor.annotation.yunikorn.apache.org/app-id", "{{APP_ID}}"}
	d, err := Build(*submitted(t, kv...))
	if err != nil {
		t.Fatal(err)
	}
	e, err := Build(*executorIn(t, kv...))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []*corev1.Pod{d, e} {
		if p.Spec.SchedulerName != "yunikorn" || p.Labels["queue"] != "root.default" {
			t.Errorf("%s: schedulerName %q, labels %v", p.Name, p.Spec.SchedulerName, p.Labels)
		}
		if p.Annotations["yunikorn.apache.org/app-id"] != "spark-app-1" {
			t.Errorf("%s: annotations %v, want yunikorn.apache.org/app-id=spark-app-1 ({{APP_ID}} substituted)", p.Name, p.Annotations)
		}
	}
}
