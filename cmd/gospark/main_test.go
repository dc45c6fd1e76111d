package main

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

func TestRun(t *testing.T) {
	t.Chdir(t.TempDir())
	t.Setenv("SPARK_CONF_DIR", "")
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{"version", []string{"version"}, 0, "gospark ", ""},
		{"version takes no arguments", []string{"version", "x"}, 1, "", "unknown command"},
		{"root help", []string{"--help"}, 0, "submit", ""},
		{"submit help", []string{"submit", "--help"}, 0, "Usage: gospark submit [options]", ""},
		{"help submit", []string{"help", "submit"}, 0, "Usage: gospark submit [options]", ""},
		{"submit passes its own flags through", []string{"submit", "--executor-memory", "abc", "app"}, 1, "",
			`gospark submit: error: --executor-memory: property spark.executor.memory`},
		{"submit unknown option", []string{"submit", "--nope"}, 1, "", "unknown option --nope"},
		{"unknown command", []string{"frobnicate"}, 1, "", `gospark: unknown command "frobnicate"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tt.args, &stdout, &stderr)
			if code != tt.wantCode {
				t.Errorf("code %d, want %d; stderr: %s", code, tt.wantCode, stderr.String())
			}
			if !strings.Contains(stdout.String(), tt.wantStdout) {
				t.Errorf("stdout lacks %q:\n%s", tt.wantStdout, stdout.String())
			}
			if !strings.Contains(stderr.String(), tt.wantStderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.wantStderr, stderr.String())
			}
		})
	}
}

func TestImageBuild(t *testing.T) {
	dir := t.TempDir()
	fake := filepath.Join(dir, "gospark-linux")
	app := filepath.Join(dir, "myapp")
	for _, f := range []string{fake, app} {
		if err := os.WriteFile(f, []byte(filepath.Base(f)), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(dir, "img.tar")
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"image", "build", "--tag", "gospark:t", "--output", out,
		"--gospark", fake, "--app", "myapp=" + app}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	img, err := tarball.ImageFromPath(out, nil)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if len(cf.Config.Entrypoint) != 1 || cf.Config.Entrypoint[0] != "/opt/gospark/bin/gospark" {
		t.Fatalf("entrypoint %v", cf.Config.Entrypoint)
	}
	files := map[string]string{}
	tr := tar.NewReader(mutate.Extract(img))
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		b, _ := io.ReadAll(tr)
		files[h.Name] = string(b)
	}
	if files["opt/gospark/bin/gospark"] != "gospark-linux" || files["opt/gospark/examples/myapp"] != "myapp" {
		t.Fatalf("image files %v", files)
	}
	for _, bad := range [][]string{
		{"image", "build", "--tag", "x:1"},
		{"image", "build", "--tag", "x:1", "--output", out, "--app", "noequals"},
	} {
		stderr.Reset()
		if code := run(context.Background(), bad, &stdout, &stderr); code == 0 {
			t.Fatalf("%v: exit 0", bad)
		}
		if !strings.Contains(stderr.String(), "--output") && !strings.Contains(stderr.String(), "NAME=PATH") {
			t.Fatalf("%v: stderr %q does not say what is wrong", bad, stderr.String())
		}
	}
}
