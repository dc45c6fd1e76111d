package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/gospark/gospark/internal/image"
)

// Where things go in gospark's images.
const (
	imageBin      = "/opt/gospark/bin/gospark"
	imageExamples = "/opt/gospark/examples"
)

func imageCommand(stdout io.Writer) *cobra.Command {
	img := &cobra.Command{Use: "image", Short: "Build container images for Kubernetes, without Docker"}
	var tag, output, ociLayout, gosparkBin string
	var push, pause bool
	var apps []string
	build := &cobra.Command{
		Use:   "build --tag NAME:TAG (--output FILE.tar | --oci-layout DIR | --push) [--app NAME=PATH]...",
		Short: "Build an image holding gospark and application binaries",
		Long: `Build an image holding the gospark binary (` + imageBin + `, the entrypoint) and
application binaries (` + imageExamples + `/<name>): a Go package directory is built
for linux with CGO_ENABLED=0, a file is copied as is. With --pause, build the
pod sandbox image instead: gospark alone, running "gospark pause".
The image is written as a docker-archive tarball (ctr images import, docker
load), added to an OCI layout directory, or pushed to the registry its tag names.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if output == "" && ociLayout == "" && !push {
				return image.ErrNoOutput
			}
			if gosparkBin == "" {
				exe, err := os.Executable()
				if err != nil {
					return err
				}
				gosparkBin = exe
			}
			spec := image.Spec{
				Dirs:   map[string]int64{"/tmp": 0o1777},
				Labels: map[string]string{"org.opencontainers.image.title": "gospark"},
			}
			if pause {
				spec.Files = []image.File{{Path: "/pause", Source: gosparkBin, Mode: 0o755}}
				spec.Entrypoint = []string{"/pause", "pause"}
			} else {
				spec.Files = []image.File{{Path: imageBin, Source: gosparkBin, Mode: 0o755}}
				spec.Entrypoint = []string{imageBin}
				spec.Env = []string{"PATH=/opt/gospark/bin:" + imageExamples + ":/usr/bin:/bin"}
				spec.WorkingDir = "/opt/gospark"
				tmp, err := os.MkdirTemp("", "gospark-image-")
				if err != nil {
					return err
				}
				defer os.RemoveAll(tmp)
				for _, a := range apps {
					name, src, ok := strings.Cut(a, "=")
					if !ok || name == "" || src == "" || strings.ContainsRune(name, '/') {
						return fmt.Errorf("--app %q: want NAME=PATH (a Go package directory or a binary)", a)
					}
					bin, err := appBinary(cmd.Context(), name, src, tmp)
					if err != nil {
						return err
					}
					spec.Files = append(spec.Files, image.File{Path: imageExamples + "/" + name, Source: bin, Mode: 0o755})
				}
			}
			built, err := image.Build(spec)
			if err != nil {
				return err
			}
			digest, err := built.Digest()
			if err != nil {
				return err
			}
			if output != "" {
				if err := image.WriteTarball(built, tag, output); err != nil {
					return err
				}
				fmt.Fprintf(stdout, "wrote %s (%s) to %s\n", tag, digest, output)
			}
			if ociLayout != "" {
				if err := image.WriteLayout(built, tag, ociLayout); err != nil {
					return err
				}
				fmt.Fprintf(stdout, "added %s (%s) to OCI layout %s\n", tag, digest, ociLayout)
			}
			if push {
				if err := image.Push(built, tag); err != nil {
					return err
				}
				fmt.Fprintf(stdout, "pushed %s (%s)\n", tag, digest)
			}
			return nil
		},
	}
	f := build.Flags()
	f.StringVar(&tag, "tag", "", "image name and tag, e.g. gospark:dev or registry.example/gospark:1.0 (required)")
	f.StringVar(&output, "output", "", "write a docker-archive tarball to this file")
	f.StringVar(&ociLayout, "oci-layout", "", "add the image to this OCI layout directory")
	f.BoolVar(&push, "push", false, "push the image to the registry its tag names")
	f.StringVar(&gosparkBin, "gospark", "", "the gospark binary to put in the image (default: this one; it must be built for linux with CGO_ENABLED=0)")
	f.StringArrayVar(&apps, "app", nil, "NAME=PATH: an application (Go package directory or binary) installed as "+imageExamples+"/NAME")
	f.BoolVar(&pause, "pause", false, "build the pod sandbox (pause) image instead")
	_ = build.MarkFlagRequired("tag")
	img.AddCommand(build)
	return img
}

// appBinary returns a linux binary for an application: src itself, or the
// Go package directory src built into dir.
func appBinary(ctx context.Context, name, src, dir string) (string, error) {
	st, err := os.Stat(src)
	if err != nil {
		return "", fmt.Errorf("--app %s: %w", name, err)
	}
	if !st.IsDir() {
		return src, nil
	}
	out := filepath.Join(dir, name)
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", out, ".")
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("--app %s: building %s: %w\n%s", name, src, err, b)
	}
	return out, nil
}

// pauseCommand is the pod sandbox's process: it holds the pod's namespaces,
// reaps orphans, and exits on SIGTERM or SIGINT.
func pauseCommand() *cobra.Command {
	return &cobra.Command{
		Use:    "pause",
		Short:  "Hold a pod's namespaces (the sandbox image's process)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			sigs := make(chan os.Signal, 4)
			signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGCHLD)
			for s := range sigs {
				if s != syscall.SIGCHLD {
					return nil
				}
				for {
					var ws syscall.WaitStatus
					pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
					if pid <= 0 || err != nil {
						break
					}
				}
			}
			return nil
		},
	}
}
