package spark

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/gospark/gospark/internal/cluster"
	"github.com/gospark/gospark/internal/config"
	"github.com/gospark/gospark/internal/launch"
	"github.com/gospark/gospark/internal/master"
	"github.com/gospark/gospark/internal/shuffle"
	"github.com/gospark/gospark/internal/shuffleservice"
	"github.com/gospark/gospark/internal/task"
)

// executorRuntime is an executor process: it rebuilds the driver's plans
// in its own session (which has no scheduler) by replaying the driver's
// calls, and runs the tasks the driver sends. It implements
// cluster.Runner.
type executorRuntime struct {
	sess    *Session
	link    *cluster.Executor
	catchup replayState

	mu     sync.Mutex
	bcasts map[int64][]byte // broadcast values fetched from the driver

	// service is the external shuffle service's client (nil without
	// one).
	service   *shuffleservice.Client
	serviceMu sync.Mutex
}

// leaveSignal is closed at the first SIGTERM: a pod deleted with a grace
// period, or the cluster manager decommissioning the executor.
func leaveSignal(ctx context.Context) <-chan struct{} {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM)
	leave := make(chan struct{})
	go func() {
		defer signal.Stop(sig)
		select {
		case <-sig:
			close(leave)
		case <-ctx.Done():
		}
	}()
	return leave
}

// decommissionOptions reads spark.decommission.enabled and
// spark.storage.decommission.*.
func decommissionOptions(conf *config.Conf) cluster.DecommissionOptions {
	storage := conf.Bool("spark.storage.decommission.enabled")
	o := cluster.DecommissionOptions{
		Enabled: conf.Bool("spark.decommission.enabled"),
		Shuffle: storage && conf.Bool("spark.storage.decommission.shuffleBlocks.enabled") && !conf.Bool("spark.shuffle.service.enabled"),
		RDD:     storage && conf.Bool("spark.storage.decommission.rddBlocks.enabled"),
	}
	if conf.Has("spark.executor.decommission.forceKillTimeout") {
		o.ForceKill = conf.Duration("spark.executor.decommission.forceKillTimeout")
	}
	return o
}

// registerWithService registers the executor with its shuffle service:
// once at start, and again before each map output is reported, since a
// restarted service pod forgets its executors (and may have a new
// address); registering again is one round trip on a pooled connection.
// When the service does not answer, the executor asks the driver where it
// is now (resolve; not at start: the driver's answers are not read yet)
// and tries again for up to 30 s.
func (x *executorRuntime) registerWithService(ctx context.Context, resolve bool) error {
	x.serviceMu.Lock()
	defer x.serviceMu.Unlock()
	id := x.link.ID()
	deadline := time.Now().Add(30 * time.Second)
	var last error
	for wait := 200 * time.Millisecond; ; wait = min(2*wait, 2*time.Second) {
		addr := x.link.ShuffleService()
		err := x.service.RegisterExecutor(ctx, addr, id)
		if err == nil {
			return nil
		}
		if errors.Is(err, shuffleservice.ErrRefused) {
			return fmt.Errorf("spark: the shuffle service at %s refused executor %s: %w", addr, id, err)
		}
		last = fmt.Errorf("spark: registering executor %s with the shuffle service at %s: %w", id, addr, err)
		x.sess.log.Warn("the shuffle service does not answer; trying again", "service", addr, "error", err)
		if time.Now().Add(wait).After(deadline) {
			return last
		}
		select {
		case <-ctx.Done():
			return errors.Join(last, ctx.Err())
		case <-time.After(wait):
		}
		if resolve {
			if naddr, err := x.link.ResolveShuffleService(ctx); err != nil {
				x.sess.log.Warn("asking the driver for the shuffle service", "error", err)
			} else if naddr != addr {
				x.sess.log.Info("the shuffle service moved", "from", addr, "to", naddr)
			}
		}
	}
}

// runExecutor is NewSession in an executor process: it serves the driver
// until told to stop or until the driver is gone, then exits the process.
//
// The executor's life is the driver's and the signals' business, not the
// caller's context: an application that cancels its context on SIGTERM
// (signal.NotifyContext) must not cut a decommissioning executor short.
// SIGINT ends the executor at once; SIGTERM makes it leave (leaveSignal).
func runExecutor(ctx context.Context, conf *config.Conf, m master.Master) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	interrupt := make(chan os.Signal, 1)
	signal.Notify(interrupt, os.Interrupt)
	go func() {
		select {
		case <-interrupt:
			cancel()
		case <-ctx.Done():
		}
	}()
	code := 0
	if err := executorMain(ctx, conf, m); err != nil {
		fmt.Fprintf(os.Stderr, "gospark executor %s: %v\n", os.Getenv(launch.EnvExecutorID), err)
		code = 1
	}
	os.Exit(code)
}

func executorMain(ctx context.Context, conf *config.Conf, m master.Master) error {
	self, err := launch.FromEnv()
	if err != nil {
		return fmt.Errorf("spark: %w", err)
	}
	freezeRegistry()
	s := newSessionState(conf, m)
	s.appID = self.AppID
	s.log = newLogger(conf).With("app", s.appID, "executor", self.ID)
	cores := conf.Int("spark.executor.cores")
	if self.Cores > 0 {
		cores = self.Cores
	}
	if conf.Bool("spark.shuffle.service.enabled") {
		if self.ShuffleDir == "" {
			return fmt.Errorf("spark: spark.shuffle.service.enabled is on but the cluster manager gave the executor no shuffle service directory (%s)", launch.EnvShuffleDir)
		}
		// The service's directory: it serves the files after the
		// executor is gone, and removes them when the application ends.
		s.serviceDir = shuffleservice.ExecutorDir(self.ShuffleDir, self.AppID, self.ID)
	}
	if err := s.setupEnv(ctx, self.ID, "-exec-"+self.ID, conf.Bytes("spark.executor.memory"), cores); err != nil {
		return err
	}
	defer s.cleanup()
	sec, _, err := security(conf, m.Kind, self.Secret, true)
	if err != nil {
		return err
	}
	x := &executorRuntime{sess: s, bcasts: make(map[int64][]byte)}
	s.remote = x
	opts := cluster.ExecutorOptions{
		ID: self.ID, DriverURL: self.DriverURL, Cores: cores, Sec: sec, BindHost: self.BindHost, Host: self.Host,
		Heartbeat:    conf.Duration("spark.executor.heartbeatInterval"),
		Timeout:      conf.Duration("spark.network.timeout"),
		MaxInFlight:  conf.Bytes("spark.reducer.maxSizeInFlight"),
		Env:          s.env,
		Leave:        leaveSignal(ctx),
		Decommission: decommissionOptions(conf),
		Log:          s.log,
	}
	if s.serviceDir != "" {
		x.service = shuffleservice.NewClient(self.AppID, sec.Secret, conf.Duration("spark.network.timeout"))
		defer x.service.Close()
		opts.Service = x.service
	}
	err = cluster.RunExecutor(ctx, opts, func(link *cluster.Executor) (cluster.Runner, error) {
		x.link = link
		if x.service != nil {
			if err := x.registerWithService(ctx, false); err != nil {
				return nil, err
			}
		}
		return x, nil
	})
	if errors.Is(err, cluster.ErrTerminated) {
		s.log.Info("executor told to leave; exiting")
		return nil
	}
	if err != nil {
		s.log.Warn("executor exiting", "error", err)
	}
	return err
}

// broadcastBytes fetches a broadcast value once per executor process.
func (x *executorRuntime) broadcastBytes(ctx context.Context, id int64) ([]byte, error) {
	x.mu.Lock()
	b, ok := x.bcasts[id]
	x.mu.Unlock()
	if ok {
		return b, nil
	}
	b, err := x.link.Broadcast(ctx, id)
	if err != nil {
		return nil, err
	}
	x.mu.Lock()
	x.bcasts[id] = b
	x.mu.Unlock()
	return b, nil
}

// replayState is an executor's progress through the driver's call log.
type replayState struct {
	mu      sync.Mutex
	cond    *sync.Cond
	done    int
	pending map[int]invocation
	err     error
}

// catchUp replays the calls a task brings and waits until every call the
// task needs is replayed (calls of one executor may arrive with tasks that
// run in any order).
func (x *executorRuntime) catchUp(desc *taskDesc) error {
	r := &x.catchup
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cond == nil {
		r.cond = sync.NewCond(&r.mu)
		r.pending = make(map[int]invocation)
	}
	for i, inv := range desc.Calls {
		if idx := desc.From + i; idx >= r.done {
			r.pending[idx] = inv
		}
	}
	for r.err == nil {
		inv, ok := r.pending[r.done]
		if !ok {
			break
		}
		delete(r.pending, r.done)
		if err := x.replaySafely(inv); err != nil {
			r.err = fmt.Errorf("spark: executor replaying call %d: %w", r.done, err)
			break
		}
		r.done++
	}
	r.cond.Broadcast()
	for r.err == nil && r.done < desc.Need {
		r.cond.Wait()
	}
	return r.err
}

// replaySafely replays a call, turning a panic into an error: a failed
// replay fails this and every later task of the executor.
func (x *executorRuntime) replaySafely(inv invocation) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("panic: %v", v)
		}
	}()
	return x.sess.replay(inv)
}

// RunTask runs a task the driver sent; it implements cluster.Runner.
func (x *executorRuntime) RunTask(ctx context.Context, tc *task.Context, payload []byte) ([]byte, error) {
	s := x.sess
	var desc taskDesc
	if err := decodeGob(payload, &desc); err != nil {
		return nil, fmt.Errorf("spark: decoding task: %w", err)
	}
	if err := x.catchUp(&desc); err != nil {
		return nil, err
	}
	if desc.ShuffleID != 0 {
		s.mu.Lock()
		dep := s.shuffles[desc.ShuffleID]
		s.mu.Unlock()
		if dep == nil {
			return nil, fmt.Errorf("spark: executor has no shuffle %d after replaying the driver's calls", desc.ShuffleID)
		}
		if desc.State != nil && dep.SetState != nil {
			if err := dep.SetState(desc.State); err != nil {
				return nil, fmt.Errorf("spark: shuffle %d state: %w", desc.ShuffleID, err)
			}
		}
		v, err := dep.Map(ctx, tc)
		if err != nil {
			return nil, err
		}
		st, ok := v.(*shuffle.MapStatus)
		if !ok {
			return nil, fmt.Errorf("spark: map task returned %T", v)
		}
		st.Addr = x.link.BlockAddr()
		if x.service != nil {
			// The service serves the output, also after this executor
			// is gone.
			if err := x.registerWithService(ctx, true); err != nil {
				return nil, err
			}
			st.Addr, st.Service = x.link.ShuffleService(), true
		}
		return cluster.EncodeMapStatus(st)
	}
	d, ok := s.datasetByID(desc.NodeID)
	if !ok {
		return nil, fmt.Errorf("spark: executor has no dataset %d after replaying the driver's calls", desc.NodeID)
	}
	rr, ok := d.(remoteRunnable)
	if !ok {
		return nil, fmt.Errorf("spark: dataset %d (%T) cannot run on an executor", desc.NodeID, d)
	}
	var ra remoteAction
	if err := decodeGob(desc.Action, &ra); err != nil {
		return nil, fmt.Errorf("spark: decoding action: %w", err)
	}
	out, err := rr.runRemote(ctx, tc, ra)
	if err != nil {
		return nil, err
	}
	if limit := s.conf.Bytes("spark.driver.maxResultSize"); limit > 0 && int64(len(out)) > limit {
		return nil, fmt.Errorf("spark: the result of task %d (%d bytes) is bigger than spark.driver.maxResultSize (%d bytes)",
			tc.Partition, len(out), limit)
	}
	return out, nil
}
