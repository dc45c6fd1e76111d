package staging

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"
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

// srcFile is a local file to bundle.
type srcFile struct {
	name string // bundle name
	data string
	mode fs.FileMode
}

// writeSources writes files under a new temporary directory and returns
// them as bundle Files.
func writeSources(t testing.TB, files []srcFile) []File {
	t.Helper()
	dir := t.TempDir()
	var out []File
	for i, f := range files {
		p := filepath.Join(dir, fmt.Sprintf("src%d", i))
		if err := os.WriteFile(p, []byte(f.data), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, f.mode); err != nil {
			t.Fatal(err)
		}
		out = append(out, File{Name: f.name, Path: p})
	}
	return out
}

var sampleSources = []srcFile{
	{"jars/app.jar", "PK\x03\x04 not really a jar", 0o644},
	{"jars/run.sh", "#!/bin/sh\necho hi\n", 0o755},
	{"files/data.txt", "1,2,3\n", 0o644},
	{"files/sub/dir/empty", "", 0o644},
	{"files/sub/tool", "\x7fELF", 0o755},
}

// bundleBytes is WriteBundle of files.
func bundleBytes(t testing.TB, files []File) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteBundle(&buf, files); err != nil {
		t.Fatalf("WriteBundle: %v", err)
	}
	return buf.Bytes()
}

// rawEntry is a tar entry written as is, to craft hostile bundles.
type rawEntry struct {
	name string
	typ  byte
	data string
	link string
	mode int64
}

func rawTar(t testing.TB, entries ...rawEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		typ := e.typ
		if typ == 0 {
			typ = tar.TypeReg
		}
		mode := e.mode
		if mode == 0 {
			mode = 0o644
		}
		hdr := &tar.Header{Typeflag: typ, Name: e.name, Linkname: e.link, Mode: mode, ModTime: time.Unix(0, 0)}
		if typ == tar.TypeReg {
			hdr.Size = int64(len(e.data))
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatalf("tar header %q: %v", e.name, err)
		}
		if _, err := io.WriteString(tw, e.data); err != nil && typ == tar.TypeReg {
			t.Fatalf("tar body %q: %v", e.name, err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
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

// dirNames lists dir, sorted.
func dirNames(t testing.TB, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	slices.Sort(names)
	return names
}
