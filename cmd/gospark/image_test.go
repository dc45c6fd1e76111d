package main

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"log"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/gospark/gospark/internal/image"
)

// tinyApp writes a Go main package, alone in its module, that prints msg.
func tinyApp(t *testing.T, msg string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range map[string]string{
		"go.mod":  "module tiny\n\ngo 1.26\n",
		"main.go": "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"" + msg + "\") }\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// gospark runs the command line and returns its exit code and output.
func gospark(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// imageFiles reads an image's files and their headers.
func imageFiles(t *testing.T, img v1.Image) (map[string]*tar.Header, map[string][]byte) {
	t.Helper()
	headers, files := map[string]*tar.Header{}, map[string][]byte{}
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return headers, files
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		headers[h.Name], files[h.Name] = h, b
	}
}

var digestRE = regexp.MustCompile(`sha256:[0-9a-f]{64}`)

func TestImageBuild(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("runs the image's binaries")
	}
	dir := t.TempDir()
	// The gospark binary of the image: a stand-in, any static Linux binary.
	fake := filepath.Join(dir, "gospark-linux")
	if err := image.GoBuild(context.Background(), tinyApp(t, "fake gospark"), ".", fake, runtime.GOARCH); err != nil {
		t.Fatal(err)
	}
	app := tinyApp(t, "tiny app ran")
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	tag := u.Host + "/gospark:t"
	out, lay := filepath.Join(dir, "img.tar"), filepath.Join(dir, "layout")

	code, stdout, stderr := gospark(t, "image", "build", "--tag", tag, "--output", out, "--oci-layout", lay, "--push",
		"--gospark", fake, "--app", "tiny="+app, "--cmd", "version", "--label", "org.example/k=v")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	digests := digestRE.FindAllString(stdout, -1)
	if len(digests) != 3 || digests[0] != digests[1] || digests[1] != digests[2] {
		t.Fatalf("stdout does not give one digest three times:\n%s", stdout)
	}

	// The tarball holds the image under its tag.
	ref, err := name.NewTag(tag)
	if err != nil {
		t.Fatal(err)
	}
	img, err := tarball.ImageFromPath(out, &ref)
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := img.Digest(); d.String() != digests[0] {
		t.Errorf("tarball image %s, printed %s", d, digests[0])
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	c := cf.Config
	if !slices.Equal(c.Entrypoint, []string{"/opt/gospark/bin/gospark"}) || !slices.Equal(c.Cmd, []string{"version"}) ||
		c.WorkingDir != "/opt/gospark/work-dir" || c.Labels["org.example/k"] != "v" || cf.OS != "linux" || cf.Architecture != runtime.GOARCH {
		t.Errorf("config %+v", cf)
	}
	if !slices.ContainsFunc(c.Env, func(e string) bool {
		return strings.HasPrefix(e, "PATH=/opt/gospark/bin:/opt/gospark/examples:")
	}) {
		t.Errorf("env %q", c.Env)
	}
	headers, files := imageFiles(t, img)
	fakeBytes, err := os.ReadFile(fake)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(files["opt/gospark/bin/gospark"], fakeBytes) {
		t.Error("the image's gospark is not the --gospark binary")
	}
	for n, mode := range map[string]int64{"opt/gospark/bin/gospark": 0o755, "opt/gospark/examples/tiny": 0o755, "tmp": 0o1777} {
		if h := headers[n]; h == nil || h.Mode != mode {
			t.Errorf("%s: %+v, want mode %o", n, h, mode)
		}
	}
	if _, ok := headers["etc/passwd"]; ok {
		t.Error("the image has an /etc/passwd")
	}
	// The application was built static, for Linux, and runs.
	bin := filepath.Join(dir, "tiny")
	if err := os.WriteFile(bin, files["opt/gospark/examples/tiny"], 0o755); err != nil {
		t.Fatal(err)
	}
	if err := image.CheckBinary(bin, runtime.GOARCH); err != nil {
		t.Error(err)
	}
	if b, err := exec.Command(bin).Output(); err != nil || string(b) != "tiny app ran\n" {
		t.Errorf("the image's tiny: %q, %v", b, err)
	}

	// The same image is in the OCI layout and in the registry.
	p, err := layout.FromPath(lay)
	if err != nil {
		t.Fatal(err)
	}
	h, err := v1.NewHash(digests[0])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Image(h); err != nil {
		t.Errorf("OCI layout: %v", err)
	}
	pulled, err := remote.Image(ref)
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := pulled.Digest(); d != h {
		t.Errorf("registry has %s, want %s", d, h)
	}

	// Built again, from the same sources, the image is the same.
	code, stdout, stderr = gospark(t, "image", "build", "--tag", tag, "--output", filepath.Join(dir, "again.tar"),
		"--gospark", fake, "--app", "tiny="+app, "--cmd", "version", "--label", "org.example/k=v")
	if code != 0 || digestRE.FindString(stdout) != digests[0] {
		t.Errorf("second build: exit %d, %s%s; want digest %s", code, stdout, stderr, digests[0])
	}
}

func TestImageBuildPause(t *testing.T) {
	out := filepath.Join(t.TempDir(), "pause.tar")
	code, stdout, stderr := gospark(t, "image", "build", "--pause", "--output", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, image.DefaultPauseTag) {
		t.Errorf("stdout %q does not name %s", stdout, image.DefaultPauseTag)
	}
	ref, err := name.NewTag(image.DefaultPauseTag)
	if err != nil {
		t.Fatal(err)
	}
	img, err := tarball.ImageFromPath(out, &ref)
	if err != nil {
		t.Fatal(err)
	}
	headers, files := imageFiles(t, img)
	if len(headers) != 1 || headers["pause"] == nil || headers["pause"].Mode != 0o755 {
		t.Fatalf("the pause image holds %v", headers)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cf.Config.Entrypoint, []string{"/pause"}) {
		t.Errorf("entrypoint %q", cf.Config.Entrypoint)
	}
	bin := filepath.Join(t.TempDir(), "pause")
	if err := os.WriteFile(bin, files["pause"], 0o755); err != nil {
		t.Fatal(err)
	}
	if err := image.CheckBinary(bin, runtime.GOARCH); err != nil {
		t.Error(err)
	}
}

func TestImageBuildErrors(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "script")
	if err := os.WriteFile(script, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "x.tar")
	other := "arm64"
	if runtime.GOARCH == other {
		other = "amd64"
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--tag", "x:1"}, "[output oci-layout push]"},
		{[]string{"--output", out, "--app", "noequals"}, "NAME=PATH"},
		{[]string{"--output", out, "--app", "a/b=" + dir}, "cannot be a file name"},
		{[]string{"--output", out, "--gospark", script}, "not a static Linux executable"},
		{[]string{"--output", out, "--gospark", script + "-missing"}, "no such file"},
		{[]string{"--output", out, "--pause", "--app", "x=" + script}, "[app pause]"},
		{[]string{"--output", out, "--label", "novalue", "--gospark", script}, "KEY=VALUE"},
		{[]string{"--output", out, "--pause", "--pause-bin", script}, "not a static Linux executable"},
		{[]string{"--output", out, "--tag", "Not A Tag", "--gospark", script}, `tag "Not A Tag"`},
		{[]string{"extra"}, "unknown command"},
		{[]string{"--output", out, "--gospark-py", script}, "need --python"},
		{[]string{"--output", out, "--pause", "--python"}, "[pause python]"},
		{[]string{"--output", out, "--python", "--arch", other}, "this machine's Debian packages"},
	} {
		code, _, stderr := gospark(t, append([]string{"image", "build"}, tt.args...)...)
		if code == 0 || !strings.Contains(stderr, tt.want) {
			t.Errorf("%q: exit %d, stderr %q; want it to say %q", tt.args, code, stderr, tt.want)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a failed build wrote its output")
	}
}
