package staging

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gospark/gospark/internal/bundle"
	"github.com/gospark/gospark/internal/bundle/bundletest"
)

var testLabels = map[string]string{"spark-app-selector": "spark-0123", "spark-role": "driver"}

func TestRoundTrip(t *testing.T) {
	ts := newTestServer(t, Config{})
	res, err := ts.client.Upload(t.Context(), "spark-jobs", testLabels, bundletest.Files(t, bundletest.Samples))
	if err != nil {
		t.Fatalf("Upload: %v", err)
	}
	if !validID(res.ID) || !validHex(res.Secret, secretBytes) || res.Size == 0 {
		t.Fatalf("Upload returned %+v", res)
	}

	// Only the secret's hash is stored.
	metaData, err := os.ReadFile(filepath.Join(ts.dir, res.ID, metaFile))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(metaData, []byte(res.Secret)) {
		t.Fatal("meta.json holds the secret")
	}
	var m meta
	if err := json.Unmarshal(metaData, &m); err != nil {
		t.Fatal(err)
	}
	if m.Namespace != "spark-jobs" || m.Labels["spark-role"] != "driver" || m.SHA256 != res.SHA256 || m.Claimed {
		t.Errorf("meta.json = %+v", m)
	}

	// The bundle survives a restart.
	restarted := newTestServer(t, Config{Dir: ts.dir})
	for _, c := range []*Client{ts.client, restarted.client} {
		var buf bytes.Buffer
		if err := c.Download(t.Context(), res, &buf); err != nil {
			t.Fatalf("Download: %v", err)
		}
		if got := bundletest.SHA256(buf.Bytes()); got != res.SHA256 || int64(buf.Len()) != res.Size {
			t.Fatalf("downloaded %d bytes with sha256 %s, want %+v", buf.Len(), got, res)
		}
		bundletest.ExtractSamples(t, &buf)
	}

	// Download verifies what it was told to expect.
	for _, bad := range []Resource{
		{ID: res.ID, Secret: res.Secret, SHA256: strings.Repeat("0", 64)},
		{ID: res.ID, Secret: res.Secret, Size: res.Size + 1},
	} {
		if err := ts.client.Download(t.Context(), bad, io.Discard); !errors.Is(err, ErrMismatch) || !strings.Contains(err.Error(), "expected") {
			t.Errorf("Download(%+v) = %v, want ErrMismatch", bad, err)
		}
	}
}

func TestHealthz(t *testing.T) {
	ts := newTestServer(t, Config{})
	resp, err := http.Get(ts.url + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || string(body) != "ok" {
		t.Fatalf("healthz: %d %q", resp.StatusCode, body)
	}
}

func TestRouting(t *testing.T) {
	ts := newTestServer(t, Config{})
	id := strings.Repeat("a", 2*idBytes)
	for _, tt := range []struct {
		method, path string
		code         int
		allow        string
	}{
		{http.MethodGet, "/nope", http.StatusNotFound, ""},
		{http.MethodGet, ResourcesPath, http.StatusMethodNotAllowed, "POST"},
		{http.MethodPut, ResourcesPath, http.StatusMethodNotAllowed, "POST"},
		{http.MethodPost, ResourcesPath + "/" + id, http.StatusMethodNotAllowed, "GET, HEAD"},
		{http.MethodDelete, ResourcesPath + "/" + id, http.StatusMethodNotAllowed, "GET, HEAD"},
		{http.MethodHead, ResourcesPath + "/" + id, http.StatusUnauthorized, ""},
		{http.MethodPost, "/healthz", http.StatusMethodNotAllowed, "GET, HEAD"},
		{http.MethodHead, "/healthz", http.StatusOK, ""},
	} {
		req, err := http.NewRequestWithContext(t.Context(), tt.method, ts.url+tt.path, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.code || resp.Header.Get("Allow") != tt.allow {
			t.Errorf("%s %s: %d, Allow %q; want %d, %q", tt.method, tt.path, resp.StatusCode, resp.Header.Get("Allow"), tt.code, tt.allow)
		}
	}
}

func TestDownloadAuth(t *testing.T) {
	ts := newTestServer(t, Config{})
	sources := []bundletest.Source{{Name: "jars/secret.jar", Data: "CONFIDENTIAL-BUNDLE-CONTENTS", Mode: 0o644}}
	res, err := ts.client.Upload(t.Context(), "default", testLabels, bundletest.Files(t, sources))
	if err != nil {
		t.Fatalf("Upload: %v", err)
	}
	// Something outside Dir that a path-like id would reach.
	outside := filepath.Join(filepath.Dir(ts.dir), "x")
	bundletest.Mkdir(t, outside)
	if err := os.WriteFile(filepath.Join(outside, bundleFile), []byte("OUTSIDE-FILE"), 0o644); err != nil {
		t.Fatal(err)
	}
	otherSecret := strings.Repeat("ab", secretBytes)
	tests := []struct {
		desc string
		id   string // as put in the URL path
		auth string
		code int
	}{
		{"ok", res.ID, "Bearer " + res.Secret, http.StatusOK},
		{"scheme case-insensitive", res.ID, "bearer " + res.Secret, http.StatusOK},
		{"no header", res.ID, "", http.StatusUnauthorized},
		{"basic auth", res.ID, "Basic dXNlcjpwYXNz", http.StatusUnauthorized},
		{"short token", res.ID, "Bearer abc", http.StatusUnauthorized},
		{"uppercase token", res.ID, "Bearer " + strings.ToUpper(res.Secret), http.StatusUnauthorized},
		{"wrong secret", res.ID, "Bearer " + otherSecret, http.StatusForbidden},
		{"unknown id", strings.Repeat("0", 2*idBytes), "Bearer " + res.Secret, http.StatusNotFound},
		{"escaped traversal", "..%2Fx", "Bearer " + res.Secret, http.StatusNotFound},
		{"escaped dot-dot", "%2e%2e", "Bearer " + res.Secret, http.StatusNotFound},
		{"non-hex", strings.Repeat("g", 2*idBytes), "Bearer " + res.Secret, http.StatusNotFound},
		{"uppercase id", strings.ToUpper(res.ID), "Bearer " + res.Secret, http.StatusNotFound},
		{"long id", res.ID + "0", "Bearer " + res.Secret, http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, ts.url+ResourcesPath+"/"+tt.id, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.code {
				t.Fatalf("status %d (%q), want %d", resp.StatusCode, body, tt.code)
			}
			if tt.code == http.StatusOK {
				if bundletest.SHA256(body) != res.SHA256 || resp.Header.Get(HeaderSHA256) != res.SHA256 || resp.ContentLength != res.Size {
					t.Fatalf("bad bundle answer: %d bytes, headers %v", len(body), resp.Header)
				}
				return
			}
			// An error is one line of text, and nothing of any bundle.
			if bytes.Contains(body, []byte("CONFIDENTIAL")) || bytes.Contains(body, []byte("OUTSIDE")) || bytes.Contains(body, []byte("ustar")) ||
				bytes.Count(body, []byte("\n")) != 1 || len(body) > 200 {
				t.Fatalf("error answer carries more than one line of text: %q", body)
			}
			if got := resp.Header.Get("WWW-Authenticate"); (tt.code == http.StatusUnauthorized) != strings.HasPrefix(got, "Bearer") {
				t.Fatalf("WWW-Authenticate %q with status %d", got, tt.code)
			}
		})
	}

	// Client side: statuses surface as *StatusError.
	for _, tt := range []struct {
		res  Resource
		code int
	}{
		{Resource{ID: res.ID, Secret: otherSecret}, http.StatusForbidden},
		{Resource{ID: res.ID, Secret: "nope"}, http.StatusUnauthorized},
		{Resource{ID: strings.Repeat("1", 2*idBytes), Secret: res.Secret}, http.StatusNotFound},
	} {
		var buf bytes.Buffer
		err := ts.client.Download(t.Context(), tt.res, &buf)
		var se *StatusError
		if !errors.As(err, &se) || se.Code != tt.code || buf.Len() != 0 {
			t.Errorf("Download(%+v) = %v with %d bytes, want status %d and none", tt.res, err, buf.Len(), tt.code)
		}
	}
	if err := ts.client.Download(t.Context(), Resource{ID: "../x", Secret: res.Secret}, io.Discard); err == nil {
		t.Error("Download accepted a path as resource id")
	}
}

func TestUploadRejectsHostileBundles(t *testing.T) {
	tests := []struct {
		desc    string
		entries []bundletest.Raw
		says    string
	}{
		{"dot-dot", []bundletest.Raw{{Name: "jars/ok", Data: "ok"}, {Name: "../x", Data: "x"}}, `"../x"`},
		{"absolute", []bundletest.Raw{{Name: "/abs", Data: "x"}}, `"/abs"`},
		{"inner dot-dot", []bundletest.Raw{{Name: "a/../../x", Data: "x"}}, `"a/../../x"`},
		{"files dot-dot", []bundletest.Raw{{Name: "files/../../x", Data: "x"}}, `"files/../../x"`},
		{"symlink", []bundletest.Raw{{Name: "files/link", Type: tar.TypeSymlink, Link: "../../outside"}, {Name: "files/link/x", Data: "x"}}, `"files/link" is a symbolic link`},
		{"hardlink", []bundletest.Raw{{Name: "files/hl", Type: tar.TypeLink, Link: "../../outside/x"}}, `"files/hl" is a hard link`},
	}
	ts := newTestServer(t, Config{})
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			data := bundletest.Tar(t, tt.entries...)
			code, body := post(t, ts.url, bytes.NewReader(data), bundletest.SHA256(data))
			if code != http.StatusBadRequest || !strings.Contains(body, tt.says) {
				t.Fatalf("upload: %d %q, want 400 naming %s", code, body, tt.says)
			}
			if names := bundletest.DirNames(t, ts.dir); len(names) != 0 {
				t.Fatalf("storage holds %q", names)
			}

			base := t.TempDir()
			sibling := filepath.Join(base, "outside")
			bundletest.Mkdir(t, sibling)
			dirs := map[string]string{"jars": filepath.Join(base, "t", "jars"), "files": filepath.Join(base, "t", "files"), "a": filepath.Join(base, "t", "a")}
			if _, err := bundle.Extract(bytes.NewReader(data), dirs, bundle.Limits{}); err == nil {
				t.Fatal("bundle.Extract accepted it")
			}
			if names := bundletest.DirNames(t, sibling); len(names) != 0 {
				t.Fatalf("%s holds %q", sibling, names)
			}
			bundletest.AssertNoFiles(t, base)
		})
	}
}

// chunked hides the length of a body, so that it is sent chunked.
type chunked struct{ r io.Reader }

func (c chunked) Read(p []byte) (int, error) { return c.r.Read(p) }

func TestUploadLimitsAndChecksum(t *testing.T) {
	ts := newTestServer(t, Config{MaxBundleSize: 8 << 10})
	small := bundletest.Bytes(t, bundletest.Files(t, []bundletest.Source{{Name: "files/small", Data: "small", Mode: 0o644}}))
	big := bundletest.Bytes(t, bundletest.Files(t, []bundletest.Source{{Name: "files/big", Data: strings.Repeat("x", 16<<10), Mode: 0o644}}))
	tests := []struct {
		desc string
		body io.Reader
		sum  string
		code int
		says string
	}{
		{"too big, length known", bytes.NewReader(big), bundletest.SHA256(big), http.StatusRequestEntityTooLarge, "exceeds the limit"},
		{"too big, chunked", chunked{bytes.NewReader(big)}, bundletest.SHA256(big), http.StatusRequestEntityTooLarge, "exceeds the limit"},
		{"checksum mismatch", bytes.NewReader(small), bundletest.SHA256(big), http.StatusBadRequest, "sha256 mismatch"},
		{"truncated body", bytes.NewReader(small[:len(small)-512]), bundletest.SHA256(small[:len(small)-512]), http.StatusBadRequest, "truncated"},
		{"no checksum", bytes.NewReader(small), "", http.StatusBadRequest, HeaderSHA256},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			code, body := post(t, ts.url, tt.body, tt.sum)
			if code != tt.code || !strings.Contains(body, tt.says) {
				t.Fatalf("upload: %d %q, want %d saying %q", code, body, tt.code, tt.says)
			}
			if names := bundletest.DirNames(t, ts.dir); len(names) != 0 {
				t.Fatalf("storage holds %q", names)
			}
		})
	}

	_, err := ts.client.Upload(t.Context(), "default", testLabels, bundletest.Files(t, []bundletest.Source{{Name: "files/big", Data: strings.Repeat("x", 16<<10), Mode: 0o644}}))
	var se *StatusError
	if !errors.As(err, &se) || se.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("Upload of a big bundle = %v, want a 413 StatusError", err)
	}
	if _, err := ts.client.Upload(t.Context(), "default", testLabels, bundletest.Files(t, []bundletest.Source{{Name: "files/small", Data: "small", Mode: 0o644}})); err != nil {
		t.Fatalf("Upload of a small bundle: %v", err)
	}
}

func TestUploadQuery(t *testing.T) {
	ts := newTestServer(t, Config{})
	data := bundletest.Bytes(t, bundletest.Files(t, []bundletest.Source{{Name: "files/a", Data: "a", Mode: 0o644}}))
	tests := []struct {
		query string
		code  int
	}{
		{"namespace=default&labels=spark-app-selector%3Dx", http.StatusCreated},
		{"namespace=default&labels=a%3D1%2Cb%3D2", http.StatusCreated},
		{"labels=a%3D1", http.StatusBadRequest},
		{"namespace=Bad_NS&labels=a%3D1", http.StatusBadRequest},
		{"namespace=default", http.StatusBadRequest},
		{"namespace=default&labels=a", http.StatusBadRequest},
		{"namespace=default&labels=a%3D1%2Ca%3D2", http.StatusBadRequest},
		{"namespace=default&labels=a%3Db%3Dc", http.StatusBadRequest},
	}
	for _, tt := range tests {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, ts.url+ResourcesPath+"?"+tt.query, bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set(HeaderSHA256, bundletest.SHA256(data))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.code {
			t.Errorf("%s: %d %q, want %d", tt.query, resp.StatusCode, body, tt.code)
		}
	}
}

func TestLabelsRoundTrip(t *testing.T) {
	labels := map[string]string{"spark-app-selector": "spark-1", "example.com/role": "", "b": "x.y_z"}
	got, err := parseLabels(formatLabels(labels))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(labels) {
		t.Fatalf("got %v", got)
	}
	for k, v := range labels {
		if got[k] != v {
			t.Fatalf("got %v, want %v", got, labels)
		}
	}
}
