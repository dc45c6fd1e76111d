package shuffleservice

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gospark/gospark/internal/codec"
	"github.com/gospark/gospark/internal/shuffle"
)

// logBuffer keeps the service's log for assertions and shows it in the
// test's output.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
	out io.Writer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Write(p)
	return l.out.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

type service struct {
	addr string
	root string
	log  *logBuffer
}

// startService runs a Server on 127.0.0.1 over root until the test ends.
func startService(t *testing.T, root string, orphanTimeout time.Duration) *service {
	t.Helper()
	logs := &logBuffer{out: t.Output()}
	srv, err := NewServer(ServerOptions{Root: root, OrphanTimeout: orphanTimeout,
		Log: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
		if err := srv.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return &service{addr: ln.Addr().String(), root: root, log: logs}
}

func newClient(t *testing.T, appID, secret string) *Client {
	t.Helper()
	c := NewClient(appID, []byte(secret), 10*time.Second)
	t.Cleanup(func() { c.Close() })
	return c
}

// writeMapOutput writes a map output in shuffle.Writer's format: the
// partitions concatenated in the data file, R+1 offsets in the index.
func writeMapOutput(t *testing.T, root, app, exec, base string, parts ...[]byte) {
	t.Helper()
	dir := shuffle.Dir(ExecutorDir(root, app, exec))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var data, index []byte
	for _, p := range parts {
		index = binary.BigEndian.AppendUint64(index, uint64(len(data)))
		data = append(data, p...)
	}
	index = binary.BigEndian.AppendUint64(index, uint64(len(data)))
	if err := os.WriteFile(filepath.Join(dir, base+".data"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, base+".index"), index, 0o644); err != nil {
		t.Fatal(err)
	}
}

// waitFor polls cond until it holds, failing the test after a generous
// deadline (the machine may be busy).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

func TestRegisterAndFetch(t *testing.T) {
	s := startService(t, t.TempDir(), time.Minute)
	parts := [][]byte{[]byte("zero"), {}, bytes.Repeat([]byte("two "), 50000), []byte("three")}
	writeMapOutput(t, s.root, "app-1", "exec-1", "shuffle_3_5_17", parts...)
	writeMapOutput(t, s.root, "app-1", "exec-2", "shuffle_3_6_18", []byte("other"))
	c := newClient(t, "app-1", "secret")
	ctx := context.Background()
	for _, e := range []string{"exec-1", "exec-2"} {
		if err := c.RegisterExecutor(ctx, s.addr, e); err != nil {
			t.Fatal(err)
		}
	}
	// Concurrent fetches share the client's connections.
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for r, want := range parts {
				got, err := c.Fetch(ctx, s.addr, "exec-1", "shuffle_3_5_17", r)
				if err != nil {
					t.Errorf("goroutine %d, reduce %d: %v", i, r, err)
					return
				}
				if !bytes.Equal(got, want) {
					t.Errorf("reduce %d: got %d bytes %.20q, want %d bytes %.20q", r, len(got), got, len(want), want)
				}
			}
		})
	}
	wg.Wait()
	got, err := c.Fetch(ctx, s.addr, "exec-2", "shuffle_3_6_18", 0)
	if err != nil || string(got) != "other" {
		t.Errorf("exec-2: got %q, %v", got, err)
	}
	// A reduce partition past the index's end and a missing map output.
	if _, err := c.Fetch(ctx, s.addr, "exec-1", "shuffle_3_5_17", 4); err == nil {
		t.Error("reduce partition 4 of 4: no error")
	}
	if _, err := c.Fetch(ctx, s.addr, "exec-1", "shuffle_3_9_9", 0); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing map output: got %v, want ErrNotFound", err)
	}
	// Another client of the same application (the driver, another
	// executor) proves the key the service learned.
	c2 := newClient(t, "app-1", "secret")
	if got, err := c2.Fetch(ctx, s.addr, "exec-1", "shuffle_3_5_17", 0); err != nil || string(got) != "zero" {
		t.Errorf("second client: got %q, %v", got, err)
	}
}

// The service serves what shuffle.Writer commits, as LocalFetcher reads it.
func TestFetchShuffleWriterOutput(t *testing.T) {
	s := startService(t, t.TempDir(), time.Minute)
	const reducers = 5
	w, err := shuffle.NewWriter[string](nil, ExecutorDir(s.root, "app-w", "7"), "7", 3, 5, 17, reducers,
		codec.MustFor[string](), func(v *string) int { return len(*v) % reducers }, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2000 {
		if err := w.WriteOne(new(strings.Repeat("x", i%37))); err != nil {
			t.Fatal(err)
		}
	}
	st, err := w.Commit()
	if err != nil {
		t.Fatal(err)
	}
	base := strings.TrimSuffix(filepath.Base(st.DataFile), ".data")
	if base != "shuffle_3_5_17" {
		t.Fatalf("shuffle.Writer names its output %s", base)
	}
	c := newClient(t, "app-w", "s3cret")
	ctx := context.Background()
	if err := c.RegisterExecutor(ctx, s.addr, "7"); err != nil {
		t.Fatal(err)
	}
	for r := range reducers {
		rc, err := shuffle.LocalFetcher{}.Open(ctx, st, r)
		if err != nil {
			t.Fatal(err)
		}
		want, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.Fetch(ctx, s.addr, "7", base, r)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) || int64(len(got)) != st.Sizes[r] {
			t.Errorf("reduce %d: got %d bytes, want %d (size %d)", r, len(got), len(want), st.Sizes[r])
		}
	}
}

// rawCall authenticates as c and sends req as it is, without the client's
// own checks, so that the service's are tested.
func rawCall(t *testing.T, c *Client, addr string, req request) error {
	t.Helper()
	ctx := context.Background()
	cc, err := c.dial(ctx, addr)
	if err != nil {
		return err
	}
	defer cc.c.Close()
	_, _, err = cc.roundTrip(ctx, req, maxBlock, 10*time.Second)
	return err
}

func TestRefusals(t *testing.T) {
	s := startService(t, t.TempDir(), time.Minute)
	ctx := context.Background()
	writeMapOutput(t, s.root, "app-a", "e1", "shuffle_1_0_0", []byte("secret data of A"))
	a := newClient(t, "app-a", "secret-a")
	if err := a.RegisterExecutor(ctx, s.addr, "e1"); err != nil {
		t.Fatal(err)
	}
	b := newClient(t, "app-b", "secret-b")
	if err := b.RegisterExecutor(ctx, s.addr, "e2"); err != nil {
		t.Fatal(err)
	}

	t.Run("empty secret", func(t *testing.T) {
		c := newClient(t, "app-c", "")
		if err := c.RegisterExecutor(ctx, s.addr, "e1"); !errors.Is(err, ErrRefused) {
			t.Errorf("RegisterExecutor: got %v, want ErrRefused", err)
		}
		if _, err := c.Fetch(ctx, s.addr, "e1", "shuffle_1_0_0", 0); !errors.Is(err, ErrRefused) {
			t.Errorf("Fetch: got %v, want ErrRefused", err)
		}
		if err := c.Heartbeat(ctx, s.addr, time.Minute); !errors.Is(err, ErrRefused) {
			t.Errorf("Heartbeat: got %v, want ErrRefused", err)
		}
		if err := c.RemoveApp(ctx, s.addr); !errors.Is(err, ErrRefused) {
			t.Errorf("RemoveApp: got %v, want ErrRefused", err)
		}
		// The service refuses the key of an empty secret too.
		forged := NewClient("app-c", []byte("x"), 10*time.Second)
		forged.key = appKey(nil, "app-c")
		if err := forged.RegisterExecutor(ctx, s.addr, "e1"); !errors.Is(err, ErrRefused) {
			t.Errorf("the key of an empty secret: got %v, want ErrRefused", err)
		}
	})

	t.Run("wrong secret", func(t *testing.T) {
		c := newClient(t, "app-a", "not-secret-a")
		if _, err := c.Fetch(ctx, s.addr, "e1", "shuffle_1_0_0", 0); !errors.Is(err, ErrRefused) {
			t.Errorf("Fetch: got %v, want ErrRefused", err)
		}
		if err := c.RemoveApp(ctx, s.addr); !errors.Is(err, ErrRefused) {
			t.Errorf("RemoveApp: got %v, want ErrRefused", err)
		}
		if !exists(filepath.Join(s.root, "app-a")) {
			t.Error("a client with a wrong secret removed the application")
		}
		if !strings.Contains(s.log.String(), "does not know the application's key") {
			t.Error("the refusal is not logged")
		}
	})

	t.Run("other application", func(t *testing.T) {
		// B names A's executor: the connection is bound to B's directory.
		if _, err := b.Fetch(ctx, s.addr, "e1", "shuffle_1_0_0", 0); !errors.Is(err, ErrNotFound) {
			t.Errorf("unregistered: got %v, want ErrNotFound", err)
		}
		if err := b.RegisterExecutor(ctx, s.addr, "e1"); err != nil {
			t.Fatal(err)
		}
		if got, err := b.Fetch(ctx, s.addr, "e1", "shuffle_1_0_0", 0); !errors.Is(err, ErrNotFound) {
			t.Errorf("registered in B: got %q, %v, want ErrNotFound", got, err)
		}
	})

	t.Run("unregistered executor", func(t *testing.T) {
		writeMapOutput(t, s.root, "app-a", "e9", "shuffle_1_1_1", []byte("x"))
		if _, err := a.Fetch(ctx, s.addr, "e9", "shuffle_1_1_1", 0); !errors.Is(err, ErrNotFound) {
			t.Errorf("got %v, want ErrNotFound", err)
		}
	})

	badNames := []string{"", ".", "..", "../app-a", "e1/../e1", "/etc", "a/b", "a\x00b", "a b", strings.Repeat("e", 129)}
	badBases := []string{"", "../../app-a/e1/shuffle/shuffle_1_0_0", "/etc/passwd", "shuffle_1_0_0.data", "shuffle_1_0",
		"shuffle_1_0_0_0", "shuffle_a_0_0", "shuffle__0_0", "shuffle_1_0_", "Shuffle_1_0_0", "shuffle_1_0_0\x00", "shuffle_1_0_" + strings.Repeat("9", 21)}
	t.Run("names", func(t *testing.T) {
		for _, n := range badNames {
			if err := a.RegisterExecutor(ctx, s.addr, n); !errors.Is(err, ErrRefused) {
				t.Errorf("client RegisterExecutor(%q): got %v, want ErrRefused", n, err)
			}
			if _, err := a.Fetch(ctx, s.addr, n, "shuffle_1_0_0", 0); !errors.Is(err, ErrRefused) {
				t.Errorf("client Fetch(%q): got %v, want ErrRefused", n, err)
			}
			// The service checks too.
			if err := rawCall(t, a, s.addr, request{kind: kindRegister, execID: n}); !errors.Is(err, ErrRefused) {
				t.Errorf("service register %q: got %v, want ErrRefused", n, err)
			}
			if err := rawCall(t, a, s.addr, request{kind: kindFetch, execID: n, fileBase: "shuffle_1_0_0"}); !errors.Is(err, ErrRefused) {
				t.Errorf("service fetch from %q: got %v, want ErrRefused", n, err)
			}
			if err := rawCall(t, NewClient(n, []byte("s"), 10*time.Second), s.addr, request{kind: kindHeartbeat}); !errors.Is(err, ErrRefused) {
				t.Errorf("service hello of application %q: got %v, want ErrRefused", n, err)
			}
			if c := NewClient(n, []byte("s"), time.Second); !errors.Is(c.Heartbeat(ctx, s.addr, 0), ErrRefused) {
				t.Errorf("NewClient(%q) is not refused", n)
			}
		}
		for _, base := range badBases {
			if _, err := a.Fetch(ctx, s.addr, "e1", base, 0); !errors.Is(err, ErrRefused) {
				t.Errorf("client Fetch(%q): got %v, want ErrRefused", base, err)
			}
			if err := rawCall(t, a, s.addr, request{kind: kindFetch, execID: "e1", fileBase: base}); !errors.Is(err, ErrRefused) {
				t.Errorf("service fetch %q: got %v, want ErrRefused", base, err)
			}
		}
	})

	t.Run("symbolic links", func(t *testing.T) {
		outside := filepath.Join(t.TempDir(), "outside")
		if err := os.WriteFile(outside, make([]byte, 16), 0o644); err != nil {
			t.Fatal(err)
		}
		dir := shuffle.Dir(ExecutorDir(s.root, "app-b", "e2"))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		links := map[string]string{
			"shuffle_5_0_0": outside,                                   // absolute
			"shuffle_5_1_0": "../../../app-a/e1/shuffle/shuffle_1_0_0", // another application's
		}
		for base, target := range links {
			for _, ext := range []string{".index", ".data"} {
				if err := os.Symlink(target+ext, filepath.Join(dir, base+ext)); err != nil {
					t.Fatal(err)
				}
			}
			if got, err := b.Fetch(ctx, s.addr, "e2", base, 0); err == nil {
				t.Errorf("%s links to %s: got %q", base, target, got)
			}
		}
		// An executor directory that links out.
		if err := os.Symlink(ExecutorDir(s.root, "app-a", "e1"), ExecutorDir(s.root, "app-b", "e3")); err != nil {
			t.Fatal(err)
		}
		if err := b.RegisterExecutor(ctx, s.addr, "e3"); err != nil {
			t.Fatal(err)
		}
		if got, err := b.Fetch(ctx, s.addr, "e3", "shuffle_1_0_0", 0); err == nil {
			t.Errorf("through a linked executor directory: got %q", got)
		}
	})

	// A's files are intact and still served to A.
	if got, err := a.Fetch(ctx, s.addr, "e1", "shuffle_1_0_0", 0); err != nil || string(got) != "secret data of A" {
		t.Errorf("A after the refusals: got %q, %v", got, err)
	}
}

func TestRemoveApp(t *testing.T) {
	s := startService(t, t.TempDir(), time.Minute)
	ctx := context.Background()
	writeMapOutput(t, s.root, "app-r", "e1", "shuffle_0_0_0", []byte("data"))
	writeMapOutput(t, s.root, "app-keep", "e1", "shuffle_0_0_0", []byte("data"))
	c := newClient(t, "app-r", "s")
	if err := c.RegisterExecutor(ctx, s.addr, "e1"); err != nil {
		t.Fatal(err)
	}
	keep := newClient(t, "app-keep", "k")
	if err := keep.RegisterExecutor(ctx, s.addr, "e1"); err != nil {
		t.Fatal(err)
	}
	if err := c.RemoveApp(ctx, s.addr); err != nil {
		t.Fatal(err)
	}
	if exists(filepath.Join(s.root, "app-r")) {
		t.Error("the application's directory is still there after RemoveApp")
	}
	if !exists(filepath.Join(s.root, "app-keep", "e1")) {
		t.Error("another application's directory was removed")
	}
	if !strings.Contains(s.log.String(), "app=app-r") || !strings.Contains(s.log.String(), "RemoveApp") {
		t.Errorf("the removal is not logged with the application and why:\n%s", s.log)
	}
	// The service forgot the application and its key: a new run with the
	// same id and another secret is trusted afresh, and the old client's
	// pooled connection, bound to the removed application, no longer works.
	if err := newClient(t, "app-r", "new secret").RegisterExecutor(ctx, s.addr, "e1"); err != nil {
		t.Errorf("a new run after RemoveApp: %v", err)
	}
	if _, err := c.Fetch(ctx, s.addr, "e1", "shuffle_0_0_0", 0); !errors.Is(err, ErrRefused) {
		t.Errorf("the old run's client after RemoveApp: got %v, want ErrRefused", err)
	}
}

func TestHeartbeatTimeout(t *testing.T) {
	t.Parallel()
	s := startService(t, t.TempDir(), time.Hour)
	ctx := context.Background()
	writeMapOutput(t, s.root, "app-h", "e1", "shuffle_0_0_0", []byte("data"))
	c := newClient(t, "app-h", "s")
	if err := c.RegisterExecutor(ctx, s.addr, "e1"); err != nil {
		t.Fatal(err)
	}
	if err := c.Heartbeat(ctx, s.addr, 300*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the application's directory to be removed", func() bool { return !exists(filepath.Join(s.root, "app-h")) })
	waitFor(t, "the removal's log line", func() bool { return strings.Contains(s.log.String(), "no heartbeat from the driver for 300ms") })
}

func TestInactiveAppRemoved(t *testing.T) {
	t.Parallel()
	s := startService(t, t.TempDir(), 300*time.Millisecond)
	writeMapOutput(t, s.root, "app-i", "e1", "shuffle_0_0_0", []byte("data"))
	c := newClient(t, "app-i", "s")
	if err := c.RegisterExecutor(context.Background(), s.addr, "e1"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the application's directory to be removed", func() bool { return !exists(filepath.Join(s.root, "app-i")) })
	waitFor(t, "the removal's log line", func() bool { return strings.Contains(s.log.String(), "no heartbeat and no activity") })
}

func TestOrphans(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	writeMapOutput(t, root, "old-kept", "e1", "shuffle_0_0_0", []byte("kept"))
	writeMapOutput(t, root, "old-gone", "e1", "shuffle_0_0_0", []byte("gone"))
	leftover := filepath.Join(root, removingPrefix+"x~1")
	if err := os.MkdirAll(filepath.Join(leftover, "e1"), 0o755); err != nil {
		t.Fatal(err)
	}
	notes := filepath.Join(root, "notes.txt")
	if err := os.WriteFile(notes, []byte("not an application"), 0o644); err != nil {
		t.Fatal(err)
	}
	// The client below must connect within orphanTimeout of the start,
	// also on a busy machine.
	const orphanTimeout = 4 * time.Second
	s := startService(t, root, orphanTimeout)
	if exists(leftover) {
		t.Error("the remains of an interrupted removal are still there")
	}
	// old-kept's application connects again (and registers its executor
	// again); its driver heartbeats with a long timeout.
	ctx := context.Background()
	c := newClient(t, "old-kept", "s")
	if err := c.RegisterExecutor(ctx, s.addr, "e1"); err != nil {
		t.Fatal(err)
	}
	if err := c.Heartbeat(ctx, s.addr, time.Hour); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the orphan to be removed", func() bool { return !exists(filepath.Join(root, "old-gone")) })
	// Both orphans had the same deadline, and a pass of the reaper removes
	// every expired application; nothing can signal that something did
	// not happen, so wait a while longer.
	time.Sleep(time.Second)
	if !exists(filepath.Join(root, "old-kept")) {
		t.Fatal("the directory of an application that connected again was removed")
	}
	if got, err := c.Fetch(ctx, s.addr, "e1", "shuffle_0_0_0", 0); err != nil || string(got) != "kept" {
		t.Errorf("fetch from the kept orphan: got %q, %v", got, err)
	}
	if !exists(notes) {
		t.Error("a file that is not an application directory was removed")
	}
	if !strings.Contains(s.log.String(), "app=old-gone") || !strings.Contains(s.log.String(), "did not connect within 4s") {
		t.Errorf("the orphan's removal is not logged with why:\n%s", s.log)
	}
}

// The service answers garbage by closing the connection and goes on
// serving.
func TestGarbage(t *testing.T) {
	s := startService(t, t.TempDir(), time.Minute)
	writeMapOutput(t, s.root, "app-g", "e1", "shuffle_0_0_0", []byte("data"))
	hugeHello := []byte{kindHello, 0xff, 0xff, 0xff, 0xff}
	longHello := append([]byte{kindHello, 0, 0, 0x10, 0}, bytes.Repeat([]byte{1}, 4096)...)
	shortHello := []byte{kindHello, 0, 0, 0, 3, 1, 2, 3}
	truncated := []byte{kindHello, 0, 0, 0, 100, 1, 2}
	badVersion := append(append([]byte{kindHello, 0, 0, 0, 38, 99}, make([]byte, nonceSize)...), "app-g"...)
	notHello := []byte{kindFetch, 0, 0, 0, 0}
	random := make([]byte, 8192)
	for i := range random {
		random[i] = byte(i*7919 + i/13)
	}
	for name, input := range map[string][]byte{
		"huge length": hugeHello, "long hello": longHello, "short hello": shortHello, "truncated": truncated,
		"bad version": badVersion, "not a hello": notHello, "random": random, "nothing": nil,
	} {
		c, err := net.Dial("tcp", s.addr)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Write(input); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		_ = c.(*net.TCPConn).CloseWrite()
		_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
		_, err = io.Copy(io.Discard, c)
		c.Close()
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Errorf("%s: the service did not close the connection", name)
		}
	}
	// Garbage after a good handshake.
	good := newClient(t, "app-g", "s")
	ctx := context.Background()
	cc, err := good.dial(ctx, s.addr)
	if err != nil {
		t.Fatal(err)
	}
	if _, reusable, err := cc.roundTrip(ctx, request{kind: 99}, maxBlock, 10*time.Second); err == nil || reusable {
		t.Errorf("unknown request kind: got %v, reusable %v", err, reusable)
	}
	cc.c.Close()
	for name, frame := range map[string][]byte{
		"short fetch":     {kindFetch, 0, 0, 0, 3, 0, 0, 0},
		"fetch id length": append([]byte{kindFetch, 0, 0, 0, 7, 0, 0, 0, 0, 200}, "e1"...),
		"short heartbeat": {kindHeartbeat, 0, 0, 0, 1, 0},
		"huge heartbeat":  {kindHeartbeat, 0, 0, 0, 8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
		"remove payload":  {kindRemoveApp, 0, 0, 0, 1, 0},
		"huge request":    {kindRegister, 0x7f, 0xff, 0xff, 0xff},
	} {
		cc, err := good.dial(ctx, s.addr)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cc.c.Write(frame); err != nil {
			t.Fatal(err)
		}
		_ = cc.c.SetReadDeadline(time.Now().Add(20 * time.Second))
		kind, p, err := readFrame(cc.br, nil, maxControl)
		if err != nil || kind != kindError || decodeError(p).code != codeMalformed {
			t.Errorf("%s: got kind %d %q, %v; want a malformed-request error", name, kind, p, err)
		}
		if _, err := cc.br.ReadByte(); err != io.EOF {
			t.Errorf("%s: the connection is not closed after the error: %v", name, err)
		}
		cc.c.Close()
	}
	// The service still works.
	if err := good.RegisterExecutor(ctx, s.addr, "e1"); err != nil {
		t.Fatal(err)
	}
	if got, err := good.Fetch(ctx, s.addr, "e1", "shuffle_0_0_0", 0); err != nil || string(got) != "data" {
		t.Errorf("after the garbage: got %q, %v", got, err)
	}
}

// A client's pooled connections outlive a restart of the service: the
// request is sent again on a new connection, which is trusted afresh.
func TestServiceRestart(t *testing.T) {
	root := t.TempDir()
	writeMapOutput(t, root, "app-s", "e1", "shuffle_0_0_0", []byte("data"))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	serve := func(ln net.Listener) func() {
		srv, err := NewServer(ServerOptions{Root: root, OrphanTimeout: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- srv.Serve(ctx, ln) }()
		return func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Serve: %v", err)
			}
			srv.Close()
		}
	}
	stop := serve(ln)
	c := newClient(t, "app-s", "s")
	ctx := context.Background()
	if err := c.RegisterExecutor(ctx, addr, "e1"); err != nil {
		t.Fatal(err)
	}
	stop()
	ln, err = net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("cannot listen on %s again: %v", addr, err)
	}
	stop = serve(ln)
	defer stop()
	if err := c.RegisterExecutor(ctx, addr, "e1"); err != nil {
		t.Fatal(err)
	}
	if got, err := c.Fetch(ctx, addr, "e1", "shuffle_0_0_0", 0); err != nil || string(got) != "data" {
		t.Errorf("after the restart: got %q, %v", got, err)
	}
}

func TestClientContext(t *testing.T) {
	// A listener that accepts and never answers.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_, _ = io.Copy(io.Discard, c)
			}()
		}
	}()
	c := newClient(t, "app", "s")
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := c.Heartbeat(ctx, ln.Addr().String(), 0); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got %v, want the context's deadline", err)
	}
	short := NewClient("app", []byte("s"), 200*time.Millisecond)
	defer short.Close()
	if err := short.Heartbeat(context.Background(), ln.Addr().String(), 0); err == nil {
		t.Error("no error from a service that never answers")
	}
}

func TestNames(t *testing.T) {
	for _, n := range []string{"a", "spark-1a2b", "exec_1.2", "...", strings.Repeat("x", 128), "A-Z.0_9"} {
		if !ValidName(n) {
			t.Errorf("ValidName(%q) = false", n)
		}
	}
	for _, n := range []string{"", ".", "..", "a/b", "/a", "a\\b", "a\x00", "é", "a b", strings.Repeat("x", 129), "a~b"} {
		if ValidName(n) {
			t.Errorf("ValidName(%q) = true", n)
		}
	}
	for _, b := range []string{"shuffle_0_0_0", "shuffle_3_5_17", "shuffle_" + strings.Repeat("9", 20) + "_1_2"} {
		if !validFileBase(b) {
			t.Errorf("validFileBase(%q) = false", b)
		}
	}
	if got, want := ExecutorDir("/r", "app", "7"), filepath.Join("/r", "app", "7"); got != want {
		t.Errorf("ExecutorDir = %s, want %s", got, want)
	}
	if got, want := shuffleFile("7", "shuffle_1_2_3", ".data"), filepath.Join(shuffle.Dir("7"), "shuffle_1_2_3.data"); got != want {
		t.Errorf("shuffleFile = %s, want %s", got, want)
	}
}
