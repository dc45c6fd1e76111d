package history

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gospark/gospark/internal/config"
)

// startServer runs Main on 127.0.0.1 with an ephemeral port and returns its
// base URL; the server stops when the test ends.
func startServer(t *testing.T, kv ...string) string {
	t.Helper()
	conf := config.New()
	kv = append([]string{"spark.history.ui.port", "0"}, kv...)
	for i := 0; i < len(kv); i += 2 {
		if err := conf.Set(kv[i], kv[i+1]); err != nil {
			t.Fatal(err)
		}
	}
	var logs syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- Main(ctx, conf, "127.0.0.1", slog.New(slog.NewTextHandler(&logs, nil)), func(a string) { addr <- a })
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Main: %v", err)
			}
		case <-time.After(60 * time.Second):
			t.Error("the history server did not stop")
		}
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	select {
	case a := <-addr:
		return "http://" + a
	case err := <-done:
		t.Fatalf("Main: %v\n%s", err, logs.String())
	case <-time.After(60 * time.Second):
		t.Fatal("the history server does not listen")
	}
	return ""
}

// getJSON fetches url into v; the status code is returned.
func getJSON(t *testing.T, url string, v any) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode == http.StatusOK && v != nil {
		if err := json.Unmarshal(body, v); err != nil {
			t.Fatalf("%s: %v\n%s", url, err, body)
		}
	}
	return resp.StatusCode
}

// getText fetches url, which must answer 200.
func getText(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Errorf("%s: status %d\n%s", url, resp.StatusCode, body)
	}
	return string(body)
}

type apiApp struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Attempts []struct {
		Completed   bool   `json:"completed"`
		SparkUser   string `json:"sparkUser"`
		Duration    int64  `json:"duration"`
		EndTime     string `json:"endTime"`
		LastUpdated string `json:"lastUpdated"`
	} `json:"attempts"`
}

// waitApps polls /api/v1/applications until it lists want (ids, in order).
func waitApps(t *testing.T, base string, want ...string) []apiApp {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var apps []apiApp
		code := getJSON(t, base+"/api/v1/applications", &apps)
		var ids []string
		for _, a := range apps {
			ids = append(ids, a.ID)
		}
		if code == http.StatusOK && slices.Equal(ids, want) {
			return apps
		}
		if time.Now().After(deadline) {
			t.Fatalf("/api/v1/applications: status %d, applications %v, want %v", code, ids, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestHistoryServer(t *testing.T) {
	// The REST API lists applications started from 2010 on by default.
	const t0 = 1_704_067_200_000 // 2024-01-01
	dir := t.TempDir()
	done := startApp(t, dir, "app-done", "WordCount", t0+1_000_000)
	done.job(4, false)
	done.job(2, true)
	done.end(t0 + 1_009_000)
	running := startApp(t, dir, "app-running", "SparkPi", t0+2_000_000, "spark.eventLog.compress", "true")
	running.job(3, false)

	base := startServer(t, "spark.history.fs.logDirectory", "file://"+dir, "spark.history.fs.update.interval", "200ms")
	apps := waitApps(t, base, "app-done", "app-running")
	if a := apps[0]; a.Name != "WordCount" || len(a.Attempts) != 1 || !a.Attempts[0].Completed || a.Attempts[0].Duration != 9000 || a.Attempts[0].SparkUser != "alice" {
		t.Errorf("completed application: %+v", a)
	}
	if a := apps[1]; a.Name != "SparkPi" || len(a.Attempts) != 1 || a.Attempts[0].Completed || a.Attempts[0].LastUpdated == "" {
		t.Errorf("running application: %+v", a)
	}

	type job struct {
		JobID             int    `json:"jobId"`
		Status            string `json:"status"`
		NumTasks          int    `json:"numTasks"`
		NumCompletedTasks int    `json:"numCompletedTasks"`
		NumFailedTasks    int    `json:"numFailedTasks"`
	}
	var jobs []job
	if code := getJSON(t, base+"/api/v1/applications/app-done/jobs", &jobs); code != http.StatusOK {
		t.Fatalf("jobs: status %d", code)
	}
	got := fmt.Sprint(jobs)
	if want := "[{1 FAILED 2 1 1} {0 SUCCEEDED 4 4 0}]"; got != want {
		t.Errorf("app-done's jobs: %s, want %s", got, want)
	}
	if code := getJSON(t, base+"/api/v1/applications/app-running/jobs", &jobs); code != http.StatusOK || fmt.Sprint(jobs) != "[{0 SUCCEEDED 3 3 0}]" {
		t.Errorf("app-running's jobs: status %d, %v", code, jobs)
	}
	if code := getJSON(t, base+"/api/v1/applications/app-nope/jobs", nil); code != http.StatusNotFound {
		t.Errorf("an unknown application: status %d, want 404", code)
	}

	// The pages: completed applications on "/", the running one with
	// showIncomplete, an application's jobs under /history/<id>/.
	for path, want := range map[string][]string{
		"/":                          {"app-done", "WordCount"},
		"/?showIncomplete=true":      {"app-running", "SparkPi"},
		"/history/app-done/jobs/":    {"count at job1.go:1"},
		"/history/app-running/jobs/": {"count at job0.go:1"},
	} {
		body := getText(t, base+path)
		for _, w := range want {
			if !strings.Contains(body, w) {
				t.Errorf("%s does not show %q", path, w)
			}
		}
	}
	if body := getText(t, base+"/"); strings.Contains(body, "app-running") {
		t.Error(`"/" lists the running application among the completed ones`)
	}

	// The running application goes on: its next job shows.
	running.job(1, false)
	deadline := time.Now().Add(60 * time.Second)
	for {
		if getJSON(t, base+"/api/v1/applications/app-running/jobs", &jobs); len(jobs) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("app-running's second job never showed: %v", jobs)
		}
		time.Sleep(50 * time.Millisecond)
	}

	// A new application's log is picked up by a later scan; the running
	// one completes.
	late := startApp(t, dir, "app-late", "Sort", t0+3_000_000, "spark.eventLog.rolling.enabled", "true")
	late.job(1, false)
	late.end(t0 + 3_005_000)
	running.end(t0 + 2_500_000)
	apps = waitApps(t, base, "app-late", "app-running", "app-done")
	if !apps[1].Attempts[0].Completed || apps[1].Attempts[0].Duration != 500_000 {
		t.Errorf("app-running once completed: %+v", apps[1])
	}
}
