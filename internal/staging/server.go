package staging

import (
	"bufio"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gospark/gospark/internal/bundle"
	"k8s.io/apimachinery/pkg/util/validation"
)

const (
	// HeaderSHA256 carries the hex sha256 of the bundle bytes, on uploads
	// and downloads.
	HeaderSHA256 = "X-Gospark-Bundle-Sha256"
	// ResourcesPath is where bundles are posted; a bundle is at
	// ResourcesPath + "/" + id.
	ResourcesPath = "/api/v0/resources"

	defaultMaxBundleSize   = 1 << 30
	defaultExpireUnclaimed = 30 * time.Minute
	defaultCheckInterval   = 30 * time.Second

	idBytes     = 16
	secretBytes = 32

	incomingPrefix = ".incoming-"
	deletingPrefix = ".deleting-"
	bundleFile     = "bundle"
	metaFile       = "meta.json"
	metaTemp       = "meta.json.tmp"
)

// Resource is what an upload returns.
type Resource struct {
	ID     string `json:"resourceId"`
	Secret string `json:"resourceSecret"`
	SHA256 string `json:"sha256"` // of the bundle bytes
	Size   int64  `json:"size"`
}

// PodIndex tells the cleaner whether the pods a bundle is for exist.
type PodIndex interface {
	// Exists reports whether a pod in namespace carrying all the labels of
	// selector exists. synced is false until the index has its first full
	// listing; the cleaner deletes nothing for pod absence while unsynced.
	Exists(namespace string, selector map[string]string) (exists, synced bool)
}

// Config configures a Server.
type Config struct {
	// Dir is the storage directory, created if missing. It belongs to one
	// Server: New discards unfinished uploads it finds there.
	Dir string
	// MaxBundleSize bounds the bytes of one upload; 0 means 1 GiB. Larger
	// uploads get 413 and nothing is kept.
	MaxBundleSize int64
	// ExpireUnclaimed is how long a bundle may wait for its first pod
	// (spark.kubernetes.resourceStagingServer.initialAccessExpirationTimeout);
	// 0 means 30m.
	ExpireUnclaimed time.Duration
	// CheckInterval is how often the cleaner runs; 0 means 30s.
	CheckInterval time.Duration
	// Pods tells which bundles' pods exist; nil: bundles are only deleted
	// by ExpireUnclaimed.
	Pods PodIndex
	// Logger receives the server's logs; nil: slog.Default().
	Logger *slog.Logger
	// Limits apply to the contents of uploaded bundles; zero values mean
	// bundle's defaults.
	Limits bundle.Limits
}

// meta is what <Dir>/<id>/meta.json holds.
type meta struct {
	ID        string            `json:"id"`
	Namespace string            `json:"namespace"`
	Labels    map[string]string `json:"labels"`
	Created   time.Time         `json:"created"`
	Claimed   bool              `json:"claimed"`
	SHA256    string            `json:"sha256"`
	Size      int64             `json:"size"`
	// SecretSHA256 is the hex sha256 of the secret's text; the secret
	// itself is never stored.
	SecretSHA256 string `json:"secretSha256"`
}

// Server stores bundles under a directory and serves them over HTTP.
type Server struct {
	cfg Config
	log *slog.Logger

	mu      sync.Mutex
	bundles map[string]meta // published bundles by id

	cleanMu sync.Mutex // one cleanup pass at a time
}

// New opens (creating if missing) the storage directory, removes the
// leftovers of interrupted uploads and deletions, and loads the complete
// bundles already there, which thus survive restarts.
func New(cfg Config) (*Server, error) {
	if cfg.Dir == "" {
		return nil, errors.New("staging: no storage directory configured")
	}
	if cfg.MaxBundleSize <= 0 {
		cfg.MaxBundleSize = defaultMaxBundleSize
	}
	if cfg.ExpireUnclaimed <= 0 {
		cfg.ExpireUnclaimed = defaultExpireUnclaimed
	}
	if cfg.CheckInterval <= 0 {
		cfg.CheckInterval = defaultCheckInterval
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Server{cfg: cfg, log: cfg.Logger, bundles: make(map[string]meta)}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("staging: create storage directory: %w", err)
	}
	ents, err := os.ReadDir(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("staging: read storage directory: %w", err)
	}
	for _, e := range ents {
		name := e.Name()
		switch {
		case strings.HasPrefix(name, incomingPrefix), strings.HasPrefix(name, deletingPrefix):
			if err := os.RemoveAll(filepath.Join(cfg.Dir, name)); err != nil {
				return nil, fmt.Errorf("staging: remove leftover %s: %w", name, err)
			}
			s.log.Info("removed leftover of an interrupted upload or deletion", "path", filepath.Join(cfg.Dir, name))
		case validID(name) && e.IsDir():
			m, err := s.load(name)
			if err != nil {
				s.log.Warn("skipping unreadable bundle directory", "id", name, "err", err)
				continue
			}
			s.bundles[name] = m
		default:
			s.log.Debug("ignoring unknown entry in storage directory", "name", name)
		}
	}
	s.log.Info("staging storage ready", "dir", cfg.Dir, "bundles", len(s.bundles))
	return s, nil
}

func (s *Server) load(id string) (meta, error) {
	dir := filepath.Join(s.cfg.Dir, id)
	if err := os.Remove(filepath.Join(dir, metaTemp)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return meta{}, err
	}
	data, err := os.ReadFile(filepath.Join(dir, metaFile))
	if err != nil {
		return meta{}, err
	}
	var m meta
	if err := json.Unmarshal(data, &m); err != nil {
		return meta{}, fmt.Errorf("%s: %w", metaFile, err)
	}
	if m.ID != id || !validHex(m.SHA256, sha256.Size) || !validHex(m.SecretSHA256, sha256.Size) {
		return meta{}, fmt.Errorf("%s: inconsistent fields", metaFile)
	}
	fi, err := os.Stat(filepath.Join(dir, bundleFile))
	if err != nil {
		return meta{}, err
	}
	if fi.Size() != m.Size {
		return meta{}, fmt.Errorf("bundle has %d bytes, %s says %d", fi.Size(), metaFile, m.Size)
	}
	return m, nil
}

// Handler returns the HTTP API.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+ResourcesPath, s.handleUpload)
	mux.HandleFunc("GET "+ResourcesPath+"/{id}", s.handleDownload)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ok")
	})
	// The rest is refused here rather than by ServeMux, to be logged.
	for path, allow := range map[string]string{ResourcesPath: "POST", ResourcesPath + "/{id}": "GET, HEAD", "/healthz": "GET, HEAD"} {
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", allow)
			s.refuse(w, r, http.StatusMethodNotAllowed, fmt.Sprintf("method %s not allowed; use %s", r.Method, allow))
		})
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.refuse(w, r, http.StatusNotFound, "no such endpoint", "path", r.URL.Path)
	})
	return mux
}

// refuse logs a refused request and answers it with one line of text.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, code int, reason string, attrs ...any) {
	reason = strings.ReplaceAll(reason, "\n", " ")
	attrs = append(attrs, "method", r.Method, "status", code, "reason", reason, "remote", r.RemoteAddr)
	s.log.Warn("staging request refused", attrs...)
	http.Error(w, reason, code)
}

// errWriter remembers the error of its writer, to tell disk errors from
// request body errors.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	n, err := e.w.Write(p)
	if err != nil {
		e.err = err
	}
	return n, err
}

func (s *Server) handleUpload(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	ns := q.Get("namespace")
	refuse := func(code int, reason string) { s.refuse(w, r, code, reason, "namespace", ns) }
	if msgs := validation.IsDNS1123Label(ns); len(msgs) > 0 {
		refuse(http.StatusBadRequest, fmt.Sprintf("bad namespace %q: %s", ns, strings.Join(msgs, "; ")))
		return
	}
	labels, err := parseLabels(q.Get("labels"))
	if err != nil {
		refuse(http.StatusBadRequest, err.Error())
		return
	}
	want := strings.ToLower(r.Header.Get(HeaderSHA256))
	if !validHex(want, sha256.Size) {
		refuse(http.StatusBadRequest, fmt.Sprintf("header %s must be the hex sha256 of the bundle", HeaderSHA256))
		return
	}
	if r.ContentLength > s.cfg.MaxBundleSize {
		w.Header().Set("Connection", "close")
		refuse(http.StatusRequestEntityTooLarge, fmt.Sprintf("bundle of %d bytes exceeds the limit of %d bytes", r.ContentLength, s.cfg.MaxBundleSize))
		return
	}

	tmp, err := os.MkdirTemp(s.cfg.Dir, incomingPrefix+"*")
	if err != nil {
		s.log.Error("create upload directory", "err", err)
		refuse(http.StatusInternalServerError, "cannot store the upload")
		return
	}
	published := false
	defer func() {
		if !published {
			if err := os.RemoveAll(tmp); err != nil {
				s.log.Error("remove failed upload", "path", tmp, "err", err)
			}
		}
	}()
	f, err := os.OpenFile(filepath.Join(tmp, bundleFile), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		s.log.Error("create upload file", "err", err)
		refuse(http.StatusInternalServerError, "cannot store the upload")
		return
	}
	defer f.Close()

	h := sha256.New()
	fw := &errWriter{w: f}
	size, err := io.Copy(io.MultiWriter(fw, h), http.MaxBytesReader(w, r.Body, s.cfg.MaxBundleSize))
	var tooBig *http.MaxBytesError
	switch {
	case err == nil:
	case fw.err != nil:
		s.log.Error("write upload", "namespace", ns, "err", err)
		refuse(http.StatusInternalServerError, "cannot store the upload")
		return
	case errors.As(err, &tooBig):
		refuse(http.StatusRequestEntityTooLarge, fmt.Sprintf("bundle exceeds the limit of %d bytes", tooBig.Limit))
		return
	default:
		refuse(http.StatusBadRequest, fmt.Sprintf("reading the bundle: %v", err))
		return
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		refuse(http.StatusBadRequest, fmt.Sprintf("sha256 mismatch: %s says %s, the %d bytes received have %s", HeaderSHA256, want, size, got))
		return
	}
	if err := f.Sync(); err != nil {
		s.log.Error("sync upload", "err", err)
		refuse(http.StatusInternalServerError, "cannot store the upload")
		return
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		s.log.Error("rewind upload", "err", err)
		refuse(http.StatusInternalServerError, "cannot store the upload")
		return
	}
	entries, err := bundle.Read(bufio.NewReaderSize(f, 64<<10), s.cfg.Limits)
	if err != nil {
		code := http.StatusBadRequest
		if errors.Is(err, bundle.ErrLimit) {
			code = http.StatusRequestEntityTooLarge
		}
		refuse(code, err.Error())
		return
	}

	res, err := s.publish(tmp, meta{Namespace: ns, Labels: labels, SHA256: want, Size: size})
	if err != nil {
		s.log.Error("publish upload", "namespace", ns, "err", err)
		refuse(http.StatusInternalServerError, "cannot store the upload")
		return
	}
	published = true
	s.log.Info("bundle published", "id", res.ID, "namespace", ns, "labels", labels,
		"entries", len(entries), "size", size, "sha256", want, "remote", r.RemoteAddr)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	if err := json.NewEncoder(w).Encode(res); err != nil {
		s.log.Warn("answer upload", "id", res.ID, "err", err)
	}
}

// publish gives the upload in tmp an id and secret, writes its meta.json
// and renames tmp to <Dir>/<id>.
func (s *Server) publish(tmp string, m meta) (Resource, error) {
	secret, err := randomHex(secretBytes)
	if err != nil {
		return Resource{}, err
	}
	sum := sha256.Sum256([]byte(secret))
	m.SecretSHA256 = hex.EncodeToString(sum[:])
	m.Created = time.Now().UTC()
	for attempt := 0; ; attempt++ {
		if m.ID, err = randomHex(idBytes); err != nil {
			return Resource{}, err
		}
		if err := writeMeta(tmp, m); err != nil {
			return Resource{}, err
		}
		if err := syncDir(tmp); err != nil {
			return Resource{}, err
		}
		err = os.Rename(tmp, filepath.Join(s.cfg.Dir, m.ID))
		if err == nil {
			break
		}
		// Renaming onto an existing, non-empty directory fails: an id
		// collision, which only a broken random source makes likely.
		if attempt == 2 {
			return Resource{}, fmt.Errorf("publish: %w", err)
		}
	}
	if err := syncDir(s.cfg.Dir); err != nil {
		// The bundle is in place; only its durability across a power
		// loss is in doubt.
		s.log.Warn("sync storage directory", "id", m.ID, "err", err)
	}
	s.mu.Lock()
	s.bundles[m.ID] = m
	s.mu.Unlock()
	return Resource{ID: m.ID, Secret: secret, SHA256: m.SHA256, Size: m.Size}, nil
}

// writeMeta replaces dir/meta.json atomically: write a temporary file,
// fsync it, rename it over.
func writeMeta(dir string, m meta) error {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", metaFile, err)
	}
	tmp := filepath.Join(dir, metaTemp)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("write %s: %w", metaFile, err)
	}
	_, err = f.Write(append(data, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(dir, metaFile))
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("write %s: %w", metaFile, err)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

func (s *Server) handleDownload(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !validID(id) {
		// Never a path: only ids of the exact generated form reach the
		// filesystem.
		s.refuse(w, r, http.StatusNotFound, "no such resource", "id", strconv.Quote(id))
		return
	}
	token, ok := bearerToken(r.Header.Get("Authorization"))
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer realm="gospark-staging"`)
		s.refuse(w, r, http.StatusUnauthorized, "missing or malformed Authorization: Bearer <resource secret>", "id", id)
		return
	}
	s.mu.Lock()
	m, ok := s.bundles[id]
	s.mu.Unlock()
	if !ok {
		s.refuse(w, r, http.StatusNotFound, "no such resource", "id", id)
		return
	}
	sum := sha256.Sum256([]byte(token))
	want, err := hex.DecodeString(m.SecretSHA256)
	if err != nil || subtle.ConstantTimeCompare(sum[:], want) != 1 {
		s.refuse(w, r, http.StatusForbidden, "wrong resource secret", "id", id, "namespace", m.Namespace)
		return
	}
	f, err := os.Open(filepath.Join(s.cfg.Dir, id, bundleFile))
	if errors.Is(err, fs.ErrNotExist) {
		// Deleted since the lookup.
		s.refuse(w, r, http.StatusNotFound, "no such resource", "id", id, "namespace", m.Namespace)
		return
	}
	if err != nil {
		s.log.Error("open bundle", "id", id, "err", err)
		s.refuse(w, r, http.StatusInternalServerError, "cannot read the bundle", "id", id, "namespace", m.Namespace)
		return
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || fi.Size() != m.Size {
		s.log.Error("bundle does not match its metadata", "id", id, "size", m.Size, "err", err)
		s.refuse(w, r, http.StatusInternalServerError, "cannot read the bundle", "id", id, "namespace", m.Namespace)
		return
	}
	hdr := w.Header()
	hdr.Set("Content-Type", "application/x-tar")
	hdr.Set("Content-Length", strconv.FormatInt(m.Size, 10))
	hdr.Set(HeaderSHA256, m.SHA256)
	hdr.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	n, err := io.Copy(w, f)
	if err != nil {
		s.log.Warn("bundle download interrupted", "id", id, "namespace", m.Namespace, "sent", n, "err", err, "remote", r.RemoteAddr)
		return
	}
	s.log.Info("bundle served", "id", id, "namespace", m.Namespace, "size", n, "remote", r.RemoteAddr)
}

// bearerToken returns the token of an "Authorization: Bearer <token>"
// header if it has the form of a resource secret.
func bearerToken(h string) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, validHex(token, secretBytes)
}

// parseLabels parses the labels query parameter, "k1=v1,k2=v2": at least
// one label, valid Kubernetes label keys and values, no key twice.
func parseLabels(s string) (map[string]string, error) {
	if s == "" {
		return nil, errors.New("labels missing: want labels=k1=v1,k2=v2 naming the pods that use the bundle")
	}
	labels := make(map[string]string)
	for kv := range strings.SplitSeq(s, ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, fmt.Errorf("label %q is not key=value", kv)
		}
		if msgs := validation.IsQualifiedName(k); len(msgs) > 0 {
			return nil, fmt.Errorf("bad label key %q: %s", k, strings.Join(msgs, "; "))
		}
		if msgs := validation.IsValidLabelValue(v); len(msgs) > 0 {
			return nil, fmt.Errorf("bad value %q of label %q: %s", v, k, strings.Join(msgs, "; "))
		}
		if _, dup := labels[k]; dup {
			return nil, fmt.Errorf("label %q given twice", k)
		}
		labels[k] = v
	}
	return labels, nil
}

// formatLabels is the inverse of parseLabels, keys sorted.
func formatLabels(labels map[string]string) string {
	var b strings.Builder
	for i, k := range slices.Sorted(maps.Keys(labels)) {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(labels[k])
	}
	return b.String()
}

func randomHex(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// validHex reports whether s is exactly n bytes in lowercase hex.
func validHex(s string, n int) bool {
	if len(s) != 2*n {
		return false
	}
	for i := range len(s) {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func validID(s string) bool { return validHex(s, idBytes) }
