package pods

import (
	"fmt"
	"os"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/gospark/gospark/internal/config"
	"github.com/gospark/gospark/internal/launch"
)

// The driver's own concerns: each changes only the driver pod of a
// submission (Input.Prefix set).

// DefaultDriverPort is the driver's port in its pod when spark.driver.port
// is unset (or 0), as in Spark: the launch contract's.
const DefaultDriverPort = launch.KubernetesDriverPort

// driverPort is the port the driver listens on for executors, by the
// launch contract's rule (the driver runtime listens by the same).
func driverPort(c *config.Conf) int { return launch.DriverPort(c, true) }

// serviceStep gives the driver a headless Service, <prefix>-driver-svc,
// that selects the driver pod (ready or not) on the driver's port, which
// the pod declares. Executors reach the driver at the Service's DNS name:
// the driver is told it as spark.driver.host, with spark.driver.port.
//
// With spark.ui.enabled the pod and the Service also carry the UI's port,
// spark-ui (spark.ui.port, 4040), as Spark's driver service does, so that
// kubectl port-forward and other pods reach the UI. With
// spark.kubernetes.driver.service.exposeUiPort the UI is also published
// on every node: the old guide's driver Service was a NodePort Service
// that gained the UI's port with that property, but this one is headless
// (its DNS name resolves to the pod, which executors need before the pod
// is ready), and a headless Service cannot be a NodePort. So the UI gets
// a second Service of its own, <prefix>-ui-svc, of type NodePort, with
// the port spark-ui only (the driver's RPC port stays inside the
// cluster).
var serviceStep = Step{
	Name: "driver service",
	Pod: func(in *Input, p *corev1.Pod) error {
		if !submission(in) {
			return nil
		}
		ctr := &p.Spec.Containers[0]
		ctr.Ports = append(ctr.Ports, corev1.ContainerPort{Name: DriverPortName, ContainerPort: int32(driverPort(in.Conf)), Protocol: corev1.ProtocolTCP})
		if port, ok := uiPort(in.Conf); ok {
			ctr.Ports = append(ctr.Ports, corev1.ContainerPort{Name: UIPortName, ContainerPort: int32(port), Protocol: corev1.ProtocolTCP})
		}
		return nil
	},
	Properties: func(in *Input, driver *config.Conf) error {
		if !submission(in) {
			return nil
		}
		host := objectMeta(in, serviceSuffix).Name + "." + in.Namespace + ".svc"
		if err := set(driver, "spark.driver.host", host, "spark.driver.port", strconv.Itoa(driverPort(in.Conf))); err != nil {
			return err
		}
		if port, ok := uiPort(in.Conf); ok && in.Conf.Int("spark.ui.port") != port {
			// Any free port (0) cannot be named by the Service: the
			// driver listens on the default instead.
			return set(driver, "spark.ui.port", strconv.Itoa(port))
		}
		return nil
	},
	Objects: func(in *Input, _ *config.Conf) ([]runtime.Object, error) {
		if !submission(in) {
			return nil, nil
		}
		selector := map[string]string{LabelAppSelector: in.AppID, LabelRole: string(Driver)}
		ports := []corev1.ServicePort{{Name: DriverPortName, Port: int32(driverPort(in.Conf)), Protocol: corev1.ProtocolTCP}}
		ui, hasUI := uiPort(in.Conf)
		if hasUI {
			ports = append(ports, corev1.ServicePort{Name: UIPortName, Port: int32(ui), Protocol: corev1.ProtocolTCP})
		}
		objs := []runtime.Object{&corev1.Service{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
			ObjectMeta: objectMeta(in, serviceSuffix),
			Spec: corev1.ServiceSpec{
				ClusterIP:                corev1.ClusterIPNone,
				Selector:                 selector,
				PublishNotReadyAddresses: true,
				Ports:                    ports,
			},
		}}
		if hasUI && in.Conf.Bool("spark.kubernetes.driver.service.exposeUiPort") {
			objs = append(objs, &corev1.Service{
				TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
				ObjectMeta: objectMeta(in, UIServiceSuffix),
				Spec: corev1.ServiceSpec{
					Type:     corev1.ServiceTypeNodePort,
					Selector: selector,
					Ports:    []corev1.ServicePort{{Name: UIPortName, Port: int32(ui), TargetPort: intstr.FromString(UIPortName), Protocol: corev1.ProtocolTCP}},
				},
			})
		}
		return objs, nil
	},
}

// DefaultUIPort is the driver UI's port in its pod when spark.ui.port is
// 0 (any free port), which no Service could name: Spark's 4040.
const DefaultUIPort = 4040

// uiPort is the port of the driver's UI in its pod, and whether it has
// one (spark.ui.enabled).
func uiPort(c *config.Conf) (int, bool) {
	if !c.Bool("spark.ui.enabled") {
		return 0, false
	}
	if p := c.Int("spark.ui.port"); p != 0 {
		return p, true
	}
	return DefaultUIPort, true
}

// UIService is the name of the NodePort Service that publishes the
// driver's UI of a submission with resource prefix prefix
// (spark.kubernetes.driver.service.exposeUiPort).
func UIService(prefix string) string { return prefix + UIServiceSuffix }

// Name suffixes of the driver's objects, after the resource prefix.
const (
	serviceSuffix = "-driver-svc"
	// UIServiceSuffix names the UI's NodePort Service: with the longest
	// resource prefix (ResourcePrefix) the name is still a DNS label.
	UIServiceSuffix   = "-ui-svc"
	driverConfSuffix  = "-driver-conf"
	credentialsSuffix = "-kubernetes-credentials"
)

// driverConfStep puts the driver's configuration, as every step's
// Properties made it, in a ConfigMap (<prefix>-driver-conf, key ConfFile)
// mounted at ConfDir, and points GOSPARK_CONF_FILE at it. It adds no
// properties: it carries the others'.
var driverConfStep = Step{
	Name: "driver configuration",
	Pod: func(in *Input, p *corev1.Pod) error {
		if !submission(in) {
			return nil
		}
		const vol = "spark-conf-volume"
		p.Spec.Volumes = append(p.Spec.Volumes, corev1.Volume{Name: vol, VolumeSource: corev1.VolumeSource{
			ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: objectMeta(in, driverConfSuffix).Name}}}})
		ctr := &p.Spec.Containers[0]
		ctr.VolumeMounts = append(ctr.VolumeMounts, corev1.VolumeMount{Name: vol, MountPath: ConfDir, ReadOnly: true})
		ctr.Env = append(ctr.Env, corev1.EnvVar{Name: config.EnvConfFile, Value: ConfDir + "/" + ConfFile})
		return nil
	},
	Objects: func(in *Input, driver *config.Conf) ([]runtime.Object, error) {
		if !submission(in) {
			return nil, nil
		}
		return []runtime.Object{&corev1.ConfigMap{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
			ObjectMeta: objectMeta(in, driverConfSuffix),
			Data:       map[string]string{ConfFile: config.FormatProperties(driver.All())},
		}}, nil
	},
}

const (
	driverAuth     = "spark.kubernetes.authenticate.driver."
	submissionAuth = "spark.kubernetes.authenticate.submission."
)

// credentialFiles are the driver's credential files, by property suffix,
// and their keys in the credentials Secret.
var credentialFiles = []struct{ suffix, key string }{
	{"caCertFile", "ca.crt"},
	{"clientKeyFile", "client.key"},
	{"clientCertFile", "client.crt"},
	{"oauthTokenFile", "oauth-token"},
}

// credential is one of the driver's credentials: the property that gives
// it, its key in the Secret, and either the file to read or the value.
type credential struct {
	property, key string
	file, value   string
}

// driverCredentials lists the credentials spark.kubernetes.authenticate.
// driver.* give, checking that they go together.
func driverCredentials(c *config.Conf) ([]credential, error) {
	var creds []credential
	for _, f := range credentialFiles {
		if file := c.String(driverAuth + f.suffix); file != "" {
			creds = append(creds, credential{property: f.suffix, key: f.key, file: file})
		}
	}
	if tok := c.String(driverAuth + "oauthToken"); tok != "" {
		if c.String(driverAuth+"oauthTokenFile") != "" {
			return nil, fmt.Errorf("%soauthToken and %soauthTokenFile: give one of them", driverAuth, driverAuth)
		}
		creds = append(creds, credential{property: "oauthToken", key: "oauth-token", value: tok})
	}
	if (c.String(driverAuth+"clientKeyFile") == "") != (c.String(driverAuth+"clientCertFile") == "") {
		return nil, fmt.Errorf("%sclientKeyFile and %sclientCertFile go together: give both or neither", driverAuth, driverAuth)
	}
	return creds, nil
}

// credentialsStep gives the driver its own credentials for the API server
// (spark.kubernetes.authenticate.driver.* files or token): a Secret,
// <prefix>-kubernetes-credentials, mounted at CredentialsDir, and the
// driver's ...driver.mounted.* properties pointing into it instead of the
// submitter's paths and token. The submitter's own credentials
// (spark.kubernetes.authenticate.submission.*) are never passed on.
var credentialsStep = Step{
	Name: "driver credentials",
	Pod: func(in *Input, p *corev1.Pod) error {
		if !submission(in) {
			return nil
		}
		creds, err := driverCredentials(in.Conf)
		if err != nil || len(creds) == 0 {
			return err
		}
		const vol = "kubernetes-credentials"
		p.Spec.Volumes = append(p.Spec.Volumes, corev1.Volume{Name: vol, VolumeSource: corev1.VolumeSource{
			Secret: &corev1.SecretVolumeSource{SecretName: objectMeta(in, credentialsSuffix).Name}}})
		ctr := &p.Spec.Containers[0]
		ctr.VolumeMounts = append(ctr.VolumeMounts, corev1.VolumeMount{Name: vol, MountPath: CredentialsDir, ReadOnly: true})
		return nil
	},
	Properties: func(in *Input, driver *config.Conf) error {
		if !submission(in) {
			return nil
		}
		for _, name := range []string{"caCertFile", "clientKeyFile", "clientCertFile", "oauthToken", "oauthTokenFile"} {
			driver.Unset(submissionAuth + name)
		}
		creds, err := driverCredentials(in.Conf)
		if err != nil {
			return err
		}
		for _, c := range creds {
			mounted := c.property
			if mounted == "oauthToken" {
				mounted = "oauthTokenFile"
			}
			driver.Unset(driverAuth + c.property)
			if err := driver.Set(driverAuth+"mounted."+mounted, CredentialsDir+"/"+c.key); err != nil {
				return err
			}
		}
		return nil
	},
	Objects: func(in *Input, _ *config.Conf) ([]runtime.Object, error) {
		if !submission(in) {
			return nil, nil
		}
		creds, err := driverCredentials(in.Conf)
		if err != nil || len(creds) == 0 {
			return nil, err
		}
		data := map[string][]byte{}
		for _, c := range creds {
			if c.file == "" {
				data[c.key] = []byte(c.value)
				continue
			}
			b, err := os.ReadFile(c.file)
			if err != nil {
				return nil, fmt.Errorf("%s%s: %w", driverAuth, c.property, err)
			}
			data[c.key] = b
		}
		return []runtime.Object{&corev1.Secret{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
			ObjectMeta: objectMeta(in, credentialsSuffix),
			Data:       data,
		}}, nil
	},
}
