package spark

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/gospark/gospark/internal/config"
	"github.com/gospark/gospark/internal/launch"
	"github.com/gospark/gospark/internal/shuffleservice"
)

// runShuffleService is NewSession in a shuffle service process that a
// cluster manager started (local-cluster's, with
// spark.shuffle.service.enabled): it serves the directory EnvShuffleDir on
// the listener it inherited (file descriptor 3) until SIGTERM, then exits
// the process.
func runShuffleService(ctx context.Context, conf *config.Conf) {
	log := newLogger(conf).With("role", launch.RoleShuffleService)
	code := 0
	if err := serveShuffle(ctx, conf); err != nil {
		log.Error("shuffle service", "error", err)
		fmt.Fprintf(os.Stderr, "gospark shuffle service: %v\n", err)
		code = 1
	}
	os.Exit(code)
}

func serveShuffle(ctx context.Context, conf *config.Conf) error {
	root := os.Getenv(launch.EnvShuffleDir)
	if root == "" {
		return fmt.Errorf("spark: no directory to serve (%s)", launch.EnvShuffleDir)
	}
	f := os.NewFile(3, "shuffle-service-listener")
	if f == nil {
		return fmt.Errorf("spark: the shuffle service was started without its listener")
	}
	ln, err := net.FileListener(f)
	f.Close()
	if err != nil {
		return fmt.Errorf("spark: the shuffle service's listener: %w", err)
	}
	srv, err := shuffleservice.NewServer(shuffleservice.ServerOptions{Root: root, OrphanTimeout: conf.Duration("spark.network.timeout"),
		Log: newLogger(conf).With("role", launch.RoleShuffleService)})
	if err != nil {
		return fmt.Errorf("spark: %w", err)
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if err := srv.Serve(ctx, ln); err != nil && ctx.Err() == nil {
		return fmt.Errorf("spark: %w", err)
	}
	return nil
}
