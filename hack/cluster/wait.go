package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"
)

// httpOK GETs url (with a bearer token when given) and wants a 200.
func httpOK(ctx context.Context, url, token string) error {
	_, err := httpGet(ctx, url, token)
	return err
}

var caPool *x509.CertPool

func httpGet(ctx context.Context, url, token string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: caPool}, Proxy: nil}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s: %s", url, resp.Status, strings.TrimSpace(string(body)))
	}
	return body, nil
}

// loadCredentials reads the CA and the admin token of a cluster that is up.
func (c *cluster) loadCredentials() error {
	pemCA, err := os.ReadFile(c.path("pki", "ca.crt"))
	if err != nil {
		return err
	}
	caPool = x509.NewCertPool()
	if !caPool.AppendCertsFromPEM(pemCA) {
		return errors.New("bad CA file")
	}
	if c.Token != "" {
		return nil
	}
	b, err := os.ReadFile(c.path("pki", "tokens.csv"))
	if err != nil {
		return err
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Split(line, ",")
		if len(f) >= 3 && f[2] == "admin" {
			c.Token = f[0]
			return nil
		}
	}
	return errors.New("no admin token")
}

// wait returns when the cluster is usable: the API server ready, the node
// Ready, the default service account made and CoreDNS answering.
func (c *cluster) wait(ctx context.Context) error {
	if err := c.loadCredentials(); err != nil {
		return err
	}
	steps := []struct {
		what string
		f    func() error
	}{
		{"kube-apiserver readyz", func() error { return httpOK(ctx, c.apiURL("/readyz"), c.Token) }},
		{"node " + c.NodeName + " Ready", func() error { return c.nodeReady(ctx) }},
		{"default service account", func() error {
			return httpOK(ctx, c.apiURL("/api/v1/namespaces/default/serviceaccounts/default"), c.Token)
		}},
		{"CoreDNS answering kubernetes.default", func() error { return c.dnsAnswers(ctx) }},
	}
	for _, s := range steps {
		start := time.Now()
		if err := poll(ctx, s.what, s.f); err != nil {
			return err
		}
		fmt.Printf("  %-40s %s\n", s.what, time.Since(start).Round(10*time.Millisecond))
	}
	return nil
}

func (c *cluster) nodeReady(ctx context.Context) error {
	body, err := httpGet(ctx, c.apiURL("/api/v1/nodes/"+c.NodeName), c.Token)
	if err != nil {
		return err
	}
	var node struct {
		Status struct {
			Conditions []struct{ Type, Status, Message string }
		}
	}
	if err := json.Unmarshal(body, &node); err != nil {
		return err
	}
	for _, cond := range node.Status.Conditions {
		if cond.Type == "Ready" {
			if cond.Status == "True" {
				return nil
			}
			return fmt.Errorf("node not ready: %s", cond.Message)
		}
	}
	return errors.New("node has no Ready condition yet")
}

func (c *cluster) dnsAnswers(ctx context.Context) error {
	r := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, net.JoinHostPort(c.NodeIP, fmt.Sprint(c.DNSPort)))
	}}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	addrs, err := r.LookupHost(ctx, "kubernetes.default.svc.cluster.local")
	if err != nil {
		return err
	}
	for _, a := range addrs {
		if a == c.APIServiceIP {
			return nil
		}
	}
	return fmt.Errorf("kubernetes.default.svc.cluster.local is %v, want %s", addrs, c.APIServiceIP)
}
