package spark

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/gospark/gospark/internal/download"
)

// filesDirName is the directory, under the application's local directory,
// that holds the files of spark.files.
const filesDirName = "files"

// addFiles copies the files named by spark.files into dir, failing before
// anything runs when one is missing, cannot be downloaded, or shares its
// name with another. Paths, file:// and local:// URIs are copied; http:// and
// https:// URLs are downloaded (by every process, as Spark's executors
// fetch them).
func addFiles(ctx context.Context, list, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("spark.files: %w", err)
	}
	seen := map[string]string{}
	for _, f := range strings.Split(list, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		path, remote := f, false
		if u, err := url.Parse(f); err == nil && u.Scheme != "" {
			switch u.Scheme {
			case "file", "local": // local: already on every node, as in Spark
				path = u.Path
			case "http", "https":
				path, remote = u.Path, true
			default:
				return fmt.Errorf("spark.files: %s: scheme %s:// is not supported; use a path, file://, local://, http:// or https://", f, u.Scheme)
			}
		}
		name := filepath.Base(path)
		if name == "." || name == "/" {
			return fmt.Errorf("spark.files: %s does not name a file", f)
		}
		if prev, ok := seen[name]; ok {
			return fmt.Errorf("spark.files: %s and %s have the same name %q", prev, f, name)
		}
		seen[name] = f
		fetch := copyFile
		if remote {
			fetch = func(from, to string) error { return download.File(ctx, from, to) }
			path = f
		}
		if err := fetch(path, filepath.Join(dir, name)); err != nil {
			return fmt.Errorf("spark.files: %w", err)
		}
	}
	return nil
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	st, err := in.Stat()
	if err != nil {
		return err
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", from)
	}
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, st.Mode().Perm())
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// ErrNoSuchFile is returned for a name that spark.files did not ship.
var ErrNoSuchFile = errors.New("spark: no such file in spark.files")

func filePath(dir, name string) (string, error) {
	if name == "" || name != filepath.Base(name) {
		return "", fmt.Errorf("%w: %q (give the file's base name)", ErrNoSuchFile, name)
	}
	p := filepath.Join(dir, name)
	if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("%w: %q", ErrNoSuchFile, name)
	} else if err != nil {
		return "", err
	}
	return p, nil
}

// File is the local path of a file shipped with spark.files (--files),
// given its base name, as Spark's SparkFiles.get.
func (s *Session) File(name string) (string, error) { return filePath(s.env.FilesDir, name) }

// File is the local path, on the executor running the task, of a file
// shipped with spark.files (--files), given its base name.
func (c *TaskContext) File(name string) (string, error) { return filePath(c.tc.Env.FilesDir, name) }
