package staging

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"
)

const shutdownGrace = 5 * time.Second

// Serve serves h on ln, over TLS when tlsConf is not nil, until ctx is
// done; then it stops accepting and gives requests in flight 5 s to finish
// before closing their connections.
func Serve(ctx context.Context, ln net.Listener, h http.Handler, tlsConf *tls.Config) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(slog.Default().Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() {
		if tlsConf != nil {
			srv.TLSConfig = tlsConf.Clone()
			errc <- srv.ServeTLS(ln, "", "")
			return
		}
		errc <- srv.Serve(ln)
	}()
	select {
	case err := <-errc:
		return fmt.Errorf("staging server: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer cancel()
	err := srv.Shutdown(sctx)
	if err != nil {
		err = errors.Join(err, srv.Close())
	}
	if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	if err != nil {
		return fmt.Errorf("staging server shutdown: %w", err)
	}
	return nil
}

// ServerTLS loads a PEM private key and certificate (chain)
// (spark.ssl.kubernetes.resourceStagingServer.keyPem and .serverCertPem).
// An error names the file that is bad.
func ServerTLS(keyPemFile, certPemFile string) (*tls.Config, error) {
	certPEM, err := os.ReadFile(certPemFile)
	if err != nil {
		return nil, fmt.Errorf("server certificate: %w", err)
	}
	if _, err := parseCertificates(certPEM); err != nil {
		return nil, fmt.Errorf("server certificate %s: %w", certPemFile, err)
	}
	keyPEM, err := os.ReadFile(keyPemFile)
	if err != nil {
		return nil, fmt.Errorf("server key: %w", err)
	}
	if err := checkPrivateKey(keyPEM); err != nil {
		return nil, fmt.Errorf("server key %s: %w", keyPemFile, err)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("server key %s and certificate %s: %w", keyPemFile, certPemFile, err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}

// parseCertificates returns the certificates of the CERTIFICATE blocks in
// data: at least one, all valid.
func parseCertificates(data []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("certificate %d: %w", len(certs)+1, err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, errors.New("no PEM CERTIFICATE block")
	}
	return certs, nil
}

// checkPrivateKey checks that data holds a parseable PEM private key.
func checkPrivateKey(data []byte) error {
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return errors.New("no PEM private key block")
		}
		if !strings.HasSuffix(b.Type, "PRIVATE KEY") {
			continue
		}
		var err error
		switch b.Type {
		case "RSA PRIVATE KEY":
			_, err = x509.ParsePKCS1PrivateKey(b.Bytes)
		case "EC PRIVATE KEY":
			_, err = x509.ParseECPrivateKey(b.Bytes)
		default:
			_, err = x509.ParsePKCS8PrivateKey(b.Bytes)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", b.Type, err)
		}
		return nil
	}
}
