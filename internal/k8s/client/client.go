// Package client makes the Kubernetes client configuration of gospark's
// submission client: the kubeconfig as kubectl loads it (the KUBECONFIG
// list, else ~/.kube/config; spark.kubernetes.context picks the context),
// the master URL's API server, and the seeds'
// spark.kubernetes.authenticate.submission.* files and tokens on top.
package client

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/gospark/gospark/internal/config"
)

// Submission properties.
const (
	propCA        = "spark.kubernetes.authenticate.submission.caCertFile"
	propCert      = "spark.kubernetes.authenticate.submission.clientCertFile"
	propKey       = "spark.kubernetes.authenticate.submission.clientKeyFile"
	propToken     = "spark.kubernetes.authenticate.submission.oauthToken"
	propTokenFile = "spark.kubernetes.authenticate.submission.oauthTokenFile"
	propContext   = "spark.kubernetes.context"
)

// Config returns the REST configuration to reach apiServer (the master
// URL's, with its scheme) as the submitting user. Files named by the
// properties must exist; a property that cannot be honoured fails naming
// it, before anything talks to the cluster.
func Config(conf *config.Conf, apiServer string) (*rest.Config, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	overrides := &clientcmd.ConfigOverrides{CurrentContext: conf.String(propContext)}
	if apiServer != "" {
		overrides.ClusterInfo.Server = apiServer
	}
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides).ClientConfig()
	switch {
	case err == nil && apiServer != "" && noKubeconfigFile(rules):
		// In a pod, with no kubeconfig: the pod's service account, as
		// kubectl and Spark's client do (clientcmd would give the master
		// URL's server without credentials).
		if in, ierr := rest.InClusterConfig(); ierr == nil {
			in.Host = apiServer
			cfg = in
		}
	case err == nil:
	case clientcmd.IsEmptyConfig(err) && apiServer != "" && conf.String(propContext) == "":
		cfg = &rest.Config{Host: apiServer} // no kubeconfig: the properties alone
	case clientcmd.IsEmptyConfig(err) && apiServer == "":
		return nil, errors.New("no Kubernetes API server: give --master k8s://<api server> or a kubeconfig (KUBECONFIG or ~/.kube/config)")
	default:
		if conf.Has(propContext) {
			return nil, fmt.Errorf("%s=%s: %w", propContext, conf.String(propContext), err)
		}
		return nil, fmt.Errorf("kubeconfig: %w", err)
	}
	for _, p := range []string{propCA, propCert, propKey, propTokenFile} {
		if f := conf.String(p); f != "" {
			if _, err := os.Stat(f); err != nil {
				return nil, fmt.Errorf("%s: %w", p, err)
			}
		}
	}
	if f := conf.String(propCA); f != "" {
		cfg.TLSClientConfig.CAFile, cfg.TLSClientConfig.CAData = f, nil
		cfg.TLSClientConfig.Insecure = false
	}
	cert, key := conf.String(propCert), conf.String(propKey)
	if (cert == "") != (key == "") {
		return nil, fmt.Errorf("%s and %s go together: give both or neither", propCert, propKey)
	}
	if cert != "" {
		cfg.TLSClientConfig.CertFile, cfg.TLSClientConfig.CertData = cert, nil
		cfg.TLSClientConfig.KeyFile, cfg.TLSClientConfig.KeyData = key, nil
	}
	token, tokenFile := conf.String(propToken), conf.String(propTokenFile)
	if token != "" && tokenFile != "" {
		return nil, fmt.Errorf("%s and %s: give one of them", propToken, propTokenFile)
	}
	if token != "" || tokenFile != "" {
		cfg.BearerToken, cfg.BearerTokenFile = token, tokenFile
		cfg.Username, cfg.Password = "", ""
		cfg.AuthProvider, cfg.ExecProvider = nil, nil
	}
	if cfg.Host == "" {
		return nil, errors.New("no Kubernetes API server: give --master k8s://<api server> or a kubeconfig")
	}
	cfg.UserAgent = "gospark"
	withRetries(cfg, conf, "spark.kubernetes.submission.")
	// As the driver's: a program submitting many applications through one
	// client (an operator, bench/submit -mode api) was held to 5 requests a
	// second, 100 submissions a minute.
	WithoutRateLimit(cfg)
	return cfg, nil
}

// noKubeconfigFile tells that none of the kubeconfig files rules would load
// exists.
func noKubeconfigFile(rules *clientcmd.ClientConfigLoadingRules) bool {
	if rules.ExplicitPath != "" {
		return false
	}
	for _, f := range rules.GetLoadingPrecedence() {
		if _, err := os.Stat(f); err == nil {
			return false
		}
	}
	return true
}

// New returns a clientset for Config's configuration.
func New(conf *config.Conf, apiServer string) (kubernetes.Interface, *rest.Config, error) {
	cfg, err := Config(conf, apiServer)
	if err != nil {
		return nil, nil, err
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("kubernetes client: %w", err)
	}
	return cs, cfg, nil
}

// Where a pod finds its service account's credentials.
const (
	serviceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount"
	mountedPrefix     = "spark.kubernetes.authenticate.driver.mounted."
)

// DriverConfig returns the REST configuration the driver uses from inside
// its pod to manage executor pods: spark.kubernetes.driver.master, with the
// credentials gospark submit mounted (spark.kubernetes.authenticate.driver.
// mounted.*) or else the pod's service account.
func DriverConfig(conf *config.Conf) (*rest.Config, error) {
	cfg := &rest.Config{Host: conf.String("spark.kubernetes.driver.master"), UserAgent: "gospark-driver"}
	if _, ok := config.DriverOnly(conf); ok {
		// A driver-only application (local[*]) still has its Services
		// to delete: through the API server every pod reaches.
		cfg.Host = "https://kubernetes.default.svc"
	}
	inClusterAddress(cfg)
	ca := conf.String(mountedPrefix + "caCertFile")
	if ca == "" {
		ca = serviceAccountDir + "/ca.crt"
	}
	if _, err := os.Stat(ca); err != nil {
		return nil, fmt.Errorf("the driver's CA certificate for the API server: %w", err)
	}
	cfg.TLSClientConfig.CAFile = ca
	cert, key := conf.String(mountedPrefix+"clientCertFile"), conf.String(mountedPrefix+"clientKeyFile")
	if (cert == "") != (key == "") {
		return nil, fmt.Errorf("%sclientCertFile and %sclientKeyFile go together", mountedPrefix, mountedPrefix)
	}
	cfg.TLSClientConfig.CertFile, cfg.TLSClientConfig.KeyFile = cert, key
	token := conf.String(mountedPrefix + "oauthTokenFile")
	if token == "" && cert == "" {
		token = serviceAccountDir + "/token"
	}
	if token != "" {
		if _, err := os.Stat(token); err != nil {
			return nil, fmt.Errorf("the driver's token for the API server: %w", err)
		}
		cfg.BearerTokenFile = token
	}
	withRetries(cfg, conf, "spark.kubernetes.driver.")
	WithoutRateLimit(cfg)
	return cfg, nil
}

// inClusterAddress replaces the API server's in-cluster name
// (https://kubernetes.default.svc, the default of
// spark.kubernetes.driver.master) with the address the kubelet gives every
// pod (KUBERNETES_SERVICE_HOST and _PORT), as client-go's in-cluster
// configuration does; the certificate is still checked against the name.
// Found when tried: on a loaded node the cluster's DNS timed out for longer
// than the retries' 30 s and a driver failed before its first request.
func inClusterAddress(cfg *rest.Config) {
	host, port := os.Getenv("KUBERNETES_SERVICE_HOST"), os.Getenv("KUBERNETES_SERVICE_PORT")
	if host == "" || port == "" {
		return
	}
	switch strings.TrimSuffix(cfg.Host, "/") {
	case "https://kubernetes.default.svc", "https://kubernetes.default.svc:443":
		cfg.Host = "https://" + net.JoinHostPort(host, port)
		cfg.TLSClientConfig.ServerName = "kubernetes.default.svc"
	}
}

// WithoutRateLimit turns off client-go's client-side rate limit (5
// requests a second, bursts of 10, when none is set), as Spark's driver has
// none: with it, the executor pod allocator created at most 5 pods a second
// whatever spark.kubernetes.allocation.batch.size allowed. The API server's
// priority and fairness still protects the server.
func WithoutRateLimit(cfg *rest.Config) {
	cfg.QPS, cfg.Burst, cfg.RateLimiter = -1, 0, nil
}

// ErrNoCredentials is StagingServerConfig's error when the resource
// staging server has no way to authenticate to the API server.
var ErrNoCredentials = errors.New("no credentials for the API server")

// StagingServerConfig returns the REST configuration the resource staging
// server watches pods with: spark.kubernetes.resourceStagingServer.apiServer.url
// and spark.kubernetes.authenticate.resourceStagingServer.* credentials,
// else (useServiceAccountCredentials) its pod's service account.
func StagingServerConfig(conf *config.Conf) (*rest.Config, error) {
	const prefix = "spark.kubernetes.authenticate.resourceStagingServer."
	cfg := &rest.Config{Host: conf.String("spark.kubernetes.resourceStagingServer.apiServer.url"), UserAgent: "gospark-staging-server"}
	useSA := conf.Bool(prefix + "useServiceAccountCredentials")
	for _, p := range []string{prefix + "caCertFile", prefix + "clientCertFile", prefix + "clientKeyFile", prefix + "oauthTokenFile",
		"spark.kubernetes.resourceStagingServer.apiServer.caCertFile"} {
		if f := conf.String(p); f != "" {
			if _, err := os.Stat(f); err != nil {
				return nil, fmt.Errorf("%s: %w", p, err)
			}
		}
	}
	ca := conf.String(prefix + "caCertFile")
	if ca == "" {
		ca = conf.String("spark.kubernetes.resourceStagingServer.apiServer.caCertFile")
	}
	if _, err := os.Stat(serviceAccountDir + "/ca.crt"); ca == "" && useSA && err == nil {
		ca = serviceAccountDir + "/ca.crt"
	}
	cfg.TLSClientConfig.CAFile = ca
	cert, key := conf.String(prefix+"clientCertFile"), conf.String(prefix+"clientKeyFile")
	if (cert == "") != (key == "") {
		return nil, fmt.Errorf("%sclientCertFile and %sclientKeyFile go together: give both or neither", prefix, prefix)
	}
	cfg.TLSClientConfig.CertFile, cfg.TLSClientConfig.KeyFile = cert, key
	token, tokenFile := conf.String(prefix+"oauthToken"), conf.String(prefix+"oauthTokenFile")
	if token != "" && tokenFile != "" {
		return nil, fmt.Errorf("%soauthToken and %soauthTokenFile: give one of them", prefix, prefix)
	}
	if _, err := os.Stat(serviceAccountDir + "/token"); token == "" && tokenFile == "" && cert == "" && useSA && err == nil {
		tokenFile = serviceAccountDir + "/token"
	}
	cfg.BearerToken, cfg.BearerTokenFile = token, tokenFile
	if token == "" && tokenFile == "" && cert == "" {
		return nil, fmt.Errorf("%w: set %soauthTokenFile (or oauthToken, or clientCertFile and clientKeyFile), or run it in a pod with %suseServiceAccountCredentials=true", ErrNoCredentials, prefix, prefix)
	}
	withRetries(cfg, conf, "")
	return cfg, nil
}

// defaultTimeout is Spark's default for its connection and request
// timeouts of the Kubernetes client (10000 ms).
const defaultTimeout = 10 * time.Second

// withRetries makes cfg's clients retry transient failures
// (DefaultRetryPolicy) with prefix's connectionTimeout as the dial timeout
// (DNS lookup included) and its requestTimeout as the bound of each
// attempt: spark.kubernetes.submission.* for gospark submit,
// spark.kubernetes.driver.* for the driver; with prefix "", Spark's
// defaults. cfg.Timeout stays 0, as it would cut watches.
func withRetries(cfg *rest.Config, conf *config.Conf, prefix string) {
	connect, request := defaultTimeout, defaultTimeout
	if prefix != "" {
		connect = timeoutProperty(conf, prefix+"connectionTimeout")
		request = timeoutProperty(conf, prefix+"requestTimeout")
	}
	cfg.Dial = (&net.Dialer{Timeout: connect, KeepAlive: 30 * time.Second}).DialContext
	p := DefaultRetryPolicy()
	p.RequestTimeout = request
	WrapRetries(cfg, p)
}

// timeoutProperty is the timeout property name: a Duration, or an Int in
// milliseconds as Spark declares it; defaultTimeout while internal/config
// does not declare it, or when it is not positive.
func timeoutProperty(conf *config.Conf, name string) time.Duration {
	p, ok := config.Lookup(name)
	var d time.Duration
	switch {
	case !ok:
	case p.Kind == config.Duration:
		d = conf.Duration(name)
	case p.Kind == config.Int:
		d = time.Duration(conf.Int(name)) * time.Millisecond
	}
	if d <= 0 {
		return defaultTimeout
	}
	return d
}
