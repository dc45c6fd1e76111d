// Package rpc is the transport between a driver and its executors: TCP
// connections that start with a mutual proof of the application's secret
// (spark.authenticate) and, with spark.network.crypto.enabled, run inside
// TLS 1.3 bound to that proof. On top of a connection, control messages
// travel as a gob stream (Conn) and block transfers as length-prefixed
// frames (ReadFrame, WriteFrame).
//
// The choice of a framed TCP protocol over gRPC or HTTP/2 streams rests on
// bench/rpc (see docs/architecture.md).
package rpc

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"time"
)

// ErrAuth is wrapped by every error of a peer that failed to prove the
// secret, or of a server that refused the client's proof.
var ErrAuth = errors.New("rpc: authentication failed")

// Security says how connections prove and protect themselves.
type Security struct {
	// Secret is the application's shared secret; empty disables
	// authentication (spark.authenticate=false).
	Secret []byte
	// Encrypt runs every connection inside TLS 1.3 (spark.network.crypto.enabled).
	// The certificates are ephemeral and self-signed: what authenticates the
	// peers is the secret, which the handshake binds to the TLS session so
	// that a relay in the middle cannot pass the proof on.
	Encrypt bool
	// Timeout bounds the handshake (spark.network.timeout).
	Timeout time.Duration

	cert *tls.Certificate
}

// NewSecret returns a fresh random secret, hex encoded.
func NewSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("rpc: generating a secret: %w", err)
	}
	return hex.EncodeToString(b), nil
}

const (
	modeOpen   = 0
	modeSecret = 1
	nonceSize  = 32
	labelTLS   = "EXPORTER-gospark-rpc"
)

// server prepares the certificate a TLS server needs.
func (s *Security) server() (*tls.Config, error) {
	if s.cert == nil {
		c, err := selfSigned()
		if err != nil {
			return nil, err
		}
		s.cert = c
	}
	return &tls.Config{Certificates: []tls.Certificate{*s.cert}, MinVersion: tls.VersionTLS13}, nil
}

func selfSigned() (*tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("rpc: TLS key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "gospark"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(30 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("rpc: TLS certificate: %w", err)
	}
	return &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

// binding is keying material both ends of a TLS session derive, or nil on
// a plain connection.
func binding(c net.Conn) ([]byte, error) {
	tc, ok := c.(*tls.Conn)
	if !ok {
		return nil, nil
	}
	st := tc.ConnectionState()
	return st.ExportKeyingMaterial(labelTLS, nil, 32)
}

func proof(secret []byte, role string, nonces ...[]byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(role))
	for _, n := range nonces {
		m.Write(n)
	}
	return m.Sum(nil)
}

// Accept runs the server side of the handshake on a newly accepted
// connection and returns the connection to use (the TLS one when
// encrypting). On error the connection is closed.
func (s *Security) Accept(c net.Conn) (net.Conn, error) {
	out, err := s.accept(c)
	if err != nil {
		c.Close()
		return nil, err
	}
	_ = out.SetDeadline(time.Time{})
	return out, nil
}

func (s *Security) deadline(c net.Conn) {
	if s.Timeout > 0 {
		_ = c.SetDeadline(time.Now().Add(s.Timeout))
	}
}

func (s *Security) accept(c net.Conn) (net.Conn, error) {
	s.deadline(c)
	if s.Encrypt {
		cfg, err := s.server()
		if err != nil {
			return nil, err
		}
		tc := tls.Server(c, cfg)
		if err := tc.Handshake(); err != nil {
			return nil, fmt.Errorf("%w: TLS: %w", ErrAuth, err)
		}
		c = tc
	}
	if len(s.Secret) == 0 {
		_, err := c.Write([]byte{modeOpen})
		return c, err
	}
	bind, err := binding(c)
	if err != nil {
		return nil, err
	}
	ns := make([]byte, nonceSize)
	if _, err := rand.Read(ns); err != nil {
		return nil, err
	}
	if _, err := c.Write(append([]byte{modeSecret}, ns...)); err != nil {
		return nil, err
	}
	// The client answers with its nonce and its proof.
	msg := make([]byte, nonceSize+sha256.Size)
	if _, err := io.ReadFull(c, msg); err != nil {
		return nil, fmt.Errorf("%w: no proof from %s: %w", ErrAuth, c.RemoteAddr(), err)
	}
	nc, got := msg[:nonceSize], msg[nonceSize:]
	if !hmac.Equal(got, proof(s.Secret, "client", ns, nc, bind)) {
		return nil, fmt.Errorf("%w: %s does not know the application secret", ErrAuth, c.RemoteAddr())
	}
	if _, err := c.Write(proof(s.Secret, "server", nc, ns, bind)); err != nil {
		return nil, err
	}
	return c, nil
}

// Dial connects to addr and runs the client side of the handshake.
func (s *Security) Dial(network, addr string) (net.Conn, error) {
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = 2 * time.Minute
	}
	c, err := net.DialTimeout(network, addr, timeout)
	if err != nil {
		return nil, fmt.Errorf("rpc: %w", err)
	}
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
	}
	out, err := s.connect(c)
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("rpc: connecting to %s: %w", addr, err)
	}
	_ = out.SetDeadline(time.Time{})
	return out, nil
}

// Client runs the client side of the handshake on an open connection and
// returns the connection to use. On error the connection is closed.
func (s *Security) Client(c net.Conn) (net.Conn, error) {
	out, err := s.connect(c)
	if err != nil {
		c.Close()
		return nil, err
	}
	_ = out.SetDeadline(time.Time{})
	return out, nil
}

func (s *Security) connect(c net.Conn) (net.Conn, error) {
	s.deadline(c)
	if s.Encrypt {
		// The server's certificate is ephemeral; the secret proof below,
		// bound to this TLS session, is what authenticates it.
		tc := tls.Client(c, &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS13})
		if err := tc.Handshake(); err != nil {
			return nil, fmt.Errorf("%w: TLS: %w", ErrAuth, err)
		}
		c = tc
	}
	var mode [1]byte
	if _, err := io.ReadFull(c, mode[:]); err != nil {
		return nil, fmt.Errorf("%w: no greeting: %w", ErrAuth, err)
	}
	switch {
	case mode[0] == modeOpen && len(s.Secret) == 0:
		return c, nil
	case mode[0] == modeOpen:
		return nil, fmt.Errorf("%w: the server does not authenticate (spark.authenticate differs)", ErrAuth)
	case mode[0] != modeSecret:
		return nil, fmt.Errorf("%w: unknown greeting %d", ErrAuth, mode[0])
	case len(s.Secret) == 0:
		return nil, fmt.Errorf("%w: the server requires the application secret (spark.authenticate)", ErrAuth)
	}
	bind, err := binding(c)
	if err != nil {
		return nil, err
	}
	ns := make([]byte, nonceSize)
	if _, err := io.ReadFull(c, ns); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrAuth, err)
	}
	nc := make([]byte, nonceSize)
	if _, err := rand.Read(nc); err != nil {
		return nil, err
	}
	if _, err := c.Write(append(nc, proof(s.Secret, "client", ns, nc, bind)...)); err != nil {
		return nil, err
	}
	got := make([]byte, sha256.Size)
	if _, err := io.ReadFull(c, got); err != nil {
		return nil, fmt.Errorf("%w: the server refused the proof: %w", ErrAuth, err)
	}
	if !hmac.Equal(got, proof(s.Secret, "server", nc, ns, bind)) {
		return nil, fmt.Errorf("%w: the server does not know the application secret", ErrAuth)
	}
	return c, nil
}

// bufConn pairs a connection with buffered reading.
type bufConn struct {
	net.Conn
	r *bufio.Reader
}

func (b *bufConn) Read(p []byte) (int, error) { return b.r.Read(p) }
