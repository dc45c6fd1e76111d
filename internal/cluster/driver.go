package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sort"
	"sync"
	"time"

	"github.com/gospark/gospark/internal/rpc"
	"github.com/gospark/gospark/internal/scheduler"
	"github.com/gospark/gospark/internal/shuffle"
	"github.com/gospark/gospark/internal/storage"
	"github.com/gospark/gospark/internal/task"
)

// DriverOptions configure the driver's endpoint.
type DriverOptions struct {
	AppID string
	// Addr is where to listen, host:port (port 0 picks a free one).
	Addr string
	Sec  *rpc.Security
	// Timeout is spark.network.timeout: an executor silent for that long
	// is lost.
	Timeout time.Duration
	// Parallelism is the default parallelism (the cores the cluster
	// manager was asked for).
	Parallelism int
	// Encode describes a task for an executor; executorID lets it send
	// only what that executor has not seen yet.
	Encode func(t *scheduler.Task, executorID string) ([]byte, error)
	// Statuses answers executors asking where a shuffle's map outputs are.
	Statuses func(ctx context.Context, shuffleID int64) ([]*shuffle.MapStatus, error)
	// Broadcast answers executors asking for a broadcast value.
	Broadcast func(id int64) ([]byte, error)
	// OnRegistered and OnLost hear about executors coming and going.
	OnRegistered func(id string)
	OnLost       func(id, reason string)
	// OnBlocks hears of cached partitions an executor stored.
	OnBlocks func(id string, stored []storage.Stored)
	// OnSilent hears of an executor declared lost because it stopped
	// answering (it may still run, and should be killed).
	OnSilent func(id string)
	// ShuffleService, when set (spark.shuffle.service.enabled), finds the
	// external shuffle service of a registering executor's host; an error
	// refuses the executor and goes to OnRefused.
	ShuffleService func(ctx context.Context, executorID, host string) (string, error)
	OnRefused      func(executorID string, err error)
	// OnDecommissioning hears of an executor that is leaving (it said so,
	// or the driver was told to decommission it).
	OnDecommissioning func(id string)
	// OnMigrated hears where a leaving executor's map outputs went.
	OnMigrated func(from string, moves []Move)
	Log        *slog.Logger
}

// Driver is the driver's endpoint: executors connect to it, register and
// run the tasks it launches. It implements scheduler.Backend.
type Driver struct {
	opts DriverOptions
	ln   *rpc.Listener
	done chan struct{}
	wg   sync.WaitGroup

	mu     sync.Mutex
	blocks map[storage.BlockID]map[string]bool // cached partition -> executors
	execs  map[string]*remoteExec
	order  []string // executor ids in registration order
	// version changes with the executors that take tasks (registered,
	// leaving, lost), under mu: see scheduler.Versioned.
	version uint64
	stopped bool
}

type remoteExec struct {
	id        string
	cores     int
	blockAddr string
	pid       int
	localDir  string
	maxMemory int64
	conn      *rpc.Conn
	lastSeen  time.Time
	running   map[int64]*runningTask
	gone      bool
	closed    chan struct{} // closed when gone
	host      string
	// decommissioning: leaving on purpose, offered no more tasks.
	decommissioning bool
	decomSince      time.Time
	idleSince       time.Time // when running last became empty
	registeredAt    time.Time
}

type runningTask struct {
	t    *scheduler.Task
	done func(scheduler.Result)
	stop func() bool
}

// ExecutorSummary describes a registered executor.
type ExecutorSummary struct {
	ID        string
	Cores     int
	PID       int
	BlockAddr string
	LocalDir  string
	Host      string
	MaxMemory int64
}

// Executor describes a registered executor, live or gone.
func (d *Driver) Executor(id string) (ExecutorSummary, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	e := d.execs[id]
	if e == nil {
		return ExecutorSummary{}, false
	}
	return e.summary(), true
}

func (e *remoteExec) summary() ExecutorSummary {
	return ExecutorSummary{ID: e.id, Cores: e.cores, PID: e.pid, BlockAddr: e.blockAddr, LocalDir: e.localDir, Host: e.host, MaxMemory: e.maxMemory}
}

// NewDriver starts listening. Executors may connect as soon as it returns.
func NewDriver(opts DriverOptions) (*Driver, error) {
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 120 * time.Second
	}
	l, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("cluster: driver endpoint on %s: %w", opts.Addr, err)
	}
	d := &Driver{opts: opts, done: make(chan struct{}), execs: make(map[string]*remoteExec),
		blocks: make(map[storage.BlockID]map[string]bool)}
	d.ln = &rpc.Listener{Listener: l, Sec: opts.Sec, OnRefused: func(a net.Addr, err error) {
		opts.Log.Warn("refused a connection to the driver", "remote", a.String(), "error", err)
	}}
	d.wg.Add(2)
	go func() {
		defer d.wg.Done()
		if err := d.ln.Serve(d.serve); err != nil {
			opts.Log.Error("driver endpoint stopped", "error", err)
		}
	}()
	go func() {
		defer d.wg.Done()
		d.monitor()
	}()
	return d, nil
}

// Addr is the endpoint's address.
func (d *Driver) Addr() string { return d.ln.Addr().String() }

// Executors implements scheduler.Backend: the live executors that take
// tasks (not those being decommissioned), in registration order.
func (d *Driver) Executors() []scheduler.ExecutorInfo {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []scheduler.ExecutorInfo
	for _, id := range d.order {
		if e := d.execs[id]; e != nil && !e.gone && !e.decommissioning {
			out = append(out, scheduler.ExecutorInfo{ID: id, Cores: e.cores})
		}
	}
	return out
}

// ExecutorsVersion implements scheduler.Versioned.
func (d *Driver) ExecutorsVersion() uint64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.version
}

// Registered lists the live executors.
func (d *Driver) Registered() []ExecutorSummary {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []ExecutorSummary
	for _, id := range d.order {
		if e := d.execs[id]; e != nil && !e.gone {
			out = append(out, e.summary())
		}
	}
	return out
}

// LocalDirs lists the local directories every executor that ever
// registered reported.
func (d *Driver) LocalDirs() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []string
	for _, id := range d.order {
		if e := d.execs[id]; e != nil && e.localDir != "" {
			out = append(out, e.localDir)
		}
	}
	return out
}

// Load describes an executor for dynamic allocation.
type Load struct {
	ID              string
	Running         int
	IdleSince       time.Time // valid when Running is 0
	RegisteredAt    time.Time
	HasCache        bool
	Decommissioning bool
	DecomSince      time.Time
}

// Loads describes the live executors, in registration order.
func (d *Driver) Loads() []Load {
	d.mu.Lock()
	defer d.mu.Unlock()
	cached := make(map[string]bool)
	for _, holders := range d.blocks {
		for ex := range holders {
			cached[ex] = true
		}
	}
	var out []Load
	for _, id := range d.order {
		if e := d.execs[id]; e != nil && !e.gone {
			out = append(out, Load{ID: id, Running: len(e.running), IdleSince: e.idleSince, RegisteredAt: e.registeredAt,
				HasCache: cached[id], Decommissioning: e.decommissioning, DecomSince: e.decomSince})
		}
	}
	return out
}

// Decommissioning marks executors as leaving: they get no more tasks. It
// returns the ids that were live and not leaving already.
func (d *Driver) Decommissioning(ids []string) []string {
	var marked []string
	d.mu.Lock()
	for _, id := range ids {
		if e := d.execs[id]; e != nil && !e.gone && !e.decommissioning {
			e.decommissioning, e.decomSince = true, time.Now()
			d.version++
			marked = append(marked, id)
		}
	}
	d.mu.Unlock()
	if d.opts.OnDecommissioning != nil {
		for _, id := range marked {
			d.opts.OnDecommissioning(id)
		}
	}
	return marked
}

// Live reports whether an executor is registered and not lost.
func (d *Driver) Live(id string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	e := d.execs[id]
	return e != nil && !e.gone
}

// Known reports whether an executor with this id ever registered.
func (d *Driver) Known(id string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.execs[id] != nil
}

// DefaultParallelism implements scheduler.Backend.
func (d *Driver) DefaultParallelism() int { return max(d.opts.Parallelism, 2) }

// Launch implements scheduler.Backend.
func (d *Driver) Launch(ctx context.Context, executorID string, t *scheduler.Task, done func(scheduler.Result)) {
	fail := func(err error) { done(scheduler.Result{Task: t, ExecutorID: executorID, Err: err}) }
	payload, err := d.opts.Encode(t, executorID)
	if err != nil {
		fail(err)
		return
	}
	d.mu.Lock()
	e := d.execs[executorID]
	if e == nil || e.gone {
		d.mu.Unlock()
		fail(&ExecutorLostError{ExecutorID: executorID, Reason: "not registered"})
		return
	}
	rt := &runningTask{t: t, done: done}
	// Set before the task can finish: complete and lose read it after
	// taking the task out of the map under the same lock.
	rt.stop = context.AfterFunc(ctx, func() {
		_ = e.conn.Send(&message{Kind: msgKill, TaskID: t.ID})
	})
	e.running[t.ID] = rt
	e.idleSince = time.Time{}
	d.mu.Unlock()
	msg := &message{Kind: msgLaunch, Task: &taskMsg{ID: t.ID, JobID: t.JobID, StageID: t.StageID, StageAttempt: t.StageAttempt,
		Partition: t.Partition, Attempt: t.Attempt, Kind: int(t.Kind), Payload: payload}}
	if err := e.conn.Send(msg); err != nil {
		d.lose(e, fmt.Sprintf("sending a task: %v", err))
	}
}

func (d *Driver) serve(c net.Conn) {
	conn := rpc.NewConn(c)
	var reg message
	_ = c.SetReadDeadline(time.Now().Add(d.opts.Timeout))
	if err := conn.Recv(&reg); err != nil || reg.Kind != msgRegister || reg.ExecutorID == "" {
		d.opts.Log.Warn("dropping a connection that did not register", "remote", c.RemoteAddr().String(), "error", err)
		conn.Close()
		return
	}
	_ = c.SetReadDeadline(time.Time{})
	now := time.Now()
	e := &remoteExec{id: reg.ExecutorID, cores: max(reg.Cores, 1), blockAddr: reg.BlockAddr, pid: reg.PID,
		localDir: reg.LocalDir, conn: conn, lastSeen: now, running: make(map[int64]*runningTask),
		closed: make(chan struct{}), host: reg.Host, idleSince: now, registeredAt: now, maxMemory: reg.MaxMemory}
	var service string
	if d.opts.ShuffleService != nil {
		ctx, cancel := context.WithTimeout(context.Background(), d.opts.Timeout)
		addr, err := d.opts.ShuffleService(ctx, e.id, e.host)
		cancel()
		if err != nil {
			err = fmt.Errorf("executor %s on %s: no external shuffle service (spark.shuffle.service.enabled): %w", e.id, e.host, err)
			d.opts.Log.Error("refusing an executor", "executor", e.id, "host", e.host, "error", err)
			_ = conn.Send(&message{Kind: msgShutdown, Reason: err.Error()})
			conn.Close()
			if d.opts.OnRefused != nil {
				d.opts.OnRefused(e.id, err)
			}
			return
		}
		service = addr
	}
	d.mu.Lock()
	if old := d.execs[e.id]; d.stopped || (old != nil && !old.gone) {
		d.mu.Unlock()
		_ = conn.Send(&message{Kind: msgShutdown, Reason: "duplicate executor id or driver stopping"})
		conn.Close()
		return
	}
	if d.execs[e.id] == nil {
		d.order = append(d.order, e.id)
	}
	d.execs[e.id] = e
	d.version++
	d.mu.Unlock()
	if err := conn.Send(&message{Kind: msgRegistered, AppID: d.opts.AppID, ShuffleService: service}); err != nil {
		d.lose(e, err.Error())
		return
	}
	d.opts.Log.Info("executor registered", "executor", e.id, "cores", e.cores, "pid", e.pid, "blocks", e.blockAddr)
	if d.opts.OnRegistered != nil {
		d.opts.OnRegistered(e.id)
	}
	for {
		var m message
		if err := conn.Recv(&m); err != nil {
			d.lose(e, fmt.Sprintf("connection closed: %v", err))
			return
		}
		d.mu.Lock()
		e.lastSeen = time.Now()
		d.mu.Unlock()
		switch m.Kind {
		case msgHeartbeat:
			_ = conn.Send(&message{Kind: msgHeartbeatAck})
		case msgStatus:
			d.mu.Lock()
			rt := e.running[m.TaskID]
			delete(e.running, m.TaskID)
			if len(e.running) == 0 && e.idleSince.IsZero() {
				e.idleSince = time.Now()
			}
			d.mu.Unlock()
			if m.Status != nil {
				d.addBlocks(e.id, m.Status.Blocks)
			}
			if rt != nil && m.Status != nil {
				go d.complete(e.id, rt, m.Status)
			}
		case msgRequest:
			go d.answer(conn, e, m)
		case msgDecommissioning:
			if len(d.Decommissioning([]string{e.id})) > 0 {
				d.opts.Log.Info("executor is decommissioning: no more tasks for it", "executor", e.id, "reason", m.Reason)
			}
		case msgMigrated:
			d.migrated(e, m)
		default:
			d.opts.Log.Warn("unexpected message from executor", "executor", e.id, "kind", int(m.Kind))
		}
	}
}

func (d *Driver) complete(execID string, rt *runningTask, st *statusMsg) {
	if rt.stop != nil {
		rt.stop()
	}
	t := rt.t
	r := scheduler.Result{Task: t, ExecutorID: execID, Duration: st.Duration, Metrics: st.Metrics}
	switch {
	case st.Leaving:
		r.Err = &ExecutorLostError{ExecutorID: execID, Reason: st.Err, Decommissioned: true}
	case st.Fetch != nil:
		f := st.Fetch
		r.Err = &shuffle.FetchFailedError{ShuffleID: f.ShuffleID, MapIndex: f.MapIndex, ExecutorID: f.ExecutorID, Reduce: f.Reduce,
			Addr: f.Addr, Service: f.Service, Err: errors.New(f.Msg)}
	case st.Err != "":
		r.Err = &RemoteError{ExecutorID: execID, Msg: st.Err}
	case t.Kind == task.ShuffleMap:
		ms, err := DecodeMapStatus(st.Value)
		if err != nil {
			r.Err = err
			break
		}
		ms.ExecutorID = execID
		r.Value = ms
	case t.Action == nil:
		r.Err = fmt.Errorf("cluster: result task %s has no action", t.Name())
	default:
		r.Value, r.Err = t.Action.Decode(t.Partition, st.Value)
	}
	if r.Err == nil && len(st.Accums) > 0 {
		r.Accums = make(map[int64]any, len(st.Accums))
		for id, b := range st.Accums {
			r.Accums[id] = scheduler.EncodedAccum(b)
		}
	}
	rt.done(r)
}

func (d *Driver) answer(conn *rpc.Conn, e *remoteExec, m message) {
	resp := &message{Kind: msgResponse, ReqID: m.ReqID}
	var err error
	switch {
	case m.PeersReq:
		resp.Peers = d.peers(e.id)
	case m.ServiceReq:
		if d.opts.ShuffleService == nil {
			err = errors.New("the external shuffle service is not enabled")
			break
		}
		ctx, cancel := context.WithTimeout(context.Background(), d.opts.Timeout)
		resp.ShuffleService, err = d.opts.ShuffleService(ctx, e.id, e.host)
		cancel()
	case m.Block != nil:
		resp.Addrs = d.blockAddrs(*m.Block, m.ExecutorID)
	case m.BroadcastID != 0:
		resp.Data, err = d.opts.Broadcast(m.BroadcastID)
	default:
		resp.Statuses, err = d.opts.Statuses(context.Background(), m.ShuffleID)
		var ff *shuffle.FetchFailedError
		if errors.As(err, &ff) {
			resp.Statuses = nil
			resp.Missing, resp.ShuffleID, resp.MapIndex = true, ff.ShuffleID, ff.MapIndex
		}
	}
	if err != nil {
		resp.Err = err.Error()
	}
	_ = conn.Send(resp)
}

// peers lists the executors other than except that take blocks: live
// and not leaving.
func (d *Driver) peers(except string) []Peer {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []Peer
	for _, id := range d.order {
		if e := d.execs[id]; e != nil && !e.gone && !e.decommissioning && id != except && e.blockAddr != "" {
			out = append(out, Peer{ID: id, BlockAddr: e.blockAddr})
		}
	}
	return out
}

// migrated records where a leaving executor's blocks went.
func (d *Driver) migrated(e *remoteExec, m message) {
	var blockBytes int64
	d.mu.Lock()
	for _, b := range m.Blocks {
		if to := d.execs[b.To]; to == nil || to.gone {
			continue
		}
		if d.blocks[b.Block] == nil {
			d.blocks[b.Block] = make(map[string]bool)
		}
		d.blocks[b.Block][b.To] = true
		blockBytes += b.Bytes
	}
	d.mu.Unlock()
	var shuffleBytes int64
	for _, mv := range m.Moves {
		shuffleBytes += mv.Bytes
	}
	d.opts.Log.Info("decommissioned executor handed its blocks to peers", "executor", e.id,
		"shuffleOutputs", len(m.Moves), "shuffleBytes", shuffleBytes, "cachedBlocks", len(m.Blocks), "cachedBytes", blockBytes)
	if d.opts.OnMigrated != nil && len(m.Moves) > 0 {
		d.opts.OnMigrated(e.id, m.Moves)
	}
}

func (d *Driver) addBlocks(exec string, stored []storage.Stored) {
	if len(stored) == 0 {
		return
	}
	d.mu.Lock()
	for _, b := range stored {
		if d.blocks[b.ID] == nil {
			d.blocks[b.ID] = make(map[string]bool)
		}
		d.blocks[b.ID][exec] = true
	}
	d.mu.Unlock()
	if d.opts.OnBlocks != nil {
		d.opts.OnBlocks(exec, stored)
	}
}

// HasBlock reports whether a live executor holds a cached partition.
func (d *Driver) HasBlock(id storage.BlockID) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.blocks[id]) > 0
}

// blockAddrs lists the block servers of the executors other than except
// that hold a cached partition.
func (d *Driver) blockAddrs(id storage.BlockID, except string) []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []string
	for ex := range d.blocks[id] {
		if e := d.execs[ex]; e != nil && !e.gone && ex != except {
			out = append(out, e.blockAddr)
		}
	}
	sort.Strings(out)
	return out
}

// monitor declares executors lost when their heartbeats stop.
func (d *Driver) monitor() {
	tick := time.NewTicker(min(d.opts.Timeout/4, time.Second))
	defer tick.Stop()
	for {
		select {
		case <-d.done:
			return
		case <-tick.C:
		}
		var late []*remoteExec
		d.mu.Lock()
		for _, e := range d.execs {
			if !e.gone && time.Since(e.lastSeen) > d.opts.Timeout {
				late = append(late, e)
			}
		}
		d.mu.Unlock()
		for _, e := range late {
			d.lose(e, fmt.Sprintf("no heartbeat for %s (spark.network.timeout)", d.opts.Timeout))
			if d.opts.OnSilent != nil {
				d.opts.OnSilent(e.id)
			}
		}
	}
}

// lose forgets an executor and fails its running tasks, also when the
// driver is stopping: every launched task gets its result.
func (d *Driver) lose(e *remoteExec, reason string) {
	d.mu.Lock()
	if e.gone {
		d.mu.Unlock()
		return
	}
	e.gone = true
	d.version++
	close(e.closed)
	for id, holders := range d.blocks {
		delete(holders, e.id)
		if len(holders) == 0 {
			delete(d.blocks, id)
		}
	}
	stopped := d.stopped
	running := e.running
	e.running = map[int64]*runningTask{}
	decom := e.decommissioning
	d.mu.Unlock()
	e.conn.Close()
	if decom {
		reason = "decommissioned: " + reason
	}
	if stopped {
		reason = "the driver stopped: " + reason
	} else if d.opts.OnLost != nil {
		d.opts.OnLost(e.id, reason)
	}
	ids := make([]int64, 0, len(running))
	for id := range running {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		rt := running[id]
		if rt.stop != nil {
			rt.stop()
		}
		rt.done(scheduler.Result{Task: rt.t, ExecutorID: e.id, Err: &ExecutorLostError{ExecutorID: e.id, Reason: reason, Decommissioned: decom}})
	}
}

// Stop tells every executor to exit, waits up to timeout for them to
// disconnect and closes the endpoint.
func (d *Driver) Stop(timeout time.Duration) {
	d.mu.Lock()
	if d.stopped {
		d.mu.Unlock()
		return
	}
	d.stopped = true
	var live []*remoteExec
	for _, e := range d.execs {
		if !e.gone {
			live = append(live, e)
		}
	}
	d.mu.Unlock()
	for _, e := range live {
		_ = e.conn.Send(&message{Kind: msgShutdown, Reason: "application finished"})
	}
	close(d.done)
	d.ln.Close()
	deadline := time.After(timeout)
	for _, e := range live {
		select {
		case <-deadline:
		case <-e.closed:
		}
		// Tasks still running when the executor did not leave in time
		// fail now: nobody waits for a result that cannot come.
		d.lose(e, "application finished")
	}
	d.wg.Wait()
}

// Lose declares an executor lost (its pod ended, for instance) before its
// connection says so; it does nothing for an unknown or already lost one.
func (d *Driver) Lose(id, reason string) {
	d.mu.Lock()
	e := d.execs[id]
	d.mu.Unlock()
	if e != nil {
		d.lose(e, reason)
	}
}
