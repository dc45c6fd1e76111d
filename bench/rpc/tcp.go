package main

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Framed TCP protocol: one connection per peer.
//
// Handshake (mutual HMAC-SHA256 challenge-response, once per connection):
//
//	server -> client: nonceS (32 bytes)
//	client -> server: nonceC (32) || HMAC(secret, "client" || nonceS || nonceC)
//	server -> client: HMAC(secret, "server" || nonceS || nonceC)
//
// Then frames in both directions:
//
//	uint32 payload length | uint8 type | uint64 request id | payload
//
// Requests carry a client-chosen id; responses echo it, so many requests
// can be in flight on the one connection. The client's reader goroutine
// dispatches each response to its waiting caller and reads block payloads
// directly into the caller's buffer.

const (
	frameHeader = 13
	maxFrame    = 64 << 20

	ftCall     = 1
	ftCallResp = 2
	ftFetch    = 3
	ftBlock    = 4
	ftError    = 5
)

func tcpMAC(secret []byte, role string, nonceS, nonceC []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(role))
	m.Write(nonceS)
	m.Write(nonceC)
	return m.Sum(nil)
}

func putHeader(h []byte, n int, typ byte, id uint64) {
	binary.BigEndian.PutUint32(h[0:4], uint32(n))
	h[4] = typ
	binary.BigEndian.PutUint64(h[5:13], id)
}

// ---- server ----

func serveTCP(secret []byte) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	var mu sync.Mutex
	conns := map[net.Conn]struct{}{}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns[c] = struct{}{}
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { mu.Lock(); delete(conns, c); mu.Unlock(); c.Close() }()
				if err := tcpServerHandshake(c, secret); err != nil {
					log.Printf("tcp: refused connection from %s: %v", c.RemoteAddr(), err)
					return
				}
				tcpServeConn(c)
			}()
		}
	}()
	stop := func() {
		ln.Close()
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	}
	return ln.Addr().String(), stop, nil
}

func tcpServerHandshake(c net.Conn, secret []byte) error {
	c.SetDeadline(time.Now().Add(5 * time.Second))
	defer c.SetDeadline(time.Time{})
	nonceS := make([]byte, 32)
	rand.Read(nonceS)
	if _, err := c.Write(nonceS); err != nil {
		return err
	}
	buf := make([]byte, 64)
	if _, err := io.ReadFull(c, buf); err != nil {
		return err
	}
	nonceC, mac := buf[:32], buf[32:]
	if !hmac.Equal(mac, tcpMAC(secret, "client", nonceS, nonceC)) {
		return errAuth
	}
	_, err := c.Write(tcpMAC(secret, "server", nonceS, nonceC))
	return err
}

func tcpServeConn(c net.Conn) {
	br := bufio.NewReaderSize(c, 64<<10)
	bw := bufio.NewWriterSize(c, 64<<10)
	var wmu sync.Mutex
	var werr error
	send := func(typ byte, id uint64, payload []byte) {
		var h [frameHeader]byte
		putHeader(h[:], len(payload), typ, id)
		wmu.Lock()
		defer wmu.Unlock()
		if werr != nil {
			return
		}
		bw.Write(h[:])
		bw.Write(payload)
		if werr = bw.Flush(); werr != nil {
			c.Close()
		}
	}
	var h [frameHeader]byte
	for {
		if _, err := io.ReadFull(br, h[:]); err != nil {
			return
		}
		n := binary.BigEndian.Uint32(h[0:4])
		typ := h[4]
		id := binary.BigEndian.Uint64(h[5:13])
		if n > 1<<20 {
			return // requests are small; a huge one is a protocol error
		}
		payload := make([]byte, n)
		if _, err := io.ReadFull(br, payload); err != nil {
			return
		}
		go func() {
			switch typ {
			case ftCall:
				resp, err := handleSmall(payload)
				if err != nil {
					send(ftError, id, []byte(err.Error()))
					return
				}
				send(ftCallResp, id, resp)
			case ftFetch:
				if len(payload) != 8 {
					send(ftError, id, []byte("bad fetch request"))
					return
				}
				blk, err := blockFor(int(binary.LittleEndian.Uint64(payload)))
				if err != nil {
					send(ftError, id, []byte(err.Error()))
					return
				}
				send(ftBlock, id, blk)
			default:
				send(ftError, id, []byte("unknown frame type"))
			}
		}()
	}
}

// ---- client ----

type tcpCall struct {
	dst  []byte // for blocks: payload is read straight into dst
	resp []byte
	n    int
	err  error
	done chan struct{}
}

type tcpClient struct {
	c      net.Conn
	wmu    sync.Mutex
	bw     *bufio.Writer
	mu     sync.Mutex
	calls  map[uint64]*tcpCall
	closed error
	nextID atomic.Uint64
}

func dialTCP(addr string, secret []byte) (client, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	if err := tcpClientHandshake(c, secret); err != nil {
		c.Close()
		return nil, fmt.Errorf("tcp handshake: %w", err)
	}
	cl := &tcpClient{c: c, bw: bufio.NewWriterSize(c, 16<<10), calls: map[uint64]*tcpCall{}}
	go cl.readLoop()
	return cl, nil
}

func tcpClientHandshake(c net.Conn, secret []byte) error {
	c.SetDeadline(time.Now().Add(5 * time.Second))
	defer c.SetDeadline(time.Time{})
	nonceS := make([]byte, 32)
	if _, err := io.ReadFull(c, nonceS); err != nil {
		return err
	}
	nonceC := make([]byte, 32)
	rand.Read(nonceC)
	if _, err := c.Write(append(nonceC, tcpMAC(secret, "client", nonceS, nonceC)...)); err != nil {
		return err
	}
	mac := make([]byte, 32)
	if _, err := io.ReadFull(c, mac); err != nil {
		return errAuth // server closes the connection on a bad MAC
	}
	if !hmac.Equal(mac, tcpMAC(secret, "server", nonceS, nonceC)) {
		return errAuth
	}
	return nil
}

func (cl *tcpClient) readLoop() {
	br := bufio.NewReaderSize(cl.c, 64<<10)
	var h [frameHeader]byte
	var err error
	for {
		if _, err = io.ReadFull(br, h[:]); err != nil {
			break
		}
		n := int(binary.BigEndian.Uint32(h[0:4]))
		typ := h[4]
		id := binary.BigEndian.Uint64(h[5:13])
		if n > maxFrame {
			err = fmt.Errorf("tcp: frame of %d bytes", n)
			break
		}
		cl.mu.Lock()
		call := cl.calls[id]
		delete(cl.calls, id)
		cl.mu.Unlock()
		if call == nil { // caller gave up; skip the payload
			if _, err = br.Discard(n); err != nil {
				break
			}
			continue
		}
		switch {
		case typ == ftBlock && call.dst != nil && n <= len(call.dst):
			_, err = io.ReadFull(br, call.dst[:n])
			call.n = n
		default:
			buf := make([]byte, n)
			_, err = io.ReadFull(br, buf)
			if typ == ftError {
				call.err = fmt.Errorf("tcp: remote error: %s", buf)
			} else if typ == ftBlock {
				call.err = fmt.Errorf("tcp: block of %d bytes overflows buffer", n)
			} else {
				call.resp = buf
			}
		}
		if err != nil {
			call.err = err
			close(call.done)
			break
		}
		close(call.done)
	}
	if err == nil || errors.Is(err, io.EOF) {
		err = errors.New("tcp: connection closed")
	}
	cl.mu.Lock()
	cl.closed = err
	for id, call := range cl.calls {
		call.err = err
		close(call.done)
		delete(cl.calls, id)
	}
	cl.mu.Unlock()
}

func (cl *tcpClient) roundTrip(ctx context.Context, typ byte, payload []byte, call *tcpCall) error {
	id := cl.nextID.Add(1)
	call.done = make(chan struct{})
	cl.mu.Lock()
	if cl.closed != nil {
		cl.mu.Unlock()
		return cl.closed
	}
	cl.calls[id] = call
	cl.mu.Unlock()

	var h [frameHeader]byte
	putHeader(h[:], len(payload), typ, id)
	cl.wmu.Lock()
	cl.bw.Write(h[:])
	cl.bw.Write(payload)
	err := cl.bw.Flush()
	cl.wmu.Unlock()
	if err != nil {
		cl.c.Close() // the reader fails all pending calls
	}
	select {
	case <-call.done:
		return call.err
	case <-ctx.Done():
		cl.mu.Lock()
		_, pending := cl.calls[id]
		delete(cl.calls, id)
		cl.mu.Unlock()
		if !pending {
			<-call.done // the reader owns call (and dst) until it finishes
		}
		return ctx.Err()
	}
}

func (cl *tcpClient) Call(ctx context.Context, req []byte) ([]byte, error) {
	var call tcpCall
	if err := cl.roundTrip(ctx, ftCall, req, &call); err != nil {
		return nil, err
	}
	return call.resp, nil
}

func (cl *tcpClient) Fetch(ctx context.Context, id int, dst []byte) (int, error) {
	var req [8]byte
	binary.LittleEndian.PutUint64(req[:], uint64(id))
	call := tcpCall{dst: dst}
	if err := cl.roundTrip(ctx, ftFetch, req[:], &call); err != nil {
		return 0, err
	}
	return call.n, nil
}

func (cl *tcpClient) Close() error { return cl.c.Close() }
