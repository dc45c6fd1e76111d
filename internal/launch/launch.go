// Package launch is the executor launch contract: what a cluster manager
// gives a process of the application binary so that it starts as an
// executor of a given driver. Every cluster manager (local-cluster's
// processes, Kubernetes' executor pods) starts executors through it, and
// the executor runtime reads it back with FromEnv, so the names and rules
// live in one place.
//
// The contract is a set of environment variables: the role, the
// executor's id, the driver's address, the application id, the executor's
// cores, the address to bind the block server to, the shared secret of
// spark.authenticate and the driver's configuration (config.EnvConf).
package launch

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/gospark/gospark/internal/config"
)

// Environment variables of the contract.
const (
	EnvRole       = "GOSPARK_ROLE" // RoleDriver or RoleExecutor
	EnvExecutorID = "GOSPARK_EXECUTOR_ID"
	EnvDriverURL  = "GOSPARK_DRIVER_URL" // host:port of the driver endpoint
	EnvSecret     = "GOSPARK_AUTH_SECRET"
	EnvAppID      = "GOSPARK_APP_ID"
	EnvCores      = "GOSPARK_EXECUTOR_CORES"
	EnvBindHost   = "GOSPARK_EXECUTOR_BIND_HOST"
	EnvConf       = config.EnvConf

	// EnvPodIP is the driver pod's own address (downward API), the
	// address executors reach when spark.driver.host is unset.
	EnvPodIP = "GOSPARK_POD_IP"
	// EnvManagerURL and EnvManagerSecret tell a driver that an external
	// cluster manager process (gospark driver, in a Kubernetes driver pod)
	// manages its executors: its local address and the secret that
	// authenticates the channel.
	EnvManagerURL    = "GOSPARK_CLUSTER_MANAGER_URL"
	EnvManagerSecret = "GOSPARK_CLUSTER_MANAGER_SECRET"

	// EnvShuffleDir is, with spark.shuffle.service.enabled, the directory
	// the external shuffle service of the executor's host serves: the
	// executor keeps its local directory in <dir>/<app id>/<executor id>
	// so that the service finds its shuffle files after it is gone.
	EnvShuffleDir = "GOSPARK_SHUFFLE_DIR"
	// EnvHost names the executor's host for the cluster manager (the node
	// name on Kubernetes, from the downward API): the driver finds the
	// shuffle service of that host.
	EnvHost = "GOSPARK_EXECUTOR_HOST"
	// EnvShuffleServiceAddr is, in a shuffle service process that a
	// cluster manager started (local-cluster), where it listens.
	EnvShuffleServiceAddr = "GOSPARK_SHUFFLE_SERVICE_ADDR"
)

// Roles.
const (
	RoleDriver   = "driver"
	RoleExecutor = "executor"
	// RoleShuffleService is a process that serves shuffle files
	// (local-cluster's external shuffle service).
	RoleShuffleService = "shuffle-service"
)

// KubernetesDriverPort is the port a driver pod listens on for executors
// when spark.driver.port is 0 (unset), as Spark's 7078.
const KubernetesDriverPort = 7078

// DriverPort is the port the driver listens on: spark.driver.port, or on
// Kubernetes (where the driver pod's Service must name it) 7078 when unset.
func DriverPort(conf *config.Conf, kubernetes bool) int {
	if p := conf.Int("spark.driver.port"); p != 0 || !kubernetes {
		return p
	}
	return KubernetesDriverPort
}

// Executor is what every executor of one application starts with.
type Executor struct {
	AppID     string
	DriverURL string
	// Secret is spark.authenticate's secret ("" when off).
	Secret string
	Cores  int
	// Conf is the encoded configuration (config.Conf.Encode).
	Conf string
	// Command is the application binary and Args its arguments (the
	// driver's), so that a main that parses them before creating the
	// session behaves the same in every role.
	Command string
	Args    []string
}

// Var is one environment variable.
type Var struct{ Name, Value string }

// Env is executor id's environment. bindHost is the address its block
// server listens on; "" leaves EnvBindHost for the cluster manager to set
// (a pod's IP comes from the downward API).
func (e Executor) Env(id, bindHost string) []Var {
	vars := []Var{
		{EnvRole, RoleExecutor},
		{EnvExecutorID, id},
		{EnvDriverURL, e.DriverURL},
		{EnvAppID, e.AppID},
		{EnvCores, strconv.Itoa(e.Cores)},
		{EnvConf, e.Conf},
	}
	if bindHost != "" {
		vars = append(vars, Var{EnvBindHost, bindHost})
	}
	if e.Secret != "" {
		vars = append(vars, Var{EnvSecret, e.Secret})
	}
	return vars
}

// Names lists every variable of the contract: a process started with the
// contract must not inherit any of them from its parent.
func Names() []string {
	return []string{EnvRole, EnvExecutorID, EnvDriverURL, EnvSecret, EnvAppID, EnvCores, EnvBindHost, EnvConf,
		config.EnvConfFile, EnvManagerURL, EnvManagerSecret, EnvShuffleDir, EnvHost, EnvShuffleServiceAddr}
}

// Without drops the contract's variables from env (os.Environ's form).
func Without(env []string) []string {
	drop := make(map[string]bool)
	for _, n := range Names() {
		drop[n] = true
	}
	out := make([]string, 0, len(env))
	for _, kv := range env {
		if k, _, _ := strings.Cut(kv, "="); drop[k] {
			continue
		}
		out = append(out, kv)
	}
	return out
}

// IsExecutor reports whether this process was started as an executor.
func IsExecutor() bool { return os.Getenv(EnvRole) == RoleExecutor }

// IsShuffleService reports whether this process was started as a cluster
// manager's shuffle service (local-cluster's).
func IsShuffleService() bool { return os.Getenv(EnvRole) == RoleShuffleService }

// Self is an executor process's side of the contract.
type Self struct {
	ID, DriverURL, AppID, BindHost, Secret string
	// Host (EnvHost) and ShuffleDir (EnvShuffleDir) are set with an
	// external shuffle service.
	Host, ShuffleDir string
	// Cores is 0 when the variable is absent (spark.executor.cores then).
	Cores int
}

// ErrIncomplete is returned by FromEnv when a required variable is missing.
var ErrIncomplete = errors.New("launch: incomplete executor environment")

// FromEnv reads the contract in an executor process.
func FromEnv() (Self, error) {
	s := Self{
		ID: os.Getenv(EnvExecutorID), DriverURL: os.Getenv(EnvDriverURL), AppID: os.Getenv(EnvAppID),
		Host: os.Getenv(EnvHost), ShuffleDir: os.Getenv(EnvShuffleDir),
		BindHost: os.Getenv(EnvBindHost), Secret: os.Getenv(EnvSecret),
	}
	if s.ID == "" || s.DriverURL == "" {
		return s, fmt.Errorf("%w: an executor needs %s and %s", ErrIncomplete, EnvExecutorID, EnvDriverURL)
	}
	if v := os.Getenv(EnvCores); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return s, fmt.Errorf("launch: %s=%q: want a positive integer", EnvCores, v)
		}
		s.Cores = n
	}
	return s, nil
}
