package main

import (
	"fmt"
	"io"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/gospark/gospark/internal/k8s/driverpod"
	"github.com/gospark/gospark/internal/k8s/launch"
)

// driverCommand is the entry process of a Kubernetes driver pod: it runs
// the application and manages its executor pods.
func driverCommand(stderr io.Writer, code *int) *cobra.Command {
	return &cobra.Command{
		Use:   "driver <application> [application arguments]",
		Short: "Run an application in a Kubernetes driver pod and manage its executor pods",
		Long: `driver is what a driver pod made by gospark submit --deploy-mode cluster runs:
it starts the application with the address and secret of a local channel
and, on the application's behalf, creates, follows and deletes its
executor pods. It exits with the application's exit code.`,
		DisableFlagParsing: true,
		Args:               cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			// As the application's own log: warnings unless asked for more.
			log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: launch.LogLevel()}))
			slog.SetDefault(log) // the Kubernetes client logs its retries there
			c, err := driverpod.Run(cmd.Context(), args[0], args[1:], log)
			if err != nil {
				return fmt.Errorf("driver: %w", err)
			}
			*code = c
			return nil
		},
	}
}
