// Package bundletest makes bundles for tests: well-formed ones from
// sources written to a temporary directory, and raw tar streams with any
// entry, to play a hostile client.
package bundletest

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gospark/gospark/internal/bundle"
)

// Source is a file to bundle: its name in the bundle, contents and mode.
type Source struct {
	Name string
	Data string
	Mode fs.FileMode
}

// Samples are sources of every kind a bundle holds: jars and files,
// executables, nested directories, an empty file.
var Samples = []Source{
	{"jars/app.jar", "PK\x03\x04 not really a jar", 0o644},
	{"jars/run.sh", "#!/bin/sh\necho hi\n", 0o755},
	{"files/data.txt", "1,2,3\n", 0o644},
	{"files/sub/dir/empty", "", 0o644},
	{"files/sub/tool", "\x7fELF", 0o755},
}

// Files writes sources under a new temporary directory and returns them
// as bundle Files.
func Files(t testing.TB, sources []Source) []bundle.File {
	t.Helper()
	dir := t.TempDir()
	var out []bundle.File
	for i, f := range sources {
		p := filepath.Join(dir, fmt.Sprintf("src%d", i))
		if err := os.WriteFile(p, []byte(f.Data), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, f.Mode); err != nil {
			t.Fatal(err)
		}
		out = append(out, bundle.File{Name: f.Name, Path: p})
	}
	return out
}

// Bytes is bundle.Write of files.
func Bytes(t testing.TB, files []bundle.File) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := bundle.Write(&buf, files); err != nil {
		t.Fatalf("bundle.Write: %v", err)
	}
	return buf.Bytes()
}

// Raw is a tar entry written as is, to craft hostile bundles. Type 0
// means a regular file, Mode 0 means 0644.
type Raw struct {
	Name string
	Type byte
	Data string
	Link string
	Mode int64
}

// Tar writes entries as a tar stream, without any checks.
func Tar(t testing.TB, entries ...Raw) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		typ := e.Type
		if typ == 0 {
			typ = tar.TypeReg
		}
		mode := e.Mode
		if mode == 0 {
			mode = 0o644
		}
		hdr := &tar.Header{Typeflag: typ, Name: e.Name, Linkname: e.Link, Mode: mode, ModTime: time.Unix(0, 0)}
		if typ == tar.TypeReg {
			hdr.Size = int64(len(e.Data))
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatalf("tar header %q: %v", e.Name, err)
		}
		if _, err := io.WriteString(tw, e.Data); err != nil && typ == tar.TypeReg {
			t.Fatalf("tar body %q: %v", e.Name, err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// SHA256 is the hex sha256 of b.
func SHA256(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// AssertNoFiles fails if anything but directories exists under root.
func AssertNoFiles(t testing.TB, root string) {
	t.Helper()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			t.Errorf("left behind: %s", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// AssertFile fails unless p is a regular file holding data with mode.
func AssertFile(t testing.TB, p, data string, mode fs.FileMode) {
	t.Helper()
	fi, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	if !fi.Mode().IsRegular() || fi.Mode().Perm() != mode {
		t.Errorf("%s: mode %v, want regular %v", p, fi.Mode(), mode)
	}
	got, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != data {
		t.Errorf("%s: contents %q, want %q", p, got, data)
	}
}

// Mkdir makes dir and its parents.
func Mkdir(t testing.TB, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
}

// DirNames lists dir, sorted.
func DirNames(t testing.TB, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	slices.Sort(names)
	return names
}

// ExtractSamples extracts a bundle of Samples into new "jars" and "files"
// directories, checks that every sample is there with its contents and
// mode, and returns the directories.
func ExtractSamples(t testing.TB, r io.Reader) map[string]string {
	t.Helper()
	base := t.TempDir()
	dirs := map[string]string{"jars": filepath.Join(base, "jars"), "files": filepath.Join(base, "files")}
	entries, err := bundle.Extract(r, dirs, bundle.Limits{})
	if err != nil {
		t.Fatalf("bundle.Extract: %v", err)
	}
	if len(entries) != len(Samples) {
		t.Fatalf("%d entries, want %d", len(entries), len(Samples))
	}
	AssertSamples(t, dirs)
	return dirs
}

// AssertSamples checks that dirs hold every sample with its contents and
// mode.
func AssertSamples(t testing.TB, dirs map[string]string) {
	t.Helper()
	for _, src := range Samples {
		top, rest, _ := strings.Cut(src.Name, "/")
		AssertFile(t, filepath.Join(dirs[top], rest), src.Data, src.Mode)
	}
}
