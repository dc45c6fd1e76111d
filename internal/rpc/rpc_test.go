package rpc

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"testing"
	"time"
)

// serveEcho accepts one connection with sec and echoes one frame back.
func serveEcho(t *testing.T, sec *Security) (addr string, errs chan error) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	errs = make(chan error, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			errs <- err
			return
		}
		ac, err := sec.Accept(c)
		if err != nil {
			errs <- err
			return
		}
		defer ac.Close()
		kind, p, err := ReadFrame(ac, nil)
		if err == nil {
			err = WriteFrame(ac, kind, p)
		}
		errs <- err
	}()
	return l.Addr().String(), errs
}

func TestHandshake(t *testing.T) {
	for _, tc := range []struct {
		name             string
		server, client   Security
		ok               bool
		encryptedChannel bool
	}{
		{"open", Security{}, Security{}, true, false},
		{"same secret", Security{Secret: []byte("a")}, Security{Secret: []byte("a")}, true, false},
		{"same secret, TLS", Security{Secret: []byte("a"), Encrypt: true}, Security{Secret: []byte("a"), Encrypt: true}, true, true},
		{"wrong secret", Security{Secret: []byte("a")}, Security{Secret: []byte("b")}, false, false},
		{"wrong secret, TLS", Security{Secret: []byte("a"), Encrypt: true}, Security{Secret: []byte("b"), Encrypt: true}, false, true},
		{"client without secret", Security{Secret: []byte("a")}, Security{}, false, false},
		{"server without secret", Security{}, Security{Secret: []byte("a")}, false, false},
		{"plain client, TLS server", Security{Secret: []byte("a"), Encrypt: true}, Security{Secret: []byte("a")}, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.server.Timeout, tc.client.Timeout = 2*time.Second, 2*time.Second
			addr, errs := serveEcho(t, &tc.server)
			c, err := tc.client.Dial("tcp", addr)
			if !tc.ok {
				if err == nil {
					// The server may refuse only after the client's proof.
					_ = WriteFrame(c, 1, []byte("x"))
					_, _, err = ReadFrame(c, nil)
					c.Close()
				}
				if err == nil {
					t.Fatal("connection worked, want a refusal")
				}
				if serr := <-errs; serr == nil {
					t.Fatal("server accepted the client")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if _, isTLS := c.(*tls.Conn); isTLS != tc.encryptedChannel {
				t.Fatalf("TLS = %v, want %v", isTLS, tc.encryptedChannel)
			}
			if err := WriteFrame(c, 'x', []byte("ping")); err != nil {
				t.Fatal(err)
			}
			kind, p, err := ReadFrame(c, nil)
			if err != nil || kind != 'x' || string(p) != "ping" {
				t.Fatalf("echo: %c %q %v", kind, p, err)
			}
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestRefusedClientIsToldNothing(t *testing.T) {
	sec := &Security{Secret: []byte("a"), Timeout: time.Second}
	addr, errs := serveEcho(t, sec)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// A client that sends a request instead of a proof.
	_ = WriteFrame(c, 'x', make([]byte, 100))
	_ = c.SetReadDeadline(time.Now().Add(3 * time.Second))
	got, _ := io.ReadAll(c)
	if len(got) != 1+nonceSize {
		t.Fatalf("client got %d bytes, want only the %d-byte greeting", len(got), 1+nonceSize)
	}
	if err := <-errs; !errors.Is(err, ErrAuth) {
		t.Fatalf("server: %v, want ErrAuth", err)
	}
}

func TestFrames(t *testing.T) {
	a, b := net.Pipe()
	go func() {
		_ = WriteFrame(a, 'd', []byte("abc"))
		_ = WriteFrameHeader(a, 'e', 2)
		_, _ = a.Write([]byte("xy"))
		a.Close()
	}()
	k, p, err := ReadFrame(b, nil)
	if err != nil || k != 'd' || string(p) != "abc" {
		t.Fatalf("%c %q %v", k, p, err)
	}
	k, p, err = ReadFrame(b, p)
	if err != nil || k != 'e' || string(p) != "xy" {
		t.Fatalf("%c %q %v", k, p, err)
	}
	if _, _, err := ReadFrame(b, nil); !errors.Is(err, io.EOF) {
		t.Fatalf("after the last frame: %v, want EOF", err)
	}
}
