package staging

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"

	"k8s.io/client-go/kubernetes"

	"github.com/gospark/gospark/internal/config"
	"github.com/gospark/gospark/internal/k8s/client"
)

const rss = "spark.ssl.kubernetes.resourceStagingServer."

// Main runs the resource staging server as "gospark staging-server" does,
// configured by conf, listening on host (all interfaces when "") and
// spark.kubernetes.resourceStagingServer.port, until ctx is done. ready,
// when not nil, gets the address it listens on.
func Main(ctx context.Context, conf *config.Conf, host string, log *slog.Logger, ready func(addr string)) error {
	tlsConf, err := tlsFromConf(conf)
	if err != nil {
		return err
	}
	cfg := Config{
		Dir:             conf.String("spark.kubernetes.resourceStagingServer.storageDir"),
		MaxBundleSize:   conf.Bytes("spark.kubernetes.resourceStagingServer.maxBundleSize"),
		ExpireUnclaimed: conf.Duration("spark.kubernetes.resourceStagingServer.initialAccessExpirationTimeout"),
		CheckInterval:   conf.Duration("spark.kubernetes.resourceStagingServer.cleanupInterval"),
		Logger:          log,
	}
	rc, err := client.StagingServerConfig(conf)
	switch {
	case errors.Is(err, client.ErrNoCredentials):
		log.Warn("not watching pods: bundles are deleted only when unclaimed after initialAccessExpirationTimeout", "reason", err)
	case err != nil:
		return err
	default:
		cs, err := kubernetes.NewForConfig(rc)
		if err != nil {
			return fmt.Errorf("staging server: kubernetes client: %w", err)
		}
		idx := NewPodIndex(cs)
		go idx.Run(ctx)
		cfg.Pods = idx
		log.Info("watching pods to clean up bundles", "apiServer", rc.Host)
	}
	srv, err := New(cfg)
	if err != nil {
		return err
	}
	port := conf.Int("spark.kubernetes.resourceStagingServer.port")
	ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		return fmt.Errorf("spark.kubernetes.resourceStagingServer.port=%d: %w", port, err)
	}
	scheme := "http"
	if tlsConf != nil {
		scheme = "https"
	}
	log.Info("resource staging server listening", "address", ln.Addr().String(), "scheme", scheme, "dir", cfg.Dir)
	if ready != nil {
		ready(ln.Addr().String())
	}
	go srv.RunCleaner(ctx)
	return Serve(ctx, ln, srv.Handler(), tlsConf)
}

func tlsFromConf(conf *config.Conf) (*tls.Config, error) {
	key, cert := conf.String(rss+"keyPem"), conf.String(rss+"serverCertPem")
	if conf.String(rss+"keyStore") != "" {
		return nil, fmt.Errorf("%skeyStore: Java key stores are not supported; give %skeyPem and %sserverCertPem", rss, rss, rss)
	}
	if !conf.Bool(rss + "enabled") {
		if key != "" || cert != "" {
			return nil, fmt.Errorf("%skeyPem/serverCertPem are set but %senabled is not true", rss, rss)
		}
		return nil, nil
	}
	if key == "" || cert == "" {
		return nil, fmt.Errorf("%senabled=true needs %skeyPem and %sserverCertPem", rss, rss, rss)
	}
	return ServerTLS(key, cert)
}
