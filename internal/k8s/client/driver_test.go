package client

import (
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"k8s.io/client-go/kubernetes"

	"github.com/gospark/gospark/internal/config"
)

// The driver's client has no client-side rate limit (Spark's has none):
// with client-go's default of 5 requests a second, the executor pod
// allocator created at most 5 pods a second whatever the batch size.
func TestDriverClientHasNoRateLimit(t *testing.T) {
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.crt")
	token := filepath.Join(dir, "token")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(token, []byte("t"), 0o600); err != nil {
		t.Fatal(err)
	}
	conf := config.New()
	for k, v := range map[string]string{
		"spark.kubernetes.driver.master":                              srv.URL,
		"spark.kubernetes.authenticate.driver.mounted.caCertFile":     ca,
		"spark.kubernetes.authenticate.driver.mounted.oauthTokenFile": token,
	} {
		if err := conf.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := DriverConfig(conf)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if rl := cs.CoreV1().RESTClient().GetRateLimiter(); rl != nil {
		t.Fatalf("the driver's client has a rate limiter (QPS %v)", rl.QPS())
	}
	// The check can tell: with client-go's default there is one.
	limited := *cfg
	limited.QPS, limited.Burst = 0, 0
	lcs, err := kubernetes.NewForConfig(&limited)
	if err != nil {
		t.Fatal(err)
	}
	if lcs.CoreV1().RESTClient().GetRateLimiter() == nil {
		t.Fatal("client-go's default rate limit not seen")
	}
}

// Nor has submit's: a program submitting many applications through one
// client was held to client-go's 5 requests a second.
func TestSubmissionClientHasNoRateLimit(t *testing.T) {
	cs, _, err := New(config.New(), "https://127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	if rl := cs.CoreV1().RESTClient().GetRateLimiter(); rl != nil {
		t.Fatalf("submit's client has a rate limiter (QPS %v)", rl.QPS())
	}
}

// In a pod, the default in-cluster name is reached at the address the
// kubelet gives (no DNS lookup), the certificate still checked against the
// name; another master is left alone.
func TestDriverReachesTheDefaultMasterWithoutDNS(t *testing.T) {
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.crt")
	token := filepath.Join(dir, "token")
	for _, f := range []string{ca, token} {
		if err := os.WriteFile(f, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1")
	t.Setenv("KUBERNETES_SERVICE_PORT", "443")
	for master, want := range map[string][2]string{
		"":                                   {"https://10.96.0.1:443", "kubernetes.default.svc"},
		"https://kubernetes.default.svc:443": {"https://10.96.0.1:443", "kubernetes.default.svc"},
		"https://api.example.internal:6443":  {"https://api.example.internal:6443", ""},
	} {
		conf := config.New()
		for k, v := range map[string]string{
			"spark.kubernetes.authenticate.driver.mounted.caCertFile":     ca,
			"spark.kubernetes.authenticate.driver.mounted.oauthTokenFile": token,
		} {
			if err := conf.Set(k, v); err != nil {
				t.Fatal(err)
			}
		}
		if master != "" {
			if err := conf.Set("spark.kubernetes.driver.master", master); err != nil {
				t.Fatal(err)
			}
		}
		cfg, err := DriverConfig(conf)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Host != want[0] || cfg.TLSClientConfig.ServerName != want[1] {
			t.Errorf("master %q: host %q, server name %q; want %q, %q", master, cfg.Host, cfg.TLSClientConfig.ServerName, want[0], want[1])
		}
	}
}
