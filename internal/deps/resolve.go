package deps

import (
	"fmt"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/gospark/gospark/internal/config"
)

// Where a dependency is.
type Where int

const (
	// InImage: local:///path, already in the container image.
	InImage Where = iota
	// Local: a path or file:// URI on the submitting machine.
	Local
	// Remote: an http:// or https:// URL the pods download.
	Remote
)

// Dep is one dependency.
type Dep struct {
	URI   string // as the user gave it
	Where Where
	// Path is the file in the image (InImage) or on the submitter's disk
	// (Local); URL the remote address (Remote).
	Path string
	// Dir is "jars" or "files": the download directory it goes to.
	Dir string
	// Name is its file name in that directory.
	Name string
	// Package is true for a primary resource that is a Go package
	// directory, built before it is uploaded.
	Package bool
	// Executable marks the primary resource.
	Executable bool
	// Python marks a primary resource that is a Python program (its name
	// ends in .py): it runs with gospark-py, so it is no binary to check.
	Python bool
}

// Bundle directories: entries of a staged bundle start with one of them.
const (
	JarsDir  = "jars"
	FilesDir = "files"
)

// Resolved is an application's dependencies.
type Resolved struct {
	Primary Dep
	Jars    []Dep
	Files   []Dep
	// PyFiles are spark.submit.pyFiles (--py-files), which go to the
	// files download directory as spark.files do.
	PyFiles []Dep
	// JarsDownloadDir and FilesDownloadDir are the download directories
	// in the pods (spark.kubernetes.mountdependencies.*).
	JarsDownloadDir, FilesDownloadDir string
}

// All is the primary resource, then the jars, the files and the Python
// files.
func (r *Resolved) All() []Dep {
	all := append([]Dep{r.Primary}, r.Jars...)
	all = append(all, r.Files...)
	return append(all, r.PyFiles...)
}

// NeedsInit tells whether the pods need the init-container: something is
// not in the image.
func (r *Resolved) NeedsInit() bool {
	for _, d := range r.All() {
		if d.Where != InImage {
			return true
		}
	}
	return false
}

// HasLocal tells whether something must be uploaded.
func (r *Resolved) HasLocal() bool {
	for _, d := range r.All() {
		if d.Where == Local {
			return true
		}
	}
	return false
}

// PodPath is where a dependency is inside the pods.
func (r *Resolved) PodPath(d Dep) string {
	switch {
	case d.Where == InImage:
		return d.Path
	case d.Dir == JarsDir:
		return path.Join(r.JarsDownloadDir, d.Name)
	default:
		return path.Join(r.FilesDownloadDir, d.Name)
	}
}

// PodList is the comma-separated pod paths of deps, the value spark.jars
// or spark.files gets in the driver.
func (r *Resolved) PodList(deps []Dep) string {
	paths := make([]string, len(deps))
	for i, d := range deps {
		paths[i] = r.PodPath(d)
	}
	return strings.Join(paths, ",")
}

// Resolve sorts the primary resource and spark.jars and spark.files of
// conf. It checks what can be checked before anything is created: local
// files exist (a primary directory is a Go package), schemes are known,
// names do not collide, and local files have somewhere to go (the staging
// server or the upload path).
func Resolve(conf *config.Conf, primary string) (*Resolved, error) {
	r := &Resolved{
		JarsDownloadDir:  conf.String("spark.kubernetes.mountdependencies.jarsDownloadDir"),
		FilesDownloadDir: conf.String("spark.kubernetes.mountdependencies.filesDownloadDir"),
	}
	for _, p := range []string{"spark.kubernetes.mountdependencies.jarsDownloadDir", "spark.kubernetes.mountdependencies.filesDownloadDir"} {
		if v := conf.String(p); !path.IsAbs(v) || path.Clean(v) != v || v == "/" {
			return nil, fmt.Errorf("%s=%q: want a clean absolute directory other than /", p, v)
		}
	}
	if r.JarsDownloadDir == r.FilesDownloadDir {
		return nil, fmt.Errorf("spark.kubernetes.mountdependencies.jarsDownloadDir and filesDownloadDir are both %q: they must differ", r.JarsDownloadDir)
	}
	var err error
	if r.Primary, err = parse("application", primary, JarsDir); err != nil {
		return nil, err
	}
	r.Primary.Executable = true
	r.Primary.Python = strings.HasSuffix(r.Primary.Name, ".py")
	if r.Primary.Where == Local {
		fi, err := os.Stat(r.Primary.Path)
		if err != nil {
			return nil, fmt.Errorf("application %s: %w", primary, err)
		}
		if fi.IsDir() {
			if _, err := os.Stat(filepath.Join(r.Primary.Path, "go.mod")); err != nil {
				if m, _ := filepath.Glob(filepath.Join(r.Primary.Path, "*.go")); len(m) == 0 {
					return nil, fmt.Errorf("application %s: a directory must be a Go main package", primary)
				}
			}
			r.Primary.Package = true
			abs, err := filepath.Abs(r.Primary.Path)
			if err != nil {
				return nil, fmt.Errorf("application %s: %w", primary, err)
			}
			r.Primary.Name = filepath.Base(abs)
		}
	}
	if r.Primary.Name == "" || r.Primary.Name == "." || r.Primary.Name == "/" {
		return nil, fmt.Errorf("application %s: cannot tell its file name", primary)
	}
	if r.Jars, err = parseList(conf, "spark.jars", JarsDir); err != nil {
		return nil, err
	}
	if r.Files, err = parseList(conf, "spark.files", FilesDir); err != nil {
		return nil, err
	}
	if r.PyFiles, err = parseList(conf, "spark.submit.pyFiles", FilesDir); err != nil {
		return nil, err
	}
	seen := map[string]string{}
	for _, d := range r.All() {
		if d.Where == InImage {
			continue
		}
		key := d.Dir + "/" + d.Name
		if prev, ok := seen[key]; ok {
			return nil, fmt.Errorf("%s and %s would both be %s in the pods: rename one", prev, d.URI, r.PodPath(d))
		}
		seen[key] = d.URI
	}
	if r.HasLocal() {
		stage := conf.String("spark.kubernetes.resourceStagingServer.uri")
		if stage == "" && conf.String("spark.kubernetes.file.upload.path") == "" {
			var local Dep
			for _, d := range r.All() {
				if d.Where == Local {
					local = d
					break
				}
			}
			return nil, fmt.Errorf("%s is on this machine, not in the image: set spark.kubernetes.resourceStagingServer.uri (a resource staging server, see conf/kubernetes-resource-staging-server.yaml) or spark.kubernetes.file.upload.path (a directory or http(s) URL the pods can read) to upload it, or give it as local:///path inside the image", local.URI)
		}
		if err := checkStagingTLS(conf); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// checkStagingTLS checks that the staging server's URLs and TLS settings
// agree.
func checkStagingTLS(conf *config.Conf) error {
	const rss = "spark.ssl.kubernetes.resourceStagingServer."
	for _, c := range []struct{ uri, enabled string }{
		{"spark.kubernetes.resourceStagingServer.uri", rss + "enabled"},
		{"spark.kubernetes.resourceStagingServer.internal.uri", rss + "internal.enabled"},
	} {
		u := conf.String(c.uri)
		if u == "" {
			continue
		}
		https := strings.HasPrefix(u, "https://")
		if conf.Has(c.enabled) && conf.Bool(c.enabled) != https {
			return fmt.Errorf("%s=%s and %s=%t disagree: TLS needs an https:// URL, plain HTTP an http:// one", c.uri, u, c.enabled, conf.Bool(c.enabled))
		}
	}
	for _, p := range []string{rss + "trustStore", rss + "internal.trustStore"} {
		if conf.String(p) != "" {
			return fmt.Errorf("%s: Java trust stores are not supported; give a PEM certificate with %sclientCertPem (or internal.clientCertPem)", p, rss)
		}
	}
	if f := conf.String(rss + "clientCertPem"); f != "" {
		if _, err := os.Stat(f); err != nil {
			return fmt.Errorf("%sclientCertPem: %w", rss, err)
		}
	}
	if f := conf.String(rss + "internal.clientCertPem"); f != "" && !strings.HasPrefix(f, "local://") {
		if _, err := os.Stat(strings.TrimPrefix(f, "file://")); err != nil {
			return fmt.Errorf("%sinternal.clientCertPem: %w", rss, err)
		}
	}
	return nil
}

func parseList(conf *config.Conf, prop, dir string) ([]Dep, error) {
	var deps []Dep
	for _, s := range strings.Split(conf.String(prop), ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		d, err := parse(prop, s, dir)
		if err != nil {
			return nil, err
		}
		if d.Where == Local {
			fi, err := os.Stat(d.Path)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", prop, err)
			}
			if !fi.Mode().IsRegular() {
				return nil, fmt.Errorf("%s: %s is not a regular file", prop, s)
			}
		}
		deps = append(deps, d)
	}
	return deps, nil
}

// parse reads one URI; what names the property or option, for errors.
func parse(what, s, dir string) (Dep, error) {
	d := Dep{URI: s, Dir: dir}
	u, err := url.Parse(s)
	if err != nil || len(u.Scheme) == 1 { // a Windows drive letter is not a scheme either
		u = &url.URL{Path: s}
	}
	switch u.Scheme {
	case "":
		d.Where, d.Path = Local, s
	case "file":
		d.Where, d.Path = Local, u.Path
	case "local":
		if !path.IsAbs(u.Path) || u.Host != "" {
			return d, fmt.Errorf("%s: %s: want local:///absolute/path inside the image", what, s)
		}
		d.Where, d.Path = InImage, u.Path
	case "http", "https":
		if u.Host == "" {
			return d, fmt.Errorf("%s: %s: the URL has no host", what, s)
		}
		d.Where, d.Path = Remote, s
	default:
		return d, fmt.Errorf("%s: %s: scheme %s:// is not supported; use local:// (in the image), a path or file:// (uploaded), or http(s)://", what, s, u.Scheme)
	}
	if d.Where == Local && d.Path == "" {
		return d, fmt.Errorf("%s: %q: empty path", what, s)
	}
	d.Name = path.Base(d.Path)
	if d.Where == Local {
		d.Name = filepath.Base(d.Path)
	}
	if d.Where == Remote {
		d.Name = path.Base(u.Path)
		if u.Path == "" || strings.HasSuffix(u.Path, "/") || d.Name == "/" || d.Name == "." {
			return d, fmt.Errorf("%s: %s: the URL must end in a file name", what, s)
		}
		if un, err := url.PathUnescape(d.Name); err == nil {
			d.Name = un
		}
		if strings.ContainsAny(d.Name, "/\\\x00") || d.Name == ".." {
			return d, fmt.Errorf("%s: %s: file name %q is not usable", what, s, d.Name)
		}
	}
	return d, nil
}
