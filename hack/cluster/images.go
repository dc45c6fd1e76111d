package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
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

// PythonImage is the image of Python applications the cluster gets:
// gospark, gospark-py, the Python examples and Debian's python3 (gospark
// image build --python).
const PythonImage = "gospark-py:dev"

// loadImages builds the sandbox (pause) image and gospark:dev with
// `gospark image build` and imports them into containerd's k8s.io
// namespace, since there is no registry to pull from.
func (c *cluster) loadImages(ctx context.Context) error {
	if err := c.buildImages(ctx); err != nil {
		return err
	}
	return c.importImages(ctx)
}

// imageTars are the image archives buildImages writes (the Python
// image's only when it could be built).
func (c *cluster) imageTars() []string {
	tars := []string{filepath.Join(c.path("images"), "pause.tar"), filepath.Join(c.path("images"), "gospark-dev.tar")}
	if _, err := os.Stat(c.pythonTar()); err == nil {
		tars = append(tars, c.pythonTar())
	}
	return tars
}

func (c *cluster) pythonTar() string { return filepath.Join(c.path("images"), "gospark-py-dev.tar") }

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
	// The Python image is built first, so that a failure leaves no stale
	// archive to import; it does not stop the others (cmd/gospark-py may
	// be mid-change while Go applications' tests run).
	if err := os.Remove(c.pythonTar()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := c.buildPythonImage(ctx, root, gospark); err != nil {
		fmt.Printf("  %-40s %v\n", "python image NOT built:", err)
	}
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

// buildPythonImage writes gospark-py:dev: gospark-py built here (static),
// the examples in examples/python, Debian's python3 and cloudpickle (the
// .debs and their unpacked tree cached in ~/.cache/gospark/debs).
func (c *cluster) buildPythonImage(ctx context.Context, root, gospark string) error {
	py := filepath.Join(c.path("images"), "gospark-py")
	build := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", py, "./cmd/gospark-py")
	build.Dir = root
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("building gospark-py: %w: %s", err, out)
	}
	args := []string{"image", "build", "--python", "--tag", PythonImage, "--output", c.pythonTar(), "--gospark", gospark,
		"--gospark-py", py, "--python-examples", filepath.Join(root, "examples", "python")}
	cmd := exec.CommandContext(ctx, gospark, args...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("gospark %s: %w: %s", strings.Join(args, " "), err, out)
	}
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
