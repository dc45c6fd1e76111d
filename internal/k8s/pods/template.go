package pods

import (
	"bytes"
	"fmt"
	"os"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"

	"github.com/gospark/gospark/internal/config"
)

// Pod templates (spark.kubernetes.{driver,executor}.podTemplateFile and
// podTemplateContainerName), as in Spark: a pod is built on its role's
// template instead of an empty pod, and every step merges into it.
//
// The template's container named by podTemplateContainerName (unset: its
// first container) becomes the main container: it is moved to the front
// of the containers, so that every step's Containers[0] is it, and keeps
// its name if the template gives one (else spark-kubernetes-driver or
// spark-kubernetes-executor). Everything else in the template is kept:
// other containers, init-containers (native sidecars included), volumes,
// tolerations, affinity, priority class, security contexts, the main
// container's other resource types (GPUs), its ports, probes and mounts.
//
// What gospark sets, following Spark's "Pod Template Properties":
//
//   - metadata: name, namespace and owner are gospark's; labels and
//     annotations are added to the template's (gospark's win on a clash,
//     spark-app-selector, spark-role and spark-exec-id always).
//   - imagePullSecrets and nodeSelector: spark.kubernetes.container.image.
//     pullSecrets and spark.kubernetes.node.selector.* are added.
//   - restartPolicy is Never (Spark's pods never restart), and
//     enableServiceLinks false.
//   - serviceAccountName: the driver's is
//     spark.kubernetes.authenticate.driver.serviceAccountName when set,
//     else the template's, else default; an executor keeps the template's,
//     else gets spark.kubernetes.authenticate.executor.serviceAccountName,
//     else the driver's property.
//   - volumes: gospark's (configuration, credentials, local dirs,
//     spark.kubernetes.*.volumes.*, secrets, the executor template's
//     ConfigMap) are added.
//   - main container: image, imagePullPolicy, command and args are
//     gospark's; env and volumeMounts are added (a variable gospark sets
//     replaces the template's of the same name); the cpu request, the
//     memory request and limit are gospark's (spark.{driver,executor}.
//     cores or ...request.cores, memory plus overhead), the cpu limit is
//     spark.kubernetes.*.limit.cores when set, else the template's.
//
// A template that cannot be read, is not a Pod (YAML or JSON; kind Pod;
// no unknown fields) or lacks the named container fails naming the
// property and the file. A template with no container (one that only sets
// tolerations, say) gets an empty main container, as in Spark. The driver's template is read
// at submit. The executors' is checked at submit too and reaches the
// driver pod in a ConfigMap (<prefix>-podspec-conf-map) mounted at
// PodTemplateDir; the driver's configuration points
// spark.kubernetes.executor.podTemplateFile at it (podTemplateStep), as
// Spark's PodTemplateConfigMapStep does.

// DefaultContainerAnnotation names the container kubectl logs and exec use
// by default; a pod from a template with several containers gets it with
// the main container's name (unless the template sets it).
const DefaultContainerAnnotation = "kubectl.kubernetes.io/default-container"

// Where the executors' template is in the driver pod.
const (
	PodTemplateDir    = "/opt/gospark/pod-template"
	PodTemplateKey    = "pod-spec-template.yml"
	podTemplateVolume = "pod-template-volume"
	podTemplateSuffix = "-podspec-conf-map"
)

// templateFile is the file property of role's template and its value ("" for none).
func templateFile(c *config.Conf, role Role) (prop, file string) {
	prop = fmt.Sprintf("spark.kubernetes.%s.podTemplateFile", role)
	return prop, strings.TrimPrefix(c.String(prop), "file://")
}

// readTemplateFile reads role's template file: its property, path and bytes
// (nil when no template is set).
func readTemplateFile(c *config.Conf, role Role) (string, string, []byte, error) {
	prop, file := templateFile(c, role)
	if file == "" {
		return prop, "", nil, nil
	}
	if strings.Contains(file, "://") {
		return prop, file, nil, fmt.Errorf("%s=%s: want a local file (a path or file:// URL)", prop, file)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return prop, file, nil, fmt.Errorf("%s: reading the pod template: %w", prop, err)
	}
	return prop, file, b, nil
}

// ReadTemplate reads and checks role's pod template
// (spark.kubernetes.<role>.podTemplateFile, with its
// podTemplateContainerName); nil when none is set. Build reads it when
// Input.Template is nil; a caller that builds many pods reads it once.
func ReadTemplate(c *config.Conf, role Role) (*corev1.Pod, error) {
	prop, file, b, err := readTemplateFile(c, role)
	if err != nil || b == nil {
		return nil, err
	}
	p, err := parseTemplate(b)
	if err != nil {
		return nil, fmt.Errorf("%s=%s: %w", prop, file, err)
	}
	if _, err := templateContainer(p, c.String(fmt.Sprintf("spark.kubernetes.%s.podTemplateContainerName", role))); err != nil {
		return nil, fmt.Errorf("%s=%s: %w", prop, file, err)
	}
	return p, nil
}

// parseTemplate decodes a Pod from YAML or JSON, refusing unknown fields,
// other kinds and pods without containers.
func parseTemplate(b []byte) (*corev1.Pod, error) {
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, fmt.Errorf("the pod template is empty")
	}
	var p corev1.Pod
	if err := yaml.UnmarshalStrict(b, &p); err != nil {
		return nil, fmt.Errorf("not a valid Pod: %w", err)
	}
	if p.Kind != "Pod" || (p.APIVersion != "" && p.APIVersion != "v1") {
		return nil, fmt.Errorf("want a Pod (apiVersion: v1, kind: Pod), got apiVersion %q, kind %q", p.APIVersion, p.Kind)
	}
	return &p, nil
}

// templateContainer is the index of the template's main container: the one
// named name, else the first.
func templateContainer(p *corev1.Pod, name string) (int, error) {
	if name == "" {
		return 0, nil
	}
	var names []string
	for i, c := range p.Spec.Containers {
		if c.Name == name {
			return i, nil
		}
		names = append(names, c.Name)
	}
	return 0, fmt.Errorf("the pod template has no container %q (podTemplateContainerName); its containers are %s", name, strings.Join(names, ", "))
}

// fromTemplate is the pod of in before any step when its role has a
// template: a copy of the template with its main container first.
func fromTemplate(in *Input, name string) (*corev1.Pod, error) {
	t := in.Template
	if t == nil {
		var err error
		if t, err = ReadTemplate(in.Conf, in.Role); err != nil || t == nil {
			return nil, err
		}
	}
	p := t.DeepCopy()
	if len(p.Spec.Containers) == 0 {
		p.Spec.Containers = []corev1.Container{{}}
	}
	i, err := templateContainer(p, in.Conf.String(prop(in, "spark.kubernetes.%s.podTemplateContainerName")))
	if err != nil {
		prop, file := templateFile(in.Conf, in.Role)
		return nil, fmt.Errorf("%s=%s: %w", prop, file, err)
	}
	main := p.Spec.Containers[i]
	p.Spec.Containers = append([]corev1.Container{main}, append(p.Spec.Containers[:i:i], p.Spec.Containers[i+1:]...)...)
	if p.Spec.Containers[0].Name == "" {
		p.Spec.Containers[0].Name = name
	}
	// What the API server or another owner set is not the new pod's.
	p.ObjectMeta = metav1.ObjectMeta{Labels: p.Labels, Annotations: p.Annotations}
	if len(p.Spec.Containers) > 1 {
		// kubectl logs and exec then pick the main container.
		if p.Annotations == nil {
			p.Annotations = map[string]string{}
		}
		if p.Annotations[DefaultContainerAnnotation] == "" {
			p.Annotations[DefaultContainerAnnotation] = p.Spec.Containers[0].Name
		}
	}
	p.Status = corev1.PodStatus{}
	p.Spec.NodeName = ""
	return p, nil
}

// podTemplateStep passes the executors' template to the driver pod of a
// submission, as Spark's PodTemplateConfigMapStep: the file, checked here,
// goes in a ConfigMap (<prefix>-podspec-conf-map, key PodTemplateKey)
// mounted at PodTemplateDir in the driver's container, and the driver's
// spark.kubernetes.executor.podTemplateFile names the mounted file.
var podTemplateStep = Step{
	Name: "executor pod template",
	Pod: func(in *Input, p *corev1.Pod) error {
		if _, file := templateFile(in.Conf, Executor); !submission(in) || file == "" {
			return nil
		}
		p.Spec.Volumes = append(p.Spec.Volumes, corev1.Volume{Name: podTemplateVolume, VolumeSource: corev1.VolumeSource{
			ConfigMap: &corev1.ConfigMapVolumeSource{
				LocalObjectReference: corev1.LocalObjectReference{Name: objectMeta(in, podTemplateSuffix).Name},
				Items:                []corev1.KeyToPath{{Key: PodTemplateKey, Path: PodTemplateKey}}}}})
		ctr := &p.Spec.Containers[0]
		ctr.VolumeMounts = append(ctr.VolumeMounts, corev1.VolumeMount{Name: podTemplateVolume, MountPath: PodTemplateDir, ReadOnly: true})
		return nil
	},
	Properties: func(in *Input, driver *config.Conf) error {
		if _, file := templateFile(in.Conf, Executor); !submission(in) || file == "" {
			return nil
		}
		if _, err := ReadTemplate(in.Conf, Executor); err != nil {
			return err
		}
		return driver.Set("spark.kubernetes.executor.podTemplateFile", PodTemplateDir+"/"+PodTemplateKey)
	},
	Objects: func(in *Input, _ *config.Conf) ([]runtime.Object, error) {
		if !submission(in) {
			return nil, nil
		}
		_, _, b, err := readTemplateFile(in.Conf, Executor)
		if err != nil || b == nil {
			return nil, err
		}
		return []runtime.Object{&corev1.ConfigMap{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
			ObjectMeta: objectMeta(in, podTemplateSuffix),
			Data:       map[string]string{PodTemplateKey: string(b)},
		}}, nil
	},
}
