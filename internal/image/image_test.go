package image

import (
	"archive/tar"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

func TestBuildWritesReproducibleImage(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "app")
	if err := os.WriteFile(bin, []byte("#!binary"), 0o755); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "conf")
	if err := os.WriteFile(conf, []byte("k=v"), 0o600); err != nil {
		t.Fatal(err)
	}
	spec := Spec{
		Files:      []File{{Path: "/opt/gospark/bin/app", Source: bin}, {Path: "/etc/app.conf", Source: conf, Mode: 0o644}},
		Dirs:       map[string]int64{"/tmp": 0o1777},
		Entrypoint: []string{"/opt/gospark/bin/app"},
		Env:        []string{"PATH=/opt/gospark/bin"},
		WorkingDir: "/opt/gospark",
	}
	img, err := Build(spec)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "img.tar")
	if err := WriteTarball(img, "gospark:test", out); err != nil {
		t.Fatal(err)
	}
	back, err := tarball.ImageFromPath(out, nil)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := back.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cf.Config.Entrypoint, spec.Entrypoint) || !slices.Equal(cf.Config.Env, spec.Env) ||
		cf.Config.WorkingDir != "/opt/gospark" || cf.OS != "linux" {
		t.Fatalf("config %+v", cf.Config)
	}
	got := map[string]*tar.Header{}
	contents := map[string]string{}
	tr := tar.NewReader(mutate.Extract(back))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got[h.Name] = h
		b, _ := io.ReadAll(tr)
		contents[h.Name] = string(b)
	}
	for name, want := range map[string]int64{"opt": 0o755, "opt/gospark/bin": 0o755, "opt/gospark/bin/app": 0o755, "etc/app.conf": 0o644, "tmp": 0o1777} {
		h, ok := got[name]
		if !ok {
			t.Fatalf("no %s in the image; have %v", name, got)
		}
		if h.Mode != want || h.Uid != 0 || !h.ModTime.Equal(epoch) {
			t.Fatalf("%s: mode %o uid %d mtime %v, want mode %o, root, epoch", name, h.Mode, h.Uid, h.ModTime, want)
		}
	}
	if contents["opt/gospark/bin/app"] != "#!binary" || contents["etc/app.conf"] != "k=v" {
		t.Fatalf("file contents %q", contents)
	}
	// The same inputs, built again, give the same digest.
	again, err := Build(spec)
	if err != nil {
		t.Fatal(err)
	}
	d1, _ := img.Digest()
	d2, _ := again.Digest()
	if d1 != d2 {
		t.Fatalf("digests differ: %s and %s", d1, d2)
	}
	if _, err := Build(Spec{Files: []File{{Path: "relative", Source: bin}}}); err == nil {
		t.Fatal("a relative path in the image was accepted")
	}
	// OCI layout.
	lay := filepath.Join(dir, "layout")
	if err := WriteLayout(img, "gospark:test", lay); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(lay, "index.json")); err != nil {
		t.Fatal(err)
	}
}
