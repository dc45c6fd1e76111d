package shuffleservice

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"sync"
	"time"
)

const (
	// defaultClientTimeout is NewClient's timeout when it is given none.
	defaultClientTimeout = 2 * time.Minute
	// maxIdlePerAddr bounds the connections a Client keeps per service.
	maxIdlePerAddr = 8
)

// aLongTimeAgo is a deadline in the past: it interrupts blocked I/O.
var aLongTimeAgo = time.Unix(1, 0)

// errTimedOut is wrapped when the client's timeout ended a call.
var errTimedOut = errors.New("timed out")

// Client speaks to shuffle services for one application. It is safe for
// concurrent use and keeps idle connections per service address.
type Client struct {
	appID   string
	key     []byte
	err     error // when set, every call fails with it
	timeout time.Duration

	mu     sync.Mutex
	idle   map[string][]*clientConn
	closed bool
}

// NewClient returns a client of application appID with its secret.
// timeout bounds dialing with the handshake, and each request (2 minutes
// when not positive). With an empty secret or an invalid application id
// every call fails with an error wrapping ErrRefused.
func NewClient(appID string, secret []byte, timeout time.Duration) *Client {
	c := &Client{appID: appID, timeout: timeout, idle: map[string][]*clientConn{}}
	if timeout <= 0 {
		c.timeout = defaultClientTimeout
	}
	switch {
	case !ValidName(appID):
		c.err = fmt.Errorf("%w: application id %q is not a valid name", ErrRefused, appID)
	case len(secret) == 0:
		c.err = fmt.Errorf("%w: application %s has an empty secret; the shuffle service serves only applications with a secret (spark.authenticate)", ErrRefused, appID)
	default:
		c.key = appKey(secret, appID)
	}
	return c
}

// RegisterExecutor tells the service at addr that executor execID of the
// application keeps its local directory in ExecutorDir(root, app,
// execID), so that the service serves its files (also after it is gone).
func (c *Client) RegisterExecutor(ctx context.Context, addr, execID string) error {
	if !ValidName(execID) {
		return fmt.Errorf("shuffle service %s: register executor %q: %w: not a valid executor id", addr, execID, ErrRefused)
	}
	if _, err := c.call(ctx, addr, request{kind: kindRegister, execID: execID}, 0); err != nil {
		return fmt.Errorf("shuffle service %s: application %s: register executor %s: %w", addr, c.appID, execID, err)
	}
	return nil
}

// Fetch returns the bytes of reduce partition reduce of the map output
// fileBase ("shuffle_<shuffle>_<map>_<attempt>") of executor execID. An
// executor that was not registered, or a missing file, is ErrNotFound.
func (c *Client) Fetch(ctx context.Context, addr, execID, fileBase string, reduce int) ([]byte, error) {
	switch {
	case !ValidName(execID):
		return nil, fmt.Errorf("shuffle service %s: fetch from executor %q: %w: not a valid executor id", addr, execID, ErrRefused)
	case !validFileBase(fileBase):
		return nil, fmt.Errorf("shuffle service %s: fetch %q: %w: not a map output's name (shuffle_<shuffle>_<map>_<attempt>)", addr, fileBase, ErrRefused)
	case reduce < 0 || reduce > maxReduce:
		return nil, fmt.Errorf("shuffle service %s: fetch %s: reduce partition %d out of range", addr, fileBase, reduce)
	}
	b, err := c.call(ctx, addr, request{kind: kindFetch, execID: execID, fileBase: fileBase, reduce: reduce}, maxBlock)
	if err != nil {
		return nil, fmt.Errorf("shuffle service %s: application %s: fetch %s of executor %s, reduce partition %d: %w",
			addr, c.appID, fileBase, execID, reduce, err)
	}
	return b, nil
}

// Heartbeat tells the service at addr that the application is alive
// (the driver calls it periodically): if no heartbeat arrives for
// timeout, the service removes the application's directory. A timeout
// that is not positive is the service's OrphanTimeout.
func (c *Client) Heartbeat(ctx context.Context, addr string, timeout time.Duration) error {
	if timeout > maxHeartbeatTimeout {
		return fmt.Errorf("shuffle service %s: heartbeat timeout %v is over %v", addr, timeout, maxHeartbeatTimeout)
	}
	if _, err := c.call(ctx, addr, request{kind: kindHeartbeat, timeout: max(timeout, 0)}, 0); err != nil {
		return fmt.Errorf("shuffle service %s: application %s: heartbeat: %w", addr, c.appID, err)
	}
	return nil
}

// RemoveApp tells the service at addr that the application ended: it
// removes the application's directory and forgets it.
func (c *Client) RemoveApp(ctx context.Context, addr string) error {
	if _, err := c.call(ctx, addr, request{kind: kindRemoveApp}, 0); err != nil {
		return fmt.Errorf("shuffle service %s: application %s: remove: %w", addr, c.appID, err)
	}
	return nil
}

// Close closes the idle connections; calls after it fail.
func (c *Client) Close() error {
	c.mu.Lock()
	idle := c.idle
	c.idle, c.closed = nil, true
	c.mu.Unlock()
	for _, l := range idle {
		for _, cc := range l {
			cc.c.Close()
		}
	}
	return nil
}

// call sends req to addr and returns the answer's payload (at most limit
// bytes). A request on a connection from the pool that fails for want of
// the connection (the service closed it, restarted, or removed the
// application) is sent once more on a new connection: every request is
// idempotent.
func (c *Client) call(ctx context.Context, addr string, req request, limit int) ([]byte, error) {
	if c.err != nil {
		return nil, c.err
	}
	for attempt := 0; ; attempt++ {
		retry := attempt == 0 && ctx.Err() == nil
		cc, reused, err := c.get(ctx, addr, attempt > 0)
		if err != nil {
			if retry && isGone(err) {
				continue
			}
			return nil, err
		}
		b, reusable, err := cc.roundTrip(ctx, req, limit, c.timeout)
		if reusable {
			c.put(addr, cc)
		} else {
			cc.c.Close()
		}
		var se *serviceError
		switch {
		case err == nil:
			return b, nil
		case errors.As(err, &se):
			if retry && se.code == codeGone {
				continue
			}
			return nil, err
		case retry && reused && ctx.Err() == nil && !errors.Is(err, errTimedOut):
			continue
		}
		return nil, err
	}
}

func isGone(err error) bool {
	var se *serviceError
	return errors.As(err, &se) && se.code == codeGone
}

// get returns an idle connection to addr or a new one. fresh drops the
// idle connections to addr (one failed, so the others likely will) and
// dials.
func (c *Client) get(ctx context.Context, addr string, fresh bool) (cc *clientConn, reused bool, err error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, false, fmt.Errorf("client closed: %w", net.ErrClosed)
	}
	if fresh {
		for _, cc := range c.idle[addr] {
			cc.c.Close()
		}
		delete(c.idle, addr)
	}
	if l := c.idle[addr]; len(l) > 0 {
		cc = l[len(l)-1]
		c.idle[addr] = l[:len(l)-1]
		c.mu.Unlock()
		return cc, true, nil
	}
	c.mu.Unlock()
	cc, err = c.dial(ctx, addr)
	return cc, false, err
}

// put keeps cc for the next request to addr.
func (c *Client) put(addr string, cc *clientConn) {
	c.mu.Lock()
	if c.closed || len(c.idle[addr]) >= maxIdlePerAddr {
		c.mu.Unlock()
		cc.c.Close()
		return
	}
	c.idle[addr] = append(c.idle[addr], cc)
	c.mu.Unlock()
}

// clientConn is an authenticated connection to a service.
type clientConn struct {
	c  net.Conn
	br *bufio.Reader
	bw *bufio.Writer
}

// dial connects to addr and authenticates, within the client's timeout.
func (c *Client) dial(parent context.Context, addr string) (*clientConn, error) {
	ctx, cancel := context.WithTimeout(parent, c.timeout)
	defer cancel()
	// timedOut says why a step failed when ctx is done.
	timedOut := func(err error) error {
		if parent.Err() != nil {
			return context.Cause(parent)
		}
		return fmt.Errorf("%w after %v: %w", errTimedOut, c.timeout, err)
	}
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		if ctx.Err() != nil {
			err = timedOut(err)
		}
		return nil, fmt.Errorf("connecting: %w", err)
	}
	cc := &clientConn{c: nc, br: bufio.NewReaderSize(nc, 64<<10), bw: bufio.NewWriterSize(nc, 4<<10)}
	// The context's end, not a deadline of the connection, interrupts the
	// handshake, so that the error says which.
	stop := context.AfterFunc(ctx, func() { _ = nc.SetDeadline(aLongTimeAgo) })
	err = cc.handshake(c.appID, c.key)
	if !stop() || (err != nil && ctx.Err() != nil) {
		nc.Close()
		return nil, fmt.Errorf("authenticating: %w", timedOut(err))
	}
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("authenticating: %w", err)
	}
	_ = nc.SetDeadline(time.Time{})
	return cc, nil
}

// handshake is the client's side of the handshake (see proto.go).
func (cc *clientConn) handshake(appID string, key []byte) error {
	nc := make([]byte, nonceSize)
	_, _ = rand.Read(nc)
	if err := cc.send(kindHello, hello{appID: appID, nonce: nc}.encode()); err != nil {
		return err
	}
	kind, ns, err := readFrame(cc.br, nil, maxControl)
	if err != nil {
		return fmt.Errorf("no answer to hello: %w", noEOF(err))
	}
	var want []byte
	switch {
	case kind == kindError:
		return decodeError(ns)
	case kind == kindLearn && len(ns) == 0:
		// The service has not seen the application: it learns K.
		if err := cc.send(kindKey, key); err != nil {
			return err
		}
		want = []byte{}
	case kind == kindChallenge && len(ns) == nonceSize:
		if err := cc.send(kindProof, proof(key, proofClient, nc, ns)); err != nil {
			return err
		}
		want = proof(key, proofServer, nc, ns)
	default:
		return fmt.Errorf("%w: kind %d of %d bytes answers hello", errMalformed, kind, len(ns))
	}
	kind, p, err := readFrame(cc.br, nil, maxControl)
	switch {
	case err != nil:
		return fmt.Errorf("no welcome: %w", noEOF(err))
	case kind == kindError:
		return decodeError(p)
	case kind != kindWelcome:
		return fmt.Errorf("%w: kind %d instead of welcome", errMalformed, kind)
	case !hmac.Equal(p, want):
		return fmt.Errorf("%w: the service did not prove that it knows the application's key", ErrRefused)
	}
	return nil
}

func (cc *clientConn) send(kind byte, payload []byte) error {
	if err := writeFrame(cc.bw, kind, payload); err != nil {
		return err
	}
	return cc.bw.Flush()
}

// roundTrip sends req and reads the answer, within timeout and ctx.
// reusable says whether the connection can serve another request.
func (cc *clientConn) roundTrip(ctx context.Context, req request, limit int, timeout time.Duration) (b []byte, reusable bool, err error) {
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	_ = cc.c.SetDeadline(time.Time{})
	stop := context.AfterFunc(rctx, func() { _ = cc.c.SetDeadline(aLongTimeAgo) })
	b, err = cc.exchange(req, limit)
	if !stop() || (err != nil && rctx.Err() != nil) {
		switch {
		case err == nil:
			return b, false, nil
		case ctx.Err() != nil:
			return nil, false, context.Cause(ctx)
		}
		return nil, false, fmt.Errorf("%w after %v: %w", errTimedOut, timeout, err)
	}
	if err != nil {
		var se *serviceError
		if errors.As(err, &se) {
			return nil, se.code != codeGone && se.code != codeMalformed, err
		}
		return nil, false, err
	}
	return b, true, nil
}

func (cc *clientConn) exchange(req request, limit int) ([]byte, error) {
	if err := cc.send(req.encode()); err != nil {
		return nil, err
	}
	kind, n, err := readHeader(cc.br, max(limit, maxControl))
	if err != nil {
		return nil, err
	}
	switch {
	case kind == kindError && n <= maxControl:
		p := make([]byte, n)
		if _, err := io.ReadFull(cc.br, p); err != nil {
			return nil, noEOF(err)
		}
		return nil, decodeError(p)
	case kind == kindOK && n <= limit:
		return readPayload(cc.br, n)
	}
	return nil, fmt.Errorf("%w: an answer of kind %d with %d bytes", errMalformed, kind, n)
}

// readPayload reads n bytes, growing its buffer as they arrive rather than
// trusting n up front.
func readPayload(r io.Reader, n int) ([]byte, error) {
	b := make([]byte, 0, min(n, 1<<20))
	for len(b) < n {
		if len(b) == cap(b) {
			b = slices.Grow(b, min(n-len(b), len(b)))
		}
		end := min(cap(b), n)
		if _, err := io.ReadFull(r, b[len(b):end]); err != nil {
			return nil, noEOF(err)
		}
		b = b[:end]
	}
	return b, nil
}
