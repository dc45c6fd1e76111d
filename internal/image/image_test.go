package image

import (
	"archive/tar"
	"context"
	"errors"
	"io"
	"log"
	"maps"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

func writeFile(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // past the umask
		t.Fatal(err)
	}
}

// contents reads the image's filesystem: headers and file contents by
// path, in layer order.
func contents(t *testing.T, img v1.Image) (names []string, headers map[string]*tar.Header, files map[string]string) {
	t.Helper()
	headers, files = map[string]*tar.Header{}, map[string]string{}
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return names, headers, files
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
		headers[h.Name] = h
		files[h.Name] = string(b)
	}
}

func digest(t *testing.T, img v1.Image) v1.Hash {
	t.Helper()
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestBuildTarballRoundTrip(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "app")
	writeFile(t, bin, "#!binary", 0o755)
	conf := filepath.Join(dir, "conf")
	writeFile(t, conf, "k=v", 0o600)
	spec := Spec{
		Files: []File{
			{Path: "/opt/gospark/bin/app", Source: bin},              // the host file's mode
			{Path: "/etc/app/app.conf", Source: conf, Mode: 0o644},   // a mode of its own
			{Path: "/opt/gospark/examples/../bin/two", Source: conf}, // cleaned
		},
		Dirs:       map[string]int64{"/tmp": 0o1777, "/opt/gospark/work-dir": 0o1777},
		Entrypoint: []string{"/opt/gospark/bin/app"},
		Cmd:        []string{"--help"},
		Env:        []string{"PATH=/opt/gospark/bin"},
		WorkingDir: "/opt/gospark/work-dir",
		Labels:     map[string]string{"org.opencontainers.image.title": "t"},
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
	if got, want := digest(t, back), digest(t, img); got != want {
		t.Errorf("the tarball's image is %s, the built one %s", got, want)
	}
	cf, err := back.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	c := cf.Config
	if !slices.Equal(c.Entrypoint, spec.Entrypoint) || !slices.Equal(c.Cmd, spec.Cmd) || !slices.Equal(c.Env, spec.Env) ||
		c.WorkingDir != spec.WorkingDir || c.Labels["org.opencontainers.image.title"] != "t" {
		t.Errorf("config %+v", c)
	}
	if cf.OS != "linux" || cf.Architecture != runtime.GOARCH || !cf.Created.Equal(Epoch) {
		t.Errorf("os %q architecture %q created %v", cf.OS, cf.Architecture, cf.Created)
	}

	names, headers, files := contents(t, back)
	// (mutate.Extract drops the trailing slash of directory names.)
	wantNames := []string{"etc", "etc/app", "etc/app/app.conf", "opt", "opt/gospark", "opt/gospark/bin",
		"opt/gospark/bin/app", "opt/gospark/bin/two", "opt/gospark/work-dir", "tmp"}
	if !slices.Equal(names, wantNames) {
		t.Errorf("entries\n%q\nwant\n%q", names, wantNames)
	}
	const isDir, isFile = tar.TypeDir, tar.TypeReg
	type want struct {
		typ  byte
		mode int64
	}
	for n, w := range map[string]want{
		"etc": {isDir, 0o755}, "etc/app": {isDir, 0o755}, "etc/app/app.conf": {isFile, 0o644}, "opt/gospark/bin": {isDir, 0o755},
		"opt/gospark/bin/app": {isFile, 0o755}, "opt/gospark/bin/two": {isFile, 0o600},
		"opt/gospark/work-dir": {isDir, 0o1777}, "tmp": {isDir, 0o1777},
	} {
		h := headers[n]
		if h == nil {
			t.Errorf("no %s", n)
			continue
		}
		if h.Typeflag != w.typ || h.Mode != w.mode || h.Uid != 0 || h.Gid != 0 || h.Uname != "root" || !h.ModTime.Equal(Epoch) {
			t.Errorf("%s: type %c mode %o uid %d gid %d uname %q mtime %v; want type %c mode %o, root, %v",
				n, h.Typeflag, h.Mode, h.Uid, h.Gid, h.Uname, h.ModTime, w.typ, w.mode, Epoch)
		}
	}
	if files["opt/gospark/bin/app"] != "#!binary" || files["etc/app/app.conf"] != "k=v" {
		t.Errorf("contents %q", files)
	}
}

func TestBuildIsReproducible(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	writeFile(t, a, "aaa", 0o755)
	writeFile(t, b, "bbb", 0o644)
	spec := Spec{
		Files:      []File{{Path: "/x/a", Source: a}, {Path: "/y/b", Source: b}},
		Dirs:       map[string]int64{"/tmp": 0o1777, "/z": 0o700},
		Entrypoint: []string{"/x/a"},
		Labels:     map[string]string{"one": "1", "two": "2", "three": "3"},
	}
	first, err := Build(spec)
	if err != nil {
		t.Fatal(err)
	}
	// Other times on the host files and the files listed in another order
	// change nothing.
	later := time.Now().Add(time.Hour)
	for _, f := range []string{a, b} {
		if err := os.Chtimes(f, later, later); err != nil {
			t.Fatal(err)
		}
	}
	spec.Files[0], spec.Files[1] = spec.Files[1], spec.Files[0]
	again, err := Build(spec)
	if err != nil {
		t.Fatal(err)
	}
	if d1, d2 := digest(t, first), digest(t, again); d1 != d2 {
		t.Fatalf("digests differ: %s and %s", d1, d2)
	}
	// Written and read back, still the same.
	out := filepath.Join(dir, "img.tar")
	if err := WriteTarball(again, "x:1", out); err != nil {
		t.Fatal(err)
	}
	back, err := tarball.ImageFromPath(out, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d1, d2 := digest(t, first), digest(t, back); d1 != d2 {
		t.Fatalf("digest %s after the tarball, %s before", d2, d1)
	}
	// Another content, another digest.
	writeFile(t, b, "BBB", 0o644)
	changed, err := Build(spec)
	if err != nil {
		t.Fatal(err)
	}
	if digest(t, changed) == digest(t, first) {
		t.Fatal("a changed file kept the digest")
	}
}

func TestBuildRejects(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "f")
	writeFile(t, f, "x", 0o644)
	for name, spec := range map[string]Spec{
		"relative path":       {Files: []File{{Path: "bin/f", Source: f}}},
		"root":                {Dirs: map[string]int64{"/": 0o755}},
		"file twice":          {Files: []File{{Path: "/f", Source: f}, {Path: "//f", Source: f}}},
		"file and directory":  {Files: []File{{Path: "/tmp", Source: f}}, Dirs: map[string]int64{"/tmp": 0o1777}},
		"file as a parent":    {Files: []File{{Path: "/a", Source: f}, {Path: "/a/b", Source: f}}},
		"missing source":      {Files: []File{{Path: "/f", Source: filepath.Join(dir, "nope")}}},
		"directory as source": {Files: []File{{Path: "/f", Source: dir}}},
	} {
		if _, err := Build(spec); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestWriteLayout(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "f")
	writeFile(t, f, "one", 0o644)
	one, err := Build(Spec{Files: []File{{Path: "/f", Source: f}}})
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, f, "two", 0o644)
	two, err := Build(Spec{Files: []File{{Path: "/f", Source: f}}})
	if err != nil {
		t.Fatal(err)
	}
	lay := filepath.Join(dir, "layout") // created
	// a:1 is written twice and keeps the second image; b:1 is added.
	for _, w := range []struct {
		img v1.Image
		tag string
	}{{one, "a:1"}, {two, "a:1"}, {one, "b:1"}} {
		if err := WriteLayout(w.img, w.tag, lay); err != nil {
			t.Fatal(err)
		}
	}
	p, err := layout.FromPath(lay)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := p.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]v1.Hash{}
	for _, d := range m.Manifests {
		got[d.Annotations["org.opencontainers.image.ref.name"]] = d.Digest
	}
	if len(m.Manifests) != 2 || got["a:1"] != digest(t, two) || got["b:1"] != digest(t, one) {
		t.Fatalf("index %+v", m.Manifests)
	}
	back, err := p.Image(got["a:1"])
	if err != nil {
		t.Fatal(err)
	}
	if _, _, files := contents(t, back); files["f"] != "two" {
		t.Fatalf("layout image holds %q", files)
	}
}

func TestCheckTagAndFailedWrite(t *testing.T) {
	for _, good := range []string{"gospark:dev", "gospark", "localhost/gospark/pause:dev", "registry.example:5000/a/b:1.0"} {
		if err := CheckTag(good); err != nil {
			t.Errorf("%s: %v", good, err)
		}
	}
	for _, bad := range []string{"", "Not A Tag", "gospark:", "gospark@sha256:abc"} {
		if err := CheckTag(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	dir := t.TempDir()
	f := filepath.Join(dir, "f")
	writeFile(t, f, "x", 0o644)
	img, err := Build(Spec{Files: []File{{Path: "/f", Source: f}}})
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "no-such-dir", "img.tar")
	if err := WriteTarball(img, "x:1", out); err == nil {
		t.Fatal("wrote into a missing directory")
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 1 {
		t.Errorf("a failed write left %v", ents)
	}
}

func TestPush(t *testing.T) {
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	f := filepath.Join(dir, "f")
	writeFile(t, f, "pushed", 0o755)
	img, err := Build(Spec{Files: []File{{Path: "/f", Source: f}}, Entrypoint: []string{"/f"}})
	if err != nil {
		t.Fatal(err)
	}
	tag := u.Host + "/gospark/test:1" // a loopback registry: plain HTTP
	if err := Push(context.Background(), img, tag, false); err != nil {
		t.Fatal(err)
	}
	ref, err := name.NewTag(tag)
	if err != nil {
		t.Fatal(err)
	}
	pulled, err := remote.Image(ref)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := digest(t, pulled), digest(t, img); got != want {
		t.Fatalf("pulled %s, pushed %s", got, want)
	}
	if _, _, files := contents(t, pulled); files["f"] != "pushed" {
		t.Fatalf("pulled image holds %q", files)
	}
	if err := Push(context.Background(), img, "Not A Tag", false); err == nil {
		t.Fatal("a malformed tag was pushed")
	}
}

// tinyApp writes a Go main package, alone in its module, that prints msg.
func tinyApp(t *testing.T, msg string) string {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "go.mod"), "module tiny\n\ngo 1.26\n", 0o644)
	writeFile(t, filepath.Join(dir, "main.go"), "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\""+msg+"\") }\n", 0o644)
	return dir
}

// otherArch is an architecture this machine's binaries are not built for.
func otherArch() string {
	if runtime.GOARCH == "arm64" {
		return "amd64"
	}
	return "arm64"
}

func TestCheckBinaryAndGoBuild(t *testing.T) {
	ctx := context.Background()
	out := filepath.Join(t.TempDir(), "tiny")
	if err := GoBuild(ctx, tinyApp(t, "hi"), ".", out, runtime.GOARCH); err != nil {
		t.Fatal(err)
	}
	if err := CheckBinary(out, runtime.GOARCH); err != nil {
		t.Fatalf("a CGO_ENABLED=0 build fails the check: %v", err)
	}
	other := otherArch()
	if err := CheckBinary(out, other); !errors.Is(err, ErrNotStatic) {
		t.Errorf("%s binary checked for %s: %v", runtime.GOARCH, other, err)
	}
	if err := CheckBinary(out, "pdp11"); err == nil || errors.Is(err, ErrNotStatic) {
		t.Errorf("unknown architecture: %v", err)
	}
	script := filepath.Join(t.TempDir(), "script")
	writeFile(t, script, "#!/bin/sh\necho hi\n", 0o755)
	if err := CheckBinary(script, runtime.GOARCH); !errors.Is(err, ErrNotStatic) || !strings.Contains(err.Error(), "not an ELF") {
		t.Errorf("shell script: %v", err)
	}
	if err := CheckBinary(filepath.Join(t.TempDir(), "nope"), runtime.GOARCH); err == nil || errors.Is(err, ErrNotStatic) {
		t.Errorf("missing file: %v", err)
	}
	// A dynamically linked system program, where there is one.
	if sh, err := exec.LookPath("sh"); err == nil && runtime.GOOS == "linux" {
		if err := CheckBinary(sh, runtime.GOARCH); err == nil {
			t.Logf("%s is static", sh)
		} else if !errors.Is(err, ErrNotStatic) || !strings.Contains(err.Error(), "dynamically linked") {
			t.Errorf("%s: %v", sh, err)
		}
	}
	// A package that does not compile: the compiler's message is in the error.
	bad := tinyApp(t, "x")
	writeFile(t, filepath.Join(bad, "bad.go"), "package main\n\nvar x int = \"s\"\n", 0o644)
	err := GoBuild(ctx, bad, ".", filepath.Join(t.TempDir(), "bad"), runtime.GOARCH)
	if err == nil || !strings.Contains(err.Error(), "cannot use") {
		t.Errorf("broken package: %v", err)
	}
}

func TestGosparkAndPauseImages(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("runs the image's binaries")
	}
	ctx := context.Background()
	// A stand-in for the gospark binary: any static Linux executable.
	fakeGospark := filepath.Join(t.TempDir(), "gospark")
	if err := GoBuild(ctx, tinyApp(t, "i am gospark"), ".", fakeGospark, runtime.GOARCH); err != nil {
		t.Fatal(err)
	}
	img, err := Gospark(ctx, Options{
		Gospark: fakeGospark,
		Apps:    []App{{Name: "tiny", Source: tinyApp(t, "i am tiny")}},
		Cmd:     []string{"version"},
		Labels:  map[string]string{"org.opencontainers.image.version": "test"},
	})
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	c := cf.Config
	if !slices.Equal(c.Entrypoint, []string{BinPath}) || !slices.Equal(c.Cmd, []string{"version"}) ||
		!slices.Equal(c.Env, Env) || c.WorkingDir != WorkDir ||
		c.Labels["org.opencontainers.image.title"] != "gospark" || c.Labels["org.opencontainers.image.version"] != "test" {
		t.Errorf("config %+v", c)
	}
	_, headers, files := contents(t, img)
	for n, mode := range map[string]int64{
		"opt/gospark/bin/gospark": 0o755, "opt/gospark/examples/tiny": 0o755, "opt/gospark/examples": 0o755,
		"opt/gospark/work-dir": 0o1777, "tmp": 0o1777,
	} {
		if h := headers[n]; h == nil || h.Mode != mode {
			t.Errorf("%s: %+v, want mode %o", n, h, mode)
		}
	}
	if len(headers) != 8 { // opt/ opt/gospark/ bin/ gospark examples/ tiny work-dir/ tmp/
		t.Errorf("%d entries: %v", len(headers), slices.Sorted(maps.Keys(headers)))
	}
	// The binaries in the image run.
	for n, want := range map[string]string{"opt/gospark/bin/gospark": "i am gospark", "opt/gospark/examples/tiny": "i am tiny"} {
		bin := filepath.Join(t.TempDir(), "bin")
		writeFile(t, bin, files[n], 0o755)
		out, err := exec.Command(bin).Output()
		if err != nil || strings.TrimSpace(string(out)) != want {
			t.Errorf("%s: %q, %v; want %q", n, out, err, want)
		}
	}

	for _, o := range []Options{
		{Gospark: fakeGospark, Apps: []App{{"a", fakeGospark}, {"a", fakeGospark}}}, // twice
		{Gospark: fakeGospark, Apps: []App{{"sh", "/no/such/file"}}},                // missing
		{Gospark: filepath.Join(t.TempDir(), "nope")},                               // missing
		{Gospark: fakeGospark, Arch: otherArch()},                                   // wrong architecture
	} {
		if _, err := Gospark(ctx, o); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}

	// The sandbox image: cmd/pause of this module, built from source.
	pause, err := Pause(ctx, "", "")
	if err != nil {
		t.Fatal(err)
	}
	names, _, files := contents(t, pause)
	if !slices.Equal(names, []string{"pause"}) {
		t.Fatalf("the pause image holds %q", names)
	}
	pcf, err := pause.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(pcf.Config.Entrypoint, []string{PausePath}) || len(pcf.Config.Env) != 0 {
		t.Errorf("pause config %+v", pcf.Config)
	}
	bin := filepath.Join(t.TempDir(), "pause")
	writeFile(t, bin, files["pause"], 0o755)
	if err := CheckBinary(bin, runtime.GOARCH); err != nil {
		t.Error(err)
	}
}

func TestParseApp(t *testing.T) {
	if a, err := ParseApp("sparkpi=./examples/sparkpi"); err != nil || a != (App{"sparkpi", "./examples/sparkpi"}) {
		t.Errorf("%+v %v", a, err)
	}
	if a, err := ParseApp("x=a=b"); err != nil || a != (App{"x", "a=b"}) {
		t.Errorf("%+v %v", a, err)
	}
	for _, bad := range []string{"noequals", "=path", "name=", "a/b=path", "..=path", "."} {
		if _, err := ParseApp(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
