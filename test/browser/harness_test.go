//go:build browser

// Package browser looks at the driver's web UI in a real browser: Debian's
// chromium, headless, driven by chromedp. A page passes when it renders the
// tables the UI promises (ids and row classes that internal/ui keeps stable)
// without a JavaScript exception, a console error, a failed load or an HTTP
// status of 400 or more for the page or anything it loads. Every page visited
// is saved as a full-page screenshot under $GOSPARK_TEST_OUT/browser/<test>
// (test/browser/out/<test> when unset).
//
// The tests run with `make browser` (part of `make test`; build tag browser),
// which installs chromium first. Without chromium they skip, except when CI
// is set, where they fail: CI never silently drops a level.
package browser

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// actionTimeout bounds one browser action (a navigation, a query, a
// screenshot); generous, since the machine may be busy.
const actionTimeout = 90 * time.Second

// quietPeriod is how long a page's network must be idle for the page to
// count as loaded.
const quietPeriod = 500 * time.Millisecond

// onCI reports whether the tests run in CI, where nothing may skip.
func onCI() bool {
	v := strings.ToLower(os.Getenv("CI"))
	return v != "" && v != "false" && v != "0"
}

// chromiumPath finds the browser: $GOSPARK_CHROMIUM, else chromium (Debian's
// package) or a Chrome on PATH. Without one the test skips, or fails on CI.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("GOSPARK_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := "no chromium on PATH: install it with `make browser-deps` (Debian's chromium package) or set GOSPARK_CHROMIUM"
	if onCI() {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// outDir is where the test's screenshots go, emptied first.
func outDir(t *testing.T) string {
	t.Helper()
	base := os.Getenv("GOSPARK_TEST_OUT")
	if base != "" {
		base = filepath.Join(base, "browser")
	} else {
		base = "out"
	}
	dir, err := filepath.Abs(filepath.Join(base, strings.ReplaceAll(t.Name(), "/", "_")))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// syncBuffer is a bytes.Buffer the browser's output goroutine and the test
// may use together.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// tab is the one tab of the one browser a test uses, with what the pages it
// showed did wrong.
type tab struct {
	t      *testing.T
	ctx    context.Context // chromedp's context of the tab
	dir    string          // screenshots
	shots  int
	output *syncBuffer // the browser's stdout and stderr

	mu        sync.Mutex
	problems  []string
	checked   int                          // problems already returned by takeProblems
	inflight  map[network.RequestID]string // requests not yet finished or failed, by id: their URL
	badStatus map[network.RequestID]bool   // requests whose status >= 400 is reported
}

// newTab starts a headless chromium with a fresh profile and opens a tab;
// both end with the test.
func newTab(t *testing.T) *tab {
	t.Helper()
	exe := chromiumPath(t)
	tb := &tab{t: t, dir: outDir(t), output: &syncBuffer{}, inflight: make(map[network.RequestID]string),
		badStatus: make(map[network.RequestID]bool)}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.DisableGPU,
		chromedp.WindowSize(1280, 900),
		chromedp.CombinedOutput(tb.output),
	)
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox) // chromium refuses its sandbox as root
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithListener(tb.observe))
	tb.ctx = ctx
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
		if late := tb.takeProblems(); len(late) > 0 {
			t.Errorf("problems after the last page was checked:\n  %s", strings.Join(late, "\n  "))
		}
	})
	// The first action starts the browser; it must not carry a timeout (the
	// browser would end with it). The test's own -timeout bounds it.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting %s: %v\n%s", exe, err, tb.output.String())
	}
	return tb
}

// observe sees every event of the tab, in order, in chromedp's read loop: it
// must be quick and call nothing in the browser.
func (tb *tab) observe(ev any) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	switch ev := ev.(type) {
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		text := d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			text += " " + d.Exception.Description
		}
		tb.problem("JavaScript exception at %s:%d: %s", d.URL, d.LineNumber+1, text)
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
			tb.problem("console.%s: %s", ev.Type, remoteObjects(ev.Args))
		}
	case *log.EventEntryAdded:
		if e := ev.Entry; e.Level == log.EntryLevelError {
			tb.problem("browser error (%s): %s %s", e.Source, e.Text, e.URL)
		}
	case *network.EventRequestWillBeSent:
		tb.inflight[ev.RequestID] = ev.Request.URL
	case *network.EventResponseReceived:
		if r := ev.Response; r.Status >= 400 && !tb.badStatus[ev.RequestID] {
			tb.badStatus[ev.RequestID] = true
			tb.problem("HTTP %d %s for %s (%s)", r.Status, r.StatusText, r.URL, ev.Type)
		}
	case *network.EventResponseReceivedExtraInfo:
		// The only report of the status when the browser drops the response
		// before handing it to the page (a 404 stylesheet served as text).
		if ev.StatusCode >= 400 && !tb.badStatus[ev.RequestID] {
			tb.badStatus[ev.RequestID] = true
			tb.problem("HTTP %d for %s", ev.StatusCode, tb.inflight[ev.RequestID])
		}
	case *network.EventLoadingFinished:
		delete(tb.inflight, ev.RequestID)
	case *network.EventLoadingFailed:
		// A navigation cancels what the page it leaves still loads (the UI
		// refreshes itself): that is no failure.
		if !ev.Canceled {
			tb.problem("loading %s failed: %s %s", tb.inflight[ev.RequestID], ev.ErrorText, ev.BlockedReason)
		}
		delete(tb.inflight, ev.RequestID)
	}
}

// problem records one; tb.mu is held.
func (tb *tab) problem(format string, args ...any) {
	tb.problems = append(tb.problems, fmt.Sprintf(format, args...))
}

// remoteObjects shows console arguments as DevTools does, roughly.
func remoteObjects(args []*runtime.RemoteObject) string {
	var parts []string
	for _, a := range args {
		switch {
		case a.Value != nil:
			var s string
			if json.Unmarshal(a.Value, &s) == nil {
				parts = append(parts, s)
			} else {
				parts = append(parts, string(a.Value))
			}
		case a.Description != "":
			parts = append(parts, a.Description)
		default:
			parts = append(parts, string(a.Type))
		}
	}
	return strings.Join(parts, " ")
}

// takeProblems returns the problems recorded since it was last called.
func (tb *tab) takeProblems() []string {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	p := slices.Clone(tb.problems[tb.checked:])
	tb.checked = len(tb.problems)
	return p
}

// load opens url, waits until the page and everything it loads have
// arrived, and returns what went wrong since the last look (nil when
// nothing did: a page that refreshed itself meanwhile counts too); an error
// is a failure of the browser or the harness, not of the page.
func (tb *tab) load(url string) ([]string, error) {
	ctx, cancel := context.WithTimeout(tb.ctx, actionTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		var le *chromedp.LoadError
		if !errors.As(err, &le) {
			return nil, fmt.Errorf("opening %s: %w", url, err)
		}
		// The browser could not load the page at all (refused, reset):
		// that is the page's problem, reported with the others.
		tb.mu.Lock()
		tb.problem("opening %s: %v", url, err)
		tb.mu.Unlock()
	}
	if err := tb.settle(ctx); err != nil {
		return nil, fmt.Errorf("opening %s: %w", url, err)
	}
	return tb.takeProblems(), nil
}

// settle waits until no request of the tab has been in flight for
// quietPeriod, so that what the page loads once loaded (its scripts' fetches)
// is seen too, as puppeteer's networkidle0 does.
func (tb *tab) settle(ctx context.Context) error {
	var quietSince time.Time
	for {
		tb.mu.Lock()
		pending := make([]string, 0, len(tb.inflight))
		for _, u := range tb.inflight {
			pending = append(pending, u)
		}
		tb.mu.Unlock()
		switch {
		case len(pending) > 0:
			quietSince = time.Time{}
		case quietSince.IsZero():
			quietSince = time.Now()
		case time.Since(quietSince) >= quietPeriod:
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("requests still loading: %s: %w", strings.Join(pending, ", "), ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// visit opens url, saves a full-page screenshot named after name, and fails
// the test when the page had any problem.
func (tb *tab) visit(name, url string) {
	tb.t.Helper()
	problems, err := tb.load(url)
	if err != nil {
		tb.t.Fatal(err)
	}
	shot := tb.screenshot(name)
	if len(problems) > 0 {
		tb.t.Fatalf("%s (%s, screenshot %s):\n  %s", name, url, shot, strings.Join(problems, "\n  "))
	}
}

// leave shows a blank page, so that the page last visited stops refreshing
// itself (before the application whose UI it is stops), and fails the test
// on anything that page did wrong since the last look.
func (tb *tab) leave() {
	tb.t.Helper()
	problems, err := tb.load("about:blank")
	if err != nil {
		tb.t.Fatal(err)
	}
	if len(problems) > 0 {
		tb.t.Fatalf("before leaving the last page:\n  %s", strings.Join(problems, "\n  "))
	}
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// screenshot saves the whole page (not only the window) as a PNG and
// returns its path.
func (tb *tab) screenshot(name string) string {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, actionTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		tb.t.Fatalf("screenshot of %s: %v", name, err)
	}
	tb.shots++
	path := filepath.Join(tb.dir, fmt.Sprintf("%02d-%s.png", tb.shots, unsafeName.ReplaceAllString(name, "_")))
	if err := os.WriteFile(path, png, 0o644); err != nil {
		tb.t.Fatal(err)
	}
	tb.t.Logf("screenshot: %s", path)
	return path
}

// errNotReady is what eval's expression reports when the document it ran
// in is still loading (the page refreshed itself meanwhile).
var errNotReady = errors.New("document not loaded yet")

// eval runs the JavaScript expression in the page once the document is
// complete, and decodes its value into T. The expression is evaluated in one
// go, so a refresh cannot change the DOM halfway; when the page is
// mid-refresh eval waits for the new document.
func eval[T any](tb *tab, expr string) (T, error) {
	var zero T
	wrapped := `(() => {
		if (document.readyState !== "complete") return {ready: false};
		return {ready: true, value: (` + expr + `)};
	})()`
	type answer struct {
		Ready bool            `json:"ready"`
		Value json.RawMessage `json:"value"`
	}
	ctx, cancel := context.WithTimeout(tb.ctx, actionTimeout)
	defer cancel()
	for {
		a, err := chromedp.Run(ctx, chromedp.Evaluate[answer](wrapped))
		var exc *chromedp.ExceptionError
		switch {
		case errors.As(err, &exc):
			return zero, fmt.Errorf("evaluating %s: %w", expr, err)
		case err == nil && a.Ready:
			var v T
			if err := json.Unmarshal(a.Value, &v); err != nil {
				return zero, fmt.Errorf("evaluating %s: decoding %s: %w", expr, a.Value, err)
			}
			return v, nil
		case ctx.Err() != nil:
			if err == nil {
				err = errNotReady
			}
			return zero, fmt.Errorf("evaluating %s: %w (%w)", expr, err, ctx.Err())
		}
		// Not ready, or the document went away under the evaluation.
		select {
		case <-ctx.Done():
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// mustEval is eval that fails the test on an error.
func mustEval[T any](tb *tab, expr string) T {
	tb.t.Helper()
	v, err := eval[T](tb, expr)
	if err != nil {
		tb.t.Fatal(err)
	}
	return v
}
