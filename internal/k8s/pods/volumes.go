package pods

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"
)

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
