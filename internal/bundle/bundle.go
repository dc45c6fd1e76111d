// Package bundle is the format in which gospark submit ships an
// application's local files to the resource staging server, and the
// init-container unpacks them: an uncompressed tar stream of regular files
// with clean, relative, slash-separated names such as "jars/app" or
// "files/data.txt". Write makes one deterministically; Read validates one
// as untrusted input; Extract unpacks one under a directory per top-level
// element, never writing outside them, not even through symlinks already
// there. It imports nothing beyond the standard library, so that its fuzz
// tests run fast.
package bundle

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"time"
)

const (
	defaultMaxFiles = 10000
	defaultMaxBytes = 1 << 30

	maxNameLen    = 4096
	maxElementLen = 255

	// tarBlock is the tar block size; an archive ends with two zero blocks.
	tarBlock = 512
)

var (
	// ErrBadName marks a bundle entry name that CheckName refuses.
	ErrBadName = errors.New("unsafe bundle entry name")
	// ErrBadBundle marks a bundle that is not a well-formed tar stream of
	// regular files with distinct names.
	ErrBadBundle = errors.New("invalid bundle")
	// ErrLimit marks a bundle exceeding Limits.
	ErrLimit = errors.New("bundle limit exceeded")
	// ErrNoTarget marks an entry Extract has no directory for.
	ErrNoTarget = errors.New("no target directory for bundle entry")
)

// File is a local file to put in a bundle.
type File struct {
	Name string // slash-separated relative name inside the bundle, e.g. "jars/sparkpi", "files/data.txt"
	Path string // source file on the local disk
}

// Limits bound what Read and Extract accept.
type Limits struct {
	// MaxFiles bounds the number of entries, directories included;
	// 0 (or less) means 10000.
	MaxFiles int
	// MaxBytes bounds the total bytes of file contents; 0 (or less) means
	// 1 GiB.
	MaxBytes int64
}

func (l Limits) withDefaults() Limits {
	if l.MaxFiles <= 0 {
		l.MaxFiles = defaultMaxFiles
	}
	if l.MaxBytes <= 0 {
		l.MaxBytes = defaultMaxBytes
	}
	return l
}

// Entry is a file in a bundle.
type Entry struct {
	Name   string
	Size   int64
	Mode   fs.FileMode // 0755 or 0644
	SHA256 string      // hex
}

// CheckName reports whether name is a safe bundle name: non-empty,
// relative, slash-separated, already clean (path.Clean(name) == name), no
// "." or ".." element, no backslash, no NUL, at most 255 bytes per element
// and 4096 in all. The error, wrapping ErrBadName, says which rule the name
// breaks.
func CheckName(name string) error {
	bad := func(rule string) error {
		return fmt.Errorf("%w: %q %s", ErrBadName, name, rule)
	}
	switch {
	case name == "":
		return bad("is empty")
	case len(name) > maxNameLen:
		return bad(fmt.Sprintf("is longer than %d bytes", maxNameLen))
	case strings.IndexByte(name, 0) >= 0:
		return bad("contains a NUL byte")
	case strings.IndexByte(name, '\\') >= 0:
		return bad("contains a backslash")
	case name[0] == '/':
		return bad("is absolute")
	}
	for elem := range strings.SplitSeq(name, "/") {
		switch {
		case elem == ".":
			return bad(`has a "." element`)
		case elem == "..":
			return bad(`has a ".." element`)
		case len(elem) > maxElementLen:
			return bad(fmt.Sprintf("has an element longer than %d bytes", maxElementLen))
		}
	}
	if c := path.Clean(name); c != name {
		return bad(fmt.Sprintf("is not clean (clean form %q)", c))
	}
	return nil
}

// checkConflicts reports a name that is both a file and the directory of
// another file ("a" and "a/b"). The names are distinct and pass CheckName.
func checkConflicts(names []string) error {
	// Sorted with '/' lowest, every name is directly followed by the names
	// beneath it, if any.
	key := func(s string) string { return strings.ReplaceAll(s, "/", "\x00") }
	sorted := slices.Clone(names)
	slices.SortFunc(sorted, func(a, b string) int { return strings.Compare(key(a), key(b)) })
	for i := 1; i < len(sorted); i++ {
		if strings.HasPrefix(sorted[i], sorted[i-1]+"/") {
			return fmt.Errorf("%w: entry %q is beneath entry %q, which is a file", ErrBadBundle, sorted[i], sorted[i-1])
		}
	}
	return nil
}

// Write writes files as a bundle to w: mode 0755 for executables,
// 0644 otherwise, no modification times or owners, so the output depends on
// names, modes and contents only. It rejects bad names (see CheckName),
// duplicates, a name that is also the directory of another, and sources
// that are not regular files.
func Write(w io.Writer, files []File) error {
	names := make([]string, 0, len(files))
	seen := make(map[string]struct{}, len(files))
	for _, f := range files {
		if err := CheckName(f.Name); err != nil {
			return err
		}
		if _, dup := seen[f.Name]; dup {
			return fmt.Errorf("%w: duplicate entry %q", ErrBadBundle, f.Name)
		}
		seen[f.Name] = struct{}{}
		names = append(names, f.Name)
	}
	if err := checkConflicts(names); err != nil {
		return err
	}
	tw := tar.NewWriter(w)
	for _, f := range files {
		if err := writeBundleFile(tw, f); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("finish bundle: %w", err)
	}
	return nil
}

func writeBundleFile(tw *tar.Writer, f File) error {
	src, err := os.Open(f.Path)
	if err != nil {
		return fmt.Errorf("bundle entry %q: %w", f.Name, err)
	}
	defer src.Close()
	fi, err := src.Stat()
	if err != nil {
		return fmt.Errorf("bundle entry %q: %w", f.Name, err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("bundle entry %q: %s is not a regular file", f.Name, f.Path)
	}
	hdr := &tar.Header{
		Typeflag: tar.TypeReg,
		Name:     f.Name,
		Size:     fi.Size(),
		Mode:     int64(entryMode(int64(fi.Mode().Perm()))),
		ModTime:  time.Unix(0, 0),
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("bundle entry %q: %w", f.Name, err)
	}
	n, err := io.Copy(tw, io.LimitReader(src, hdr.Size))
	if err != nil {
		return fmt.Errorf("bundle entry %q: copy %s: %w", f.Name, f.Path, err)
	}
	if n != hdr.Size {
		return fmt.Errorf("bundle entry %q: %s shrank from %d to %d bytes while bundling", f.Name, f.Path, hdr.Size, n)
	}
	return nil
}

// entryMode maps a tar or file mode to the two modes bundles keep.
func entryMode(mode int64) fs.FileMode {
	if mode&0o111 != 0 {
		return 0o755
	}
	return 0o644
}

// countingReader counts the bytes read through it. It deliberately does not
// implement io.Seeker, so that tar.Reader reads (and counts) what it skips.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// scanner walks a bundle and applies every check that does not depend on
// where the entries go, so that Read and Extract accept exactly
// the same bundles.
type scanner struct {
	cr      *countingReader
	tr      *tar.Reader
	lim     Limits
	entries int
	total   int64
	names   []string
	seen    map[string]struct{}
}

func newScanner(r io.Reader, lim Limits) *scanner {
	cr := &countingReader{r: r}
	return &scanner{cr: cr, tr: tar.NewReader(cr), lim: lim.withDefaults(), seen: make(map[string]struct{})}
}

// next returns the next regular file (its SHA256 unset); its contents are
// then read from s.tr. It returns io.EOF at a complete end of archive.
func (s *scanner) next() (Entry, error) {
	for {
		before := s.cr.n
		hdr, err := s.tr.Next()
		if errors.Is(err, tar.ErrInsecurePath) {
			// The header is valid; CheckName below says what is wrong.
			err = nil
		}
		if errors.Is(err, io.EOF) {
			// Next consumed the previous entry's padding (under one block)
			// and the end-of-archive marker, two zero blocks, unless the
			// stream was cut short.
			if s.cr.n-before < 2*tarBlock {
				return Entry{}, fmt.Errorf("%w: truncated: no end-of-archive marker", ErrBadBundle)
			}
			if err := checkConflicts(s.names); err != nil {
				return Entry{}, err
			}
			return Entry{}, io.EOF
		}
		if err != nil {
			return Entry{}, fmt.Errorf("%w: %w", ErrBadBundle, err)
		}
		s.entries++
		if s.entries > s.lim.MaxFiles {
			return Entry{}, fmt.Errorf("%w: more than %d entries", ErrLimit, s.lim.MaxFiles)
		}
		switch hdr.Typeflag {
		case tar.TypeReg:
		case tar.TypeDir:
			// Directories are implied by file names; only their names are
			// checked.
			if err := CheckName(strings.TrimSuffix(hdr.Name, "/")); err != nil {
				return Entry{}, err
			}
			continue
		default:
			return Entry{}, fmt.Errorf("%w: entry %q is a %s; only regular files and directories are allowed",
				ErrBadBundle, hdr.Name, typeName(hdr.Typeflag))
		}
		if err := CheckName(hdr.Name); err != nil {
			return Entry{}, err
		}
		if _, dup := s.seen[hdr.Name]; dup {
			return Entry{}, fmt.Errorf("%w: duplicate entry %q", ErrBadBundle, hdr.Name)
		}
		s.seen[hdr.Name] = struct{}{}
		s.names = append(s.names, hdr.Name)
		// tar.Reader rejects negative sizes; compare without overflowing.
		if hdr.Size > s.lim.MaxBytes-s.total {
			return Entry{}, fmt.Errorf("%w: entry %q takes the contents past %d bytes", ErrLimit, hdr.Name, s.lim.MaxBytes)
		}
		s.total += hdr.Size
		return Entry{Name: hdr.Name, Size: hdr.Size, Mode: entryMode(hdr.Mode)}, nil
	}
}

// copyContents copies the current entry's contents to w and returns their
// sha256.
func (s *scanner) copyContents(w io.Writer, e Entry) (string, error) {
	h := sha256.New()
	if w != nil {
		w = io.MultiWriter(w, h)
	} else {
		w = h
	}
	n, err := io.Copy(w, s.tr)
	if err != nil {
		return "", fmt.Errorf("%w: entry %q: %w", ErrBadBundle, e.Name, err)
	}
	if n != e.Size {
		return "", fmt.Errorf("%w: entry %q: %d bytes, header says %d", ErrBadBundle, e.Name, n, e.Size)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func typeName(flag byte) string {
	switch flag {
	case tar.TypeSymlink:
		return "symbolic link"
	case tar.TypeLink:
		return "hard link"
	case tar.TypeChar:
		return "character device"
	case tar.TypeBlock:
		return "block device"
	case tar.TypeFifo:
		return "FIFO"
	case tar.TypeXGlobalHeader:
		return "global PAX header"
	case tar.TypeGNUSparse:
		return "sparse file"
	default:
		return fmt.Sprintf("entry of type %q", flag)
	}
}

// Read parses a whole bundle without writing anything and returns its
// entries in bundle order. It fails on bad names, entries other than
// regular files and directories (directories are ignored), duplicates, a
// name that is also the directory of another, limits exceeded, and
// truncated or corrupt tar; errors wrap ErrBadName, ErrBadBundle or
// ErrLimit.
func Read(r io.Reader, lim Limits) ([]Entry, error) {
	return walk(r, lim, func(s *scanner, e Entry) (string, error) { return s.copyContents(nil, e) })
}

// walk calls each on every entry of a bundle, in order; each consumes the
// entry's contents and returns their sha256.
func walk(r io.Reader, lim Limits, each func(*scanner, Entry) (string, error)) ([]Entry, error) {
	s := newScanner(r, lim)
	var entries []Entry
	for {
		e, err := s.next()
		if errors.Is(err, io.EOF) {
			return entries, nil
		}
		if err != nil {
			return nil, err
		}
		if e.SHA256, err = each(s, e); err != nil {
			return nil, err
		}
		entries = append(entries, e)
	}
}

// Extract writes each entry "<top>/<rest>" to
// filepath.Join(dirs[top], rest), creating the directories it needs (the
// dirs themselves too); an entry whose top element is not a key of dirs, or
// that has no rest, is an error wrapping ErrNoTarget. It accepts what
// Read accepts, honouring lim, and returns the entries written. It
// never writes outside the dirs: each dir is opened as an os.Root, existing
// symlinks on the way are refused rather than followed, and files are
// created with O_CREATE|O_EXCL (and O_NOFOLLOW, which os.Root adds), so an
// existing file or symlink is an error, not overwritten. On error the files
// and subdirectories it created are removed again.
func Extract(r io.Reader, dirs map[string]string, lim Limits) (_ []Entry, err error) {
	x := &extractor{dirs: dirs, roots: make(map[string]*os.Root), known: make(map[string]struct{})}
	defer x.close()
	defer func() {
		if err != nil {
			x.undo()
		}
	}()
	return walk(r, lim, x.extract)
}

type created struct {
	root *os.Root
	name string
}

type extractor struct {
	dirs  map[string]string
	roots map[string]*os.Root
	known map[string]struct{} // "<top>/<dir>" verified to be a real directory
	files []created
	subs  []created
}

func (x *extractor) extract(s *scanner, e Entry) (string, error) {
	top, rest, ok := strings.Cut(e.Name, "/")
	if !ok {
		return "", fmt.Errorf("%w: %q is not of the form <dir>/<name>", ErrNoTarget, e.Name)
	}
	root, err := x.root(top)
	if err != nil {
		return "", err
	}
	if err := x.mkdirs(root, top, rest); err != nil {
		return "", err
	}
	f, err := root.OpenFile(rest, os.O_WRONLY|os.O_CREATE|os.O_EXCL, e.Mode)
	if errors.Is(err, fs.ErrExist) {
		return "", fmt.Errorf("extract %q: refusing to replace an existing file or link in %s: %w", e.Name, x.dirs[top], err)
	}
	if err != nil {
		return "", fmt.Errorf("extract %q: %w", e.Name, err)
	}
	x.files = append(x.files, created{root, rest})
	sum, err := s.copyContents(f, e)
	if err == nil {
		// Creation modes are subject to the umask; make them exact.
		err = f.Chmod(e.Mode)
	}
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("extract %q: %w", e.Name, cerr)
	}
	return sum, err
}

func (x *extractor) root(top string) (*os.Root, error) {
	if r, ok := x.roots[top]; ok {
		return r, nil
	}
	dir, ok := x.dirs[top]
	if !ok {
		keys := make([]string, 0, len(x.dirs))
		for k := range x.dirs {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		return nil, fmt.Errorf("%w: %q is not under any of %q", ErrNoTarget, top, keys)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("extract: %w", err)
	}
	r, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("extract: %w", err)
	}
	x.roots[top] = r
	return r, nil
}

// mkdirs creates the parent directories of rest inside root, refusing
// anything on the way that is not a real directory, symlinks included.
func (x *extractor) mkdirs(root *os.Root, top, rest string) error {
	for i := range len(rest) {
		if rest[i] != '/' {
			continue
		}
		dir := rest[:i]
		key := top + "/" + dir
		if _, ok := x.known[key]; ok {
			continue
		}
		err := root.Mkdir(dir, 0o755)
		switch {
		case err == nil:
			x.subs = append(x.subs, created{root, dir})
		case errors.Is(err, fs.ErrExist):
			fi, err := root.Lstat(dir)
			if err != nil {
				return fmt.Errorf("extract %q: %w", key, err)
			}
			if !fi.IsDir() {
				what := "a file"
				if fi.Mode()&fs.ModeSymlink != 0 {
					what = "a symbolic link, which is not followed"
				}
				return fmt.Errorf("extract %q: %q in %s is %s, not a directory", top+"/"+rest, dir, x.dirs[top], what)
			}
		default:
			return fmt.Errorf("extract %q: %w", key, err)
		}
		x.known[key] = struct{}{}
	}
	return nil
}

// undo removes what the extractor created, deepest first. It is best
// effort: the bundle is already failing.
func (x *extractor) undo() {
	for _, c := range slices.Backward(x.files) {
		_ = c.root.Remove(c.name)
	}
	for _, c := range slices.Backward(x.subs) {
		_ = c.root.Remove(c.name)
	}
}

func (x *extractor) close() {
	for _, r := range x.roots {
		_ = r.Close()
	}
}
