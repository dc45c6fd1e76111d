package image

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Where things are in gospark's images, and their default tags.
const (
	BinPath     = "/opt/gospark/bin/gospark" // the entrypoint
	ExamplesDir = "/opt/gospark/examples"    // applications: ExamplesDir/<name>
	WorkDir     = "/opt/gospark/work-dir"    // the working directory, writable by any user
	PausePath   = "/pause"                   // the sandbox image's only file

	DefaultTag      = "gospark:dev"
	DefaultPauseTag = "localhost/gospark/pause:dev"

	// ModulePath is gospark's module; its cmd/gospark and cmd/pause are
	// built from source when no binary is given.
	ModulePath = "github.com/gospark/gospark"
)

// Env is the environment of the gospark image: its programs on PATH, and
// the usual directories after them for images built on this one.
var Env = []string{"PATH=/opt/gospark/bin:" + ExamplesDir + ":/usr/local/bin:/usr/bin:/bin"}

// App is an application to put in the image as ExamplesDir/Name: Source is
// a binary or a Go main package directory.
type App struct {
	Name   string
	Source string
}

// ParseApp parses NAME=PATH.
func ParseApp(s string) (App, error) {
	n, src, ok := strings.Cut(s, "=")
	if !ok || n == "" || src == "" {
		return App{}, fmt.Errorf("%q: want NAME=PATH (a Go package directory or a binary)", s)
	}
	if n == "." || n == ".." || strings.ContainsAny(n, `/\`) {
		return App{}, fmt.Errorf("%q: the name %q cannot be a file name", s, n)
	}
	return App{Name: n, Source: src}, nil
}

// Options describe a gospark image.
type Options struct {
	// Gospark is the gospark binary or the Go package directory of
	// cmd/gospark. "" means the running executable when it is a static
	// Linux one for Arch, else cmd/gospark built from the gospark module
	// that the working directory is in.
	Gospark string
	Apps    []App
	Arch    string   // GOARCH of the image; "" means runtime.GOARCH
	Cmd     []string // the image's default arguments to gospark
	Labels  map[string]string
	// Notes, if not nil, is told which gospark binary went in and why.
	Notes io.Writer
}

// Gospark builds the driver and executor image: gospark at BinPath (the
// entrypoint), each application at ExamplesDir/<name>, PATH set (Env), the
// working directory WorkDir and /tmp, both mode 1777. Package directories
// are built with GoBuild; every binary must pass CheckBinary.
func Gospark(ctx context.Context, o Options) (v1.Image, error) {
	tmp, err := os.MkdirTemp("", "gospark-image-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	spec, err := gosparkSpec(ctx, o, tmp)
	if err != nil {
		return nil, err
	}
	return Build(spec)
}

// gosparkSpec is the gospark image's Spec; the binaries it builds go in
// tmp, which must outlive Build.
func gosparkSpec(ctx context.Context, o Options, tmp string) (Spec, error) {
	arch := o.Arch
	if arch == "" {
		arch = runtime.GOARCH
	}
	bin, err := gosparkBinary(ctx, o, arch, tmp)
	if err != nil {
		return Spec{}, err
	}
	spec := Spec{
		Files:        []File{{Path: BinPath, Source: bin, Mode: 0o755}},
		Dirs:         map[string]int64{ExamplesDir: 0o755, WorkDir: 0o1777, "/tmp": 0o1777},
		Entrypoint:   []string{BinPath},
		Cmd:          o.Cmd,
		Env:          Env,
		WorkingDir:   WorkDir,
		Labels:       map[string]string{"org.opencontainers.image.title": "gospark"},
		Architecture: arch,
	}
	maps.Copy(spec.Labels, o.Labels)
	seen := map[string]bool{}
	for _, a := range o.Apps {
		if seen[a.Name] {
			return Spec{}, fmt.Errorf("application %s given twice", a.Name)
		}
		seen[a.Name] = true
		bin, err := binary(ctx, a.Source, arch, filepath.Join(tmp, "app-"+a.Name))
		if err != nil {
			return Spec{}, fmt.Errorf("application %s: %w", a.Name, err)
		}
		spec.Files = append(spec.Files, File{Path: ExamplesDir + "/" + a.Name, Source: bin, Mode: 0o755})
	}
	return spec, nil
}

// Pause builds the pod sandbox image: the pause program at PausePath and
// nothing else, as its entrypoint. source is a pause binary or the Go
// package directory of cmd/pause; "" builds cmd/pause of the gospark module
// that the working directory is in.
func Pause(ctx context.Context, source, arch string) (v1.Image, error) {
	if arch == "" {
		arch = runtime.GOARCH
	}
	tmp, err := os.MkdirTemp("", "gospark-pause-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	out := filepath.Join(tmp, "pause")
	if source == "" {
		// Stripped: the sandbox image is pulled for every node.
		err = moduleBuild(ctx, "cmd/pause", out, arch, "-ldflags=-s -w")
	} else {
		out, err = binary(ctx, source, arch, out)
	}
	if err != nil {
		return nil, fmt.Errorf("pause: %w", err)
	}
	return Build(Spec{
		Files:        []File{{Path: PausePath, Source: out, Mode: 0o755}},
		Entrypoint:   []string{PausePath},
		Labels:       map[string]string{"org.opencontainers.image.title": "gospark pause"},
		Architecture: arch,
	})
}

// gosparkBinary finds or builds the gospark binary of the image.
func gosparkBinary(ctx context.Context, o Options, arch, tmp string) (string, error) {
	note := func(format string, args ...any) {
		if o.Notes != nil {
			fmt.Fprintf(o.Notes, format+"\n", args...)
		}
	}
	out := filepath.Join(tmp, "gospark")
	if o.Gospark != "" {
		bin, err := binary(ctx, o.Gospark, arch, out)
		if err != nil {
			return "", fmt.Errorf("gospark binary: %w", err)
		}
		return bin, nil
	}
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("gospark binary: %w", err)
	}
	checkErr := CheckBinary(exe, arch)
	if checkErr == nil {
		note("gospark binary: %s", exe)
		return exe, nil
	}
	note("this gospark cannot go in the image (%v); building %s/cmd/gospark", checkErr, ModulePath)
	if err := moduleBuild(ctx, "cmd/gospark", out, arch); err != nil {
		return "", fmt.Errorf("gospark binary: %w; %w", checkErr, err)
	}
	return out, nil
}

// binary returns a checked binary for source: source itself if it is a
// file, or out built from it if it is a Go package directory.
func binary(ctx context.Context, source, arch, out string) (string, error) {
	st, err := os.Stat(source)
	if err != nil {
		return "", err
	}
	if st.IsDir() {
		if err := GoBuild(ctx, source, ".", out, arch); err != nil {
			return "", err
		}
		return out, nil
	}
	if err := CheckBinary(source, arch); err != nil {
		return "", err
	}
	return source, nil
}

// ErrNoSource is the error of a build from gospark's module (of the pause
// or gospark binary) where the working directory is not in the module, nor
// in one that requires it.
var ErrNoSource = errors.New("gospark's source is needed to build it: run this inside the gospark module (or a module requiring it)")

// moduleBuild builds ModulePath/pkg, as the working directory's module
// resolves it, into out.
func moduleBuild(ctx context.Context, pkg, out, arch string, flags ...string) error {
	if err := GoBuild(ctx, "", ModulePath+"/"+pkg, out, arch, flags...); err != nil {
		return fmt.Errorf("%w: %w", ErrNoSource, err)
	}
	return CheckBinary(out, arch)
}
