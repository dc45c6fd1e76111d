package staging

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gospark/gospark/internal/bundle/bundletest"
	"github.com/gospark/gospark/internal/testcert"
)

// writeCert writes a self-signed certificate for 127.0.0.1 and its key as
// PEM files.
func writeCert(t *testing.T, dir, name string) (keyFile, certFile string) {
	return testcert.Write(t, dir, name, nil, []net.IP{net.IPv4(127, 0, 0, 1)})
}

func TestTLS(t *testing.T) {
	dir := t.TempDir()
	keyFile, certFile := writeCert(t, dir, "server")
	_, otherCert := writeCert(t, dir, "other")
	tlsConf, err := ServerTLS(keyFile, certFile)
	if err != nil {
		t.Fatalf("ServerTLS: %v", err)
	}
	s, err := New(Config{Dir: filepath.Join(dir, "store"), Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	served := make(chan error, 1)
	go func() { served <- Serve(ctx, ln, s.Handler(), tlsConf) }()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	uri := "https://" + ln.Addr().String()
	files := bundletest.Files(t, []bundletest.Source{{Name: "jars/a", Data: "a", Mode: 0o644}})

	trusting, err := NewClient(uri, certFile)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	// Idle HTTP/2 connections would hold a graceful shutdown for a second.
	t.Cleanup(trusting.http.CloseIdleConnections)
	res, err := trusting.Upload(t.Context(), "default", testLabels, files)
	if err != nil {
		t.Fatalf("Upload over TLS: %v", err)
	}
	if err := trusting.Download(t.Context(), res, &strings.Builder{}); err != nil {
		t.Fatalf("Download over TLS: %v", err)
	}

	for _, ca := range []string{"", otherCert} {
		c, err := NewClient(uri, ca)
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Upload(t.Context(), "default", testLabels, files)
		var unknown x509.UnknownAuthorityError
		var verify *tls.CertificateVerificationError
		if !errors.As(err, &unknown) || !errors.As(err, &verify) {
			t.Errorf("Upload trusting %q = %v, want an x509 unknown authority error", ca, err)
		}
	}
}

func TestTLSFileErrors(t *testing.T) {
	dir := t.TempDir()
	keyFile, certFile := writeCert(t, dir, "server")
	otherKey, _ := writeCert(t, dir, "other")
	garbage := filepath.Join(dir, "garbage.pem")
	if err := os.WriteFile(garbage, []byte("not PEM at all\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.pem")
	for _, tt := range []struct {
		key, cert string
		names     []string
	}{
		{keyFile, garbage, []string{garbage}},
		{garbage, certFile, []string{garbage}},
		{missing, certFile, []string{missing}},
		{keyFile, missing, []string{missing}},
		{certFile, certFile, []string{certFile}}, // no key in it
		{otherKey, certFile, []string{otherKey, certFile}},
	} {
		_, err := ServerTLS(tt.key, tt.cert)
		if err == nil {
			t.Errorf("ServerTLS(%s, %s) succeeded", tt.key, tt.cert)
			continue
		}
		for _, n := range tt.names {
			if !strings.Contains(err.Error(), n) {
				t.Errorf("ServerTLS(%s, %s) = %v, does not name %s", tt.key, tt.cert, err, n)
			}
		}
	}
	for _, tt := range []struct{ uri, ca, says string }{
		{"ftp://host:1", "", "scheme"},
		{"http://", "", "no host"},
		{"http://host:1/?q=1", "", "without user, query or fragment"},
		{"http://user@host:1", "", "without user"},
		{"http://host:1", garbage, garbage},
		{"https://host:1", missing, missing},
		{"::", "", "::"},
	} {
		if _, err := NewClient(tt.uri, tt.ca); err == nil || !strings.Contains(err.Error(), tt.says) {
			t.Errorf("NewClient(%q, %q) = %v, want an error saying %q", tt.uri, tt.ca, err, tt.says)
		}
	}
}

func TestClientPrefix(t *testing.T) {
	ts := newTestServer(t, Config{})
	c, err := NewClient(ts.url+"/", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Upload(t.Context(), "default", testLabels, bundletest.Files(t, []bundletest.Source{{Name: "jars/a", Data: "a", Mode: 0o644}})); err != nil {
		t.Fatalf("Upload with a trailing slash in the URI: %v", err)
	}
}
