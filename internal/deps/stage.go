package deps

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/gospark/gospark/internal/bundle"
	"github.com/gospark/gospark/internal/config"
	"github.com/gospark/gospark/internal/image"
	"github.com/gospark/gospark/internal/k8s/pods"
	"github.com/gospark/gospark/internal/staging"
)

// TargetArch is the architecture a Go package given as the primary
// resource is built for.
const TargetArch = "amd64"

// Staging is the outcome of Stage.
type Staging struct {
	Spec *Spec
	// Secret is the init Secret's data (nil when none is needed).
	Secret map[string][]byte
	// Report says what was built and uploaded, for the user.
	Report []string
	// uploadDir is the directory made under an upload path that is a
	// directory ("" otherwise).
	uploadDir string
}

// Undo removes what Stage put in an upload directory, for a submission
// that failed before its pods existed. A bundle on the staging server is
// left to expire (spark.kubernetes.resourceStagingServer.
// initialAccessExpirationTimeout), and files PUT to an http(s) upload path
// stay: neither can be deleted through its API.
func (st *Staging) Undo() error {
	if st == nil || st.uploadDir == "" {
		return nil
	}
	return os.RemoveAll(st.uploadDir)
}

// Stage builds a primary Go package, uploads the local dependencies (to the
// resource staging server, else to spark.kubernetes.file.upload.path) and
// returns the init-container's Spec. namespace and labels tell the staging
// server which pods use the upload; tmp is a directory for the build.
func Stage(ctx context.Context, conf *config.Conf, r *Resolved, namespace string, labels map[string]string, tmp string) (*Staging, error) {
	st := &Staging{Spec: &Spec{
		JarsDir:       r.JarsDownloadDir,
		FilesDir:      r.FilesDownloadDir,
		TimeoutMillis: conf.Duration("spark.kubernetes.mountdependencies.mountTimeout").Milliseconds(),
		Parallel:      conf.Int("spark.kubernetes.mountdependencies.maxSimultaneousDownloads"),
	}}
	var local []Dep
	for _, d := range r.All() {
		switch d.Where {
		case Remote:
			st.Spec.Items = append(st.Spec.Items, Item{URI: d.Path, Dir: d.Dir, Name: d.Name, Size: -1, Executable: d.Executable})
		case Local:
			if d.Package {
				bin := filepath.Join(tmp, d.Name)
				// Without the symbol table and DWARF (stack traces keep
				// their names): a third less to upload.
				if err := image.GoBuild(ctx, d.Path, ".", bin, TargetArch, "-ldflags=-s -w"); err != nil {
					return nil, fmt.Errorf("application %s: %w", d.URI, err)
				}
				st.Report = append(st.Report, fmt.Sprintf("Built %s for linux/%s", d.URI, TargetArch))
				d.Path = bin
			} else if d.Executable && !d.Python {
				if err := image.CheckBinary(d.Path, TargetArch); err != nil {
					return nil, fmt.Errorf("application %s: %w (give a Go package directory to have it built)", d.URI, err)
				}
			}
			if err := bundle.CheckName(d.Dir + "/" + d.Name); err != nil {
				return nil, fmt.Errorf("%s: %w", d.URI, err)
			}
			local = append(local, d)
		}
	}
	if len(local) == 0 {
		return st, nil
	}
	if uri := conf.String("spark.kubernetes.resourceStagingServer.uri"); uri != "" {
		return st, st.toStagingServer(ctx, conf, uri, local, namespace, labels)
	}
	return st, st.toUploadPath(ctx, conf.String("spark.kubernetes.file.upload.path"), local)
}

const rss = "spark.ssl.kubernetes.resourceStagingServer."

func (st *Staging) toStagingServer(ctx context.Context, conf *config.Conf, uri string, local []Dep, namespace string, labels map[string]string) error {
	c, err := staging.NewClient(uri, conf.String(rss+"clientCertPem"))
	if err != nil {
		return fmt.Errorf("spark.kubernetes.resourceStagingServer.uri: %w", err)
	}
	files := make([]bundle.File, len(local))
	for i, d := range local {
		files[i] = bundle.File{Name: d.Dir + "/" + d.Name, Path: d.Path}
	}
	res, err := c.Upload(ctx, namespace, labels, files)
	if err != nil {
		return fmt.Errorf("uploading to the resource staging server %s: %w", uri, err)
	}
	st.Report = append(st.Report, fmt.Sprintf("Uploaded %d file(s), %d bytes, to the resource staging server %s as resource %s", len(files), res.Size, uri, res.ID))
	st.Secret = map[string][]byte{pods.InitSecretKey: []byte(res.Secret)}
	s := &Staged{URI: conf.String("spark.kubernetes.resourceStagingServer.internal.uri"), SecretFile: pods.InitSecretDir + "/" + pods.InitSecretKey,
		ID: res.ID, SHA256: res.SHA256, Size: res.Size}
	if strings.HasPrefix(s.URI, "https://") {
		if ca := conf.String(rss + "internal.clientCertPem"); strings.HasPrefix(ca, "local://") {
			s.CACertFile = strings.TrimPrefix(ca, "local://")
		} else if ca != "" {
			b, err := os.ReadFile(strings.TrimPrefix(ca, "file://"))
			if err != nil {
				return fmt.Errorf("%sinternal.clientCertPem: %w", rss, err)
			}
			st.Secret[pods.InitCAKey] = b
			s.CACertFile = pods.InitSecretDir + "/" + pods.InitCAKey
		}
	}
	st.Spec.Staged = s
	return nil
}

// toUploadPath copies the local files into a new directory
// spark-upload-<random> under path: a directory (which the pods must
// mount at the same path) or an http(s) URL accepting PUT.
func (st *Staging) toUploadPath(ctx context.Context, path string, local []Dep) error {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return err
	}
	sub := "spark-upload-" + hex.EncodeToString(b)
	remote := strings.HasPrefix(path, "http://") || strings.HasPrefix(path, "https://")
	var dir string
	if !remote {
		dir = filepath.Join(strings.TrimPrefix(path, "file://"), sub)
		if !filepath.IsAbs(dir) {
			return fmt.Errorf("spark.kubernetes.file.upload.path=%s: want an absolute directory (mounted at the same path in the pods) or an http(s) URL", path)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("spark.kubernetes.file.upload.path: %w", err)
		}
		st.uploadDir = dir
	}
	var total int64
	for _, d := range local {
		var it Item
		var err error
		if remote {
			it, err = put(ctx, strings.TrimSuffix(path, "/")+"/"+sub+"/"+url.PathEscape(d.Name), d.Path)
		} else {
			it, err = copyInto(filepath.Join(dir, d.Name), d.Path)
		}
		if err != nil {
			return errors.Join(fmt.Errorf("uploading %s to spark.kubernetes.file.upload.path: %w", d.URI, err), st.Undo())
		}
		it.Dir, it.Name, it.Executable = d.Dir, d.Name, d.Executable
		total += it.Size
		st.Spec.Items = append(st.Spec.Items, it)
	}
	where := path
	if !remote {
		where = dir
	}
	st.Report = append(st.Report, fmt.Sprintf("Uploaded %d file(s), %d bytes, to %s", len(local), total, strings.TrimSuffix(where, "/")))
	return nil
}

// hashingReader counts and hashes what is read through it.
type hashingReader struct {
	r io.Reader
	h interface {
		io.Writer
		Sum([]byte) []byte
	}
	n int64
}

func newHashingReader(r io.Reader) *hashingReader { return &hashingReader{r: r, h: sha256.New()} }

func (h *hashingReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	h.n += int64(n)
	h.h.Write(p[:n])
	return n, err
}

func (h *hashingReader) sum() string { return hex.EncodeToString(h.h.Sum(nil)) }

func copyInto(to, from string) (Item, error) {
	in, err := os.Open(from)
	if err != nil {
		return Item{}, err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return Item{}, err
	}
	hr := newHashingReader(in)
	if _, err := io.Copy(out, hr); err != nil {
		out.Close()
		os.Remove(to)
		return Item{}, err
	}
	if err := out.Close(); err != nil {
		os.Remove(to)
		return Item{}, err
	}
	return Item{URI: (&url.URL{Scheme: "file", Path: to}).String(), Size: hr.n, SHA256: hr.sum()}, nil
}

func put(ctx context.Context, to, from string) (Item, error) {
	in, err := os.Open(from)
	if err != nil {
		return Item{}, err
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil {
		return Item{}, err
	}
	hr := newHashingReader(in)
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, to, hr)
	if err != nil {
		return Item{}, err
	}
	req.ContentLength = fi.Size()
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return Item{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return Item{}, fmt.Errorf("PUT %s: %s: %s", to, resp.Status, strings.TrimSpace(string(msg)))
	}
	if hr.n != fi.Size() {
		return Item{}, fmt.Errorf("PUT %s: sent %d bytes of %d", to, hr.n, fi.Size())
	}
	return Item{URI: to, Size: hr.n, SHA256: hr.sum()}, nil
}
