package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/gospark/gospark/internal/k8s/launch"
)

// watchdogCommand is the process a client-mode gospark submit starts in a
// session of its own: when submit dies without saying it is done, it
// removes the application's executor pods. Not for users: hidden.
func watchdogCommand() *cobra.Command {
	return &cobra.Command{
		Use:    launch.WatchdogCommand,
		Short:  "Remove a client-mode application's executor pods when its gospark submit dies",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := launch.RunWatchdog(cmd.Context(), os.Stdin); err != nil {
				return fmt.Errorf("%s: %w", launch.WatchdogCommand, err)
			}
			return nil
		},
	}
}
