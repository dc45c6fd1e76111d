// Package pods builds the driver and executor pods of an application from
// its configuration. One builder serves both roles; it is a list of small
// steps, one per concern (image, labels, environment, resources, ...),
// each tested alone and together through golden files.
package pods

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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
	// Command is the program the container runs (the application binary
	// inside the image); Args its arguments.
	Command []string
	// DriverPort is the port the driver listens on for executors (driver
	// only; 0 means none is declared).
	DriverPort int
	// ConfigMap names the ConfigMap that holds the driver's properties
	// (driver only); it is mounted at ConfDir.
	ConfigMap string
	// CredentialsSecret names the Secret with the driver's API server
	// credentials (driver only); it is mounted at CredentialsDir.
	CredentialsSecret string
}

// Paths inside the pods.
const (
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
)

// Step adds one concern to the pod.
type Step struct {
	Name  string
	Apply func(in *Input, p *corev1.Pod) error
}

// Steps are the builder's steps, in order.
var Steps = []Step{
	{"metadata", metadata},
	{"image", image},
	{"command", command},
	{"local dir", localDir},
	{"driver configuration", driverConf},
	{"driver credentials", driverCredentials},
	{"labels and annotations", labelsAndAnnotations},
	{"environment", environment},
	{"node selector", nodeSelector},
	{"resources", resources},
	{"service account", serviceAccount},
	{"secrets", secrets},
	{"volumes", volumes},
	// After volumes: the init-container gets the main container's mounts.
	{"init-container", initContainer},
}

// Build makes the pod; an invalid property fails naming it.
func Build(in Input) (*corev1.Pod, error) {
	if in.Role != Driver && in.Role != Executor {
		return nil, fmt.Errorf("pods: unknown role %q", in.Role)
	}
	name := ExecContainer
	if in.Role == Driver {
		name = DriverContainer
	}
	p := &corev1.Pod{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		Spec: corev1.PodSpec{
			RestartPolicy: corev1.RestartPolicyNever,
			Containers:    []corev1.Container{{Name: name, Args: in.Args}},
			// Executors reach the driver through its Service's DNS name.
			EnableServiceLinks: new(false),
		},
	}
	for _, s := range Steps {
		if err := s.Apply(&in, p); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// prop is a property name for the pod's role: prop(in, "spark.kubernetes.%s.label.").
func prop(in *Input, format string) string { return fmt.Sprintf(format, in.Role) }

func metadata(in *Input, p *corev1.Pod) error {
	if errs := validation.IsDNS1123Subdomain(in.Name); len(errs) > 0 {
		return fmt.Errorf("pod name %q: %s", in.Name, strings.Join(errs, "; "))
	}
	p.Name, p.Namespace = in.Name, in.Namespace
	p.Labels = map[string]string{LabelAppSelector: in.AppID, LabelRole: string(in.Role)}
	if in.Role == Executor {
		p.Labels[LabelExecID] = in.ExecutorID
	}
	if in.Owner != nil {
		p.OwnerReferences = []metav1.OwnerReference{*in.Owner}
	}
	p.Spec.Hostname = ""
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
		if s = strings.TrimSpace(s); s != "" {
			p.Spec.ImagePullSecrets = append(p.Spec.ImagePullSecrets, corev1.LocalObjectReference{Name: s})
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
		p.Annotations = annotations
	}
	return nil
}

func environment(in *Input, p *corev1.Pod) error {
	ctr := &p.Spec.Containers[0]
	ctr.Env = append(ctr.Env, in.Env...)
	prefix := "spark.executorEnv."
	if in.Role == Driver {
		prefix = "spark.kubernetes.driverEnv."
	}
	user := in.Conf.WithPrefix(prefix)
	for _, k := range slices.Sorted(maps.Keys(user)) {
		if errs := validation.IsEnvVarName(k); len(errs) > 0 {
			return fmt.Errorf("%s%s: %s", prefix, k, strings.Join(errs, "; "))
		}
		ctr.Env = append(ctr.Env, corev1.EnvVar{Name: k, Value: user[k]})
	}
	return nil
}

func nodeSelector(in *Input, p *corev1.Pod) error {
	sel := in.Conf.WithPrefix("spark.kubernetes.node.selector.")
	if len(sel) > 0 {
		p.Spec.NodeSelector = sel
	}
	return nil
}

// Overhead is the memory a pod gets beyond the process's memory: the
// property when set, else the factor of memory, at least 384 MiB.
func Overhead(c *config.Conf, role Role) int64 {
	name := fmt.Sprintf("spark.%s.memoryOverhead", role)
	if c.Has(name) {
		return c.Bytes(name)
	}
	mem := c.Bytes(fmt.Sprintf("spark.%s.memory", role))
	return max(int64(float64(mem)*c.Float("spark.kubernetes.memoryOverheadFactor")), MinOverhead)
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
	mem := c.Bytes(fmt.Sprintf("spark.%s.memory", in.Role)) + Overhead(c, in.Role)
	memQ := *resource.NewQuantity(mem, resource.BinarySI)
	ctr := &p.Spec.Containers[0]
	ctr.Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: cpu, corev1.ResourceMemory: memQ}
	ctr.Resources.Limits = corev1.ResourceList{corev1.ResourceMemory: memQ}
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

func serviceAccount(in *Input, p *corev1.Pod) error {
	if in.Role != Driver {
		return nil
	}
	sa := in.Conf.String("spark.kubernetes.authenticate.driver.serviceAccountName")
	if sa == "" {
		sa = "default"
	}
	p.Spec.ServiceAccountName = sa
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

// volumes adds spark.kubernetes.{driver,executor}.volumes.TYPE.NAME.*.
func volumes(in *Input, p *corev1.Pod) error {
	prefix := prop(in, "spark.kubernetes.%s.volumes.")
	type vol struct{ typ, name string }
	props := in.Conf.WithPrefix(prefix)
	byVol := map[vol]map[string]string{}
	for k, v := range props {
		parts := strings.SplitN(k, ".", 3)
		if len(parts) != 3 {
			return fmt.Errorf("%s%s: want %sTYPE.NAME.mount.path (or .mount.readOnly, .options.*)", prefix, k, prefix)
		}
		key := vol{parts[0], parts[1]}
		if byVol[key] == nil {
			byVol[key] = map[string]string{}
		}
		byVol[key][parts[2]] = v
	}
	keys := slices.SortedFunc(maps.Keys(byVol), func(a, b vol) int { return strings.Compare(a.typ+"."+a.name, b.typ+"."+b.name) })
	for _, key := range keys {
		o := byVol[key]
		base := prefix + key.typ + "." + key.name + "."
		path := o["mount.path"]
		if !strings.HasPrefix(path, "/") {
			return fmt.Errorf("%smount.path=%q: want an absolute path", base, path)
		}
		ro := false
		if v, ok := o["mount.readOnly"]; ok {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return fmt.Errorf("%smount.readOnly=%q: want true or false", base, v)
			}
			ro = b
		}
		src := corev1.VolumeSource{}
		switch key.typ {
		case "emptyDir":
			src.EmptyDir = &corev1.EmptyDirVolumeSource{Medium: corev1.StorageMedium(o["options.medium"])}
			if v := o["options.sizeLimit"]; v != "" {
				q, err := resource.ParseQuantity(v)
				if err != nil {
					return fmt.Errorf("%soptions.sizeLimit=%q: %w", base, v, err)
				}
				src.EmptyDir.SizeLimit = &q
			}
		case "hostPath":
			if !strings.HasPrefix(o["options.path"], "/") {
				return fmt.Errorf("%soptions.path=%q: want an absolute host path", base, o["options.path"])
			}
			src.HostPath = &corev1.HostPathVolumeSource{Path: o["options.path"]}
		case "persistentVolumeClaim":
			if o["options.claimName"] == "" {
				return fmt.Errorf("%soptions.claimName: a persistentVolumeClaim volume needs the claim's name", base)
			}
			src.PersistentVolumeClaim = &corev1.PersistentVolumeClaimVolumeSource{ClaimName: o["options.claimName"], ReadOnly: ro}
		default:
			return fmt.Errorf("%s%s: volume type %q: want emptyDir, hostPath or persistentVolumeClaim", prefix, key.typ+"."+key.name, key.typ)
		}
		if errs := validation.IsDNS1123Label(key.name); len(errs) > 0 {
			return fmt.Errorf("%s: volume name %q: %s", base, key.name, strings.Join(errs, "; "))
		}
		p.Spec.Volumes = append(p.Spec.Volumes, corev1.Volume{Name: key.name, VolumeSource: src})
		p.Spec.Containers[0].VolumeMounts = append(p.Spec.Containers[0].VolumeMounts,
			corev1.VolumeMount{Name: key.name, MountPath: path, ReadOnly: ro, SubPath: o["mount.subPath"]})
	}
	return nil
}

func command(in *Input, p *corev1.Pod) error {
	if len(in.Command) == 0 {
		return fmt.Errorf("pods: the %s pod has no program to run", in.Role)
	}
	p.Spec.Containers[0].Command = in.Command
	return nil
}

// localDir gives the application an emptyDir for scratch files (shuffle
// output, spills), named by SPARK_LOCAL_DIRS as in Spark.
func localDir(in *Input, p *corev1.Pod) error {
	const name = "spark-local-dir-1"
	p.Spec.Volumes = append(p.Spec.Volumes, corev1.Volume{Name: name,
		VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}})
	ctr := &p.Spec.Containers[0]
	ctr.VolumeMounts = append(ctr.VolumeMounts, corev1.VolumeMount{Name: name, MountPath: LocalDir})
	ctr.Env = append(ctr.Env, corev1.EnvVar{Name: "SPARK_LOCAL_DIRS", Value: LocalDir})
	return nil
}

// driverConf mounts the driver's properties and declares its port.
func driverConf(in *Input, p *corev1.Pod) error {
	if in.Role != Driver {
		return nil
	}
	ctr := &p.Spec.Containers[0]
	if in.DriverPort > 0 {
		ctr.Ports = append(ctr.Ports, corev1.ContainerPort{Name: DriverPortName, ContainerPort: int32(in.DriverPort), Protocol: corev1.ProtocolTCP})
	}
	if in.ConfigMap == "" {
		return nil
	}
	const vol = "spark-conf-volume"
	p.Spec.Volumes = append(p.Spec.Volumes, corev1.Volume{Name: vol, VolumeSource: corev1.VolumeSource{
		ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: in.ConfigMap}}}})
	ctr.VolumeMounts = append(ctr.VolumeMounts, corev1.VolumeMount{Name: vol, MountPath: ConfDir, ReadOnly: true})
	ctr.Env = append(ctr.Env, corev1.EnvVar{Name: config.EnvConfFile, Value: ConfDir + "/" + ConfFile})
	return nil
}

// driverCredentials mounts the Secret with the driver's credentials for
// the API server.
func driverCredentials(in *Input, p *corev1.Pod) error {
	if in.Role != Driver || in.CredentialsSecret == "" {
		return nil
	}
	const vol = "kubernetes-credentials"
	p.Spec.Volumes = append(p.Spec.Volumes, corev1.Volume{Name: vol, VolumeSource: corev1.VolumeSource{
		Secret: &corev1.SecretVolumeSource{SecretName: in.CredentialsSecret}}})
	ctr := &p.Spec.Containers[0]
	ctr.VolumeMounts = append(ctr.VolumeMounts, corev1.VolumeMount{Name: vol, MountPath: CredentialsDir, ReadOnly: true})
	return nil
}
