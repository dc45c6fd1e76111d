// Package external runs a cluster manager in another process than the
// driver: the driver's side (Client, a clustermgr.Manager) sends the calls
// over an authenticated local connection, and the other process (Serve)
// makes them on the real manager and sends its events back. Beside the
// Manager's calls, the driver may ask where an executor's shuffle service
// is (clustermgr.ShuffleServices) and for an executor's log
// (clustermgr.Logs), answered without holding up the other calls.
//
// On Kubernetes the driver pod's entry process is gospark (`gospark
// driver`), which starts the application as its child with EnvManagerURL
// and EnvManagerSecret, and manages the executor pods on its behalf: the
// application binary links no Kubernetes code.
package external

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"

	"github.com/gospark/gospark/internal/clustermgr"
	"github.com/gospark/gospark/internal/config"
	"github.com/gospark/gospark/internal/launch"
	"github.com/gospark/gospark/internal/master"
	"github.com/gospark/gospark/internal/rpc"
)

func init() {
	clustermgr.Register(master.Kubernetes, func(m master.Master, _ *config.Conf, log *slog.Logger) (clustermgr.Manager, error) {
		url, secret := os.Getenv(launch.EnvManagerURL), os.Getenv(launch.EnvManagerSecret)
		if url == "" || secret == "" {
			return nil, fmt.Errorf("%w: the driver of a Kubernetes application (%s) runs under gospark, which manages its executor pods: submit it with gospark submit (--deploy-mode cluster runs it in a driver pod, --deploy-mode client here)",
				ErrNoManagerProcess, m.Raw)
		}
		return Dial(context.Background(), url, secret, log)
	})
}

// ErrNoManagerProcess is returned for a Kubernetes master in a process
// that no gospark driver started.
var ErrNoManagerProcess = errors.New("external: no cluster manager process")

// Operations.
const (
	opStart        = "start"
	opRequestTotal = "request-total"
	opKill         = "kill"
	opDecommission = "decommission"
	opRegistered   = "registered"
	opBeginStop    = "begin-stop"
	opStop         = "stop"
	// opShuffleService asks where the external shuffle service of an
	// executor's host is (clustermgr.ShuffleServices).
	opShuffleService = "shuffle-service"
	// opExecutorLog asks for the end of an executor's log
	// (clustermgr.Logs), IDs holding its id; the reply's Data is the log.
	opExecutorLog = "executor-log"
)

// request is a call from the driver; Seq 0 expects no reply.
type request struct {
	Seq       uint64
	Op        string
	Launch    launch.Executor
	Instances int
	MemoryMiB int64
	Total     int
	IDs       []string
	// Host is the executor's host, for opShuffleService (IDs holds the
	// executor's id).
	Host string
}

// Events.
const (
	evReply  = "reply"
	evExited = "exited"
	evFatal  = "fatal"
)

// event is a reply to a call or an event of the manager.
type event struct {
	Kind   string
	Seq    uint64
	Err    string
	ID     string
	Reason string
	// Addr is a reply's result: the shuffle service's host:port.
	Addr string
	// Data is a reply's result: an executor's log, at most
	// clustermgr.LogTail bytes.
	Data []byte
	// Code classifies Err where the driver decides on it.
	Code string
}

// Error codes of a reply.
const (
	codeNoShuffleService = "no-shuffle-service"
	// codeNoLog: the executor has no log to show (clustermgr.ErrNoLog),
	// or the manager keeps none.
	codeNoLog = "no-log"
)

// ErrManager wraps the errors the other process's manager returned.
var ErrManager = errors.New("external: cluster manager")

// ErrNoShuffleService is returned by Client.ShuffleService when the other
// process's manager knows no shuffle service (it does not implement
// clustermgr.ShuffleServices); it wraps ErrManager.
var ErrNoShuffleService = fmt.Errorf("%w: the cluster manager has no shuffle service", ErrManager)

// noLogError is a reply saying an executor has no log: it wraps
// clustermgr.ErrNoLog and ErrManager, with the manager's words.
type noLogError struct{ msg string }

func (e *noLogError) Error() string { return "external: " + e.msg }

func (e *noLogError) Is(target error) bool {
	return target == clustermgr.ErrNoLog || target == ErrManager
}

// Client is the driver's side. It implements clustermgr.Manager,
// clustermgr.ShuffleServices and clustermgr.Logs.
type Client struct {
	conn *rpc.Conn
	log  *slog.Logger

	mu      sync.Mutex
	seq     uint64
	waiting map[uint64]chan event
	events  clustermgr.Events
	closed  bool
	done    chan struct{}
	stopped bool
}

var (
	_ clustermgr.Manager         = (*Client)(nil)
	_ clustermgr.ShuffleServices = (*Client)(nil)
	_ clustermgr.Logs            = (*Client)(nil)
)

// Dial connects to the manager process at addr with the channel's secret.
func Dial(ctx context.Context, addr, secret string, log *slog.Logger) (*Client, error) {
	if log == nil {
		log = slog.Default()
	}
	sec := &rpc.Security{Secret: []byte(secret), Timeout: 30 * time.Second}
	var d net.Dialer
	raw, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("external: cluster manager at %s: %w", addr, err)
	}
	c, err := sec.Client(raw)
	if err != nil {
		return nil, fmt.Errorf("external: cluster manager at %s: %w", addr, err)
	}
	cl := &Client{conn: rpc.NewConn(c), log: log, waiting: make(map[uint64]chan event), done: make(chan struct{})}
	go cl.receive()
	return cl, nil
}

func (c *Client) receive() {
	defer close(c.done)
	for {
		var ev event
		if err := c.conn.Recv(&ev); err != nil {
			c.mu.Lock()
			c.closed = true
			for seq, ch := range c.waiting {
				close(ch)
				delete(c.waiting, seq)
			}
			stopped, fatal := c.stopped, c.events.Fatal
			c.mu.Unlock()
			if !stopped && fatal != nil {
				fatal(fmt.Errorf("%w: connection to the cluster manager process lost: %w", ErrManager, err))
			}
			return
		}
		switch ev.Kind {
		case evReply:
			c.mu.Lock()
			ch := c.waiting[ev.Seq]
			delete(c.waiting, ev.Seq)
			c.mu.Unlock()
			if ch != nil {
				ch <- ev
			}
		case evExited:
			c.mu.Lock()
			f := c.events.Exited
			c.mu.Unlock()
			if f != nil {
				f(ev.ID, ev.Reason)
			}
		case evFatal:
			c.mu.Lock()
			f := c.events.Fatal
			c.mu.Unlock()
			if f != nil {
				f(fmt.Errorf("%w: %s", ErrManager, ev.Reason))
			}
		}
	}
}

// call sends a request and waits for its reply.
func (c *Client) call(ctx context.Context, r request) error {
	_, err := c.roundTrip(ctx, r)
	return err
}

// roundTrip sends a request and returns its reply; a reply that carries
// an error is returned as one.
func (c *Client) roundTrip(ctx context.Context, r request) (event, error) {
	ch := make(chan event, 1)
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return event{}, fmt.Errorf("%w: %s: connection closed", ErrManager, r.Op)
	}
	c.seq++
	r.Seq = c.seq
	c.waiting[r.Seq] = ch
	c.mu.Unlock()
	if err := c.conn.Send(&r); err != nil {
		c.mu.Lock()
		delete(c.waiting, r.Seq)
		c.mu.Unlock()
		return event{}, fmt.Errorf("%w: %s: %w", ErrManager, r.Op, err)
	}
	select {
	case <-ctx.Done():
		c.mu.Lock()
		delete(c.waiting, r.Seq)
		c.mu.Unlock()
		return event{}, fmt.Errorf("external: %s: %w", r.Op, ctx.Err())
	case ev, ok := <-ch:
		if !ok {
			return event{}, fmt.Errorf("%w: %s: connection closed", ErrManager, r.Op)
		}
		switch {
		case ev.Code == codeNoShuffleService:
			return ev, ErrNoShuffleService
		case ev.Code == codeNoLog:
			return ev, &noLogError{msg: ev.Err}
		case ev.Err != "":
			return ev, fmt.Errorf("%w: %s", ErrManager, ev.Err)
		}
		return ev, nil
	}
}

// notify sends a request that has no reply.
func (c *Client) notify(r request) {
	if err := c.conn.Send(&r); err != nil {
		c.log.Warn("telling the cluster manager", "op", r.Op, "error", err)
	}
}

// Start implements clustermgr.Manager.
func (c *Client) Start(ctx context.Context, app clustermgr.App) error {
	c.mu.Lock()
	c.events = app.Events
	c.mu.Unlock()
	return c.call(ctx, request{Op: opStart, Launch: app.Launch, Instances: app.Instances, MemoryMiB: app.MemoryMiB})
}

// RequestTotal implements clustermgr.Manager.
func (c *Client) RequestTotal(ctx context.Context, total int) error {
	return c.call(ctx, request{Op: opRequestTotal, Total: total})
}

// Kill implements clustermgr.Manager.
func (c *Client) Kill(ctx context.Context, ids []string) error {
	return c.call(ctx, request{Op: opKill, IDs: ids})
}

// Decommission implements clustermgr.Manager.
func (c *Client) Decommission(ctx context.Context, ids []string) error {
	return c.call(ctx, request{Op: opDecommission, IDs: ids})
}

// ShuffleService implements clustermgr.ShuffleServices: the manager
// process finds the shuffle service of the executor's host. The error
// wraps ErrNoShuffleService when that manager has none, else ErrManager
// with the manager's reason.
func (c *Client) ShuffleService(ctx context.Context, executorID, host string) (string, error) {
	ev, err := c.roundTrip(ctx, request{Op: opShuffleService, IDs: []string{executorID}, Host: host})
	if err != nil {
		return "", err
	}
	return ev.Addr, nil
}

// ExecutorLog implements clustermgr.Logs: the manager process reads the
// end of the executor's log (on Kubernetes, its pod's). The error wraps
// clustermgr.ErrNoLog when there is none to show (an unknown executor, a
// pod that is gone, a manager that keeps no logs), else ErrManager.
func (c *Client) ExecutorLog(ctx context.Context, executorID string) (io.ReadCloser, error) {
	ev, err := c.roundTrip(ctx, request{Op: opExecutorLog, IDs: []string{executorID}})
	if err != nil {
		return nil, err
	}
	return io.NopCloser(bytes.NewReader(ev.Data)), nil
}

// Registered implements clustermgr.Manager.
func (c *Client) Registered(id string) { c.notify(request{Op: opRegistered, IDs: []string{id}}) }

// BeginStop implements clustermgr.Manager.
func (c *Client) BeginStop() {
	c.mu.Lock()
	c.stopped = true
	c.mu.Unlock()
	c.notify(request{Op: opBeginStop})
}

// Stop implements clustermgr.Manager: the other process removes the
// executors; then the connection closes.
func (c *Client) Stop(ctx context.Context) error {
	c.mu.Lock()
	c.stopped = true
	c.mu.Unlock()
	err := c.call(ctx, request{Op: opStop})
	c.conn.Close()
	<-c.done
	return err
}

// Serve answers one driver's connection on ln with mgr until the driver
// stops it or disconnects. It returns whether the driver asked to stop.
func Serve(ctx context.Context, ln net.Listener, secret string, mgr clustermgr.Manager, log *slog.Logger) (stopped bool, err error) {
	if log == nil {
		log = slog.Default()
	}
	sec := &rpc.Security{Secret: []byte(secret), Timeout: 30 * time.Second}
	var c net.Conn
	for c == nil {
		raw, err := ln.Accept()
		if err != nil {
			return false, fmt.Errorf("external: waiting for the driver: %w", err)
		}
		ac, err := sec.Accept(raw)
		if err != nil {
			log.Warn("refused a connection to the cluster manager", "remote", raw.RemoteAddr().String(), "error", err)
			continue
		}
		c = ac
	}
	conn := rpc.NewConn(c)
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	send := func(ev event) {
		if err := conn.Send(&ev); err != nil {
			log.Warn("telling the driver", "event", ev.Kind, "error", err)
		}
	}
	events := clustermgr.Events{
		Exited: func(id, reason string) { send(event{Kind: evExited, ID: id, Reason: reason}) },
		Fatal:  func(err error) { send(event{Kind: evFatal, Reason: err.Error()}) },
	}
	// Shuffle services and executor logs are looked up beside the other
	// calls: a lookup only reads, and one that waits for the API server
	// must not hold up Kill or Decommission. They end with Serve.
	lookups, cancelLookups := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		cancelLookups()
		wg.Wait()
	}()
	for {
		var r request
		if err := conn.Recv(&r); err != nil {
			if ctx.Err() != nil {
				return false, ctx.Err()
			}
			return false, nil // the driver is gone; the caller cleans up
		}
		if r.Op == opShuffleService || r.Op == opExecutorLog {
			wg.Go(func() {
				var ev event
				if r.Op == opShuffleService {
					ev = shuffleService(lookups, mgr, r)
				} else {
					ev = executorLog(lookups, mgr, r)
				}
				if r.Seq != 0 {
					send(ev)
				}
			})
			continue
		}
		var err error
		switch r.Op {
		case opStart:
			err = mgr.Start(ctx, clustermgr.App{Launch: r.Launch, Instances: r.Instances, MemoryMiB: r.MemoryMiB, Events: events})
		case opRequestTotal:
			err = mgr.RequestTotal(ctx, r.Total)
		case opKill:
			err = mgr.Kill(ctx, r.IDs)
		case opDecommission:
			err = mgr.Decommission(ctx, r.IDs)
		case opRegistered:
			for _, id := range r.IDs {
				mgr.Registered(id)
			}
		case opBeginStop:
			mgr.BeginStop()
		case opStop:
			err = mgr.Stop(ctx)
		default:
			err = fmt.Errorf("unknown operation %q", r.Op)
		}
		if r.Seq != 0 {
			ev := event{Kind: evReply, Seq: r.Seq}
			if err != nil {
				ev.Err = err.Error()
			}
			send(ev)
		}
		if r.Op == opStop {
			return true, nil
		}
	}
}

// shuffleService answers an opShuffleService request with mgr.
func shuffleService(ctx context.Context, mgr clustermgr.Manager, r request) event {
	ev := event{Kind: evReply, Seq: r.Seq}
	ss, ok := mgr.(clustermgr.ShuffleServices)
	switch {
	case !ok:
		ev.Err, ev.Code = "the cluster manager has no shuffle service", codeNoShuffleService
	case len(r.IDs) != 1:
		ev.Err = fmt.Sprintf("%s: want one executor id, got %d", r.Op, len(r.IDs))
	default:
		addr, err := ss.ShuffleService(ctx, r.IDs[0], r.Host)
		if err != nil {
			ev.Err = err.Error()
		} else {
			ev.Addr = addr
		}
	}
	return ev
}

// executorLog answers an opExecutorLog request with mgr.
func executorLog(ctx context.Context, mgr clustermgr.Manager, r request) event {
	ev := event{Kind: evReply, Seq: r.Seq}
	logs, ok := mgr.(clustermgr.Logs)
	switch {
	case !ok:
		ev.Err, ev.Code = "the cluster manager keeps no executor logs", codeNoLog
		return ev
	case len(r.IDs) != 1:
		ev.Err = fmt.Sprintf("%s: want one executor id, got %d", r.Op, len(r.IDs))
		return ev
	}
	rc, err := logs.ExecutorLog(ctx, r.IDs[0])
	if err == nil {
		// Bounded whatever the manager sends: the reply is one message.
		ev.Data, err = io.ReadAll(io.LimitReader(rc, clustermgr.LogTail))
		rc.Close()
	}
	if err != nil {
		ev.Data, ev.Err = nil, err.Error()
		if errors.Is(err, clustermgr.ErrNoLog) {
			ev.Code = codeNoLog
		}
	}
	return ev
}
