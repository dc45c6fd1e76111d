package spark

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/gospark/gospark/internal/cluster"
	"github.com/gospark/gospark/internal/config"
	"github.com/gospark/gospark/internal/k8s/client"
	"github.com/gospark/gospark/internal/k8s/executors"
	"github.com/gospark/gospark/internal/k8s/pods"
)

// checkKubernetesDriver refuses a k8s:// master outside a driver pod that
// gospark submit made: the driver must run in the cluster.
func checkKubernetesDriver(conf *config.Conf, raw string) error {
	if conf.String("spark.submit.deployMode") != "cluster" || conf.String("spark.kubernetes.driver.pod.name") == "" {
		return fmt.Errorf("spark: master %q: the driver of a Kubernetes application runs in a pod; submit it with gospark submit --deploy-mode cluster (client mode is not supported)", raw)
	}
	return nil
}

// k8sDriverPort is the port the driver listens on in its pod.
func k8sDriverPort(conf *config.Conf) int {
	if p := conf.Int("spark.driver.port"); p != 0 {
		return p
	}
	return 7078
}

// maxExecutorFailures is spark.executor.maxNumFailures, or twice the
// executors asked for, at least 3.
func maxExecutorFailures(conf *config.Conf, instances int) int {
	if conf.Has("spark.executor.maxNumFailures") {
		return conf.Int("spark.executor.maxNumFailures")
	}
	return max(2*instances, 3)
}

// startExecutorPods starts the manager that creates and follows the
// executor pods (driver side, in the driver pod).
func (s *Session) startExecutorPods() error {
	conf := s.conf
	n, cores, _, err := s.clusterSize()
	if err != nil {
		return err
	}
	cfg, err := client.DriverConfig(conf)
	if err != nil {
		return fmt.Errorf("spark: %w", err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("spark: kubernetes client: %w", err)
	}
	ns := conf.String("spark.kubernetes.namespace")
	name := conf.String("spark.kubernetes.driver.pod.name")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	driverPod, err := cs.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("spark: reading the driver pod %s/%s (spark.kubernetes.driver.pod.name): %w", ns, name, err)
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("spark: finding this program for the executor pods: %w", err)
	}
	owner := &metav1.OwnerReference{APIVersion: "v1", Kind: "Pod", Name: driverPod.Name, UID: driverPod.UID, Controller: new(true)}
	driverURL := conf.String("spark.driver.host") + ":" + strconv.Itoa(k8sDriverPort(conf))
	if conf.String("spark.driver.host") == "" {
		driverURL = os.Getenv("GOSPARK_POD_IP") + ":" + strconv.Itoa(k8sDriverPort(conf))
	}
	execConf := conf.Encode()
	prefix := conf.String("spark.kubernetes.executor.podNamePrefix")
	if prefix == "" {
		prefix = pods.ResourcePrefix(s.appName, s.started)
	}
	newPod := func(id string) (*corev1.Pod, error) {
		env := []corev1.EnvVar{
			{Name: cluster.EnvRole, Value: cluster.RoleExecutor},
			{Name: cluster.EnvExecutorID, Value: id},
			{Name: cluster.EnvDriverURL, Value: driverURL},
			{Name: cluster.EnvAppID, Value: s.appID},
			{Name: cluster.EnvCores, Value: strconv.Itoa(cores)},
			{Name: cluster.EnvBindHost, ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "status.podIP"}}},
			{Name: config.EnvConf, Value: execConf},
		}
		if s.secret != "" {
			env = append(env, corev1.EnvVar{Name: cluster.EnvSecret, Value: s.secret})
		}
		return pods.Build(pods.Input{Conf: conf, Role: pods.Executor, AppID: s.appID, Name: pods.ExecutorPodName(prefix, id),
			Namespace: ns, ExecutorID: id, Env: env, Owner: owner, Command: []string{exe}, Args: os.Args[1:]})
	}
	if _, err := newPod("1"); err != nil { // a bad property fails now, not in the allocator
		return fmt.Errorf("spark: executor pod: %w", err)
	}
	mgr, err := executors.Start(context.Background(), executors.Options{
		Client: cs, Namespace: ns, AppID: s.appID, Instances: n,
		BatchSize:           conf.Int("spark.kubernetes.allocation.batch.size"),
		BatchDelay:          conf.Duration("spark.kubernetes.allocation.batch.delay"),
		PollInterval:        conf.Duration("spark.kubernetes.executor.apiPollingInterval"),
		DeleteOnTermination: conf.Bool("spark.kubernetes.executor.deleteOnTermination"),
		MaxFailures:         maxExecutorFailures(conf, n),
		NewPod:              newPod,
		Registered:          s.driver.Known,
		OnExit:              s.driver.Lose,
		OnFatal:             func(err error) { s.fail(fmt.Errorf("spark: %w", err)) },
		Log:                 s.log,
	})
	if err != nil {
		return fmt.Errorf("spark: %w", err)
	}
	s.pods = mgr
	return nil
}

// stopExecutorPods removes the executor pods when the application ends.
func (s *Session) stopExecutorPods() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.pods.Stop(ctx); err != nil {
		s.log.Warn("removing executor pods", "error", err)
	}
}
