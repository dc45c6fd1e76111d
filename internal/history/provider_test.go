package history

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/gospark/gospark/internal/status"
	"github.com/gospark/gospark/internal/ui"
)

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

func TestListing(t *testing.T) {
	dir := t.TempDir()
	done := startApp(t, dir, "app-done", "WordCount", 1_000_000)
	done.job(4, false)
	done.job(2, true)
	done.end(1_009_000)
	running := startApp(t, dir, "app-running", "SparkPi", 2_000_000, "spark.eventLog.compress", "true")
	running.job(3, false)
	rolling := startApp(t, dir, "app-rolling", "Sort", 500_000, "spark.eventLog.rolling.enabled", "true")
	rolling.end(600_000)
	// Not logs, or not readable ones: left out, said once.
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "broken"), []byte("not json\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	var logs syncBuffer
	p := NewProvider(Options{LogDir: dir, Log: slog.New(slog.NewTextHandler(&logs, nil))})
	for range 2 {
		if err := p.Scan(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	apps := p.Applications()
	var got []string
	for _, a := range apps {
		at := a.Attempt()
		got = append(got, strings.Join([]string{a.ID, a.Name, at.SparkUser, at.StartTime.String(), at.EndTime.String(),
			strings.TrimSpace(strings.Repeat("completed", btoi(at.Completed)))}, " "))
		if !strings.HasPrefix(at.AppSparkVersion, "gospark ") {
			t.Errorf("%s: appSparkVersion %q", a.ID, at.AppSparkVersion)
		}
	}
	want := []string{
		"app-done WordCount alice 1970-01-01T00:16:40.000GMT 1970-01-01T00:16:49.000GMT completed",
		"app-rolling Sort alice 1970-01-01T00:08:20.000GMT 1970-01-01T00:10:00.000GMT completed",
		"app-running SparkPi alice 1970-01-01T00:33:20.000GMT 1969-12-31T23:59:59.999GMT ",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("listing:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if d := apps[0].Attempt().Duration; d != 9000 {
		t.Errorf("duration %d, want 9000", d)
	}
	info, err := os.Stat(filepath.Join(dir, "app-running.zstd.inprogress"))
	if err != nil {
		t.Fatal(err)
	}
	if lu := apps[2].Attempt().LastUpdated; lu != status.Date(info.ModTime().UnixMilli()) {
		t.Errorf("the running application's last update is %v, want the log's %v", lu, info.ModTime())
	}
	if n := strings.Count(logs.String(), "cannot read an event log"); n != 1 || !strings.Contains(logs.String(), filepath.Join(dir, "broken")) {
		t.Errorf("the broken log was reported %d times, want once:\n%s", n, logs.String())
	}

	if _, err := p.Store(context.Background(), "app-nope"); !errors.Is(err, ui.ErrNotFound) {
		t.Errorf("Store of an unknown application: %v", err)
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Stores are kept for the retained applications and replayed again when
// their log changed or they were forgotten.
func TestStoreCache(t *testing.T) {
	dir := t.TempDir()
	a := startApp(t, dir, "app-a", "A", 1000)
	a.job(2, false)
	a.end(5000)
	b := startApp(t, dir, "app-b", "B", 2000)
	b.job(1, false)
	p := NewProvider(Options{LogDir: dir, Retained: 1})
	if err := p.Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	sa, err := p.Store(ctx, "app-a")
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := p.Store(ctx, "app-a"); again != sa {
		t.Error("an unchanged log was replayed again")
	}
	sb, err := p.Store(ctx, "app-b")
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := p.Store(ctx, "app-b"); again != sb {
		t.Error("an unchanged log was replayed again")
	}
	// b's log grows (its job events are flushed at once): replayed again.
	b.job(1, false)
	if again, _ := p.Store(ctx, "app-b"); again == sb {
		t.Error("a changed log was not replayed again")
	}
	if again, _ := p.Store(ctx, "app-a"); again == sa {
		t.Error("beyond retainedApplications=1, app-a's store was still kept")
	}
}
