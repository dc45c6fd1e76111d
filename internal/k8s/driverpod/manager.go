package driverpod

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/kubernetes"

	"github.com/gospark/gospark/internal/clustermgr"
	"github.com/gospark/gospark/internal/config"
	"github.com/gospark/gospark/internal/k8s/client"
	"github.com/gospark/gospark/internal/k8s/executors"
	"github.com/gospark/gospark/internal/k8s/pods"
	"github.com/gospark/gospark/internal/launch"
)

// podManager manages the executor pods of the driver of this pod. It
// implements clustermgr.Manager, clustermgr.Logs (the executor pods' logs)
// and, with spark.shuffle.service.enabled, clustermgr.ShuffleServices.
type podManager struct {
	conf *config.Conf
	log  *slog.Logger
	// client makes the API client (the driver's; a fake in tests).
	client func(*config.Conf) (kubernetes.Interface, error)

	mu         sync.Mutex
	cs         kubernetes.Interface // set by Start
	namespace  string
	prefix     string // of the executor pods' names
	pods       *executors.Manager
	shuffle    *shuffleServices // nil without spark.shuffle.service.enabled
	registered map[string]bool
	stopped    bool
	// fatal is why the executors' manager ended the application, if it
	// did (termination.go).
	fatal fatalReason
	// clientSide is set in client mode (client.go): the driver runs where
	// gospark submit runs, in no driver pod of gospark's.
	clientSide *clientSide
}

var (
	_ clustermgr.Manager         = (*podManager)(nil)
	_ clustermgr.ShuffleServices = (*podManager)(nil)
	_ clustermgr.Logs            = (*podManager)(nil)
)

func newPodManager(conf *config.Conf, log *slog.Logger) *podManager {
	return &podManager{conf: conf, log: log, client: driverClient, registered: make(map[string]bool)}
}

// driverClient is the API client of the driver pod.
func driverClient(conf *config.Conf) (kubernetes.Interface, error) {
	cfg, err := client.DriverConfig(conf)
	if err != nil {
		return nil, err
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("kubernetes client: %w", err)
	}
	return cs, nil
}

// maxExecutorFailures is spark.executor.maxNumFailures, or twice the
// executors the application may have, at least 3, as in Spark: the
// executors asked for, or with dynamic allocation its maxExecutors (its
// default, 2147483647, means no limit, and so then does the rule).
func maxExecutorFailures(conf *config.Conf, instances int) int {
	if conf.Has("spark.executor.maxNumFailures") {
		return conf.Int("spark.executor.maxNumFailures")
	}
	n := instances
	if conf.Bool("spark.dynamicAllocation.enabled") {
		n = conf.Int("spark.dynamicAllocation.maxExecutors")
	}
	if n > math.MaxInt32/2 {
		return math.MaxInt32
	}
	return max(2*n, 3)
}

// Start implements clustermgr.Manager: with spark.shuffle.service.enabled
// it finds the shuffle service's pods and the host directory they serve
// (failing when there are none), then it reads the driver pod (the
// executor pods' owner), checks that an executor pod can be built, and
// starts the allocator.
func (m *podManager) Start(ctx context.Context, app clustermgr.App) error {
	conf := m.conf
	cs, err := m.client(conf)
	if err != nil {
		return fmt.Errorf("driverpod: %w", err)
	}
	ns := conf.String("spark.kubernetes.namespace")
	name := conf.String("spark.kubernetes.driver.pod.name")
	if name == "" && m.clientSide == nil {
		return fmt.Errorf("driverpod: spark.kubernetes.driver.pod.name is not set: the driver pod is made by gospark submit --deploy-mode cluster")
	}
	if local, ok := config.DriverOnly(conf); ok && m.clientSide == nil {
		// The application should run with that master (launch.NewPlan
		// sets it): gospark driver makes no executor pod for it.
		return fmt.Errorf("driverpod: spark.kubernetes.driver.master=%s: a driver-only application has no executor pods (its spark.master should be %s)", local, local)
	}
	if err := checkDecommissionLabel(conf); err != nil {
		return fmt.Errorf("driverpod: %w", err)
	}
	getCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	var shuffle *shuffleServices
	var dir *shuffleDir
	if conf.Bool("spark.shuffle.service.enabled") {
		// Executors write their shuffle files where the shuffle service
		// of their node reads them: without the service, none can start.
		if shuffle, err = newShuffleServices(conf, cs); err != nil {
			return fmt.Errorf("driverpod: %w", err)
		}
		d, err := shuffle.dir(getCtx)
		if err != nil {
			return fmt.Errorf("driverpod: %w", err)
		}
		dir = &d
		m.log.Info("external shuffle service", "namespace", shuffle.namespace, "labels", shuffle.labels,
			"hostPath", d.HostPath, "mountPath", d.MountPath)
	}
	prefix := conf.String("spark.kubernetes.executor.podNamePrefix")
	var owner *metav1.OwnerReference
	contract := app.Launch
	if m.clientSide != nil {
		// Client mode: submit found the owner (the pod the driver runs
		// in, if any) and set the prefix. The user's pod is not
		// annotated with refused executor pods: the executors' manager
		// logs them on submit's output.
		owner, name = m.clientSide.owner, ""
		if contract, err = m.clientSide.executorContract(contract); err != nil {
			return fmt.Errorf("driverpod: %w", err)
		}
	} else {
		driverPod, err := cs.CoreV1().Pods(ns).Get(getCtx, name, metav1.GetOptions{})
		if err != nil {
			return fmt.Errorf("driverpod: reading the driver pod %s/%s (spark.kubernetes.driver.pod.name): %w", ns, name, err)
		}
		owner = &metav1.OwnerReference{APIVersion: "v1", Kind: "Pod", Name: driverPod.Name, UID: driverPod.UID, Controller: new(true)}
		if prefix == "" {
			prefix = pods.ResourcePrefix(conf.String("spark.app.name"), driverPod.CreationTimestamp.Time)
		}
	}
	tmpl := executorPod{conf: conf, contract: contract, namespace: ns, prefix: prefix, owner: owner, shuffle: dir}
	if err := tmpl.prepare(getCtx, cs, m.log); err != nil {
		return fmt.Errorf("driverpod: executor pods: %w", err)
	}
	if _, err := tmpl.build("1"); err != nil { // a bad property fails now, not in the allocator
		return fmt.Errorf("driverpod: executor pod: %w", err)
	}
	// On-demand claims are made with each pod (claims.go).
	claims := newClaims(context.WithoutCancel(ctx), conf, cs, ns, app.Launch.AppID, owner, tmpl.build, m.log)
	mgr, err := executors.Start(context.WithoutCancel(ctx), executors.Options{
		Client: cs, Namespace: ns, AppID: app.Launch.AppID, Instances: app.Instances,
		BatchSize:           conf.Int("spark.kubernetes.allocation.batch.size"),
		BatchDelay:          conf.Duration("spark.kubernetes.allocation.batch.delay"),
		PollInterval:        conf.Duration("spark.kubernetes.executor.apiPollingInterval"),
		MaxPending:          conf.Int("spark.kubernetes.allocation.maxPendingPods"),
		Timeout:             conf.Duration("spark.kubernetes.allocation.executor.timeout"),
		MissingDelta:        conf.Duration("spark.kubernetes.executor.missingPodDetectDelta"),
		ExcessGrace:         excessGrace(conf),
		OnRefused:           refusals(context.WithoutCancel(ctx), cs, ns, name, m.log),
		DeleteOnTermination: conf.Bool("spark.kubernetes.executor.deleteOnTermination"),
		MaxFailures:         maxExecutorFailures(conf, app.Instances),
		NewPod:              claims.newPod,
		Created:             claims.created,
		Registered:          m.isRegistered,
		OnExit:              app.Events.Exited,
		OnFatal:             m.onFatal(app.Events.Fatal),
		Log:                 m.log,
	})
	if err != nil {
		return fmt.Errorf("driverpod: %w", err)
	}
	m.mu.Lock()
	m.pods, m.shuffle = mgr, shuffle
	m.cs, m.namespace, m.prefix = cs, ns, prefix
	m.mu.Unlock()
	return nil
}

// excessGrace is how old a pending executor pod must be to be withdrawn
// when dynamic allocation lowers the target:
// spark.dynamicAllocation.executorIdleTimeout, as in Spark. Without
// dynamic allocation the target only falls with decommissioned
// executors, which are retired: nothing is withdrawn (0).
func excessGrace(conf *config.Conf) time.Duration {
	if !conf.Bool("spark.dynamicAllocation.enabled") {
		return 0
	}
	return max(conf.Duration("spark.dynamicAllocation.executorIdleTimeout"), time.Nanosecond)
}

// executorPod builds the executor pods of an application.
type executorPod struct {
	conf      *config.Conf
	contract  launch.Executor
	namespace string
	prefix    string
	owner     *metav1.OwnerReference
	shuffle   *shuffleDir // the external shuffle service's directory, if enabled
	// Set by prepare (executorenv.go): the executors' pod template, the
	// driver pod's address and the authentication Secret's name.
	template   *corev1.Pod
	driverIP   string
	authSecret string
}

// build makes the pod of executor id.
func (t executorPod) build(id string) (*corev1.Pod, error) {
	p, err := pods.Build(pods.Input{Conf: t.conf, Role: pods.Executor, AppID: t.contract.AppID, Name: pods.ExecutorPodName(t.prefix, id),
		Namespace: t.namespace, ExecutorID: id, Env: t.env(id), Owner: t.owner, Command: []string{t.contract.Command}, Args: t.contract.Args,
		Template: t.template})
	if err != nil {
		return nil, err
	}
	if t.shuffle != nil {
		if err := mountShuffleDir(p, *t.shuffle); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func (m *podManager) isRegistered(id string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.registered[id]
}

func (m *podManager) started() (*executors.Manager, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.pods == nil {
		return nil, fmt.Errorf("driverpod: the executor pods' manager was not started")
	}
	return m.pods, nil
}

// RequestTotal implements clustermgr.Manager.
func (m *podManager) RequestTotal(_ context.Context, total int) error {
	p, err := m.started()
	if err != nil {
		return err
	}
	p.SetTarget(total)
	return nil
}

// Kill implements clustermgr.Manager: the pods are deleted at once and
// replaced.
func (m *podManager) Kill(ctx context.Context, ids []string) error {
	p, err := m.started()
	if err != nil {
		return err
	}
	return p.Delete(ctx, ids, new(int64(0)), false)
}

// Decommission implements clustermgr.Manager: the pods are labelled
// spark.kubernetes.executor.decommissionLabel=...decommissionLabelValue
// when that is set (as Spark labels the pods of executors it
// decommissions), then deleted with spark.executor.decommission.forceKillTimeout
// as their grace period when it is set, else their own: the executor gets
// SIGTERM, and is killed if it has not exited when the grace period ends.
// They are not replaced, and their ends are not failures.
func (m *podManager) Decommission(ctx context.Context, ids []string) error {
	p, err := m.started()
	if err != nil {
		return err
	}
	var errs []error
	if key := m.conf.String("spark.kubernetes.executor.decommissionLabel"); key != "" {
		value := m.conf.String("spark.kubernetes.executor.decommissionLabelValue")
		// A pod that could not be labelled is decommissioned all the same.
		if err := p.Label(ctx, ids, map[string]string{key: value}); err != nil {
			m.log.Warn("labelling executor pods being decommissioned", "executors", ids, "error", err)
			errs = append(errs, err)
		}
	}
	errs = append(errs, p.Delete(ctx, ids, decommissionGrace(m.conf), true))
	return errors.Join(errs...)
}

// decommissionGrace is the grace period of a decommissioned executor's pod:
// spark.executor.decommission.forceKillTimeout in whole seconds (rounded
// up), or nil (the pod's own) when it is not set.
func decommissionGrace(conf *config.Conf) *int64 {
	const name = "spark.executor.decommission.forceKillTimeout"
	if !conf.Has(name) {
		return nil
	}
	d := conf.Duration(name)
	return new(int64((d + time.Second - 1) / time.Second))
}

// checkDecommissionLabel checks spark.kubernetes.executor.decommissionLabel
// and its value, so that a bad one fails the application at its start
// rather than each decommission.
func checkDecommissionLabel(conf *config.Conf) error {
	key := conf.String("spark.kubernetes.executor.decommissionLabel")
	if key == "" {
		return nil
	}
	if errs := validation.IsQualifiedName(key); len(errs) > 0 {
		return fmt.Errorf("spark.kubernetes.executor.decommissionLabel=%q: %s", key, strings.Join(errs, "; "))
	}
	if key == pods.LabelAppSelector || key == pods.LabelRole || key == pods.LabelExecID || key == pods.LabelExecInactive {
		return fmt.Errorf("spark.kubernetes.executor.decommissionLabel=%q: the label is Spark's own", key)
	}
	value := conf.String("spark.kubernetes.executor.decommissionLabelValue")
	if errs := validation.IsValidLabelValue(value); len(errs) > 0 {
		return fmt.Errorf("spark.kubernetes.executor.decommissionLabelValue=%q: %s", value, strings.Join(errs, "; "))
	}
	return nil
}

// ShuffleService implements clustermgr.ShuffleServices: the address of
// the shuffle service pod on node host, looked up afresh (a restarted
// DaemonSet pod has a new address; lookups of one node are reused for a
// few seconds).
func (m *podManager) ShuffleService(ctx context.Context, executorID, host string) (string, error) {
	m.mu.Lock()
	s := m.shuffle
	m.mu.Unlock()
	if s == nil {
		return "", fmt.Errorf("driverpod: executor %s asks for the external shuffle service, but spark.shuffle.service.enabled is false", executorID)
	}
	addr, err := s.lookup(ctx, executorID, host)
	if err != nil {
		return "", fmt.Errorf("driverpod: executor %s: %w", executorID, err)
	}
	return addr, nil
}

// Registered implements clustermgr.Manager.
func (m *podManager) Registered(id string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.registered[id] = true
}

// BeginStop implements clustermgr.Manager.
func (m *podManager) BeginStop() {
	if p, err := m.started(); err == nil {
		p.BeginStop()
	}
}

// Stop implements clustermgr.Manager: every executor pod is deleted (or
// labelled inactive). Stopping twice does nothing the second time.
func (m *podManager) Stop(ctx context.Context) error {
	m.mu.Lock()
	p, stopped := m.pods, m.stopped
	m.stopped = true
	m.mu.Unlock()
	if p == nil || stopped {
		return nil
	}
	return p.Stop(ctx)
}
