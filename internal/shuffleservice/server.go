package shuffleservice

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

const (
	// DefaultPort is Spark's spark.shuffle.service.port.
	DefaultPort = 7337
	// DefaultOrphanTimeout is ServerOptions.OrphanTimeout when unset.
	DefaultOrphanTimeout = 120 * time.Second

	handshakeTimeout = 30 * time.Second
	// idleTimeout closes connections that sent no request for that long;
	// clients reconnect.
	idleTimeout = 10 * time.Minute
	// writeTimeout bounds each write of an answer, so a reader that stops
	// reading does not hold its connection forever.
	writeTimeout = time.Minute

	maxApps      = 10000
	maxExecutors = 100000
	maxConns     = 4096

	// removingPrefix names an application directory being removed: it is
	// renamed first, so a new run of the application under the same id
	// starts from an empty directory. "~" is not allowed in application
	// ids, so no application is ever named so.
	removingPrefix = ".removing~"
)

// errGone refuses a request on a connection whose application was removed
// since the connection was authenticated; the client reconnects.
var errGone = fmt.Errorf("%w: the application was removed; reconnect", ErrRefused)

// ServerOptions configure a Server.
type ServerOptions struct {
	// Root is the directory the executors of every application on this
	// node share: executor E of application A keeps its local directory
	// in ExecutorDir(Root, A, E). It is created when missing.
	Root string
	// OrphanTimeout: application directories found under Root at start
	// (left by a previous run of the service) are removed unless their
	// application connects again within it; an application that never
	// heartbeats is removed after it without activity; it is also the
	// heartbeat timeout of a driver that declares none. Default
	// DefaultOrphanTimeout.
	OrphanTimeout time.Duration
	// Log receives the service's events; nil discards them.
	Log *slog.Logger
}

// appState is what the service knows of one application.
type appState struct {
	id string
	// key is K; nil for a directory found at start whose application has
	// not connected since.
	key       []byte
	executors map[string]struct{}
	// heartbeat is the timeout the driver declared; 0 before its first
	// heartbeat, while activity keeps the application.
	heartbeat time.Duration
	// deadline is when the application is removed unless a heartbeat (or,
	// without heartbeats, activity) comes first.
	deadline time.Time
}

// Server is the external shuffle service of one node. See the package
// documentation.
type Server struct {
	opts ServerOptions
	log  *slog.Logger
	root *os.Root
	// kick wakes the reaper when a deadline changed.
	kick chan struct{}

	mu       sync.Mutex
	apps     map[string]*appState
	conns    map[net.Conn]struct{}
	closing  bool
	removals uint64
}

// NewServer opens (creating it if needed) opts.Root and adopts the
// application directories already there as orphans: each is removed
// after opts.OrphanTimeout unless its application connects again.
func NewServer(opts ServerOptions) (*Server, error) {
	if opts.Root == "" {
		return nil, errors.New("shuffle service: no root directory")
	}
	if opts.OrphanTimeout <= 0 {
		opts.OrphanTimeout = DefaultOrphanTimeout
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(opts.Root, 0o755); err != nil {
		return nil, fmt.Errorf("shuffle service: %w", err)
	}
	root, err := os.OpenRoot(opts.Root)
	if err != nil {
		return nil, fmt.Errorf("shuffle service: %w", err)
	}
	s := &Server{
		opts:  opts,
		log:   opts.Log,
		root:  root,
		kick:  make(chan struct{}, 1),
		apps:  map[string]*appState{},
		conns: map[net.Conn]struct{}{},
	}
	if err := s.adoptOrphans(); err != nil {
		root.Close()
		return nil, err
	}
	return s, nil
}

// Close releases the root directory. Call it after Serve returned.
func (s *Server) Close() error { return s.root.Close() }

func (s *Server) adoptOrphans() error {
	entries, err := fs.ReadDir(s.root.FS(), ".")
	if err != nil {
		return fmt.Errorf("shuffle service: reading %s: %w", s.opts.Root, err)
	}
	deadline := time.Now().Add(s.opts.OrphanTimeout)
	for _, e := range entries {
		name := e.Name()
		switch {
		case strings.HasPrefix(name, removingPrefix):
			if err := s.root.RemoveAll(name); err != nil {
				s.log.Warn("cannot remove the remains of an interrupted removal", "dir", filepath.Join(s.opts.Root, name), "err", err)
			} else {
				s.log.Info("removed the remains of an interrupted removal", "dir", filepath.Join(s.opts.Root, name))
			}
		case e.IsDir() && ValidName(name):
			s.apps[name] = &appState{id: name, executors: map[string]struct{}{}, deadline: deadline}
			s.log.Info("found the directory of an application from an earlier run; it is removed unless the application connects again",
				"app", name, "within", s.opts.OrphanTimeout)
		default:
			s.log.Warn("ignoring an entry that is not an application directory", "name", filepath.Join(s.opts.Root, name))
		}
	}
	return nil
}

// ListenAndServe listens on addr (host:port) and serves until ctx is done.
func ListenAndServe(ctx context.Context, addr string, opts ServerOptions) error {
	s, err := NewServer(opts)
	if err != nil {
		return err
	}
	defer s.Close()
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("shuffle service: %w", err)
	}
	s.log.Info("shuffle service listening", "addr", ln.Addr().String(), "dir", s.opts.Root, "orphanTimeout", s.opts.OrphanTimeout)
	return s.Serve(ctx, ln)
}

// Serve accepts connections on ln until ctx is done (then it returns nil)
// or ln fails. It closes ln and every connection before it returns, and
// removes applications whose time is up while it runs. Call it once.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { s.reap(ctx) })
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer func() {
		stop()
		cancel()
		ln.Close()
		s.closeConns()
		wg.Wait()
	}()
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("shuffle service: accept: %w", err)
		}
		if !s.track(c) {
			c.Close()
			continue
		}
		wg.Go(func() {
			defer s.untrack(c)
			s.serveConn(c)
		})
	}
}

func (s *Server) track(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false
	}
	if len(s.conns) >= maxConns {
		s.log.Warn("refusing a connection: too many open", "remote", c.RemoteAddr().String(), "max", maxConns)
		return false
	}
	s.conns[c] = struct{}{}
	return true
}

func (s *Server) untrack(c net.Conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	c.Close()
}

func (s *Server) closeConns() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closing = true
	for c := range s.conns {
		c.Close()
	}
}

// deadlineWriter gives each write its own deadline.
type deadlineWriter struct{ c net.Conn }

func (w deadlineWriter) Write(p []byte) (int, error) {
	_ = w.c.SetWriteDeadline(time.Now().Add(writeTimeout))
	return w.c.Write(p)
}

// serveConn runs the handshake and then answers requests one by one.
func (s *Server) serveConn(c net.Conn) {
	remote := c.RemoteAddr().String()
	br := bufio.NewReaderSize(c, 4<<10)
	bw := bufio.NewWriterSize(deadlineWriter{c}, 64<<10)
	_ = c.SetReadDeadline(time.Now().Add(handshakeTimeout))
	a, err := s.handshake(br, bw, remote)
	if err != nil {
		if errors.Is(err, ErrRefused) || errors.Is(err, errMalformed) {
			s.log.Warn("refused a connection", "remote", remote, "err", err)
			s.answerError(bw, err)
		} else {
			s.log.Debug("connection ended during the handshake", "remote", remote, "err", err)
		}
		return
	}
	log := s.log.With("app", a.id, "remote", remote)
	var buf []byte
	for {
		_ = c.SetReadDeadline(time.Now().Add(idleTimeout))
		kind, p, err := readFrame(br, buf, maxRequest)
		if err != nil {
			if errors.Is(err, errMalformed) {
				log.Warn("closing a connection that broke the protocol", "err", err)
				s.answerError(bw, err)
			} else if err != io.EOF {
				log.Debug("connection ended", "err", err)
			}
			return
		}
		buf = p
		req, err := decodeRequest(kind, p)
		if err == nil {
			var fatal error
			err, fatal = s.handle(a, req, bw, log)
			if fatal != nil {
				log.Warn("closing a connection", "err", fatal)
				return
			}
		}
		if err != nil {
			if errors.Is(err, ErrRefused) || errors.Is(err, errMalformed) {
				log.Warn("refused a request", "err", err)
			} else {
				log.Debug("request failed", "err", err)
			}
			if !s.answerError(bw, err) || errors.Is(err, errMalformed) {
				return
			}
			continue
		}
		if err := bw.Flush(); err != nil {
			log.Debug("connection ended", "err", err)
			return
		}
	}
}

// answerError sends err to the client and reports whether that worked.
func (s *Server) answerError(bw *bufio.Writer, err error) bool {
	code := codeFailed
	switch {
	case errors.Is(err, errGone):
		code = codeGone
	case errors.Is(err, ErrRefused):
		code = codeRefused
	case errors.Is(err, ErrNotFound):
		code = codeNotFound
	case errors.Is(err, errMalformed):
		code = codeMalformed
	}
	// The code says refused or not found; the message need not.
	msg := err.Error()
	for _, sentinel := range []error{ErrRefused, ErrNotFound, errMalformed} {
		msg = strings.TrimPrefix(msg, sentinel.Error()+": ")
	}
	if writeFrame(bw, kindError, encodeError(code, msg)) != nil {
		return false
	}
	return bw.Flush() == nil
}

// handshake authenticates the connection and returns the application it
// is bound to.
func (s *Server) handshake(br *bufio.Reader, bw *bufio.Writer, remote string) (*appState, error) {
	kind, p, err := readFrame(br, nil, maxRequest)
	if err != nil {
		return nil, fmt.Errorf("no hello: %w", noEOF(err))
	}
	if kind != kindHello {
		return nil, fmt.Errorf("%w: the connection starts with kind %d, not hello", errMalformed, kind)
	}
	h, err := decodeHello(p)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	a := s.apps[h.appID]
	var key []byte
	if a != nil {
		key = a.key
	}
	s.mu.Unlock()
	if key == nil {
		return s.learn(br, bw, h, remote)
	}

	// A known application: the client proves it knows K, then the service.
	ns := make([]byte, nonceSize)
	_, _ = rand.Read(ns)
	if err := writeFrame(bw, kindChallenge, ns); err != nil {
		return nil, err
	}
	if err := bw.Flush(); err != nil {
		return nil, err
	}
	kind, p, err = readFrame(br, nil, maxRequest)
	if err != nil {
		return nil, fmt.Errorf("no proof: %w", noEOF(err))
	}
	if kind != kindProof || len(p) != keySize {
		return nil, fmt.Errorf("%w: expected a proof, got kind %d of %d bytes", errMalformed, kind, len(p))
	}
	if !hmac.Equal(p, proof(key, proofClient, h.nonce, ns)) {
		return nil, fmt.Errorf("%w: application %s: the client does not know the application's key (another secret)", ErrRefused, h.appID)
	}
	s.mu.Lock()
	if s.apps[h.appID] != a {
		s.mu.Unlock()
		return nil, errGone
	}
	s.touch(a)
	s.mu.Unlock()
	if err := writeFrame(bw, kindWelcome, proof(key, proofServer, h.nonce, ns)); err != nil {
		return nil, err
	}
	return a, bw.Flush()
}

// learn is the handshake of an application the service has no key of:
// the client sends K, trusted on first use.
func (s *Server) learn(br *bufio.Reader, bw *bufio.Writer, h hello, remote string) (*appState, error) {
	if err := writeFrame(bw, kindLearn, nil); err != nil {
		return nil, err
	}
	if err := bw.Flush(); err != nil {
		return nil, err
	}
	kind, key, err := readFrame(br, nil, maxRequest)
	if err != nil {
		return nil, fmt.Errorf("no key: %w", noEOF(err))
	}
	if kind != kindKey || len(key) != keySize {
		return nil, fmt.Errorf("%w: expected a key, got kind %d of %d bytes", errMalformed, kind, len(key))
	}
	if hmac.Equal(key, appKey(nil, h.appID)) {
		return nil, fmt.Errorf("%w: application %s has an empty secret; the shuffle service serves only applications with a secret (spark.authenticate)", ErrRefused, h.appID)
	}
	s.mu.Lock()
	a := s.apps[h.appID]
	switch {
	case a == nil:
		if len(s.apps) >= maxApps {
			s.mu.Unlock()
			return nil, fmt.Errorf("%w: the service already serves %d applications", ErrRefused, maxApps)
		}
		a = &appState{id: h.appID, key: key, executors: map[string]struct{}{}}
		s.apps[a.id] = a
		s.log.Info("application registered", "app", a.id, "remote", remote)
	case a.key == nil:
		a.key = key
		s.log.Info("application from an earlier run connected again; its directory is kept", "app", a.id, "remote", remote)
	case !hmac.Equal(a.key, key):
		s.mu.Unlock()
		return nil, fmt.Errorf("%w: application %s: the client's key is not the one the service learned (another secret)", ErrRefused, h.appID)
	}
	s.touch(a)
	s.mu.Unlock()
	if err := writeFrame(bw, kindWelcome, nil); err != nil {
		return nil, err
	}
	return a, bw.Flush()
}

// touch records activity of a: without heartbeats, it keeps the
// application for another OrphanTimeout. s.mu is held.
func (s *Server) touch(a *appState) {
	if a.heartbeat == 0 {
		a.deadline = time.Now().Add(s.opts.OrphanTimeout)
		s.wake()
	}
}

// wake tells the reaper that a deadline changed.
func (s *Server) wake() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// handle serves one request. answer is the error to send to the client;
// fatal is one after which the connection cannot go on (an answer was
// half written).
func (s *Server) handle(a *appState, req request, bw *bufio.Writer, log *slog.Logger) (answer, fatal error) {
	switch req.kind {
	case kindRegister:
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.apps[a.id] != a {
			return errGone, nil
		}
		if _, ok := a.executors[req.execID]; !ok {
			if len(a.executors) >= maxExecutors {
				return fmt.Errorf("%w: application %s already registered %d executors", ErrRefused, a.id, maxExecutors), nil
			}
			a.executors[req.execID] = struct{}{}
			log.Info("executor registered", "executor", req.execID)
		}
		s.touch(a)
		return nil, writeFrame(bw, kindOK, nil)
	case kindFetch:
		return s.fetch(a, req, bw)
	case kindHeartbeat:
		timeout := req.timeout
		if timeout <= 0 {
			timeout = s.opts.OrphanTimeout
		}
		s.mu.Lock()
		if s.apps[a.id] != a {
			s.mu.Unlock()
			return errGone, nil
		}
		changed := a.heartbeat != timeout
		a.heartbeat = timeout
		a.deadline = time.Now().Add(timeout)
		s.wake()
		s.mu.Unlock()
		if changed {
			log.Info("driver heartbeats; the application is removed when they stop", "timeout", timeout)
		}
		return nil, writeFrame(bw, kindOK, nil)
	case kindRemoveApp:
		if err := s.remove(a, "the application ended (RemoveApp)", time.Time{}); err != nil {
			return err, nil
		}
		return nil, writeFrame(bw, kindOK, nil)
	}
	return fmt.Errorf("%w: request kind %d", errMalformed, req.kind), nil
}

// fetch answers with the bytes of one reduce partition of a map output.
func (s *Server) fetch(a *appState, req request, bw *bufio.Writer) (answer, fatal error) {
	s.mu.Lock()
	if s.apps[a.id] != a {
		s.mu.Unlock()
		return errGone, nil
	}
	_, registered := a.executors[req.execID]
	if registered {
		s.touch(a)
	}
	s.mu.Unlock()
	if !registered {
		return fmt.Errorf("%w: executor %s of application %s is not registered with this service", ErrNotFound, req.execID, a.id), nil
	}
	// Everything below is opened inside the application's directory, so
	// no name or symbolic link leads out of it.
	ar, err := s.root.OpenRoot(a.id)
	if err != nil {
		return fileError(fmt.Errorf("application %s: %w", a.id, err)), nil
	}
	defer ar.Close()
	idx := shuffleFile(req.execID, req.fileBase, ".index")
	off, end, err := readIndex(ar, idx, req.reduce)
	if err != nil {
		return fileError(fmt.Errorf("application %s: %s: %w", a.id, idx, err)), nil
	}
	data := shuffleFile(req.execID, req.fileBase, ".data")
	f, err := openRegular(ar, data)
	if err != nil {
		return fileError(fmt.Errorf("application %s: %w", a.id, err)), nil
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("application %s: %w", a.id, err), nil
	}
	n := end - off
	switch {
	case end > fi.Size():
		return fmt.Errorf("application %s: %s has %d bytes, its index says at least %d", a.id, data, fi.Size(), end), nil
	case n > maxBlock:
		return fmt.Errorf("application %s: %s: reduce partition %d has %d bytes, over the service's limit of %d", a.id, data, req.reduce, n, maxBlock), nil
	}
	if err := writeHeader(bw, kindOK, int(n)); err != nil {
		return nil, err
	}
	if _, err := io.Copy(bw, io.NewSectionReader(f, off, n)); err != nil {
		return nil, fmt.Errorf("sending %s: %w", data, noEOF(err))
	}
	return nil, nil
}

// fileError makes a missing file ErrNotFound.
func fileError(err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	return err
}

// openRegular opens name in r if it is a regular file (not a FIFO or a
// device, whose opening or reading could block the service).
func openRegular(r *os.Root, name string) (*os.File, error) {
	fi, err := r.Stat(name)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", name)
	}
	return r.Open(name)
}

// readIndex returns the byte range of reduce partition reduce that the
// index file name gives: R+1 big-endian int64 offsets.
func readIndex(r *os.Root, name string, reduce int) (off, end int64, err error) {
	f, err := openRegular(r, name)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return 0, 0, err
	}
	size := fi.Size()
	if size%8 != 0 || size < 16 {
		return 0, 0, fmt.Errorf("corrupt index of %d bytes", size)
	}
	if parts := size/8 - 1; int64(reduce) >= parts {
		return 0, 0, fmt.Errorf("no reduce partition %d: the map output has %d", reduce, parts)
	}
	var b [16]byte
	if _, err := f.ReadAt(b[:], int64(reduce)*8); err != nil {
		return 0, 0, err
	}
	off, end = int64(binary.BigEndian.Uint64(b[:8])), int64(binary.BigEndian.Uint64(b[8:]))
	if off < 0 || end < off {
		return 0, 0, fmt.Errorf("corrupt index: reduce partition %d spans %d to %d", reduce, off, end)
	}
	return off, end, nil
}

// why says why a is removed at its deadline. s.mu is held.
func (s *Server) why(a *appState) string {
	switch {
	case a.key == nil:
		return fmt.Sprintf("directory from an earlier run of the service, and the application did not connect within %v", s.opts.OrphanTimeout)
	case a.heartbeat > 0:
		return fmt.Sprintf("no heartbeat from the driver for %v", a.heartbeat)
	default:
		return fmt.Sprintf("no heartbeat and no activity for %v", s.opts.OrphanTimeout)
	}
}

// remove forgets a (its key and executors) and removes its directory.
// With a zero due, it does so with reason, or answers errGone when a was
// already removed; otherwise only if a's deadline is not after due, with
// the reason of the deadline.
func (s *Server) remove(a *appState, reason string, due time.Time) error {
	s.mu.Lock()
	if s.apps[a.id] != a || (!due.IsZero() && due.Before(a.deadline)) {
		s.mu.Unlock()
		if due.IsZero() {
			return errGone
		}
		return nil
	}
	if !due.IsZero() {
		reason = s.why(a)
	}
	delete(s.apps, a.id)
	s.removals++
	// Renamed under the lock, so an application connecting with the same
	// id right after finds no directory (or creates a fresh one).
	name := fmt.Sprintf("%s%s~%d", removingPrefix, a.id, s.removals)
	err := s.root.Rename(a.id, name)
	s.mu.Unlock()
	dir := filepath.Join(s.opts.Root, a.id)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		s.log.Info("forgot application; it had no directory", "app", a.id, "reason", reason)
		return nil
	case err != nil:
		s.log.Warn("cannot move the application's directory aside; removing it in place", "app", a.id, "err", err)
		name = a.id
	}
	if err := s.root.RemoveAll(name); err != nil {
		s.log.Error("cannot remove the application's directory", "app", a.id, "dir", dir, "reason", reason, "err", err)
		return fmt.Errorf("removing %s: %w", dir, err)
	}
	s.log.Info("removed application directory", "app", a.id, "dir", dir, "reason", reason)
	return nil
}

// reap removes applications whose deadline passed, until ctx is done.
func (s *Server) reap(ctx context.Context) {
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	for {
		now := time.Now()
		var expired []*appState
		var next time.Time
		s.mu.Lock()
		for _, a := range s.apps {
			switch {
			case !now.Before(a.deadline):
				expired = append(expired, a)
			case next.IsZero() || a.deadline.Before(next):
				next = a.deadline
			}
		}
		s.mu.Unlock()
		for _, a := range expired {
			_ = s.remove(a, "", now)
		}
		wait := time.Hour
		if !next.IsZero() {
			wait = max(time.Until(next), time.Millisecond)
		}
		t.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case <-s.kick:
		case <-t.C:
		}
	}
}
