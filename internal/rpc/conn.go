package rpc

import (
	"bufio"
	"encoding/binary"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
)

// Conn carries gob-encoded messages both ways over an authenticated
// connection. Send may be called from several goroutines; Recv from one.
type Conn struct {
	c   net.Conn
	dec *gob.Decoder

	mu  sync.Mutex
	w   *bufio.Writer
	enc *gob.Encoder
}

// NewConn wraps an authenticated connection.
func NewConn(c net.Conn) *Conn {
	w := bufio.NewWriterSize(c, 64<<10)
	return &Conn{c: c, dec: gob.NewDecoder(bufio.NewReaderSize(c, 64<<10)), w: w, enc: gob.NewEncoder(w)}
}

// Send writes one message and flushes it.
func (c *Conn) Send(v any) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.enc.Encode(v); err != nil {
		return fmt.Errorf("rpc: send: %w", err)
	}
	if err := c.w.Flush(); err != nil {
		return fmt.Errorf("rpc: send: %w", err)
	}
	return nil
}

// Recv reads the next message into v.
func (c *Conn) Recv(v any) error {
	if err := c.dec.Decode(v); err != nil {
		return fmt.Errorf("rpc: receive: %w", err)
	}
	return nil
}

// Close closes the connection.
func (c *Conn) Close() error { return c.c.Close() }

// RemoteAddr is the peer's address.
func (c *Conn) RemoteAddr() net.Addr { return c.c.RemoteAddr() }

// MaxFrame is the largest frame ReadFrame accepts.
const MaxFrame = 1 << 30

// ErrFrameTooLarge is the error of a frame over MaxFrame.
var ErrFrameTooLarge = errors.New("rpc: frame too large")

// WriteFrame writes a frame: a 1-byte kind, a 4-byte big-endian length and
// the payload.
func WriteFrame(w io.Writer, kind byte, payload []byte) error {
	if len(payload) > MaxFrame {
		return ErrFrameTooLarge
	}
	var h [5]byte
	h[0] = kind
	binary.BigEndian.PutUint32(h[1:], uint32(len(payload)))
	if _, err := w.Write(h[:]); err != nil {
		return err
	}
	_, err := w.Write(payload)
	return err
}

// WriteFrameHeader writes a frame's kind and length; the caller writes the
// n payload bytes next.
func WriteFrameHeader(w io.Writer, kind byte, n int64) error {
	if n > MaxFrame || n < 0 {
		return ErrFrameTooLarge
	}
	var h [5]byte
	h[0] = kind
	binary.BigEndian.PutUint32(h[1:], uint32(n))
	_, err := w.Write(h[:])
	return err
}

// ReadFrameHeader reads a frame's kind and length; the payload follows.
func ReadFrameHeader(r io.Reader) (kind byte, n int, err error) {
	var h [5]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return 0, 0, err
	}
	n = int(binary.BigEndian.Uint32(h[1:]))
	if n > MaxFrame {
		return 0, 0, ErrFrameTooLarge
	}
	return h[0], n, nil
}

// ReadFrame reads a whole frame, reusing buf when it is large enough.
func ReadFrame(r io.Reader, buf []byte) (kind byte, payload []byte, err error) {
	kind, n, err := ReadFrameHeader(r)
	if err != nil {
		return 0, nil, err
	}
	if cap(buf) < n {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	if _, err := io.ReadFull(r, buf); err != nil {
		return 0, nil, err
	}
	return kind, buf, nil
}

// Listener accepts authenticated connections; connections that fail the
// handshake are logged through OnRefused and dropped.
type Listener struct {
	net.Listener
	Sec       *Security
	OnRefused func(remote net.Addr, err error)
}

// Serve accepts connections until the listener closes, handing each
// authenticated one to handle on its own goroutine.
func (l *Listener) Serve(handle func(net.Conn)) error {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			return err
		}
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetNoDelay(true)
		}
		go func() {
			ac, err := l.Sec.Accept(c)
			if err != nil {
				if l.OnRefused != nil {
					l.OnRefused(c.RemoteAddr(), err)
				}
				return
			}
			handle(ac)
		}()
	}
}

// Buffered wraps a connection with a read buffer.
func Buffered(c net.Conn) net.Conn { return &bufConn{Conn: c, r: bufio.NewReaderSize(c, 64<<10)} }
