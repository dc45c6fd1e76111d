package staging

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
		err := CheckName(tt.name)
		if tt.rule == "" {
			if err != nil {
				t.Errorf("CheckName(%.40q) = %v, want nil", tt.name, err)
			}
			continue
		}
		if !errors.Is(err, ErrBadName) || !strings.Contains(err.Error(), tt.rule) {
			t.Errorf("CheckName(%.40q) = %v, want ErrBadName saying %q", tt.name, err, tt.rule)
		}
	}
}

func TestWriteBundleDeterministicAndModes(t *testing.T) {
	files := writeSources(t, sampleSources)
	first := bundleBytes(t, files)
	for _, f := range files {
		if err := os.Chtimes(f.Path, time.Now(), time.Now().Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	if second := bundleBytes(t, files); !bytes.Equal(first, second) {
		t.Fatal("WriteBundle output depends on modification times")
	}
	entries, err := ReadBundle(bytes.NewReader(first), Limits{})
	if err != nil {
		t.Fatalf("ReadBundle: %v", err)
	}
	if len(entries) != len(sampleSources) {
		t.Fatalf("got %d entries, want %d", len(entries), len(sampleSources))
	}
	for i, e := range entries {
		src := sampleSources[i]
		want := Entry{Name: src.name, Size: int64(len(src.data)), Mode: src.mode, SHA256: sha256Hex([]byte(src.data))}
		if e != want {
			t.Errorf("entry %d = %+v, want %+v", i, e, want)
		}
	}
}

func TestWriteBundleRejects(t *testing.T) {
	ok := writeSources(t, []srcFile{{"jars/a", "a", 0o644}})[0]
	tests := []struct {
		desc  string
		files []File
		want  error
	}{
		{"bad name", []File{{Name: "../a", Path: ok.Path}}, ErrBadName},
		{"duplicate", []File{{Name: "jars/a", Path: ok.Path}, {Name: "jars/a", Path: ok.Path}}, ErrBadBundle},
		{"file and directory", []File{{Name: "jars/a", Path: ok.Path}, {Name: "jars/a/b", Path: ok.Path}}, ErrBadBundle},
		{"missing source", []File{{Name: "jars/a", Path: filepath.Join(t.TempDir(), "nope")}}, fs.ErrNotExist},
	}
	for _, tt := range tests {
		if err := WriteBundle(&bytes.Buffer{}, tt.files); !errors.Is(err, tt.want) {
			t.Errorf("%s: WriteBundle = %v, want %v", tt.desc, err, tt.want)
		}
	}
	if err := WriteBundle(&bytes.Buffer{}, []File{{Name: "jars/dir", Path: t.TempDir()}}); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("directory source: WriteBundle = %v, want a not-a-regular-file error", err)
	}
}

func TestReadBundleRejects(t *testing.T) {
	valid := rawTar(t, rawEntry{name: "jars/a", data: "hello"}, rawEntry{name: "files/b", data: strings.Repeat("x", 600)})
	tests := []struct {
		desc string
		data []byte
		lim  Limits
		want error
		says string
		// xwant is what ExtractBundle fails with, if not want: it may
		// trip over the filesystem first.
		xwant error
	}{
		{"dot-dot", rawTar(t, rawEntry{name: "../x", data: "x"}), Limits{}, ErrBadName, `"../x"`, nil},
		{"absolute", rawTar(t, rawEntry{name: "/abs", data: "x"}), Limits{}, ErrBadName, `"/abs"`, nil},
		{"inner dot-dot", rawTar(t, rawEntry{name: "a/../../x", data: "x"}), Limits{}, ErrBadName, `"a/../../x"`, nil},
		{"files dot-dot", rawTar(t, rawEntry{name: "files/../../x", data: "x"}), Limits{}, ErrBadName, `"files/../../x"`, nil},
		{"bad directory", rawTar(t, rawEntry{name: "../d/", typ: tar.TypeDir}), Limits{}, ErrBadName, `"../d"`, nil},
		{"symlink", rawTar(t, rawEntry{name: "files/l", typ: tar.TypeSymlink, link: "../../etc/passwd"}), Limits{}, ErrBadBundle, "symbolic link", nil},
		{"hardlink", rawTar(t, rawEntry{name: "files/h", typ: tar.TypeLink, link: "files/a"}), Limits{}, ErrBadBundle, "hard link", nil},
		{"device", rawTar(t, rawEntry{name: "files/d", typ: tar.TypeChar}), Limits{}, ErrBadBundle, "character device", nil},
		{"fifo", rawTar(t, rawEntry{name: "files/f", typ: tar.TypeFifo}), Limits{}, ErrBadBundle, "FIFO", nil},
		{"duplicate", rawTar(t, rawEntry{name: "jars/a"}, rawEntry{name: "jars/a"}), Limits{}, ErrBadBundle, "duplicate", nil},
		{"file and directory", rawTar(t, rawEntry{name: "jars/a/b"}, rawEntry{name: "jars/a"}), Limits{}, ErrBadBundle, `"jars/a/b" is beneath`, fs.ErrExist},
		{"too many files", valid, Limits{MaxFiles: 1}, ErrLimit, "more than 1 entries", nil},
		{"too many bytes", valid, Limits{MaxBytes: 604}, ErrLimit, `"files/b"`, nil},
		{"empty input", nil, Limits{}, ErrBadBundle, "truncated", nil},
		{"no end marker", valid[:len(valid)-1024], Limits{}, ErrBadBundle, "truncated", nil},
		{"half end marker", valid[:len(valid)-512], Limits{}, ErrBadBundle, "truncated", nil},
		{"cut in contents", valid[:512+512+512+100], Limits{}, ErrBadBundle, `"files/b"`, nil},
		{"cut in header", valid[:512+512+100], Limits{}, ErrBadBundle, "unexpected EOF", nil},
		{"garbage", bytes.Repeat([]byte("garbage!"), 200), Limits{}, ErrBadBundle, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			_, err := ReadBundle(bytes.NewReader(tt.data), tt.lim)
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.says) {
				t.Fatalf("ReadBundle = %v, want %v saying %q", err, tt.want, tt.says)
			}
			base := t.TempDir()
			dirs := map[string]string{"jars": filepath.Join(base, "t", "jars"), "files": filepath.Join(base, "t", "files"), "a": filepath.Join(base, "t", "a")}
			xwant := tt.want
			if tt.xwant != nil {
				xwant = tt.xwant
			}
			if _, err := ExtractBundle(bytes.NewReader(tt.data), dirs, tt.lim); !errors.Is(err, xwant) {
				t.Fatalf("ExtractBundle = %v, want %v", err, xwant)
			}
			assertNoFiles(t, base)
		})
	}
	if _, err := ReadBundle(bytes.NewReader(valid), Limits{MaxFiles: 2, MaxBytes: 605}); err != nil {
		t.Fatalf("ReadBundle at the limits: %v", err)
	}
}

// assertNoFiles fails if anything but directories exists under root.
func assertNoFiles(t *testing.T, root string) {
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

func TestExtractBundle(t *testing.T) {
	base := t.TempDir()
	dirs := map[string]string{"jars": filepath.Join(base, "jars"), "files": filepath.Join(base, "files")}
	data := bundleBytes(t, writeSources(t, sampleSources))
	entries, err := ExtractBundle(bytes.NewReader(data), dirs, Limits{})
	if err != nil {
		t.Fatalf("ExtractBundle: %v", err)
	}
	if len(entries) != len(sampleSources) {
		t.Fatalf("%d entries, want %d", len(entries), len(sampleSources))
	}
	for _, src := range sampleSources {
		top, rest, _ := strings.Cut(src.name, "/")
		assertFile(t, filepath.Join(dirs[top], rest), src.data, src.mode)
	}
	// Again into the same directories: existing files are refused, and
	// left alone.
	if _, err := ExtractBundle(bytes.NewReader(data), dirs, Limits{}); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("second ExtractBundle = %v, want fs.ErrExist", err)
	}
	for _, src := range sampleSources {
		top, rest, _ := strings.Cut(src.name, "/")
		assertFile(t, filepath.Join(dirs[top], rest), src.data, src.mode)
	}
}

func assertFile(t *testing.T, p, data string, mode fs.FileMode) {
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

func TestExtractBundleRefuses(t *testing.T) {
	tests := []struct {
		desc    string
		entries []rawEntry
		want    error
		says    string
	}{
		{"unknown top", []rawEntry{{name: "jars/a"}, {name: "other/x"}}, ErrNoTarget, `"other"`},
		{"no rest", []rawEntry{{name: "jars/a"}, {name: "files"}}, ErrNoTarget, `"files"`},
		{"through a symlinked directory", []rawEntry{{name: "jars/a"}, {name: "files/evil/x", data: "pwned"}}, nil, "symbolic link"},
		{"onto a symlink", []rawEntry{{name: "jars/a"}, {name: "files/evilfile", data: "pwned"}}, fs.ErrExist, "existing"},
		{"onto a dangling symlink", []rawEntry{{name: "jars/a"}, {name: "files/dangling", data: "pwned"}}, fs.ErrExist, "existing"},
		{"onto a symlinked directory", []rawEntry{{name: "jars/a"}, {name: "files/evil", data: "pwned"}}, fs.ErrExist, "existing"},
		{"file where a directory is needed", []rawEntry{{name: "jars/a"}, {name: "files/plain/x"}}, nil, "is a file"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			base := t.TempDir()
			sibling := filepath.Join(base, "sibling")
			mustMkdir(t, sibling)
			files := filepath.Join(base, "t", "files")
			mustMkdir(t, files)
			mustSymlink(t, sibling, filepath.Join(files, "evil"))
			mustSymlink(t, filepath.Join(sibling, "f"), filepath.Join(files, "evilfile"))
			mustSymlink(t, filepath.Join(sibling, "nowhere", "f"), filepath.Join(files, "dangling"))
			if err := os.WriteFile(filepath.Join(files, "plain"), []byte("keep"), 0o644); err != nil {
				t.Fatal(err)
			}
			dirs := map[string]string{"jars": filepath.Join(base, "t", "jars"), "files": files}
			_, err := ExtractBundle(bytes.NewReader(rawTar(t, tt.entries...)), dirs, Limits{})
			if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) || !strings.Contains(err.Error(), tt.says) {
				t.Fatalf("ExtractBundle = %v, want %v saying %q", err, tt.want, tt.says)
			}
			if names := dirNames(t, sibling); len(names) != 0 {
				t.Errorf("wrote through a symlink: %s holds %q", sibling, names)
			}
			// The first entry, jars/a, was written and then removed.
			if names := dirNames(t, dirs["jars"]); len(names) != 0 {
				t.Errorf("not cleaned up: %s holds %q", dirs["jars"], names)
			}
			if got := dirNames(t, files); strings.Join(got, " ") != "dangling evil evilfile plain" {
				t.Errorf("%s holds %q", files, got)
			}
		})
	}
}

func mustMkdir(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
}

func mustSymlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}
