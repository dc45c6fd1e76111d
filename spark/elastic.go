package spark

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/gospark/gospark/internal/alloc"
	"github.com/gospark/gospark/internal/cluster"
	"github.com/gospark/gospark/internal/clustermgr"
	"github.com/gospark/gospark/internal/config"
	"github.com/gospark/gospark/internal/master"
	"github.com/gospark/gospark/internal/scheduler"
	"github.com/gospark/gospark/internal/shuffleservice"
)

// elastic is the driver's side of elastic executors: dynamic allocation
// (Spark's ExecutorAllocationManager: the policy is internal/alloc, this
// feeds it and carries out its decisions through the cluster manager) and
// the upkeep of the external shuffle services the executors use
// (heartbeats while the application runs, removal of its files at the
// end).
type elastic struct {
	s   *Session
	log *slog.Logger

	policy   *alloc.Policy // nil without dynamic allocation
	decom    bool          // spark.decommission.enabled
	tracking bool          // spark.dynamicAllocation.shuffleTracking.enabled
	// killAfter is spark.executor.decommission.killInterval: a
	// decommissioning executor still there after it is killed.
	killAfter time.Duration

	service *shuffleservice.Client // nil without a shuffle service

	mu       sync.Mutex
	services map[string]bool // shuffle service addresses in use
	killed   map[string]bool
	done     chan struct{}
	wg       sync.WaitGroup
}

// checkElastic checks dynamic allocation's and the shuffle service's
// properties before anything is created (gospark submit runs the same
// checks).
func checkElastic(conf *config.Conf, m master.Master) error {
	if m.Kind == master.Local {
		return nil // Spark ignores dynamic allocation in local mode
	}
	if err := alloc.Check(conf); err != nil {
		return fmt.Errorf("spark: %w", err)
	}
	return nil
}

// newElastic prepares dynamic allocation and the shuffle service client
// (driver side, cluster masters).
func newElastic(s *Session) (*elastic, error) {
	conf := s.conf
	e := &elastic{s: s, log: s.log, services: make(map[string]bool), killed: make(map[string]bool), done: make(chan struct{}),
		decom: conf.Bool("spark.decommission.enabled"), tracking: conf.Bool("spark.dynamicAllocation.shuffleTracking.enabled")}
	if conf.Has("spark.executor.decommission.killInterval") {
		e.killAfter = conf.Duration("spark.executor.decommission.killInterval")
	}
	if conf.Bool("spark.dynamicAllocation.enabled") {
		cfg, err := alloc.FromConf(conf)
		if err != nil {
			return nil, fmt.Errorf("spark: %w", err)
		}
		e.policy = alloc.New(cfg)
	}
	return e, nil
}

// initialExecutors is how many executors to start with: dynamic
// allocation's initial target, or n.
func (e *elastic) initialExecutors(n int) int {
	if e != nil && e.policy != nil {
		return e.policy.Target()
	}
	return n
}

// useService starts the shuffle service client with the driver's secret.
func (e *elastic) useService(secret []byte) {
	e.service = shuffleservice.NewClient(e.s.appID, secret, e.s.conf.Duration("spark.network.timeout"))
}

// serviceFor is the driver endpoint's ShuffleService option: the cluster
// manager finds the executor's shuffle service, which the driver then
// keeps alive.
func (e *elastic) serviceFor(ctx context.Context, id, host string) (string, error) {
	loc, ok := e.s.cm.(clustermgr.ShuffleServices)
	if !ok {
		return "", fmt.Errorf("the cluster manager of %s has no external shuffle service", e.s.master.Raw)
	}
	addr, err := loc.ShuffleService(ctx, id, host)
	if err != nil {
		return "", err
	}
	e.mu.Lock()
	fresh := !e.services[addr]
	e.services[addr] = true
	e.mu.Unlock()
	if fresh {
		e.log.Info("using the external shuffle service", "service", addr, "executor", id, "host", host)
		e.heartbeat(ctx, addr)
	}
	return addr, nil
}

// start runs the allocation loop and the shuffle services' heartbeats.
func (e *elastic) start() {
	if e.policy != nil || e.killAfter > 0 {
		e.wg.Add(1)
		go func() {
			defer e.wg.Done()
			e.allocate()
		}()
	}
	if e.service != nil {
		e.wg.Add(1)
		go func() {
			defer e.wg.Done()
			tick := time.NewTicker(e.s.conf.Duration("spark.executor.heartbeatInterval"))
			defer tick.Stop()
			for {
				select {
				case <-e.done:
					return
				case <-tick.C:
				}
				e.mu.Lock()
				addrs := make([]string, 0, len(e.services))
				for a := range e.services {
					addrs = append(addrs, a)
				}
				e.mu.Unlock()
				for _, a := range addrs {
					ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
					e.heartbeat(ctx, a)
					cancel()
				}
			}
		}()
	}
}

// heartbeat tells a shuffle service the application is alive: without
// heartbeats for spark.network.timeout it removes the application's files.
func (e *elastic) heartbeat(ctx context.Context, addr string) {
	if err := e.service.Heartbeat(ctx, addr, e.s.conf.Duration("spark.network.timeout")); err != nil {
		e.log.Warn("shuffle service heartbeat", "service", addr, "error", err)
	}
}

// stop ends the loops and has every shuffle service remove the
// application's files.
func (e *elastic) stop() {
	if e == nil {
		return
	}
	select {
	case <-e.done:
		return
	default:
		close(e.done)
	}
	e.wg.Wait()
	if e.service == nil {
		return
	}
	e.mu.Lock()
	addrs := make([]string, 0, len(e.services))
	for a := range e.services {
		addrs = append(addrs, a)
	}
	e.mu.Unlock()
	for _, a := range addrs {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := e.service.RemoveApp(ctx, a); err != nil {
			e.log.Warn("asking the shuffle service to remove the application's files", "service", a, "error", err)
		}
		cancel()
	}
	_ = e.service.Close()
}

// allocateEvery is how often the policy runs, as Spark's 100 ms.
const allocateEvery = 100 * time.Millisecond

// allocate runs the dynamic allocation policy (and watches
// decommissioning executors) until the session stops.
func (e *elastic) allocate() {
	tick := time.NewTicker(allocateEvery)
	defer tick.Stop()
	for {
		select {
		case <-e.done:
			return
		case <-e.s.stopping.Done():
			return
		case <-tick.C:
		}
		if e.policy == nil {
			// Only spark.executor.decommission.killInterval to watch.
			now := time.Now()
			for _, l := range e.s.driver.Loads() {
				if l.Decommissioning {
					e.overdue(l, now)
				}
			}
			continue
		}
		e.round(time.Now())
	}
}

// round feeds the policy a snapshot and carries out its decision.
func (e *elastic) round(now time.Time) {
	s := e.s
	pending, running := s.tasks.Load()
	loads := s.driver.Loads()
	var holders, active map[string]bool
	if e.tracking {
		holders = s.tracker.Holders(nil)
		active = s.tracker.Holders(s.dag.ActiveShuffles())
	}
	st := alloc.State{Now: now, Pending: pending, Running: running}
	registered := 0
	for _, l := range loads {
		if l.Decommissioning {
			e.overdue(l, now)
			continue
		}
		registered++
		idle := l.IdleSince
		if idle.IsZero() {
			idle = l.RegisteredAt
		}
		st.Executors = append(st.Executors, alloc.Executor{ID: l.ID, Running: l.Running, IdleSince: idle,
			HasCache: l.HasCache, HasShuffle: holders[l.ID], ActiveShuffle: active[l.ID]})
	}
	st.PendingExecutors = max(e.policy.Target()-registered, 0)
	d := e.policy.Update(st)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if len(d.Remove) > 0 {
		ids := make([]string, 0, len(d.Remove))
		for _, r := range d.Remove {
			ids = append(ids, r.ID)
			e.log.Info("dynamic allocation: releasing an executor", "executor", r.ID, "reason", r.Reason)
		}
		e.release(ctx, ids)
	}
	if d.Changed || len(d.Remove) > 0 {
		if d.Changed {
			e.log.Info("dynamic allocation: requesting executors", "total", d.Target, "reason", d.Reason)
		}
		// Also after releasing: decommissioning lowers the manager's
		// total by the executors released; the policy's target is the
		// total.
		if err := s.cm.RequestTotal(ctx, d.Target); err != nil {
			e.log.Warn("dynamic allocation: requesting executors", "total", d.Target, "error", err)
		}
	}
}

// release ends executors the policy let go: they get no more tasks, and
// the cluster manager ends them gracefully (SIGTERM: with
// spark.decommission.enabled they hand their blocks to peers first).
func (e *elastic) release(ctx context.Context, ids []string) {
	marked := e.s.driver.Decommissioning(ids)
	if len(marked) == 0 {
		return
	}
	if err := e.s.cm.Decommission(ctx, marked); err != nil {
		e.log.Warn("releasing executors", "executors", strings.Join(marked, ","), "error", err)
	}
}

// overdue kills a decommissioning executor still there after
// spark.executor.decommission.killInterval.
func (e *elastic) overdue(l cluster.Load, now time.Time) {
	if e.killAfter <= 0 || now.Sub(l.DecomSince) < e.killAfter {
		return
	}
	e.mu.Lock()
	done := e.killed[l.ID]
	e.killed[l.ID] = true
	e.mu.Unlock()
	if done {
		return
	}
	e.log.Warn("decommissioning executor still there after spark.executor.decommission.killInterval; killing it",
		"executor", l.ID, "interval", e.killAfter)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := e.s.cm.Kill(ctx, []string{l.ID}); err != nil {
		e.log.Warn("killing a decommissioning executor", "executor", l.ID, "error", err)
	}
}

// migrated points the map outputs a decommissioned executor handed to
// peers at them, so that they are not recomputed.
func (s *Session) migrated(from string, moves []cluster.Move) {
	mv := make([]scheduler.Moved, 0, len(moves))
	for _, m := range moves {
		mv = append(mv, scheduler.Moved{ShuffleID: m.ShuffleID, MapIndex: m.MapIndex, From: from, DataBase: m.DataBase,
			To: m.To, Addr: m.Addr, DataFile: m.DataFile, IndexFile: m.IndexFile})
	}
	n := s.tracker.Migrate(mv)
	to := make(map[string]bool)
	for _, m := range moves {
		to[m.To] = true
	}
	peers := make([]string, 0, len(to))
	for p := range to {
		peers = append(peers, p)
	}
	sort.Strings(peers)
	s.log.Info("map outputs of a decommissioned executor now served by peers", "executor", from,
		"outputs", n, "handed", len(moves), "peers", strings.Join(peers, ","))
}
