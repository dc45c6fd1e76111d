package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strconv"

	"golang.org/x/net/http2"
)

// h2c: HTTP/2 with prior knowledge over cleartext TCP. One request per
// message; block bodies are streamed in chunkSize writes.

const h2cAuthHeader = "X-Gospark-Auth"

func serveH2C(tuned bool) func(secret []byte) (string, func(), error) {
	return func(secret []byte) (string, func(), error) { return serveH2CWith(secret, tuned) }
}

func serveH2CWith(secret []byte, tuned bool) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	mux := http.NewServeMux()
	auth := func(w http.ResponseWriter, r *http.Request) bool {
		if verifyToken(secret, r.URL.Path, r.Header.Get(h2cAuthHeader)) {
			return true
		}
		log.Printf("h2c: refused unauthenticated request %s", r.URL.Path)
		http.Error(w, "authentication failed", http.StatusUnauthorized)
		return false
	}
	mux.HandleFunc("POST /call", func(w http.ResponseWriter, r *http.Request) {
		if !auth(w, r) {
			return
		}
		var buf [smallReqSize + 1]byte
		n, err := io.ReadFull(r.Body, buf[:])
		if err != io.ErrUnexpectedEOF {
			http.Error(w, "bad request size", http.StatusBadRequest)
			return
		}
		resp, err := handleSmall(buf[:n])
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(resp)))
		w.Write(resp)
	})
	mux.HandleFunc("GET /block/{id}", func(w http.ResponseWriter, r *http.Request) {
		if !auth(w, r) {
			return
		}
		id, err := strconv.Atoi(r.PathValue("id"))
		if err != nil {
			http.Error(w, "bad id", http.StatusBadRequest)
			return
		}
		blk, err := blockFor(id)
		if err != nil {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(blk)))
		for off := 0; off < len(blk); off += chunkSize {
			if _, err := w.Write(blk[off:min(off+chunkSize, len(blk))]); err != nil {
				return
			}
		}
	})
	h2s := &http2.Server{}
	if tuned {
		h2s.MaxReadFrameSize = 1 << 20
	}
	done := make(chan struct{})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				close(done)
				return
			}
			go h2s.ServeConn(c, &http2.ServeConnOpts{Handler: mux})
		}
	}()
	return ln.Addr().String(), func() { ln.Close(); <-done }, nil
}

type h2cClient struct {
	base   string
	hc     *http.Client
	tr     *http2.Transport
	secret []byte
}

func dialH2C(tuned bool) func(addr string, secret []byte) (client, error) {
	return func(addr string, secret []byte) (client, error) { return dialH2CWith(addr, secret, tuned) }
}

func dialH2CWith(addr string, secret []byte, tuned bool) (client, error) {
	tr := &http2.Transport{
		AllowHTTP: true,
		DialTLSContext: func(ctx context.Context, network, addr string, _ *tls.Config) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
	}
	if tuned {
		// Let the server send DATA frames of up to 1 MiB instead of 16 KiB.
		tr.MaxReadFrameSize = 1 << 20
	}
	return &h2cClient{base: "http://" + addr, hc: &http.Client{Transport: tr}, tr: tr, secret: secret}, nil
}

func (c *h2cClient) do(ctx context.Context, method, path string, body []byte) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set(h2cAuthHeader, makeToken(c.secret, req.URL.Path))
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 256))
		resp.Body.Close()
		return nil, fmt.Errorf("h2c %s: %s: %s", path, resp.Status, bytes.TrimSpace(msg))
	}
	return resp, nil
}

func (c *h2cClient) Call(ctx context.Context, req []byte) ([]byte, error) {
	resp, err := c.do(ctx, http.MethodPost, "/call", req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return io.ReadAll(io.LimitReader(resp.Body, 1<<16))
}

func (c *h2cClient) Fetch(ctx context.Context, id int, dst []byte) (int, error) {
	resp, err := c.do(ctx, http.MethodGet, "/block/"+strconv.Itoa(id), nil)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.ContentLength < 0 || resp.ContentLength > int64(len(dst)) {
		return 0, fmt.Errorf("h2c: block %d: bad length %d", id, resp.ContentLength)
	}
	return io.ReadFull(resp.Body, dst[:resp.ContentLength])
}

func (c *h2cClient) Close() error { c.tr.CloseIdleConnections(); return nil }
