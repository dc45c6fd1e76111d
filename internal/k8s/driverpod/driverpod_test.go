package driverpod

import (
	"context"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/gospark/gospark/internal/launch"
)

// TestMain lets the test binary be the application gospark driver starts:
// with DRIVERPOD_TEST_APP set it checks the channel's variables and exits
// with the code asked for, or kills itself.
func TestMain(m *testing.M) {
	switch os.Getenv("DRIVERPOD_TEST_APP") {
	case "":
		os.Exit(m.Run())
	case "kill":
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
		time.Sleep(time.Minute)
	default:
		if os.Getenv(launch.EnvManagerURL) == "" || os.Getenv(launch.EnvManagerSecret) == "" || os.Getenv(launch.EnvRole) != launch.RoleDriver {
			os.Exit(99)
		}
		code, _ := strconv.Atoi(os.Getenv("DRIVERPOD_TEST_APP"))
		os.Exit(code)
	}
}

func TestRunExitsWithTheApplicationsCode(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		app  string
		want int
	}{{"0", 0}, {"7", 7}, {"kill", 128 + int(syscall.SIGKILL)}} {
		t.Setenv("DRIVERPOD_TEST_APP", c.app)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		start := time.Now()
		// An application that never connects: nothing was started, so
		// nothing is stopped, and Run returns as soon as it exits.
		got, err := Run(ctx, exe, nil, nil)
		cancel()
		if err != nil {
			t.Fatalf("app %s: %v", c.app, err)
		}
		if got != c.want {
			t.Errorf("app %s: exit code %d, want %d", c.app, got, c.want)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("app %s: Run took %s after the application exited", c.app, d)
		}
	}
}

func TestRunRefusesAMissingApplication(t *testing.T) {
	if _, err := Run(context.Background(), "/nonexistent/app", nil, nil); err == nil {
		t.Fatal("Run of a missing application succeeded")
	}
}
