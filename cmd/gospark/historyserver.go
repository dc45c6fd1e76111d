package main

import (
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/gospark/gospark/internal/history"
)

// historyServerCommand runs the history server.
func historyServerCommand(stderr io.Writer) *cobra.Command {
	var (
		propertiesFile string
		host           string
		confs          []string
	)
	cmd := &cobra.Command{
		Use:   "history-server [--properties-file FILE] [--conf name=value]...",
		Short: "Serve the web UI and REST API of applications from their event logs",
		Long: `Run the history server (Spark's start-history-server.sh): it shows the
applications whose event logs (spark.eventLog.enabled) are in
spark.history.fs.logDirectory (/tmp/spark-events), finished ones and those
still running, with the same pages and /api/v1 REST API as a driver's UI, on
spark.history.ui.port (18080). It looks for new and changed logs every
spark.history.fs.update.interval (10s) and keeps the state of the last
spark.history.retainedApplications (50) applications viewed. Properties
come from --properties-file, then --conf. Serves until SIGTERM or SIGINT.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			conf, log, err := serverConf(propertiesFile, confs, stderr)
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return history.Main(ctx, conf, host, log, nil)
		},
	}
	cmd.Flags().StringVar(&propertiesFile, "properties-file", "", "a properties file (spark-defaults.conf syntax)")
	cmd.Flags().StringVar(&host, "host", "", "address to listen on (all addresses when empty)")
	cmd.Flags().StringArrayVar(&confs, "conf", nil, "a property, name=value (repeatable)")
	return cmd
}
