package progress

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestRender(t *testing.T) {
	tests := []struct {
		name   string
		stages []StageStatus
		width  int
		want   string
	}{
		{"no stages", nil, 80, ""},
		{"Spark's example", []StageStatus{{StageID: 3, Total: 50, Completed: 12, Active: 4}}, 80,
			"[Stage 3:=============>                                           (12 + 4) / 50]"},
		// Below, columns = width/stages - len(header) - len(tailer), and
		// "=" fills columns*completed/total of them.
		{"nothing done", []StageStatus{{StageID: 0, Total: 10, Active: 2}}, 40,
			"[Stage 0:>" + spaces(17) + "(0 + 2) / 10]"},
		{"all done", []StageStatus{{StageID: 1, Total: 4, Completed: 4}}, 30,
			"[Stage 1:" + eq(9) + "(4 + 0) / 4]"},
		{"half done", []StageStatus{{StageID: 1, Total: 4, Completed: 2, Active: 2}}, 30,
			"[Stage 1:" + eq(4) + ">" + spaces(4) + "(2 + 2) / 4]"},
		{"more done than total", []StageStatus{{StageID: 1, Total: 4, Completed: 5}}, 30,
			"[Stage 1:" + eq(9) + "(5 + 0) / 4]"},
		{"no tasks", []StageStatus{{StageID: 2}}, 30,
			"[Stage 2:>" + spaces(8) + "(0 + 0) / 0]"},
		{"too narrow for a bar", []StageStatus{{StageID: 12, Total: 100, Completed: 50, Active: 8}}, 20,
			"[Stage 12:(50 + 8) / 100]"},
		{"exactly no room for a bar", []StageStatus{{StageID: 1, Total: 4}}, 21,
			"[Stage 1:(0 + 0) / 4]"},
		{"two stages share the width", []StageStatus{
			{StageID: 1, Total: 10, Completed: 5, Active: 1},
			{StageID: 2, Total: 4, Completed: 1, Active: 3},
		}, 60, "[Stage 1:" + eq(4) + ">" + spaces(3) + "(5 + 1) / 10]" + "[Stage 2:" + eq(2) + ">" + spaces(6) + "(1 + 3) / 4]"},
		{"at most three stages", []StageStatus{
			{StageID: 1, Total: 1}, {StageID: 2, Total: 1}, {StageID: 3, Total: 1}, {StageID: 4, Total: 1},
		}, 75, "[Stage 1:>   (0 + 0) / 1][Stage 2:>   (0 + 0) / 1][Stage 3:>   (0 + 0) / 1]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Render(tt.stages, tt.width)
			if got != tt.want {
				t.Fatalf("Render =\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

func spaces(n int) string { return strings.Repeat(" ", n) }
func eq(n int) string     { return strings.Repeat("=", n) }

func TestRenderFillsWidth(t *testing.T) {
	for n := 1; n <= MaxStages; n++ {
		stages := make([]StageStatus, n)
		for i := range stages {
			stages[i] = StageStatus{StageID: i, Total: 200, Completed: 77, Active: 10}
		}
		if got := len(Render(stages, 120)); got != 120/n*n {
			t.Errorf("%d stages: line of %d columns, want %d", n, got, 120/n*n)
		}
	}
}

func TestBar(t *testing.T) {
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	stage := func(done int) []StageStatus {
		return []StageStatus{{StageID: 0, Total: 4, Completed: done, Active: 1, Started: t0}}
	}
	line := func(done int) string { return "\r" + Render(stage(done), 30) + "\r" }
	steps := []struct {
		name   string
		do     func(b *Bar)
		output string // written by this step
	}{
		{"stage younger than 500ms", func(b *Bar) { b.Update(at(300), stage(0)) }, ""},
		{"stage exactly 500ms old", func(b *Bar) { b.Update(at(500), stage(0)) }, ""},
		{"first draw", func(b *Bar) { b.Update(at(501), stage(0)) }, line(0)},
		{"unchanged", func(b *Bar) { b.Update(at(900), stage(0)) }, ""},
		{"changed within 200ms of the last draw", func(b *Bar) { b.Update(at(650), stage(1)) }, ""},
		{"changed 200ms after the last draw", func(b *Bar) { b.Update(at(701), stage(1)) }, line(1)},
		{"new young stage is skipped", func(b *Bar) {
			b.Update(at(1000), append(stage(1), StageStatus{StageID: 1, Total: 9, Started: at(800)}))
		}, ""},
		{"new stage shown once old enough", func(b *Bar) {
			b.Update(at(1400), append(stage(2), StageStatus{StageID: 1, Total: 9, Started: at(800)}))
		}, "\r" + Render(append(stage(2), StageStatus{StageID: 1, Total: 9}), 30) + "\r"},
		{"finish clears", func(b *Bar) { b.Finish() }, "\r" + strings.Repeat(" ", 30) + "\r"},
		{"finish again writes nothing", func(b *Bar) { b.Finish() }, ""},
		{"draws again after finish", func(b *Bar) { b.Update(at(1500), stage(3)) }, line(3)},
	}
	var out bytes.Buffer
	b := New(&out, 30)
	for _, s := range steps {
		before := out.Len()
		s.do(b)
		if got := out.String()[before:]; got != s.output {
			t.Fatalf("%s: wrote %q, want %q", s.name, got, s.output)
		}
	}
}

func TestFinishWithoutDrawing(t *testing.T) {
	var out bytes.Buffer
	b := New(&out, 80)
	b.Update(time.Now(), nil)
	b.Finish()
	if out.Len() != 0 {
		t.Fatalf("wrote %q without any stage", out.String())
	}
}

func TestWidthFromColumns(t *testing.T) {
	tests := []struct {
		columns string
		want    int
	}{
		{"", DefaultWidth},
		{"120", 120},
		{"wide", DefaultWidth},
		{"-5", DefaultWidth},
	}
	for _, tt := range tests {
		t.Run(tt.columns, func(t *testing.T) {
			t.Setenv("COLUMNS", tt.columns)
			var out bytes.Buffer
			b := New(&out, 0)
			b.Update(time.Now(), []StageStatus{{Total: 1, Started: time.Now().Add(-time.Second)}})
			b.Finish()
			if want := "\r" + strings.Repeat(" ", tt.want) + "\r"; !strings.HasSuffix(out.String(), want) {
				t.Fatalf("cleared with %q, want %d spaces", out.String(), tt.want)
			}
		})
	}
}

// syncBuffer is a bytes.Buffer safe for the concurrent writes under test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func TestBarConcurrent(t *testing.T) {
	// The driver updates from a ticker goroutine and finishes from the
	// scheduler's; run with -race.
	var out syncBuffer
	b := New(&out, 50)
	start := time.Now().Add(-time.Second)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 200 {
				if g == 0 && i%50 == 0 {
					b.Finish()
					continue
				}
				b.Update(start.Add(time.Duration(i)*time.Second), []StageStatus{{Total: 200, Completed: i, Started: start}})
			}
		})
	}
	wg.Wait()
	if out.b.Len() == 0 {
		t.Fatal("nothing drawn")
	}
}

func TestIsTerminal(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	if IsTerminal(f) {
		t.Error("a regular file is a terminal")
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	if IsTerminal(w) {
		t.Error("a pipe is a terminal")
	}
}
