package master

import (
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"strconv"
	"strings"
)

// Kind is the kind of cluster a master URL names.
type Kind int

const (
	// Local runs tasks on threads of the driver process: local, local[N],
	// local[*], local[N,F].
	Local Kind = iota
	// LocalCluster runs executors as separate processes on this machine:
	// local-cluster[N,C,M].
	LocalCluster
	// Kubernetes runs the driver and executors as pods: k8s://<api server>.
	Kubernetes
)

// String returns the URL scheme of the kind, as a user writes it.
func (k Kind) String() string {
	switch k {
	case Local:
		return "local"
	case LocalCluster:
		return "local-cluster"
	case Kubernetes:
		return "k8s"
	default:
		return fmt.Sprintf("Kind(%d)", int(k))
	}
}

// Master is a parsed master URL.
type Master struct {
	Kind Kind
	// Threads is the number of task slots of a Local master: 1 for "local",
	// N for "local[N]", the number of CPUs for "local[*]".
	Threads int
	// MaxFailures is F of "local[N,F]": how many times a task may fail before
	// the job is aborted. It is 0 when the URL does not say.
	MaxFailures int
	// Executors, CoresPerExecutor and MemoryMiB are N, C and M of a
	// LocalCluster master "local-cluster[N,C,M]".
	Executors, CoresPerExecutor, MemoryMiB int
	// APIServer is the Kubernetes API server URL of a Kubernetes master, with
	// https:// added when the URL names no scheme.
	APIServer string
	// Raw is the master URL as given.
	Raw string
}

// ErrInvalid is wrapped by every error Parse returns.
var ErrInvalid = errors.New("invalid master URL")

// Forms lists the master URL forms Parse accepts, for messages.
const Forms = "local, local[N], local[*], local[N,F], local-cluster[N,C,M], k8s://https://<api-server-host>:<port>"

// Parse parses a master URL.
func Parse(s string) (Master, error) {
	m := Master{Raw: s}
	switch {
	case s == "local":
		m.Kind, m.Threads = Local, 1
		return m, nil
	case strings.HasPrefix(s, "local["):
		return parseLocal(m, s)
	case strings.HasPrefix(s, "local-cluster["):
		return parseLocalCluster(m, s)
	case strings.HasPrefix(s, "k8s://"):
		return parseKubernetes(m, s)
	}
	return Master{}, invalid(s, "")
}

func invalid(s, why string) error {
	if why != "" {
		why = ": " + why
	}
	return fmt.Errorf("--master / spark.master %q%s: %w; want one of %s", s, why, ErrInvalid, Forms)
}

// brackets returns the comma-separated fields between prefix+"[" and a
// closing "]" that ends s, with spaces around them removed.
func brackets(s, prefix string) ([]string, bool) {
	inner, ok := strings.CutPrefix(s, prefix+"[")
	if !ok {
		return nil, false
	}
	inner, ok = strings.CutSuffix(inner, "]")
	if !ok {
		return nil, false
	}
	fields := strings.Split(inner, ",")
	for i, f := range fields {
		fields[i] = strings.TrimSpace(f)
	}
	return fields, true
}

// count parses a decimal number of at least 1, digits only.
func count(s string) (int, bool) {
	if s == "" || strings.TrimLeft(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, false
	}
	return n, true
}

func parseLocal(m Master, s string) (Master, error) {
	f, ok := brackets(s, "local")
	if !ok || len(f) > 2 {
		return Master{}, invalid(s, "")
	}
	m.Kind = Local
	if f[0] == "*" {
		m.Threads = runtime.NumCPU()
	} else if m.Threads, ok = count(f[0]); !ok {
		return Master{}, invalid(s, "the number of threads must be a positive integer or *")
	}
	if len(f) == 2 {
		if m.MaxFailures, ok = count(f[1]); !ok {
			return Master{}, invalid(s, "the number of task failures must be a positive integer")
		}
	}
	return m, nil
}

func parseLocalCluster(m Master, s string) (Master, error) {
	f, ok := brackets(s, "local-cluster")
	if !ok || len(f) != 3 {
		return Master{}, invalid(s, "local-cluster needs [executors,cores per executor,memory MiB per executor]")
	}
	m.Kind = LocalCluster
	if m.Executors, ok = count(f[0]); !ok {
		return Master{}, invalid(s, "the number of executors must be a positive integer")
	}
	if m.CoresPerExecutor, ok = count(f[1]); !ok {
		return Master{}, invalid(s, "the cores per executor must be a positive integer")
	}
	if m.MemoryMiB, ok = count(f[2]); !ok {
		return Master{}, invalid(s, "the memory per executor must be a positive integer (MiB)")
	}
	return m, nil
}

func parseKubernetes(m Master, s string) (Master, error) {
	rest := strings.TrimPrefix(s, "k8s://")
	if rest == "" {
		return Master{}, invalid(s, "no API server after k8s://")
	}
	if !strings.Contains(rest, "://") {
		rest = "https://" + rest
	}
	u, err := url.Parse(rest)
	if err != nil {
		return Master{}, invalid(s, err.Error())
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return Master{}, invalid(s, fmt.Sprintf("API server scheme %q is not http or https", u.Scheme))
	}
	if u.Host == "" {
		return Master{}, invalid(s, "no API server host")
	}
	m.Kind = Kubernetes
	m.APIServer = rest
	return m, nil
}
