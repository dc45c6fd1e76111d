// Package launch is the Kubernetes half of gospark submit: it turns a
// validated configuration into the driver pod and the objects the pod
// builder's steps say it needs (headless Service, ConfigMap of properties,
// Secret of credentials, init-container ConfigMap and Secret), creates
// them, follows the driver until it ends, and serves --status and --kill.
package launch

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	contract "github.com/gospark/gospark/internal/launch"
	"io"
	"os"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/gospark/gospark/internal/config"
	"github.com/gospark/gospark/internal/deps"
	"github.com/gospark/gospark/internal/k8s/pods"
	"github.com/gospark/gospark/internal/master"
)

// DefaultDriverPort is the driver's port in its pod when spark.driver.port
// is unset, as in Spark.
const DefaultDriverPort = pods.DefaultDriverPort // launch.KubernetesDriverPort

// Plan is everything a submission creates, built and checked before any of
// it is sent to the API server.
type Plan struct {
	Namespace string
	AppName   string
	AppID     string
	Prefix    string
	Driver    *corev1.Pod
	// DriverConf is the driver's configuration: the submission's, changed
	// by every pod step's Properties (it is in a ConfigMap of Objects).
	DriverConf *config.Conf
	// Objects are what the pod steps say the driver pod needs, in step
	// order: created after it, owned by it.
	Objects []runtime.Object
	// PreObjects are the pod steps' objects that must exist before the
	// driver pod (pods.PreResource: a Volcano PodGroup): created first,
	// then owned by it.
	PreObjects []runtime.Object
	// Deps are the application's dependencies. When some are not in the
	// image, the pods get an init-container that reads InitConfigMap and
	// InitSecret (nil unless the staging server is used), two of Objects
	// that Stage fills.
	Deps          *deps.Resolved
	InitConfigMap *corev1.ConfigMap
	InitSecret    *corev1.Secret
	staged        *deps.Staging // what Stage uploaded
	Wait          bool
	Interval      time.Duration
}

// SubmissionID is namespace:driver-pod, what --status and --kill take.
func (p *Plan) SubmissionID() string { return p.Namespace + ":" + p.Driver.Name }

// NewPlan builds the objects of a submission of the application at
// primary (local:///path inside the image, a local binary or Go package
// directory, or an http(s) URL) with args. The pod steps (pods.Steps) make
// them: first every step's properties of the driver, then the driver pod,
// then every step's objects.
func NewPlan(conf *config.Conf, primary string, args []string, now time.Time) (*Plan, error) {
	dep, err := deps.Resolve(conf, primary)
	if err != nil {
		return nil, err
	}
	command, args := podCommand(dep, args)
	ns := conf.String("spark.kubernetes.namespace")
	if errs := validation.IsDNS1123Label(ns); len(errs) > 0 {
		return nil, fmt.Errorf("spark.kubernetes.namespace=%q: %s", ns, strings.Join(errs, "; "))
	}
	if err := checkInstances(conf); err != nil {
		return nil, err
	}
	p := &Plan{Namespace: ns, AppName: conf.String("spark.app.name"), Deps: dep,
		Wait: conf.Bool("spark.kubernetes.submission.waitAppCompletion"), Interval: conf.Duration("spark.kubernetes.report.interval")}
	if p.AppID, err = appID(conf); err != nil {
		return nil, err
	}
	p.Prefix = pods.ResourcePrefix(p.AppName, now)
	driverName := conf.String("spark.kubernetes.driver.pod.name")
	if driverName == "" {
		driverName = pods.DriverPodName(p.Prefix)
	} else if errs := validation.IsDNS1123Subdomain(driverName); len(errs) > 0 {
		return nil, fmt.Errorf("spark.kubernetes.driver.pod.name=%q: %s", driverName, strings.Join(errs, "; "))
	}

	in := pods.Input{Conf: conf, Role: pods.Driver, AppID: p.AppID, Name: driverName, Namespace: ns, Prefix: p.Prefix,
		Command: command, Args: args,
		Env: []corev1.EnvVar{{Name: contract.EnvRole, Value: contract.RoleDriver},
			{Name: contract.EnvPodIP, ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "status.podIP"}}}}}
	if dep.NeedsInit() {
		// Both the driver and its executors get the init-container; the
		// driver sees the download paths.
		in.Dependencies = &pods.Dependencies{Jars: dep.PodList(dep.Jars), Files: dep.PodList(dep.Files),
			Staged: dep.HasLocal() && conf.String("spark.kubernetes.resourceStagingServer.uri") != ""}
	}
	p.DriverConf = conf.Clone()
	for _, s := range pods.Steps {
		if s.Properties != nil {
			if err := s.Properties(&in, p.DriverConf); err != nil {
				return nil, err
			}
		}
	}
	if len(dep.PyFiles) > 0 {
		// The Python files where the pods have them (downloaded, or in
		// the image), for the driver and, through its configuration,
		// the executors.
		if err := p.DriverConf.Set("spark.submit.pyFiles", dep.PodList(dep.PyFiles)); err != nil {
			return nil, err
		}
	}
	if m, ok := config.DriverOnly(conf); ok {
		// A driver-only application (spark.kubernetes.driver.master=local[*]):
		// it runs inside the driver pod with that master, so the driver
		// never asks gospark driver for executors.
		if err := p.DriverConf.Set("spark.master", m); err != nil {
			return nil, err
		}
	}
	if p.Driver, err = pods.Build(in); err != nil {
		return nil, err
	}
	// The executors' pods are built by the driver from its configuration;
	// build one now so that a bad executor property fails here, before
	// anything is created.
	// The driver's configuration names the executors' pod template as the
	// driver pod mounts it: the submitter's file stands for it here.
	execTemplate, err := pods.ReadTemplate(conf, pods.Executor)
	if err != nil {
		return nil, err
	}
	execPrefix := p.DriverConf.String("spark.kubernetes.executor.podNamePrefix")
	if _, err := pods.Build(pods.Input{Conf: p.DriverConf, Role: pods.Executor, AppID: p.AppID, Namespace: ns,
		Name: pods.ExecutorPodName(execPrefix, "1"), ExecutorID: "1", Command: command, Args: args, Template: execTemplate}); err != nil {
		return nil, err
	}
	for _, s := range pods.Steps {
		if s.Objects == nil {
			continue
		}
		objs, err := s.Objects(&in, p.DriverConf)
		if err != nil {
			return nil, err
		}
		pre, after := splitPreResources(objs)
		p.PreObjects = append(p.PreObjects, pre...)
		p.Objects = append(p.Objects, after...)
	}
	// Stage fills the init ConfigMap and Secret: the ones the driver's
	// properties name.
	for _, o := range p.Objects {
		switch o := o.(type) {
		case *corev1.ConfigMap:
			if o.Name == p.DriverConf.String("spark.kubernetes.initContainer.configMapName") {
				p.InitConfigMap = o
			}
		case *corev1.Secret:
			if o.Name == p.DriverConf.String("spark.kubernetes.initContainer.secretName") {
				p.InitSecret = o
			}
		}
	}
	return p, nil
}

// podCommand is the program the pods run and its arguments: the
// application binary with args, or for a Python program gospark-py in the
// image with the program's path in the pods first.
func podCommand(dep *deps.Resolved, args []string) ([]string, []string) {
	path := dep.PodPath(dep.Primary)
	if dep.Primary.Python {
		return []string{pods.GosparkPyBin}, append([]string{path}, args...)
	}
	return []string{path}, args
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
	st, err := stageInto(ctx, conf, p.Deps, p.Namespace, p.AppID, tmp, p.InitConfigMap, p.InitSecret, out)
	if err != nil {
		return err
	}
	p.staged = st
	return nil
}

// appID is spark.app.id, checked as a label value, or a new
// spark-<32 hex digits>.
func appID(conf *config.Conf) (string, error) {
	id := conf.String("spark.app.id")
	if id == "" {
		b := make([]byte, 16)
		if _, err := rand.Read(b); err != nil {
			return "", fmt.Errorf("making an application id: %w", err)
		}
		id = "spark-" + hex.EncodeToString(b)
	}
	if errs := validation.IsValidLabelValue(id); len(errs) > 0 {
		return "", fmt.Errorf("spark.app.id=%q: %s", id, strings.Join(errs, "; "))
	}
	return id, nil
}

// stageInto builds and uploads dep's local files (deps.Stage, working in
// dir), reports to out, and fills the init-container's ConfigMap and, with
// a staging server, its Secret.
func stageInto(ctx context.Context, conf *config.Conf, dep *deps.Resolved, namespace, appID, dir string,
	cm *corev1.ConfigMap, secret *corev1.Secret, out io.Writer) (*deps.Staging, error) {
	st, err := deps.Stage(ctx, conf, dep, namespace, map[string]string{pods.LabelAppSelector: appID}, dir)
	if err != nil {
		return nil, err
	}
	for _, line := range st.Report {
		fmt.Fprintln(out, line)
	}
	spec, err := st.Spec.Marshal()
	if err != nil {
		return nil, err
	}
	cm.Data = map[string]string{pods.InitSpecKey: spec}
	if secret != nil {
		if st.Secret == nil {
			return nil, fmt.Errorf("launch: the staging server gave no secret")
		}
		secret.Data = st.Secret
	}
	return st, nil
}

// checkInstances refuses spark.executor.instances=0 without dynamic
// allocation: no executor would ever run a task. A driver-only
// application (spark.kubernetes.driver.master a local master) needs none.
func checkInstances(conf *config.Conf) error {
	if conf.Int("spark.executor.instances") > 0 || conf.Bool("spark.dynamicAllocation.enabled") {
		return nil
	}
	if m, err := master.Parse(conf.String("spark.kubernetes.driver.master")); err == nil && m.Kind == master.Local {
		return nil
	}
	return fmt.Errorf("spark.executor.instances=%d: want at least 1 executor on Kubernetes, unless spark.dynamicAllocation.enabled is true or spark.kubernetes.driver.master is a local master (local[*]: the job runs in the driver pod alone)", conf.Int("spark.executor.instances"))
}
