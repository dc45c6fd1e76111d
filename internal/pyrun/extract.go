package pyrun

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gospark/gospark/python"
)

// cacheRoot is where a process of a Python application keeps the extracted
// pyspark package and the py-files it was sent, by content, so that
// processes of the same user share them.
func cacheRoot() string {
	return filepath.Join(os.TempDir(), fmt.Sprintf("gospark-py-%d", os.Getuid()))
}

// packageFiles lists the embedded package's source files (compiled caches
// left by a test run are not part of it).
func packageFiles() ([]string, error) {
	var files []string
	err := fs.WalkDir(python.Files, "pyspark", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "__pycache__" {
			return fs.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".py") {
			files = append(files, path)
		}
		return nil
	})
	slices.Sort(files)
	return files, err
}

// ExtractPackage writes the embedded pyspark package once into a directory
// named by its content and returns the directory to put on PYTHONPATH.
func ExtractPackage() (string, error) {
	files, err := packageFiles()
	if err != nil {
		return "", fmt.Errorf("pyrun: embedded pyspark: %w", err)
	}
	h := sha256.New()
	for _, f := range files {
		b, err := python.Files.ReadFile(f)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", f, len(b))
		h.Write(b)
	}
	dir := filepath.Join(cacheRoot(), "pkg-"+hex.EncodeToString(h.Sum(nil)[:12]))
	if _, err := os.Stat(filepath.Join(dir, "pyspark", "__init__.py")); err == nil {
		return dir, nil
	}
	if err := os.MkdirAll(cacheRoot(), 0o755); err != nil {
		return "", fmt.Errorf("pyrun: extracting pyspark: %w", err)
	}
	tmp, err := os.MkdirTemp(cacheRoot(), ".pkg-*")
	if err != nil {
		return "", fmt.Errorf("pyrun: extracting pyspark: %w", err)
	}
	defer os.RemoveAll(tmp)
	for _, f := range files {
		b, _ := python.Files.ReadFile(f)
		dst := filepath.Join(tmp, filepath.FromSlash(f))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return "", err
		}
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			return "", fmt.Errorf("pyrun: extracting pyspark: %w", err)
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		// Another process extracted it first.
		if _, serr := os.Stat(filepath.Join(dir, "pyspark", "__init__.py")); serr == nil {
			return dir, nil
		}
		return "", fmt.Errorf("pyrun: extracting pyspark: %w", err)
	}
	return dir, nil
}

func sha(b []byte) []byte {
	s := sha256.Sum256(b)
	return s[:12]
}
