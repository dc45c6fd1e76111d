package deps

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/gospark/gospark/internal/bundle"
	"github.com/gospark/gospark/internal/staging"
)

// Fetch downloads everything spec names into its directories: the staged
// bundle, then the items, spec.Parallel at a time, all within the spec's
// timeout. Sizes and checksums are checked when known; a failed item
// leaves no file behind. The error names every item that failed.
func Fetch(ctx context.Context, spec *Spec, log *slog.Logger) error {
	if t := spec.Timeout(); t > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, t)
		defer cancel()
	}
	for _, d := range []string{spec.JarsDir, spec.FilesDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("init-container: %w", err)
		}
	}
	if s := spec.Staged; s != nil {
		if err := fetchStaged(ctx, spec, s, log); err != nil {
			return fmt.Errorf("fetching resource %s from the resource staging server %s: %w", s.ID, s.URI, timeoutHint(ctx, spec, err))
		}
	}
	parallel := max(spec.Parallel, 1)
	sem := make(chan struct{}, parallel)
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
	)
	for _, it := range spec.Items {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			dir := spec.FilesDir
			if it.Dir == JarsDir {
				dir = spec.JarsDir
			}
			n, err := fetchItem(ctx, it, filepath.Join(dir, it.Name))
			if err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("fetching %s: %w", it.URI, timeoutHint(ctx, spec, err)))
				mu.Unlock()
				return
			}
			log.Info("fetched", "uri", it.URI, "to", filepath.Join(dir, it.Name), "bytes", n)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func timeoutHint(ctx context.Context, spec *Spec, err error) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("%w (spark.kubernetes.mountdependencies.mountTimeout is %s)", err, spec.Timeout())
	}
	return err
}

func fetchStaged(ctx context.Context, spec *Spec, s *Staged, log *slog.Logger) error {
	secret, err := os.ReadFile(s.SecretFile)
	if err != nil {
		return fmt.Errorf("reading the resource secret: %w", err)
	}
	c, err := staging.NewClient(s.URI, s.CACertFile)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(spec.JarsDir, ".bundle-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	res := staging.Resource{ID: s.ID, Secret: strings.TrimSpace(string(secret)), SHA256: s.SHA256, Size: s.Size}
	if err := c.Download(ctx, res, tmp); err != nil {
		return err
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return err
	}
	entries, err := bundle.Extract(tmp, map[string]string{JarsDir: spec.JarsDir, FilesDir: spec.FilesDir}, bundle.Limits{MaxBytes: 1 << 62})
	if err != nil {
		return err
	}
	for _, e := range entries {
		log.Info("fetched", "resource", s.ID, "file", e.Name, "bytes", e.Size, "sha256", e.SHA256)
	}
	return nil
}

// fetchItem writes one item to dest, through a temporary file renamed
// when complete and checked.
func fetchItem(ctx context.Context, it Item, dest string) (int64, error) {
	r, size, err := open(ctx, it.URI)
	if err != nil {
		return 0, err
	}
	defer r.Close()
	if it.Size >= 0 && size >= 0 && size != it.Size {
		return 0, fmt.Errorf("size is %d bytes, want %d", size, it.Size)
	}
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		return 0, err
	}
	part := filepath.Join(filepath.Dir(dest), "."+filepath.Base(dest)+".part-"+hex.EncodeToString(b))
	mode := os.FileMode(0o644)
	if it.Executable {
		mode = 0o755
	}
	out, err := os.OpenFile(part, os.O_CREATE|os.O_EXCL|os.O_WRONLY, mode)
	if err != nil {
		return 0, err
	}
	defer os.Remove(part)
	hr := newHashingReader(r)
	_, err = io.Copy(out, hr)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	switch {
	case err != nil:
		return 0, err
	case size >= 0 && hr.n != size:
		return 0, fmt.Errorf("got %d bytes of %d", hr.n, size)
	case it.Size >= 0 && hr.n != it.Size:
		return 0, fmt.Errorf("got %d bytes, want %d", hr.n, it.Size)
	case it.SHA256 != "" && hr.sum() != it.SHA256:
		return 0, fmt.Errorf("sha256 is %s, want %s", hr.sum(), it.SHA256)
	}
	if _, err := os.Lstat(dest); err == nil {
		return 0, fmt.Errorf("%s already exists", dest)
	}
	return hr.n, os.Rename(part, dest)
}

// open opens an http(s) URL or a file:// path; size is -1 when unknown.
func open(ctx context.Context, uri string) (io.ReadCloser, int64, error) {
	u, err := url.Parse(uri)
	if err != nil {
		return nil, 0, err
	}
	switch u.Scheme {
	case "file":
		f, err := os.Open(u.Path)
		if err != nil {
			return nil, 0, fmt.Errorf("%w (is spark.kubernetes.file.upload.path mounted in the pods at the same path?)", err)
		}
		fi, err := f.Stat()
		if err != nil {
			f.Close()
			return nil, 0, err
		}
		return f, fi.Size(), nil
	case "http", "https":
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, uri, nil)
		if err != nil {
			return nil, 0, err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, 0, err
		}
		if resp.StatusCode != http.StatusOK {
			resp.Body.Close()
			return nil, 0, fmt.Errorf("server answered %s", resp.Status)
		}
		return resp.Body, resp.ContentLength, nil
	}
	return nil, 0, fmt.Errorf("scheme %q is not supported", u.Scheme)
}
