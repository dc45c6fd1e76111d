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
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/gospark/gospark/internal/config"
)

// Volumes as Spark's MountVolumesFeatureStep and LocalDirsFeatureStep make
// them.
const (
	// OnDemand as a persistentVolumeClaim volume's claimName asks for a
	// claim made for the pod: <executor pod>-pvc-<i> for an executor,
	// <prefix>-driver-pvc-<i> for the driver, where i is the volume's
	// place among the role's volumes.
	OnDemand = "OnDemand"
	// ExecutorIDPlaceholder in an executor's claimName is replaced by the
	// executor's id.
	ExecutorIDPlaceholder = "SPARK_EXECUTOR_ID"
	// LocalDirVolumePrefix names the volumes that are the pods' local
	// directories (SPARK_LOCAL_DIRS).
	LocalDirVolumePrefix = "spark-local-dir-"
)

// volumesStep mounts spark.kubernetes.{driver,executor}.volumes.TYPE.NAME.*;
// the driver's on-demand claims are objects of the submission (created
// with the driver pod, owned by it). Executors' claims are the driver's to
// make (Claims).
var volumesStep = Step{Name: "volumes", Pod: volumes, Objects: driverClaims}

// volume is one volume of a role's properties.
type volume struct {
	typ, name string
	base      string            // the properties' common prefix, for messages
	o         map[string]string // the rest of each property's name: mount.path, options.claimName, ...
	index     int               // its place among the role's volumes (sorted by type and name)
}

// parseVolumes reads a role's volumes, sorted by type then name, and
// checks what every type shares (mount path, read-only, sub-path).
func parseVolumes(c *config.Conf, role Role) ([]volume, error) {
	prefix := fmt.Sprintf("spark.kubernetes.%s.volumes.", role)
	type key struct{ typ, name string }
	byVol := map[key]map[string]string{}
	for k, v := range c.WithPrefix(prefix) {
		parts := strings.SplitN(k, ".", 3)
		if len(parts) != 3 {
			return nil, fmt.Errorf("%s%s: want %sTYPE.NAME.mount.path (or .mount.readOnly, .mount.subPath, .options.*)", prefix, k, prefix)
		}
		kk := key{parts[0], parts[1]}
		if byVol[kk] == nil {
			byVol[kk] = map[string]string{}
		}
		byVol[kk][parts[2]] = v
	}
	keys := slices.SortedFunc(maps.Keys(byVol), func(a, b key) int { return strings.Compare(a.typ+"."+a.name, b.typ+"."+b.name) })
	var out []volume
	paths := map[string]string{}
	for i, k := range keys {
		v := volume{typ: k.typ, name: k.name, base: prefix + k.typ + "." + k.name + ".", o: byVol[k], index: i}
		path := v.o["mount.path"]
		if !strings.HasPrefix(path, "/") {
			return nil, fmt.Errorf("%smount.path=%q: want an absolute path", v.base, path)
		}
		if other, dup := paths[path]; dup {
			return nil, fmt.Errorf("%smount.path=%q: %smount.path is the same path", v.base, path, other)
		}
		paths[path] = v.base
		if _, err := v.readOnly(); err != nil {
			return nil, err
		}
		if v.o["mount.subPath"] != "" && v.o["mount.subPathExpr"] != "" {
			return nil, fmt.Errorf("%smount.subPath and %smount.subPathExpr: give one of them", v.base, v.base)
		}
		if errs := validation.IsDNS1123Label(k.name); len(errs) > 0 {
			return nil, fmt.Errorf("%s: volume name %q: %s", v.base, k.name, strings.Join(errs, "; "))
		}
		out = append(out, v)
	}
	return out, nil
}

func (v volume) readOnly() (bool, error) {
	s, ok := v.o["mount.readOnly"]
	if !ok {
		return false, nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return false, fmt.Errorf("%smount.readOnly=%q: want true or false", v.base, s)
	}
	return b, nil
}

// size parses options.sizeLimit, refusing a plain number under 1 KiB as
// Spark does (units were forgotten).
func (v volume) size() (*resource.Quantity, error) {
	s, ok := v.o["options.sizeLimit"]
	if !ok {
		return nil, nil
	}
	q, err := resource.ParseQuantity(s)
	if err != nil || q.Sign() <= 0 {
		return nil, fmt.Errorf("%soptions.sizeLimit=%q: want a positive quantity such as 10Gi", v.base, s)
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n < 1024 {
		return nil, fmt.Errorf("%soptions.sizeLimit=%q: smaller than 1 KiB; units missing? (such as 10Gi)", v.base, s)
	}
	return &q, nil
}

// hostPathTypes are the types a hostPath volume's options.type may name.
var hostPathTypes = []corev1.HostPathType{corev1.HostPathUnset, corev1.HostPathDirectoryOrCreate, corev1.HostPathDirectory,
	corev1.HostPathFileOrCreate, corev1.HostPathFile, corev1.HostPathSocket, corev1.HostPathCharDev, corev1.HostPathBlockDev}

// claimName is a persistentVolumeClaim volume's claim in the pod of in:
// OnDemand becomes the claim made for the pod, SPARK_EXECUTOR_ID the
// executor's id, as in Spark.
func (v volume) claimName(in *Input) string {
	name := v.o["options.claimName"]
	if in.Role == Executor {
		name = strings.ReplaceAll(name, OnDemand, fmt.Sprintf("%s-pvc-%d", in.Name, v.index))
		return strings.ReplaceAll(name, ExecutorIDPlaceholder, in.ExecutorID)
	}
	prefix := in.Prefix
	if prefix == "" {
		prefix = strings.TrimSuffix(in.Name, "-driver")
	}
	return strings.ReplaceAll(name, OnDemand, fmt.Sprintf("%s-driver-pvc-%d", prefix, v.index))
}

// source is the volume's source in the pod of in.
func (v volume) source(in *Input) (corev1.VolumeSource, error) {
	src := corev1.VolumeSource{}
	switch v.typ {
	case "emptyDir":
		size, err := v.size()
		if err != nil {
			return src, err
		}
		medium := corev1.StorageMedium(v.o["options.medium"])
		if medium != corev1.StorageMediumDefault && medium != corev1.StorageMediumMemory && medium != corev1.StorageMediumHugePages {
			return src, fmt.Errorf("%soptions.medium=%q: want Memory, HugePages or nothing (the node's disk)", v.base, medium)
		}
		src.EmptyDir = &corev1.EmptyDirVolumeSource{Medium: medium, SizeLimit: size}
	case "hostPath":
		path := v.o["options.path"]
		if !strings.HasPrefix(path, "/") {
			return src, fmt.Errorf("%soptions.path=%q: want an absolute host path", v.base, path)
		}
		typ := corev1.HostPathType(v.o["options.type"])
		if !slices.Contains(hostPathTypes, typ) {
			return src, fmt.Errorf("%soptions.type=%q: want one of DirectoryOrCreate, Directory, FileOrCreate, File, Socket, CharDevice, BlockDevice (or nothing: no check)", v.base, typ)
		}
		src.HostPath = &corev1.HostPathVolumeSource{Path: path}
		if typ != corev1.HostPathUnset {
			src.HostPath.Type = &typ
		}
	case "persistentVolumeClaim":
		if v.o["options.claimName"] == "" {
			return src, fmt.Errorf("%soptions.claimName: a persistentVolumeClaim volume needs the claim's name (or %s for one made for each pod)", v.base, OnDemand)
		}
		if _, err := v.claim(in); err != nil {
			return src, err
		}
		ro, _ := v.readOnly()
		name := v.claimName(in)
		if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
			return src, fmt.Errorf("%soptions.claimName=%q: claim name %q: %s", v.base, v.o["options.claimName"], name, strings.Join(errs, "; "))
		}
		src.PersistentVolumeClaim = &corev1.PersistentVolumeClaimVolumeSource{ClaimName: name, ReadOnly: ro}
	default:
		return src, fmt.Errorf("%s: volume type %q: want emptyDir, hostPath or persistentVolumeClaim", strings.TrimSuffix(v.base, "."), v.typ)
	}
	return src, nil
}

// AccessModeProperty keeps Spark 3's access mode of on-demand claims.
const AccessModeProperty = "spark.kubernetes.legacy.useReadWriteOnceAccessMode"

// claim is the claim a persistentVolumeClaim volume makes for the pod of
// in, or nil when it names an existing one. As in Spark, a claim is made
// when claimName is OnDemand or when options.storageClass and
// options.sizeLimit are both given; OnDemand needs options.sizeLimit (its
// size), and without options.storageClass the claim gets the cluster's
// default storage class. Its access mode is ReadWriteOncePod (one pod at a
// time), or ReadWriteOnce with spark.kubernetes.legacy.useReadWriteOnceAccessMode.
func (v volume) claim(in *Input) (*corev1.PersistentVolumeClaim, error) {
	if v.typ != "persistentVolumeClaim" {
		return nil, nil
	}
	size, err := v.size()
	if err != nil {
		return nil, err
	}
	class, hasClass := v.o["options.storageClass"]
	onDemand := strings.Contains(v.o["options.claimName"], OnDemand)
	if onDemand && size == nil {
		return nil, fmt.Errorf("%soptions.sizeLimit: a claim made for each pod (claimName=%s) needs its size, such as 10Gi", v.base, OnDemand)
	}
	if !onDemand && (!hasClass || size == nil) {
		return nil, nil
	}
	if hasClass {
		if errs := validation.IsDNS1123Subdomain(class); len(errs) > 0 {
			return nil, fmt.Errorf("%soptions.storageClass=%q: %s", v.base, class, strings.Join(errs, "; "))
		}
	}
	labels := map[string]string{}
	for k, val := range v.o {
		if rest, ok := strings.CutPrefix(k, "label."); ok {
			if errs := validation.IsQualifiedName(rest); len(errs) > 0 {
				return nil, fmt.Errorf("%s%s: %s", v.base, k, strings.Join(errs, "; "))
			}
			if errs := validation.IsValidLabelValue(val); len(errs) > 0 {
				return nil, fmt.Errorf("%s%s=%q: %s", v.base, k, val, strings.Join(errs, "; "))
			}
			labels[rest] = val
		}
	}
	labels[LabelAppSelector] = in.AppID
	labels[LabelRole] = string(in.Role)
	var annotations map[string]string
	for k, val := range v.o {
		if rest, ok := strings.CutPrefix(k, "annotation."); ok {
			if annotations == nil {
				annotations = map[string]string{}
			}
			annotations[rest] = val
		}
	}
	mode := corev1.ReadWriteOncePod
	if in.Conf.Bool(AccessModeProperty) {
		mode = corev1.ReadWriteOnce
	}
	pvc := &corev1.PersistentVolumeClaim{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "PersistentVolumeClaim"},
		ObjectMeta: metav1.ObjectMeta{Name: v.claimName(in), Namespace: in.Namespace, Labels: labels, Annotations: annotations},
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes: []corev1.PersistentVolumeAccessMode{mode},
			Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: *size}},
		},
	}
	if hasClass {
		pvc.Spec.StorageClassName = &class
	}
	return pvc, nil
}

// volumes adds spark.kubernetes.{driver,executor}.volumes.TYPE.NAME.*.
func volumes(in *Input, p *corev1.Pod) error {
	vols, err := parseVolumes(in.Conf, in.Role)
	if err != nil {
		return err
	}
	for _, v := range vols {
		src, err := v.source(in)
		if err != nil {
			return err
		}
		ro, _ := v.readOnly()
		p.Spec.Volumes = append(p.Spec.Volumes, corev1.Volume{Name: v.name, VolumeSource: src})
		p.Spec.Containers[0].VolumeMounts = append(p.Spec.Containers[0].VolumeMounts, corev1.VolumeMount{Name: v.name,
			MountPath: v.o["mount.path"], ReadOnly: ro, SubPath: v.o["mount.subPath"], SubPathExpr: v.o["mount.subPathExpr"]})
	}
	return nil
}

// Claims are the persistent volume claims the pod of in needs made for it
// (on-demand claims), named as its volumes name them, labelled with the
// application and role, without owner.
func Claims(in Input) ([]*corev1.PersistentVolumeClaim, error) {
	vols, err := parseVolumes(in.Conf, in.Role)
	if err != nil {
		return nil, err
	}
	var out []*corev1.PersistentVolumeClaim
	for _, v := range vols {
		c, err := v.claim(&in)
		if err != nil {
			return nil, err
		}
		if c != nil {
			out = append(out, c)
		}
	}
	return out, nil
}

// driverClaims are the driver pod's on-demand claims, objects of the
// submission.
func driverClaims(in *Input, _ *config.Conf) ([]runtime.Object, error) {
	if !submission(in) {
		return nil, nil
	}
	claims, err := Claims(*in)
	if err != nil {
		return nil, err
	}
	var out []runtime.Object
	for _, c := range claims {
		out = append(out, c)
	}
	return out, nil
}

// localDir gives the application its local directories (shuffle output,
// spills), named by SPARK_LOCAL_DIRS as in Spark's LocalDirsFeatureStep:
// the mount paths of the container's volumes named spark-local-dir-*
// (the user's volumes, which the volumes step adds later, or a pod
// template's), or else one emptyDir per directory of spark.local.dir when
// it is set, else one at LocalDir; with spark.kubernetes.local.dirs.tmpfs
// those emptyDirs are in memory.
func localDir(in *Input, p *corev1.Pod) error {
	ctr := &p.Spec.Containers[0]
	var dirs []string
	for _, m := range ctr.VolumeMounts {
		if strings.HasPrefix(m.Name, LocalDirVolumePrefix) {
			dirs = append(dirs, m.MountPath)
		}
	}
	vols, err := parseVolumes(in.Conf, in.Role)
	if err != nil {
		return err
	}
	for _, v := range vols {
		if strings.HasPrefix(v.name, LocalDirVolumePrefix) {
			dirs = append(dirs, v.o["mount.path"])
		}
	}
	if len(dirs) == 0 {
		dirs = []string{LocalDir}
		if in.Conf.Has("spark.local.dir") {
			dirs = nil
			for _, d := range strings.Split(in.Conf.String("spark.local.dir"), ",") {
				if d = strings.TrimSpace(d); d != "" {
					if !strings.HasPrefix(d, "/") {
						return fmt.Errorf("spark.local.dir=%q: %q is not an absolute path (on Kubernetes each directory is an emptyDir mounted there)", in.Conf.String("spark.local.dir"), d)
					}
					dirs = append(dirs, d)
				}
			}
		}
		medium := corev1.StorageMediumDefault
		if in.Conf.Bool("spark.kubernetes.local.dirs.tmpfs") {
			medium = corev1.StorageMediumMemory
		}
		for i, d := range dirs {
			name := fmt.Sprintf("%s%d", LocalDirVolumePrefix, i+1)
			p.Spec.Volumes = append(p.Spec.Volumes, corev1.Volume{Name: name,
				VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{Medium: medium}}})
			ctr.VolumeMounts = append(ctr.VolumeMounts, corev1.VolumeMount{Name: name, MountPath: d})
		}
	}
	ctr.Env = append(ctr.Env, corev1.EnvVar{Name: "SPARK_LOCAL_DIRS", Value: strings.Join(dirs, ",")})
	return nil
}
