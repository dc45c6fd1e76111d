package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// examples are the programs the gospark:dev image carries, under
// /opt/gospark/examples/<name>.
var examples = []string{"sparkpi", "groupbytest", "wordcount", "pagerank", "sort"}

// DevImage is the image of gospark and its examples the cluster gets.
const DevImage = "gospark:dev"

// loadImages builds the sandbox (pause) image and gospark:dev with
// `gospark image build` and imports them into containerd's k8s.io
// namespace, since there is no registry to pull from.
func (c *cluster) loadImages(ctx context.Context) error {
	if err := c.buildImages(ctx); err != nil {
		return err
	}
	return c.importImages(ctx)
}

// imageTars are the image archives buildImages writes.
func (c *cluster) imageTars() []string {
	return []string{filepath.Join(c.path("images"), "pause.tar"), filepath.Join(c.path("images"), "gospark-dev.tar")}
}

// buildImages writes the pause image and gospark:dev as docker archives.
// It takes as long as the build takes (a cold one compiles gospark and
// every example), so up runs it before its deadline starts.
func (c *cluster) buildImages(ctx context.Context) error {
	start := time.Now()
	root, err := repoRoot()
	if err != nil {
		return err
	}
	dir := c.path("images")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	gospark := filepath.Join(dir, "gospark")
	build := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", gospark, "./cmd/gospark")
	build.Dir = root
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("building gospark: %w: %s", err, out)
	}
	tars := c.imageTars()
	pause, dev := tars[0], tars[1]
	imageArgs := [][]string{
		{"image", "build", "--pause", "--tag", c.PauseImage, "--output", pause},
		append([]string{"image", "build", "--tag", DevImage, "--output", dev, "--gospark", gospark}, appArgs(root)...),
	}
	for _, args := range imageArgs {
		cmd := exec.CommandContext(ctx, gospark, args...)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("gospark %s: %w: %s", strings.Join(args, " "), err, out)
		}
	}
	fmt.Printf("  %-40s %s\n", "images built", time.Since(start).Round(10*time.Millisecond))
	return nil
}

// importImages imports what buildImages wrote into containerd.
func (c *cluster) importImages(ctx context.Context) error {
	start := time.Now()
	for _, tar := range c.imageTars() {
		if out, err := exec.CommandContext(ctx, "ctr", "--address", c.ContainerdSock, "-n", "k8s.io",
			"images", "import", tar).CombinedOutput(); err != nil {
			return fmt.Errorf("importing %s: %w: %s", tar, err, out)
		}
	}
	fmt.Printf("  %-40s %s\n", "images imported", time.Since(start).Round(10*time.Millisecond))
	return nil
}

func appArgs(root string) []string {
	var args []string
	for _, e := range examples {
		args = append(args, "--app", e+"="+filepath.Join(root, "examples", e))
	}
	return args
}

// repoRoot is the gospark checkout this program runs from.
func repoRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("finding the repository: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", fmt.Errorf("run from the gospark repository")
	}
	return filepath.Dir(mod), nil
}
