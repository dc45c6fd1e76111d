// Package launch is the Kubernetes half of gospark submit: it turns a
// validated configuration into the driver's objects (pod, headless Service,
// ConfigMap of properties, Secret of credentials), creates them, follows the
// driver until it ends, and serves --status and --kill.
package launch

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/gospark/gospark/internal/config"
	"github.com/gospark/gospark/internal/deps"
	"github.com/gospark/gospark/internal/k8s/pods"
)

// DefaultDriverPort is the driver's port in its pod when spark.driver.port
// is unset, as in Spark.
const DefaultDriverPort = 7078

// Plan is everything a submission creates, built and checked before any of
// it is sent to the API server.
type Plan struct {
	Namespace string
	AppName   string
	AppID     string
	Prefix    string
	Driver    *corev1.Pod
	Service   *corev1.Service
	ConfigMap *corev1.ConfigMap
	Secret    *corev1.Secret // nil without driver credentials
	// Deps are the application's dependencies. When some are not in the
	// image, the pods get an init-container that reads InitConfigMap
	// (filled by Stage) and InitSecret (nil unless the staging server is
	// used).
	Deps          *deps.Resolved
	InitConfigMap *corev1.ConfigMap
	InitSecret    *corev1.Secret
	staged        *deps.Staging // what Stage uploaded
	Wait          bool
	Interval      time.Duration
}

// SubmissionID is namespace:driver-pod, what --status and --kill take.
func (p *Plan) SubmissionID() string { return p.Namespace + ":" + p.Driver.Name }

// credential files of the driver, by property suffix, and their keys in
// the Secret.
var credentialKeys = []struct{ suffix, key string }{
	{"caCertFile", "ca.crt"},
	{"clientKeyFile", "client.key"},
	{"clientCertFile", "client.crt"},
	{"oauthTokenFile", "oauth-token"},
}

// NewPlan builds the objects of a submission of the application at
// primary (local:///path inside the image, a local binary or Go package
// directory, or an http(s) URL) with args.
func NewPlan(conf *config.Conf, primary string, args []string, now time.Time) (*Plan, error) {
	dep, err := deps.Resolve(conf, primary)
	if err != nil {
		return nil, err
	}
	path := dep.PodPath(dep.Primary)
	ns := conf.String("spark.kubernetes.namespace")
	if errs := validation.IsDNS1123Label(ns); len(errs) > 0 {
		return nil, fmt.Errorf("spark.kubernetes.namespace=%q: %s", ns, strings.Join(errs, "; "))
	}
	p := &Plan{Namespace: ns, AppName: conf.String("spark.app.name"), Deps: dep,
		Wait: conf.Bool("spark.kubernetes.submission.waitAppCompletion"), Interval: conf.Duration("spark.kubernetes.report.interval")}
	p.AppID = conf.String("spark.app.id")
	if p.AppID == "" {
		b := make([]byte, 16)
		if _, err := rand.Read(b); err != nil {
			return nil, fmt.Errorf("making an application id: %w", err)
		}
		p.AppID = "spark-" + hex.EncodeToString(b)
	}
	if errs := validation.IsValidLabelValue(p.AppID); len(errs) > 0 {
		return nil, fmt.Errorf("spark.app.id=%q: %s", p.AppID, strings.Join(errs, "; "))
	}
	p.Prefix = pods.ResourcePrefix(p.AppName, now)
	driverName := conf.String("spark.kubernetes.driver.pod.name")
	if driverName == "" {
		driverName = pods.DriverPodName(p.Prefix)
	} else if errs := validation.IsDNS1123Subdomain(driverName); len(errs) > 0 {
		return nil, fmt.Errorf("spark.kubernetes.driver.pod.name=%q: %s", driverName, strings.Join(errs, "; "))
	}
	execPrefix := conf.String("spark.kubernetes.executor.podNamePrefix")
	if execPrefix == "" {
		execPrefix = p.Prefix
	} else if errs := validation.IsDNS1123Label(pods.ExecutorPodName(execPrefix, "99999")); len(errs) > 0 {
		return nil, fmt.Errorf("spark.kubernetes.executor.podNamePrefix=%q: executor pod names made from it are invalid: %s", execPrefix, strings.Join(errs, "; "))
	}
	port := DefaultDriverPort
	if conf.Has("spark.driver.port") && conf.Int("spark.driver.port") != 0 {
		port = conf.Int("spark.driver.port")
	}
	svcName := p.Prefix + "-driver-svc"
	confMap := p.Prefix + "-driver-conf"

	// What the driver is told: the user's properties, where it is, and
	// none of the submitter's credentials.
	dconf := conf.Clone()
	for _, kv := range [][2]string{
		{"spark.app.id", p.AppID},
		{"spark.app.name", p.AppName},
		{"spark.kubernetes.namespace", ns},
		{"spark.kubernetes.driver.pod.name", driverName},
		{"spark.kubernetes.executor.podNamePrefix", execPrefix},
		{"spark.driver.host", svcName + "." + ns + ".svc"},
		{"spark.driver.port", strconv.Itoa(port)},
		{"spark.submit.deployMode", "cluster"},
	} {
		if err := dconf.Set(kv[0], kv[1]); err != nil {
			return nil, err
		}
	}
	for _, name := range []string{"caCertFile", "clientKeyFile", "clientCertFile", "oauthToken", "oauthTokenFile"} {
		dconf.Unset("spark.kubernetes.authenticate.submission." + name)
	}

	// Both the driver and its executors get the init-container when
	// something is not in the image; the driver sees the download paths.
	pconf := conf.Clone()
	for _, c := range []*config.Conf{pconf, dconf} { // only submit sets them
		c.Unset("spark.kubernetes.initContainer.configMapName")
		c.Unset("spark.kubernetes.initContainer.secretName")
	}
	if dep.NeedsInit() {
		labels := map[string]string{pods.LabelAppSelector: p.AppID}
		p.InitConfigMap = &corev1.ConfigMap{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
			ObjectMeta: metav1.ObjectMeta{Name: p.Prefix + "-init-config", Namespace: ns, Labels: labels},
		}
		set := [][2]string{{"spark.kubernetes.initContainer.configMapName", p.InitConfigMap.Name},
			{"spark.jars", dep.PodList(dep.Jars)}, {"spark.files", dep.PodList(dep.Files)}}
		if dep.HasLocal() && conf.String("spark.kubernetes.resourceStagingServer.uri") != "" {
			p.InitSecret = &corev1.Secret{
				TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
				ObjectMeta: metav1.ObjectMeta{Name: p.Prefix + "-init-secret", Namespace: ns, Labels: labels},
			}
			set = append(set, [2]string{"spark.kubernetes.initContainer.secretName", p.InitSecret.Name})
		}
		for _, kv := range set {
			for _, c := range []*config.Conf{pconf, dconf} {
				if err := c.Set(kv[0], kv[1]); err != nil {
					return nil, err
				}
			}
		}
	}

	secret, err := p.credentials(conf, dconf)
	if err != nil {
		return nil, err
	}
	p.Secret = secret

	in := pods.Input{Conf: pconf, Role: pods.Driver, AppID: p.AppID, Name: driverName, Namespace: ns,
		Command: []string{path}, Args: args, DriverPort: port, ConfigMap: confMap,
		Env: []corev1.EnvVar{{Name: "GOSPARK_ROLE", Value: "driver"},
			{Name: "GOSPARK_POD_IP", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "status.podIP"}}}}}
	if secret != nil {
		in.CredentialsSecret = secret.Name
	}
	if p.Driver, err = pods.Build(in); err != nil {
		return nil, err
	}
	// The executors' pods are built by the driver; build one now so that a
	// bad executor property fails here, before anything is created.
	if _, err := pods.Build(pods.Input{Conf: pconf, Role: pods.Executor, AppID: p.AppID, Namespace: ns,
		Name: pods.ExecutorPodName(execPrefix, "1"), ExecutorID: "1", Command: []string{path}, Args: args}); err != nil {
		return nil, err
	}

	labels := map[string]string{pods.LabelAppSelector: p.AppID}
	p.Service = &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: metav1.ObjectMeta{Name: svcName, Namespace: ns, Labels: labels},
		Spec: corev1.ServiceSpec{
			ClusterIP:                corev1.ClusterIPNone,
			Selector:                 map[string]string{pods.LabelAppSelector: p.AppID, pods.LabelRole: string(pods.Driver)},
			PublishNotReadyAddresses: true,
			Ports:                    []corev1.ServicePort{{Name: pods.DriverPortName, Port: int32(port), Protocol: corev1.ProtocolTCP}},
		},
	}
	p.ConfigMap = &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Name: confMap, Namespace: ns, Labels: labels},
		Data:       map[string]string{pods.ConfFile: config.FormatProperties(dconf.All())},
	}
	return p, nil
}

// credentials reads the driver's API credentials named by
// spark.kubernetes.authenticate.driver.* into a Secret mounted in its pod,
// and points the driver's mounted.* properties at them.
func (p *Plan) credentials(conf, dconf *config.Conf) (*corev1.Secret, error) {
	const prefix = "spark.kubernetes.authenticate.driver."
	data := map[string][]byte{}
	for _, c := range credentialKeys {
		file := conf.String(prefix + c.suffix)
		if file == "" {
			continue
		}
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("%s%s: %w", prefix, c.suffix, err)
		}
		data[c.key] = b
		dconf.Unset(prefix + c.suffix)
		if err := dconf.Set(prefix+"mounted."+c.suffix, pods.CredentialsDir+"/"+c.key); err != nil {
			return nil, err
		}
	}
	if tok := conf.String(prefix + "oauthToken"); tok != "" {
		if _, ok := data["oauth-token"]; ok {
			return nil, fmt.Errorf("%soauthToken and %soauthTokenFile: give one of them", prefix, prefix)
		}
		data["oauth-token"] = []byte(tok)
		dconf.Unset(prefix + "oauthToken")
		if err := dconf.Set(prefix+"mounted.oauthTokenFile", pods.CredentialsDir+"/oauth-token"); err != nil {
			return nil, err
		}
	}
	if (data["client.key"] == nil) != (data["client.crt"] == nil) {
		return nil, fmt.Errorf("%sclientKeyFile and %sclientCertFile go together: give both or neither", prefix, prefix)
	}
	if len(data) == 0 {
		return nil, nil
	}
	return &corev1.Secret{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: metav1.ObjectMeta{Name: p.Prefix + "-kubernetes-credentials", Namespace: p.Namespace, Labels: map[string]string{pods.LabelAppSelector: p.AppID}},
		Data:       data,
	}, nil
}

// Stage builds and uploads what the pods must fetch (deps.Stage) and
// fills the init ConfigMap and Secret. It creates nothing in the cluster;
// what it uploads to a staging server is deleted there if no pod ever uses
// it. Its reports go to out.
func (p *Plan) Stage(ctx context.Context, conf *config.Conf, out io.Writer) error {
	if p.InitConfigMap == nil {
		return nil
	}
	tmp, err := os.MkdirTemp("", "gospark-submit-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	st, err := deps.Stage(ctx, conf, p.Deps, p.Namespace, map[string]string{pods.LabelAppSelector: p.AppID}, tmp)
	if err != nil {
		return err
	}
	p.staged = st
	for _, line := range st.Report {
		fmt.Fprintln(out, line)
	}
	spec, err := st.Spec.Marshal()
	if err != nil {
		return err
	}
	p.InitConfigMap.Data = map[string]string{deps.SpecKey: spec}
	if p.InitSecret != nil {
		if st.Secret == nil {
			return fmt.Errorf("launch: the staging server gave no secret")
		}
		p.InitSecret.Data = st.Secret
	}
	return nil
}
