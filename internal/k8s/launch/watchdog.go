package launch

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"

	"github.com/gospark/gospark/internal/config"
	"github.com/gospark/gospark/internal/k8s/client"
	"github.com/gospark/gospark/internal/k8s/pods"
)

// WatchdogCommand is the gospark subcommand that a client-mode submit
// starts as its watchdog (`gospark client-watchdog`).
const WatchdogCommand = "client-watchdog"

// watchdogDone is what submit writes when it has removed everything.
const watchdogDone = "done"

// WatchdogTimeout bounds the watchdog's cleanup.
const WatchdogTimeout = 2 * time.Minute

// WatchdogSpec is what the watchdog must know to remove an application's
// executor pods: how to reach the API server, and which pods.
type WatchdogSpec struct {
	// Conf is the encoded submission configuration (the submission's
	// credential properties, spark.kubernetes.context).
	Conf      string `json:"conf"`
	APIServer string `json:"apiServer,omitempty"`
	Namespace string `json:"namespace"`
	AppID     string `json:"appId"`
	// Dir is a local directory of the submission to remove.
	Dir string `json:"dir,omitempty"`
}

// Watchdog is a client-mode submission's watchdog process: when submit
// dies without saying it is done (SIGKILL, a crash), the watchdog sees its
// pipe close and removes the application's executor pods, ConfigMaps and
// Secrets. In a session of its own, it outlives a kill of submit's
// process group or of its terminal.
type Watchdog struct {
	cmd  *exec.Cmd
	pipe io.WriteCloser
}

// StartWatchdog starts this program's WatchdogCommand and gives it spec
// on its standard input, which stays open until Done. Its errors go to
// this process's standard error.
func StartWatchdog(spec WatchdogSpec) (*Watchdog, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("starting the client-mode watchdog: %w", err)
	}
	cmd := exec.Command(exe, WatchdogCommand)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	cmd.Stderr = os.Stderr
	pipe, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("starting the client-mode watchdog: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the client-mode watchdog: %w", err)
	}
	w := &Watchdog{cmd: cmd, pipe: pipe}
	b, err := json.Marshal(spec)
	if err == nil {
		_, err = fmt.Fprintf(pipe, "%s\n", b)
	}
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, fmt.Errorf("starting the client-mode watchdog: %w", err)
	}
	return w, nil
}

// Done tells the watchdog that everything was removed, and waits for it
// to exit.
func (w *Watchdog) Done() error {
	_, err := fmt.Fprintln(w.pipe, watchdogDone)
	err = errors.Join(err, w.pipe.Close())
	return errors.Join(err, w.cmd.Wait())
}

// RunWatchdog is the watchdog process: it reads the spec from in, then
// waits for in to end. Unless submit wrote "done" first, it removes the
// application's executor pods, ConfigMaps and Secrets and its directory,
// and waits until no executor pod is left (at most WatchdogTimeout).
func RunWatchdog(ctx context.Context, in io.Reader) error {
	r := bufio.NewReader(in)
	line, err := r.ReadBytes('\n')
	if err != nil {
		return fmt.Errorf("client-watchdog: reading its instructions: %w", err)
	}
	var spec WatchdogSpec
	if err := json.Unmarshal(line, &spec); err != nil {
		return fmt.Errorf("client-watchdog: reading its instructions: %w", err)
	}
	rest, _ := io.ReadAll(r) // until submit closes the pipe or dies
	if strings.TrimSpace(string(rest)) == watchdogDone {
		return nil
	}
	if spec.Dir != "" {
		defer os.RemoveAll(spec.Dir)
	}
	conf, err := config.Decode(spec.Conf)
	if err != nil {
		return fmt.Errorf("client-watchdog: %w", err)
	}
	cs, _, err := client.New(conf, spec.APIServer)
	if err != nil {
		return fmt.Errorf("client-watchdog: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, WatchdogTimeout)
	defer cancel()
	return RemoveApplication(ctx, cs, spec.Namespace, spec.AppID, time.Second)
}

// RemoveApplication deletes the executor pods, ConfigMaps and Secrets of
// application appID in ns, and deletes again until no executor pod is
// left (one created while the first deletion ran is caught too), polling
// every interval until ctx ends.
func RemoveApplication(ctx context.Context, cs kubernetes.Interface, ns, appID string, interval time.Duration) error {
	sel := metav1.ListOptions{LabelSelector: labels.Set{pods.LabelAppSelector: appID, pods.LabelRole: string(pods.Executor)}.String()}
	api := cs.CoreV1().Pods(ns)
	objErr := deleteAppObjects(ctx, cs, ns, appID)
	for {
		err := api.DeleteCollection(ctx, metav1.DeleteOptions{}, sel)
		if err != nil && !apierrors.IsNotFound(err) {
			err = fmt.Errorf("client-watchdog: deleting the executor pods of %s in namespace %s: %w", appID, ns, err)
		} else {
			list, lerr := api.List(ctx, sel)
			if lerr == nil && len(list.Items) == 0 {
				return objErr
			}
			err = lerr
		}
		select {
		case <-ctx.Done():
			if err == nil {
				err = fmt.Errorf("client-watchdog: executor pods of %s in namespace %s are still there: %w", appID, ns, ctx.Err())
			}
			return errors.Join(err, objErr)
		case <-time.After(interval):
		}
	}
}
