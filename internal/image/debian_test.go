package image

import (
	"archive/tar"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestParseDepends(t *testing.T) {
	out := []byte(`python3
  PreDepends: python3-minimal
  Depends: python3.11
python3-cloudpickle
  Depends: <python3:any>
    python3
python3.11
 |Depends: media-types
  Depends: mime-support
  Depends: libc6
python3-minimal
  Depends: dpkg
  Recommends: nothing
<python3:any>
media-types
libc6
dpkg
  Depends: tar
`)
	g := parseDepends(out)
	for pkg, want := range map[string][]string{
		"python3":             {"python3-minimal", "python3.11"},
		"python3-cloudpickle": {"<python3:any>"},
		"<python3:any>":       {"python3"},
		"python3.11":          {"media-types", "libc6"},
		"python3-minimal":     {"dpkg"},
		"dpkg":                {"tar"},
		"libc6":               nil,
	} {
		if !slices.Equal(g[pkg], want) {
			t.Errorf("%s depends on %q, want %q", pkg, g[pkg], want)
		}
	}
	if !debSkipped("dpkg") || !debSkipped("perl-modules-5.36") || debSkipped("libc6") {
		t.Error("debSkipped")
	}
}

// A base tree becomes a layer of its own below the files: directories,
// files with their modes, symbolic links, nothing under the skipped
// paths, and the same digest from the same tree.
func TestBuildWithBaseTree(t *testing.T) {
	tree := t.TempDir()
	for _, d := range []string{"usr/bin", "usr/lib/python3", "usr/share/doc/python3", "lib64"} {
		if err := os.MkdirAll(filepath.Join(tree, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	writeFile(t, filepath.Join(tree, "usr/bin/python3.11"), "interpreter", 0o755)
	writeFile(t, filepath.Join(tree, "usr/lib/python3/mod.py"), "X = 1\n", 0o644)
	writeFile(t, filepath.Join(tree, "usr/share/doc/python3/README"), "docs", 0o644)
	if err := os.Symlink("python3.11", filepath.Join(tree, "usr/bin/python3")); err != nil {
		t.Fatal(err)
	}
	app := filepath.Join(t.TempDir(), "app")
	writeFile(t, app, "app", 0o755)
	spec := Spec{Files: []File{{Path: "/opt/app", Source: app}}, Base: tree, BaseSkip: []string{"usr/share/doc"}}
	img, err := Build(spec)
	if err != nil {
		t.Fatal(err)
	}
	layers, err := img.Layers()
	if err != nil || len(layers) != 2 {
		t.Fatalf("%d layers, %v", len(layers), err)
	}
	names, headers, files := contents(t, img)
	// The flattened file system lists the top layer first.
	want := []string{"opt", "opt/app", "lib64", "usr", "usr/bin", "usr/bin/python3", "usr/bin/python3.11", "usr/lib", "usr/lib/python3",
		"usr/lib/python3/mod.py", "usr/share"}
	if !slices.Equal(names, want) {
		t.Errorf("entries %q, want %q", names, want)
	}
	if h := headers["usr/bin/python3"]; h == nil || h.Typeflag != tar.TypeSymlink || h.Linkname != "python3.11" {
		t.Errorf("python3: %+v", h)
	}
	if h := headers["usr/bin/python3.11"]; h == nil || h.Mode != 0o755 || !h.ModTime.Equal(Epoch) || h.Uname != "root" || files["usr/bin/python3.11"] != "interpreter" {
		t.Errorf("python3.11: %+v", h)
	}
	again, err := Build(spec)
	if err != nil {
		t.Fatal(err)
	}
	if digest(t, img) != digest(t, again) {
		t.Error("the same tree gave another digest")
	}
}
