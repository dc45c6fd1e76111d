package submit

import (
	"context"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"syscall"

	"github.com/gospark/gospark/internal/deps"
	"github.com/gospark/gospark/internal/k8s/launch"
	contract "github.com/gospark/gospark/internal/launch"
)

// runClient runs a client-mode submission to Kubernetes: the application
// is built or found here and runs here as the driver, while this process
// manages its executor pods (launch.RunClient). It returns the
// application's exit code.
func runClient(ctx context.Context, s *Submission, stdout, stderr io.Writer) (int, error) {
	// ^C or SIGTERM during the build stops it; once the application runs,
	// they are forwarded to it.
	bctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	if runtime.GOOS == "linux" && runtime.GOARCH == deps.TargetArch {
		// A static build runs in the executor pods too: one build, the
		// same program for the driver and the executors.
		s.buildEnv = []string{"CGO_ENABLED=0"}
	}
	bin, args, cleanup, err := s.program(bctx, stderr)
	interrupted := bctx.Err() != nil && ctx.Err() == nil
	stop()
	if err != nil {
		if interrupted {
			return 130, err
		}
		return 1, err
	}
	defer cleanup()
	if IsPython(s.Args.Primary) && s.Conf.Has("spark.submit.pyFiles") {
		// The driver runs here: it reads the Python files made local.
		if err := s.ClientPlan.DriverConf.Set("spark.submit.pyFiles", s.Conf.String("spark.submit.pyFiles")); err != nil {
			return 1, err
		}
	}
	s.ClientPlan.UseBuilt(bin) // one build for the driver and the executors when it can
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: launch.LogLevel()}))
	return launch.RunClient(ctx, s.Kube, s.ClientPlan, launch.ClientApp{
		Path: bin, Args: args, Env: contract.Without(os.Environ()),
		Stdin: os.Stdin, Stdout: stdout, Stderr: stderr,
	}, stderr, log)
}
