package staging

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gospark/gospark/internal/bundle"
	"github.com/gospark/gospark/internal/bundle/bundletest"
)

// syncBuffer collects a child's stderr.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startServerProcess runs this test binary as a staging server on dir (see
// TestMain) and returns it with its base URL.
func startServerProcess(t *testing.T, dir string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), serverDirEnv+"="+dir)
	stderr := &syncBuffer{}
	cmd.Stderr = stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("server %d stderr:\n%s", cmd.Process.Pid, stderr)
		}
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "ADDR ")
	if err != nil || !ok {
		t.Fatalf("server did not start: %q, %v\n%s", line, err, stderr)
	}
	return cmd, "http://" + addr
}

// waitFor polls cond until it holds, failing the test after timeout.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestCrashMidUpload(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	srv, base := startServerProcess(t, dir)
	client, err := NewClient(base, "")
	if err != nil {
		t.Fatal(err)
	}
	first, err := client.Upload(t.Context(), "default", testLabels, bundletest.Files(t, bundletest.Samples))
	if err != nil {
		t.Fatalf("first upload: %v", err)
	}

	// The second upload stops half-way through its body.
	second := bundletest.Bytes(t, bundletest.Files(t, []bundletest.Source{{Name: "files/big", Data: strings.Repeat("0123456789abcdef", 64<<10), Mode: 0o644}}))
	pr, pw := io.Pipe()
	t.Cleanup(func() { pw.Close() })
	q := url.Values{"namespace": {"default"}, "labels": {"spark-app-selector=spark-2"}}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, base+ResourcesPath+"?"+q.Encode(), pr)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set(HeaderSHA256, bundletest.SHA256(second))
	uploadErr := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			err = fmt.Errorf("second upload answered %s", resp.Status)
		}
		uploadErr <- err
	}()
	go func() { _, _ = pw.Write(second[:len(second)/2]) }()

	var incoming string
	waitFor(t, 10*time.Second, "the server to write part of the second upload", func() bool {
		matches, _ := filepath.Glob(filepath.Join(dir, incomingPrefix+"*", bundleFile))
		for _, m := range matches {
			if fi, err := os.Stat(m); err == nil && fi.Size() > 0 {
				incoming = filepath.Dir(m)
				return true
			}
		}
		return false
	})
	if err := srv.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = srv.Wait()
	pw.CloseWithError(errors.New("client gave up"))
	if err := <-uploadErr; err == nil {
		t.Fatal("second upload succeeded")
	}
	if _, err := os.Stat(incoming); err != nil {
		t.Fatalf("the killed server left no partial upload to clean up: %v", err)
	}

	_, base = startServerProcess(t, dir)
	if got := bundletest.DirNames(t, dir); len(got) != 1 || got[0] != first.ID {
		t.Fatalf("storage after restart holds %q, want only %s", got, first.ID)
	}
	client, err = NewClient(base, "")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := client.Download(t.Context(), first, &buf); err != nil {
		t.Fatalf("download after restart: %v", err)
	}
	if got := bundletest.SHA256(buf.Bytes()); got != first.SHA256 {
		t.Fatalf("sha256 %s, want %s", got, first.SHA256)
	}
	if _, err := bundle.Read(&buf, bundle.Limits{}); err != nil {
		t.Fatal(err)
	}
}
