package image

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"path"
	"runtime"
	"slices"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/match"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// File is one regular file of the image: the host file Source, at the
// absolute Path in the image.
type File struct {
	Path   string
	Source string
	Mode   int64 // permission bits; 0 means the host file's
}

// Spec describes an image.
type Spec struct {
	Files []File
	// Dirs are directories to create, with their modes (e.g. "/tmp":
	// 0o1777). Parent directories of files and dirs not listed here get
	// 0o755.
	Dirs       map[string]int64
	Entrypoint []string
	Cmd        []string
	Env        []string
	WorkingDir string
	Labels     map[string]string
	// OS and Architecture of the image; "" means linux and the GOARCH
	// this program was built for. The files must match them.
	OS           string
	Architecture string
	// Base, when set, is a host directory whose tree (directories,
	// regular files, symbolic links) is the image's first layer, below
	// the layer of Files and Dirs: e.g. unpacked Debian packages
	// (DebianTree). BaseSkip are paths in it (slash-separated, relative)
	// left out with everything under them.
	Base     string
	BaseSkip []string
}

// Epoch is the time of every layer entry and of the config, so that
// builds are reproducible.
var Epoch = time.Unix(0, 0).UTC()

// createdBy is the history entry of the one layer.
const createdBy = "gospark image build"

// Build makes the image described by s. It reads the files now: they may
// change or go away once it returns.
func Build(s Spec) (v1.Image, error) {
	layerBytes, err := layerTar(s)
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerBytes)), nil
	}, tarball.WithCompressedCaching)
	if err != nil {
		return nil, fmt.Errorf("image: layer: %w", err)
	}
	var adds []mutate.Addendum
	if s.Base != "" {
		baseBytes, err := treeTar(s.Base, s.BaseSkip)
		if err != nil {
			return nil, err
		}
		base, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
			return io.NopCloser(bytes.NewReader(baseBytes)), nil
		}, tarball.WithCompressedCaching)
		if err != nil {
			return nil, fmt.Errorf("image: base layer: %w", err)
		}
		adds = append(adds, mutate.Addendum{Layer: base,
			History: v1.History{Created: v1.Time{Time: Epoch}, CreatedBy: createdBy + " (base)"}})
	}
	adds = append(adds, mutate.Addendum{
		Layer:   layer,
		History: v1.History{Created: v1.Time{Time: Epoch}, CreatedBy: createdBy},
	})
	img, err := mutate.Append(empty.Image, adds...)
	if err != nil {
		return nil, fmt.Errorf("image: %w", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("image: config: %w", err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = s.OS, s.Architecture
	if cf.OS == "" {
		cf.OS = "linux"
	}
	if cf.Architecture == "" {
		cf.Architecture = runtime.GOARCH
	}
	cf.Created = v1.Time{Time: Epoch}
	cf.Config.Entrypoint = slices.Clone(s.Entrypoint)
	cf.Config.Cmd = slices.Clone(s.Cmd)
	cf.Config.Env = slices.Clone(s.Env)
	cf.Config.WorkingDir = s.WorkingDir
	cf.Config.Labels = maps.Clone(s.Labels)
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return nil, fmt.Errorf("image: config: %w", err)
	}
	return img, nil
}

// entry is one tar entry of the layer.
type entry struct {
	dir    bool
	mode   int64
	source string // files only
}

// layerTar writes the layer: every entry once, parents before children
// (sorted by path), owned by root, with Epoch times.
func layerTar(s Spec) ([]byte, error) {
	entries := map[string]entry{}
	clean := func(what, p string) (string, error) {
		if !path.IsAbs(p) {
			return "", fmt.Errorf("image: %s %q: want an absolute path", what, p)
		}
		p = path.Clean(p)
		if p == "/" {
			return "", fmt.Errorf("image: %s %q: not the root directory", what, p)
		}
		return p, nil
	}
	for d, mode := range s.Dirs {
		p, err := clean("directory", d)
		if err != nil {
			return nil, err
		}
		if _, dup := entries[p]; dup {
			return nil, fmt.Errorf("image: directory %s given twice", p)
		}
		entries[p] = entry{dir: true, mode: mode}
	}
	for _, f := range s.Files {
		p, err := clean("file", f.Path)
		if err != nil {
			return nil, err
		}
		if _, dup := entries[p]; dup {
			return nil, fmt.Errorf("image: %s given twice", p)
		}
		st, err := os.Stat(f.Source)
		if err != nil {
			return nil, fmt.Errorf("image: %s: %w", p, err)
		}
		if !st.Mode().IsRegular() {
			return nil, fmt.Errorf("image: %s: %s is not a regular file", p, f.Source)
		}
		mode := f.Mode
		if mode == 0 {
			mode = int64(st.Mode().Perm())
		}
		entries[p] = entry{mode: mode, source: f.Source}
	}
	// Parents: a listed directory keeps its mode; a file cannot be one.
	for _, p := range slices.Collect(maps.Keys(entries)) {
		for d := path.Dir(p); d != "/"; d = path.Dir(d) {
			e, ok := entries[d]
			if ok && !e.dir {
				return nil, fmt.Errorf("image: %s is a file, so it cannot hold %s", d, p)
			}
			if !ok {
				entries[d] = entry{dir: true, mode: 0o755}
			}
		}
	}

	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, p := range slices.Sorted(maps.Keys(entries)) {
		e := entries[p]
		h := &tar.Header{
			Name:    p[1:],
			Mode:    e.mode,
			ModTime: Epoch,
			Uname:   "root",
			Gname:   "root",
		}
		if e.dir {
			h.Typeflag = tar.TypeDir
			h.Name += "/"
			if err := tw.WriteHeader(h); err != nil {
				return nil, fmt.Errorf("image: %s: %w", p, err)
			}
			continue
		}
		data, err := os.ReadFile(e.source)
		if err != nil {
			return nil, fmt.Errorf("image: %s: %w", p, err)
		}
		h.Typeflag = tar.TypeReg
		h.Size = int64(len(data))
		if err := tw.WriteHeader(h); err != nil {
			return nil, fmt.Errorf("image: %s: %w", p, err)
		}
		if _, err := tw.Write(data); err != nil {
			return nil, fmt.Errorf("image: %s: %w", p, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("image: %w", err)
	}
	return buf.Bytes(), nil
}

// CheckTag tells whether tag is a valid image reference with a tag (a
// missing tag means latest), such as gospark:dev or
// registry.example:5000/gospark:1.0.
func CheckTag(tag string) error {
	if _, err := name.NewTag(tag); err != nil {
		return fmt.Errorf("image: tag %q: %w", tag, err)
	}
	return nil
}

// WriteTarball writes img to file as a docker-archive tarball whose
// manifest names it tag (e.g. gospark:dev, which containerd and Docker
// read as docker.io/library/gospark:dev). The file appears whole or not
// at all.
func WriteTarball(img v1.Image, tag, file string) error {
	ref, err := name.NewTag(tag)
	if err != nil {
		return fmt.Errorf("image: tag %q: %w", tag, err)
	}
	tmp := file + ".partial"
	if err := tarball.WriteToFile(tmp, ref, img); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("image: writing %s: %w", file, err)
	}
	if err := os.Rename(tmp, file); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("image: %w", err)
	}
	return nil
}

// WriteLayout adds img to the OCI layout directory dir, creating it if
// needed. The image's index entry carries tag as its
// org.opencontainers.image.ref.name annotation and replaces any entry with
// the same tag.
func WriteLayout(img v1.Image, tag, dir string) error {
	p, err := layout.FromPath(dir)
	if err != nil {
		if p, err = layout.Write(dir, empty.Index); err != nil {
			return fmt.Errorf("image: OCI layout %s: %w", dir, err)
		}
	}
	ann := map[string]string{"org.opencontainers.image.ref.name": tag}
	if err := p.ReplaceImage(img, match.Name(tag), layout.WithAnnotations(ann)); err != nil {
		return fmt.Errorf("image: OCI layout %s: %w", dir, err)
	}
	return nil
}

// Push uploads img to the registry that tag names (registry.example/gospark:1.0),
// with the credentials of the default keychain (~/.docker/config.json and
// its helpers). Registries on localhost and loopback addresses are spoken
// to over plain HTTP; insecure allows it for any registry.
func Push(ctx context.Context, img v1.Image, tag string, insecure bool) error {
	var opts []name.Option
	if insecure {
		opts = append(opts, name.Insecure)
	}
	ref, err := name.NewTag(tag, opts...)
	if err != nil {
		return fmt.Errorf("image: tag %q: %w", tag, err)
	}
	if err := remote.Write(ref, img, remote.WithContext(ctx), remote.WithAuthFromKeychain(authn.DefaultKeychain)); err != nil {
		return fmt.Errorf("image: pushing %s: %w", tag, err)
	}
	return nil
}
