package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"text/template"
	"time"
)

//go:embed templates
var templates embed.FS

// errNeedsDown is the error of bringing up a cluster over the leftovers of
// another; up does not clean those itself.
var errNeedsDown = errors.New("a cluster is already (partly) running: run `make cluster-down` first")

// settings are the cluster's fixed addresses and names; the templates use
// them.
type settings struct {
	State          string
	Bridge         string
	NodeIP         string
	NodeName       string
	PodCIDR        string
	ServiceCIDR    string
	APIServiceIP   string
	APIPort        int
	EtcdPort       int
	EtcdPeerPort   int
	DNSPort        int
	DNSHealthPort  int
	DNSReadyPort   int
	ContainerdSock string
	PauseImage     string
	// For kubeconfigs.
	User  string
	Token string
}

type cluster struct {
	settings
	bin string
}

func newCluster(state, bin string) *cluster {
	return &cluster{bin: bin, settings: settings{
		State:          state,
		Bridge:         "gospark0",
		NodeIP:         "10.88.0.1",
		NodeName:       "gospark-node",
		PodCIDR:        "10.88.0.0/16",
		ServiceCIDR:    "10.96.0.0/16",
		APIServiceIP:   "10.96.0.1",
		APIPort:        6443,
		EtcdPort:       12379,
		EtcdPeerPort:   12380,
		DNSPort:        53,
		DNSHealthPort:  18080,
		DNSReadyPort:   18181,
		ContainerdSock: filepath.Join(state, "containerd.sock"),
		PauseImage:     "localhost/gospark/pause:dev",
	}}
}

func (c *cluster) path(p ...string) string { return filepath.Join(append([]string{c.State}, p...)...) }
func (c *cluster) kubeconfig() string      { return c.path("kubeconfig") }

// component is one process of the cluster.
type component struct {
	name string
	args []string
	env  []string
}

// components lists the processes in start order.
func (c *cluster) components() []component {
	kc := func(user string) string { return c.path("kubeconfig-" + user) }
	pki := func(f string) string { return c.path("pki", f) }
	return []component{
		{name: "etcd", args: []string{"/usr/bin/etcd",
			"--name=gospark", "--data-dir=" + c.path("etcd"),
			fmt.Sprintf("--listen-client-urls=http://127.0.0.1:%d", c.EtcdPort),
			fmt.Sprintf("--advertise-client-urls=http://127.0.0.1:%d", c.EtcdPort),
			fmt.Sprintf("--listen-peer-urls=http://127.0.0.1:%d", c.EtcdPeerPort),
			fmt.Sprintf("--initial-advertise-peer-urls=http://127.0.0.1:%d", c.EtcdPeerPort),
			fmt.Sprintf("--initial-cluster=gospark=http://127.0.0.1:%d", c.EtcdPeerPort),
		}},
		{name: "containerd", args: []string{"/usr/bin/containerd", "--config=" + c.path("containerd.toml")}},
		{name: "kube-apiserver", args: []string{c.binary("kube-apiserver"),
			fmt.Sprintf("--etcd-servers=http://127.0.0.1:%d", c.EtcdPort),
			"--bind-address=" + c.NodeIP, "--advertise-address=" + c.NodeIP,
			fmt.Sprintf("--secure-port=%d", c.APIPort),
			"--cert-dir=" + c.path("pki", "apiserver"),
			"--tls-cert-file=" + pki("apiserver.crt"), "--tls-private-key-file=" + pki("apiserver.key"),
			"--client-ca-file=" + pki("ca.crt"),
			"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
			"--service-account-key-file=" + pki("sa.pub"),
			"--service-account-signing-key-file=" + pki("sa.key"),
			"--token-auth-file=" + pki("tokens.csv"),
			"--authorization-mode=RBAC",
			"--service-cluster-ip-range=" + c.ServiceCIDR,
			"--kubelet-preferred-address-types=InternalIP,Hostname",
			"--allow-privileged=true",
			"--profiling=false",
		}},
		{name: "kube-controller-manager", args: []string{c.binary("kube-controller-manager"),
			"--kubeconfig=" + kc("controller-manager"),
			"--authentication-kubeconfig=" + kc("controller-manager"),
			"--authorization-kubeconfig=" + kc("controller-manager"),
			"--leader-elect=false", "--use-service-account-credentials=false",
			"--service-account-private-key-file=" + pki("sa.key"),
			"--root-ca-file=" + pki("ca.crt"),
			"--controllers=*,-nodeipam,-service-lb-controller,-cloud-node-lifecycle",
			"--bind-address=127.0.0.1",
			"--profiling=false",
		}},
		{name: "kube-scheduler", args: []string{c.binary("kube-scheduler"),
			"--kubeconfig=" + kc("scheduler"),
			"--authentication-kubeconfig=" + kc("scheduler"),
			"--authorization-kubeconfig=" + kc("scheduler"),
			"--leader-elect=false", "--bind-address=127.0.0.1", "--profiling=false",
			// Its default, 50 requests a second, binds at most 50 pods a
			// second: bench/pods on fake nodes measured the scheduler.
			"--kube-api-qps=500", "--kube-api-burst=1000",
		}},
		{name: "kubelet", args: []string{c.binary("kubelet"),
			"--config=" + c.path("kubelet.yaml"),
			"--kubeconfig=" + kc("kubelet"),
			"--node-ip=" + c.NodeIP,
			"--hostname-override=" + c.NodeName,
			"--root-dir=" + c.path("kubelet"),
			"--cert-dir=" + c.path("kubelet", "pki"),
		}},
		{name: "kube-proxy", args: []string{c.binary("kube-proxy"),
			"--kubeconfig=" + kc("proxy"),
			"--proxy-mode=iptables",
			"--cluster-cidr=" + c.PodCIDR,
			"--conntrack-max-per-core=0",
			"--bind-address=127.0.0.1",
			"--healthz-bind-address=127.0.0.1:10256",
			"--metrics-bind-address=127.0.0.1:10249",
			"--hostname-override=" + c.NodeName,
		}},
		{name: "coredns", args: []string{c.binary("coredns"), "-conf", c.path("Corefile")}},
		// Built by up from hack/provisioner: claims of its StorageClass
		// (the default) get hostPath volumes under volumes/.
		{name: "provisioner", args: []string{c.path("bin", "provisioner"),
			"-kubeconfig=" + c.kubeconfig(), "-dir=" + c.path("volumes"), "-class=" + StorageClass,
		}},
	}
}

// StorageClass is the provisioner's class, the cluster's default.
const StorageClass = "gospark-hostpath"

// buildProvisioner builds hack/provisioner into bin/.
func (c *cluster) buildProvisioner(ctx context.Context) error {
	root, err := repoRoot()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(c.path("bin"), 0o755); err != nil {
		return err
	}
	build := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", c.path("bin", "provisioner"), "./hack/provisioner")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("building hack/provisioner: %w: %s", err, out)
	}
	return nil
}

func (c *cluster) binary(name string) string { return filepath.Join(c.bin, name) }

// up starts the cluster: the images are built first, then everything must
// be usable within timeout.
func (c *cluster) up(ctx context.Context, timeout time.Duration) error {
	if c.running() {
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		if err := c.wait(ctx); err == nil {
			fmt.Println("cluster already up")
			return nil
		}
		return errNeedsDown
	}
	if err := c.buildProvisioner(ctx); err != nil {
		return err
	}
	for _, comp := range c.components() {
		if _, err := os.Stat(comp.args[0]); err != nil {
			return fmt.Errorf("%s: %w (build the binaries with hack/build-kube.sh; Debian packages: etcd-server containerd runc containernetworking-plugins iptables)", comp.name, err)
		}
	}
	for _, d := range []string{"logs", "run", "pki", "cni/net.d", "etcd", "kubelet"} {
		if err := os.MkdirAll(c.path(d), 0o755); err != nil {
			return err
		}
	}
	if err := os.Chmod(c.path("etcd"), 0o700); err != nil {
		return err
	}
	if err := c.buildImages(ctx); err != nil {
		return fmt.Errorf("images: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := c.network(); err != nil {
		return fmt.Errorf("network: %w", err)
	}
	if err := c.writePKI(); err != nil {
		return fmt.Errorf("pki: %w", err)
	}
	if err := c.render(); err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	if err := c.loadCredentials(); err != nil {
		return err
	}
	for _, comp := range c.components() {
		if err := c.start(comp); err != nil {
			return err
		}
		if err := c.afterStart(ctx, comp.name); err != nil {
			return fmt.Errorf("%s: %w", comp.name, err)
		}
	}
	return c.wait(ctx)
}

// afterStart waits for what later components need from one that started.
func (c *cluster) afterStart(ctx context.Context, name string) error {
	switch name {
	case "etcd":
		return poll(ctx, "etcd health", func() error {
			return httpOK(ctx, fmt.Sprintf("http://127.0.0.1:%d/health", c.EtcdPort), "")
		})
	case "containerd":
		if err := poll(ctx, "containerd socket", func() error {
			_, err := os.Stat(c.ContainerdSock)
			return err
		}); err != nil {
			return err
		}
		return c.importImages(ctx)
	case "kube-apiserver":
		return poll(ctx, "kube-apiserver readyz", func() error {
			return httpOK(ctx, c.apiURL("/readyz"), c.Token)
		})
	case "provisioner":
		return poll(ctx, "storage class "+StorageClass, func() error {
			return httpOK(ctx, c.apiURL("/apis/storage.k8s.io/v1/storageclasses/"+StorageClass), c.Token)
		})
	}
	return nil
}

// network creates the bridge whose gateway address is the node's, and
// lets the kernel forward between pods and the node.
func (c *cluster) network() error {
	orig, err := os.ReadFile("/proc/sys/net/ipv4/ip_forward")
	if err != nil {
		return err
	}
	if err := os.WriteFile(c.path("ip_forward.orig"), orig, 0o644); err != nil {
		return err
	}
	cmds := [][]string{
		{"ip", "link", "add", c.Bridge, "type", "bridge"},
		{"ip", "addr", "add", c.NodeIP + "/16", "dev", c.Bridge},
		{"ip", "link", "set", c.Bridge, "up"},
	}
	for _, args := range cmds {
		if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
			return fmt.Errorf("%s: %w: %s", strings.Join(args, " "), err, bytes.TrimSpace(out))
		}
	}
	for file, v := range map[string]string{
		"/proc/sys/net/ipv4/ip_forward":                "1",
		"/proc/sys/net/bridge/bridge-nf-call-iptables": "1",
	} {
		if err := os.WriteFile(file, []byte(v), 0o644); err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
	}
	return nil
}

func (c *cluster) render() error {
	files := map[string]string{
		"containerd.toml":     "containerd.toml",
		"cni.conflist":        "cni/net.d/10-gospark.conflist",
		"kubelet.yaml":        "kubelet.yaml",
		"Corefile":            "Corefile",
		"kubeconfig(admin)":   "kubeconfig",
		"kubeconfig(cm)":      "kubeconfig-controller-manager",
		"kubeconfig(sched)":   "kubeconfig-scheduler",
		"kubeconfig(kubelet)": "kubeconfig-kubelet",
		"kubeconfig(proxy)":   "kubeconfig-proxy",
		"kubeconfig(coredns)": "kubeconfig-coredns",
	}
	tokens, err := c.tokens()
	if err != nil {
		return err
	}
	for src, dst := range files {
		s := c.settings
		tmpl := src
		if name, user, ok := strings.Cut(src, "("); ok {
			tmpl = name
			s.User = strings.TrimSuffix(user, ")")
			s.Token = tokens[s.User]
		}
		t, err := template.ParseFS(templates, "templates/"+tmpl)
		if err != nil {
			return err
		}
		var b bytes.Buffer
		if err := t.Execute(&b, s); err != nil {
			return fmt.Errorf("%s: %w", tmpl, err)
		}
		if err := os.WriteFile(c.path(dst), b.Bytes(), 0o600); err != nil {
			return err
		}
	}
	// Pods resolve through the node's CoreDNS only; the kubelet's own
	// resolv.conf names it too, so no upstream is ever asked.
	return os.WriteFile(c.path("resolv.conf"), []byte("nameserver "+c.NodeIP+"\n"), 0o644)
}

// tokens makes (once) the static tokens of the admin and the components,
// all in system:masters: this is a single-user test cluster.
func (c *cluster) tokens() (map[string]string, error) {
	users := []string{"admin", "cm", "sched", "kubelet", "proxy", "coredns"}
	out := map[string]string{}
	var csv strings.Builder
	for _, u := range users {
		b := make([]byte, 16)
		if _, err := rand.Read(b); err != nil {
			return nil, err
		}
		out[u] = hex.EncodeToString(b)
		name := u
		if u == "kubelet" {
			name = "system:node:" + c.NodeName
		}
		fmt.Fprintf(&csv, "%s,%s,%s,\"system:masters,system:nodes\"\n", out[u], name, u)
	}
	c.Token = out["admin"]
	return out, os.WriteFile(c.path("pki", "tokens.csv"), []byte(csv.String()), 0o600)
}

// start launches a component with its output in logs/<name>.log and its
// pid in run/<name>.pid.
func (c *cluster) start(comp component) error {
	logf, err := os.OpenFile(c.path("logs", comp.name+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd := exec.Command(comp.args[0], comp.args[1:]...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = append(os.Environ(), comp.env...)
	// Its own session: the cluster outlives the `up` command.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", comp.name, err)
	}
	if err := os.WriteFile(c.path("run", comp.name+".pid"), []byte(strconv.Itoa(cmd.Process.Pid)), 0o644); err != nil {
		return err
	}
	go func() { _ = cmd.Wait() }()
	return nil
}

// pids returns the recorded pids of the components that still run.
func (c *cluster) pids() map[string]int {
	out := map[string]int{}
	for _, comp := range append(c.components(), component{name: fakeNodesName}) {
		b, err := os.ReadFile(c.path("run", comp.name+".pid"))
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || !alive(pid) {
			continue
		}
		out[comp.name] = pid
	}
	return out
}

func (c *cluster) running() bool { return len(c.pids()) > 0 }

// alive reports whether pid runs and is not a zombie.
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(b, ')')
	return i >= 0 && i+2 < len(b) && b[i+2] != 'Z'
}

func (c *cluster) status() {
	pids := c.pids()
	for _, comp := range c.components() {
		if pid, ok := pids[comp.name]; ok {
			fmt.Printf("%-24s running (pid %d)\n", comp.name, pid)
		} else {
			fmt.Printf("%-24s stopped\n", comp.name)
		}
	}
	if pid, ok := pids[fakeNodesName]; ok {
		fmt.Printf("%-24s running (pid %d)\n", fakeNodesName, pid)
	}
}

func (c *cluster) apiURL(p string) string {
	return fmt.Sprintf("https://%s:%d%s", c.NodeIP, c.APIPort, p)
}

// poll calls f until it succeeds or ctx ends.
func poll(ctx context.Context, what string, f func() error) error {
	var last error
	for {
		if last = f(); last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w (last: %v)", what, ctx.Err(), last)
		case <-time.After(250 * time.Millisecond):
		}
	}
}
