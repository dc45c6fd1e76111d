package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
)

// RetryPolicy says how the transport of NewRetryTransport retries API
// requests that failed transiently.
//
// The defaults (DefaultRetryPolicy) follow fabric8's client, which Spark
// uses: the first wait is 100 ms and each next one doubles. fabric8 stops
// after 10 retries; here a time budget bounds the retries instead, which
// with a cap of 5 s per wait (jittered) and 30 s in all makes ten to
// fifteen attempts against a server that refuses connections, fewer when
// each attempt takes its whole dial or request timeout.
type RetryPolicy struct {
	// Initial is the wait after the first failed attempt; each next wait
	// doubles, up to MaxWait. Each wait is drawn uniformly from [w/2, w]
	// (jitter), so that clients that failed together do not all come back
	// at the same instant.
	Initial, MaxWait time.Duration
	// Budget bounds the retries of one request: a wait that would end more
	// than Budget after the first attempt began is not started, and the
	// request fails instead. An attempt in progress is not cut by it, so a
	// request takes at most Budget plus one attempt (RequestTimeout, or the
	// dial timeout). 0 means no retries.
	Budget time.Duration
	// MaxRetryAfter bounds the Retry-After of a 429 or 503 that is
	// honoured: the wait is the longer of the backoff and the server's
	// Retry-After, the latter capped at MaxRetryAfter.
	MaxRetryAfter time.Duration
	// RequestTimeout bounds each attempt of a request, up to the end of
	// reading its response body (0: no bound). Long-lived requests (watches,
	// followed logs) are exempt: they last as long as their context lets
	// them.
	RequestTimeout time.Duration
	// Log receives one Warn line per retry; nil means slog.Default() at
	// the time of the retry.
	Log *slog.Logger
}

// DefaultRetryPolicy is the policy of the configurations this package
// makes, before the connection and request timeouts are applied.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{
		Initial:        100 * time.Millisecond,
		MaxWait:        5 * time.Second,
		Budget:         30 * time.Second,
		MaxRetryAfter:  10 * time.Second,
		RequestTimeout: defaultTimeout,
	}
}

// WrapRetries makes every client built from cfg retry its API requests by
// p (NewRetryTransport), around any transport wrapper cfg already has.
func WrapRetries(cfg *rest.Config, p RetryPolicy) {
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { return NewRetryTransport(rt, p) })
}

// NewRetryTransport returns a RoundTripper that sends each request through
// base and retries it while it fails transiently, within p.
//
// What is retried depends on whether the failed attempt can have changed
// anything on the server:
//
//   - Connection errors, for every method: the connection could not be
//     made (refused, DNS lookup failure or timeout, dial timeout, TLS
//     handshake timeout) or it broke before any response came (reset, EOF).
//     A request that never reached the server is safe to repeat; that is
//     the common case (a DNS or API server hiccup, a kept-alive connection
//     the server had closed). One that broke after it was written might
//     have been executed: repeating a POST then cannot make a second
//     object, because gospark creates its objects under fixed names (no
//     generateName), but the repeat is answered 409 AlreadyExists, which
//     the caller sees as the result of a create that did happen.
//   - An attempt that exceeded RequestTimeout, only for idempotent methods
//     (GET, HEAD, OPTIONS, PUT, DELETE): the server may still be executing
//     it.
//   - 429 Too Many Requests and 503 Service Unavailable, for every method:
//     the API server (priority and fairness, max-in-flight, a server
//     shutting down) or a proxy in front of it refused the request before
//     executing it.
//   - 500, 502 and 504, only for idempotent methods: the request may have
//     been executed, in part or whole (a 504 from the API server is a write
//     that did not finish in time but can still complete), so a POST or
//     PATCH is not repeated.
//
// Everything else is returned at once: other responses (401, 403, 404,
// 409, 422, any other 4xx are permanent answers), TLS certificate errors,
// malformed requests. A request with a body is retried only when
// req.GetBody can replay it (client-go always sets it); a request that
// upgrades its connection (exec, port-forward) is passed through.
//
// The request's context is honoured: a cancelled context stops the waits
// at once. When the retries end without success the error is a
// *RetryError, which says how many attempts were made and wraps the last
// attempt's error; for a retryable status that is an
// *apierrors.StatusError, so apierrors.IsServiceUnavailable and the like
// still work through it.
//
// client-go keeps its own retries on top (of a GET whose connection was
// reset, of any request answered with a Retry-After header that reaches
// it); since a request this transport gave up on is returned as an error
// that is not a response, client-go repeats it only for a GET whose last
// error was a reset connection or an EOF.
func NewRetryTransport(base http.RoundTripper, p RetryPolicy) http.RoundTripper {
	return &retryTransport{base: base, p: p}
}

type retryTransport struct {
	base http.RoundTripper
	p    RetryPolicy
}

// WrappedRoundTripper lets client-go's debugging helpers see through it.
func (t *retryTransport) WrappedRoundTripper() http.RoundTripper { return t.base }

// RetryError is the error of a request that failed after it was retried:
// the attempts made, the time from the first attempt to the end of the
// last one or of the wait the context cut, and the last attempt's error.
// It wraps Err, and Stopped when the request's context ended the retries.
type RetryError struct {
	Method, Path string
	Attempts     int
	Elapsed      time.Duration
	Err          error // the last attempt's error
	Stopped      error // the context's error when it stopped the retries
}

func (e *RetryError) Error() string {
	n := strconv.Itoa(e.Attempts) + " attempts"
	if e.Attempts == 1 {
		n = "1 attempt"
	}
	if e.Stopped != nil {
		return fmt.Sprintf("%s after %s in %s; the last one failed: %v", e.Stopped, n, e.Elapsed.Round(time.Millisecond), e.Err)
	}
	return fmt.Sprintf("gave up after %s in %s: %v", n, e.Elapsed.Round(time.Millisecond), e.Err)
}

// Unwrap returns the last attempt's error and, if the context stopped the
// retries, its error.
func (e *RetryError) Unwrap() []error {
	if e.Stopped != nil {
		return []error{e.Err, e.Stopped}
	}
	return []error{e.Err}
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Header.Get("Upgrade") != "" {
		return t.base.RoundTrip(req)
	}
	ctx := req.Context()
	hasBody := req.Body != nil && req.Body != http.NoBody
	replayable := !hasBody || req.GetBody != nil
	long := longLived(req)
	start := time.Now()
	for attempt := 1; ; attempt++ {
		r := req
		if attempt > 1 && hasBody {
			body, err := req.GetBody()
			if err != nil {
				return nil, &RetryError{Method: req.Method, Path: req.URL.Path, Attempts: attempt - 1, Elapsed: time.Since(start),
					Err: fmt.Errorf("replaying the request body: %w", err)}
			}
			r = req.Clone(ctx)
			r.Body = body
		}
		var actx context.Context
		var cancel context.CancelFunc
		if t.p.RequestTimeout > 0 && !long {
			actx, cancel = context.WithTimeout(ctx, t.p.RequestTimeout)
		} else {
			actx, cancel = context.WithCancel(ctx)
		}
		resp, err := t.base.RoundTrip(r.WithContext(actx))
		timedOut := err != nil && ctx.Err() == nil && errors.Is(actx.Err(), context.DeadlineExceeded)
		if timedOut {
			err = fmt.Errorf("no response within the request timeout (%s): %w", t.p.RequestTimeout, err)
		}

		if ctx.Err() != nil || !replayable || !retryable(req.Method, resp, err, timedOut) {
			if err != nil {
				cancel()
				if attempt > 1 {
					e := &RetryError{Method: req.Method, Path: req.URL.Path, Attempts: attempt, Elapsed: time.Since(start), Err: err}
					if ctx.Err() != nil {
						e.Stopped = ctx.Err()
					}
					return nil, e
				}
				return nil, err
			}
			resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
			return resp, nil
		}

		wait := backoff(t.p, attempt)
		var last error
		if err != nil {
			last = err
		} else {
			if ra, ok := retryAfter(resp, time.Now()); ok {
				wait = max(wait, min(ra, t.p.MaxRetryAfter))
			}
			last = statusError(req.Method, resp)
			discard(resp.Body)
		}
		cancel()
		if time.Since(start)+wait > t.p.Budget {
			return nil, &RetryError{Method: req.Method, Path: req.URL.Path, Attempts: attempt, Elapsed: time.Since(start), Err: last}
		}
		args := []any{"method", req.Method, "path", req.URL.Path, "attempt", attempt}
		if err != nil {
			args = append(args, "error", err)
		} else {
			args = append(args, "status", resp.Status)
		}
		log := t.p.Log
		if log == nil {
			log = slog.Default()
		}
		log.WarnContext(ctx, "Kubernetes API request failed; retrying", append(args, "wait", wait.Round(time.Millisecond))...)
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil, &RetryError{Method: req.Method, Path: req.URL.Path, Attempts: attempt, Elapsed: time.Since(start), Err: last, Stopped: ctx.Err()}
		case <-timer.C:
		}
	}
}

// idempotent tells whether repeating a request with this method after it
// was executed leaves the server as one execution would. (Kubernetes's
// LIST and WATCH are GETs.)
func idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}

// retryable tells whether an attempt that ended with resp or err may be
// repeated; timedOut means that the attempt exceeded RequestTimeout. See
// NewRetryTransport for the reasons.
func retryable(method string, resp *http.Response, err error, timedOut bool) bool {
	if err != nil {
		if timedOut {
			return idempotent(method)
		}
		return connectionError(err)
	}
	switch resp.StatusCode {
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		return true
	case http.StatusInternalServerError, http.StatusBadGateway, http.StatusGatewayTimeout:
		return idempotent(method)
	}
	return false
}

// connectionError tells whether err is a failure to connect to the server
// or a connection that broke before any response came.
func connectionError(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return true
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "dial" {
		return true
	}
	for _, e := range []error{syscall.ECONNREFUSED, syscall.ECONNRESET, syscall.EPIPE, io.EOF, io.ErrUnexpectedEOF} {
		if errors.Is(err, e) {
			return true
		}
	}
	// net/http's TLS handshake timeout has no exported type: it is the
	// net.Error timeout that says so.
	var netErr net.Error
	return errors.As(err, &netErr) && netErr.Timeout() && strings.Contains(err.Error(), "TLS handshake timeout")
}

// longLived tells whether req streams for as long as its context lets it:
// a watch (?watch=true, or the older /watch/ paths) or followed logs.
func longLived(req *http.Request) bool {
	q := req.URL.Query()
	for _, k := range []string{"watch", "follow"} {
		if v := q.Get(k); v == "true" || v == "1" {
			return true
		}
	}
	return strings.Contains(req.URL.Path, "/watch/")
}

// backoff is the wait after the attempt-th failed attempt: Initial doubled
// attempt-1 times, capped at MaxWait, jittered down to half of it.
func backoff(p RetryPolicy, attempt int) time.Duration {
	w := p.Initial
	for i := 1; i < attempt && w < p.MaxWait; i++ {
		w *= 2
	}
	w = min(w, p.MaxWait)
	if w <= 0 {
		return 0
	}
	return w/2 + rand.N(w/2+1)
}

// retryAfter is the wait resp's Retry-After header asks for, in seconds or
// as an HTTP date.
func retryAfter(resp *http.Response, now time.Time) (time.Duration, bool) {
	h := strings.TrimSpace(resp.Header.Get("Retry-After"))
	if h == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(h); err == nil && s >= 0 {
		return time.Duration(s) * time.Second, true
	}
	if at, err := http.ParseTime(h); err == nil {
		return max(at.Sub(now), 0), true
	}
	return 0, false
}

// statusError is the error client-go would make of resp, a failed
// response: the API server's Status when the body is one, else an error
// by status code with the start of the body as the server's message.
func statusError(method string, resp *http.Response) error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if obj, _, err := scheme.Codecs.UniversalDeserializer().Decode(body, nil, nil); err == nil {
		if st, ok := obj.(*metav1.Status); ok && st.Status == metav1.StatusFailure {
			if st.Code == 0 {
				st.Code = int32(resp.StatusCode)
			}
			return &apierrors.StatusError{ErrStatus: *st}
		}
	}
	msg := strings.TrimSpace(string(body))
	if len(msg) > 200 {
		msg = msg[:200] + "..."
	}
	secs := 0
	if ra, ok := retryAfter(resp, time.Now()); ok {
		secs = int(ra / time.Second)
	}
	return apierrors.NewGenericServerResponse(resp.StatusCode, method, schema.GroupResource{}, "", msg, secs, true)
}

// discard reads a little of a response body that is not used, so that its
// connection can be reused, and closes it.
func discard(body io.ReadCloser) {
	_, _ = io.CopyN(io.Discard, body, 4<<10)
	_ = body.Close()
}

// cancelOnClose ends an attempt's context when its response body is
// closed.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelOnClose) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}
