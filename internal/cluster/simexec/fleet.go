package simexec

import (
	"bufio"
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gospark/gospark/internal/rpc"
)

// The control messages of internal/cluster (msg.go), mirrored: gob matches
// struct fields by name, so only the fields a simulated executor uses are
// declared, and the kinds keep their values.
const (
	kindRegister     = 1
	kindRegistered   = 2
	kindHeartbeat    = 3
	kindHeartbeatAck = 4
	kindLaunch       = 5
	kindKill         = 6
	kindStatus       = 7
	kindShutdown     = 8
)

type wireMsg struct {
	Kind       int
	ExecutorID string
	Cores      int
	BlockAddr  string
	PID        int
	Host       string
	AppID      string
	Task       *wireTask
	TaskID     int64
	Status     *wireStatus
	Reason     string
}

type wireTask struct {
	ID        int64
	Partition int
	Payload   []byte
}

type wireStatus struct {
	Value    []byte
	Duration time.Duration
}

// FleetOptions configure simulated executors.
type FleetOptions struct {
	// DriverAddr is the driver endpoint, host:port.
	DriverAddr string
	// Sec must hold the application's secret when the driver requires one.
	Sec *rpc.Security
	// Executors is how many executors connect; Cores the slots of each
	// (default 1).
	Executors int
	Cores     int
	// Heartbeat is spark.executor.heartbeatInterval (default 10s); the
	// storm sends extra heartbeats on top of these.
	Heartbeat time.Duration
	// IDPrefix names the executors IDPrefix0, IDPrefix1, ... (default "sim-").
	IDPrefix string
	// Connect bounds how many executors dial and register at the same
	// time (default 64): a real fleet arrives over seconds, not in one
	// instant, and the listen backlog is finite.
	Connect int
}

// Fleet is a set of running simulated executors.
type Fleet struct {
	opts   FleetOptions
	execs  []*simExec
	cancel context.CancelFunc
	wg     sync.WaitGroup

	launches atomic.Int64 // task launches answered
	acks     atomic.Int64 // heartbeat acks received
	storm    chan struct{}
	mu       sync.Mutex
	exitErrs []error
}

type simExec struct {
	id   string
	conn net.Conn
	mu   sync.Mutex
	w    *bufio.Writer
	enc  *gob.Encoder
	dec  *gob.Decoder
	kick chan struct{} // a storm round: heartbeat now
}

func (x *simExec) send(m *wireMsg) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if err := x.enc.Encode(m); err != nil {
		return fmt.Errorf("simexec: executor %s: send: %w", x.id, err)
	}
	if err := x.w.Flush(); err != nil {
		return fmt.Errorf("simexec: executor %s: send: %w", x.id, err)
	}
	return nil
}

// StartFleet connects and registers every executor, and returns once the
// driver has acknowledged all registrations.
func StartFleet(ctx context.Context, opts FleetOptions) (*Fleet, error) {
	if opts.Executors < 1 {
		return nil, fmt.Errorf("simexec: want at least one executor, got %d", opts.Executors)
	}
	if opts.Cores < 1 {
		opts.Cores = 1
	}
	if opts.Heartbeat <= 0 {
		opts.Heartbeat = 10 * time.Second
	}
	if opts.IDPrefix == "" {
		opts.IDPrefix = "sim-"
	}
	if opts.Connect < 1 {
		opts.Connect = 64
	}
	if opts.Sec == nil {
		opts.Sec = &rpc.Security{}
	}
	runCtx, cancel := context.WithCancel(context.Background())
	f := &Fleet{opts: opts, cancel: cancel, execs: make([]*simExec, opts.Executors)}
	sem := make(chan struct{}, opts.Connect)
	errs := make(chan error, opts.Executors)
	var reg sync.WaitGroup
	for i := range opts.Executors {
		reg.Add(1)
		go func() {
			defer reg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				errs <- ctx.Err()
				return
			}
			defer func() { <-sem }()
			x, err := f.register(ctx, fmt.Sprintf("%s%d", opts.IDPrefix, i))
			if err != nil {
				errs <- err
				return
			}
			f.execs[i] = x
		}()
	}
	reg.Wait()
	close(errs)
	var all []error
	for err := range errs {
		all = append(all, err)
	}
	for _, x := range f.execs {
		if x != nil {
			f.wg.Add(1)
			go f.run(runCtx, x)
		}
	}
	if len(all) > 0 {
		f.Close()
		return nil, fmt.Errorf("simexec: %d of %d executors did not register: %w", len(all), opts.Executors, errors.Join(all...))
	}
	return f, nil
}

func (f *Fleet) register(ctx context.Context, id string) (*simExec, error) {
	var c net.Conn
	var err error
	for wait := 50 * time.Millisecond; ; wait = min(2*wait, time.Second) {
		c, err = f.opts.Sec.Dial("tcp", f.opts.DriverAddr)
		if err == nil || errors.Is(err, rpc.ErrAuth) {
			break
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("simexec: executor %s: dialing the driver: %w (last: %w)", id, ctx.Err(), err)
		case <-time.After(wait):
		}
	}
	if err != nil {
		return nil, fmt.Errorf("simexec: executor %s: dialing the driver: %w", id, err)
	}
	w := bufio.NewWriterSize(c, 4<<10)
	x := &simExec{id: id, conn: c, w: w, enc: gob.NewEncoder(w), dec: gob.NewDecoder(bufio.NewReaderSize(c, 4<<10)),
		kick: make(chan struct{}, 1)}
	stop := context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Now()) })
	defer stop()
	if err := x.send(&wireMsg{Kind: kindRegister, ExecutorID: id, Cores: f.opts.Cores, Host: "simulated"}); err != nil {
		c.Close()
		return nil, err
	}
	var m wireMsg
	if err := x.dec.Decode(&m); err != nil {
		c.Close()
		return nil, fmt.Errorf("simexec: executor %s: registering: %w", id, err)
	}
	if m.Kind != kindRegistered {
		c.Close()
		return nil, fmt.Errorf("simexec: the driver refused executor %s: %s", id, m.Reason)
	}
	return x, nil
}

// run answers the driver until it says to stop or the fleet closes.
func (f *Fleet) run(ctx context.Context, x *simExec) {
	defer f.wg.Done()
	stop := context.AfterFunc(ctx, func() { x.conn.Close() })
	defer stop()
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		tick := time.NewTicker(f.opts.Heartbeat)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			case <-x.kick:
			}
			if err := x.send(&wireMsg{Kind: kindHeartbeat, ExecutorID: x.id}); err != nil {
				return
			}
		}
	}()
	defer x.conn.Close()
	for {
		var m wireMsg
		if err := x.dec.Decode(&m); err != nil {
			if ctx.Err() == nil {
				f.exited(fmt.Errorf("simexec: executor %s: %w", x.id, err))
			}
			return
		}
		switch m.Kind {
		case kindHeartbeatAck:
			f.acks.Add(1)
		case kindLaunch:
			f.launches.Add(1)
			// The tiny task: its result is its payload, sent back at once.
			if err := x.send(&wireMsg{Kind: kindStatus, TaskID: m.Task.ID, Status: &wireStatus{Value: m.Task.Payload}}); err != nil {
				f.exited(err)
				return
			}
		case kindKill:
			// Tasks end as soon as they start: nothing to kill.
		case kindShutdown:
			return
		}
	}
}

func (f *Fleet) exited(err error) {
	f.mu.Lock()
	f.exitErrs = append(f.exitErrs, err)
	f.mu.Unlock()
}

// Launches is how many task launches the executors answered.
func (f *Fleet) Launches() int64 { return f.launches.Load() }

// Acks is how many heartbeat acknowledgements the executors received.
func (f *Fleet) Acks() int64 { return f.acks.Load() }

// Errors lists the executors whose connection broke before the fleet was
// closed or the driver told them to stop.
func (f *Fleet) Errors() []error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]error(nil), f.exitErrs...)
}

// Storm makes every executor send a heartbeat at the same moment, rounds
// times, each round once the driver acknowledged the previous one. It
// returns when the last round is acknowledged or ctx ends.
func (f *Fleet) Storm(ctx context.Context, rounds int) error {
	for r := range rounds {
		want := f.acks.Load() + int64(len(f.execs))
		for _, x := range f.execs {
			select {
			case x.kick <- struct{}{}:
			default: // a kick is already pending
			}
		}
		for f.acks.Load() < want {
			select {
			case <-ctx.Done():
				return fmt.Errorf("simexec: heartbeat storm round %d of %d: %d acknowledgements missing: %w",
					r+1, rounds, want-f.acks.Load(), ctx.Err())
			case <-time.After(time.Millisecond):
			}
		}
	}
	return nil
}

// Close disconnects every executor and waits for their goroutines.
func (f *Fleet) Close() {
	f.cancel()
	for _, x := range f.execs {
		if x != nil {
			x.conn.Close()
		}
	}
	f.wg.Wait()
}
