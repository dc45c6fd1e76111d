package staging

import (
	"bufio"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/gospark/gospark/internal/bundle"
)

// ErrMismatch marks a downloaded or uploaded bundle whose size or sha256
// differs from what was expected.
var ErrMismatch = errors.New("bundle integrity check failed")

// StatusError is an HTTP error answer of the staging server.
type StatusError struct {
	Code    int
	Message string // the server's one-line explanation
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("staging server answered %d %s: %s", e.Code, http.StatusText(e.Code), e.Message)
}

// Client talks to a resource staging server.
type Client struct {
	base *url.URL
	http *http.Client
}

// NewClient returns a client of the server at uri,
// http(s)://host:port[/prefix]. caPemFile, when not "", is a PEM file of
// certificates (the server's or a CA's) that become the only roots trusted
// for https. An error names the bad URI or file.
func NewClient(uri, caPemFile string) (*Client, error) {
	u, err := url.Parse(uri)
	if err != nil {
		return nil, fmt.Errorf("staging server URI: %w", err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("staging server URI %q: scheme must be http or https", uri)
	case u.Host == "" || u.Opaque != "":
		return nil, fmt.Errorf("staging server URI %q: no host", uri)
	case u.User != nil, u.RawQuery != "", u.ForceQuery, u.Fragment != "":
		return nil, fmt.Errorf("staging server URI %q: want http(s)://host:port[/prefix], without user, query or fragment", uri)
	}
	tlsConf := &tls.Config{MinVersion: tls.VersionTLS12}
	if caPemFile != "" {
		data, err := os.ReadFile(caPemFile)
		if err != nil {
			return nil, fmt.Errorf("staging server CA: %w", err)
		}
		certs, err := parseCertificates(data)
		if err != nil {
			return nil, fmt.Errorf("staging server CA %s: %w", caPemFile, err)
		}
		pool := x509.NewCertPool()
		for _, c := range certs {
			pool.AddCert(c)
		}
		tlsConf.RootCAs = pool
	}
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:       tlsConf,
		TLSHandshakeTimeout:   10 * time.Second,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          10,
		IdleConnTimeout:       90 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
	return &Client{
		base: u,
		http: &http.Client{
			Transport: tr,
			// A redirect is an error: the secret is not to be sent on.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}, nil
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return len(p), nil
}

// Upload bundles files into a temporary file, computing its sha256 and
// size, and posts it. namespace and labels select the pods that will use
// it, for cleanup.
func (c *Client) Upload(ctx context.Context, namespace string, labels map[string]string, files []bundle.File) (Resource, error) {
	if len(labels) == 0 {
		return Resource{}, errors.New("upload: no labels to select the pods that use the bundle")
	}
	for k, v := range labels {
		if k == "" || strings.ContainsAny(k, ",=") || strings.ContainsAny(v, ",=") {
			return Resource{}, fmt.Errorf("upload: label %q=%q cannot be sent", k, v)
		}
	}
	tmp, err := os.CreateTemp("", "gospark-bundle-*.tar")
	if err != nil {
		return Resource{}, fmt.Errorf("upload: %w", err)
	}
	defer func() {
		_ = tmp.Close()
		_ = os.Remove(tmp.Name())
	}()
	h := sha256.New()
	var cw countWriter
	bw := bufio.NewWriterSize(io.MultiWriter(tmp, h, &cw), 256<<10)
	if err := bundle.Write(bw, files); err != nil {
		return Resource{}, fmt.Errorf("upload: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return Resource{}, fmt.Errorf("upload: write %s: %w", tmp.Name(), err)
	}
	size, sum := cw.n, hex.EncodeToString(h.Sum(nil))

	u := c.base.JoinPath(ResourcesPath)
	u.RawQuery = url.Values{"namespace": {namespace}, "labels": {formatLabels(labels)}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), io.NewSectionReader(tmp, 0, size))
	if err != nil {
		return Resource{}, fmt.Errorf("upload: %w", err)
	}
	req.ContentLength = size
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(io.NewSectionReader(tmp, 0, size)), nil }
	req.Header.Set("Content-Type", "application/x-tar")
	req.Header.Set(HeaderSHA256, sum)
	resp, err := c.http.Do(req)
	if err != nil {
		return Resource{}, fmt.Errorf("upload: %w", err)
	}
	defer closeBody(resp)
	if resp.StatusCode != http.StatusCreated {
		return Resource{}, fmt.Errorf("upload: %w", statusError(resp))
	}
	var res Resource
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&res); err != nil {
		return Resource{}, fmt.Errorf("upload: decode answer: %w", err)
	}
	switch {
	case !validID(res.ID), !validHex(res.Secret, secretBytes):
		return Resource{}, fmt.Errorf("upload: server answered a malformed resource id or secret")
	case res.SHA256 != sum || res.Size != size:
		return Resource{}, fmt.Errorf("upload: %w: server stored %d bytes with sha256 %s, sent %d bytes with sha256 %s",
			ErrMismatch, res.Size, res.SHA256, size, sum)
	}
	return res, nil
}

// Download fetches the bundle of res.ID with res.Secret and copies it to w,
// then verifies res.Size and res.SHA256 when they are set (else the sha256
// the server announces); an error wrapping ErrMismatch says expected and
// got. w may then hold bad data: write to a temporary file and use it only
// if Download succeeds. An HTTP error is a *StatusError.
func (c *Client) Download(ctx context.Context, res Resource, w io.Writer) error {
	if !validID(res.ID) {
		return fmt.Errorf("download: malformed resource id %q", res.ID)
	}
	u := c.base.JoinPath(ResourcesPath, res.ID)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return fmt.Errorf("download %s: %w", res.ID, err)
	}
	req.Header.Set("Authorization", "Bearer "+res.Secret)
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("download %s: %w", res.ID, err)
	}
	defer closeBody(resp)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("download %s: %w", res.ID, statusError(resp))
	}
	announced := resp.Header.Get(HeaderSHA256)
	want := res.SHA256
	if want == "" {
		want = announced
	} else if announced != "" && announced != want {
		return fmt.Errorf("download %s: %w: sha256: expected %s, server has %s", res.ID, ErrMismatch, want, announced)
	}
	if res.Size > 0 && resp.ContentLength >= 0 && resp.ContentLength != res.Size {
		return fmt.Errorf("download %s: %w: size: expected %d bytes, server has %d", res.ID, ErrMismatch, res.Size, resp.ContentLength)
	}
	var src io.Reader = resp.Body
	if res.Size > 0 {
		src = io.LimitReader(resp.Body, res.Size+1)
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(w, h), src)
	if err != nil {
		return fmt.Errorf("download %s: %w", res.ID, err)
	}
	if res.Size > 0 && n != res.Size {
		return fmt.Errorf("download %s: %w: size: expected %d bytes, got %d", res.ID, ErrMismatch, res.Size, n)
	}
	if got := hexSum(h); want != "" && got != want {
		return fmt.Errorf("download %s: %w: sha256: expected %s, got %s", res.ID, ErrMismatch, want, got)
	}
	return nil
}

func hexSum(h hash.Hash) string { return hex.EncodeToString(h.Sum(nil)) }

// statusError reads the first line of an error answer.
func statusError(resp *http.Response) *StatusError {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	msg, _, _ := strings.Cut(string(body), "\n")
	msg = strings.TrimSpace(msg)
	if msg == "" {
		msg = http.StatusText(resp.StatusCode)
	}
	return &StatusError{Code: resp.StatusCode, Message: msg}
}

// closeBody drains a little of what is left, so the connection can be
// reused, and closes the body.
func closeBody(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
}
