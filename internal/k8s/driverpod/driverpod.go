// Package driverpod is the Kubernetes cluster manager, run by the entry
// process of a driver pod (`gospark driver <application> [args]`, as
// Spark's driver pod runs its entrypoint with "driver"). It starts the
// application as its child, with the address and secret of a local
// authenticated channel (clustermgr/external), and on the driver's
// requests creates, follows, replaces and deletes the executor pods
// (internal/k8s/executors). The application binary thus carries no
// Kubernetes code. When the application exits, whatever executor pods are
// left are removed, and the process exits with the application's code.
//
// In client mode (gospark submit --deploy-mode client, client.go) the
// submit process does the same for an application it runs where it runs:
// no driver pod, executor pods owned by the pod named
// spark.kubernetes.driver.pod.name if the driver runs in one, else by
// nothing.
//
// With spark.shuffle.service.enabled it also stands for the external
// shuffle service's DaemonSet (shuffle.go): executor pods mount the host
// directory its pods serve, and the driver asks which pod serves an
// executor's node.
//
// The driver's UI shows an executor's log by asking for it over the same
// channel: the end of the executor pod's log, read from the API server
// while the pod exists (logs.go).
package driverpod

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"time"

	"github.com/gospark/gospark/internal/clustermgr/external"
	"github.com/gospark/gospark/internal/config"
	"github.com/gospark/gospark/internal/launch"
	"github.com/gospark/gospark/internal/rpc"
)

// Run starts the application and serves it as its cluster manager until
// it exits; it returns the application's exit code.
func Run(ctx context.Context, app string, args []string, log *slog.Logger) (int, error) {
	if log == nil {
		log = slog.Default()
	}
	conf, err := config.FromEnv()
	if err != nil {
		return 1, fmt.Errorf("driverpod: the driver's configuration: %w", err)
	}
	path, err := exec.LookPath(app)
	if err != nil {
		return 1, fmt.Errorf("driverpod: the application %s: %w", app, err)
	}
	cmd := exec.Command(path, args...)
	cmd.Env = os.Environ()
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	mgr := newPodManager(conf, log)
	code, err := serve(ctx, cmd, mgr, log)
	removeServices(ctx, conf, driverClient, log) // service.go
	if fatal := mgr.fatal.get(); fatal != nil && code != 0 {
		// Why the application could not go on, for the pod's status
		// (termination.go).
		if werr := writeTermination(terminationLog, fatal.Error()); werr != nil {
			log.Warn("writing the termination message", "error", werr)
		}
	}
	return code, err
}

// serve starts the application cmd with the address and secret of a fresh
// local channel added to its environment, answers its calls with mgr
// until it exits, and returns its exit code. SIGTERM and SIGINT are
// forwarded to it. When it ends without stopping its session, mgr is
// stopped here, so that no executor pod stays.
func serve(ctx context.Context, cmd *exec.Cmd, mgr *podManager, log *slog.Logger) (int, error) {
	secret, err := rpc.NewSecret()
	if err != nil {
		return 1, fmt.Errorf("driverpod: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 1, fmt.Errorf("driverpod: the cluster manager's channel: %w", err)
	}
	defer ln.Close()

	cmd.Env = append(cmd.Env,
		launch.EnvRole+"="+launch.RoleDriver,
		launch.EnvManagerURL+"="+ln.Addr().String(),
		launch.EnvManagerSecret+"="+secret)
	// The application does not outlive this process.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	// Kubernetes stops a pod with SIGTERM to its entry process, a user
	// stops gospark submit with ^C: the application gets it, and its Stop
	// ends the executors.
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(sigs)
	if err := cmd.Start(); err != nil {
		return 1, fmt.Errorf("driverpod: starting %s: %w", cmd.Path, err)
	}
	forwarded := make(chan struct{})
	defer close(forwarded)
	go func() {
		for {
			select {
			case s := <-sigs:
				_ = cmd.Process.Signal(s)
			case <-forwarded:
				return
			}
		}
	}()

	served := make(chan bool, 1)
	go func() {
		stopped, err := external.Serve(ctx, ln, secret, mgr, log)
		if err != nil && !errors.Is(err, net.ErrClosed) && ctx.Err() == nil {
			log.Warn("cluster manager channel", "error", err)
		}
		served <- stopped
	}()

	waitErr := cmd.Wait()
	ln.Close() // an application that never connected ends Serve too
	stopped := <-served
	if !stopped {
		// The application ended without stopping its session (a crash,
		// a kill): its executor pods must not stay.
		stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 60*time.Second)
		if err := mgr.Stop(stopCtx); err != nil {
			log.Warn("removing executor pods", "error", err)
		}
		cancel()
	}
	if waitErr != nil {
		var ee *exec.ExitError
		if errors.As(waitErr, &ee) {
			if st, ok := ee.Sys().(syscall.WaitStatus); ok && st.Signaled() {
				return 128 + int(st.Signal()), nil
			}
			return ee.ExitCode(), nil
		}
		return 1, fmt.Errorf("driverpod: %w", waitErr)
	}
	return 0, nil
}
