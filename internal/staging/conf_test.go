package staging

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gospark/gospark/internal/config"
	"github.com/gospark/gospark/internal/config/configtest"
)

func stagingConf(t *testing.T, kv ...string) *config.Conf {
	return configtest.Conf(t, append([]string{"spark.kubernetes.resourceStagingServer.port", "0",
		"spark.kubernetes.resourceStagingServer.storageDir", filepath.Join(t.TempDir(), "store"),
		"spark.kubernetes.authenticate.resourceStagingServer.useServiceAccountCredentials", "false"}, kv...)...)
}

// Main serves with the properties' settings (here TLS from PEM files)
// until its context ends.
func TestMainServesUntilCancelled(t *testing.T) {
	key, cert := writeCert(t, t.TempDir(), "main")
	conf := stagingConf(t, rss+"enabled", "true", rss+"keyPem", key, rss+"serverCertPem", cert)
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- Main(ctx, conf, "127.0.0.1", testLogger(t), func(a string) { addr <- a }) }()
	var a string
	select {
	case a = <-addr:
	case err := <-done:
		t.Fatalf("Main: %v", err)
	}
	c, err := NewClient("https://"+a, cert)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.http.Get("https://" + a + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || strings.TrimSpace(string(b)) != "ok" {
		t.Fatalf("healthz: %s %q", resp.Status, b)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Main after cancel: %v", err)
	}
}

// Settings that cannot work fail before the server listens, naming the
// property.
func TestMainRejectsBadTLSSettings(t *testing.T) {
	key, cert := writeCert(t, t.TempDir(), "bad")
	for _, tc := range []struct {
		kv   []string
		want string
	}{
		{[]string{rss + "enabled", "true"}, rss + "enabled=true needs " + rss + "keyPem"},
		{[]string{rss + "keyPem", key, rss + "serverCertPem", cert}, rss + "enabled is not true"},
		{[]string{rss + "enabled", "true", rss + "keyStore", "/ks.jks"}, rss + "keyStore: Java key stores are not supported"},
		{[]string{rss + "enabled", "true", rss + "keyPem", cert, rss + "serverCertPem", cert}, "bad.crt"},
		{[]string{"spark.kubernetes.authenticate.resourceStagingServer.oauthTokenFile", "/no/such/token"}, "oauthTokenFile"},
	} {
		err := Main(context.Background(), stagingConf(t, tc.kv...), "127.0.0.1", testLogger(t), nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want one containing %q", tc.kv, err, tc.want)
		}
	}
}
