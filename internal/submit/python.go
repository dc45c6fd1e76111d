package submit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"

	"github.com/gospark/gospark/internal/config"
	"github.com/gospark/gospark/internal/deps"
	"github.com/gospark/gospark/internal/download"
	"github.com/gospark/gospark/internal/image"
)

// Python applications. A primary resource whose name ends in .py is a
// Python program: the application binary is gospark-py (cmd/gospark-py),
// run with the program as its first argument, as spark-submit runs
// PySpark's driver with the program. --py-files (spark.submit.pyFiles)
// lists .py, .zip and .egg files for the Python path; they may be paths,
// file://, local:// or http(s):// URLs, and the application is given them
// as local paths.

// PythonBinary is the name of the application binary of Python programs.
const PythonBinary = "gospark-py"

// pyFilesExts are the kinds of file spark.submit.pyFiles may list.
var pyFilesExts = []string{".py", ".zip", ".egg"}

// IsPython tells whether primary names a Python program.
func IsPython(primary string) bool {
	p := primary
	if u, err := url.Parse(primary); err == nil && u.Scheme != "" && len(u.Scheme) > 1 {
		p = u.Path
	}
	return strings.HasSuffix(p, ".py")
}

// pyFilesOption names where spark.submit.pyFiles came from, for errors.
func (a *Args) pyFilesOption() string {
	if a.Given("--py-files") {
		return "--py-files"
	}
	return "spark.submit.pyFiles"
}

// checkPython checks, before anything runs or is created, the Python
// parts of a submission: every spark.submit.pyFiles entry is a .py, .zip
// or .egg file with a known scheme, and local ones (and a local primary
// .py) exist.
func checkPython(a *Args, conf *config.Conf) error {
	opt := a.pyFilesOption()
	for _, f := range splitList(conf.String("spark.submit.pyFiles")) {
		where, p, err := locate(f)
		if err != nil {
			return fmt.Errorf("%s: %w", opt, err)
		}
		ext := strings.ToLower(path.Ext(p))
		if !hasSuffixIn(ext, pyFilesExts) {
			return fmt.Errorf("%s: %s: want a .py, .zip or .egg file", opt, f)
		}
		if where == deps.Local {
			fi, err := os.Stat(p)
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					return fmt.Errorf("%s: %s does not exist", opt, f)
				}
				return fmt.Errorf("%s: %w", opt, err)
			}
			if !fi.Mode().IsRegular() {
				return fmt.Errorf("%s: %s is not a regular file", opt, f)
			}
		}
	}
	if !IsPython(a.Primary) {
		return nil
	}
	where, p, err := locate(a.Primary)
	if err != nil {
		return fmt.Errorf("application: %w", err)
	}
	if where == deps.Local {
		fi, err := os.Stat(p)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("application %s does not exist", a.Primary)
			}
			return fmt.Errorf("application %s: %w", a.Primary, err)
		}
		if !fi.Mode().IsRegular() {
			return fmt.Errorf("application %s is not a regular file", a.Primary)
		}
	}
	return nil
}

func hasSuffixIn(ext string, exts []string) bool {
	for _, e := range exts {
		if ext == e {
			return true
		}
	}
	return false
}

func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// locate tells where a file named on the command line is: a local path
// (a path or file://), in the image or on every node (local://, its path),
// or remote (http(s)://, the URL).
func locate(s string) (deps.Where, string, error) {
	u, err := url.Parse(s)
	if err != nil || len(u.Scheme) <= 1 {
		return deps.Local, s, nil
	}
	switch u.Scheme {
	case "file":
		return deps.Local, u.Path, nil
	case "local":
		if !path.IsAbs(u.Path) {
			return deps.InImage, "", fmt.Errorf("%s: want local:///absolute/path", s)
		}
		return deps.InImage, u.Path, nil
	case "http", "https":
		if u.Host == "" || u.Path == "" || strings.HasSuffix(u.Path, "/") {
			return deps.Remote, "", fmt.Errorf("%s: want an http(s) URL ending in a file name", s)
		}
		return deps.Remote, s, nil
	}
	return deps.Local, "", fmt.Errorf("%s: scheme %s:// is not supported; use a path, file://, local:// or http(s)://", s, u.Scheme)
}

// pythonCommand is what runs a Python program here (local masters and
// client mode): gospark-py with the program, made local, as its first
// argument; spark.submit.pyFiles in conf becomes local paths. Remote files
// are downloaded into dir.
func (s *Submission) pythonCommand(ctx context.Context, dir string, stderr io.Writer) (bin string, args []string, err error) {
	local := func(what, f string) (string, error) {
		where, p, err := locate(f)
		if err != nil {
			return "", fmt.Errorf("%s: %w", what, err)
		}
		if where == deps.Remote {
			u, _ := url.Parse(p)
			sub, err := os.MkdirTemp(dir, "download-")
			if err != nil {
				return "", err
			}
			to := filepath.Join(sub, path.Base(u.Path))
			if err := download.File(ctx, p, to); err != nil {
				return "", fmt.Errorf("%s: %w", what, err)
			}
			return to, nil
		}
		return filepath.Abs(p)
	}
	var files []string
	for _, f := range splitList(s.Conf.String("spark.submit.pyFiles")) {
		p, err := local(s.Args.pyFilesOption(), f)
		if err != nil {
			return "", nil, err
		}
		files = append(files, p)
	}
	if len(files) > 0 {
		if err := s.Conf.Set("spark.submit.pyFiles", strings.Join(files, ",")); err != nil {
			return "", nil, err
		}
	}
	app, err := local("application", s.Args.Primary)
	if err != nil {
		return "", nil, err
	}
	bin, err = s.findPython(ctx, dir, stderr)
	if err != nil {
		return "", nil, err
	}
	return bin, append([]string{app}, s.Args.AppArgs...), nil
}

// findPython finds gospark-py: next to the running gospark, else on PATH,
// else built from the gospark module the working directory is in (as
// "go run ./cmd/gospark submit app.py" needs).
func (s *Submission) findPython(ctx context.Context, dir string, stderr io.Writer) (string, error) {
	var tried []string
	if exe, err := os.Executable(); err == nil {
		if real, err := filepath.EvalSymlinks(exe); err == nil {
			exe = real
		}
		p := filepath.Join(filepath.Dir(exe), PythonBinary)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0 {
			return p, nil
		}
		tried = append(tried, p)
	}
	if p, err := exec.LookPath(PythonBinary); err == nil {
		return filepath.Abs(p)
	}
	tried = append(tried, "PATH")
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	bin, err := s.buildNamed(ctx, image.ModulePath+"/cmd/"+PythonBinary, wd, image.ModulePath+"/cmd/"+PythonBinary, PythonBinary, dir, stderr)
	if err != nil {
		return "", fmt.Errorf("application %s is a Python program, which runs with %s: found none (looked in %s) and could not build %s/cmd/%s: %w",
			s.Args.Primary, PythonBinary, strings.Join(tried, " and "), image.ModulePath, PythonBinary, err)
	}
	return bin, nil
}
