package history

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/gospark/gospark/internal/config"
	"github.com/gospark/gospark/internal/eventlog"
	"github.com/gospark/gospark/internal/status"
	"github.com/gospark/gospark/internal/ui"
)

// ProviderFromConf returns the provider that conf describes:
// spark.history.fs.logDirectory (which must exist),
// spark.history.fs.update.interval, spark.history.retainedApplications and
// the spark.ui.retained* limits of each application's store.
func ProviderFromConf(conf *config.Conf, log *slog.Logger) (*Provider, error) {
	dir, err := eventlog.LocalDir("spark.history.fs.logDirectory", conf.String("spark.history.fs.logDirectory"))
	if err != nil {
		return nil, err
	}
	return NewProvider(Options{
		LogDir:         dir,
		UpdateInterval: conf.Duration("spark.history.fs.update.interval"),
		Retained:       conf.Int("spark.history.retainedApplications"),
		Store: status.Options{
			RetainedJobs:          conf.Int("spark.ui.retainedJobs"),
			RetainedStages:        conf.Int("spark.ui.retainedStages"),
			RetainedTasks:         conf.Int("spark.ui.retainedTasks"),
			RetainedDeadExecutors: conf.Int("spark.ui.retainedDeadExecutors"),
		},
		Log: log,
	}), nil
}

// Main runs the history server that conf describes on host (all addresses
// when empty) and spark.history.ui.port until ctx ends. ready, when not
// nil, is told the address it listens on.
func Main(ctx context.Context, conf *config.Conf, host string, log *slog.Logger, ready func(addr string)) error {
	p, err := ProviderFromConf(conf, log)
	if err != nil {
		return err
	}
	port := conf.Int("spark.history.ui.port")
	ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		return fmt.Errorf("spark.history.ui.port=%d: %w", port, err)
	}
	log.Info("history server listening", "addr", ln.Addr().String(), "url", "http://"+displayAddr(ln.Addr()),
		"logDirectory", p.o.LogDir, "updateInterval", p.o.UpdateInterval)
	if ready != nil {
		ready(ln.Addr().String())
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	scanned := make(chan struct{})
	go func() {
		defer close(scanned)
		p.Run(ctx)
	}()
	err = Serve(ctx, ln, ui.NewHandler(p, ui.Options{History: true}))
	cancel()
	<-scanned
	return err
}

// displayAddr is addr with a wildcard host replaced by localhost, for a
// URL a user can open.
func displayAddr(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return addr.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

// Serve serves h on ln until ctx ends, then lets requests in flight finish
// for up to five seconds.
func Serve(ctx context.Context, ln net.Listener, h http.Handler) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 30 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("history server: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	err := srv.Shutdown(sctx)
	if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	return err
}
