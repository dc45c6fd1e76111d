package pods

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/gospark/gospark/internal/config"
)

// Role is a pod's part in the application.
type Role string

const (
	Driver   Role = "driver"
	Executor Role = "executor"
)

// Spark's labels and container names, as the seeds give them.
const (
	LabelAppSelector  = "spark-app-selector"
	LabelRole         = "spark-role"
	LabelExecID       = "spark-exec-id"
	LabelExecInactive = "spark-exec-inactive"
	DriverContainer   = "spark-kubernetes-driver"
	ExecContainer     = "spark-kubernetes-executor"
)

// MinOverhead is the least memory overhead a pod gets (384 MiB).
const MinOverhead = 384 << 20

// Input is what a pod is built from.
type Input struct {
	Conf       *config.Conf
	Role       Role
	AppID      string // the spark-app-selector label
	Name       string // the pod's name
	Namespace  string
	ExecutorID string // executors only
	Args       []string
	Env        []corev1.EnvVar // set by the caller (role, driver URL, ...), before the user's
	Owner      *metav1.OwnerReference
	// Command is the application: its binary inside the image (and any
	// fixed arguments before Args). Executors run it directly; the driver
	// runs it through "gospark driver" (see the command step).
	Command []string
	// Prefix is the resource prefix of a submission (driver only): the
	// driver's Service, ConfigMaps and Secrets are named from it. A driver
	// pod built without one gets none of them (a pod alone, as in tests).
	Prefix string
	// Dependencies are what the driver's init-container fetches (driver
	// only; nil when everything is in the image). Executors get the
	// init-container the driver's configuration names.
	Dependencies *Dependencies
	// Template is the role's pod template (ReadTemplate); nil means Build
	// reads the one the configuration names, if any.
	Template *corev1.Pod
}

// submission tells whether in is the driver pod of a submission, the one
// that has a Service, ConfigMaps and Secrets named from in.Prefix.
func submission(in *Input) bool { return in.Role == Driver && in.Prefix != "" }

// objectMeta is the metadata of an object the driver pod needs: named
// from the resource prefix, in its namespace, with the application's
// label.
func objectMeta(in *Input, suffix string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: in.Prefix + suffix, Namespace: in.Namespace, Labels: map[string]string{LabelAppSelector: in.AppID}}
}

// Paths inside the pods.
const (
	// GosparkBin is the gospark command, the entrypoint of gospark's
	// images: the driver runs "gospark driver", the init-container
	// "gospark init". It must equal internal/image's BinPath (a test in
	// internal/k8s/launch checks it; pods does not import image).
	GosparkBin = "/opt/gospark/bin/gospark"
	// GosparkPyBin is the application binary of Python programs in the
	// Python image (gospark-py:dev): pods run it with the program as its
	// first argument. It must equal internal/image's PyBinPath.
	GosparkPyBin = "/opt/gospark/bin/gospark-py"
	// ConfDir holds the driver's properties, ConfFile in it.
	ConfDir  = "/opt/gospark/conf"
	ConfFile = "spark.properties"
	// CredentialsDir holds the driver's API server credentials.
	CredentialsDir = "/mnt/secrets/spark-kubernetes-credentials"
	// LocalDir is the emptyDir the application's scratch files go to
	// (SPARK_LOCAL_DIRS).
	LocalDir = "/var/data/spark-local-dir-1"
	// DriverPortName names the driver's port for executors.
	DriverPortName = "driver-rpc-port"
	// UIPortName names the driver UI's port (spark.ui.port), as in Spark.
	UIPortName = "spark-ui"
)

// A Step carries one concern of the pods whole, as Spark's
// KubernetesFeatureConfigStep: its change to a pod, the properties it adds
// to the driver's configuration, and the objects the driver pod needs.
// Pod is always set; Properties and Objects are nil for a concern that
// only changes the pod, and do nothing but for the driver pod of a
// submission (Input.Prefix set).
type Step struct {
	Name string
	// Pod changes the pod being built (Build; both roles).
	Pod func(in *Input, p *corev1.Pod) error
	// Properties sets (or unsets) properties of driver, the driver's
	// configuration: a copy of in.Conf that every step changes in turn
	// before the driver pod is built, and that the driver reads in its pod
	// (the driver configuration step's ConfigMap).
	Properties func(in *Input, driver *config.Conf) error
	// Objects returns what the driver pod needs besides itself; submit
	// creates them after the pod, owned by it (those PreResource reports,
	// a Volcano PodGroup, before it, then owned by it). driver is the
	// driver's configuration once every step's Properties ran.
	Objects func(in *Input, driver *config.Conf) ([]runtime.Object, error)
}

// Steps are the builder's steps, in order. The order is the order of the
// containers' environment variables, volumes and mounts, and the order in
// which submit creates the objects.
var Steps = []Step{
	{Name: "metadata", Pod: metadata, Properties: metadataProperties},
	{Name: "image", Pod: image},
	{Name: "command", Pod: command},
	{Name: "local dir", Pod: localDir},
	serviceStep,
	driverConfStep,
	credentialsStep,
	podTemplateStep,
	{Name: "labels and annotations", Pod: labelsAndAnnotations},
	{Name: "environment", Pod: environment},
	{Name: "secret environment", Pod: secretEnvironment},
	{Name: "node selector", Pod: nodeSelector},
	{Name: "resources", Pod: resources},
	{Name: "service account", Pod: serviceAccount},
	{Name: "secrets", Pod: secrets},
	volumesStep,
	// After volumes: the init-container gets the main container's mounts.
	initStep,
	schedulerStep, // last: Spark applies its optional feature steps after its own
}

// Build makes the pod, running every step's Pod; an invalid property
// fails naming it. The driver's configuration and objects are the caller's
// to collect (Step.Properties, Step.Objects).
func Build(in Input) (*corev1.Pod, error) {
	p, err := newPod(&in)
	if err != nil {
		return nil, err
	}
	for _, s := range Steps {
		if err := s.Pod(&in, p); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// newPod is the pod before any step: the role's pod template with its
// main container first (template.go), else one container, named for the
// role; with the application's arguments.
func newPod(in *Input) (*corev1.Pod, error) {
	if in.Role != Driver && in.Role != Executor {
		return nil, fmt.Errorf("pods: unknown role %q", in.Role)
	}
	name := ExecContainer
	if in.Role == Driver {
		name = DriverContainer
	}
	p, err := fromTemplate(in, name)
	if err != nil {
		return nil, err
	}
	if p == nil {
		p = &corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: name}}}}
	}
	p.TypeMeta = metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"}
	p.Spec.RestartPolicy = corev1.RestartPolicyNever
	p.Spec.Containers[0].Args = in.Args
	// Executors reach the driver through its Service's DNS name.
	p.Spec.EnableServiceLinks = new(false)
	return p, nil
}

// prop is a property name for the pod's role: prop(in, "spark.kubernetes.%s.label.").
func prop(in *Input, format string) string { return fmt.Sprintf(format, in.Role) }

func metadata(in *Input, p *corev1.Pod) error {
	if errs := validation.IsDNS1123Subdomain(in.Name); len(errs) > 0 {
		return fmt.Errorf("pod name %q: %s", in.Name, strings.Join(errs, "; "))
	}
	p.Name, p.Namespace = in.Name, in.Namespace
	if p.Labels == nil {
		p.Labels = map[string]string{}
	}
	p.Labels[LabelAppSelector], p.Labels[LabelRole] = in.AppID, string(in.Role)
	if in.Role == Executor {
		p.Labels[LabelExecID] = in.ExecutorID
	}
	p.OwnerReferences = nil
	if in.Owner != nil {
		p.OwnerReferences = []metav1.OwnerReference{*in.Owner}
	}
	return nil
}

// metadataProperties tells the driver who it is: its application, pod and
// namespace, the prefix of its executors' pod names
// (spark.kubernetes.executor.podNamePrefix, else the resource prefix), and
// that it runs in the cluster.
func metadataProperties(in *Input, driver *config.Conf) error {
	if !submission(in) {
		return nil
	}
	execPrefix := in.Conf.String("spark.kubernetes.executor.podNamePrefix")
	if execPrefix == "" {
		execPrefix = in.Prefix
	} else if errs := validation.IsDNS1123Label(ExecutorPodName(execPrefix, "99999")); len(errs) > 0 {
		return fmt.Errorf("spark.kubernetes.executor.podNamePrefix=%q: executor pod names made from it are invalid: %s", execPrefix, strings.Join(errs, "; "))
	}
	return set(driver,
		"spark.app.id", in.AppID,
		"spark.app.name", in.Conf.String("spark.app.name"),
		"spark.kubernetes.namespace", in.Namespace,
		"spark.kubernetes.driver.pod.name", in.Name,
		"spark.kubernetes.executor.podNamePrefix", execPrefix,
		"spark.submit.deployMode", "cluster")
}

// set sets name-value pairs of c in order.
func set(c *config.Conf, kv ...string) error {
	for i := 0; i+1 < len(kv); i += 2 {
		if err := c.Set(kv[i], kv[i+1]); err != nil {
			return err
		}
	}
	return nil
}

func image(in *Input, p *corev1.Pod) error {
	c := in.Conf
	img := c.String(prop(in, "spark.kubernetes.%s.container.image"))
	if img == "" {
		img = c.String("spark.kubernetes.container.image")
	}
	if img == "" {
		return fmt.Errorf("spark.kubernetes.container.image (or spark.kubernetes.%s.container.image) must name the image of the %s pod", in.Role, in.Role)
	}
	ctr := &p.Spec.Containers[0]
	ctr.Image = img
	ctr.ImagePullPolicy = corev1.PullPolicy(c.String("spark.kubernetes.container.image.pullPolicy"))
	for _, s := range strings.Split(c.String("spark.kubernetes.container.image.pullSecrets"), ",") {
		ref := corev1.LocalObjectReference{Name: strings.TrimSpace(s)}
		if ref.Name != "" && !slices.Contains(p.Spec.ImagePullSecrets, ref) {
			p.Spec.ImagePullSecrets = append(p.Spec.ImagePullSecrets, ref)
		}
	}
	return nil
}

// keyValues parses the fork's "k1=v1,k2=v2" lists.
func keyValues(name, v string) (map[string]string, error) {
	out := map[string]string{}
	for _, kv := range strings.Split(v, ",") {
		if kv = strings.TrimSpace(kv); kv == "" {
			continue
		}
		k, val, ok := strings.Cut(kv, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, fmt.Errorf("%s: %q is not key=value", name, kv)
		}
		out[strings.TrimSpace(k)] = strings.TrimSpace(val)
	}
	return out, nil
}

func labelsAndAnnotations(in *Input, p *corev1.Pod) error {
	c := in.Conf
	labels := map[string]string{}
	annotations := map[string]string{}
	if in.Role == Driver {
		for list, dst := range map[string]map[string]string{"spark.kubernetes.driver.labels": labels, "spark.kubernetes.driver.annotations": annotations} {
			kv, err := keyValues(list, c.String(list))
			if err != nil {
				return err
			}
			maps.Copy(dst, kv)
		}
	}
	maps.Copy(labels, c.WithPrefix(prop(in, "spark.kubernetes.%s.label.")))
	maps.Copy(annotations, c.WithPrefix(prop(in, "spark.kubernetes.%s.annotation.")))
	// Values may name the application and the executor, as in Spark 4;
	// a label's value is checked once they are replaced.
	for _, m := range []map[string]string{labels, annotations} {
		for k, v := range m {
			m[k] = substitute(in, v)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		if k == LabelAppSelector || k == LabelRole || k == LabelExecID {
			return fmt.Errorf("%s%s: label %s is reserved by Spark", prop(in, "spark.kubernetes.%s.label."), k, k)
		}
		if errs := validation.IsQualifiedName(k); len(errs) > 0 {
			return fmt.Errorf("%s%s: %s", prop(in, "spark.kubernetes.%s.label."), k, strings.Join(errs, "; "))
		}
		if errs := validation.IsValidLabelValue(labels[k]); len(errs) > 0 {
			return fmt.Errorf("%s%s: value %q: %s", prop(in, "spark.kubernetes.%s.label."), k, labels[k], strings.Join(errs, "; "))
		}
		p.Labels[k] = labels[k]
	}
	if len(annotations) > 0 {
		if p.Annotations == nil {
			p.Annotations = map[string]string{}
		}
		maps.Copy(p.Annotations, annotations)
	}
	return nil
}

// substitute replaces {{APP_ID}} and {{EXECUTOR_ID}} in a label,
// annotation or environment value, as Spark 4 does: the driver has no
// executor id, so it becomes the empty string there.
func substitute(in *Input, v string) string {
	exec := ""
	if in.Role == Executor {
		exec = in.ExecutorID
	}
	return strings.NewReplacer("{{APP_ID}}", in.AppID, "{{EXECUTOR_ID}}", exec).Replace(v)
}

// setEnv sets variables of ctr: a template's variable of the same name is
// replaced, others are added in order.
func setEnv(ctr *corev1.Container, vars ...corev1.EnvVar) {
	for _, v := range vars {
		ctr.Env = slices.DeleteFunc(ctr.Env, func(e corev1.EnvVar) bool { return e.Name == v.Name })
		ctr.Env = append(ctr.Env, v)
	}
}

func environment(in *Input, p *corev1.Pod) error {
	ctr := &p.Spec.Containers[0]
	// What a template sets and a step before this one set again
	// (SPARK_LOCAL_DIRS) is the step's.
	for i := len(ctr.Env) - 1; i >= 0; i-- {
		name := ctr.Env[i].Name
		if slices.ContainsFunc(ctr.Env[i+1:], func(e corev1.EnvVar) bool { return e.Name == name }) {
			ctr.Env = slices.Delete(ctr.Env, i, i+1)
		}
	}
	setEnv(ctr, in.Env...)
	prefix := "spark.executorEnv."
	if in.Role == Driver {
		prefix = "spark.kubernetes.driverEnv."
	}
	user := in.Conf.WithPrefix(prefix)
	for _, k := range slices.Sorted(maps.Keys(user)) {
		if errs := validation.IsEnvVarName(k); len(errs) > 0 {
			return fmt.Errorf("%s%s: %s", prefix, k, strings.Join(errs, "; "))
		}
		setEnv(ctr, corev1.EnvVar{Name: k, Value: substitute(in, user[k])})
	}
	return nil
}

// secretEnvironment sets spark.kubernetes.{driver,executor}.secretKeyRef.ENV=NAME:KEY:
// the variable ENV of the main container takes its value from key KEY of
// the Secret NAME (Spark's EnvSecretsFeatureStep).
func secretEnvironment(in *Input, p *corev1.Pod) error {
	prefix := prop(in, "spark.kubernetes.%s.secretKeyRef.")
	refs := in.Conf.WithPrefix(prefix)
	for _, env := range slices.Sorted(maps.Keys(refs)) {
		ref := refs[env]
		if errs := validation.IsEnvVarName(env); len(errs) > 0 {
			return fmt.Errorf("%s%s: %s", prefix, env, strings.Join(errs, "; "))
		}
		name, key, ok := strings.Cut(ref, ":")
		if !ok || name == "" || key == "" {
			return fmt.Errorf("%s%s=%q: want SECRET_NAME:KEY", prefix, env, ref)
		}
		if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
			return fmt.Errorf("%s%s=%q: secret name %q: %s", prefix, env, ref, name, strings.Join(errs, "; "))
		}
		if errs := validation.IsConfigMapKey(key); len(errs) > 0 {
			return fmt.Errorf("%s%s=%q: key %q: %s", prefix, env, ref, key, strings.Join(errs, "; "))
		}
		setEnv(&p.Spec.Containers[0], corev1.EnvVar{Name: env, ValueFrom: &corev1.EnvVarSource{
			SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: name}, Key: key}}})
	}
	return nil
}

func nodeSelector(in *Input, p *corev1.Pod) error {
	sel := in.Conf.WithPrefix("spark.kubernetes.node.selector.")
	if len(sel) > 0 {
		if p.Spec.NodeSelector == nil {
			p.Spec.NodeSelector = map[string]string{}
		}
		maps.Copy(p.Spec.NodeSelector, sel)
	}
	return nil
}

// Overhead is the memory a pod gets beyond the process's memory, in bytes
// but whole MiB as Spark counts it: spark.{driver,executor}.memoryOverhead
// when set, else the overhead factor times the memory in MiB (truncated),
// at least 384 MiB. The factor is spark.{driver,executor}.memoryOverheadFactor
// when set (Spark 3.3), else spark.kubernetes.memoryOverheadFactor.
func Overhead(c *config.Conf, role Role) int64 {
	name := fmt.Sprintf("spark.%s.memoryOverhead", role)
	if c.Has(name) {
		return c.Bytes(name) >> 20 << 20
	}
	factor := c.Float("spark.kubernetes.memoryOverheadFactor")
	if f := fmt.Sprintf("spark.%s.memoryOverheadFactor", role); c.Has(f) {
		factor = c.Float(f)
	}
	memMiB := c.Bytes(fmt.Sprintf("spark.%s.memory", role)) >> 20
	return max(int64(factor*float64(memMiB))<<20, MinOverhead)
}

func resources(in *Input, p *corev1.Pod) error {
	c := in.Conf
	cores := strconv.Itoa(c.Int(fmt.Sprintf("spark.%s.cores", in.Role)))
	request := cores
	if v := c.String(prop(in, "spark.kubernetes.%s.request.cores")); v != "" {
		request = v
	}
	cpu, err := resource.ParseQuantity(request)
	if err != nil || cpu.Sign() <= 0 {
		return fmt.Errorf("%s=%q: want a positive CPU quantity such as 1, 0.5 or 100m", prop(in, "spark.kubernetes.%s.request.cores"), request)
	}
	// Whole MiB, as Spark: 4g is 4096 + 409 = 4505Mi.
	mem := c.Bytes(fmt.Sprintf("spark.%s.memory", in.Role))>>20<<20 + Overhead(c, in.Role)
	memQ := *resource.NewQuantity(mem, resource.BinarySI)
	ctr := &p.Spec.Containers[0]
	// A template's other resources (GPUs, a cpu limit) stay.
	if ctr.Resources.Requests == nil {
		ctr.Resources.Requests = corev1.ResourceList{}
	}
	if ctr.Resources.Limits == nil {
		ctr.Resources.Limits = corev1.ResourceList{}
	}
	ctr.Resources.Requests[corev1.ResourceCPU] = cpu
	ctr.Resources.Requests[corev1.ResourceMemory] = memQ
	ctr.Resources.Limits[corev1.ResourceMemory] = memQ
	if v := c.String(prop(in, "spark.kubernetes.%s.limit.cores")); v != "" {
		lim, err := resource.ParseQuantity(v)
		if err != nil || lim.Sign() <= 0 {
			return fmt.Errorf("%s=%q: want a positive CPU quantity", prop(in, "spark.kubernetes.%s.limit.cores"), v)
		}
		if lim.Cmp(cpu) < 0 {
			return fmt.Errorf("%s=%s is below the CPU request %s", prop(in, "spark.kubernetes.%s.limit.cores"), v, request)
		}
		ctr.Resources.Limits[corev1.ResourceCPU] = lim
	}
	return nil
}

// serviceAccount gives the driver
// spark.kubernetes.authenticate.driver.serviceAccountName, else its
// template's, else default. Executors keep their template's, else get
// spark.kubernetes.authenticate.executor.serviceAccountName, else the
// driver's (Spark 3.1 and later), else the namespace's default.
func serviceAccount(in *Input, p *corev1.Pod) error {
	driver := in.Conf.String("spark.kubernetes.authenticate.driver.serviceAccountName")
	template := p.Spec.ServiceAccountName
	if template == "" {
		template = p.Spec.DeprecatedServiceAccount
	}
	for _, name := range []string{"spark.kubernetes.authenticate.driver.serviceAccountName", "spark.kubernetes.authenticate.executor.serviceAccountName"} {
		if v := in.Conf.String(name); v != "" {
			if errs := validation.IsDNS1123Subdomain(v); len(errs) > 0 {
				return fmt.Errorf("%s=%q: %s", name, v, strings.Join(errs, "; "))
			}
		}
	}
	var sa string
	if in.Role == Driver {
		// The property's default ("default") is not a setting: a
		// template's wins over it.
		if !in.Conf.Has("spark.kubernetes.authenticate.driver.serviceAccountName") {
			driver = ""
		}
		sa = cmp.Or(driver, template, "default")
	} else {
		sa = cmp.Or(template, in.Conf.String("spark.kubernetes.authenticate.executor.serviceAccountName"), driver)
	}
	p.Spec.ServiceAccountName, p.Spec.DeprecatedServiceAccount = sa, ""
	return nil
}

// secrets mounts spark.kubernetes.{driver,executor}.secrets.NAME=PATH.
func secrets(in *Input, p *corev1.Pod) error {
	prefix := prop(in, "spark.kubernetes.%s.secrets.")
	s := in.Conf.WithPrefix(prefix)
	for _, name := range slices.Sorted(maps.Keys(s)) {
		path := s[name]
		if !strings.HasPrefix(path, "/") {
			return fmt.Errorf("%s%s=%q: want an absolute mount path", prefix, name, path)
		}
		vol := name + "-volume"
		p.Spec.Volumes = append(p.Spec.Volumes, corev1.Volume{Name: vol,
			VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: name}}})
		p.Spec.Containers[0].VolumeMounts = append(p.Spec.Containers[0].VolumeMounts, corev1.VolumeMount{Name: vol, MountPath: path})
	}
	return nil
}

// command runs the application. Executors run its binary directly; the
// driver runs it through the image's entrypoint, "gospark driver <app>
// <args>", as Spark's driver pod runs its entrypoint with "driver".
func command(in *Input, p *corev1.Pod) error {
	if len(in.Command) == 0 {
		return fmt.Errorf("pods: the %s pod has no program to run", in.Role)
	}
	ctr := &p.Spec.Containers[0]
	ctr.Command = in.Command
	if in.Role == Driver {
		ctr.Command = append([]string{GosparkBin, "driver"}, in.Command...)
	}
	return nil
}
