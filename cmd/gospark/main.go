package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/gospark/gospark/internal/submit"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

// run executes the gospark command line args and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	code := 0
	root := &cobra.Command{
		Use:           "gospark",
		Short:         "Run Spark-style applications written in Go",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.CompletionOptions.DisableDefaultCmd = true
	submitCmd := &cobra.Command{
		Use:   "submit [options] <app package dir | app binary> [app arguments]",
		Short: "Build and run an application, as spark-submit does",
		// submit parses its own options, as spark-submit does, so that
		// arguments after the application reach it untouched.
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			code = submit.Main(cmd.Context(), args, stdout, stderr)
			return nil
		},
	}
	submitCmd.SetHelpFunc(func(*cobra.Command, []string) { submit.WriteUsage(stdout) })
	versionCmd := &cobra.Command{
		Use:   "version",
		Short: "Print gospark's version",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			_, err := fmt.Fprintln(stdout, "gospark", submit.Version())
			return err
		},
	}
	root.AddCommand(submitCmd, versionCmd, imageCommand(), initCommand(stderr), stagingServerCommand(stderr), shuffleServiceCommand(stderr), historyServerCommand(stderr), driverCommand(stderr, &code), watchdogCommand())
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintln(stderr, "gospark:", err)
		return 1
	}
	return code
}
