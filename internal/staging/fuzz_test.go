package staging

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
)

var fuzzLimits = Limits{MaxFiles: 64, MaxBytes: 1 << 20}

// FuzzBundle feeds arbitrary bytes to ReadBundle and ExtractBundle: they
// must not panic, ExtractBundle must create nothing outside its target
// directories (and nothing at all when it fails), and they must agree:
// whatever ReadBundle accepts ExtractBundle extracts identically.
func FuzzBundle(f *testing.F) {
	f.Add(bundleBytes(f, writeSources(f, sampleSources)))
	f.Add(rawTar(f, rawEntry{name: "jars/a", data: "a"}, rawEntry{name: "files/d/", typ: tar.TypeDir}, rawEntry{name: "files/d/b", data: "b", mode: 0o755}))
	f.Add(rawTar(f, rawEntry{name: "files/" + strings.Repeat("long/", 40) + "x", data: "pax"}))
	for _, e := range []rawEntry{
		{name: "../x", data: "x"},
		{name: "/abs", data: "x"},
		{name: "a/../../x", data: "x"},
		{name: "files/../../x", data: "x"},
		{name: "files/link", typ: tar.TypeSymlink, link: "../../outside"},
		{name: "files/hl", typ: tar.TypeLink, link: "../../outside/x"},
		{name: "files/a/b"},
		{name: "top", data: "no directory"},
	} {
		f.Add(rawTar(f, rawEntry{name: "jars/ok", data: "ok"}, e, rawEntry{name: "files/a", data: "after"}))
	}
	valid := rawTar(f, rawEntry{name: "jars/a", data: "a"})
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
	entries, rerr := ReadBundle(bytes.NewReader(data), fuzzLimits)

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
	xentries, xerr := ExtractBundle(bytes.NewReader(data), dirs, fuzzLimits)

	targets := slices.Collect(maps.Values(dirs))
	err := filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		inside := slices.ContainsFunc(targets, func(dir string) bool { return p == dir || strings.HasPrefix(p, dir+string(filepath.Separator)) })
		switch {
		case p == base || p == outside || p == filepath.Join(base, "t"):
		case !inside:
			t.Errorf("ExtractBundle created %s outside its targets", p)
		case xerr != nil && !d.IsDir():
			t.Errorf("failed ExtractBundle left %s behind", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	switch {
	case rerr != nil && xerr == nil:
		t.Fatalf("ReadBundle refused (%v) what ExtractBundle accepted", rerr)
	case rerr != nil:
	case !allTops:
		if !errors.Is(xerr, ErrNoTarget) {
			t.Fatalf("entry without directory: ExtractBundle = %v, want ErrNoTarget", xerr)
		}
	case xerr != nil:
		t.Fatalf("ReadBundle accepted what ExtractBundle refused: %v", xerr)
	case !slices.Equal(entries, xentries):
		t.Fatalf("ReadBundle entries %+v, ExtractBundle entries %+v", entries, xentries)
	default:
		for _, e := range xentries {
			top, rest, _ := strings.Cut(e.Name, "/")
			p := filepath.Join(dirs[top], filepath.FromSlash(rest))
			fi, err := os.Lstat(p)
			if err != nil || fi.Size() != e.Size || fi.Mode().Perm() != e.Mode || !fi.Mode().IsRegular() {
				t.Fatalf("%s: %v %v, want %+v", p, fi, err, e)
			}
			b, err := os.ReadFile(p)
			if err != nil || sha256Hex(b) != e.SHA256 {
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

// FuzzWriteBundle checks the round trip: WriteBundle of names that pass
// CheckName (and are not duplicates or each other's directories) yields a
// bundle ReadBundle accepts with identical entries.
func FuzzWriteBundle(f *testing.F) {
	f.Add("jars/app.jar", "files/data.txt", []byte("contents"), uint8(1))
	f.Add("a", "a/b", []byte{}, uint8(0))
	f.Add("x/"+strings.Repeat("é", 100), "y/\xff\xfe", []byte("\x00\x01"), uint8(3))
	f.Add(strings.Repeat("d/", 60)+"f", "files/"+strings.Repeat("z", 255), []byte("long names"), uint8(2))
	f.Add("../x", "files/ok", []byte("x"), uint8(0))
	f.Fuzz(func(t *testing.T, a, b string, data []byte, exec uint8) {
		dir := t.TempDir()
		var files []File
		var want []Entry
		for i, name := range []string{a, b} {
			if CheckName(name) != nil {
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
			files = append(files, File{Name: name, Path: p})
			want = append(want, Entry{Name: name, Size: int64(len(content)), Mode: mode, SHA256: sha256Hex(content)})
		}
		conflict := len(files) == 2 && (a == b || strings.HasPrefix(a, b+"/") || strings.HasPrefix(b, a+"/"))
		var buf bytes.Buffer
		err := WriteBundle(&buf, files)
		if conflict {
			if !errors.Is(err, ErrBadBundle) {
				t.Fatalf("WriteBundle(%q, %q) = %v, want ErrBadBundle", a, b, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("WriteBundle(%q, %q): %v", a, b, err)
		}
		got, err := ReadBundle(bytes.NewReader(buf.Bytes()), Limits{})
		if err != nil {
			t.Fatalf("ReadBundle of WriteBundle(%q, %q): %v", a, b, err)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("ReadBundle = %+v, want %+v", got, want)
		}
	})
}
