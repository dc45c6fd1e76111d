package submit

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/gospark/gospark/internal/alloc"
	"github.com/gospark/gospark/internal/config"
	"github.com/gospark/gospark/internal/k8s/client"
	"github.com/gospark/gospark/internal/k8s/launch"
	"github.com/gospark/gospark/internal/master"
)

// Submission is a validated submission: the effective configuration and the
// application to run.
type Submission struct {
	Args   *Args
	Conf   *config.Conf
	Master master.Master
	// PropertiesFile is the file properties were read from ("" if none).
	PropertiesFile string
	// Kubernetes: the client, and what a submission creates (nil for
	// --status and --kill).
	Kube kubernetes.Interface
	Plan *launch.Plan
	// ClientPlan is a client-mode submission to Kubernetes: the driver
	// runs here and this process manages its executor pods.
	ClientPlan *launch.ClientPlan
	// buildEnv is added to the environment of go build (client mode on
	// Kubernetes: CGO_ENABLED=0, so that the executors can run the build).
	buildEnv []string
}

// defaultsFile returns spark-defaults.conf from $SPARK_CONF_DIR, else from
// conf/ under the current directory; "" when there is none.
func defaultsFile() string {
	path := filepath.Join("conf", "spark-defaults.conf")
	if dir := os.Getenv("SPARK_CONF_DIR"); dir != "" {
		path = filepath.Join(dir, "spark-defaults.conf")
	}
	if fi, err := os.Stat(path); err != nil || fi.IsDir() {
		return ""
	}
	return path
}

func readProperties(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return config.ParseProperties(f)
}

// Prepare resolves the configuration of a parsed command line as
// spark-submit does and checks it, before anything runs. Properties come
// from the properties file (--properties-file, else the defaults file), then
// --conf, then the dedicated options (--master, --executor-memory...), each
// overriding the one before. It also names the application after its binary
// when spark.app.name is unset.
func Prepare(a *Args) (*Submission, error) {
	s := &Submission{Args: a, Conf: config.New()}
	conf := s.Conf

	s.PropertiesFile = a.PropertiesFile
	if !a.Given("--properties-file") {
		s.PropertiesFile = defaultsFile()
	}
	if s.PropertiesFile != "" {
		props, err := readProperties(s.PropertiesFile)
		if err != nil {
			if a.Given("--properties-file") {
				return nil, fmt.Errorf("--properties-file: %w", err)
			}
			return nil, fmt.Errorf("properties file %s: %w", s.PropertiesFile, err)
		}
		for _, k := range slices.Sorted(maps.Keys(props)) {
			if err := conf.Set(k, props[k]); err != nil {
				return nil, fmt.Errorf("properties file %s: %w", s.PropertiesFile, err)
			}
		}
	}

	for _, kv := range a.Conf {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, usageErrorf("--conf %q: want name=value", kv)
		}
		if err := conf.Set(k, v); err != nil {
			return nil, fmt.Errorf("--conf: %w", err)
		}
	}

	for _, o := range options {
		if o.property == "" || !a.Given(o.name) {
			continue
		}
		if err := conf.Set(o.property, o.field(a)); err != nil {
			return nil, fmt.Errorf("%s: %w", o.name, err)
		}
	}

	m, err := master.Parse(conf.String("spark.master"))
	if err != nil { // the registry validated it; this is a safety net
		return nil, err
	}
	s.Master = m
	mode := conf.String("spark.submit.deployMode")

	if a.Status != "" || a.Kill != "" {
		opt, id := "--status", a.Status
		if a.Kill != "" {
			opt, id = "--kill", a.Kill
		}
		if m.Kind != master.Kubernetes {
			return nil, fmt.Errorf("%s %s: needs a k8s:// master (spark.master is %q)", opt, id, m.Raw)
		}
		if _, _, err := launch.ParseSubmissionID(id, conf.String("spark.kubernetes.namespace")); err != nil {
			return nil, fmt.Errorf("%s: %w", opt, err)
		}
		if s.Kube, _, err = client.New(conf, m.APIServer); err != nil {
			return nil, err
		}
		return s, nil
	}

	if mode == "cluster" && m.Kind != master.Kubernetes {
		return nil, fmt.Errorf("Cluster deploy mode is not compatible with master %q; use --deploy-mode client or a k8s:// master", m.Raw) // spark-submit's wording
	}
	if a.Primary == "" {
		return nil, usageErrorf("no application given: name a Go package directory, an executable or a Python program (.py) after the options")
	}

	// Python files are checked for every master, before anything runs or
	// is created.
	if err := checkPython(a, conf); err != nil {
		return nil, err
	}
	if err := conf.SetIfMissing("spark.app.name", appName(a.Primary)); err != nil {
		return nil, err
	}
	if err := conf.SetIfMissing("spark.master", m.Raw); err != nil {
		return nil, err
	}
	if err := conf.SetIfMissing("spark.submit.deployMode", mode); err != nil {
		return nil, err
	}
	if m.Kind != master.Local {
		// Elastic executors' properties, before anything is created.
		if err := alloc.Check(conf); err != nil {
			return nil, err
		}
	}
	if m.Kind == master.Kubernetes {
		// Everything is built and checked before anything is created.
		if mode == "cluster" {
			s.Plan, err = launch.NewPlan(conf, a.Primary, a.AppArgs, time.Now())
		} else {
			s.ClientPlan, err = launch.NewClientPlan(conf, m.APIServer, a.Primary, a.AppArgs, time.Now())
		}
		if err != nil {
			return nil, err
		}
		if s.Kube, _, err = client.New(conf, m.APIServer); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// appName is the default application name: the base name of the binary or
// package, without scheme, extension or trailing slash.
func appName(primary string) string {
	p := stripScheme(primary)
	base := filepath.Base(filepath.Clean(p))
	if base == "." || base == string(filepath.Separator) {
		if abs, err := filepath.Abs(p); err == nil {
			base = filepath.Base(abs)
		}
	}
	return strings.TrimSuffix(base, ".go")
}

// stripScheme turns the local: and file: URIs spark-submit accepts for a
// primary resource into paths.
func stripScheme(p string) string {
	for _, scheme := range []string{"local://", "file://", "local:", "file:"} {
		if rest, ok := strings.CutPrefix(p, scheme); ok {
			return rest
		}
	}
	return p
}
