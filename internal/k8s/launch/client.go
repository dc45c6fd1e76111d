package launch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/kubernetes"

	"github.com/gospark/gospark/internal/config"
	"github.com/gospark/gospark/internal/deps"
	"github.com/gospark/gospark/internal/image"
	"github.com/gospark/gospark/internal/k8s/driverpod"
	"github.com/gospark/gospark/internal/k8s/pods"
	"github.com/gospark/gospark/internal/staging"
)

// ClientPlan is a client-mode submission (--deploy-mode client with a
// k8s:// master), built and checked before anything is created: the
// driver runs here, as a child of gospark submit, which manages its
// executor pods as `gospark driver` does in a driver pod. Nothing but the
// executor pods (and, when something is not in the image, the
// init-container's ConfigMap and Secret) is made in the cluster.
type ClientPlan struct {
	Namespace string
	AppName   string
	AppID     string
	// Prefix names the executor pods and the init-container's objects.
	Prefix string
	// APIServer is the master URL's API server ("" for the kubeconfig's).
	APIServer string
	// DriverHost is where executors reach the driver
	// (spark.driver.host, or this pod's IP when submit runs in a pod).
	DriverHost string
	// OwnerPod is the pod the driver runs in
	// (spark.kubernetes.driver.pod.name): the owner of the executor pods
	// and of the objects made for them. "" when it runs in none.
	OwnerPod string
	// DriverConf is the application's configuration: the submission's,
	// with spark.app.id, spark.driver.host and the deploy mode.
	DriverConf *config.Conf
	// ExecutorConf is what the executor pods are built from: DriverConf
	// with the executor pods' name prefix and the init-container's
	// objects.
	ExecutorConf *config.Conf
	// ExecutorCommand is the application inside the executor pods, and
	// ExecutorProperties what their configuration has instead of the
	// driver's (spark.jars and spark.files as the pods see them).
	ExecutorCommand    string
	ExecutorProperties map[string]string
	// Deps are the application's dependencies; Objects the init
	// ConfigMap and Secret when some are not in the image.
	Deps          *deps.Resolved
	Objects       []runtime.Object
	InitConfigMap *corev1.ConfigMap
	InitSecret    *corev1.Secret
	// serve: submit serves the local files to the pods itself, with the
	// resource staging server's protocol, on spark.driver.bindAddress.
	serve bool
}

// NewClientPlan builds a client-mode submission of the application at
// primary (a Go package, an executable, local:///path both here and in
// the image, or an http(s) URL for the pods) with args. apiServer is the
// master URL's API server.
func NewClientPlan(conf *config.Conf, apiServer, primary string, args []string, now time.Time) (*ClientPlan, error) {
	ns := conf.String("spark.kubernetes.namespace")
	if errs := validation.IsDNS1123Label(ns); len(errs) > 0 {
		return nil, fmt.Errorf("spark.kubernetes.namespace=%q: %s", ns, strings.Join(errs, "; "))
	}
	host, err := clientDriverHost(conf)
	if err != nil {
		return nil, err
	}
	p := &ClientPlan{Namespace: ns, AppName: conf.String("spark.app.name"), APIServer: apiServer, DriverHost: host,
		OwnerPod: conf.String("spark.kubernetes.driver.pod.name")}
	if p.OwnerPod != "" {
		if errs := validation.IsDNS1123Subdomain(p.OwnerPod); len(errs) > 0 {
			return nil, fmt.Errorf("spark.kubernetes.driver.pod.name=%q: %s", p.OwnerPod, strings.Join(errs, "; "))
		}
	}
	if p.AppID, err = appID(conf); err != nil {
		return nil, err
	}
	p.Prefix = pods.ResourcePrefix(p.AppName, now)

	p.DriverConf = conf.Clone()
	if err := setAll(p.DriverConf, "spark.app.id", p.AppID, "spark.driver.host", host, "spark.submit.deployMode", "client"); err != nil {
		return nil, err
	}

	// The dependencies: what is not in the image reaches the executor pods
	// through their init-container. Local files go to the staging server
	// or the upload path when one is set, else submit serves them.
	resolveConf := p.DriverConf
	if conf.String("spark.kubernetes.resourceStagingServer.uri") == "" && conf.String("spark.kubernetes.file.upload.path") == "" {
		p.serve = true
		resolveConf = p.DriverConf.Clone()
		// Where it will be; the port is chosen when it starts.
		if err := setAll(resolveConf, "spark.kubernetes.resourceStagingServer.uri", "http://"+net.JoinHostPort(host, "1")); err != nil {
			return nil, err
		}
	}
	if p.Deps, err = deps.Resolve(resolveConf, primary); err != nil {
		return nil, err
	}
	if p.Deps.Primary.Where == deps.Remote {
		return nil, fmt.Errorf("application %s: in client mode the driver runs here, so the application must be here too: give a Go package, an executable, or local:///path when it is at that path both here and in the image", primary)
	}
	p.serve = p.serve && p.Deps.HasLocal()
	p.ExecutorCommand = p.Deps.PodPath(p.Deps.Primary)
	if p.Deps.Primary.Python {
		p.ExecutorCommand = pods.GosparkPyBin // the Python image's
	}

	p.ExecutorConf = p.DriverConf.Clone()
	execPrefix := conf.String("spark.kubernetes.executor.podNamePrefix")
	if execPrefix == "" {
		execPrefix = p.Prefix
		if err := setAll(p.ExecutorConf, "spark.kubernetes.executor.podNamePrefix", execPrefix); err != nil {
			return nil, err
		}
	}
	if p.Deps.NeedsInit() {
		if err := p.initObjects(conf); err != nil {
			return nil, err
		}
	}
	if len(p.Deps.PyFiles) > 0 {
		// The executors' Python workers find them where their
		// init-container puts them (or in the image).
		if p.ExecutorProperties == nil {
			p.ExecutorProperties = map[string]string{}
		}
		p.ExecutorProperties["spark.submit.pyFiles"] = p.Deps.PodList(p.Deps.PyFiles)
	}
	// A bad executor property fails here, before anything is created.
	if _, err := pods.Build(pods.Input{Conf: p.ExecutorConf, Role: pods.Executor, AppID: p.AppID, Namespace: ns,
		Name: pods.ExecutorPodName(execPrefix, "1"), ExecutorID: "1", Command: []string{p.ExecutorCommand}, Args: args}); err != nil {
		return nil, err
	}
	return p, nil
}

// initObjects has the pod builder's init-container step make the init
// ConfigMap and Secret of the executor pods, as it does for a driver pod
// (whose executors get the same init-container), and name them in
// ExecutorConf.
func (p *ClientPlan) initObjects(conf *config.Conf) error {
	var step *pods.Step
	for i := range pods.Steps {
		if pods.Steps[i].Name == "init-container" {
			step = &pods.Steps[i]
		}
	}
	if step == nil || step.Properties == nil || step.Objects == nil {
		return errors.New("launch: the pod builder has no init-container step")
	}
	staged := p.Deps.HasLocal() && (p.serve || conf.String("spark.kubernetes.resourceStagingServer.uri") != "")
	in := pods.Input{Conf: p.ExecutorConf, Role: pods.Driver, AppID: p.AppID, Namespace: p.Namespace, Prefix: p.Prefix,
		Dependencies: &pods.Dependencies{Jars: p.Deps.PodList(p.Deps.Jars), Files: p.Deps.PodList(p.Deps.Files), Staged: staged}}
	if err := step.Properties(&in, p.ExecutorConf); err != nil {
		return err
	}
	objs, err := step.Objects(&in, p.ExecutorConf)
	if err != nil {
		return err
	}
	p.Objects = objs
	for _, o := range objs {
		switch o := o.(type) {
		case *corev1.ConfigMap:
			p.InitConfigMap = o
		case *corev1.Secret:
			p.InitSecret = o
		}
	}
	// The executors read spark.jars and spark.files where their
	// init-container puts them; the driver reads them here.
	p.ExecutorProperties = map[string]string{
		"spark.jars":  p.ExecutorConf.String("spark.jars"),
		"spark.files": p.ExecutorConf.String("spark.files"),
	}
	return nil
}

// clientDriverHost is where executor pods reach a client-mode driver:
// spark.driver.host, else, when submit runs in a pod, the pod's IP. Spark
// defaults to the local host name, which pods can seldom resolve, and the
// executors would then fail long after submit; so outside a pod it must
// be given.
func clientDriverHost(conf *config.Conf) (string, error) {
	if h := conf.String("spark.driver.host"); h != "" {
		return h, nil
	}
	if os.Getenv("KUBERNETES_SERVICE_HOST") != "" {
		if ip, err := ownAddress(); err == nil {
			return ip, nil
		}
	}
	return "", errors.New("spark.driver.host is not set: in client mode the executor pods connect back to the driver at spark.driver.host, so it must be an address of this machine that pods can reach (e.g. the node's address on a one-node cluster); in a pod it defaults to the pod's IP")
}

// ownAddress is the address this host's name resolves to (in a pod, the
// kubelet's /etc/hosts gives the pod's IP), other than a loopback one.
func ownAddress() (string, error) {
	name, err := os.Hostname()
	if err != nil {
		return "", err
	}
	addrs, err := net.LookupHost(name)
	if err != nil {
		return "", err
	}
	for _, a := range addrs {
		if ip := net.ParseIP(a); ip != nil && !ip.IsLoopback() {
			return a, nil
		}
	}
	return "", fmt.Errorf("%s resolves to no address other than a loopback one", name)
}

func setAll(conf *config.Conf, kv ...string) error {
	for i := 0; i+1 < len(kv); i += 2 {
		if err := conf.Set(kv[i], kv[i+1]); err != nil {
			return err
		}
	}
	return nil
}

// UseBuilt tells the plan that the application, a Go package, was built
// here as bin: when bin suits the pods too (a static linux/amd64
// executable, as Go builds one on such a host without cgo), the executors
// get that very binary instead of a second build.
func (p *ClientPlan) UseBuilt(bin string) bool {
	d := &p.Deps.Primary
	if d.Where != deps.Local || !d.Package || image.CheckBinary(bin, deps.TargetArch) != nil {
		return false
	}
	d.Path, d.Package = bin, false
	return true
}

// ClientApp is the application binary a client-mode submission runs here
// as the driver.
type ClientApp struct {
	Path string
	Args []string
	// Env is its environment without the configuration (RunClient adds
	// the plan's).
	Env            []string
	Stdin          io.Reader
	Stdout, Stderr io.Writer
}

// RunClient runs a client-mode submission: it starts the watchdog that
// removes the executor pods if this process is killed, finds the owner
// pod, stages and creates what the executor pods' init-container needs
// (serving local files itself unless a staging server or upload path is
// set), then runs the application as the driver with this process as its
// Kubernetes cluster manager, and removes what it made when the
// application exits. It returns the application's exit code. Its own
// reports go to out; the application's output to app's writers.
func RunClient(ctx context.Context, cs kubernetes.Interface, p *ClientPlan, app ClientApp, out io.Writer, log *slog.Logger) (int, error) {
	tmp, err := os.MkdirTemp("", "gospark-client-")
	if err != nil {
		return 1, err
	}
	defer os.RemoveAll(tmp)
	wd, err := StartWatchdog(WatchdogSpec{Conf: p.DriverConf.Encode(), APIServer: p.APIServer,
		Namespace: p.Namespace, AppID: p.AppID, Dir: tmp})
	if err != nil {
		return 1, err
	}
	code, err := p.run(ctx, cs, app, tmp, out, log)
	// Everything is removed: the watchdog has nothing to do.
	if derr := wd.Done(); derr != nil {
		log.Warn("client-mode watchdog", "error", derr)
	}
	return code, err
}

func (p *ClientPlan) run(ctx context.Context, cs kubernetes.Interface, app ClientApp, tmp string, out io.Writer, log *slog.Logger) (int, error) {
	var owner *metav1.OwnerReference
	if p.OwnerPod != "" {
		pod, err := cs.CoreV1().Pods(p.Namespace).Get(ctx, p.OwnerPod, metav1.GetOptions{})
		if err != nil {
			return 1, fmt.Errorf("spark.kubernetes.driver.pod.name=%s: reading the pod the driver runs in (namespace %s): %w", p.OwnerPod, p.Namespace, err)
		}
		owner = &metav1.OwnerReference{APIVersion: "v1", Kind: "Pod", Name: pod.Name, UID: pod.UID, Controller: new(true)}
	}
	defer p.removeObjects(ctx, cs, log)
	if p.InitConfigMap != nil {
		sctx, stop := context.WithCancel(context.WithoutCancel(ctx))
		defer stop()
		if err := p.stage(ctx, sctx, tmp, out, log); err != nil {
			return 1, err
		}
		for _, o := range p.Objects {
			if err := createClientObject(ctx, cs, p.Namespace, o, owner); err != nil {
				return 1, err
			}
		}
	}
	fmt.Fprintf(out, "Client mode: the driver runs here, executor pods in namespace %s (application %s, id %s) connect to it at %s\n",
		p.Namespace, p.AppName, p.AppID, p.DriverHost)
	return driverpod.RunClient(ctx, driverpod.Client{
		Path: app.Path, Args: app.Args, Env: append(app.Env, config.EnvConf+"="+p.DriverConf.Encode()),
		Stdin: app.Stdin, Stdout: app.Stdout, Stderr: app.Stderr,
		Conf: p.ExecutorConf, Kube: cs, Owner: owner,
		Command: p.ExecutorCommand, ExecutorProperties: p.ExecutorProperties, Log: log,
	})
}

// stage builds and uploads the local dependencies (deps.Stage) and fills
// the init ConfigMap and Secret. When submit serves them itself, a
// resource staging server runs in this process until sctx ends, on
// spark.driver.bindAddress, reached at spark.driver.host.
func (p *ClientPlan) stage(ctx, sctx context.Context, tmp string, out io.Writer, log *slog.Logger) error {
	conf := p.DriverConf
	if p.serve {
		srv, err := staging.New(staging.Config{Dir: filepath.Join(tmp, "staging"),
			MaxBundleSize: conf.Bytes("spark.kubernetes.resourceStagingServer.maxBundleSize"), Logger: log})
		if err != nil {
			return err
		}
		ln, err := net.Listen("tcp", net.JoinHostPort(conf.String("spark.driver.bindAddress"), "0"))
		if err != nil {
			return fmt.Errorf("serving the application's files to the executor pods (spark.driver.bindAddress): %w", err)
		}
		go func() {
			if err := staging.Serve(sctx, ln, srv.Handler(), nil); err != nil {
				log.Warn("serving the application's files", "error", err)
			}
		}()
		_, port, _ := net.SplitHostPort(ln.Addr().String())
		uri := (&url.URL{Scheme: "http", Host: net.JoinHostPort(p.DriverHost, port)}).String()
		conf = conf.Clone()
		if err := setAll(conf, "spark.kubernetes.resourceStagingServer.uri", uri,
			"spark.kubernetes.resourceStagingServer.internal.uri", uri); err != nil {
			return err
		}
		fmt.Fprintf(out, "Serving the application's files to the executor pods at %s\n", uri)
	}
	build := filepath.Join(tmp, "build")
	if err := os.Mkdir(build, 0o700); err != nil {
		return err
	}
	_, err := stageInto(ctx, conf, p.Deps, p.Namespace, p.AppID, build, p.InitConfigMap, p.InitSecret, out)
	return err
}

// createClientObject creates an object the executor pods need, owned by
// owner when there is one.
func createClientObject(ctx context.Context, cs kubernetes.Interface, ns string, obj runtime.Object, owner *metav1.OwnerReference) error {
	var err error
	var kind, name string
	switch o := obj.(type) {
	case *corev1.ConfigMap:
		if owner != nil {
			o.OwnerReferences = []metav1.OwnerReference{*owner}
		}
		kind, name = "config map", o.Name
		_, err = cs.CoreV1().ConfigMaps(ns).Create(ctx, o, metav1.CreateOptions{})
	case *corev1.Secret:
		if owner != nil {
			o.OwnerReferences = []metav1.OwnerReference{*owner}
		}
		kind, name = "secret", o.Name
		_, err = cs.CoreV1().Secrets(ns).Create(ctx, o, metav1.CreateOptions{})
	default:
		return fmt.Errorf("launch: no way to create a %T", obj)
	}
	if err != nil {
		return fmt.Errorf("creating %s %s in namespace %s: %w", kind, name, ns, err)
	}
	return nil
}

// removeObjects deletes the ConfigMaps and Secrets of the application
// (the init-container's, the executors' secret): in client mode no driver
// pod owns them. It uses a fresh context: the caller's may be what ended.
func (p *ClientPlan) removeObjects(ctx context.Context, cs kubernetes.Interface, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := deleteAppObjects(ctx, cs, p.Namespace, p.AppID); err != nil {
		log.Warn("removing the application's config maps and secrets", "error", err)
	}
}

// deleteAppObjects deletes the ConfigMaps and Secrets labelled with the
// application's id.
func deleteAppObjects(ctx context.Context, cs kubernetes.Interface, ns, appID string) error {
	sel := metav1.ListOptions{LabelSelector: labels.Set{pods.LabelAppSelector: appID}.String()}
	var errs []error
	if err := cs.CoreV1().ConfigMaps(ns).DeleteCollection(ctx, metav1.DeleteOptions{}, sel); err != nil && !apierrors.IsNotFound(err) {
		errs = append(errs, fmt.Errorf("deleting config maps: %w", err))
	}
	if err := cs.CoreV1().Secrets(ns).DeleteCollection(ctx, metav1.DeleteOptions{}, sel); err != nil && !apierrors.IsNotFound(err) {
		errs = append(errs, fmt.Errorf("deleting secrets: %w", err))
	}
	return errors.Join(errs...)
}

// LogLevel is the level of gospark's own log in a process that runs an
// application (submit in client mode, gospark driver): warnings, unless
// GOSPARK_LOG_LEVEL asks for more.
func LogLevel() slog.Level {
	switch strings.ToUpper(os.Getenv("GOSPARK_LOG_LEVEL")) {
	case "INFO":
		return slog.LevelInfo
	case "DEBUG", "TRACE", "ALL":
		return slog.LevelDebug
	}
	return slog.LevelWarn
}
