package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gospark/gospark/internal/rpc"
	"github.com/gospark/gospark/internal/scheduler"
	"github.com/gospark/gospark/internal/shuffle"
	"github.com/gospark/gospark/internal/storage"
	"github.com/gospark/gospark/internal/task"
)

// Runner runs a task the driver described (spark's executor session).
type Runner interface {
	RunTask(ctx context.Context, tc *task.Context, payload []byte) ([]byte, error)
}

// AccumEncoder is implemented by accumulator updates that executors send
// to the driver.
type AccumEncoder interface {
	EncodeAccum() ([]byte, error)
}

// ExecutorOptions configure an executor process.
type ExecutorOptions struct {
	ID        string
	DriverURL string
	Cores     int
	Sec       *rpc.Security
	// BindHost is the address the block server listens on.
	BindHost string
	// Heartbeat is spark.executor.heartbeatInterval; Timeout is
	// spark.network.timeout: without an answer from the driver for that
	// long, the executor exits.
	Heartbeat time.Duration
	Timeout   time.Duration
	// MaxInFlight is spark.reducer.maxSizeInFlight.
	MaxInFlight int64
	// Env is the executor's environment; RunExecutor sets its MapOutputs
	// and Fetcher.
	Env *task.Env
	// Host is the executor's host for the cluster manager (launch.EnvHost).
	Host string
	// Service fetches map output that an external shuffle service serves
	// (nil without one).
	Service ServiceFetcher
	// Leave is closed when the executor is told to leave (SIGTERM): with
	// Decommission.Enabled it decommissions itself, otherwise it exits.
	Leave        <-chan struct{}
	Decommission DecommissionOptions
	Log          *slog.Logger
}

// DecommissionOptions are spark.decommission.enabled and
// spark.storage.decommission.*.
type DecommissionOptions struct {
	Enabled bool
	// Shuffle and RDD hand the executor's map outputs and cached blocks
	// to peers (spark.storage.decommission.enabled and its
	// shuffleBlocks/rddBlocks); Shuffle is off when a shuffle service
	// serves the outputs anyway.
	Shuffle, RDD bool
	// ForceKill is spark.executor.decommission.forceKillTimeout: the
	// executor exits then even if its tasks or the migration are not
	// done (0: no limit).
	ForceKill time.Duration
}

// ServiceFetcher reads map output from an external shuffle service.
type ServiceFetcher interface {
	Fetch(ctx context.Context, addr, execID, fileBase string, reduce int) ([]byte, error)
}

// ErrTerminated is returned by RunExecutor when the executor was told to
// leave without decommissioning.
var ErrTerminated = errors.New("cluster: executor terminated (SIGTERM) without spark.decommission.enabled")

// Executor is a running executor process's link to its driver.
type Executor struct {
	opts      ExecutorOptions
	conn      *rpc.Conn
	env       *task.Env
	blockAddr string

	reqID   atomic.Uint64
	mu      sync.Mutex
	pending map[uint64]chan *message
	tasks   map[int64]context.CancelFunc
	acked   time.Time
	service string // the external shuffle service's address
	fetcher *Fetcher
	leaving atomic.Bool // decommissioning: launches are refused
}

// ErrDriverGone is returned by RunExecutor when the driver disappeared.
var ErrDriverGone = errors.New("cluster: driver is gone")

// RunExecutor connects to the driver, registers and runs tasks until the
// driver says to stop (nil) or is gone (ErrDriverGone). newRunner is called
// once registered.
func RunExecutor(ctx context.Context, opts ExecutorOptions, newRunner func(*Executor) (Runner, error)) error {
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.Heartbeat <= 0 {
		opts.Heartbeat = 10 * time.Second
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 120 * time.Second
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	bl, err := net.Listen("tcp", net.JoinHostPort(opts.BindHost, "0"))
	if err != nil {
		return fmt.Errorf("cluster: block server: %w", err)
	}
	defer bl.Close()
	c, err := dialDriver(ctx, opts)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrDriverGone, err)
	}
	conn := rpc.NewConn(c)
	defer conn.Close()
	x := &Executor{opts: opts, conn: conn, env: opts.Env, blockAddr: bl.Addr().String(), pending: make(map[uint64]chan *message),
		tasks: make(map[int64]context.CancelFunc), acked: time.Now()}
	fetcher := NewFetcher(opts.ID, opts.Sec, opts.MaxInFlight)
	fetcher.service = opts.Service
	x.fetcher = fetcher
	defer fetcher.Close()
	opts.Env.MapOutputs = x
	opts.Env.Fetcher = fetcher
	opts.Env.PeerBlocks = &peerBlocks{x: x, f: fetcher}
	srv := &rpc.Listener{Listener: bl, Sec: opts.Sec, OnRefused: func(a net.Addr, err error) {
		opts.Log.Warn("refused a connection to the block server", "remote", a.String(), "error", err)
	}}
	go func() { _ = srv.Serve(func(c net.Conn) { serveBlocks(c, opts.Env, &x.leaving, opts.Log) }) }()

	if err := conn.Send(&message{Kind: msgRegister, ExecutorID: opts.ID, Cores: opts.Cores,
		BlockAddr: bl.Addr().String(), PID: os.Getpid(), LocalDir: opts.Env.LocalDir, Host: opts.Host,
		MaxMemory: storageMemory(opts.Env)}); err != nil {
		return fmt.Errorf("%w: %w", ErrDriverGone, err)
	}
	_ = c.SetReadDeadline(time.Now().Add(opts.Timeout))
	var reg message
	if err := conn.Recv(&reg); err != nil {
		return fmt.Errorf("%w: registering: %w", ErrDriverGone, err)
	}
	_ = c.SetReadDeadline(time.Time{})
	if reg.Kind != msgRegistered {
		return fmt.Errorf("cluster: the driver refused executor %s: %s", opts.ID, reg.Reason)
	}
	x.service = reg.ShuffleService
	runner, err := newRunner(x)
	if err != nil {
		return err
	}
	opts.Log.Info("registered with the driver", "driver", opts.DriverURL)

	recvErr := make(chan error, 1)
	shutdown := make(chan string, 1)
	go func() { recvErr <- x.receive(ctx, runner, shutdown) }()
	tick := time.NewTicker(opts.Heartbeat)
	defer tick.Stop()
	leave := opts.Leave
	var decommissioned chan struct{}
	for {
		select {
		case <-leave:
			leave = nil
			if !opts.Decommission.Enabled {
				opts.Log.Info("told to leave (SIGTERM); exiting without decommissioning (spark.decommission.enabled=false)")
				return ErrTerminated
			}
			decommissioned = make(chan struct{})
			go func() {
				defer close(decommissioned)
				x.decommission(ctx)
			}()
		case <-decommissioned:
			opts.Log.Info("decommissioned; exiting")
			return nil
		case <-ctx.Done():
			return ctx.Err()
		case reason := <-shutdown:
			opts.Log.Info("driver asked the executor to stop", "reason", reason)
			return nil
		case err := <-recvErr:
			return fmt.Errorf("%w: %w", ErrDriverGone, err)
		case <-tick.C:
			x.mu.Lock()
			silent := time.Since(x.acked)
			x.mu.Unlock()
			if silent > opts.Timeout {
				return fmt.Errorf("%w: no answer to heartbeats for %s", ErrDriverGone, silent.Round(time.Second))
			}
			if err := conn.Send(&message{Kind: msgHeartbeat, ExecutorID: opts.ID}); err != nil {
				return fmt.Errorf("%w: heartbeat: %w", ErrDriverGone, err)
			}
		}
	}
}

func (x *Executor) receive(ctx context.Context, runner Runner, shutdown chan<- string) error {
	for {
		var m message
		if err := x.conn.Recv(&m); err != nil {
			return err
		}
		x.mu.Lock()
		x.acked = time.Now()
		x.mu.Unlock()
		switch m.Kind {
		case msgHeartbeatAck:
		case msgLaunch:
			if x.leaving.Load() {
				// Sent before the driver heard the executor is leaving.
				_ = x.conn.Send(&message{Kind: msgStatus, TaskID: m.Task.ID, Status: &statusMsg{Leaving: true, Err: "executor is decommissioning"}})
				continue
			}
			tctx, cancel := context.WithCancel(ctx)
			x.mu.Lock()
			x.tasks[m.Task.ID] = cancel
			x.mu.Unlock()
			go x.run(tctx, runner, m.Task)
		case msgKill:
			x.mu.Lock()
			if cancel := x.tasks[m.TaskID]; cancel != nil {
				cancel()
			}
			x.mu.Unlock()
		case msgResponse:
			x.mu.Lock()
			ch := x.pending[m.ReqID]
			delete(x.pending, m.ReqID)
			x.mu.Unlock()
			if ch != nil {
				ch <- &m
			}
		case msgShutdown:
			shutdown <- m.Reason
			return nil
		}
	}
}

func (x *Executor) run(ctx context.Context, runner Runner, tm *taskMsg) {
	tc := &task.Context{TaskID: tm.ID, JobID: tm.JobID, StageID: tm.StageID, StageAttempt: tm.StageAttempt,
		Partition: tm.Partition, Attempt: tm.Attempt, Kind: task.Kind(tm.Kind), Env: x.env, Metrics: new(task.Metrics)}
	start := time.Now()
	st := &statusMsg{}
	func() {
		defer func() {
			if v := recover(); v != nil {
				st.Err = (&scheduler.PanicError{Value: v, Stack: debug.Stack()}).Error()
				st.Panic = true
			}
		}()
		value, err := runner.RunTask(ctx, tc, tm.Payload)
		var ff *shuffle.FetchFailedError
		switch {
		case errors.As(err, &ff):
			st.Fetch = &fetchFailure{ShuffleID: ff.ShuffleID, MapIndex: ff.MapIndex, ExecutorID: ff.ExecutorID, Reduce: ff.Reduce, Msg: ff.Err.Error(),
				Addr: ff.Addr, Service: ff.Service}
			st.Err = err.Error()
		case err != nil:
			st.Err = err.Error()
		default:
			st.Value = value
		}
	}()
	if st.Err == "" {
		for id, v := range tc.AccumUpdates() {
			e, ok := v.(AccumEncoder)
			if !ok {
				st.Err = fmt.Sprintf("accumulator %d: update %T cannot be sent to the driver", id, v)
				break
			}
			b, err := e.EncodeAccum()
			if err != nil {
				st.Err = fmt.Sprintf("accumulator %d: %v", id, err)
				break
			}
			if st.Accums == nil {
				st.Accums = make(map[int64][]byte)
			}
			st.Accums[id] = b
		}
		if st.Err != "" {
			st.Value, st.Accums = nil, nil
		}
	}
	st.Duration = time.Since(start)
	st.Metrics = tc.Metrics.Snapshot()
	st.Metrics.RunTime = st.Duration
	st.Metrics.ResultSize = int64(len(st.Value))
	if x.env.Blocks != nil {
		st.Blocks = x.env.Blocks.TakeAdded()
	}
	x.mu.Lock()
	if cancel := x.tasks[tm.ID]; cancel != nil {
		cancel()
		delete(x.tasks, tm.ID)
	}
	x.mu.Unlock()
	if err := x.conn.Send(&message{Kind: msgStatus, TaskID: tm.ID, Status: st}); err != nil {
		x.opts.Log.Warn("reporting a task's status", "task", tm.ID, "error", err)
	}
}

// request sends a request to the driver and waits for its answer.
func (x *Executor) request(ctx context.Context, m *message) (*message, error) {
	m.Kind = msgRequest
	m.ReqID = x.reqID.Add(1)
	ch := make(chan *message, 1)
	x.mu.Lock()
	x.pending[m.ReqID] = ch
	x.mu.Unlock()
	drop := func() {
		x.mu.Lock()
		delete(x.pending, m.ReqID)
		x.mu.Unlock()
	}
	if err := x.conn.Send(m); err != nil {
		drop()
		return nil, err
	}
	select {
	case r := <-ch:
		return r, nil
	case <-ctx.Done():
		drop()
		return nil, ctx.Err()
	case <-time.After(x.opts.Timeout):
		drop()
		return nil, fmt.Errorf("cluster: no answer from the driver in %s", x.opts.Timeout)
	}
}

// Statuses implements task.MapOutputs by asking the driver.
func (x *Executor) Statuses(ctx context.Context, shuffleID int64) ([]*shuffle.MapStatus, error) {
	r, err := x.request(ctx, &message{ShuffleID: shuffleID})
	if err != nil && ctx.Err() != nil {
		return nil, fmt.Errorf("cluster: asking the driver for shuffle %d's map outputs: %w", shuffleID, err) // the task was killed
	}
	if err != nil {
		return nil, &shuffle.FetchFailedError{ShuffleID: shuffleID, MapIndex: -1, Err: err}
	}
	if r.Missing {
		return nil, &shuffle.FetchFailedError{ShuffleID: shuffleID, MapIndex: r.MapIndex, Err: errors.New(r.Err)}
	}
	if r.Err != "" {
		return nil, errors.New(r.Err)
	}
	return r.Statuses, nil
}

// Broadcast fetches a broadcast value's encoding from the driver.
func (x *Executor) Broadcast(ctx context.Context, id int64) ([]byte, error) {
	r, err := x.request(ctx, &message{BroadcastID: id})
	if err != nil {
		return nil, fmt.Errorf("broadcast %d: %w", id, err)
	}
	if r.Err != "" {
		return nil, fmt.Errorf("broadcast %d: %s", id, r.Err)
	}
	return r.Data, nil
}

// ShuffleService is the address of the external shuffle service the
// driver gave the executor ("" without one).
func (x *Executor) ShuffleService() string {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.service
}

// ResolveShuffleService asks the driver for the shuffle service again
// (the one known does not answer: its pod was replaced, say).
func (x *Executor) ResolveShuffleService(ctx context.Context) (string, error) {
	r, err := x.request(ctx, &message{ServiceReq: true})
	if err != nil {
		return "", fmt.Errorf("cluster: asking the driver for the shuffle service: %w", err)
	}
	if r.Err != "" {
		return "", fmt.Errorf("cluster: %s", r.Err)
	}
	x.mu.Lock()
	x.service = r.ShuffleService
	x.mu.Unlock()
	return r.ShuffleService, nil
}

// BlockAddr is the address of the executor's block server.
func (x *Executor) BlockAddr() string { return x.blockAddr }

// ID is the executor's id.
func (x *Executor) ID() string { return x.opts.ID }

// ErrNoBlock is the error of fetching a cached partition no other executor
// holds.
var ErrNoBlock = errors.New("cluster: no other executor holds the block")

type peerBlocks struct {
	x *Executor
	f *Fetcher
}

// FetchBlock implements task.PeerBlocks: it asks the driver which
// executors hold the partition and fetches it from the first that answers.
func (p *peerBlocks) FetchBlock(ctx context.Context, id storage.BlockID) ([]byte, error) {
	r, err := p.x.request(ctx, &message{Block: &id, ExecutorID: p.x.opts.ID})
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, addr := range r.Addrs {
		b, err := p.f.fetchBlock(ctx, addr, id)
		if err == nil {
			return b, nil
		}
		errs = append(errs, err)
	}
	if len(errs) == 0 {
		return nil, ErrNoBlock
	}
	return nil, errors.Join(errs...)
}

// dialRetryFor bounds how long an executor keeps trying to reach its driver
// at start: on Kubernetes the driver's Service name may not resolve yet
// when the first executor pods start.
const dialRetryFor = 30 * time.Second

// dialDriver connects to the driver, retrying for a while when it cannot
// be reached (yet).
func dialDriver(ctx context.Context, opts ExecutorOptions) (net.Conn, error) {
	deadline := time.Now().Add(min(dialRetryFor, opts.Timeout))
	for wait := 100 * time.Millisecond; ; wait = min(2*wait, 2*time.Second) {
		c, err := opts.Sec.Dial("tcp", opts.DriverURL)
		if err == nil || time.Now().Add(wait).After(deadline) {
			return c, err
		}
		if errors.Is(err, rpc.ErrAuth) {
			return nil, err // a refusal, not a driver that is not there yet
		}
		opts.Log.Info("driver not reachable yet; retrying", "driver", opts.DriverURL, "error", err)
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait):
		}
	}
}

// storageMemory is the memory the executor may give cached blocks (Spark's
// block manager's maximum memory: the unified region).
func storageMemory(env *task.Env) int64 {
	if env == nil || env.Memory == nil {
		return 0
	}
	return env.Memory.Usable()
}
