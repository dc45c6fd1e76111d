package cluster

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gospark/gospark/internal/memory"
	"github.com/gospark/gospark/internal/rpc"
	"github.com/gospark/gospark/internal/scheduler"
	"github.com/gospark/gospark/internal/shuffle"
	"github.com/gospark/gospark/internal/storage"
	"github.com/gospark/gospark/internal/task"
)

// echoRunner answers a task with its payload, upper-cased, or fails when
// the payload says so.
type echoRunner struct{ ran chan string }

func (r echoRunner) RunTask(ctx context.Context, tc *task.Context, payload []byte) ([]byte, error) {
	if r.ran != nil {
		r.ran <- string(payload)
	}
	switch string(payload) {
	case "fail":
		return nil, errors.New("deliberate failure")
	case "block":
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return bytes.ToUpper(payload), nil
}

type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

type testDriver struct {
	*Driver
	log        *logBuf
	registered chan string
	lost       chan string
}

func startDriver(t *testing.T, secret string, timeout time.Duration) *testDriver {
	t.Helper()
	td := &testDriver{log: &logBuf{}, registered: make(chan string, 8), lost: make(chan string, 8)}
	d, err := NewDriver(DriverOptions{
		AppID: "app-test", Addr: "127.0.0.1:0", Sec: &rpc.Security{Secret: []byte(secret), Timeout: 5 * time.Second},
		Timeout: timeout, Parallelism: 2,
		Encode: func(t *scheduler.Task, _ string) ([]byte, error) { return t.Action.Spec, nil },
		Statuses: func(_ context.Context, id int64) ([]*shuffle.MapStatus, error) {
			return []*shuffle.MapStatus{{ShuffleID: id, MapIndex: 0, ExecutorID: "9"}}, nil
		},
		Broadcast:    func(id int64) ([]byte, error) { return []byte("value"), nil },
		OnRegistered: func(id string) { td.registered <- id },
		OnLost:       func(id, reason string) { td.lost <- id + ": " + reason },
		Log:          slog.New(slog.NewTextHandler(td.log, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	td.Driver = d
	t.Cleanup(func() { d.Stop(time.Second) })
	return td
}

func executorOpts(t *testing.T, id, driverURL, secret string) ExecutorOptions {
	dir := t.TempDir()
	return ExecutorOptions{ID: id, DriverURL: driverURL, Cores: 2,
		Sec:       &rpc.Security{Secret: []byte(secret), Timeout: 5 * time.Second},
		BindHost:  "127.0.0.1",
		Heartbeat: 50 * time.Millisecond, Timeout: 2 * time.Second,
		Env: &task.Env{ExecutorID: id, LocalDir: dir}, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

func launch(d *Driver, exec, payload string) chan scheduler.Result {
	ch := make(chan scheduler.Result, 1)
	t := &scheduler.Task{ID: 7, Kind: task.Result, Action: &scheduler.Action{
		Spec:   []byte(payload),
		Decode: func(_ int, p []byte) (any, error) { return string(p), nil },
	}}
	d.Launch(context.Background(), exec, t, func(r scheduler.Result) { ch <- r })
	return ch
}

func wait[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

func TestExecutorRegistersRunsTasksAndStops(t *testing.T) {
	d := startDriver(t, "s3cret", 5*time.Second)
	done := make(chan error, 1)
	go func() {
		done <- RunExecutor(context.Background(), executorOpts(t, "1", d.Addr(), "s3cret"),
			func(*Executor) (Runner, error) { return echoRunner{}, nil })
	}()
	if id := wait(t, d.registered, "registration"); id != "1" {
		t.Fatalf("registered %q, want 1", id)
	}
	if ex := d.Executors(); len(ex) != 1 || ex[0].Cores != 2 {
		t.Fatalf("executors %+v, want one with 2 cores", ex)
	}
	r := wait(t, launch(d.Driver, "1", "hello"), "task result")
	if r.Err != nil || r.Value != "HELLO" || r.ExecutorID != "1" {
		t.Fatalf("result %+v, want HELLO from executor 1", r)
	}
	r = wait(t, launch(d.Driver, "1", "fail"), "failed task")
	var re *RemoteError
	if !errors.As(r.Err, &re) || !strings.Contains(re.Msg, "deliberate failure") {
		t.Fatalf("error %v, want the executor's deliberate failure", r.Err)
	}
	d.Stop(5 * time.Second)
	if err := wait(t, done, "executor exit"); err != nil {
		t.Fatalf("executor told to stop returned %v, want nil", err)
	}
}

func TestExecutorExitsWhenDriverIsGone(t *testing.T) {
	d := startDriver(t, "s3cret", 5*time.Second)
	done := make(chan error, 1)
	go func() {
		done <- RunExecutor(context.Background(), executorOpts(t, "1", d.Addr(), "s3cret"),
			func(*Executor) (Runner, error) { return echoRunner{}, nil })
	}()
	wait(t, d.registered, "registration")
	// The driver disappears without a word, as a killed process does.
	d.ln.Close()
	d.mu.Lock()
	for _, e := range d.execs {
		e.conn.Close()
	}
	d.mu.Unlock()
	if err := wait(t, done, "executor exit"); !errors.Is(err, ErrDriverGone) {
		t.Fatalf("executor returned %v, want ErrDriverGone", err)
	}
}

func TestExecutorExitsWhenHeartbeatsGoUnanswered(t *testing.T) {
	// A driver that registers the executor and then never answers.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	sec := &rpc.Security{Secret: []byte("s"), Timeout: 5 * time.Second}
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		ac, err := sec.Accept(c)
		if err != nil {
			return
		}
		conn := rpc.NewConn(ac)
		var m message
		_ = conn.Recv(&m)
		_ = conn.Send(&message{Kind: msgRegistered})
		for conn.Recv(&m) == nil { // swallow heartbeats
		}
	}()
	opts := executorOpts(t, "1", l.Addr().String(), "s")
	opts.Timeout = 500 * time.Millisecond
	start := time.Now()
	err = RunExecutor(context.Background(), opts, func(*Executor) (Runner, error) { return echoRunner{}, nil })
	if !errors.Is(err, ErrDriverGone) || !strings.Contains(err.Error(), "heartbeats") {
		t.Fatalf("executor returned %v, want ErrDriverGone for unanswered heartbeats", err)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Fatalf("executor took %s to give up, want about spark.network.timeout (500ms)", el)
	}
}

func TestDriverLosesSilentExecutorAndFailsItsTasks(t *testing.T) {
	d := startDriver(t, "", 400*time.Millisecond)
	// A fake executor that registers, takes a task and goes silent.
	c, err := (&rpc.Security{Timeout: time.Second}).Dial("tcp", d.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	conn := rpc.NewConn(c)
	if err := conn.Send(&message{Kind: msgRegister, ExecutorID: "5", Cores: 1}); err != nil {
		t.Fatal(err)
	}
	wait(t, d.registered, "registration")
	res := launch(d.Driver, "5", "block")
	lost := wait(t, d.lost, "executor lost")
	if !strings.HasPrefix(lost, "5: no heartbeat") {
		t.Fatalf("lost %q, want executor 5 lost for missing heartbeats", lost)
	}
	r := wait(t, res, "failed task")
	var el *ExecutorLostError
	if !errors.As(r.Err, &el) || el.ExecutorID != "5" {
		t.Fatalf("task error %v, want ExecutorLostError for 5", r.Err)
	}
	if len(d.Executors()) != 0 {
		t.Fatalf("lost executor still offered: %+v", d.Executors())
	}
}

func TestClientWithoutSecretGetsNothing(t *testing.T) {
	d := startDriver(t, "right", 5*time.Second)
	for _, tc := range []struct {
		name string
		dial func() (net.Conn, error)
	}{
		{"no secret", func() (net.Conn, error) { return (&rpc.Security{Timeout: time.Second}).Dial("tcp", d.Addr()) }},
		{"wrong secret", func() (net.Conn, error) {
			return (&rpc.Security{Secret: []byte("wrong"), Timeout: time.Second}).Dial("tcp", d.Addr())
		}},
	} {
		if c, err := tc.dial(); err == nil || !errors.Is(err, rpc.ErrAuth) {
			if c != nil {
				c.Close()
			}
			t.Fatalf("%s: dial returned %v, want ErrAuth", tc.name, err)
		}
	}
	// A raw client that skips the handshake and sends a registration.
	raw, err := net.Dial("tcp", d.Addr())
	if err != nil {
		t.Fatal(err)
	}
	conn := rpc.NewConn(raw)
	_ = conn.Send(&message{Kind: msgRegister, ExecutorID: "evil", Cores: 8})
	_ = raw.SetReadDeadline(time.Now().Add(3 * time.Second))
	got, _ := io.ReadAll(raw)
	raw.Close()
	// All it may see is the greeting: one byte and the server's nonce.
	if len(got) > 1+32 {
		t.Fatalf("unauthenticated client received %d bytes, want at most the %d-byte greeting", len(got), 33)
	}
	select {
	case id := <-d.registered:
		t.Fatalf("executor %q registered without the secret", id)
	case <-time.After(200 * time.Millisecond):
	}
	if len(d.Executors()) != 0 {
		t.Fatalf("executors %+v registered without the secret", d.Executors())
	}
	if !strings.Contains(d.log.String(), "refused a connection to the driver") {
		t.Fatalf("refusal not logged:\n%s", d.log.String())
	}
}

func TestBlockServerServesShuffleBlocksOnlyToTheSecret(t *testing.T) {
	d := startDriver(t, "k", 5*time.Second)
	opts := executorOpts(t, "1", d.Addr(), "k")
	// A map output of two reduce partitions: "hello" and "world!".
	sdir := shuffle.Dir(opts.Env.LocalDir)
	if err := os.MkdirAll(sdir, 0o755); err != nil {
		t.Fatal(err)
	}
	data, index := filepath.Join(sdir, "shuffle_1_0_0.data"), filepath.Join(sdir, "shuffle_1_0_0.index")
	if err := os.WriteFile(data, []byte("helloworld!"), 0o644); err != nil {
		t.Fatal(err)
	}
	idx := make([]byte, 24)
	idx[15], idx[23] = 5, 11
	if err := os.WriteFile(index, idx, 0o644); err != nil {
		t.Fatal(err)
	}
	xs := make(chan *Executor, 1)
	go func() {
		_ = RunExecutor(context.Background(), opts, func(x *Executor) (Runner, error) { xs <- x; return echoRunner{}, nil })
	}()
	x := wait(t, xs, "executor")
	st := &shuffle.MapStatus{ShuffleID: 1, ExecutorID: "1", Addr: x.BlockAddr(), DataFile: data, IndexFile: index, Sizes: []int64{5, 6}}
	f := NewFetcher("2", &rpc.Security{Secret: []byte("k"), Timeout: time.Second}, 48<<20)
	defer f.Close()
	for reduce, want := range []string{"hello", "world!"} {
		rc, err := f.Open(context.Background(), st, reduce)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(rc)
		rc.Close()
		if string(got) != want {
			t.Fatalf("reduce %d: got %q, want %q", reduce, got, want)
		}
	}
	// Files outside the executor's shuffle directory are refused.
	bad := *st
	bad.DataFile = "/etc/passwd"
	if _, err := f.Open(context.Background(), &bad, 0); err == nil || !strings.Contains(err.Error(), "not a shuffle file") {
		t.Fatalf("fetching /etc/passwd: %v, want a refusal", err)
	}
	// Without the secret: no connection, no bytes.
	nf := NewFetcher("2", &rpc.Security{Secret: []byte("nope"), Timeout: time.Second}, 48<<20)
	defer nf.Close()
	if _, err := nf.Open(context.Background(), st, 0); !errors.Is(err, rpc.ErrAuth) {
		t.Fatalf("fetch with the wrong secret: %v, want ErrAuth", err)
	}
}

func TestExecutorAsksDriverForStatusesAndBroadcasts(t *testing.T) {
	d := startDriver(t, "k", 5*time.Second)
	xs := make(chan *Executor, 1)
	go func() {
		_ = RunExecutor(context.Background(), executorOpts(t, "1", d.Addr(), "k"),
			func(x *Executor) (Runner, error) { xs <- x; return echoRunner{}, nil })
	}()
	x := wait(t, xs, "executor")
	sts, err := x.Statuses(context.Background(), 42)
	if err != nil || len(sts) != 1 || sts[0].ShuffleID != 42 || sts[0].ExecutorID != "9" {
		t.Fatalf("statuses %+v, %v", sts, err)
	}
	b, err := x.Broadcast(context.Background(), 3)
	if err != nil || string(b) != "value" {
		t.Fatalf("broadcast %q, %v", b, err)
	}
}

func TestCachedBlocksServedToPeers(t *testing.T) {
	d := startDriver(t, "k", 5*time.Second)
	opts := executorOpts(t, "1", d.Addr(), "k")
	mem, err := memory.New(64<<20, 1, 0.6)
	if err != nil {
		t.Fatal(err)
	}
	opts.Env.Blocks = storage.New(mem, opts.Env.LocalDir)
	id := storage.BlockID{Dataset: 3, Partition: 1}
	opts.Env.Blocks.PutMemory(id, []int{1, 2}, 16, 2, func(w io.Writer) error {
		_, err := w.Write([]byte("encoded-partition"))
		return err
	})
	ran := make(chan string, 1)
	go func() {
		_ = RunExecutor(context.Background(), opts, func(x *Executor) (Runner, error) { return echoRunner{ran: ran}, nil })
	}()
	wait(t, d.registered, "registration")
	// The block is reported with the next task's status.
	if d.HasBlock(id) {
		t.Fatal("driver knows of a block before any status reported it")
	}
	if r := wait(t, launch(d.Driver, "1", "x"), "task"); r.Err != nil {
		t.Fatal(r.Err)
	}
	if !d.HasBlock(id) {
		t.Fatal("driver does not know of the block executor 1 reported")
	}
	// Executor 2 fetches it through the driver's locations.
	xs := make(chan *Executor, 1)
	go func() {
		_ = RunExecutor(context.Background(), executorOpts(t, "2", d.Addr(), "k"),
			func(x *Executor) (Runner, error) { xs <- x; return echoRunner{}, nil })
	}()
	x2 := wait(t, xs, "executor 2")
	got, err := x2.env.PeerBlocks.FetchBlock(context.Background(), id)
	if err != nil || string(got) != "encoded-partition" {
		t.Fatalf("FetchBlock: %q, %v", got, err)
	}
	if _, err := x2.env.PeerBlocks.FetchBlock(context.Background(), storage.BlockID{Dataset: 3, Partition: 2}); !errors.Is(err, ErrNoBlock) {
		t.Fatalf("fetching a block nobody has: %v, want ErrNoBlock", err)
	}
}
