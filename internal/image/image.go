// Package image builds OCI container images without a container engine:
// one layer made from host files, a config with entrypoint and
// environment, written as a docker-archive tarball (which `ctr images
// import` and `docker load` accept), as an OCI layout directory, or pushed
// to a registry. Layers are deterministic: the same files give the same
// digest.
package image

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// File is one file of the image: Source on the host, at Path in the image.
type File struct {
	Path   string // absolute path in the image
	Source string // host file
	Mode   int64  // 0: the host file's permission bits
}

// Spec describes an image.
type Spec struct {
	Files      []File
	Dirs       map[string]int64 // extra empty directories and their modes (e.g. /tmp 01777)
	Entrypoint []string
	Cmd        []string
	Env        []string
	WorkingDir string
	Labels     map[string]string
}

// epoch is the modification time of every entry, for reproducible layers.
var epoch = time.Unix(0, 0).UTC()

// Build makes the image.
func Build(s Spec) (v1.Image, error) {
	layerBytes, err := layerTar(s)
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerBytes)), nil
	})
	if err != nil {
		return nil, fmt.Errorf("image: layer: %w", err)
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		return nil, fmt.Errorf("image: %w", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.Architecture = runtime.GOARCH
	cf.OS = "linux"
	cf.Created = v1.Time{Time: epoch}
	cf.Config.Entrypoint = s.Entrypoint
	cf.Config.Cmd = s.Cmd
	cf.Config.Env = s.Env
	cf.Config.WorkingDir = s.WorkingDir
	cf.Config.Labels = s.Labels
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return nil, fmt.Errorf("image: config: %w", err)
	}
	return img, nil
}

// layerTar writes the layer: parent directories first, entries sorted, all
// owned by root with fixed times.
func layerTar(s Spec) ([]byte, error) {
	type entry struct {
		path   string
		dir    bool
		mode   int64
		source string
	}
	entries := map[string]entry{}
	addParents := func(p string) {
		for d := path.Dir(p); d != "/" && d != "."; d = path.Dir(d) {
			if _, ok := entries[d]; !ok {
				entries[d] = entry{path: d, dir: true, mode: 0o755}
			}
		}
	}
	for d, mode := range s.Dirs {
		if !path.IsAbs(d) {
			return nil, fmt.Errorf("image: directory %q must be an absolute path", d)
		}
		d = path.Clean(d)
		entries[d] = entry{path: d, dir: true, mode: mode}
		addParents(d)
	}
	for _, f := range s.Files {
		if !path.IsAbs(f.Path) {
			return nil, fmt.Errorf("image: path %q must be absolute", f.Path)
		}
		st, err := os.Stat(f.Source)
		if err != nil {
			return nil, fmt.Errorf("image: %w", err)
		}
		if st.IsDir() {
			return nil, fmt.Errorf("image: %s is a directory; list its files", f.Source)
		}
		mode := f.Mode
		if mode == 0 {
			mode = int64(st.Mode().Perm())
		}
		p := path.Clean(f.Path)
		entries[p] = entry{path: p, mode: mode, source: f.Source}
		addParents(p)
	}
	paths := make([]string, 0, len(entries))
	for p := range entries {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, p := range paths {
		e := entries[p]
		h := &tar.Header{Name: strings.TrimPrefix(p, "/"), Mode: e.mode, ModTime: epoch, Format: tar.FormatPAX,
			Uname: "root", Gname: "root"}
		if e.dir {
			h.Typeflag = tar.TypeDir
			h.Name += "/"
			if err := tw.WriteHeader(h); err != nil {
				return nil, err
			}
			continue
		}
		data, err := os.ReadFile(e.source)
		if err != nil {
			return nil, fmt.Errorf("image: %w", err)
		}
		h.Typeflag = tar.TypeReg
		h.Size = int64(len(data))
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// WriteTarball writes img as a docker-archive tarball tagged tag.
func WriteTarball(img v1.Image, tag, file string) error {
	ref, err := name.NewTag(tag)
	if err != nil {
		return fmt.Errorf("image: tag %q: %w", tag, err)
	}
	if err := tarball.WriteToFile(file, ref, img); err != nil {
		return fmt.Errorf("image: writing %s: %w", file, err)
	}
	return nil
}

// WriteLayout adds img to the OCI layout directory dir (created if needed),
// annotated with its tag.
func WriteLayout(img v1.Image, tag, dir string) error {
	p, err := layout.FromPath(dir)
	if err != nil {
		if p, err = layout.Write(dir, empty.Index); err != nil {
			return fmt.Errorf("image: OCI layout %s: %w", dir, err)
		}
	}
	return p.AppendImage(img, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": tag}))
}

// Push uploads img to the registry its tag names, with the credentials of
// the default keychain (~/.docker/config.json).
func Push(img v1.Image, tag string) error {
	ref, err := name.NewTag(tag)
	if err != nil {
		return fmt.Errorf("image: tag %q: %w", tag, err)
	}
	if err := remote.Write(ref, img, remote.WithAuthFromKeychain(authn.DefaultKeychain)); err != nil {
		return fmt.Errorf("image: pushing %s: %w", tag, err)
	}
	return nil
}

// ErrNoOutput is the error of a build with nowhere to put the image.
var ErrNoOutput = errors.New("image: give --output, --oci-layout or --push")
