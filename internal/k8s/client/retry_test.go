package client

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// logBuffer collects log lines from the transport's goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) lines(substr string) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, l := range strings.Split(b.buf.String(), "\n") {
		if l != "" && strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return out
}

func newLog() (*slog.Logger, *logBuffer) {
	b := &logBuffer{}
	return slog.New(slog.NewTextHandler(b, nil)), b
}

// defaultLog sends slog.Default() to a buffer for the test, for the
// configurations made from properties.
func defaultLog(t *testing.T) *logBuffer {
	log, b := newLog()
	old := slog.Default()
	slog.SetDefault(log)
	t.Cleanup(func() { slog.SetDefault(old) })
	return b
}

// fastPolicy keeps the tests short: small waits, a budget of a few seconds.
func fastPolicy(log *slog.Logger) RetryPolicy {
	return RetryPolicy{Initial: 20 * time.Millisecond, MaxWait: 200 * time.Millisecond, Budget: 5 * time.Second,
		MaxRetryAfter: 3 * time.Second, RequestTimeout: 5 * time.Second, Log: log}
}

// server is an API server stand-in whose handler is told which request
// (from 1) it answers.
type server struct {
	*httptest.Server
	n atomic.Int32
}

func newServer(t *testing.T, h func(n int, w http.ResponseWriter, r *http.Request)) *server {
	s := &server{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h(int(s.n.Add(1)), w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *server) requests() int { return int(s.n.Load()) }

const podJSON = `{"kind":"Pod","apiVersion":"v1","metadata":{"name":"p","namespace":"ns"}}`

func writePod(w http.ResponseWriter, code int) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = io.WriteString(w, podJSON)
}

func writeStatus(w http.ResponseWriter, code int, reason metav1.StatusReason) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	fmt.Fprintf(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","reason":%q,"message":"test says %d","code":%d}`, reason, code, code)
}

// noKubeconfig makes Config use the master URL alone.
func noKubeconfig(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("KUBECONFIG", filepath.Join(dir, "missing"))
	t.Setenv("HOME", dir)
}

// submitClient is gospark submit's clientset for apiServer.
func submitClient(t *testing.T, apiServer string) kubernetes.Interface {
	t.Helper()
	noKubeconfig(t)
	cs, _, err := New(conf(t), apiServer)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// policyClient is a clientset for apiServer that retries by p.
func policyClient(t *testing.T, apiServer string, p RetryPolicy) kubernetes.Interface {
	t.Helper()
	cfg := &rest.Config{Host: apiServer}
	WrapRetries(cfg, p)
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func timeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// freePort returns a port of 127.0.0.1 nothing listens on.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

// The API server is not listening yet when the first call is made (a
// driver pod whose first call failed to connect): the call waits for it.
func TestRetryUntilTheServerListens(t *testing.T) {
	logs := defaultLog(t)
	addr := freePort(t)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { writePod(w, http.StatusOK) }),
		ReadHeaderTimeout: 5 * time.Second}
	stop := make(chan struct{})
	served := make(chan error, 1)
	go func() {
		select {
		case <-time.After(1500 * time.Millisecond):
		case <-stop:
			served <- nil
			return
		}
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			served <- err
			return
		}
		served <- srv.Serve(ln)
	}()
	t.Cleanup(func() { close(stop); _ = srv.Close() })

	cs := submitClient(t, "http://"+addr)
	start := time.Now()
	pod, err := cs.CoreV1().Pods("ns").Get(timeout(t, 20*time.Second), "p", metav1.GetOptions{})
	if err != nil {
		select {
		case e := <-served:
			t.Fatalf("%v (server: %v)", err, e)
		default:
			t.Fatal(err)
		}
	}
	if pod.Name != "p" || time.Since(start) < time.Second {
		t.Errorf("got %q after %s", pod.Name, time.Since(start))
	}
	lines := logs.lines("retrying")
	if len(lines) == 0 || !strings.Contains(lines[0], "connection refused") || !strings.Contains(lines[0], "attempt=1") ||
		!strings.Contains(lines[0], "path=/api/v1/namespaces/ns/pods/p") || !strings.Contains(lines[0], "method=GET") ||
		!strings.Contains(lines[0], "wait=") || !strings.Contains(lines[0], "level=WARN") {
		t.Errorf("log lines: %q", lines)
	}
}

func TestRetry503ThenSuccess(t *testing.T) {
	logs := defaultLog(t)
	s := newServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n <= 2 {
			writeStatus(w, http.StatusServiceUnavailable, metav1.StatusReasonServiceUnavailable)
			return
		}
		writePod(w, http.StatusOK)
	})
	pod, err := submitClient(t, s.URL).CoreV1().Pods("ns").Get(timeout(t, 20*time.Second), "p", metav1.GetOptions{})
	if err != nil || pod.Name != "p" {
		t.Fatalf("%v, %v", pod, err)
	}
	if s.requests() != 3 {
		t.Errorf("%d attempts, want 3", s.requests())
	}
	lines := logs.lines("retrying")
	if len(lines) != 2 || !strings.Contains(lines[1], `status="503 Service Unavailable"`) || !strings.Contains(lines[1], "attempt=2") {
		t.Errorf("log lines: %q", lines)
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	inSeconds := func(d time.Duration) func() string { return func() string { return fmt.Sprint(int(d / time.Second)) } }
	for _, tc := range []struct {
		name       string
		retryAfter func() string
		min        time.Duration
	}{
		{"seconds", inSeconds(time.Second), 950 * time.Millisecond},
		// The date has whole seconds: 2 to 3 s from now, capped at 2 s.
		{"HTTP date", func() string { return time.Now().Add(3 * time.Second).UTC().Format(http.TimeFormat) }, 1500 * time.Millisecond},
		{"capped", inSeconds(time.Hour), 450 * time.Millisecond}, // MaxRetryAfter (500 ms) instead of an hour
	} {
		t.Run(tc.name, func(t *testing.T) {
			log, _ := newLog()
			p := fastPolicy(log)
			p.MaxRetryAfter = 2 * time.Second
			if tc.name == "capped" {
				p.MaxRetryAfter = 500 * time.Millisecond
			}
			retryAfter := tc.retryAfter()
			s := newServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
				if n == 1 {
					w.Header().Set("Retry-After", retryAfter)
					writeStatus(w, http.StatusTooManyRequests, metav1.StatusReasonTooManyRequests)
					return
				}
				writePod(w, http.StatusOK)
			})
			start := time.Now()
			_, err := policyClient(t, s.URL, p).CoreV1().Pods("ns").Get(timeout(t, 20*time.Second), "p", metav1.GetOptions{})
			took := time.Since(start)
			if err != nil || s.requests() != 2 {
				t.Fatalf("%v after %d attempts", err, s.requests())
			}
			if took < tc.min || took > p.MaxRetryAfter+3*time.Second {
				t.Errorf("took %s, want at least %s and at most MaxRetryAfter %s plus slack", took, tc.min, p.MaxRetryAfter)
			}
		})
	}
}

// Permanent answers are returned at once, whatever the method.
func TestPermanentErrorsAreNotRetried(t *testing.T) {
	log, logs := newLog()
	for _, tc := range []struct {
		method string
		code   int
	}{
		{"GET", 401}, {"GET", 403}, {"GET", 404}, {"PUT", 409}, {"POST", 409}, {"POST", 422}, {"GET", 400},
		{"POST", 500}, {"POST", 502}, {"POST", 504}, {"PATCH", 500}, {"PATCH", 504},
	} {
		s := newServer(t, func(n int, w http.ResponseWriter, r *http.Request) { w.WriteHeader(tc.code) })
		c := &http.Client{Transport: NewRetryTransport(http.DefaultTransport, fastPolicy(log))}
		req, err := http.NewRequestWithContext(timeout(t, 10*time.Second), tc.method, s.URL+"/api/v1/namespaces/ns/pods", strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("%s %d: %v", tc.method, tc.code, err)
		}
		discard(resp.Body)
		if resp.StatusCode != tc.code || s.requests() != 1 {
			t.Errorf("%s %d: got %d after %d attempts, want 1 attempt", tc.method, tc.code, resp.StatusCode, s.requests())
		}
	}
	if l := logs.lines("retrying"); len(l) != 0 {
		t.Errorf("retries logged: %q", l)
	}
}

// Through a clientset, the errors stay client-go's typed errors.
func TestPermanentErrorsThroughClientset(t *testing.T) {
	for _, tc := range []struct {
		code   int
		reason metav1.StatusReason
		is     func(error) bool
	}{
		{403, metav1.StatusReasonForbidden, apierrors.IsForbidden},
		{404, metav1.StatusReasonNotFound, apierrors.IsNotFound},
	} {
		s := newServer(t, func(n int, w http.ResponseWriter, r *http.Request) { writeStatus(w, tc.code, tc.reason) })
		_, err := submitClient(t, s.URL).CoreV1().Pods("ns").Get(timeout(t, 10*time.Second), "p", metav1.GetOptions{})
		if !tc.is(err) || s.requests() != 1 {
			t.Errorf("%d: %v after %d attempts, want one", tc.code, err, s.requests())
		}
	}
	// A create the server may have executed is not repeated.
	s := newServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
		writeStatus(w, http.StatusInternalServerError, metav1.StatusReasonInternalError)
	})
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p"}}
	_, err := submitClient(t, s.URL).CoreV1().Pods("ns").Create(timeout(t, 10*time.Second), pod, metav1.CreateOptions{})
	if !apierrors.IsInternalError(err) || s.requests() != 1 {
		t.Errorf("POST 500: %v after %d attempts, want one", err, s.requests())
	}
}

func TestRetriedStatuses(t *testing.T) {
	log, _ := newLog()
	for _, tc := range []struct {
		method string
		code   int
	}{
		{"GET", 500}, {"GET", 502}, {"GET", 503}, {"GET", 504}, {"GET", 429}, {"HEAD", 503},
		{"PUT", 500}, {"DELETE", 502}, {"POST", 503}, {"POST", 429}, {"PATCH", 503},
	} {
		body := `{"spec":{}}`
		var bodies []string
		var mu sync.Mutex
		s := newServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			mu.Lock()
			bodies = append(bodies, string(b))
			mu.Unlock()
			if n == 1 {
				w.WriteHeader(tc.code)
				return
			}
			w.WriteHeader(http.StatusOK)
		})
		c := &http.Client{Transport: NewRetryTransport(http.DefaultTransport, fastPolicy(log))}
		var rd io.Reader
		if tc.method != "GET" && tc.method != "HEAD" {
			rd = strings.NewReader(body) // http.NewRequest sets GetBody
		}
		req, err := http.NewRequestWithContext(timeout(t, 10*time.Second), tc.method, s.URL+"/api/v1/namespaces/ns/pods/p", rd)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("%s %d: %v", tc.method, tc.code, err)
		}
		discard(resp.Body)
		if resp.StatusCode != 200 || s.requests() != 2 {
			t.Errorf("%s %d: got %d after %d attempts, want 200 after 2", tc.method, tc.code, resp.StatusCode, s.requests())
		}
		if rd != nil && (len(bodies) != 2 || bodies[0] != body || bodies[1] != body) {
			t.Errorf("%s %d: bodies %q, want the body twice", tc.method, tc.code, bodies)
		}
	}
}

// A body that cannot be replayed is sent once.
func TestBodyWithoutGetBodyIsNotRetried(t *testing.T) {
	log, _ := newLog()
	s := newServer(t, func(n int, w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) })
	c := &http.Client{Transport: NewRetryTransport(http.DefaultTransport, fastPolicy(log))}
	req, err := http.NewRequestWithContext(timeout(t, 10*time.Second), "POST", s.URL+"/api/v1/namespaces/ns/pods",
		io.NopCloser(strings.NewReader("{}")))
	if err != nil {
		t.Fatal(err)
	}
	if req.GetBody != nil {
		t.Fatal("the request has GetBody")
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	discard(resp.Body)
	if resp.StatusCode != 503 || s.requests() != 1 {
		t.Errorf("got %d after %d attempts, want the 503 after one", resp.StatusCode, s.requests())
	}
}

// A connection closed before any response is retried, body included.
func TestEOFBeforeResponse(t *testing.T) {
	log, logs := newLog()
	s := newServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if n == 1 {
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				_ = conn.Close()
			}
			return
		}
		if string(b) != "{}" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		writePod(w, http.StatusCreated)
	})
	cfg := &rest.Config{Host: s.URL}
	WrapRetries(cfg, fastPolicy(log))
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// Through the REST client, to send exactly "{}".
	res := cs.CoreV1().RESTClient().Post().Namespace("ns").Resource("pods").Body([]byte("{}")).Do(timeout(t, 10*time.Second))
	if err := res.Error(); err != nil || s.requests() != 2 {
		t.Fatalf("%v after %d attempts, want success after 2", err, s.requests())
	}
	if l := logs.lines("retrying"); len(l) != 1 || !strings.Contains(l[0], "EOF") || !strings.Contains(l[0], "method=POST") {
		t.Errorf("log lines: %q", l)
	}
}

// A server that never comes up: the error comes within the budget and says
// how many attempts were made.
func TestBudgetIsRespected(t *testing.T) {
	log, _ := newLog()
	p := fastPolicy(log)
	p.Budget = 1500 * time.Millisecond
	start := time.Now()
	_, err := policyClient(t, "http://"+freePort(t), p).CoreV1().Pods("ns").Get(timeout(t, 30*time.Second), "p", metav1.GetOptions{})
	took := time.Since(start)
	var re *RetryError
	if !errors.As(err, &re) || re.Attempts < 2 || !strings.Contains(err.Error(), fmt.Sprintf("gave up after %d attempts", re.Attempts)) {
		t.Fatalf("%v, want a RetryError after several attempts", err)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("%v does not wrap the connection error", err)
	}
	if took > p.Budget+3*time.Second {
		t.Errorf("took %s, budget %s", took, p.Budget)
	}
	t.Log(err)

	// The same for a server that keeps answering 503: the error is still
	// client-go's typed one.
	s := newServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
		writeStatus(w, http.StatusServiceUnavailable, metav1.StatusReasonServiceUnavailable)
	})
	p.Budget = time.Second
	start = time.Now()
	_, err = policyClient(t, s.URL, p).CoreV1().Pods("ns").Get(timeout(t, 30*time.Second), "p", metav1.GetOptions{})
	took = time.Since(start)
	if !apierrors.IsServiceUnavailable(err) || !errors.As(err, &re) || re.Attempts != s.requests() || s.requests() < 2 ||
		!strings.Contains(err.Error(), "test says 503") || !strings.Contains(err.Error(), "attempts") {
		t.Errorf("%v after %d requests", err, s.requests())
	}
	if took > p.Budget+3*time.Second {
		t.Errorf("took %s, budget %s", took, p.Budget)
	}
	t.Log(err)
}

func TestContextCancellationStopsRetries(t *testing.T) {
	log, _ := newLog()
	p := fastPolicy(log)
	p.Initial, p.MaxWait, p.Budget = 5*time.Second, 5*time.Second, time.Minute // waits of 2.5 to 5 s
	s := newServer(t, func(n int, w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	time.AfterFunc(200*time.Millisecond, cancel)
	start := time.Now()
	_, err := policyClient(t, s.URL, p).CoreV1().Pods("ns").Get(ctx, "p", metav1.GetOptions{})
	took := time.Since(start)
	var re *RetryError
	if !errors.Is(err, context.Canceled) || !errors.As(err, &re) || re.Stopped == nil || !apierrors.IsServiceUnavailable(err) {
		t.Errorf("%v, want the cancellation and the last 503", err)
	}
	if took > 2*time.Second {
		t.Errorf("took %s after a cancellation at 200ms", took)
	}
}

// RequestTimeout bounds an idempotent attempt, which is then retried; a
// POST that got no answer in time is not repeated; a watch is not cut.
func TestRequestTimeout(t *testing.T) {
	log, _ := newLog()
	p := fastPolicy(log)
	p.RequestTimeout = 300 * time.Millisecond
	s := newServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("watch") == "true" {
			w.WriteHeader(http.StatusOK)
			_ = http.NewResponseController(w).Flush()
			time.Sleep(3 * p.RequestTimeout)
			_, _ = io.WriteString(w, "event")
			return
		}
		if n == 1 || r.Method == "POST" {
			select { // no answer
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	c := &http.Client{Transport: NewRetryTransport(http.DefaultTransport, p)}
	get := func(method, query string) (string, error) {
		req, err := http.NewRequestWithContext(timeout(t, 10*time.Second), method, s.URL+"/api/v1/namespaces/ns/pods"+query, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := c.Do(req)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return string(b), err
	}
	if _, err := get("GET", ""); err != nil || s.requests() != 2 {
		t.Errorf("GET: %v after %d attempts, want success after 2", err, s.requests())
	}
	n := s.requests()
	if _, err := get("POST", ""); err == nil || !strings.Contains(err.Error(), "request timeout") || s.requests() != n+1 {
		t.Errorf("POST: %v after %d attempts, want a timeout after 1", err, s.requests()-n)
	}
	if body, err := get("GET", "?watch=true"); err != nil || body != "event" {
		t.Errorf("watch: %q, %v", body, err)
	}
}

// Every configuration the package makes retries, with the credentials of
// its transport on each attempt.
func TestConfigsRetry(t *testing.T) {
	defaultLog(t)
	var auth []string
	var mu sync.Mutex
	var n atomic.Int32
	s := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		auth = append(auth, r.Header.Get("Authorization"))
		mu.Unlock()
		if n.Add(1) == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		writePod(w, http.StatusOK)
	}))
	t.Cleanup(s.Close)
	dir := t.TempDir()
	ca, token := filepath.Join(dir, "ca.crt"), filepath.Join(dir, "token")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(token, []byte("tok"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := DriverConfig(conf(t, "spark.kubernetes.driver.master", s.URL,
		"spark.kubernetes.authenticate.driver.mounted.caCertFile", ca,
		"spark.kubernetes.authenticate.driver.mounted.oauthTokenFile", token))
	if err != nil {
		t.Fatal(err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CoreV1().Pods("ns").Get(timeout(t, 20*time.Second), "p", metav1.GetOptions{}); err != nil {
		t.Fatal(err)
	}
	if len(auth) != 2 || auth[0] != "Bearer tok" || auth[1] != "Bearer tok" {
		t.Errorf("Authorization of the attempts: %q", auth)
	}

	// Spark's 10 s, declared in internal/config or not.
	for _, name := range []string{"spark.kubernetes.driver.connectionTimeout", "spark.kubernetes.submission.requestTimeout"} {
		if d := timeoutProperty(conf(t), name); d != 10*time.Second {
			t.Errorf("%s: %s, want 10s", name, d)
		}
	}

	const p = "spark.kubernetes.authenticate.resourceStagingServer."
	cfg, err = StagingServerConfig(conf(t, p+"oauthToken", "tok", p+"caCertFile", ca))
	if err != nil || cfg.WrapTransport == nil || cfg.Dial == nil {
		t.Errorf("staging server: %v, wrapper set %v", err, cfg != nil && cfg.WrapTransport != nil)
	}
}

// WrapRetries goes around a wrapper the configuration already has, which
// then sees every attempt.
func TestWrapRetriesComposes(t *testing.T) {
	log, _ := newLog()
	s := newServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 1 {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		writePod(w, http.StatusOK)
	})
	var seen atomic.Int32
	cfg := &rest.Config{Host: s.URL, WrapTransport: func(rt http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(r *http.Request) (*http.Response, error) { seen.Add(1); return rt.RoundTrip(r) })
	}}
	WrapRetries(cfg, fastPolicy(log))
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CoreV1().Pods("ns").Get(timeout(t, 10*time.Second), "p", metav1.GetOptions{}); err != nil {
		t.Fatal(err)
	}
	if seen.Load() != 2 || s.requests() != 2 {
		t.Errorf("the existing wrapper saw %d attempts, the server %d; want 2", seen.Load(), s.requests())
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestConnectionErrorKinds(t *testing.T) {
	dns := &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "i/o timeout", Name: "kubernetes.default.svc", IsTimeout: true}}
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{dns, true},
		{fmt.Errorf("wrapped: %w", dns), true},
		{&net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, true},
		{&net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}, true},
		{io.EOF, true},
		{fmt.Errorf("read: %w", io.ErrUnexpectedEOF), true},
		{x509.UnknownAuthorityError{}, false},
		{errors.New("tls: bad certificate"), false},
		{context.Canceled, false},
		{fmt.Errorf("dial: %w", context.DeadlineExceeded), false},
	} {
		if got := connectionError(tc.err); got != tc.want {
			t.Errorf("connectionError(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

func TestBackoffGrowsToItsCap(t *testing.T) {
	p := RetryPolicy{Initial: 100 * time.Millisecond, MaxWait: 2 * time.Second}
	for attempt, want := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 4: 800 * time.Millisecond,
		5: 1600 * time.Millisecond, 6: 2 * time.Second, 40: 2 * time.Second} {
		for range 20 {
			if w := backoff(p, attempt); w < want/2 || w > want {
				t.Errorf("attempt %d: wait %s, want within [%s, %s]", attempt, w, want/2, want)
			}
		}
	}
}
