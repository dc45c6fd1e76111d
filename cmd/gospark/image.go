package main

import (
	"errors"
	"fmt"
	"runtime"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/spf13/cobra"

	"github.com/gospark/gospark/internal/image"
)

var imageBuildLong = `Build a container image without Docker, from static binaries alone (no base
image), and write it as a docker-archive tarball (--output: for
"ctr -n k8s.io images import" or "docker load"), add it to an OCI layout
directory (--oci-layout), or push it to the registry its tag names (--push).
The same inputs give the same digest.

The gospark image serves every pod role:
  ` + image.BinPath + `     gospark, the entrypoint
  ` + image.ExamplesDir + `/NAME   each --app NAME=PATH
  ` + image.WorkDir + `        the working directory, mode 1777
  /tmp                         mode 1777
  ` + image.Env[0] + `
It has no /etc/passwd: run it as root or as a numeric user (runAsUser).

--gospark and --app take a static Linux binary (CGO_ENABLED=0) or a Go main
package directory, which is built with CGO_ENABLED=0, GOOS=linux and the
GOARCH of --arch. Without --gospark the running gospark goes in if it is
static, else cmd/gospark is built from the gospark module that holds the
working directory.

Roles: the pod's arguments name the gospark command to run ("init" for the
init-container, "staging-server" for the resource staging server; the
shuffle service's is to come); --cmd sets default arguments. Driver and executor pods run the
application instead, with the container's command set to
` + image.ExamplesDir + `/NAME: one binary, whose role gospark sets in the
environment (GOSPARK_ROLE=driver or executor).

With --pause, build the pod sandbox image instead: the pause program
(cmd/pause) alone, at ` + image.PausePath + `, its entrypoint.`

func imageCommand() *cobra.Command {
	img := &cobra.Command{Use: "image", Short: "Build container images for Kubernetes, without Docker"}
	var (
		tag, output, ociLayout, gosparkBin, arch, pauseBin string
		push, insecure, pause                              bool
		apps, cmdArgs, labels                              []string
	)
	build := &cobra.Command{
		Use:   "build [--tag NAME:TAG] (--output FILE.tar | --oci-layout DIR | --push) [--app NAME=PATH]...",
		Short: "Build the gospark image (gospark and applications) or the pod sandbox image",
		Long:  imageBuildLong,
		Example: `  gospark image build --tag gospark:dev --output gospark.tar \
      --gospark ./cmd/gospark --app sparkpi=./examples/sparkpi
  gospark image build --pause --output pause.tar
  gospark image build --tag registry.example:5000/gospark:1.0 --push --app sparkpi=./sparkpi-linux`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if tag == "" {
				tag = image.DefaultTag
				if pause {
					tag = image.DefaultPauseTag
				}
			}
			if err := image.CheckTag(tag); err != nil {
				return err
			}
			var built v1.Image
			var err error
			if pause {
				built, err = image.Pause(ctx, pauseBin, arch)
				if errors.Is(err, image.ErrNoSource) {
					err = fmt.Errorf("%w\nor give --pause-bin PATH", err)
				}
			} else {
				o := image.Options{Gospark: gosparkBin, Arch: arch, Cmd: cmdArgs, Notes: cmd.ErrOrStderr()}
				for _, a := range apps {
					app, err := image.ParseApp(a)
					if err != nil {
						return fmt.Errorf("--app %w", err)
					}
					o.Apps = append(o.Apps, app)
				}
				if o.Labels, err = keyValues("--label", labels); err != nil {
					return err
				}
				built, err = image.Gospark(ctx, o)
				if errors.Is(err, image.ErrNoSource) {
					err = fmt.Errorf("%w\nor give --gospark PATH", err)
				}
			}
			if err != nil {
				return err
			}
			return writeImage(cmd, built, tag, output, ociLayout, push, insecure)
		},
	}
	f := build.Flags()
	f.StringVar(&tag, "tag", "", "the image's `NAME:TAG`, e.g. gospark:dev or registry.example:5000/gospark:1.0 (default "+image.DefaultTag+", with --pause "+image.DefaultPauseTag+")")
	f.StringVar(&output, "output", "", "write a docker-archive tarball to `FILE`")
	f.StringVar(&ociLayout, "oci-layout", "", "add the image to the OCI layout directory `DIR` (created if needed)")
	f.BoolVar(&push, "push", false, "push the image to the registry its tag names (credentials: ~/.docker/config.json)")
	f.BoolVar(&insecure, "insecure", false, "with --push, allow plain HTTP to the registry (always allowed for localhost)")
	f.StringVar(&gosparkBin, "gospark", "", "gospark binary or cmd/gospark package `PATH` (default: this gospark if static, else built from the module)")
	f.StringArrayVar(&apps, "app", nil, "`NAME=PATH`: the application at PATH (binary or Go package directory) goes in as "+image.ExamplesDir+"/NAME; repeatable")
	f.StringArrayVar(&cmdArgs, "cmd", nil, "default `ARG` after the entrypoint (e.g. --cmd init); repeatable")
	f.StringArrayVar(&labels, "label", nil, "image label `KEY=VALUE`; repeatable")
	f.StringVar(&arch, "arch", runtime.GOARCH, "`GOARCH` of the image and its binaries")
	f.BoolVar(&pause, "pause", false, "build the pod sandbox image (/pause alone) instead")
	f.StringVar(&pauseBin, "pause-bin", "", "with --pause: pause binary or cmd/pause package `PATH` (default: built from the module)")
	build.MarkFlagsOneRequired("output", "oci-layout", "push")
	for _, other := range []string{"gospark", "app", "cmd", "label"} {
		build.MarkFlagsMutuallyExclusive("pause", other)
	}
	img.AddCommand(build)
	return img
}

// writeImage sends the built image to each destination asked for.
func writeImage(cmd *cobra.Command, built v1.Image, tag, output, ociLayout string, push, insecure bool) error {
	stdout := cmd.OutOrStdout()
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
		fmt.Fprintf(stdout, "added %s (%s) to the OCI layout %s\n", tag, digest, ociLayout)
	}
	if push {
		if err := image.Push(cmd.Context(), built, tag, insecure); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "pushed %s (%s)\n", tag, digest)
	}
	return nil
}

// keyValues parses repeated KEY=VALUE flags.
func keyValues(flag string, kvs []string) (map[string]string, error) {
	if len(kvs) == 0 {
		return nil, nil
	}
	m := map[string]string{}
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("%s %q: want KEY=VALUE", flag, kv)
		}
		m[k] = v
	}
	return m, nil
}
