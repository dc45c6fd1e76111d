package spark

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"syscall"
	"time"

	"github.com/gospark/gospark/internal/clustermgr"
	"github.com/gospark/gospark/internal/executor"
	"github.com/gospark/gospark/internal/launch"
	"github.com/gospark/gospark/internal/master"
	"github.com/gospark/gospark/internal/ui"
)

// uiServer is the driver's web UI: Spark's pages, /api/v1 and the
// Prometheus endpoints, on spark.ui.port.
type uiServer struct {
	srv *http.Server
	ln  net.Listener
	url string
}

// uiBindHost is where the UI listens: every address in a driver pod (the
// Service and kubectl port-forward reach it; a driver-only application's
// pod runs a local master), spark.driver.host when set, else 127.0.0.1,
// so that a local application is not reachable from other machines
// unless asked for.
func (s *Session) uiBindHost() string {
	if s.master.Kind == master.Kubernetes || os.Getenv(launch.EnvPodIP) != "" {
		return ""
	}
	if h := s.conf.String("spark.driver.host"); h != "" {
		return h
	}
	return "127.0.0.1"
}

// listenUI binds spark.ui.port, or the next free port up to
// spark.port.maxRetries after it, as Spark does; port 0 takes any.
func listenUI(host string, port, retries int) (net.Listener, error) {
	var last error
	for i := 0; i <= retries; i++ {
		p := port + i
		if port == 0 {
			p = 0
		}
		if p > 65535 {
			break
		}
		ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(p)))
		if err == nil {
			return ln, nil
		}
		last = err
		if !errors.Is(err, syscall.EADDRINUSE) || port == 0 {
			break
		}
	}
	return nil, fmt.Errorf("spark: spark.ui.port %d: no free port among the %d after it (spark.port.maxRetries): %w", port, retries, last)
}

// startUI serves the UI when spark.ui.enabled.
func (s *Session) startUI(handlers map[string]http.Handler) error {
	if !s.conf.Bool("spark.ui.enabled") {
		return nil
	}
	ln, err := listenUI(s.uiBindHost(), s.conf.Int("spark.ui.port"), s.conf.Int("spark.port.maxRetries"))
	if err != nil {
		return err
	}
	opts := ui.Options{RefreshSeconds: 2, Handlers: handlers}
	if logs := s.executorLogs(); logs != nil {
		opts.ExecutorLog = logs
	}
	h := ui.NewHandler(ui.Single(s.events.store), opts)
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	port := ln.Addr().(*net.TCPAddr).Port
	host := s.uiBindHost()
	if host == "" {
		host = s.events.host
	}
	s.ui = &uiServer{srv: srv, ln: ln, url: "http://" + net.JoinHostPort(host, strconv.Itoa(port))}
	if want := s.conf.Int("spark.ui.port"); want != 0 && port != want {
		s.log.Warn("spark.ui.port was taken; the UI uses the next free port", "wanted", want, "port", port)
	}
	s.log.Info("driver UI started", "url", s.ui.url)
	return nil
}

// UIAddress is the driver's web UI's URL ("" when spark.ui.enabled is
// false), as SparkContext.uiWebUrl.
func (s *Session) UIAddress() string {
	if s.ui == nil {
		return ""
	}
	return s.ui.url
}

func (u *uiServer) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = u.srv.Shutdown(ctx)
}

// executorLogs opens executors' logs through the cluster manager, when it
// keeps them (clustermgr.Logs: local-cluster's files, the pods' logs on
// Kubernetes). The log holds stdout and stderr together, so both links
// show it. The driver's own log is not served: under local[N] there is no
// executor log to show.
func (s *Session) executorLogs() func(ctx context.Context, appID, execID, which string) (io.ReadCloser, error) {
	logs, ok := s.cm.(clustermgr.Logs)
	if !ok {
		return nil
	}
	return func(ctx context.Context, _, execID, _ string) (io.ReadCloser, error) {
		if execID == executor.DriverID {
			return nil, fmt.Errorf("the driver's log is not kept by gospark (see the driver's output or pod log): %w", ui.ErrNotFound)
		}
		r, err := logs.ExecutorLog(ctx, execID)
		if errors.Is(err, clustermgr.ErrNoLog) {
			return nil, fmt.Errorf("%w: %w", ui.ErrNotFound, err)
		}
		return r, err
	}
}
