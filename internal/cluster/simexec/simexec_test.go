package simexec

import (
	"context"
	"testing"
	"time"

	"github.com/gospark/gospark/internal/rpc"
)

// TestTinyTasksOnSimulatedExecutors runs 10,000 tasks on 100 simulated
// executors that authenticate with the application's secret, with
// heartbeat storms before and while the job runs: every task completes
// exactly once with its own result, and no executor is lost.
func TestTinyTasksOnSimulatedExecutors(t *testing.T) {
	const executors, tasks = 100, 10000
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	secret, err := rpc.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	h, err := NewHarness(HarnessOptions{Sec: &rpc.Security{Secret: []byte(secret)}, Timeout: 2 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()

	// A fleet with the wrong secret is refused.
	if f, err := StartFleet(ctx, FleetOptions{DriverAddr: h.Addr(), Sec: &rpc.Security{Secret: []byte("wrong")}, Executors: 1, IDPrefix: "intruder-"}); err == nil {
		f.Close()
		t.Fatal("an executor with the wrong secret registered")
	}

	f, err := StartFleet(ctx, FleetOptions{DriverAddr: h.Addr(), Sec: &rpc.Security{Secret: []byte(secret)}, Executors: executors, Cores: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := h.WaitRegistered(ctx, executors); err != nil {
		t.Fatal(err)
	}
	if got := len(h.Driver.Executors()); got != executors {
		t.Fatalf("driver lists %d executors, want %d", got, executors)
	}
	if err := f.Storm(ctx, 5); err != nil {
		t.Fatal(err)
	}

	stormDone := make(chan error, 1)
	go func() { stormDone <- f.Storm(ctx, 20) }()
	res, err := h.RunJob(ctx, tasks)
	if err != nil {
		t.Fatal(err)
	}
	if err := <-stormDone; err != nil {
		t.Fatal(err)
	}
	for p, n := range res.Results {
		if n != 1 {
			t.Fatalf("partition %d: %d results, want 1", p, n)
		}
	}
	if want := int64(tasks) * (tasks - 1) / 2; res.Sum != want {
		t.Errorf("sum of results %d, want %d", res.Sum, want)
	}
	if got := f.Launches(); got != tasks {
		t.Errorf("executors ran %d task attempts, want %d (one per task)", got, tasks)
	}
	if lost := h.Lost(); len(lost) > 0 {
		t.Errorf("driver declared live executors lost: %v", lost)
	}
	if errs := f.Errors(); len(errs) > 0 {
		t.Errorf("executor connections broke: %v", errs)
	}
	if got := len(h.Driver.Executors()); got != executors {
		t.Errorf("driver lists %d executors after the job, want %d", got, executors)
	}
}
