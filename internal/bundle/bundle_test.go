package bundle_test

import (
	"archive/tar"
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gospark/gospark/internal/bundle"
	"github.com/gospark/gospark/internal/bundle/bundletest"
)

func TestCheckName(t *testing.T) {
	long := strings.Repeat("a", 255)
	tests := []struct {
		name string
		rule string // "" if valid
	}{
		{"jars/app.jar", ""},
		{"files/sub/dir/x.txt", ""},
		{"x", ""},
		{".hidden/..x/x..", ""},
		{"d/" + long, ""},
		{strings.Repeat("d/", 2047) + "x", ""}, // 4095 bytes
		{"", "is empty"},
		{"/abs", "is absolute"},
		{"../x", `".." element`},
		{"a/../../x", `".." element`},
		{"files/../../x", `".." element`},
		{"..", `".." element`},
		{".", `"." element`},
		{"./x", `"." element`},
		{"a/./b", `"." element`},
		{"a//b", "not clean"},
		{"a/", "not clean"},
		{`a\..\x`, "backslash"},
		{"a\x00b", "NUL"},
		{"d/" + long + "b", "element longer than 255"},
		{strings.Repeat("d/", 2048) + "x", "longer than 4096"},
	}
	for _, tt := range tests {
		err := bundle.CheckName(tt.name)
		if tt.rule == "" {
			if err != nil {
				t.Errorf("bundle.CheckName(%.40q) = %v, want nil", tt.name, err)
			}
			continue
		}
		if !errors.Is(err, bundle.ErrBadName) || !strings.Contains(err.Error(), tt.rule) {
			t.Errorf("bundle.CheckName(%.40q) = %v, want bundle.ErrBadName saying %q", tt.name, err, tt.rule)
		}
	}
}

func TestWriteBundleDeterministicAndModes(t *testing.T) {
	files := bundletest.Files(t, bundletest.Samples)
	first := bundletest.Bytes(t, files)
	for _, f := range files {
		if err := os.Chtimes(f.Path, time.Now(), time.Now().Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	if second := bundletest.Bytes(t, files); !bytes.Equal(first, second) {
		t.Fatal("bundle.Write output depends on modification times")
	}
	entries, err := bundle.Read(bytes.NewReader(first), bundle.Limits{})
	if err != nil {
		t.Fatalf("bundle.Read: %v", err)
	}
	if len(entries) != len(bundletest.Samples) {
		t.Fatalf("got %d entries, want %d", len(entries), len(bundletest.Samples))
	}
	for i, e := range entries {
		src := bundletest.Samples[i]
		want := bundle.Entry{Name: src.Name, Size: int64(len(src.Data)), Mode: src.Mode, SHA256: bundletest.SHA256([]byte(src.Data))}
		if e != want {
			t.Errorf("entry %d = %+v, want %+v", i, e, want)
		}
	}
}

func TestWriteBundleRejects(t *testing.T) {
	ok := bundletest.Files(t, []bundletest.Source{{Name: "jars/a", Data: "a", Mode: 0o644}})[0]
	tests := []struct {
		desc  string
		files []bundle.File
		want  error
	}{
		{"bad name", []bundle.File{{Name: "../a", Path: ok.Path}}, bundle.ErrBadName},
		{"duplicate", []bundle.File{{Name: "jars/a", Path: ok.Path}, {Name: "jars/a", Path: ok.Path}}, bundle.ErrBadBundle},
		{"file and directory", []bundle.File{{Name: "jars/a", Path: ok.Path}, {Name: "jars/a/b", Path: ok.Path}}, bundle.ErrBadBundle},
		{"missing source", []bundle.File{{Name: "jars/a", Path: filepath.Join(t.TempDir(), "nope")}}, fs.ErrNotExist},
	}
	for _, tt := range tests {
		if err := bundle.Write(&bytes.Buffer{}, tt.files); !errors.Is(err, tt.want) {
			t.Errorf("%s: bundle.Write = %v, want %v", tt.desc, err, tt.want)
		}
	}
	if err := bundle.Write(&bytes.Buffer{}, []bundle.File{{Name: "jars/dir", Path: t.TempDir()}}); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("directory source: bundle.Write = %v, want a not-a-regular-file error", err)
	}
}

func TestReadBundleRejects(t *testing.T) {
	valid := bundletest.Tar(t, bundletest.Raw{Name: "jars/a", Data: "hello"}, bundletest.Raw{Name: "files/b", Data: strings.Repeat("x", 600)})
	tests := []struct {
		desc string
		data []byte
		lim  bundle.Limits
		want error
		says string
		// xwant is what bundle.Extract fails with, if not want: it may
		// trip over the filesystem first.
		xwant error
	}{
		{"dot-dot", bundletest.Tar(t, bundletest.Raw{Name: "../x", Data: "x"}), bundle.Limits{}, bundle.ErrBadName, `"../x"`, nil},
		{"absolute", bundletest.Tar(t, bundletest.Raw{Name: "/abs", Data: "x"}), bundle.Limits{}, bundle.ErrBadName, `"/abs"`, nil},
		{"inner dot-dot", bundletest.Tar(t, bundletest.Raw{Name: "a/../../x", Data: "x"}), bundle.Limits{}, bundle.ErrBadName, `"a/../../x"`, nil},
		{"files dot-dot", bundletest.Tar(t, bundletest.Raw{Name: "files/../../x", Data: "x"}), bundle.Limits{}, bundle.ErrBadName, `"files/../../x"`, nil},
		{"bad directory", bundletest.Tar(t, bundletest.Raw{Name: "../d/", Type: tar.TypeDir}), bundle.Limits{}, bundle.ErrBadName, `"../d"`, nil},
		{"symlink", bundletest.Tar(t, bundletest.Raw{Name: "files/l", Type: tar.TypeSymlink, Link: "../../etc/passwd"}), bundle.Limits{}, bundle.ErrBadBundle, "symbolic link", nil},
		{"hardlink", bundletest.Tar(t, bundletest.Raw{Name: "files/h", Type: tar.TypeLink, Link: "files/a"}), bundle.Limits{}, bundle.ErrBadBundle, "hard link", nil},
		{"device", bundletest.Tar(t, bundletest.Raw{Name: "files/d", Type: tar.TypeChar}), bundle.Limits{}, bundle.ErrBadBundle, "character device", nil},
		{"fifo", bundletest.Tar(t, bundletest.Raw{Name: "files/f", Type: tar.TypeFifo}), bundle.Limits{}, bundle.ErrBadBundle, "FIFO", nil},
		{"duplicate", bundletest.Tar(t, bundletest.Raw{Name: "jars/a"}, bundletest.Raw{Name: "jars/a"}), bundle.Limits{}, bundle.ErrBadBundle, "duplicate", nil},
		{"file and directory", bundletest.Tar(t, bundletest.Raw{Name: "jars/a/b"}, bundletest.Raw{Name: "jars/a"}), bundle.Limits{}, bundle.ErrBadBundle, `"jars/a/b" is beneath`, fs.ErrExist},
		{"too many files", valid, bundle.Limits{MaxFiles: 1}, bundle.ErrLimit, "more than 1 entries", nil},
		{"too many bytes", valid, bundle.Limits{MaxBytes: 604}, bundle.ErrLimit, `"files/b"`, nil},
		{"empty input", nil, bundle.Limits{}, bundle.ErrBadBundle, "truncated", nil},
		{"no end marker", valid[:len(valid)-1024], bundle.Limits{}, bundle.ErrBadBundle, "truncated", nil},
		{"half end marker", valid[:len(valid)-512], bundle.Limits{}, bundle.ErrBadBundle, "truncated", nil},
		{"cut in contents", valid[:512+512+512+100], bundle.Limits{}, bundle.ErrBadBundle, `"files/b"`, nil},
		{"cut in header", valid[:512+512+100], bundle.Limits{}, bundle.ErrBadBundle, "unexpected EOF", nil},
		{"garbage", bytes.Repeat([]byte("garbage!"), 200), bundle.Limits{}, bundle.ErrBadBundle, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			_, err := bundle.Read(bytes.NewReader(tt.data), tt.lim)
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.says) {
				t.Fatalf("bundle.Read = %v, want %v saying %q", err, tt.want, tt.says)
			}
			base := t.TempDir()
			dirs := map[string]string{"jars": filepath.Join(base, "t", "jars"), "files": filepath.Join(base, "t", "files"), "a": filepath.Join(base, "t", "a")}
			xwant := tt.want
			if tt.xwant != nil {
				xwant = tt.xwant
			}
			if _, err := bundle.Extract(bytes.NewReader(tt.data), dirs, tt.lim); !errors.Is(err, xwant) {
				t.Fatalf("bundle.Extract = %v, want %v", err, xwant)
			}
			bundletest.AssertNoFiles(t, base)
		})
	}
	if _, err := bundle.Read(bytes.NewReader(valid), bundle.Limits{MaxFiles: 2, MaxBytes: 605}); err != nil {
		t.Fatalf("bundle.Read at the limits: %v", err)
	}
}

func TestExtractBundle(t *testing.T) {
	data := bundletest.Bytes(t, bundletest.Files(t, bundletest.Samples))
	dirs := bundletest.ExtractSamples(t, bytes.NewReader(data))
	// Again into the same directories: existing files are refused, and
	// left alone.
	if _, err := bundle.Extract(bytes.NewReader(data), dirs, bundle.Limits{}); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("second bundle.Extract = %v, want fs.ErrExist", err)
	}
	bundletest.AssertSamples(t, dirs)
}

func TestExtractBundleRefuses(t *testing.T) {
	tests := []struct {
		desc    string
		entries []bundletest.Raw
		want    error
		says    string
	}{
		{"unknown top", []bundletest.Raw{{Name: "jars/a"}, {Name: "other/x"}}, bundle.ErrNoTarget, `"other"`},
		{"no rest", []bundletest.Raw{{Name: "jars/a"}, {Name: "files"}}, bundle.ErrNoTarget, `"files"`},
		{"through a symlinked directory", []bundletest.Raw{{Name: "jars/a"}, {Name: "files/evil/x", Data: "pwned"}}, nil, "symbolic link"},
		{"onto a symlink", []bundletest.Raw{{Name: "jars/a"}, {Name: "files/evilfile", Data: "pwned"}}, fs.ErrExist, "existing"},
		{"onto a dangling symlink", []bundletest.Raw{{Name: "jars/a"}, {Name: "files/dangling", Data: "pwned"}}, fs.ErrExist, "existing"},
		{"onto a symlinked directory", []bundletest.Raw{{Name: "jars/a"}, {Name: "files/evil", Data: "pwned"}}, fs.ErrExist, "existing"},
		{"file where a directory is needed", []bundletest.Raw{{Name: "jars/a"}, {Name: "files/plain/x"}}, nil, "is a file"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			base := t.TempDir()
			sibling := filepath.Join(base, "sibling")
			bundletest.Mkdir(t, sibling)
			files := filepath.Join(base, "t", "files")
			bundletest.Mkdir(t, files)
			mustSymlink(t, sibling, filepath.Join(files, "evil"))
			mustSymlink(t, filepath.Join(sibling, "f"), filepath.Join(files, "evilfile"))
			mustSymlink(t, filepath.Join(sibling, "nowhere", "f"), filepath.Join(files, "dangling"))
			if err := os.WriteFile(filepath.Join(files, "plain"), []byte("keep"), 0o644); err != nil {
				t.Fatal(err)
			}
			dirs := map[string]string{"jars": filepath.Join(base, "t", "jars"), "files": files}
			_, err := bundle.Extract(bytes.NewReader(bundletest.Tar(t, tt.entries...)), dirs, bundle.Limits{})
			if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) || !strings.Contains(err.Error(), tt.says) {
				t.Fatalf("bundle.Extract = %v, want %v saying %q", err, tt.want, tt.says)
			}
			if names := bundletest.DirNames(t, sibling); len(names) != 0 {
				t.Errorf("wrote through a symlink: %s holds %q", sibling, names)
			}
			// The first entry, jars/a, was written and then removed.
			if names := bundletest.DirNames(t, dirs["jars"]); len(names) != 0 {
				t.Errorf("not cleaned up: %s holds %q", dirs["jars"], names)
			}
			if got := bundletest.DirNames(t, files); strings.Join(got, " ") != "dangling evil evilfile plain" {
				t.Errorf("%s holds %q", files, got)
			}
		})
	}
}

func mustSymlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}
