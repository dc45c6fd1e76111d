package spark

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gospark/gospark/internal/cluster"
	"github.com/gospark/gospark/internal/config"
	"github.com/gospark/gospark/internal/master"
	"github.com/gospark/gospark/internal/rpc"
	"github.com/gospark/gospark/internal/shuffle"
	"github.com/gospark/gospark/internal/task"
)

// security builds the connection security of the driver (which makes up a
// secret when it needs one) or of an executor (which gets it from its
// environment).
func (s *Session) security(executor bool) (*rpc.Security, string, error) {
	conf := s.conf
	auth := conf.Bool("spark.authenticate")
	if !conf.Has("spark.authenticate") && s.master.Kind != master.Local {
		auth = true // executors in other processes: on unless turned off
	}
	sec := &rpc.Security{Encrypt: conf.Bool("spark.network.crypto.enabled"), Timeout: conf.Duration("spark.network.timeout")}
	if sec.Encrypt && !auth {
		return nil, "", fmt.Errorf("spark: spark.network.crypto.enabled=true needs spark.authenticate=true (the secret authenticates the encrypted channel)")
	}
	if !auth {
		return sec, "", nil
	}
	secret := conf.String("spark.authenticate.secret")
	if executor {
		if v := os.Getenv(cluster.EnvSecret); v != "" {
			secret = v
		}
		if secret == "" {
			return nil, "", fmt.Errorf("spark: spark.authenticate is on but the executor was given no secret (%s)", cluster.EnvSecret)
		}
	} else if secret == "" {
		var err error
		if secret, err = rpc.NewSecret(); err != nil {
			return nil, "", err
		}
	}
	sec.Secret = []byte(secret)
	return sec, secret, nil
}

// clusterSize is local-cluster's executors, cores each and memory each,
// with spark.executor.instances/cores/memory (--num-executors,
// --executor-cores, --executor-memory) taking precedence as in Spark.
func (s *Session) clusterSize() (n, cores int, mem int64, err error) {
	m, conf := s.master, s.conf
	if m.Kind == master.Kubernetes { // each executor pod gets what it asks for
		n, cores, mem = conf.Int("spark.executor.instances"), conf.Int("spark.executor.cores"), conf.Bytes("spark.executor.memory")
		if n < 1 {
			return 0, 0, 0, fmt.Errorf("spark: spark.executor.instances=%d: want at least one executor", n)
		}
		return n, cores, mem, nil
	}
	n, cores, mem = m.Executors, m.CoresPerExecutor, int64(m.MemoryMiB)<<20
	if conf.Has("spark.executor.instances") {
		n = conf.Int("spark.executor.instances")
	}
	if conf.Has("spark.executor.cores") {
		cores = conf.Int("spark.executor.cores")
	}
	if conf.Has("spark.executor.memory") {
		em := conf.Bytes("spark.executor.memory")
		if em > mem {
			return 0, 0, 0, fmt.Errorf("spark: spark.executor.memory (%d MiB) is more than the %d MiB each executor of %s has",
				em>>20, m.MemoryMiB, m.Raw)
		}
		mem = em
	}
	if n < 1 {
		return 0, 0, 0, fmt.Errorf("spark: %s with spark.executor.instances=%d: want at least one executor", m.Raw, n)
	}
	return n, cores, mem, nil
}

// startDriverEndpoint listens for executors (driver side).
func (s *Session) startDriverEndpoint() error {
	n, cores, _, err := s.clusterSize()
	if err != nil {
		return err
	}
	sec, secret, err := s.security(false)
	if err != nil {
		return err
	}
	s.secret = secret
	host := s.conf.String("spark.driver.host")
	if host == "" {
		host = "127.0.0.1"
	}
	addr := net.JoinHostPort(host, strconv.Itoa(s.conf.Int("spark.driver.port")))
	if s.master.Kind == master.Kubernetes {
		// Every address of the pod: executors come through the Service.
		addr = ":" + strconv.Itoa(k8sDriverPort(s.conf))
	}
	d, err := cluster.NewDriver(cluster.DriverOptions{
		AppID:       s.appID,
		Addr:        addr,
		Sec:         sec,
		Timeout:     s.conf.Duration("spark.network.timeout"),
		Parallelism: n * cores,
		Encode:      s.encodeTask,
		Statuses:    s.tracker.Statuses,
		Broadcast:   s.broadcastValue,
		OnRegistered: func(string) {
			if s.tasks != nil {
				s.tasks.Revive()
			}
		},
		OnLost: s.executorLost,
		Log:    s.log,
	})
	if err != nil {
		return fmt.Errorf("spark: %w", err)
	}
	s.driver = d
	s.backend = d
	return nil
}

// startExecutorProcesses starts local-cluster's executors.
func (s *Session) startExecutorProcesses() error {
	n, cores, mem, err := s.clusterSize()
	if err != nil {
		return err
	}
	execConf := s.conf.Clone()
	if err := execConf.Set("spark.executor.memory", fmt.Sprintf("%dm", mem>>20)); err != nil {
		return fmt.Errorf("spark: %w", err)
	}
	if err := execConf.Set("spark.executor.cores", strconv.Itoa(cores)); err != nil {
		return fmt.Errorf("spark: %w", err)
	}
	procs, err := cluster.StartLocal(n, cluster.LocalOptions{
		AppID: s.appID, DriverURL: s.driver.Addr(), Secret: s.secret, Cores: cores,
		Conf: execConf.Encode(), MaxRelaunches: 10, Log: s.log,
		OnExit: func(id, status string) {
			// One that registered is handled as lost by the endpoint;
			// its local dir goes when the application stops.
			if !s.driver.Known(id) {
				s.replaceExecutor(id, fmt.Sprintf("executor %s exited before registering (%s)", id, status))
			}
		},
	})
	if err != nil {
		return fmt.Errorf("spark: %w", err)
	}
	s.procs = procs
	return nil
}

// waitForExecutors holds the first jobs back until the share
// spark.scheduler.minRegisteredResourcesRatio of the requested cores has
// registered, or spark.scheduler.maxRegisteredResourcesWaitingTime has
// passed since the session started, as Spark's cluster schedulers do.
func (s *Session) waitForExecutors(ctx context.Context) error {
	if s.driver == nil || s.ready.Load() {
		return nil
	}
	ratio := 0.0 // local-cluster, as Spark's standalone scheduler
	if s.master.Kind == master.Kubernetes {
		ratio = 0.8
	}
	if s.conf.Has("spark.scheduler.minRegisteredResourcesRatio") {
		ratio = s.conf.Float("spark.scheduler.minRegisteredResourcesRatio")
	}
	n, cores, _, err := s.clusterSize()
	if err != nil {
		return err
	}
	want := ratio * float64(n*cores)
	deadline := s.started.Add(s.conf.Duration("spark.scheduler.maxRegisteredResourcesWaitingTime"))
	for {
		have := 0
		for _, e := range s.driver.Registered() {
			have += e.Cores
		}
		if float64(have) >= want || time.Now().After(deadline) {
			s.ready.Store(true)
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.fatal.Done():
			return context.Cause(s.fatal)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// executorLost reacts to an executor that is gone: its slots and map
// outputs are forgotten, and local-cluster starts a replacement.
func (s *Session) executorLost(id, reason string) {
	if s.tasks != nil {
		s.tasks.ExecutorRemoved(id)
	}
	if s.dag != nil {
		s.dag.ExecutorLost(id, reason)
	}
	if s.procs != nil {
		go s.replaceExecutor(id, fmt.Sprintf("executor %s lost: %s", id, reason))
	}
}

// replaceExecutor starts a new executor process for one that is gone; when
// none can be started and none is left, the application cannot go on and
// its jobs fail with why.
func (s *Session) replaceExecutor(id, why string) {
	if s.procs.Replace(id) || len(s.driver.Registered()) > 0 {
		return
	}
	s.fail(fmt.Errorf("spark: no executor left and no more may be started (%d replaced already); last: %s", 10, why))
}

// stopExecutors tells executors to exit and waits for their processes.
func (s *Session) stopExecutors() {
	grace := 10 * time.Second
	if s.procs != nil {
		s.procs.BeginStop()
	}
	if s.pods != nil {
		s.pods.BeginStop()
	}
	if s.driver != nil {
		s.driver.Stop(grace)
	}
	if s.pods != nil {
		s.stopExecutorPods()
	}
	if s.procs != nil {
		s.procs.Stop(grace)
		s.removeExecutorDirs()
	}
}

// removeExecutorDirs removes what local-cluster executors that died
// without cleaning up (killed, or stopped by force) left in spark.local.dir.
// Only directories named for this application's executors are touched.
func (s *Session) removeExecutorDirs() {
	prefix := "gospark-" + s.appID + "-exec-"
	for _, dir := range s.driver.LocalDirs() {
		if !strings.HasPrefix(filepath.Base(dir), prefix) {
			continue
		}
		if err := os.RemoveAll(dir); err != nil {
			s.log.Warn("removing an executor's local dir", "dir", dir, "error", err)
		}
	}
}

// broadcastValue encodes a broadcast value for an executor (driver side).
func (s *Session) broadcastValue(id int64) ([]byte, error) {
	s.mu.Lock()
	enc := s.broadcasts[id]
	s.mu.Unlock()
	if enc == nil {
		return nil, fmt.Errorf("no broadcast variable %d", id)
	}
	return enc()
}

// broadcastBytes fetches a broadcast value once per executor process.
func (s *Session) broadcastBytes(id int64) ([]byte, error) {
	s.mu.Lock()
	b, ok := s.bcasts[id]
	s.mu.Unlock()
	if ok {
		return b, nil
	}
	b, err := s.exec.Broadcast(context.Background(), id)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.bcasts[id] = b
	s.mu.Unlock()
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
func (s *Session) catchUp(desc *taskDesc) error {
	r := &s.catchup
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
		if err := s.replaySafely(inv); err != nil {
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
func (s *Session) replaySafely(inv invocation) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("panic: %v", v)
		}
	}()
	return s.replay(inv)
}

// RunTask runs a task the driver sent (executor side); it implements
// cluster.Runner.
func (s *Session) RunTask(ctx context.Context, tc *task.Context, payload []byte) ([]byte, error) {
	var desc taskDesc
	if err := decodeGob(payload, &desc); err != nil {
		return nil, fmt.Errorf("spark: decoding task: %w", err)
	}
	if err := s.catchUp(&desc); err != nil {
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
		st.Addr = s.exec.BlockAddr()
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

// runExecutor is NewSession in an executor process: it serves the driver
// until told to stop or until the driver is gone, then exits the process.
func runExecutor(ctx context.Context, conf *config.Conf, m master.Master) {
	code := 0
	if err := executorMain(ctx, conf, m); err != nil {
		fmt.Fprintf(os.Stderr, "gospark executor %s: %v\n", os.Getenv(cluster.EnvExecutorID), err)
		code = 1
	}
	os.Exit(code)
}

func executorMain(ctx context.Context, conf *config.Conf, m master.Master) error {
	id := os.Getenv(cluster.EnvExecutorID)
	driverURL := os.Getenv(cluster.EnvDriverURL)
	if id == "" || driverURL == "" {
		return fmt.Errorf("spark: executor needs %s and %s", cluster.EnvExecutorID, cluster.EnvDriverURL)
	}
	freezeRegistry()
	s := newSessionState(conf, m)
	s.appID = os.Getenv(cluster.EnvAppID)
	s.log = newLogger(conf).With("app", s.appID, "executor", id)
	cores := conf.Int("spark.executor.cores")
	if v, err := strconv.Atoi(os.Getenv(cluster.EnvCores)); err == nil && v > 0 {
		cores = v
	}
	if err := s.setupEnv(ctx, id, "-exec-"+id, conf.Bytes("spark.executor.memory"), cores); err != nil {
		return err
	}
	defer s.cleanup()
	sec, _, err := s.security(true)
	if err != nil {
		return err
	}
	err = cluster.RunExecutor(ctx, cluster.ExecutorOptions{
		ID: id, DriverURL: driverURL, Cores: cores, Sec: sec, BindHost: os.Getenv(cluster.EnvBindHost),
		Heartbeat:   conf.Duration("spark.executor.heartbeatInterval"),
		Timeout:     conf.Duration("spark.network.timeout"),
		MaxInFlight: conf.Bytes("spark.reducer.maxSizeInFlight"),
		Env:         s.env, Log: s.log,
	}, func(x *cluster.Executor) (cluster.Runner, error) {
		s.exec = x
		return s, nil
	})
	if err != nil {
		s.log.Warn("executor exiting", "error", err)
	}
	return err
}
