package image

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// The Python image: the gospark image plus gospark-py, the application
// binary of every Python program, Python's examples and Debian's python3
// and python3-cloudpickle in a layer of their own.
const (
	PyBinPath         = "/opt/gospark/bin/gospark-py"
	PythonExamplesDir = ExamplesDir + "/python"
	DefaultPythonTag  = "gospark-py:dev"
)

// PythonOptions describe a Python image.
type PythonOptions struct {
	Options
	// GosparkPy is the gospark-py binary or the Go package directory of
	// cmd/gospark-py; "" builds cmd/gospark-py of the gospark module the
	// working directory is in.
	GosparkPy string
	// Examples is a directory whose *.py files go in PythonExamplesDir
	// ("" for none).
	Examples string
	// DebCache holds the .debs and their unpacked trees; "" means
	// DefaultDebCache.
	DebCache string
	// Packages are Debian packages to add to PythonPackages.
	Packages []string
}

// Python builds the Python image. The Debian packages (PythonPackages and
// their dependency closure, DebClosure) must be for the image's
// architecture: it is this machine's.
func Python(ctx context.Context, o PythonOptions) (v1.Image, error) {
	arch := o.Arch
	if arch == "" {
		arch = runtime.GOARCH
	}
	if arch != runtime.GOARCH {
		return nil, fmt.Errorf("image: the Python image holds this machine's Debian packages (%s), not %s ones", runtime.GOARCH, arch)
	}
	o.Arch = arch
	cache := o.DebCache
	if cache == "" {
		var err error
		if cache, err = DefaultDebCache(); err != nil {
			return nil, err
		}
	}
	tree, err := DebianTree(ctx, cache, append(slices.Clone(PythonPackages), o.Packages...))
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "gospark-image-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	spec, err := gosparkSpec(ctx, o.Options, tmp)
	if err != nil {
		return nil, err
	}
	py := filepath.Join(tmp, "gospark-py")
	if o.GosparkPy == "" {
		err = moduleBuild(ctx, "cmd/gospark-py", py, arch)
	} else {
		py, err = binary(ctx, o.GosparkPy, arch, py)
	}
	if err != nil {
		return nil, fmt.Errorf("gospark-py binary: %w", err)
	}
	spec.Files = append(spec.Files, File{Path: PyBinPath, Source: py, Mode: 0o755})
	if o.Examples != "" {
		files, err := filepath.Glob(filepath.Join(o.Examples, "*.py"))
		if err != nil {
			return nil, fmt.Errorf("image: Python examples: %w", err)
		}
		if len(files) == 0 {
			return nil, fmt.Errorf("image: Python examples: no .py file in %s", o.Examples)
		}
		slices.Sort(files)
		for _, f := range files {
			spec.Files = append(spec.Files, File{Path: PythonExamplesDir + "/" + filepath.Base(f), Source: f, Mode: 0o644})
		}
	}
	spec.Base, spec.BaseSkip = tree, debTrimDirs
	spec.Labels["org.opencontainers.image.title"] = "gospark-py"
	spec.Labels["io.gospark.debian-packages"] = strings.Join(append(slices.Clone(PythonPackages), o.Packages...), ",")
	maps.Copy(spec.Labels, o.Labels)
	return Build(spec)
}
