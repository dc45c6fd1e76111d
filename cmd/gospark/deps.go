package main

import (
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/gospark/gospark/internal/deps"
	"github.com/gospark/gospark/internal/staging"
)

// initCommand is the init-container: it fetches an application's
// dependencies into the pod's download directories.
func initCommand(stderr io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "init SPEC_FILE",
		Short: "Fetch an application's dependencies into its pod (the init-container)",
		Long: `The init-container of driver and executor pods: download the bundle staged on
the resource staging server and the remote http(s) files that SPEC_FILE (a
JSON file from the ConfigMap gospark submit made) names, into the jars and
files download directories, checking sizes and checksums. Exits non-zero
with the reason when any fetch fails, which fails the pod.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			spec, err := deps.ReadSpec(args[0])
			if err != nil {
				return err
			}
			log := slog.New(slog.NewTextHandler(stderr, nil))
			return deps.Fetch(cmd.Context(), spec, log)
		},
	}
}

// stagingServerCommand runs the resource staging server.
func stagingServerCommand(stderr io.Writer) *cobra.Command {
	var (
		address string
		confs   []string
	)
	cmd := &cobra.Command{
		Use:   "staging-server [PROPERTIES_FILE]",
		Short: "Run the resource staging server that receives submitted local files",
		Long: `Run the resource staging server: gospark submit uploads an application's local
files to it (spark.kubernetes.resourceStagingServer.uri) and init-containers
download them with the resource id and secret it answered. It listens on
spark.kubernetes.resourceStagingServer.port (10000), over TLS when
spark.ssl.kubernetes.resourceStagingServer.enabled=true (keyPem and
serverCertPem), keeps bundles in ...resourceStagingServer.storageDir and
deletes them when their application's pods are gone, or when no pod used
them within ...resourceStagingServer.initialAccessExpirationTimeout.
Properties come from PROPERTIES_FILE, then --conf.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			file := ""
			if len(args) == 1 {
				file = args[0]
			}
			conf, log, err := serverConf(file, confs, stderr)
			if err != nil {
				return err
			}
			// SIGTERM (the pod being deleted) shuts the server down gracefully.
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return staging.Main(ctx, conf, address, log, nil)
		},
	}
	cmd.Flags().StringVar(&address, "address", "", "address to listen on (all interfaces when empty)")
	cmd.Flags().StringArrayVar(&confs, "conf", nil, "a property, name=value (repeatable)")
	return cmd
}
