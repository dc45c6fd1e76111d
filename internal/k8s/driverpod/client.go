package driverpod

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os/exec"
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/gospark/gospark/internal/config"
	"github.com/gospark/gospark/internal/launch"
)

// Client is a client-mode application (gospark submit --deploy-mode client
// with a k8s:// master): the driver runs where submit runs, on a host or
// in a pod of the user's, and submit is its cluster manager as `gospark
// driver` is in a driver pod.
type Client struct {
	// Path and Args are the application binary, run here as the driver,
	// and its arguments; Env is its environment (the contract's variables
	// are added).
	Path string
	Args []string
	Env  []string
	// Stdin, Stdout and Stderr are the application's.
	Stdin          io.Reader
	Stdout, Stderr io.Writer

	// Conf is what the executor pods are built from (namespace, image,
	// spark.kubernetes.executor.podNamePrefix, the init-container's
	// ConfigMap and Secret...).
	Conf *config.Conf
	// Kube is the API client (the submitter's).
	Kube kubernetes.Interface
	// Owner owns the executor pods: the pod the driver runs in
	// (spark.kubernetes.driver.pod.name), or nil.
	Owner *metav1.OwnerReference
	// Command is the application inside the executor pods (in the image,
	// or where their init-container puts it), in place of the driver's
	// own path.
	Command string
	// ExecutorProperties are set in the configuration the driver gives its
	// executors: what differs in the pods (spark.files and spark.jars
	// where the init-container puts them).
	ExecutorProperties map[string]string
	Log                *slog.Logger
}

// clientSide is what a client-mode manager does differently.
type clientSide struct {
	owner   *metav1.OwnerReference
	command string
	props   map[string]string
}

// executorContract is the launch contract the executor pods get: the
// driver's, with the command and properties the pods need.
func (c *clientSide) executorContract(e launch.Executor) (launch.Executor, error) {
	if c.command != "" {
		e.Command = c.command
	}
	if len(c.props) == 0 {
		return e, nil
	}
	conf, err := config.Decode(e.Conf)
	if err != nil {
		return e, fmt.Errorf("the driver's configuration for executors: %w", err)
	}
	for _, k := range slices.Sorted(maps.Keys(c.props)) {
		if err := conf.Set(k, c.props[k]); err != nil {
			return e, fmt.Errorf("the executors' configuration: %w", err)
		}
	}
	e.Conf = conf.Encode()
	return e, nil
}

// RunClient runs a client-mode application and serves it as its cluster
// manager until it exits, then returns its exit code. As in a driver pod,
// executor pods are removed when the application stops its session, and
// also when it exits without stopping it (a crash, SIGKILL); SIGINT and
// SIGTERM are forwarded to it.
func RunClient(ctx context.Context, c Client) (int, error) {
	log := c.Log
	if log == nil {
		log = slog.Default()
	}
	cs := c.Kube
	mgr := newPodManager(c.Conf, log)
	mgr.client = func(*config.Conf) (kubernetes.Interface, error) { return cs, nil }
	mgr.clientSide = &clientSide{owner: c.Owner, command: c.Command, props: c.ExecutorProperties}
	cmd := exec.Command(c.Path, c.Args...)
	cmd.Env = slices.Clone(c.Env)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = c.Stdin, c.Stdout, c.Stderr
	return serve(ctx, cmd, mgr, log)
}
