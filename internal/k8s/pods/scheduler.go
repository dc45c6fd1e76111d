package pods

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/yaml"

	"github.com/gospark/gospark/internal/config"
)

// Batch schedulers, as Spark's "Customized Kubernetes Schedulers" section
// has them.
//
// spark.kubernetes.scheduler.name names the scheduler of both roles' pods;
// spark.kubernetes.{driver,executor}.scheduler.name win over it for their
// role. Unset, the pod keeps its schedulerName (none, or its template's).
//
// Volcano is Spark's optional feature step VolcanoFeatureStep, named in
// spark.kubernetes.{driver,executor}.pod.featureSteps (gospark runs no JVM
// classes: that name is the only one it takes, any other is refused). For
// a role that has it, the pods are annotated with the application's
// PodGroup (scheduling.k8s.io/group-name=<appId>-podgroup); when the
// driver has it, submit also makes that PodGroup, before the driver pod
// (Spark's "pre-resources"): the PodGroup of
// spark.kubernetes.scheduler.volcano.podGroupTemplateFile when given, its
// spec kept whole (queue, minMember, minResources, priorityClassName, ...),
// else an empty spec. Spark computes nothing into the spec (not the min
// resources, nor the driver's priority class): Volcano reads what the
// template says.
//
// YuniKorn needs no step: its queue label and yunikorn.apache.org/app-id
// annotation ({{APP_ID}}) are the user's labels and annotations.

// VolcanoFeatureStep is the class name of Spark's Volcano feature step, as
// spark.kubernetes.{driver,executor}.pod.featureSteps give it.
const VolcanoFeatureStep = "org.apache.spark.deploy.k8s.features.VolcanoFeatureStep"

// PodGroupAnnotation names a pod's Volcano PodGroup (Spark's
// POD_GROUP_ANNOTATION).
const PodGroupAnnotation = "scheduling.k8s.io/group-name"

// PodGroupTemplateProperty is the PodGroup template's property.
const PodGroupTemplateProperty = "spark.kubernetes.scheduler.volcano.podGroupTemplateFile"

// Volcano's PodGroup resource.
var (
	PodGroupResource = schema.GroupVersionResource{Group: "scheduling.volcano.sh", Version: "v1beta1", Resource: "podgroups"}
	PodGroupKind     = PodGroupResource.GroupVersion().WithKind("PodGroup")
)

// PodGroupName is the name of an application's PodGroup.
func PodGroupName(appID string) string { return appID + "-podgroup" }

// schedulerStep sets the pods' scheduler and Volcano's PodGroup. It runs
// after every other step: Spark applies the user's feature steps after its
// own, so Volcano's annotation wins over a user annotation of the same
// name.
var schedulerStep = Step{Name: "scheduler", Pod: scheduler, Objects: podGroupObjects}

func scheduler(in *Input, p *corev1.Pod) error {
	if name, prop := SchedulerName(in.Conf, in.Role); name != "" {
		if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
			return fmt.Errorf("%s=%q: not a scheduler name: %s", prop, name, strings.Join(errs, "; "))
		}
		p.Spec.SchedulerName = name
	}
	on, err := Volcano(in.Conf, in.Role)
	if err != nil || !on {
		return err
	}
	group, err := podGroupName(in.AppID)
	if err != nil {
		return err
	}
	if p.Annotations == nil {
		p.Annotations = map[string]string{}
	}
	p.Annotations[PodGroupAnnotation] = group
	return nil
}

// SchedulerName is the scheduler of a role's pods and the property that
// names it: spark.kubernetes.<role>.scheduler.name, else
// spark.kubernetes.scheduler.name; "" when neither is set.
func SchedulerName(c *config.Conf, role Role) (name, property string) {
	for _, p := range []string{fmt.Sprintf("spark.kubernetes.%s.scheduler.name", role), "spark.kubernetes.scheduler.name"} {
		if v := strings.TrimSpace(c.String(p)); v != "" {
			return v, p
		}
	}
	return "", ""
}

// featureStepsProperty is the property listing a role's extra feature
// steps.
func featureStepsProperty(role Role) string {
	return fmt.Sprintf("spark.kubernetes.%s.pod.featureSteps", role)
}

// Volcano reports whether a role's pods have Spark's Volcano feature step
// (spark.kubernetes.<role>.pod.featureSteps, a comma-separated list of
// class names). Any other class fails naming the property.
func Volcano(c *config.Conf, role Role) (bool, error) {
	prop := featureStepsProperty(role)
	on := false
	for _, s := range strings.Split(c.String(prop), ",") {
		switch s = strings.TrimSpace(s); s {
		case "":
		case VolcanoFeatureStep:
			on = true
		default:
			return false, fmt.Errorf("%s: feature step %q is not available: gospark runs no JVM classes and has, of Spark's optional feature steps, only %s (a Volcano PodGroup)", prop, s, VolcanoFeatureStep)
		}
	}
	return on, nil
}

// podGroupName is the PodGroup's name, which must be a DNS subdomain: a
// spark.app.id of the user's may not make one.
func podGroupName(appID string) (string, error) {
	name := PodGroupName(appID)
	if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
		return "", fmt.Errorf("spark.app.id=%q: the Volcano PodGroup's name %q made from it is invalid: %s", appID, name, strings.Join(errs, "; "))
	}
	return name, nil
}

// podGroupObjects is the driver's PodGroup when the driver has Volcano's
// feature step (Spark makes none for executors).
func podGroupObjects(in *Input, _ *config.Conf) ([]runtime.Object, error) {
	if !submission(in) {
		return nil, nil
	}
	on, err := Volcano(in.Conf, Driver)
	if err != nil || !on {
		return nil, err
	}
	pg, err := PodGroup(in.Conf, in.AppID, in.Namespace)
	if err != nil {
		return nil, err
	}
	return []runtime.Object{pg}, nil
}

// PreResource tells whether obj, one of the steps' objects, must exist
// before the driver pod: a PodGroup, which the scheduler looks for as soon
// as the pod exists (Spark's getAdditionalPreKubernetesResources). Submit
// creates it first and makes the driver pod its owner once the pod exists.
func PreResource(obj runtime.Object) bool {
	u, ok := obj.(*unstructured.Unstructured)
	return ok && u.GroupVersionKind() == PodGroupKind
}

// PodGroup is the application's Volcano PodGroup, <appId>-podgroup in
// namespace: the template's (PodGroupTemplateProperty) when given, with
// its labels, annotations and spec, else an empty spec; labelled with the
// application.
func PodGroup(c *config.Conf, appID, namespace string) (*unstructured.Unstructured, error) {
	name, err := podGroupName(appID)
	if err != nil {
		return nil, err
	}
	meta := metav1.ObjectMeta{}
	spec := map[string]any{}
	if file := c.String(PodGroupTemplateProperty); file != "" {
		if meta, spec, err = podGroupTemplate(file); err != nil {
			return nil, fmt.Errorf("%s=%s: %w", PodGroupTemplateProperty, file, err)
		}
	}
	pg := &unstructured.Unstructured{Object: map[string]any{"spec": spec}}
	pg.SetGroupVersionKind(PodGroupKind)
	pg.SetName(name)
	pg.SetNamespace(namespace)
	labels := map[string]string{}
	maps.Copy(labels, meta.Labels)
	labels[LabelAppSelector] = appID
	pg.SetLabels(labels)
	if len(meta.Annotations) > 0 {
		pg.SetAnnotations(meta.Annotations)
	}
	return pg, nil
}

// podGroupSpec is what gospark checks of a template's spec: the fields of
// Volcano's PodGroupSpec that Spark's documentation shows. Other fields
// are kept unchecked, for the API server to judge.
type podGroupSpec struct {
	MinMember         *int32                                    `json:"minMember"`
	MinTaskMember     map[string]int32                          `json:"minTaskMember"`
	Queue             string                                    `json:"queue"`
	PriorityClassName string                                    `json:"priorityClassName"`
	MinResources      map[corev1.ResourceName]resource.Quantity `json:"minResources"`
}

// podGroupTemplate reads a PodGroup in YAML or JSON: its metadata (labels
// and annotations are kept; its name and namespace are the application's)
// and its spec. A document of another kind, or a spec whose known fields
// have the wrong types, fails.
func podGroupTemplate(file string) (metav1.ObjectMeta, map[string]any, error) {
	var meta metav1.ObjectMeta
	b, err := os.ReadFile(file)
	if err != nil {
		return meta, nil, err
	}
	j, err := yaml.YAMLToJSON(b)
	if err != nil {
		return meta, nil, fmt.Errorf("not YAML or JSON: %w", err)
	}
	var doc map[string]any
	if bytes.Equal(bytes.TrimSpace(j), []byte("null")) {
		return meta, nil, fmt.Errorf("empty: want a %s (apiVersion %s)", PodGroupKind.Kind, PodGroupKind.GroupVersion())
	}
	if err := utiljson.Unmarshal(j, &doc); err != nil || doc == nil {
		return meta, nil, fmt.Errorf("not a %s: want a YAML or JSON object (apiVersion %s, kind %s, spec)", PodGroupKind.Kind, PodGroupKind.GroupVersion(), PodGroupKind.Kind)
	}
	var head struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Labels      map[string]string `json:"labels"`
			Annotations map[string]string `json:"annotations"`
		} `json:"metadata"`
		Spec json.RawMessage `json:"spec"`
	}
	if err := json.Unmarshal(j, &head); err != nil {
		return meta, nil, fmt.Errorf("not a %s: %w", PodGroupKind.Kind, err)
	}
	// Like Spark's loader, a template may leave out apiVersion and kind.
	if head.Kind != "" && head.Kind != PodGroupKind.Kind {
		return meta, nil, fmt.Errorf("a %s, not a %s (apiVersion %s)", head.Kind, PodGroupKind.Kind, PodGroupKind.GroupVersion())
	}
	if head.APIVersion != "" && head.APIVersion != PodGroupKind.GroupVersion().String() {
		return meta, nil, fmt.Errorf("apiVersion %s: want a Volcano %s, apiVersion %s", head.APIVersion, PodGroupKind.Kind, PodGroupKind.GroupVersion())
	}
	if errs := metav1validation.ValidateLabels(head.Metadata.Labels, field.NewPath("metadata", "labels")); len(errs) > 0 {
		return meta, nil, errs.ToAggregate()
	}
	spec := map[string]any{}
	if s, ok := doc["spec"]; ok && s != nil {
		m, ok := s.(map[string]any)
		if !ok {
			return meta, nil, fmt.Errorf("spec: want an object, got %s", bytes.TrimSpace(head.Spec))
		}
		var known podGroupSpec
		if err := json.Unmarshal(head.Spec, &known); err != nil {
			return meta, nil, fmt.Errorf("spec: %w", err)
		}
		if known.MinMember != nil && *known.MinMember < 0 {
			return meta, nil, fmt.Errorf("spec.minMember: %d is negative", *known.MinMember)
		}
		for k, n := range known.MinTaskMember {
			if n < 0 {
				return meta, nil, fmt.Errorf("spec.minTaskMember.%s: %d is negative", k, n)
			}
		}
		for r, q := range known.MinResources {
			if q.Sign() < 0 {
				return meta, nil, fmt.Errorf("spec.minResources.%s: %s is negative", r, q.String())
			}
		}
		spec = m
	}
	meta = metav1.ObjectMeta{Labels: head.Metadata.Labels, Annotations: head.Metadata.Annotations}
	return meta, spec, nil
}
