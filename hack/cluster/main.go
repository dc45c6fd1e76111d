// Command cluster brings a real single-node Kubernetes up on this machine
// for gospark's tests and takes it down again, leaving nothing behind:
//
//	go run ./hack/cluster up     # build (cached), start, wait until usable
//	go run ./hack/cluster down   # stop everything, clean up
//	go run ./hack/cluster status # what runs
//	go run ./hack/cluster fake-nodes 50  # nodes that exist only in the API server (hack/fakenodes)
//
// Everything lives under the state directory (.cluster/ by default): PKI,
// configuration rendered from hack/cluster/templates, etcd's data,
// containerd's and the kubelet's roots, logs, pid files and the admin
// kubeconfig (.cluster/kubeconfig). The node's address is the gateway of a
// bridge the harness creates; servers listen there or on 127.0.0.1, and
// pods get routes only to the pod and service ranges, so nothing leaves
// the machine.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

func main() {
	fs := flag.NewFlagSet("cluster", flag.ExitOnError)
	state := fs.String("state", ".cluster", "state directory")
	bin := fs.String("bin", defaultBin(), "directory with the Kubernetes and CoreDNS binaries (hack/build-kube.sh builds them)")
	timeout := fs.Duration("timeout", 5*time.Minute, "how long up waits for the cluster to become usable")
	fakeNodes := fs.Int("fake-nodes", 0, "up: also start hack/fakenodes with this many nodes that exist only in the API server")
	fs.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: cluster up|down|status|check|images [flags]")
		fmt.Fprintln(os.Stderr, "       cluster fake-nodes [flags] N   (re)start hack/fakenodes with N nodes; 0 stops it")
		fs.PrintDefaults()
	}
	if len(os.Args) < 2 {
		fs.Usage()
		os.Exit(2)
	}
	cmd := os.Args[1]
	_ = fs.Parse(os.Args[2:])
	abs, err := filepath.Abs(*state)
	if err != nil {
		fatal(err)
	}
	c := newCluster(abs, *bin)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch cmd {
	case "up":
		start := time.Now()
		if err := c.up(ctx, *timeout); err != nil {
			fmt.Fprintln(os.Stderr, "cluster up failed:", err)
			fmt.Fprintln(os.Stderr, "logs:", filepath.Join(abs, "logs"))
			if errors.Is(err, errNeedsDown) {
				os.Exit(1)
			}
			if derr := c.down(context.Background()); derr != nil {
				fmt.Fprintln(os.Stderr, "cleaning up:", derr)
			}
			os.Exit(1)
		}
		if *fakeNodes > 0 {
			if err := c.startFakeNodes(ctx, *fakeNodes, *timeout); err != nil {
				fmt.Fprintln(os.Stderr, "fake nodes:", err, "(log:", filepath.Join(abs, "logs", fakeNodesName+".log")+")")
				os.Exit(1)
			}
		}
		fmt.Printf("cluster up in %s: KUBECONFIG=%s\n", time.Since(start).Round(100*time.Millisecond), c.kubeconfig())
	case "down":
		start := time.Now()
		if err := c.down(ctx); err != nil {
			fatal(err)
		}
		fmt.Printf("cluster down in %s\n", time.Since(start).Round(100*time.Millisecond))
	case "images":
		// Rebuild gospark:dev and the pause image into a running cluster,
		// after changing gospark or its examples.
		if err := c.loadImages(ctx); err != nil {
			fatal(err)
		}
	case "fake-nodes":
		// Nodes that exist only in the API server (hack/fakenodes), on a
		// running cluster: `cluster fake-nodes 50`; 0 removes them.
		n, err := strconv.Atoi(fs.Arg(0))
		if fs.NArg() != 1 || err != nil {
			fatal(fmt.Errorf("fake-nodes wants one argument, the number of nodes (0 stops them), not %q", fs.Args()))
		}
		if err := c.startFakeNodes(ctx, n, *timeout); err != nil {
			fatal(err)
		}
		fmt.Printf("%d fake nodes (log: %s)\n", n, filepath.Join(abs, "logs", fakeNodesName+".log"))
	case "status":
		c.status()
	case "check":
		// Exit 0 when a cluster is up and usable.
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if !c.running() {
			fatal(errors.New("no cluster running"))
		}
		if err := c.wait(ctx); err != nil {
			fatal(err)
		}
	default:
		fs.Usage()
		os.Exit(2)
	}
}

func defaultBin() string {
	if v := os.Getenv("GOSPARK_KUBE_BIN"); v != "" {
		return v
	}
	cache := os.Getenv("XDG_CACHE_HOME")
	if cache == "" {
		home, _ := os.UserHomeDir()
		cache = filepath.Join(home, ".cache")
	}
	return filepath.Join(cache, "gospark", "kube-v1.34.12", "bin")
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "cluster:", err)
	os.Exit(1)
}
