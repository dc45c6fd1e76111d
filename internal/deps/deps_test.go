package deps

import (
	"context"
	"crypto/sha256"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/gospark/gospark/internal/config"
	"github.com/gospark/gospark/internal/config/configtest"
	"github.com/gospark/gospark/internal/k8s/pods"
	"github.com/gospark/gospark/internal/staging"
)

func conf(t *testing.T, kv ...string) *config.Conf { return configtest.Conf(t, kv...) }

func write(t *testing.T, path, data string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// stage resolves primary with c and stages it for namespace ns.
func stage(t *testing.T, c *config.Conf, primary string) (*Staging, error) {
	t.Helper()
	r, err := Resolve(c, primary)
	if err != nil {
		t.Fatal(err)
	}
	return Stage(context.Background(), c, r, "ns", map[string]string{"spark-app-selector": "spark-1"}, t.TempDir())
}

func TestResolve(t *testing.T) {
	dir := t.TempDir()
	a := write(t, filepath.Join(dir, "a.txt"), "a")
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	b := write(t, filepath.Join(sub, "a.txt"), "b")
	empty := t.TempDir()
	up := []string{"spark.kubernetes.file.upload.path", dir}
	for _, tc := range []struct {
		name    string
		primary string
		kv      []string
		want    string // error substring; "" means no error
		init    bool
	}{
		{"in the image", "local:///opt/app", nil, "", false},
		{"remote file", "local:///opt/app", []string{"spark.files", "http://host/x/data.csv"}, "", true},
		{"local file needs somewhere to go", "local:///opt/app", []string{"spark.files", a}, "spark.kubernetes.resourceStagingServer.uri", false},
		{"local file with upload path", "local:///opt/app", append([]string{"spark.files", a}, up...), "", true},
		{"missing local file", "local:///opt/app", append([]string{"spark.files", filepath.Join(dir, "nope")}, up...), "spark.files", false},
		{"unknown scheme", "local:///opt/app", []string{"spark.jars", "hdfs://nn/x.jar"}, "scheme hdfs:// is not supported", false},
		{"same name twice", "local:///opt/app", append([]string{"spark.files", a + "," + b}, up...), "rename one", false},
		{"relative local://", "local://opt/app", nil, "local:///absolute/path", false},
		{"URL without a file name", "local:///opt/app", []string{"spark.files", "http://host/"}, "must end in a file name", false},
		{"directory that is no Go package", empty, up, "Go main package", false},
		{"TLS flag against the URL", "local:///opt/app", []string{"spark.files", a, "spark.kubernetes.resourceStagingServer.uri", "http://h:1",
			"spark.ssl.kubernetes.resourceStagingServer.enabled", "true"}, "disagree", false},
		{"remote application", "https://example.com/apps/pi", nil, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Resolve(conf(t, tc.kv...), tc.primary)
			if tc.want != "" {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("error %v, want one containing %q", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.NeedsInit() != tc.init {
				t.Errorf("NeedsInit %v, want %v", r.NeedsInit(), tc.init)
			}
		})
	}
	r, err := Resolve(conf(t, append([]string{"spark.files", a + ",http://h/p/b%20c.txt", "spark.jars", "local:///opt/lib.so"}, up...)...), "https://h/bin/pi")
	if err != nil {
		t.Fatal(err)
	}
	if got := r.PodPath(r.Primary); got != "/var/spark-data/spark-jars/pi" {
		t.Errorf("primary in the pod: %s", got)
	}
	if got := r.PodList(r.Files); got != "/var/spark-data/spark-files/a.txt,/var/spark-data/spark-files/b c.txt" {
		t.Errorf("spark.files in the pod: %s", got)
	}
	if got := r.PodList(r.Jars); got != "/opt/lib.so" {
		t.Errorf("spark.jars in the pod: %s", got)
	}
}

// fetchDirs makes a spec's download directories.
func fetchDirs(t *testing.T, s *Spec) {
	root := t.TempDir()
	s.JarsDir, s.FilesDir = filepath.Join(root, "jars"), filepath.Join(root, "files")
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// Stage to an upload directory, then Fetch from it: the Go package is
// built and lands executable in the jars directory, the file in the files
// directory, both checked.
func TestUploadDirectoryRoundTrip(t *testing.T) {
	dir := t.TempDir()
	data := write(t, filepath.Join(dir, "data.txt"), "some data\n")
	upload := t.TempDir()
	c := conf(t, "spark.files", data, "spark.kubernetes.file.upload.path", upload)
	st, err := stage(t, c, "testdata/hello")
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Spec.Items) != 2 || st.Secret != nil || !strings.Contains(strings.Join(st.Report, "\n"), "Built testdata/hello for linux/amd64") {
		t.Fatalf("spec items %+v, secret %v, report %q", st.Spec.Items, st.Secret, st.Report)
	}
	fetchDirs(t, st.Spec)
	if err := Fetch(context.Background(), st.Spec, quiet()); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(st.Spec.JarsDir, "hello"))
	if err != nil || fi.Mode().Perm() != 0o755 {
		t.Fatalf("the application in the jars directory: %v %v", fi, err)
	}
	if b, err := os.ReadFile(filepath.Join(st.Spec.FilesDir, "data.txt")); err != nil || string(b) != "some data\n" {
		t.Fatalf("data.txt: %q %v", b, err)
	}
	// A submission that fails after staging takes its files back.
	if err := st.Undo(); err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(upload); len(left) != 0 {
		t.Errorf("the upload path holds %v after Undo", left)
	}
}

// putServer is an upload path over http: PUT stores, GET serves.
func putServer(t *testing.T) (*httptest.Server, map[string][]byte) {
	var mu sync.Mutex
	files := map[string][]byte{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		switch r.Method {
		case http.MethodPut:
			b, _ := io.ReadAll(r.Body)
			files[r.URL.Path] = b
			w.WriteHeader(http.StatusCreated)
		case http.MethodGet:
			b, ok := files[r.URL.Path]
			if !ok {
				http.NotFound(w, r)
				return
			}
			w.Write(b)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, files
}

func TestUploadOverHTTPAndRemoteFiles(t *testing.T) {
	srv, files := putServer(t)
	files["/public/remote.txt"] = []byte("remote")
	dir := t.TempDir()
	local := write(t, filepath.Join(dir, "local.txt"), "local")
	c := conf(t, "spark.files", local+","+srv.URL+"/public/remote.txt", "spark.kubernetes.file.upload.path", srv.URL+"/uploads/")
	st, err := stage(t, c, "local:///opt/app")
	if err != nil {
		t.Fatal(err)
	}
	var uploaded string
	for p := range files {
		if strings.HasPrefix(p, "/uploads/spark-upload-") && strings.HasSuffix(p, "/local.txt") {
			uploaded = p
		}
	}
	if uploaded == "" {
		t.Fatalf("nothing PUT under /uploads/spark-upload-*/local.txt: %v", files)
	}
	fetchDirs(t, st.Spec)
	if err := Fetch(context.Background(), st.Spec, quiet()); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"local.txt": "local", "remote.txt": "remote"} {
		if b, err := os.ReadFile(filepath.Join(st.Spec.FilesDir, name)); err != nil || string(b) != want {
			t.Errorf("%s: %q %v, want %q", name, b, err, want)
		}
	}
}

// A wrong checksum, a wrong size or a missing file fails naming the URI,
// and leaves no file behind.
func TestFetchRefusesBadDownloads(t *testing.T) {
	srv, files := putServer(t)
	files["/x.txt"] = []byte("xxxx")
	sum := fmt.Sprintf("%x", sha256.Sum256([]byte("xxxx")))
	for _, tc := range []struct {
		item Item
		want string
	}{
		{Item{URI: srv.URL + "/x.txt", Dir: FilesDir, Name: "x.txt", Size: 4, SHA256: strings.Repeat("0", 64)}, "sha256 is " + sum},
		{Item{URI: srv.URL + "/x.txt", Dir: FilesDir, Name: "x.txt", Size: 5}, "size is 4 bytes, want 5"},
		{Item{URI: srv.URL + "/missing.txt", Dir: FilesDir, Name: "missing.txt", Size: -1}, "404"},
		{Item{URI: "file:///nonexistent/upload/x", Dir: JarsDir, Name: "x", Size: 1}, "mounted in the pods"},
	} {
		s := &Spec{Items: []Item{tc.item}, Parallel: 2}
		fetchDirs(t, s)
		err := Fetch(context.Background(), s, quiet())
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.item.URI) {
			t.Errorf("%s: error %v, want one naming the URI and %q", tc.item.URI, err, tc.want)
		}
		for _, d := range []string{s.JarsDir, s.FilesDir} {
			if ents, _ := os.ReadDir(d); len(ents) != 0 {
				t.Errorf("%s: %s holds %v after a failed fetch", tc.item.URI, d, ents)
			}
		}
	}
}

func TestStageRefusesANonLinuxBinary(t *testing.T) {
	dir := t.TempDir()
	script := write(t, filepath.Join(dir, "app.sh"), "#!/bin/sh\necho hi\n")
	c := conf(t, "spark.kubernetes.file.upload.path", t.TempDir())
	_, err := stage(t, c, script)
	if err == nil || !strings.Contains(err.Error(), "not an ELF file") {
		t.Fatalf("error %v, want the binary check's", err)
	}
}

func TestSpecRoundTrip(t *testing.T) {
	s := &Spec{JarsDir: "/j", FilesDir: "/f", TimeoutMillis: 300000, Parallel: 5,
		Staged: &Staged{URI: "https://h:1", SecretFile: "/s", ID: "ab", SHA256: "cd", Size: 3},
		Items:  []Item{{URI: "http://h/x", Dir: FilesDir, Name: "x", Size: -1}}}
	text, err := s.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	file := write(t, filepath.Join(t.TempDir(), "init.json"), text)
	got, err := ReadSpec(file)
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := got.Marshal(); again != text {
		t.Errorf("round trip differs:\n%s\n%s", text, again)
	}
	bad := write(t, filepath.Join(t.TempDir(), "init.json"), `{"jarsDir":"/j","filesDir":"/f","items":[{"uri":"http://h/x","dir":"../etc","name":"x"}]}`)
	if _, err := ReadSpec(bad); err == nil || !strings.Contains(err.Error(), `"../etc"`) {
		t.Errorf("a bad item directory: %v", err)
	}
}

// Stage to a resource staging server, then Fetch from it with the secret
// the init Secret would hold.
func TestStagingServerRoundTrip(t *testing.T) {
	srv, err := staging.New(staging.Config{Dir: t.TempDir(), Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	dir := t.TempDir()
	data := write(t, filepath.Join(dir, "data.txt"), "staged data\n")
	lib := write(t, filepath.Join(dir, "lib.bin"), "beside the binary\n")
	c := conf(t, "spark.files", data, "spark.jars", lib, "spark.kubernetes.resourceStagingServer.uri", hs.URL)
	st, err := stage(t, c, "local:///opt/app")
	if err != nil {
		t.Fatal(err)
	}
	s := st.Spec.Staged
	if s == nil || s.URI != hs.URL || len(st.Secret[pods.InitSecretKey]) == 0 || len(st.Spec.Items) != 0 {
		t.Fatalf("staged %+v, secret %v, items %v", s, st.Secret, st.Spec.Items)
	}
	s.SecretFile = write(t, filepath.Join(t.TempDir(), pods.InitSecretKey), string(st.Secret[pods.InitSecretKey]))
	fetchDirs(t, st.Spec)
	if err := Fetch(context.Background(), st.Spec, quiet()); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{filepath.Join(st.Spec.FilesDir, "data.txt"): "staged data\n", filepath.Join(st.Spec.JarsDir, "lib.bin"): "beside the binary\n"} {
		if b, err := os.ReadFile(path); err != nil || string(b) != want {
			t.Errorf("%s: %q %v", path, b, err)
		}
	}
	if ents, _ := os.ReadDir(st.Spec.JarsDir); len(ents) != 1 {
		t.Errorf("the jars directory holds %v: the downloaded bundle was not removed", ents)
	}
	// A wrong secret gets nothing.
	s.SecretFile = write(t, filepath.Join(t.TempDir(), pods.InitSecretKey), strings.Repeat("0", 64))
	fetchDirs(t, st.Spec)
	if err := Fetch(context.Background(), st.Spec, quiet()); err == nil || !strings.Contains(err.Error(), "403") {
		t.Errorf("fetch with a wrong secret: %v, want a 403", err)
	}
}

// Over TLS the submitter trusts clientCertPem; the pods get the internal
// URI and the certificate in the init Secret, or a local:// one in place.
func TestStagingServerTLSCertificates(t *testing.T) {
	srv, err := staging.New(staging.Config{Dir: t.TempDir(), Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewTLSServer(srv.Handler())
	t.Cleanup(hs.Close)
	dir := t.TempDir()
	cert := write(t, filepath.Join(dir, "cert.pem"), string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: hs.Certificate().Raw})))
	data := write(t, filepath.Join(dir, "data.txt"), "over tls\n")
	base := []string{"spark.files", data, "spark.kubernetes.resourceStagingServer.uri", hs.URL,
		"spark.ssl.kubernetes.resourceStagingServer.enabled", "true", "spark.ssl.kubernetes.resourceStagingServer.clientCertPem", cert}
	stageTLS := func(kv ...string) *Staging {
		t.Helper()
		st, err := stage(t, conf(t, append(base, kv...)...), "local:///opt/app")
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	st := stageTLS()
	s := st.Spec.Staged
	if s.CACertFile != pods.InitSecretDir+"/"+pods.InitCAKey || len(st.Secret[pods.InitCAKey]) == 0 {
		t.Fatalf("pods trust %q, secret keys %v", s.CACertFile, st.Secret)
	}
	// What the init-container does with the mounted secret.
	s.SecretFile = write(t, filepath.Join(dir, pods.InitSecretKey), string(st.Secret[pods.InitSecretKey]))
	s.CACertFile = write(t, filepath.Join(dir, pods.InitCAKey), string(st.Secret[pods.InitCAKey]))
	fetchDirs(t, st.Spec)
	if err := Fetch(context.Background(), st.Spec, quiet()); err != nil {
		t.Fatal(err)
	}
	st = stageTLS("spark.kubernetes.resourceStagingServer.internal.uri", "https://staging.spark.svc:10000",
		"spark.ssl.kubernetes.resourceStagingServer.internal.clientCertPem", "local:///etc/ssl/staging.pem")
	if s := st.Spec.Staged; s.URI != "https://staging.spark.svc:10000" || s.CACertFile != "/etc/ssl/staging.pem" || st.Secret[pods.InitCAKey] != nil {
		t.Errorf("internal settings: staged %+v, secret keys %v", s, st.Secret)
	}
	// Without the certificate, the submitter does not trust the server.
	if _, err := stage(t, conf(t, base[:6]...), "local:///opt/app"); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("untrusted server: %v", err)
	}
}
