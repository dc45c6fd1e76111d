package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
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
(cmd/pause) alone, at ` + image.PausePath + `, its entrypoint.

With --python, build the Python image (default tag ` + image.DefaultPythonTag + `): the gospark
image plus
  ` + image.PyBinPath + `  gospark-py, the application binary of Python
                               programs (--gospark-py; default: cmd/gospark-py
                               built from the module)
  ` + image.PythonExamplesDir + `/*.py   the Python examples (--python-examples,
                               default examples/python when it exists)
and, in a layer below, Debian's python3 and python3-cloudpickle with their
dependencies (apt-cache depends), downloaded with "apt-get download" and
unpacked with "dpkg-deb -x" (no maintainer scripts run), both cached under
~/.cache/gospark/debs. It needs a Debian machine of the image's architecture
with apt's package lists (apt-get update). Pods of Python applications use it
for the driver and the executors.`

func imageCommand() *cobra.Command {
	img := &cobra.Command{Use: "image", Short: "Build container images for Kubernetes, without Docker"}
	var (
		tag, output, ociLayout, gosparkBin, arch, pauseBin string
		push, insecure, pause, python                      bool
		gosparkPy, pyExamples                              string
		apps, cmdArgs, labels, debs                        []string
	)
	build := &cobra.Command{
		Use:   "build [--tag NAME:TAG] (--output FILE.tar | --oci-layout DIR | --push) [--app NAME=PATH]...",
		Short: "Build the gospark image (gospark and applications) or the pod sandbox image",
		Long:  imageBuildLong,
		Example: `  gospark image build --tag gospark:dev --output gospark.tar \
      --gospark ./cmd/gospark --app sparkpi=./examples/sparkpi
  gospark image build --pause --output pause.tar
  gospark image build --python --output gospark-py.tar
  gospark image build --tag registry.example:5000/gospark:1.0 --push --app sparkpi=./sparkpi-linux`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if tag == "" {
				tag = image.DefaultTag
				if pause {
					tag = image.DefaultPauseTag
				}
				if python {
					tag = image.DefaultPythonTag
				}
			}
			if !python && (gosparkPy != "" || pyExamples != "" || len(debs) > 0) {
				return errors.New("--gospark-py, --python-examples and --debian-package need --python")
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
				if python {
					built, err = image.Python(ctx, image.PythonOptions{Options: o, GosparkPy: gosparkPy,
						Examples: pythonExamples(pyExamples, cmd.Flags().Changed("python-examples")), Packages: debs})
					if errors.Is(err, image.ErrNoSource) {
						err = fmt.Errorf("%w\nor give --gospark PATH and --gospark-py PATH", err)
					}
				} else {
					built, err = image.Gospark(ctx, o)
					if errors.Is(err, image.ErrNoSource) {
						err = fmt.Errorf("%w\nor give --gospark PATH", err)
					}
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
	f.BoolVar(&python, "python", false, "build the Python image (gospark-py, the Python examples, Debian's python3 and python3-cloudpickle)")
	f.StringVar(&gosparkPy, "gospark-py", "", "with --python: gospark-py binary or cmd/gospark-py package `PATH` (default: built from the module)")
	f.StringVar(&pyExamples, "python-examples", "", "with --python: `DIR` whose *.py files go in "+image.PythonExamplesDir+" (default: examples/python if it exists)")
	f.StringArrayVar(&debs, "debian-package", nil, "with --python: another Debian `PACKAGE` to add (with its dependencies); repeatable")
	build.MarkFlagsOneRequired("output", "oci-layout", "push")
	for _, other := range []string{"gospark", "app", "cmd", "label", "python"} {
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

// pythonExamples is the directory of the Python image's examples: the
// one given, else examples/python under the working directory when it
// exists ("" for none).
func pythonExamples(dir string, given bool) string {
	if given {
		return dir
	}
	if fi, err := os.Stat(filepath.Join("examples", "python")); err == nil && fi.IsDir() {
		return filepath.Join("examples", "python")
	}
	return ""
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
