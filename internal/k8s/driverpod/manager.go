package driverpod

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/gospark/gospark/internal/clustermgr"
	"github.com/gospark/gospark/internal/config"
	"github.com/gospark/gospark/internal/k8s/client"
	"github.com/gospark/gospark/internal/k8s/executors"
	"github.com/gospark/gospark/internal/k8s/pods"
	"github.com/gospark/gospark/internal/launch"
)

// podManager manages the executor pods of the driver of this pod. It
// implements clustermgr.Manager.
type podManager struct {
	conf *config.Conf
	log  *slog.Logger

	mu         sync.Mutex
	pods       *executors.Manager
	registered map[string]bool
	stopped    bool
}

func newPodManager(conf *config.Conf, log *slog.Logger) *podManager {
	return &podManager{conf: conf, log: log, registered: make(map[string]bool)}
}

// maxExecutorFailures is spark.executor.maxNumFailures, or twice the
// executors asked for, at least 3.
func maxExecutorFailures(conf *config.Conf, instances int) int {
	if conf.Has("spark.executor.maxNumFailures") {
		return conf.Int("spark.executor.maxNumFailures")
	}
	return max(2*instances, 3)
}

// Start implements clustermgr.Manager: it reads the driver pod (the
// executor pods' owner), checks that an executor pod can be built, and
// starts the allocator.
func (m *podManager) Start(ctx context.Context, app clustermgr.App) error {
	conf := m.conf
	cfg, err := client.DriverConfig(conf)
	if err != nil {
		return fmt.Errorf("driverpod: %w", err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("driverpod: kubernetes client: %w", err)
	}
	ns := conf.String("spark.kubernetes.namespace")
	name := conf.String("spark.kubernetes.driver.pod.name")
	if name == "" {
		return fmt.Errorf("driverpod: spark.kubernetes.driver.pod.name is not set: the driver pod is made by gospark submit --deploy-mode cluster")
	}
	getCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	driverPod, err := cs.CoreV1().Pods(ns).Get(getCtx, name, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("driverpod: reading the driver pod %s/%s (spark.kubernetes.driver.pod.name): %w", ns, name, err)
	}
	owner := &metav1.OwnerReference{APIVersion: "v1", Kind: "Pod", Name: driverPod.Name, UID: driverPod.UID, Controller: new(true)}
	prefix := conf.String("spark.kubernetes.executor.podNamePrefix")
	if prefix == "" {
		prefix = pods.ResourcePrefix(conf.String("spark.app.name"), driverPod.CreationTimestamp.Time)
	}
	contract := app.Launch
	newPod := func(id string) (*corev1.Pod, error) {
		var env []corev1.EnvVar
		for _, v := range contract.Env(id, "") {
			env = append(env, corev1.EnvVar{Name: v.Name, Value: v.Value})
		}
		// The block server listens on the pod's own address.
		env = append(env, corev1.EnvVar{Name: launch.EnvBindHost,
			ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "status.podIP"}}})
		return pods.Build(pods.Input{Conf: conf, Role: pods.Executor, AppID: contract.AppID, Name: pods.ExecutorPodName(prefix, id),
			Namespace: ns, ExecutorID: id, Env: env, Owner: owner, Command: []string{contract.Command}, Args: contract.Args})
	}
	if _, err := newPod("1"); err != nil { // a bad property fails now, not in the allocator
		return fmt.Errorf("driverpod: executor pod: %w", err)
	}
	mgr, err := executors.Start(context.WithoutCancel(ctx), executors.Options{
		Client: cs, Namespace: ns, AppID: contract.AppID, Instances: app.Instances,
		BatchSize:           conf.Int("spark.kubernetes.allocation.batch.size"),
		BatchDelay:          conf.Duration("spark.kubernetes.allocation.batch.delay"),
		PollInterval:        conf.Duration("spark.kubernetes.executor.apiPollingInterval"),
		DeleteOnTermination: conf.Bool("spark.kubernetes.executor.deleteOnTermination"),
		MaxFailures:         maxExecutorFailures(conf, app.Instances),
		NewPod:              newPod,
		Registered:          m.isRegistered,
		OnExit:              app.Events.Exited,
		OnFatal:             app.Events.Fatal,
		Log:                 m.log,
	})
	if err != nil {
		return fmt.Errorf("driverpod: %w", err)
	}
	m.mu.Lock()
	m.pods = mgr
	m.mu.Unlock()
	return nil
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

// Decommission implements clustermgr.Manager: the pods are deleted with
// their grace period (the executor gets SIGTERM) and not replaced.
func (m *podManager) Decommission(ctx context.Context, ids []string) error {
	p, err := m.started()
	if err != nil {
		return err
	}
	return p.Delete(ctx, ids, nil, true)
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
