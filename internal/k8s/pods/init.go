package pods

import (
	"slices"

	corev1 "k8s.io/api/core/v1"
)

// The init-container and where it finds its instructions.
const (
	InitContainer = "spark-init"
	// GosparkBin is the gospark command in gospark's images; the
	// init-container runs "gospark init".
	GosparkBin = "/opt/gospark/bin/gospark"
	// InitSpecDir holds the init ConfigMap; InitSpecKey is the JSON of
	// what to fetch.
	InitSpecDir = "/etc/spark-init"
	InitSpecKey = "init.json"
	// InitSecretDir holds the init Secret: the staging server's resource
	// secret (InitSecretKey) and the certificate to trust (InitCAKey).
	InitSecretDir = "/mnt/secrets/spark-init"
	InitSecretKey = "resource-secret"
	InitCAKey     = "staging-server-ca.pem"
)

// initContainer adds the init-container that fetches dependencies when
// gospark submit made an init ConfigMap (spark.kubernetes.initContainer.*).
// The jars and files download directories are emptyDir volumes shared
// with the main container, which starts in the files directory so that
// --files are in its working directory. The init-container also gets the
// main container's volumes, so a spark.kubernetes.file.upload.path mounted
// through spark.kubernetes.*.volumes.* is readable to it.
func initContainer(in *Input, p *corev1.Pod) error {
	c := in.Conf
	cm := c.String("spark.kubernetes.initContainer.configMapName")
	if cm == "" {
		return nil
	}
	main := &p.Spec.Containers[0]
	img := c.String("spark.kubernetes.initContainer.image")
	if img == "" {
		img = main.Image
	}
	jars := c.String("spark.kubernetes.mountdependencies.jarsDownloadDir")
	files := c.String("spark.kubernetes.mountdependencies.filesDownloadDir")
	ic := corev1.Container{
		Name:                     InitContainer,
		Image:                    img,
		ImagePullPolicy:          main.ImagePullPolicy,
		Command:                  []string{GosparkBin, "init", InitSpecDir + "/" + InitSpecKey},
		VolumeMounts:             slices.Clone(main.VolumeMounts),
		TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError,
	}
	add := func(name string, src corev1.VolumeSource, path string, both bool) {
		p.Spec.Volumes = append(p.Spec.Volumes, corev1.Volume{Name: name, VolumeSource: src})
		ic.VolumeMounts = append(ic.VolumeMounts, corev1.VolumeMount{Name: name, MountPath: path, ReadOnly: !both})
		if both {
			main.VolumeMounts = append(main.VolumeMounts, corev1.VolumeMount{Name: name, MountPath: path})
		}
	}
	add("spark-init-properties", corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
		LocalObjectReference: corev1.LocalObjectReference{Name: cm}}}, InitSpecDir, false)
	if s := c.String("spark.kubernetes.initContainer.secretName"); s != "" {
		add("spark-init-secret", corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: s}}, InitSecretDir, false)
	}
	add("download-jars-volume", corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}, jars, true)
	add("download-files-volume", corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}, files, true)
	main.WorkingDir = files
	p.Spec.InitContainers = append(p.Spec.InitContainers, ic)
	return nil
}
