package pods

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// executorInput is executor 7 of application spark-app-1, pod pi-exec-7.
func executorInput(t *testing.T, kv ...string) Input {
	return Input{Conf: conf(t, append([]string{"spark.kubernetes.container.image", "img"}, kv...)...),
		Role: Executor, AppID: "spark-app-1", Name: "pi-exec-7", Namespace: "jobs", ExecutorID: "7", Command: []string{"/app"}}
}

func buildOK(t *testing.T, in Input) *corev1.Pod {
	t.Helper()
	p, err := Build(in)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func volumeNamed(t *testing.T, p *corev1.Pod, name string) (corev1.Volume, corev1.VolumeMount) {
	t.Helper()
	var v corev1.Volume
	var m corev1.VolumeMount
	n := 0
	for _, x := range p.Spec.Volumes {
		if x.Name == name {
			v = x
			n++
		}
	}
	for _, x := range p.Spec.Containers[0].VolumeMounts {
		if x.Name == name {
			m = x
			n++
		}
	}
	if n != 2 {
		t.Fatalf("volume %s: %d volumes and mounts of that name, want one of each:\n%+v\n%+v", name, n, p.Spec.Volumes, p.Spec.Containers[0].VolumeMounts)
	}
	return v, m
}

func env(p *corev1.Pod, name string) (string, int) {
	v, n := "", 0
	for _, e := range p.Spec.Containers[0].Env {
		if e.Name == name {
			v = e.Value
			n++
		}
	}
	return v, n
}

// Each volume type with its options, as Spark's MountVolumesFeatureStep
// makes them.
func TestVolumeTypes(t *testing.T) {
	p := buildOK(t, executorInput(t,
		"spark.kubernetes.executor.volumes.emptyDir.scratch.mount.path", "/scratch",
		"spark.kubernetes.executor.volumes.emptyDir.scratch.options.medium", "Memory",
		"spark.kubernetes.executor.volumes.emptyDir.scratch.options.sizeLimit", "500Mi",
		"spark.kubernetes.executor.volumes.hostPath.logs.mount.path", "/logs",
		"spark.kubernetes.executor.volumes.hostPath.logs.mount.subPath", "exec",
		"spark.kubernetes.executor.volumes.hostPath.logs.options.path", "/var/log/spark",
		"spark.kubernetes.executor.volumes.hostPath.logs.options.type", "DirectoryOrCreate",
		"spark.kubernetes.executor.volumes.persistentVolumeClaim.data.mount.path", "/data",
		"spark.kubernetes.executor.volumes.persistentVolumeClaim.data.mount.readOnly", "true",
		"spark.kubernetes.executor.volumes.persistentVolumeClaim.data.options.claimName", "datasets-SPARK_EXECUTOR_ID",
	))
	v, m := volumeNamed(t, p, "scratch")
	if v.EmptyDir == nil || v.EmptyDir.Medium != corev1.StorageMediumMemory || v.EmptyDir.SizeLimit.String() != "500Mi" || m.MountPath != "/scratch" {
		t.Errorf("emptyDir %+v mounted %+v", v.EmptyDir, m)
	}
	v, m = volumeNamed(t, p, "logs")
	if v.HostPath == nil || v.HostPath.Path != "/var/log/spark" || v.HostPath.Type == nil || *v.HostPath.Type != corev1.HostPathDirectoryOrCreate || m.SubPath != "exec" {
		t.Errorf("hostPath %+v mounted %+v", v.HostPath, m)
	}
	v, m = volumeNamed(t, p, "data")
	if v.PersistentVolumeClaim == nil || v.PersistentVolumeClaim.ClaimName != "datasets-7" || !v.PersistentVolumeClaim.ReadOnly || !m.ReadOnly {
		t.Errorf("claim %+v mounted %+v", v.PersistentVolumeClaim, m)
	}
	claims, err := Claims(executorInput(t, "spark.kubernetes.executor.volumes.persistentVolumeClaim.data.mount.path", "/data",
		"spark.kubernetes.executor.volumes.persistentVolumeClaim.data.options.claimName", "datasets"))
	if err != nil || len(claims) != 0 {
		t.Errorf("an existing claim: %d claims to make (%v), want none", len(claims), err)
	}
}

// Found when tried: claimName=OnDemand was taken as a claim named
// "OnDemand", and executor pods stayed Pending. It is a claim per pod,
// named as Spark names it (<executor pod>-pvc-<volume index>), made from
// the storage class and size, ReadWriteOncePod.
func TestOnDemandClaims(t *testing.T) {
	kv := []string{
		"spark.kubernetes.executor.volumes.emptyDir.aaa.mount.path", "/aaa",
		"spark.kubernetes.executor.volumes.persistentVolumeClaim.spark-local-dir-1.mount.path", "/data",
		"spark.kubernetes.executor.volumes.persistentVolumeClaim.spark-local-dir-1.options.claimName", "OnDemand",
		"spark.kubernetes.executor.volumes.persistentVolumeClaim.spark-local-dir-1.options.storageClass", "fast",
		"spark.kubernetes.executor.volumes.persistentVolumeClaim.spark-local-dir-1.options.sizeLimit", "2Gi",
		"spark.kubernetes.executor.volumes.persistentVolumeClaim.spark-local-dir-1.label.tier", "scratch",
	}
	in := executorInput(t, kv...)
	p := buildOK(t, in)
	v, _ := volumeNamed(t, p, "spark-local-dir-1")
	const want = "pi-exec-7-pvc-1"
	if v.PersistentVolumeClaim == nil || v.PersistentVolumeClaim.ClaimName != want {
		t.Fatalf("volume %+v, want claim %s", v.VolumeSource, want)
	}
	claims, err := Claims(in)
	if err != nil || len(claims) != 1 {
		t.Fatalf("claims %v, %v; want one", claims, err)
	}
	c := claims[0]
	if c.Name != want || c.Namespace != "jobs" || c.Spec.StorageClassName == nil || *c.Spec.StorageClassName != "fast" ||
		len(c.Spec.AccessModes) != 1 || c.Spec.AccessModes[0] != corev1.ReadWriteOncePod ||
		!c.Spec.Resources.Requests[corev1.ResourceStorage].Equal(resource.MustParse("2Gi")) ||
		c.Labels[LabelAppSelector] != "spark-app-1" || c.Labels[LabelRole] != "executor" || c.Labels["tier"] != "scratch" {
		t.Errorf("claim %+v %+v", c.ObjectMeta, c.Spec)
	}
	legacy := executorInput(t, append(kv, AccessModeProperty, "true")...)
	if claims, _ := Claims(legacy); len(claims) != 1 || claims[0].Spec.AccessModes[0] != corev1.ReadWriteOnce {
		t.Errorf("with %s: %+v", AccessModeProperty, claims)
	}

	// The driver's are objects of the submission, named from the prefix.
	d := submitted(t, "spark.kubernetes.driver.volumes.persistentVolumeClaim.data.mount.path", "/data",
		"spark.kubernetes.driver.volumes.persistentVolumeClaim.data.options.claimName", "OnDemand",
		"spark.kubernetes.driver.volumes.persistentVolumeClaim.data.options.sizeLimit", "1Gi")
	o := mustRun(t, "volumes", d)
	pvc := only[*corev1.PersistentVolumeClaim](t, o.objects)
	v, _ = volumeNamed(t, o.pod, "data")
	if pvc.Name != "pi-driver-pvc-0" || v.PersistentVolumeClaim.ClaimName != pvc.Name || pvc.Spec.StorageClassName != nil {
		t.Errorf("driver claim %s (class %v), volume %+v", pvc.Name, pvc.Spec.StorageClassName, v.VolumeSource)
	}
	// An executor built for checking (no prefix) makes no objects.
	in.Prefix = ""
	if objs, _ := driverClaims(&in, nil); len(objs) != 0 {
		t.Errorf("executor: %d objects", len(objs))
	}
}

// Volumes named spark-local-dir-* are the local directories: no emptyDir
// of gospark's then. Otherwise spark.local.dir's directories are
// emptyDirs, in memory with spark.kubernetes.local.dirs.tmpfs.
func TestLocalDirs(t *testing.T) {
	p := buildOK(t, executorInput(t))
	v, m := volumeNamed(t, p, "spark-local-dir-1")
	if got, n := env(p, "SPARK_LOCAL_DIRS"); got != LocalDir || n != 1 || v.EmptyDir == nil || v.EmptyDir.Medium != "" || m.MountPath != LocalDir {
		t.Errorf("default: SPARK_LOCAL_DIRS=%q (%d), volume %+v at %s", got, n, v.VolumeSource, m.MountPath)
	}

	p = buildOK(t, executorInput(t,
		"spark.kubernetes.executor.volumes.persistentVolumeClaim.spark-local-dir-1.mount.path", "/data",
		"spark.kubernetes.executor.volumes.persistentVolumeClaim.spark-local-dir-1.options.claimName", "OnDemand",
		"spark.kubernetes.executor.volumes.persistentVolumeClaim.spark-local-dir-1.options.sizeLimit", "1Gi",
		"spark.kubernetes.executor.volumes.hostPath.spark-local-dir-2.mount.path", "/fast",
		"spark.kubernetes.executor.volumes.hostPath.spark-local-dir-2.options.path", "/mnt/ssd",
		"spark.kubernetes.local.dirs.tmpfs", "true"))
	v, _ = volumeNamed(t, p, "spark-local-dir-1")
	if got, _ := env(p, "SPARK_LOCAL_DIRS"); got != "/fast,/data" || v.PersistentVolumeClaim == nil {
		t.Errorf("user's local dirs: SPARK_LOCAL_DIRS=%q, spark-local-dir-1 %+v", got, v.VolumeSource)
	}
	volumeNamed(t, p, "spark-local-dir-2")

	p = buildOK(t, executorInput(t, "spark.local.dir", "/a, /b", "spark.kubernetes.local.dirs.tmpfs", "true"))
	if got, _ := env(p, "SPARK_LOCAL_DIRS"); got != "/a,/b" {
		t.Errorf("spark.local.dir: SPARK_LOCAL_DIRS=%q", got)
	}
	for i, dir := range []string{"/a", "/b"} {
		v, m := volumeNamed(t, p, "spark-local-dir-"+string(rune('1'+i)))
		if v.EmptyDir == nil || v.EmptyDir.Medium != corev1.StorageMediumMemory || m.MountPath != dir {
			t.Errorf("tmpfs local dir %d: %+v at %s", i+1, v.VolumeSource, m.MountPath)
		}
	}
}

func TestBadVolumesNameTheProperty(t *testing.T) {
	const pvc = "spark.kubernetes.executor.volumes.persistentVolumeClaim.d."
	for _, tc := range []struct {
		kv   []string
		want string
	}{
		{[]string{pvc + "mount.path", "/d", pvc + "options.claimName", "OnDemand"}, pvc + "options.sizeLimit"},
		{[]string{pvc + "mount.path", "/d", pvc + "options.claimName", "OnDemand", pvc + "options.sizeLimit", "100"}, pvc + `options.sizeLimit="100": smaller than 1 KiB`},
		{[]string{pvc + "mount.path", "/d", pvc + "options.claimName", "OnDemand", pvc + "options.sizeLimit", "lots"}, pvc + "options.sizeLimit"},
		{[]string{pvc + "mount.path", "/d", pvc + "options.claimName", "OnDemand", pvc + "options.sizeLimit", "1Gi", pvc + "options.storageClass", "Bad_Class"}, pvc + "options.storageClass"},
		{[]string{pvc + "mount.path", "/d", pvc + "options.claimName", "Bad_Claim"}, pvc + "options.claimName"},
		{[]string{pvc + "mount.path", "/d", pvc + "options.claimName", "c", pvc + "mount.subPath", "a", pvc + "mount.subPathExpr", "$(X)"}, pvc + "mount.subPath and"},
		{[]string{pvc + "mount.path", "/d", pvc + "options.claimName", "c", "spark.kubernetes.executor.volumes.emptyDir.e.mount.path", "/d"}, "spark.kubernetes.executor.volumes.persistentVolumeClaim.d.mount.path=\"/d\""},
		{[]string{"spark.kubernetes.executor.volumes.hostPath.h.mount.path", "/h", "spark.kubernetes.executor.volumes.hostPath.h.options.path", "/h",
			"spark.kubernetes.executor.volumes.hostPath.h.options.type", "Dir"}, "spark.kubernetes.executor.volumes.hostPath.h.options.type"},
		{[]string{"spark.kubernetes.executor.volumes.emptyDir.e.mount.path", "/e", "spark.kubernetes.executor.volumes.emptyDir.e.options.medium", "SSD"}, "spark.kubernetes.executor.volumes.emptyDir.e.options.medium"},
		{[]string{"spark.local.dir", "relative"}, "spark.local.dir"},
	} {
		_, err := Build(executorInput(t, tc.kv...))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want one containing %q", tc.kv, err, tc.want)
		}
	}
}
