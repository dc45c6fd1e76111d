package image

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Debian packages in an image. A layer can hold the files of Debian
// packages: their dependency closure is computed with apt-cache, the .debs
// are fetched with "apt-get download" into a cache directory and unpacked
// with "dpkg-deb -x" into a tree kept next to them, so a second build
// downloads and unpacks nothing. No maintainer script runs: the packages
// must work as unpacked (shared libraries, interpreters and their modules
// do).

// PythonPackages are the Debian packages of the Python image: Python 3
// and cloudpickle, with which PySpark's functions travel.
var PythonPackages = []string{"python3", "python3-cloudpickle"}

// debSkip are packages of a closure that an unpacked image does not need:
// the package manager and what only it or maintainer scripts use.
var debSkip = []string{"dpkg", "install-info", "tar", "perl", "perl-base", "mime-support", "mailcap", "debconf"}

// debSkipPrefixes are skipped the same way, by name prefix.
var debSkipPrefixes = []string{"perl-modules-", "libperl"}

// debTrimDirs are directories of the unpacked packages left out of the
// layer: documentation and translations.
var debTrimDirs = []string{"usr/share/doc", "usr/share/man", "usr/share/info", "usr/share/lintian", "usr/share/locale"}

func debSkipped(pkg string) bool {
	if slices.Contains(debSkip, pkg) {
		return true
	}
	for _, p := range debSkipPrefixes {
		if strings.HasPrefix(pkg, p) {
			return true
		}
	}
	return false
}

// DebClosure is the dependency closure of roots (Depends and PreDepends,
// the first of alternatives, a virtual package's first provider), without
// the packages an unpacked image does not need, sorted.
func DebClosure(ctx context.Context, roots []string) ([]string, error) {
	args := append([]string{"depends", "--recurse", "--no-recommends", "--no-suggests", "--no-conflicts",
		"--no-breaks", "--no-replaces", "--no-enhances"}, roots...)
	out, err := exec.CommandContext(ctx, "apt-cache", args...).Output()
	if err != nil {
		return nil, fmt.Errorf("image: apt-cache depends %s: %w%s", strings.Join(roots, " "), err, stderrOf(err))
	}
	graph := parseDepends(out)
	seen := map[string]bool{}
	var walk func(string)
	walk = func(p string) {
		if seen[p] || debSkipped(p) {
			return
		}
		seen[p] = true
		for _, d := range graph[p] {
			walk(d)
		}
	}
	for _, r := range roots {
		if _, ok := graph[r]; !ok {
			return nil, fmt.Errorf("image: Debian package %s is unknown to apt (run apt-get update?)", r)
		}
		walk(r)
	}
	var pkgs []string
	for p := range seen {
		if !strings.HasPrefix(p, "<") { // virtual packages stand for their providers
			pkgs = append(pkgs, p)
		}
	}
	slices.Sort(pkgs)
	return pkgs, nil
}

// parseDepends reads "apt-cache depends --recurse" into each package's
// dependencies: one of each group of alternatives (the first), and for a
// virtual package (<name>) its first provider.
func parseDepends(out []byte) map[string][]string {
	graph := map[string][]string{}
	var cur, virtual string
	// alternative: the line before ended in "|" (it started with "|"), so
	// this one is an alternative to a dependency already taken.
	alternative := false
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.TrimSpace(line) == "":
		case !strings.HasPrefix(line, " "):
			cur = strings.TrimSpace(line)
			if _, ok := graph[cur]; !ok {
				graph[cur] = nil
			}
			alternative, virtual = false, ""
		case strings.HasPrefix(line, "    "): // a provider of the virtual package above
			if virtual != "" {
				graph[virtual] = append(graph[virtual], strings.TrimSpace(line))
				virtual = ""
			}
		default:
			l := strings.TrimSpace(line)
			first := !alternative
			alternative = strings.HasPrefix(l, "|")
			virtual = ""
			kind, dep, ok := strings.Cut(strings.TrimPrefix(l, "|"), ": ")
			if !ok || (kind != "Depends" && kind != "PreDepends") || !first {
				continue
			}
			graph[cur] = append(graph[cur], dep)
			if strings.HasPrefix(dep, "<") {
				virtual = dep
				if _, ok := graph[dep]; !ok {
					graph[dep] = nil
				}
			}
		}
	}
	return graph
}

// DebFiles fetches the .debs of pkgs (their candidate versions) into
// cache, downloading only those not there yet, and returns their paths,
// sorted.
func DebFiles(ctx context.Context, cache string, pkgs []string) ([]string, error) {
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return nil, fmt.Errorf("image: %w", err)
	}
	out, err := exec.CommandContext(ctx, "apt-get", append([]string{"download", "--print-uris"}, pkgs...)...).Output()
	if err != nil {
		return nil, fmt.Errorf("image: apt-get download --print-uris: %w%s", err, stderrOf(err))
	}
	var files, missing []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if len(f) < 3 {
			continue
		}
		name := f[1]
		if strings.ContainsAny(name, "/\x00") || !strings.HasSuffix(name, ".deb") {
			return nil, fmt.Errorf("image: apt-get names the file %q", name)
		}
		size, _ := strconv.ParseInt(f[2], 10, 64)
		path := filepath.Join(cache, name)
		files = append(files, path)
		if fi, err := os.Stat(path); err != nil || fi.Size() != size {
			pkg, _, _ := strings.Cut(name, "_")
			missing = append(missing, pkg)
		}
	}
	if len(files) != len(pkgs) {
		return nil, fmt.Errorf("image: apt-get gave %d files for %d packages", len(files), len(pkgs))
	}
	if len(missing) > 0 {
		cmd := exec.CommandContext(ctx, "apt-get", append([]string{"download", "-q"}, missing...)...)
		cmd.Dir = cache
		if out, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("image: apt-get download %s: %w: %s", strings.Join(missing, " "), err, out)
		}
	}
	slices.Sort(files)
	return files, nil
}

// DebTree unpacks debs into a directory under cache named from their
// file names (which carry versions) and returns it; a tree unpacked
// before is reused.
func DebTree(ctx context.Context, cache string, debs []string) (string, error) {
	h := sha256.New()
	for _, d := range debs {
		io.WriteString(h, filepath.Base(d)+"\n")
	}
	dir := filepath.Join(cache, "tree-"+hex.EncodeToString(h.Sum(nil))[:16])
	if _, err := os.Stat(filepath.Join(dir, ".complete")); err == nil {
		return filepath.Join(dir, "root"), nil
	}
	if err := os.RemoveAll(dir); err != nil {
		return "", fmt.Errorf("image: %w", err)
	}
	tmp, err := os.MkdirTemp(cache, ".unpack-")
	if err != nil {
		return "", fmt.Errorf("image: %w", err)
	}
	defer os.RemoveAll(tmp)
	root := filepath.Join(tmp, "root")
	if err := os.Mkdir(root, 0o755); err != nil {
		return "", fmt.Errorf("image: %w", err)
	}
	for _, d := range debs {
		if out, err := exec.CommandContext(ctx, "dpkg-deb", "-x", d, root).CombinedOutput(); err != nil {
			return "", fmt.Errorf("image: dpkg-deb -x %s: %w: %s", d, err, out)
		}
	}
	if err := os.WriteFile(filepath.Join(tmp, ".complete"), nil, 0o644); err != nil {
		return "", fmt.Errorf("image: %w", err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		return "", fmt.Errorf("image: %w", err)
	}
	return filepath.Join(dir, "root"), nil
}

// DebianTree is the unpacked tree of the dependency closure of pkgs,
// with the .debs and the tree cached under cache.
func DebianTree(ctx context.Context, cache string, pkgs []string) (string, error) {
	closure, err := DebClosure(ctx, pkgs)
	if err != nil {
		return "", err
	}
	debs, err := DebFiles(ctx, cache, closure)
	if err != nil {
		return "", err
	}
	return DebTree(ctx, cache, debs)
}

// DefaultDebCache is where Debian packages and their unpacked trees are
// kept: ~/.cache/gospark/debs.
func DefaultDebCache() (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("image: %w", err)
	}
	return filepath.Join(base, "gospark", "debs"), nil
}

func stderrOf(err error) string {
	var ee *exec.ExitError
	if errors.As(err, &ee) && len(ee.Stderr) > 0 {
		return ": " + strings.TrimSpace(string(ee.Stderr))
	}
	return ""
}

// treeTar is a layer of the tree at dir: every directory, regular file
// and symbolic link in it (a hard link becomes a copy) in sorted order,
// owned by root, with Epoch times; skip are paths left out with what is
// under them.
func treeTar(dir string, skip []string) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		if rel == "." {
			return nil
		}
		name := filepath.ToSlash(rel)
		if slices.Contains(skip, name) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		h := &tar.Header{Name: name, Mode: int64(fi.Mode().Perm()), ModTime: Epoch, Uname: "root", Gname: "root"}
		if fi.Mode()&fs.ModeSetuid != 0 {
			h.Mode |= 0o4000
		}
		if fi.Mode()&fs.ModeSetgid != 0 {
			h.Mode |= 0o2000
		}
		if fi.Mode()&fs.ModeSticky != 0 {
			h.Mode |= 0o1000
		}
		switch {
		case fi.IsDir():
			h.Typeflag, h.Name = tar.TypeDir, name+"/"
			return tw.WriteHeader(h)
		case fi.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			h.Typeflag, h.Linkname = tar.TypeSymlink, target
			return tw.WriteHeader(h)
		case fi.Mode().IsRegular():
			h.Typeflag, h.Size = tar.TypeReg, fi.Size()
			if err := tw.WriteHeader(h); err != nil {
				return err
			}
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = io.Copy(tw, f)
			return err
		}
		return nil // devices, pipes and sockets have no place in a layer
	})
	if err != nil {
		return nil, fmt.Errorf("image: layer of %s: %w", dir, err)
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("image: %w", err)
	}
	return buf.Bytes(), nil
}
