package spark

import (
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/gospark/gospark/internal/alloc"
	"github.com/gospark/gospark/internal/cluster"
	"github.com/gospark/gospark/internal/clustermgr"
	"github.com/gospark/gospark/internal/config"
	"github.com/gospark/gospark/internal/launch"
	"github.com/gospark/gospark/internal/master"
	"github.com/gospark/gospark/internal/rpc"
	"github.com/gospark/gospark/internal/storage"

	// The cluster managers an application links: executor processes on
	// this machine, and the Kubernetes driver pod's manager process.
	_ "github.com/gospark/gospark/internal/clustermgr/external"
	_ "github.com/gospark/gospark/internal/clustermgr/localcluster"
)

// security builds the connection security of the driver (which makes up a
// secret when it needs one) or of an executor (which gets it from the
// launch contract).
func security(conf *config.Conf, kind master.Kind, executorSecret string, executor bool) (*rpc.Security, string, error) {
	auth := conf.Bool("spark.authenticate")
	if !conf.Has("spark.authenticate") && kind != master.Local {
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
		if executorSecret != "" {
			secret = executorSecret
		}
		if secret == "" {
			return nil, "", fmt.Errorf("spark: spark.authenticate is on but the executor was given no secret (%s)", launch.EnvSecret)
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

// clusterSize is the executors, cores each and memory each a cluster
// manager is asked for: spark.executor.instances/cores/memory
// (--num-executors, --executor-cores, --executor-memory), which win over
// local-cluster's N and C as in Spark.
func (s *Session) clusterSize() (n, cores int, mem int64, err error) {
	m, conf := s.master, s.conf
	dynamic := conf.Bool("spark.dynamicAllocation.enabled")
	if m.Kind == master.Kubernetes { // each executor pod gets what it asks for
		n, cores, mem = conf.Int("spark.executor.instances"), conf.Int("spark.executor.cores"), conf.Bytes("spark.executor.memory")
		n = s.elastic.initialExecutors(n)
		if n < 1 && !dynamic {
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
	n = s.elastic.initialExecutors(n)
	if n < 1 && !dynamic {
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
	sec, secret, err := security(s.conf, s.master.Kind, "", false)
	if err != nil {
		return err
	}
	s.secret = secret
	var service func(ctx context.Context, id, host string) (string, error)
	if s.conf.Bool("spark.shuffle.service.enabled") {
		if len(sec.Secret) == 0 {
			return fmt.Errorf("spark: %w", alloc.ErrServiceNeedsSecret)
		}
		s.elastic.useService(sec.Secret)
		service = s.elastic.serviceFor
	}
	host := s.conf.String("spark.driver.host")
	if host == "" {
		host = "127.0.0.1"
	}
	kube := s.master.Kind == master.Kubernetes && !s.clientMode()
	port := launch.DriverPort(s.conf, kube)
	addr := net.JoinHostPort(host, strconv.Itoa(port))
	switch {
	case kube:
		// Every address of the pod: executors come through the Service.
		addr = ":" + strconv.Itoa(port)
	case s.clientMode():
		// Client mode on Kubernetes: executor pods dial spark.driver.host;
		// spark.driver.bindAddress (which defaults to it) is where to listen.
		addr = net.JoinHostPort(s.conf.String("spark.driver.bindAddress"), strconv.Itoa(port))
	}
	d, err := cluster.NewDriver(cluster.DriverOptions{
		AppID:       s.appID,
		Addr:        addr,
		Sec:         sec,
		Timeout:     s.conf.Duration("spark.network.timeout"),
		Parallelism: max(n, 1) * cores,
		Encode:      s.encodeTask,
		Statuses:    s.tracker.Statuses,
		Broadcast:   s.broadcastValue,
		OnRegistered: func(id string) {
			if s.cm != nil {
				s.cm.Registered(id)
			}
			if e, ok := s.driver.Executor(id); ok && s.events != nil {
				s.events.executorAdded(e)
			}
			if s.tasks != nil {
				s.tasks.Revive()
			}
			s.registrations.notify()
		},
		OnLost: s.executorLost,
		OnBlocks: func(id string, stored []storage.Stored) {
			if s.events != nil {
				s.events.blocksStored(id, stored)
			}
		},
		OnSilent:       s.executorSilent,
		ShuffleService: service,
		OnRefused:      func(_ string, err error) { s.fail(fmt.Errorf("spark: %w", err)) },
		OnMigrated:     s.migrated,
		Log:            s.log,
	})
	if err != nil {
		return fmt.Errorf("spark: %w", err)
	}
	s.driver = d
	s.backend = d
	return nil
}

// Executors lists the ids of the executors registered with the driver and
// not leaving, in registration order (as Spark's status tracker's
// executor infos): under local[N] none, the driver runs the tasks. With
// dynamic allocation the list grows and shrinks while the application
// runs.
func (s *Session) Executors() []string {
	if s.driver == nil {
		return nil
	}
	var out []string
	for _, l := range s.driver.Loads() {
		if !l.Decommissioning {
			out = append(out, l.ID)
		}
	}
	return out
}

// clientMode tells a Kubernetes driver that runs where gospark submit ran
// (--deploy-mode client), not in a driver pod.
func (s *Session) clientMode() bool {
	return s.master.Kind == master.Kubernetes && s.conf.String("spark.submit.deployMode") == "client"
}

// driverURL is where executors reach the driver endpoint.
func (s *Session) driverURL() string {
	if s.master.Kind != master.Kubernetes {
		return s.driver.Addr()
	}
	if s.clientMode() {
		_, port, _ := net.SplitHostPort(s.driver.Addr()) // spark.driver.port, or the one picked
		return net.JoinHostPort(s.conf.String("spark.driver.host"), port)
	}
	port := strconv.Itoa(launch.DriverPort(s.conf, true))
	if host := s.conf.String("spark.driver.host"); host != "" {
		return net.JoinHostPort(host, port) // the driver pod's Service
	}
	return net.JoinHostPort(os.Getenv(launch.EnvPodIP), port)
}

// startExecutors asks the cluster manager for the executors.
func (s *Session) startExecutors(ctx context.Context) error {
	n, cores, mem, err := s.clusterSize()
	if err != nil {
		return err
	}
	execConf := s.conf.Clone()
	// Executors get the secret on its own (launch.EnvSecret), which a
	// cluster manager may keep out of sight (a Kubernetes Secret): not in
	// the configuration they are given as well.
	execConf.Unset("spark.authenticate.secret")
	if s.master.Kind == master.LocalCluster {
		// Each process gets the share local-cluster[N,C,M] gives it.
		if err := execConf.Set("spark.executor.memory", fmt.Sprintf("%dm", mem>>20)); err != nil {
			return fmt.Errorf("spark: %w", err)
		}
		if err := execConf.Set("spark.executor.cores", strconv.Itoa(cores)); err != nil {
			return fmt.Errorf("spark: %w", err)
		}
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("spark: finding this program for the executors: %w", err)
	}
	return s.cm.Start(ctx, clustermgr.App{
		Launch: launch.Executor{AppID: s.appID, DriverURL: s.driverURL(), Secret: s.secret, Cores: cores,
			Conf: execConf.Encode(), Command: exe, Args: os.Args[1:]},
		Instances: n,
		MemoryMiB: mem >> 20,
		Events: clustermgr.Events{
			// An executor that registered is lost through the endpoint
			// (its connection ends); one that had not is forgotten here.
			Exited: func(id, reason string) { s.driver.Lose(id, reason) },
			Fatal:  func(err error) { s.fail(fmt.Errorf("spark: %w", err)) },
		},
	})
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
	deadline := time.NewTimer(time.Until(s.started.Add(s.conf.Duration("spark.scheduler.maxRegisteredResourcesWaitingTime"))))
	defer deadline.Stop()
	for {
		changed := s.registrations.wait() // before counting: no registration is missed
		have := 0
		for _, e := range s.driver.Registered() {
			have += e.Cores
		}
		if float64(have) >= want {
			s.ready.Store(true)
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.fatal.Done():
			return context.Cause(s.fatal)
		case <-s.stopping.Done():
			return context.Cause(s.stopping)
		case <-deadline.C:
			s.ready.Store(true)
			return nil
		case <-changed:
		}
	}
}

// executorLost reacts to an executor that is gone: its slots and map
// outputs are forgotten. The cluster manager replaces it when its process
// or pod ended.
func (s *Session) executorLost(id, reason string) {
	if s.events != nil {
		s.events.executorRemoved(id, reason)
	}
	if s.tasks != nil {
		s.tasks.ExecutorRemoved(id)
	}
	if s.dag != nil {
		s.dag.ExecutorLost(id, reason)
	}
}

// executorSilent kills an executor that stopped answering (it may still
// run), so that the cluster manager replaces it.
func (s *Session) executorSilent(id string) {
	if s.cm == nil {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := s.cm.Kill(ctx, []string{id}); err != nil {
			s.log.Warn("killing a silent executor", "executor", id, "error", err)
		}
	}()
}

// stopExecutors tells executors to exit, waits for them and has the
// cluster manager remove what is left (processes, pods, local dirs).
func (s *Session) stopExecutors() {
	const grace = 10 * time.Second
	if s.cm != nil {
		s.cm.BeginStop()
	}
	if s.driver != nil {
		s.driver.Stop(grace)
	}
	// Once the executors left: the shuffle services remove the
	// application's files.
	s.elastic.stop()
	if s.cm != nil {
		ctx, cancel := context.WithTimeout(context.Background(), grace)
		defer cancel()
		if err := s.cm.Stop(ctx); err != nil {
			s.log.Warn("stopping the executors", "error", err)
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
