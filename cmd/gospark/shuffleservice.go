package main

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/gospark/gospark/internal/shuffleservice"
)

// shuffleServiceDir is where the service and the executors share shuffle
// files by default (the hostPath of conf/kubernetes-shuffle-service.yaml).
const shuffleServiceDir = "/var/lib/gospark/shuffle"

// shuffleServiceCommand runs the external shuffle service of a node.
func shuffleServiceCommand(stderr io.Writer) *cobra.Command {
	var (
		dir           string
		host          string
		port          int
		orphanTimeout time.Duration
	)
	cmd := &cobra.Command{
		Use:   "shuffle-service",
		Short: "Run the external shuffle service of a node",
		Long: `Run the external shuffle service (spark.shuffle.service.enabled): it serves
the shuffle files that executors of every application on this node keep
under --dir (<dir>/<app id>/<executor id>/shuffle/), also after the
executors are gone, to the application's authenticated clients. It removes
an application's files when the application ends, when its driver stops
heartbeating, or, for directories found at start and applications that
never heartbeat, after --orphan-timeout without activity. On Kubernetes it
runs as a DaemonSet with --dir on a hostPath that executors mount too
(conf/kubernetes-shuffle-service.yaml). Serves until SIGTERM or SIGINT.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch {
			case dir == "":
				return fmt.Errorf("--dir: want a directory")
			case port < 0 || port > 65535:
				return fmt.Errorf("--port %d: want a port number from 0 to 65535", port)
			case orphanTimeout <= 0:
				return fmt.Errorf("--orphan-timeout %v: want a positive duration", orphanTimeout)
			}
			log := slog.New(slog.NewTextHandler(stderr, nil))
			// SIGTERM (the pod being deleted) stops the service.
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return shuffleservice.ListenAndServe(ctx, net.JoinHostPort(host, strconv.Itoa(port)),
				shuffleservice.ServerOptions{Root: dir, OrphanTimeout: orphanTimeout, Log: log})
		},
	}
	cmd.Flags().StringVar(&dir, "dir", shuffleServiceDir, "directory the executors of this node keep their local directories in")
	cmd.Flags().StringVar(&host, "host", "", "address to listen on (all addresses when empty)")
	cmd.Flags().IntVar(&port, "port", shuffleservice.DefaultPort, "port to listen on (spark.shuffle.service.port)")
	cmd.Flags().DurationVar(&orphanTimeout, "orphan-timeout", shuffleservice.DefaultOrphanTimeout,
		"remove directories found at start, and applications that never heartbeat, after this long without their application")
	return cmd
}
