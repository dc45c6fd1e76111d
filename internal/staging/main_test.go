package staging

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"testing"
)

// serverDirEnv makes the test binary run as a staging server on the
// directory it names (see TestCrashMidUpload).
const serverDirEnv = "GOSPARK_STAGING_TEST_SERVER_DIR"

func TestMain(m *testing.M) {
	if dir := os.Getenv(serverDirEnv); dir != "" {
		os.Exit(runServerProcess(dir))
	}
	os.Exit(m.Run())
}

// runServerProcess serves dir on 127.0.0.1:0, printing "ADDR host:port"
// once it accepts connections, until SIGTERM or SIGINT.
func runServerProcess(dir string) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	s, err := New(Config{Dir: dir, Logger: log})
	if err != nil {
		log.Error("start", "err", err)
		return 1
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Error("listen", "err", err)
		return 1
	}
	fmt.Printf("ADDR %s\n", ln.Addr())
	if err := Serve(ctx, ln, s.Handler(), nil); err != nil {
		log.Error("serve", "err", err)
		return 1
	}
	return 0
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// testServer is a Server on a fresh directory behind httptest.
type testServer struct {
	*Server
	dir    string
	url    string
	client *Client
}

func newTestServer(t *testing.T, cfg Config) *testServer {
	t.Helper()
	if cfg.Dir == "" {
		cfg.Dir = filepath.Join(t.TempDir(), "store")
	}
	if cfg.Logger == nil {
		cfg.Logger = testLogger(t)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(hs.Close)
	c, err := NewClient(hs.URL, "")
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return &testServer{Server: s, dir: cfg.Dir, url: hs.URL, client: c}
}

// post uploads body as is, announcing sum, and returns status and body.
func post(t *testing.T, baseURL string, body io.Reader, sum string) (int, string) {
	t.Helper()
	q := url.Values{"namespace": {"default"}, "labels": {"spark-app-selector=spark-1"}}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, baseURL+ResourcesPath+"?"+q.Encode(), body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set(HeaderSHA256, sum)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}
