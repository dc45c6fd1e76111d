//go:build browser

package browser

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// pages the harness is checked against: one clean page (with a stylesheet, a
// script, a fetch after load and a self-refresh, as the UI's pages have),
// and one page per kind of problem the harness must catch.
var selfTestPages = map[string]string{
	"/clean": `<!DOCTYPE html><html><head><title>clean</title>
<meta http-equiv="refresh" content="1">
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/style.css"><script src="/app.js"></script></head>
<body><table id="things"><tr class="thing"><td>1</td></tr><tr class="thing"><td>2</td></tr></table>
<p id="fetched"></p></body></html>`,
	"/throws": `<!DOCTYPE html><html><head><link rel="icon" href="data:,"></head><body>
<script>throw new Error("boom in the page");</script></body></html>`,
	"/rejects": `<!DOCTYPE html><html><head><link rel="icon" href="data:,"></head><body>
<script>Promise.reject(new Error("nobody caught this"));</script></body></html>`,
	"/console-error": `<!DOCTYPE html><html><head><link rel="icon" href="data:,"></head><body>
<script>console.error("the table is", "broken");</script></body></html>`,
	"/missing-stylesheet": `<!DOCTYPE html><html><head><link rel="icon" href="data:,">
<link rel="stylesheet" href="/no-such.css"></head><body></body></html>`,
	"/late-404": `<!DOCTYPE html><html><head><link rel="icon" href="data:,"></head><body><script>
window.addEventListener("load", () => fetch("/no-such.json").then(r => r.status));
</script></body></html>`,
}

func selfTestServer(t *testing.T) *httptest.Server {
	mux := http.NewServeMux()
	for path, html := range selfTestPages {
		mux.HandleFunc("GET "+path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, html)
		})
	}
	mux.HandleFunc("GET /style.css", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/css")
		fmt.Fprint(w, "table { border: 1px solid #888; }")
	})
	mux.HandleFunc("GET /app.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		fmt.Fprint(w, `window.addEventListener("load", () =>
  fetch("/data.json").then(r => r.json()).then(d => { document.getElementById("fetched").textContent = d.n; }));`)
	})
	mux.HandleFunc("GET /data.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"n": 2}`)
	})
	mux.HandleFunc("GET /server-error", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "it broke", http.StatusInternalServerError)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// TestHarnessCatchesProblems checks the harness itself: a clean page passes
// and can be queried and photographed, and each kind of problem is caught.
func TestHarnessCatchesProblems(t *testing.T) {
	srv := selfTestServer(t)
	tb := newTab(t)

	problems, err := tb.load(srv.URL + "/clean")
	if err != nil {
		t.Fatal(err)
	}
	if len(problems) > 0 {
		t.Fatalf("clean page reported problems:\n  %s", strings.Join(problems, "\n  "))
	}
	if n := mustEval[int](tb, `document.querySelectorAll("#things tr.thing").length`); n != 2 {
		t.Errorf("clean page: %d rows in #things, want 2", n)
	}
	// The page refreshes itself every second: eval still answers from a
	// complete document, and the fetch the script made after load is done.
	if got := mustEval[string](tb, `document.getElementById("fetched").textContent`); got != "2" {
		t.Errorf("clean page: #fetched is %q, want the fetched 2", got)
	}
	shot := tb.screenshot("clean")
	png, err := os.ReadFile(shot)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) || len(png) < 1000 {
		t.Errorf("screenshot %s is not a PNG of a page (%d bytes)", shot, len(png))
	}

	for _, c := range []struct{ path, want string }{
		{"/throws", "boom in the page"},
		{"/rejects", "nobody caught this"},
		{"/console-error", "console.error: the table is broken"},
		{"/missing-stylesheet", "HTTP 404"},
		{"/late-404", "/no-such.json"},
		{"/server-error", "HTTP 500"},
	} {
		problems, err := tb.load(srv.URL + c.path)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(strings.Join(problems, "\n"), c.want) {
			t.Errorf("%s: problems %q, want one saying %q", c.path, problems, c.want)
		}
	}
	// The clean page is still clean after all that: problems belong to the
	// page that had them.
	if problems, err := tb.load(srv.URL + "/clean"); err != nil || len(problems) > 0 {
		t.Errorf("clean page again: %q, %v", problems, err)
	}
}

// TestNoChromium runs this test binary with no browser to be found: without
// CI set the test skips, with CI=true it fails (CI never drops a level).
func TestNoChromium(t *testing.T) {
	if os.Getenv("GOSPARK_BROWSER_CHILD") == "1" {
		chromiumPath(t)
		return
	}
	for _, c := range []struct {
		ci       string
		wantFail bool
	}{{"", false}, {"true", true}} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestNoChromium$", "-test.v")
		var env []string
		for _, kv := range os.Environ() {
			name, _, _ := strings.Cut(kv, "=")
			if name != "PATH" && name != "CI" && name != "GOSPARK_CHROMIUM" {
				env = append(env, kv)
			}
		}
		cmd.Env = append(env, "GOSPARK_BROWSER_CHILD=1", "PATH="+t.TempDir(), "CI="+c.ci)
		out, err := cmd.CombinedOutput()
		failed := err != nil
		if failed != c.wantFail || !strings.Contains(string(out), "no chromium on PATH") {
			t.Errorf("CI=%q: failed=%v, want %v; output:\n%s", c.ci, failed, c.wantFail, out)
		}
		if !c.wantFail && !strings.Contains(string(out), "--- SKIP") {
			t.Errorf("CI=%q: the test did not skip:\n%s", c.ci, out)
		}
	}
}
