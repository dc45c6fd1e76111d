package pods

import (
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/gospark/gospark/internal/config"
)

// The init-container and where it finds its instructions.
const (
	InitContainer = "spark-init"
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

// Dependencies are what submit found outside the image: the
// init-container fetches them into the download directories.
type Dependencies struct {
	// Jars and Files are spark.jars and spark.files as the pods see them
	// (paths in the download directories, or local:// paths in the image).
	Jars, Files string
	// Staged tells whether local files go through the resource staging
	// server: the init Secret then holds its resource secret.
	Staged bool
}

// Name suffixes of the init-container's objects, after the resource prefix.
const (
	initConfigSuffix = "-init-config"
	initSecretSuffix = "-init-secret"
)

// initStep gives the pods an init-container that fetches the dependencies
// that are not in the image. For the driver of a submission with
// Dependencies it makes the init ConfigMap (<prefix>-init-config, the
// spec under InitSpecKey, filled when submit stages the files) and, for
// the staging server, the init Secret (<prefix>-init-secret); it names them
// to the driver (spark.kubernetes.initContainer.configMapName and
// secretName), so that the driver's executors get the same init-container,
// and tells it spark.jars and spark.files as the pods see them. Only submit
// sets those two names: the driver never sees a user's.
var initStep = Step{
	Name:       "init-container",
	Pod:        initContainer,
	Properties: initProperties,
	Objects:    initObjects,
}

// initNames are the init ConfigMap and Secret a pod mounts ("" for none):
// for the driver the ones this step makes, for executors the ones the
// driver's configuration names.
func initNames(in *Input) (configMap, secret string) {
	if in.Role == Executor {
		return in.Conf.String("spark.kubernetes.initContainer.configMapName"), in.Conf.String("spark.kubernetes.initContainer.secretName")
	}
	if !submission(in) || in.Dependencies == nil {
		return "", ""
	}
	configMap = objectMeta(in, initConfigSuffix).Name
	if in.Dependencies.Staged {
		secret = objectMeta(in, initSecretSuffix).Name
	}
	return configMap, secret
}

func initProperties(in *Input, driver *config.Conf) error {
	if !submission(in) {
		return nil
	}
	driver.Unset("spark.kubernetes.initContainer.configMapName")
	driver.Unset("spark.kubernetes.initContainer.secretName")
	cm, secret := initNames(in)
	if cm == "" {
		return nil
	}
	kv := []string{"spark.kubernetes.initContainer.configMapName", cm,
		"spark.jars", in.Dependencies.Jars, "spark.files", in.Dependencies.Files}
	if secret != "" {
		kv = append(kv, "spark.kubernetes.initContainer.secretName", secret)
	}
	return set(driver, kv...)
}

func initObjects(in *Input, _ *config.Conf) ([]runtime.Object, error) {
	cm, secret := initNames(in)
	if in.Role != Driver || cm == "" {
		return nil, nil
	}
	objs := []runtime.Object{&corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: objectMeta(in, initConfigSuffix),
	}}
	if secret != "" {
		objs = append(objs, &corev1.Secret{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
			ObjectMeta: objectMeta(in, initSecretSuffix),
		})
	}
	return objs, nil
}

// initContainer adds the init-container when there is an init ConfigMap
// (initNames). The jars and files download directories are emptyDir
// volumes shared with the main container, which starts in the files
// directory so that --files are in its working directory. The
// init-container also gets the main container's volumes, so a
// spark.kubernetes.file.upload.path mounted through
// spark.kubernetes.*.volumes.* is readable to it.
func initContainer(in *Input, p *corev1.Pod) error {
	c := in.Conf
	cm, secret := initNames(in)
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
	if secret != "" {
		add("spark-init-secret", corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: secret}}, InitSecretDir, false)
	}
	add("download-jars-volume", corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}, jars, true)
	add("download-files-volume", corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}, files, true)
	main.WorkingDir = files
	p.Spec.InitContainers = append(p.Spec.InitContainers, ic)
	return nil
}
