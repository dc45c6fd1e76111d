// Command fakenodes registers nodes that exist only in the API server, as
// kwok does, so that the scheduler can place thousands of pods past the
// test cluster's one real node: gospark's scale benchmarks measure the
// driver's side (allocation pace, the snapshot store, the lifecycle) with
// executor pods that never run.
//
//	go run ./hack/fakenodes -kubeconfig .cluster/kubeconfig -nodes 50
//	go run ./hack/fakenodes -kubeconfig .cluster/kubeconfig -cleanup
//
// The nodes are fake-node-0..N-1, labelled type=gospark-fake and tainted
// gospark.dev/fake-node=true:NoSchedule, so only pods that tolerate the
// taint (and select the label) land there. The controller keeps them Ready
// (node status and Lease heartbeats), moves every pod bound to one of them
// to Running with a unique IP from -pod-cidr and running, ready containers,
// and deletes the pods being deleted there (no kubelet will). On SIGTERM it
// deletes its nodes and their Leases; -cleanup deletes the fake nodes, their
// Leases and every pod bound to them, then exits.
//
// `go run ./hack/cluster fake-nodes N` (or `make cluster-up FAKE_NODES=N`)
// starts it as one of the test cluster's processes.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"os/signal"
	"syscall"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

func main() {
	kubeconfig := flag.String("kubeconfig", os.Getenv("KUBECONFIG"), "the cluster's admin kubeconfig")
	nodes := flag.Int("nodes", 10, "how many fake nodes to register")
	prefix := flag.String("prefix", "fake-node-", "the fake nodes' name prefix (names are <prefix>0..N-1)")
	podCIDR := flag.String("pod-cidr", "10.200.0.0/16", "the range the fake pods' IPs come from")
	cpu := flag.String("cpu", "32", "each fake node's cpu capacity")
	memory := flag.String("memory", "256Gi", "each fake node's memory capacity")
	pods := flag.Int("max-pods", 1000, "each fake node's pod capacity")
	workers := flag.Int("workers", 8, "how many pods are handled at once")
	heartbeat := flag.Duration("heartbeat", 10*time.Second, "how often the nodes' status and Leases are renewed")
	qps := flag.Float64("qps", 1000, "client requests per second")
	burst := flag.Int("burst", 2000, "client burst")
	cleanup := flag.Bool("cleanup", false, "delete the fake nodes (every node with the prefix and label), their Leases and their pods, then exit")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fail := func(err error) {
		log.Error("fakenodes", "error", err)
		os.Exit(1)
	}
	cidr, err := netip.ParsePrefix(*podCIDR)
	if err != nil {
		fail(fmt.Errorf("-pod-cidr %q: %w", *podCIDR, err))
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		fail(fmt.Errorf("kubeconfig %s: %w", *kubeconfig, err))
	}
	cfg.QPS, cfg.Burst = float32(*qps), *burst
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		fail(err)
	}
	c, err := newController(cs, log, options{
		nodes: *nodes, prefix: *prefix, podCIDR: cidr, cpu: *cpu, memory: *memory, maxPods: *pods,
		workers: *workers, heartbeat: *heartbeat,
	})
	if err != nil {
		fail(err)
	}
	if *cleanup {
		if err := c.cleanup(ctx); err != nil {
			fail(err)
		}
		return
	}
	err = c.run(ctx)
	// Shutting down: the nodes go with the controller that keeps them.
	dctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if derr := c.deleteNodes(dctx); derr != nil {
		log.Warn("deleting the fake nodes", "error", derr)
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		fail(err)
	}
}
