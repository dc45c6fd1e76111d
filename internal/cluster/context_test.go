package cluster

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/gospark/gospark/internal/rpc"
	"github.com/gospark/gospark/internal/scheduler"
	"github.com/gospark/gospark/internal/shuffle"
)

// A reducer's question to the driver (where are the map outputs?) ends
// with the task: when the task's context is cancelled, Statuses returns at
// once with context.Canceled instead of waiting spark.network.timeout for
// an answer that does not come.
func TestStatusesRequestFollowsTheTaskContext(t *testing.T) {
	const networkTimeout = time.Minute // spark.network.timeout, on both sides
	asked := make(chan int64, 1)
	release := make(chan struct{})
	log := &logBuf{}
	d, err := NewDriver(DriverOptions{
		AppID: "app-test", Addr: "127.0.0.1:0", Sec: &rpc.Security{Secret: []byte("k"), Timeout: 5 * time.Second},
		Timeout: networkTimeout, Parallelism: 2,
		Encode: func(t *scheduler.Task, _ string) ([]byte, error) { return t.Action.Spec, nil },
		// A driver that takes the request and never answers it (until the
		// test ends). Heartbeats are still answered.
		Statuses: func(_ context.Context, id int64) ([]*shuffle.MapStatus, error) {
			asked <- id
			<-release
			return nil, errors.New("answered after the test")
		},
		Broadcast: func(int64) ([]byte, error) { return nil, errors.New("no broadcasts") },
		Log:       slog.New(slog.NewTextHandler(log, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		close(release)
		d.Stop(time.Second)
	})
	opts := executorOpts(t, "1", d.Addr(), "k")
	opts.Timeout = networkTimeout
	xs := make(chan *Executor, 1)
	go func() {
		_ = RunExecutor(context.Background(), opts, func(x *Executor) (Runner, error) { xs <- x; return echoRunner{}, nil })
	}()
	x := wait(t, xs, "executor")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type answer struct {
		sts []*shuffle.MapStatus
		err error
		at  time.Time
	}
	res := make(chan answer, 1)
	go func() {
		sts, err := x.Statuses(ctx, 42)
		res <- answer{sts, err, time.Now()}
	}()
	if id := wait(t, asked, "the request to reach the driver"); id != 42 {
		t.Fatalf("driver asked for shuffle %d, want 42", id)
	}
	cancelled := time.Now()
	cancel()
	select {
	case a := <-res:
		if el := a.at.Sub(cancelled); el > 2*time.Second {
			t.Fatalf("Statuses returned %s after its context was cancelled, want well under spark.network.timeout (%s)", el, networkTimeout)
		}
		if !errors.Is(a.err, context.Canceled) {
			t.Fatalf("Statuses after cancel: %v, %v; want an error wrapping context.Canceled", a.sts, a.err)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("Statuses still waiting 20s after its context was cancelled (spark.network.timeout is %s)", networkTimeout)
	}
	// The executor is still connected and usable.
	if n := len(d.Executors()); n != 1 {
		t.Fatalf("%d executors registered after the cancelled request, want 1", n)
	}
}
