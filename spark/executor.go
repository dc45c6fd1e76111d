package spark

import (
	"context"
	"fmt"
	"os"
	"sync"

	"github.com/gospark/gospark/internal/cluster"
	"github.com/gospark/gospark/internal/config"
	"github.com/gospark/gospark/internal/launch"
	"github.com/gospark/gospark/internal/master"
	"github.com/gospark/gospark/internal/shuffle"
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
}

// runExecutor is NewSession in an executor process: it serves the driver
// until told to stop or until the driver is gone, then exits the process.
func runExecutor(ctx context.Context, conf *config.Conf, m master.Master) {
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
	err = cluster.RunExecutor(ctx, cluster.ExecutorOptions{
		ID: self.ID, DriverURL: self.DriverURL, Cores: cores, Sec: sec, BindHost: self.BindHost,
		Heartbeat:   conf.Duration("spark.executor.heartbeatInterval"),
		Timeout:     conf.Duration("spark.network.timeout"),
		MaxInFlight: conf.Bytes("spark.reducer.maxSizeInFlight"),
		Env:         s.env, Log: s.log,
	}, func(link *cluster.Executor) (cluster.Runner, error) {
		x.link = link
		return x, nil
	})
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
