package external

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gospark/gospark/internal/clustermgr"
	"github.com/gospark/gospark/internal/launch"
	"github.com/gospark/gospark/internal/rpc"
)

// call is one call the fake manager received.
type call struct {
	op    string
	app   clustermgr.App
	total int
	ids   []string
	host  string
}

// fakeManager records its calls and fails those it is told to.
type fakeManager struct {
	calls chan call

	mu     sync.Mutex
	errs   map[string]error
	block  map[string]chan struct{}
	events clustermgr.Events
}

func newFakeManager() *fakeManager {
	return &fakeManager{calls: make(chan call, 32), errs: make(map[string]error), block: make(map[string]chan struct{})}
}

func (f *fakeManager) fail(op string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errs[op] = err
}

func (f *fakeManager) record(c call) error {
	f.calls <- c
	f.mu.Lock()
	err, block := f.errs[c.op], f.block[c.op]
	f.mu.Unlock()
	if block != nil {
		<-block
	}
	return err
}

func (f *fakeManager) Start(_ context.Context, app clustermgr.App) error {
	f.mu.Lock()
	f.events = app.Events
	f.mu.Unlock()
	return f.record(call{op: "start", app: app})
}

func (f *fakeManager) RequestTotal(_ context.Context, total int) error {
	return f.record(call{op: "request-total", total: total})
}

func (f *fakeManager) Kill(_ context.Context, ids []string) error {
	return f.record(call{op: "kill", ids: ids})
}

func (f *fakeManager) Decommission(_ context.Context, ids []string) error {
	return f.record(call{op: "decommission", ids: ids})
}

func (f *fakeManager) Registered(id string) { _ = f.record(call{op: "registered", ids: []string{id}}) }

func (f *fakeManager) BeginStop() { _ = f.record(call{op: "begin-stop"}) }

func (f *fakeManager) Stop(context.Context) error { return f.record(call{op: "stop"}) }

func (f *fakeManager) managerEvents() clustermgr.Events {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.events
}

// served is what Serve returned.
type served struct {
	stopped bool
	err     error
}

type server struct {
	addr, secret string
	mgr          *fakeManager
	done         chan served
	cancel       context.CancelFunc
}

const testSecret = "the channel's secret"

// startServer runs Serve with a fake manager on 127.0.0.1.
func startServer(t *testing.T) *server {
	t.Helper()
	return serve(t, newFakeManager(), nil)
}

// serve runs Serve on 127.0.0.1 with mgr, whose calls f records (mgr nil:
// f itself).
func serve(t *testing.T, f *fakeManager, mgr clustermgr.Manager) *server {
	t.Helper()
	if mgr == nil {
		mgr = f
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &server{addr: ln.Addr().String(), secret: testSecret, mgr: f, done: make(chan served, 1), cancel: cancel}
	go func() {
		stopped, err := Serve(ctx, ln, testSecret, mgr, quiet())
		s.done <- served{stopped, err}
	}()
	t.Cleanup(func() {
		cancel()
		ln.Close()
	})
	return s
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// driverEvents collects what the Client reports to the driver.
type driverEvents struct {
	exited chan [2]string
	fatal  chan error
}

func newDriverEvents() *driverEvents {
	return &driverEvents{exited: make(chan [2]string, 8), fatal: make(chan error, 8)}
}

func (d *driverEvents) events() clustermgr.Events {
	return clustermgr.Events{
		Exited: func(id, reason string) { d.exited <- [2]string{id, reason} },
		Fatal:  func(err error) { d.fatal <- err },
	}
}

func dial(t *testing.T, s *server) *Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := Dial(ctx, s.addr, s.secret, quiet())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// started is a client that started the application on s's manager, and
// the events the manager's reports reach.
func started(t *testing.T, s *server) (*Client, *driverEvents) {
	t.Helper()
	c := dial(t, s)
	ev := newDriverEvents()
	app := testApp()
	app.Events = ev.events()
	if err := c.Start(ctx10s(t), app); err != nil {
		t.Fatal(err)
	}
	nextCall(t, s, "start")
	return c, ev
}

func ctx10s(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func next[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

func nextCall(t *testing.T, s *server, op string) call {
	t.Helper()
	c := next(t, s.mgr.calls, op)
	if c.op != op {
		t.Fatalf("manager got %q, want %q", c.op, op)
	}
	return c
}

func testApp() clustermgr.App {
	return clustermgr.App{
		Launch: launch.Executor{AppID: "spark-app-1", DriverURL: "10.0.0.7:7078", Secret: "exec-secret", Cores: 3,
			Conf: "encoded-conf", Command: "/opt/app/bin", Args: []string{"in.txt", "--flag", ""}},
		Instances: 4,
		MemoryMiB: 1536,
	}
}

func TestCallsReachTheManager(t *testing.T) {
	s := startServer(t)
	c := dial(t, s)
	ctx := ctx10s(t)
	ev := newDriverEvents()
	app := testApp()
	app.Events = ev.events()
	if err := c.Start(ctx, app); err != nil {
		t.Fatal(err)
	}
	got := nextCall(t, s, "start")
	if !reflect.DeepEqual(got.app.Launch, app.Launch) {
		t.Fatalf("manager started with launch contract %+v, want %+v", got.app.Launch, app.Launch)
	}
	if got.app.Instances != 4 || got.app.MemoryMiB != 1536 {
		t.Fatalf("manager started %d executors of %d MiB, want 4 of 1536 MiB", got.app.Instances, got.app.MemoryMiB)
	}
	if got.app.Events.Exited == nil || got.app.Events.Fatal == nil {
		t.Fatal("manager got no events to report to")
	}

	if err := c.RequestTotal(ctx, 6); err != nil {
		t.Fatal(err)
	}
	if got := nextCall(t, s, "request-total"); got.total != 6 {
		t.Fatalf("RequestTotal(6) reached the manager as %d", got.total)
	}
	if err := c.Kill(ctx, []string{"1", "3"}); err != nil {
		t.Fatal(err)
	}
	if got := nextCall(t, s, "kill"); !reflect.DeepEqual(got.ids, []string{"1", "3"}) {
		t.Fatalf("Kill(1, 3) reached the manager as %v", got.ids)
	}
	if err := c.Decommission(ctx, []string{"2"}); err != nil {
		t.Fatal(err)
	}
	if got := nextCall(t, s, "decommission"); !reflect.DeepEqual(got.ids, []string{"2"}) {
		t.Fatalf("Decommission(2) reached the manager as %v", got.ids)
	}
	c.Registered("4")
	if got := nextCall(t, s, "registered"); !reflect.DeepEqual(got.ids, []string{"4"}) {
		t.Fatalf("Registered(4) reached the manager as %v", got.ids)
	}

	// The manager's errors come back, wrapping ErrManager.
	for _, op := range []struct {
		name string
		call func() error
	}{
		{"request-total", func() error { return c.RequestTotal(ctx, 9) }},
		{"kill", func() error { return c.Kill(ctx, []string{"5"}) }},
		{"decommission", func() error { return c.Decommission(ctx, []string{"6"}) }},
	} {
		s.mgr.fail(op.name, errors.New(op.name+": quota exceeded"))
		err := op.call()
		nextCall(t, s, op.name)
		if !errors.Is(err, ErrManager) || !strings.Contains(err.Error(), op.name+": quota exceeded") {
			t.Fatalf("%s failing in the manager: %v, want an error wrapping ErrManager with the manager's message", op.name, err)
		}
	}

	c.BeginStop()
	nextCall(t, s, "begin-stop")
	if err := c.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	nextCall(t, s, "stop")
	if r := next(t, s.done, "Serve to return"); !r.stopped || r.err != nil {
		t.Fatalf("Serve after Stop returned %v, %v; want true, nil", r.stopped, r.err)
	}
	// A stopped client's connection ends without a Fatal event.
	select {
	case err := <-ev.fatal:
		t.Fatalf("Fatal after Stop: %v", err)
	default:
	}
	if err := c.RequestTotal(ctx, 1); !errors.Is(err, ErrManager) {
		t.Fatalf("RequestTotal after Stop: %v, want an error wrapping ErrManager", err)
	}
}

func TestStopErrorComesBack(t *testing.T) {
	s := startServer(t)
	c, _ := started(t, s)
	ctx := ctx10s(t)
	s.mgr.fail("stop", errors.New("pods left behind"))
	if err := c.Stop(ctx); !errors.Is(err, ErrManager) || !strings.Contains(err.Error(), "pods left behind") {
		t.Fatalf("Stop failing in the manager: %v, want an error wrapping ErrManager", err)
	}
	if r := next(t, s.done, "Serve to return"); !r.stopped {
		t.Fatalf("Serve after a failed Stop returned %v, %v; want true", r.stopped, r.err)
	}
}

func TestStartErrorComesBack(t *testing.T) {
	s := startServer(t)
	c := dial(t, s)
	s.mgr.fail("start", errors.New("no such namespace"))
	err := c.Start(ctx10s(t), testApp())
	if !errors.Is(err, ErrManager) || !strings.Contains(err.Error(), "no such namespace") {
		t.Fatalf("Start failing in the manager: %v, want an error wrapping ErrManager", err)
	}
}

func TestManagerEventsReachTheDriver(t *testing.T) {
	s := startServer(t)
	c, ev := started(t, s)
	ctx := ctx10s(t)
	mev := s.mgr.managerEvents()
	mev.Exited("3", "pod spark-exec-3 was deleted")
	if got := next(t, ev.exited, "Exited"); got != [2]string{"3", "pod spark-exec-3 was deleted"} {
		t.Fatalf("driver heard Exited%v, want (3, pod spark-exec-3 was deleted)", got)
	}
	mev.Fatal(errors.New("10 executor pods failed"))
	err := next(t, ev.fatal, "Fatal")
	if !errors.Is(err, ErrManager) || !strings.Contains(err.Error(), "10 executor pods failed") {
		t.Fatalf("driver heard Fatal(%v), want an error wrapping ErrManager with the manager's reason", err)
	}
	if err := c.Stop(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestWrongSecretIsRefused(t *testing.T) {
	s := startServer(t)
	ctx := ctx10s(t)
	for _, secret := range []string{"not the secret", ""} {
		c, err := Dial(ctx, s.addr, secret, quiet())
		if err == nil {
			c.conn.Close()
			t.Fatalf("Dial with secret %q succeeded", secret)
		}
		if !errors.Is(err, rpc.ErrAuth) {
			t.Fatalf("Dial with secret %q: %v, want an error wrapping rpc.ErrAuth", secret, err)
		}
	}
	// A client that skips the handshake gets nothing done either.
	raw, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	_ = rpc.NewConn(raw).Send(&request{Seq: 1, Op: opKill, IDs: []string{"1"}})
	_ = raw.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, _ = io.ReadAll(raw) // the server closes it
	raw.Close()
	select {
	case r := <-s.done:
		t.Fatalf("Serve returned %v, %v after refusing a client; want it to wait for the driver", r.stopped, r.err)
	case c := <-s.mgr.calls:
		t.Fatalf("manager got %q from a client without the secret", c.op)
	default:
	}
	// The driver with the secret is still served.
	c := dial(t, s)
	if err := c.Start(ctx, testApp()); err != nil {
		t.Fatal(err)
	}
	nextCall(t, s, "start")
	if err := c.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if r := next(t, s.done, "Serve to return"); !r.stopped || r.err != nil {
		t.Fatalf("Serve returned %v, %v; want true, nil", r.stopped, r.err)
	}
}

func TestDriverGoneWithoutStop(t *testing.T) {
	s := startServer(t)
	c, _ := started(t, s)
	c.conn.Close() // the driver process died
	r := next(t, s.done, "Serve to return")
	if r.stopped || r.err != nil {
		t.Fatalf("Serve after the driver disconnected returned %v, %v; want false, nil", r.stopped, r.err)
	}
	select {
	case got := <-s.mgr.calls:
		t.Fatalf("manager got %q from a driver that disconnected", got.op)
	default:
	}
}

func TestServerGoneIsFatal(t *testing.T) {
	s := startServer(t)
	c, ev := started(t, s)
	ctx := ctx10s(t)
	s.cancel() // the manager process goes away
	if r := next(t, s.done, "Serve to return"); r.stopped || !errors.Is(r.err, context.Canceled) {
		t.Fatalf("Serve after its context ended returned %v, %v; want false, context.Canceled", r.stopped, r.err)
	}
	err := next(t, ev.fatal, "Fatal")
	if !errors.Is(err, ErrManager) || !strings.Contains(err.Error(), "connection to the cluster manager process lost") {
		t.Fatalf("Fatal(%v), want an error wrapping ErrManager saying the connection was lost", err)
	}
	if err := c.Kill(ctx, []string{"1"}); !errors.Is(err, ErrManager) {
		t.Fatalf("Kill without a manager process: %v, want an error wrapping ErrManager", err)
	}
	select {
	case err := <-ev.fatal:
		t.Fatalf("second Fatal: %v", err)
	default:
	}
}

func TestCallFollowsItsContext(t *testing.T) {
	s := startServer(t)
	c, _ := started(t, s)
	ctx := ctx10s(t)
	release := make(chan struct{})
	s.mgr.mu.Lock()
	s.mgr.block["kill"] = release
	s.mgr.mu.Unlock()
	kctx, cancel := context.WithCancel(ctx)
	res := make(chan error, 1)
	go func() { res <- c.Kill(kctx, []string{"1"}) }()
	nextCall(t, s, "kill") // the manager is busy with it and does not answer
	cancel()
	if err := next(t, res, "Kill to return"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Kill whose context was cancelled: %v, want an error wrapping context.Canceled", err)
	}
	close(release)
	// The late reply is dropped; the channel still works.
	if err := c.RequestTotal(ctx, 2); err != nil {
		t.Fatal(err)
	}
	if got := nextCall(t, s, "request-total"); got.total != 2 {
		t.Fatalf("RequestTotal(2) reached the manager as %d", got.total)
	}
	if err := c.Stop(ctx); err != nil {
		t.Fatal(err)
	}
}

// shuffleManager is a fake manager that also knows shuffle services: the
// one of host h is at "shuffle-h:7337". Its lookups follow their context
// when blocked.
type shuffleManager struct{ *fakeManager }

func (m shuffleManager) ShuffleService(ctx context.Context, id, host string) (string, error) {
	m.calls <- call{op: "shuffle-service", ids: []string{id}, host: host}
	m.mu.Lock()
	err, block := m.errs["shuffle-service"], m.block["shuffle-service"]
	m.mu.Unlock()
	if block != nil {
		select {
		case <-block:
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
	if err != nil {
		return "", err
	}
	return "shuffle-" + host + ":7337", nil
}

func TestShuffleServiceCallsReachTheManager(t *testing.T) {
	f := newFakeManager()
	s := serve(t, f, shuffleManager{f})
	c, _ := started(t, s)
	ctx := ctx10s(t)
	var _ clustermgr.ShuffleServices = c
	addr, err := c.ShuffleService(ctx, "3", "node-a")
	if err != nil {
		t.Fatal(err)
	}
	if addr != "shuffle-node-a:7337" {
		t.Fatalf("ShuffleService(3, node-a) = %q, want the manager's shuffle-node-a:7337", addr)
	}
	if got := nextCall(t, s, "shuffle-service"); !reflect.DeepEqual(got.ids, []string{"3"}) || got.host != "node-a" {
		t.Fatalf("ShuffleService(3, node-a) reached the manager as executor %v on %q", got.ids, got.host)
	}

	// The manager's reason comes back, wrapping ErrManager.
	const why = "no shuffle service pod with labels app=spark-shuffle-service in namespace default on node node-b"
	f.fail("shuffle-service", errors.New(why))
	addr, err = c.ShuffleService(ctx, "4", "node-b")
	nextCall(t, s, "shuffle-service")
	if !errors.Is(err, ErrManager) || errors.Is(err, ErrNoShuffleService) || !strings.Contains(err.Error(), why) || addr != "" {
		t.Fatalf("ShuffleService failing in the manager: %q, %v; want an error wrapping ErrManager with the manager's reason", addr, err)
	}
	f.fail("shuffle-service", nil)

	// A lookup that waits does not hold up the other calls.
	release := make(chan struct{})
	f.mu.Lock()
	f.block["shuffle-service"] = release
	f.mu.Unlock()
	res := make(chan string, 1)
	go func() {
		addr, err := c.ShuffleService(ctx, "5", "node-c")
		if err != nil {
			addr = err.Error()
		}
		res <- addr
	}()
	nextCall(t, s, "shuffle-service")
	if err := c.Kill(ctx, []string{"1"}); err != nil {
		t.Fatal(err)
	}
	nextCall(t, s, "kill")
	close(release)
	if got := next(t, res, "the blocked lookup"); got != "shuffle-node-c:7337" {
		t.Fatalf("blocked ShuffleService(5, node-c) = %q, want shuffle-node-c:7337", got)
	}

	// Stopping ends a lookup still under way.
	f.mu.Lock()
	f.block["shuffle-service"] = make(chan struct{})
	f.mu.Unlock()
	go func() {
		_, err := c.ShuffleService(ctx, "6", "node-d")
		res <- fmt.Sprint(err)
	}()
	nextCall(t, s, "shuffle-service")
	if err := c.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	nextCall(t, s, "stop")
	if r := next(t, s.done, "Serve to return"); !r.stopped || r.err != nil {
		t.Fatalf("Serve after Stop with a lookup under way returned %v, %v; want true, nil", r.stopped, r.err)
	}
	if got := next(t, res, "the lookup under way at Stop"); !strings.Contains(got, "external") {
		t.Fatalf("lookup under way at Stop returned %q, want an error", got)
	}
}

func TestShuffleServiceOfAManagerWithoutOne(t *testing.T) {
	s := startServer(t)
	c, _ := started(t, s)
	addr, err := c.ShuffleService(ctx10s(t), "1", "node-a")
	if !errors.Is(err, ErrNoShuffleService) || !errors.Is(err, ErrManager) || addr != "" {
		t.Fatalf("ShuffleService of a manager without shuffle services: %q, %v; want ErrNoShuffleService", addr, err)
	}
	if !strings.Contains(err.Error(), "the cluster manager has no shuffle service") {
		t.Fatalf("error %q does not say the cluster manager has no shuffle service", err)
	}
	// The channel still works.
	if err := c.RequestTotal(ctx10s(t), 2); err != nil {
		t.Fatal(err)
	}
	nextCall(t, s, "request-total")
}

// logsManager is a fake manager that keeps executor logs: executor "gone"
// has none (clustermgr.ErrNoLog), "broken" fails, "big" has more than
// clustermgr.LogTail bytes, and any other id's log is "log of <id>\n".
// Its reads follow their context when blocked.
type logsManager struct{ *fakeManager }

func (m logsManager) ExecutorLog(ctx context.Context, id string) (io.ReadCloser, error) {
	m.calls <- call{op: "executor-log", ids: []string{id}}
	m.mu.Lock()
	block := m.block["executor-log"]
	m.mu.Unlock()
	if block != nil {
		select {
		case <-block:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	switch id {
	case "gone":
		return nil, fmt.Errorf("%w: executor gone: its pod spark-pi-exec-gone is gone", clustermgr.ErrNoLog)
	case "broken":
		return nil, errors.New("the API server said 500")
	case "big":
		return io.NopCloser(strings.NewReader(strings.Repeat("x", 2*clustermgr.LogTail))), nil
	}
	return io.NopCloser(strings.NewReader("log of " + id + "\n")), nil
}

func readLog(t *testing.T, c *Client, id string) (string, error) {
	t.Helper()
	r, err := c.ExecutorLog(ctx10s(t), id)
	if err != nil {
		return "", err
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b), nil
}

func TestExecutorLogCallsReachTheManager(t *testing.T) {
	f := newFakeManager()
	s := serve(t, f, logsManager{f})
	c, _ := started(t, s)
	var _ clustermgr.Logs = c
	if log, err := readLog(t, c, "3"); err != nil || log != "log of 3\n" {
		t.Fatalf("ExecutorLog(3) = %q, %v; want the manager's \"log of 3\\n\"", log, err)
	}
	if got := nextCall(t, s, "executor-log"); !reflect.DeepEqual(got.ids, []string{"3"}) {
		t.Fatalf("ExecutorLog(3) reached the manager as %v", got.ids)
	}
	// No log: the manager's reason, wrapping clustermgr.ErrNoLog.
	log, err := readLog(t, c, "gone")
	nextCall(t, s, "executor-log")
	if !errors.Is(err, clustermgr.ErrNoLog) || !errors.Is(err, ErrManager) || !strings.Contains(err.Error(), "its pod spark-pi-exec-gone is gone") || log != "" {
		t.Fatalf("ExecutorLog(gone) = %q, %v; want ErrNoLog with the manager's reason", log, err)
	}
	// Another failure: ErrManager, not ErrNoLog.
	_, err = readLog(t, c, "broken")
	nextCall(t, s, "executor-log")
	if !errors.Is(err, ErrManager) || errors.Is(err, clustermgr.ErrNoLog) || !strings.Contains(err.Error(), "the API server said 500") {
		t.Fatalf("ExecutorLog(broken): %v; want ErrManager with the manager's reason", err)
	}
	// The reply is bounded, whatever the manager gives.
	log, err = readLog(t, c, "big")
	nextCall(t, s, "executor-log")
	if err != nil || len(log) != clustermgr.LogTail {
		t.Fatalf("ExecutorLog(big): %d bytes, %v; want %d", len(log), err, clustermgr.LogTail)
	}

	// A read that waits does not hold up the other calls.
	release := make(chan struct{})
	f.mu.Lock()
	f.block["executor-log"] = release
	f.mu.Unlock()
	res := make(chan string, 1)
	go func() {
		log, err := readLog(t, c, "5")
		if err != nil {
			log = err.Error()
		}
		res <- log
	}()
	nextCall(t, s, "executor-log")
	if err := c.Kill(ctx10s(t), []string{"1"}); err != nil {
		t.Fatal(err)
	}
	nextCall(t, s, "kill")
	close(release)
	if got := next(t, res, "the blocked log read"); got != "log of 5\n" {
		t.Fatalf("blocked ExecutorLog(5) = %q", got)
	}
	if err := c.Stop(ctx10s(t)); err != nil {
		t.Fatal(err)
	}
}

func TestExecutorLogOfAManagerWithoutLogs(t *testing.T) {
	s := startServer(t)
	c, _ := started(t, s)
	log, err := readLog(t, c, "1")
	if !errors.Is(err, clustermgr.ErrNoLog) || log != "" || !strings.Contains(err.Error(), "keeps no executor logs") {
		t.Fatalf("ExecutorLog of a manager without logs: %q, %v; want ErrNoLog saying so", log, err)
	}
	// The channel still works.
	if err := c.RequestTotal(ctx10s(t), 2); err != nil {
		t.Fatal(err)
	}
	nextCall(t, s, "request-total")
}
