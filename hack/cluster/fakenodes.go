package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"time"
)

// fakeNodesName is the optional component hack/fakenodes: nodes that exist
// only in the API server, for scale tests. `up -fake-nodes N` and
// `fake-nodes N` start it (never by default); down stops it first, while
// the API server still answers, so that it deletes its nodes.
const fakeNodesName = "fakenodes"

// fakeNodesComponent is hack/fakenodes registering n nodes.
func (c *cluster) fakeNodesComponent(n int) component {
	return component{name: fakeNodesName, args: []string{c.path("bin", fakeNodesName),
		"-kubeconfig=" + c.kubeconfig(), "-nodes=" + strconv.Itoa(n),
	}}
}

// startFakeNodes (re)starts hack/fakenodes with n nodes (none: it is only
// stopped) and waits until they are Ready.
func (c *cluster) startFakeNodes(ctx context.Context, n int, timeout time.Duration) error {
	if n < 0 {
		return fmt.Errorf("fake nodes: %d, want 0 or more", n)
	}
	if !c.running() {
		return fmt.Errorf("fake nodes: no cluster running")
	}
	stopPid(c.pids()[fakeNodesName])
	if n == 0 {
		return nil
	}
	root, err := repoRoot()
	if err != nil {
		return err
	}
	build := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", c.path("bin", fakeNodesName), "./hack/fakenodes")
	build.Dir = root
	// make's build configuration, so that the build cache is shared.
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("building hack/fakenodes: %w: %s", err, out)
	}
	for _, d := range []string{"logs", "run"} {
		if err := os.MkdirAll(c.path(d), 0o755); err != nil {
			return err
		}
	}
	if err := c.loadCredentials(); err != nil {
		return err
	}
	if err := c.start(c.fakeNodesComponent(n)); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return poll(ctx, fmt.Sprintf("%d fake nodes Ready", n), func() error {
		ready, err := c.fakeNodesReady(ctx)
		if err != nil {
			return err
		}
		if ready < n {
			return fmt.Errorf("%d of %d fake nodes Ready", ready, n)
		}
		return nil
	})
}

// fakeNodesReady counts the Ready nodes labelled as fake.
func (c *cluster) fakeNodesReady(ctx context.Context) (int, error) {
	body, err := httpGet(ctx, c.apiURL("/api/v1/nodes?labelSelector=type%3Dgospark-fake"), c.Token)
	if err != nil {
		return 0, err
	}
	var list struct {
		Items []struct {
			Status struct {
				Conditions []struct{ Type, Status string }
			}
		}
	}
	if err := json.Unmarshal(body, &list); err != nil {
		return 0, err
	}
	ready := 0
	for _, n := range list.Items {
		for _, cond := range n.Status.Conditions {
			if cond.Type == "Ready" && cond.Status == "True" {
				ready++
			}
		}
	}
	return ready, nil
}
