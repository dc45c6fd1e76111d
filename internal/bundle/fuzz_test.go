package bundle_test

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gospark/gospark/internal/bundle"
	"github.com/gospark/gospark/internal/bundle/bundletest"
)

var fuzzLimits = bundle.Limits{MaxFiles: 64, MaxBytes: 1 << 20}

// FuzzBundle feeds arbitrary bytes to bundle.Read and bundle.Extract: they
// must not panic, bundle.Extract must create nothing outside its target
// directories (and nothing at all when it fails), and they must agree:
// whatever bundle.Read accepts bundle.Extract extracts identically.
func FuzzBundle(f *testing.F) {
	f.Add(bundletest.Bytes(f, bundletest.Files(f, bundletest.Samples)))
	f.Add(bundletest.Tar(f, bundletest.Raw{Name: "jars/a", Data: "a"}, bundletest.Raw{Name: "files/d/", Type: tar.TypeDir}, bundletest.Raw{Name: "files/d/b", Data: "b", Mode: 0o755}))
	f.Add(bundletest.Tar(f, bundletest.Raw{Name: "files/" + strings.Repeat("long/", 40) + "x", Data: "pax"}))
	for _, e := range []bundletest.Raw{
		{Name: "../x", Data: "x"},
		{Name: "/abs", Data: "x"},
		{Name: "a/../../x", Data: "x"},
		{Name: "files/../../x", Data: "x"},
		{Name: "files/link", Type: tar.TypeSymlink, Link: "../../outside"},
		{Name: "files/hl", Type: tar.TypeLink, Link: "../../outside/x"},
		{Name: "files/a/b"},
		{Name: "top", Data: "no directory"},
	} {
		f.Add(bundletest.Tar(f, bundletest.Raw{Name: "jars/ok", Data: "ok"}, e, bundletest.Raw{Name: "files/a", Data: "after"}))
	}
	valid := bundletest.Tar(f, bundletest.Raw{Name: "jars/a", Data: "a"})
	f.Add(valid[:len(valid)-512])
	f.Add([]byte{})
	// Structured seeds (see structuredTar): "jars/a" = "hi", a directory
	// "files/", an executable "files/b/c" = "x", then "files/../a".
	f.Add([]byte{0, 3, 2, 7, 2, 0, 'h', 'i', 4, 2, 0, 8, 2, 7, 5, 1, 8, 2, 1, 2, 11, 'x', 0, 5, 0, 8, 2, 4, 2, 0})

	f.Fuzz(func(t *testing.T, data []byte) {
		checkBundle(t, data)
		// Random bytes seldom get past tar's header checksums; also read
		// them as a list of entries, written as a well-formed tar.
		if st := structuredTar(data); st != nil {
			checkBundle(t, st)
		}
	})
}

// checkBundle checks the FuzzBundle properties on data.
func checkBundle(t *testing.T, data []byte) {
	t.Helper()
	entries, rerr := bundle.Read(bytes.NewReader(data), fuzzLimits)

	base := t.TempDir()
	outside := filepath.Join(base, "outside")
	if err := os.Mkdir(outside, 0o755); err != nil {
		t.Fatal(err)
	}
	dirs := map[string]string{"jars": filepath.Join(base, "t", "d0"), "files": filepath.Join(base, "t", "d1")}
	allTops := true
	for _, e := range entries {
		top, _, ok := strings.Cut(e.Name, "/")
		if !ok {
			allTops = false
			continue
		}
		if _, ok := dirs[top]; !ok {
			dirs[top] = filepath.Join(base, "t", fmt.Sprintf("d%d", len(dirs)))
		}
	}
	xentries, xerr := bundle.Extract(bytes.NewReader(data), dirs, fuzzLimits)

	targets := slices.Collect(maps.Values(dirs))
	err := filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		inside := slices.ContainsFunc(targets, func(dir string) bool { return p == dir || strings.HasPrefix(p, dir+string(filepath.Separator)) })
		switch {
		case p == base || p == outside || p == filepath.Join(base, "t"):
		case !inside:
			t.Errorf("bundle.Extract created %s outside its targets", p)
		case xerr != nil && !d.IsDir():
			t.Errorf("failed bundle.Extract left %s behind", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	switch {
	case rerr != nil && xerr == nil:
		t.Fatalf("bundle.Read refused (%v) what bundle.Extract accepted", rerr)
	case rerr != nil:
	case !allTops:
		if !errors.Is(xerr, bundle.ErrNoTarget) {
			t.Fatalf("entry without directory: bundle.Extract = %v, want bundle.ErrNoTarget", xerr)
		}
	case xerr != nil:
		t.Fatalf("bundle.Read accepted what bundle.Extract refused: %v", xerr)
	case !slices.Equal(entries, xentries):
		t.Fatalf("bundle.Read entries %+v, bundle.Extract entries %+v", entries, xentries)
	default:
		for _, e := range xentries {
			top, rest, _ := strings.Cut(e.Name, "/")
			p := filepath.Join(dirs[top], filepath.FromSlash(rest))
			fi, err := os.Lstat(p)
			if err != nil || fi.Size() != e.Size || fi.Mode().Perm() != e.Mode || !fi.Mode().IsRegular() {
				t.Fatalf("%s: %v %v, want %+v", p, fi, err, e)
			}
			b, err := os.ReadFile(p)
			if err != nil || bundletest.SHA256(b) != e.SHA256 {
				t.Fatalf("%s: contents differ from %+v (%v)", p, e, err)
			}
		}
	}
}

// nameTokens are what structured entry names are made of.
var nameTokens = []string{"a", "b", "/", ".", "..", "\\", "\x00", "jars", "files", strings.Repeat("L", 100), "/", "c"}

// structuredTar reads data as entries, each a kind byte, a name length
// byte, a contents length byte, name tokens and contents, and writes them
// with tar.Writer, leaving out headers it cannot encode.
func structuredTar(data []byte) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	take := func(n int) []byte {
		n = min(n, len(data))
		b := data[:n]
		data = data[n:]
		return b
	}
	for n := 0; len(data) >= 3 && n < 16; n++ {
		kind, nameLen, dataLen := data[0], int(data[1]%12), int(data[2]%40)
		data = data[3:]
		var name strings.Builder
		for _, b := range take(nameLen) {
			name.WriteString(nameTokens[int(b)%len(nameTokens)])
		}
		contents := take(dataLen)
		hdr := &tar.Header{Name: name.String(), Mode: 0o644, ModTime: time.Unix(0, 0)}
		switch kind % 8 {
		case 4:
			hdr.Typeflag = tar.TypeDir
		case 5:
			hdr.Typeflag, hdr.Linkname = tar.TypeSymlink, "../x"
		case 6:
			hdr.Typeflag, hdr.Linkname = tar.TypeLink, "jars/a"
		case 7:
			hdr.Typeflag, hdr.Mode, hdr.Size = tar.TypeReg, 0o700, int64(len(contents))
		default:
			hdr.Typeflag, hdr.Size = tar.TypeReg, int64(len(contents))
		}
		if tw.WriteHeader(hdr) != nil {
			continue // e.g. a file name with a trailing slash; not sticky
		}
		if hdr.Size > 0 {
			if _, err := tw.Write(contents); err != nil {
				return nil
			}
		}
	}
	if tw.Close() != nil {
		return nil
	}
	return buf.Bytes()
}

// FuzzWriteBundle checks the round trip: bundle.Write of names that pass
// bundle.CheckName (and are not duplicates or each other's directories) yields a
// bundle that bundle.Read accepts with identical entries.
func FuzzWriteBundle(f *testing.F) {
	f.Add("jars/app.jar", "files/data.txt", []byte("contents"), uint8(1))
	f.Add("a", "a/b", []byte{}, uint8(0))
	f.Add("x/"+strings.Repeat("é", 100), "y/\xff\xfe", []byte("\x00\x01"), uint8(3))
	f.Add(strings.Repeat("d/", 60)+"f", "files/"+strings.Repeat("z", 255), []byte("long names"), uint8(2))
	f.Add("../x", "files/ok", []byte("x"), uint8(0))
	f.Fuzz(func(t *testing.T, a, b string, data []byte, exec uint8) {
		dir := t.TempDir()
		var files []bundle.File
		var want []bundle.Entry
		for i, name := range []string{a, b} {
			if bundle.CheckName(name) != nil {
				continue
			}
			content := data
			if i == 1 {
				content = bytes.Repeat(data, 2)
			}
			mode := fs.FileMode(0o644)
			if exec&(1<<i) != 0 {
				mode = 0o755
			}
			p := filepath.Join(dir, fmt.Sprintf("f%d", i))
			if err := os.WriteFile(p, content, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(p, mode); err != nil {
				t.Fatal(err)
			}
			files = append(files, bundle.File{Name: name, Path: p})
			want = append(want, bundle.Entry{Name: name, Size: int64(len(content)), Mode: mode, SHA256: bundletest.SHA256(content)})
		}
		conflict := len(files) == 2 && (a == b || strings.HasPrefix(a, b+"/") || strings.HasPrefix(b, a+"/"))
		var buf bytes.Buffer
		err := bundle.Write(&buf, files)
		if conflict {
			if !errors.Is(err, bundle.ErrBadBundle) {
				t.Fatalf("bundle.Write(%q, %q) = %v, want bundle.ErrBadBundle", a, b, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("bundle.Write(%q, %q): %v", a, b, err)
		}
		got, err := bundle.Read(bytes.NewReader(buf.Bytes()), bundle.Limits{})
		if err != nil {
			t.Fatalf("bundle.Read of bundle.Write(%q, %q): %v", a, b, err)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("bundle.Read = %+v, want %+v", got, want)
		}
	})
}
