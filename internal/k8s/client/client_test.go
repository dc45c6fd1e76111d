package client

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gospark/gospark/internal/config"
	"github.com/gospark/gospark/internal/config/configtest"
)

func kubeconfig(t *testing.T, dir, name, ctx, server, token string) string {
	t.Helper()
	body := `apiVersion: v1
kind: Config
clusters:
- name: c-` + ctx + `
  cluster:
    server: ` + server + `
users:
- name: u-` + ctx + `
  user:
    token: ` + token + `
contexts:
- name: ` + ctx + `
  context:
    cluster: c-` + ctx + `
    user: u-` + ctx + `
current-context: ` + ctx + `
`
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func conf(t *testing.T, kv ...string) *config.Conf { return configtest.Conf(t, kv...) }

func TestKubeconfigListContextAndMaster(t *testing.T) {
	dir := t.TempDir()
	a := kubeconfig(t, dir, "a", "alpha", "https://alpha.example:6443", "ta")
	b := kubeconfig(t, dir, "b", "beta", "https://beta.example:6443", "tb")
	t.Setenv("KUBECONFIG", a+string(os.PathListSeparator)+b)
	// The first file's current context wins, as with kubectl.
	cfg, err := Config(conf(t), "")
	if err != nil || cfg.Host != "https://alpha.example:6443" || cfg.BearerToken != "ta" {
		t.Fatalf("default: %+v, %v", cfg, err)
	}
	// spark.kubernetes.context picks another; the master URL names the server.
	cfg, err = Config(conf(t, "spark.kubernetes.context", "beta"), "https://10.0.0.1:443")
	if err != nil || cfg.Host != "https://10.0.0.1:443" || cfg.BearerToken != "tb" {
		t.Fatalf("context beta: %+v, %v", cfg, err)
	}
	if _, err := Config(conf(t, "spark.kubernetes.context", "nope"), ""); err == nil || !strings.Contains(err.Error(), "spark.kubernetes.context=nope") {
		t.Fatalf("unknown context: %v", err)
	}
	// Submission properties on top of the kubeconfig.
	cfg, err = Config(conf(t, "spark.kubernetes.authenticate.submission.oauthToken", "override"), "")
	if err != nil || cfg.BearerToken != "override" {
		t.Fatalf("oauthToken: %+v, %v", cfg, err)
	}
}

func TestSubmissionPropertiesAlone(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("KUBECONFIG", filepath.Join(dir, "missing"))
	t.Setenv("HOME", dir)
	ca := filepath.Join(dir, "ca.crt")
	tok := filepath.Join(dir, "token")
	for _, f := range []string{ca, tok} {
		if err := os.WriteFile(f, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := Config(conf(t, "spark.kubernetes.submit.caCertFile", ca, // the fork's older name
		"spark.kubernetes.authenticate.submission.oauthTokenFile", tok), "https://api.example:6443")
	if err != nil || cfg.Host != "https://api.example:6443" || cfg.TLSClientConfig.CAFile != ca || cfg.BearerTokenFile != tok {
		t.Fatalf("%+v, %v", cfg, err)
	}
	for _, tc := range []struct {
		kv   []string
		want string
	}{
		{[]string{"spark.kubernetes.authenticate.submission.caCertFile", filepath.Join(dir, "none")}, "spark.kubernetes.authenticate.submission.caCertFile"},
		{[]string{"spark.kubernetes.authenticate.submission.clientCertFile", ca}, "clientKeyFile go together"},
		{[]string{"spark.kubernetes.authenticate.submission.oauthToken", "t", "spark.kubernetes.authenticate.submission.oauthTokenFile", tok}, "give one of them"},
	} {
		if _, err := Config(conf(t, tc.kv...), "https://api.example:6443"); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want an error containing %q", tc.kv, err, tc.want)
		}
	}
	if _, err := Config(conf(t), ""); err == nil || !strings.Contains(err.Error(), "k8s://") {
		t.Errorf("no kubeconfig and no master: %v", err)
	}
}

// The staging server's credentials: the properties, else nothing (it runs
// outside a pod here, so there is no service account to fall back on).
func TestStagingServerConfig(t *testing.T) {
	dir := t.TempDir()
	token := filepath.Join(dir, "token")
	ca := filepath.Join(dir, "ca.crt")
	for _, f := range []string{token, ca} {
		if err := os.WriteFile(f, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	const p = "spark.kubernetes.authenticate.resourceStagingServer."
	cfg, err := StagingServerConfig(conf(t, p+"oauthTokenFile", token, p+"caCertFile", ca,
		"spark.kubernetes.resourceStagingServer.apiServer.url", "https://10.0.0.1:6443"))
	if err != nil || cfg.Host != "https://10.0.0.1:6443" || cfg.BearerTokenFile != token || cfg.TLSClientConfig.CAFile != ca {
		t.Fatalf("%+v, %v", cfg, err)
	}
	cfg, err = StagingServerConfig(conf(t, p+"oauthToken", "tok", "spark.kubernetes.resourceStagingServer.apiServer.caCertFile", ca))
	if err != nil || cfg.Host != "https://kubernetes.default.svc" || cfg.BearerToken != "tok" || cfg.TLSClientConfig.CAFile != ca {
		t.Fatalf("token and API server CA: %+v, %v", cfg, err)
	}
	for _, tc := range []struct {
		kv   []string
		want string
	}{
		{[]string{p + "useServiceAccountCredentials", "false"}, "no credentials for the API server"},
		{[]string{p + "oauthToken", "a", p + "oauthTokenFile", token}, "give one of them"},
		{[]string{p + "clientCertFile", ca}, "go together"},
		{[]string{p + "oauthTokenFile", filepath.Join(dir, "missing")}, p + "oauthTokenFile"},
	} {
		_, err := StagingServerConfig(conf(t, tc.kv...))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want an error containing %q", tc.kv, err, tc.want)
		}
	}
	if _, err := StagingServerConfig(conf(t, p+"useServiceAccountCredentials", "false")); !errors.Is(err, ErrNoCredentials) {
		t.Errorf("no credentials: %v, want ErrNoCredentials", err)
	}
}
