package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestReplaceSection(t *testing.T) {
	const heading = "## UI and event log overhead (issue 14)"
	cases := []struct {
		name, before, want string
	}{
		{"appended when missing",
			"# Benchmarks\n\n## Build and test times\n\nkept\n",
			"# Benchmarks\n\n## Build and test times\n\nkept\n\n" + heading + "\n\nnew\n"},
		{"replaced up to the next section",
			"# B\n\n" + heading + "\n\nold\n### sub\nold too\n\n## Next\n\nkept\n",
			"# B\n\n" + heading + "\n\nnew\n\n## Next\n\nkept\n"},
		{"replaced at the end",
			"# B\n\n## Build and test times\n\nkept\n\n" + heading + "\n\nold\n",
			"# B\n\n## Build and test times\n\nkept\n\n" + heading + "\n\nnew\n"},
		{"a longer heading is another section",
			"# B\n\n" + heading + " (old draft)\n\nkept\n",
			"# B\n\n" + heading + " (old draft)\n\nkept\n\n" + heading + "\n\nnew\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "BENCHMARKS.md")
			if err := os.WriteFile(path, []byte(c.before), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := replaceSection(path, heading, heading+"\n\nnew\n\n"); err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != c.want {
				t.Errorf("got\n%s\nwant\n%s", got, c.want)
			}
		})
	}
}

// A shortened go tool pprof -traces output: two samples in the UI's
// templates and the event log, one elsewhere.
const traces = `File: gospark-bench
Type: cpu
Duration: 35.53ms, Total samples = 60ms (168.87%)
-----------+-------------------------------------------------------
      10ms   runtime.memclrNoHeapPointers
             text/template/parse.(*Tree).Copy (inline)
             github.com/gospark/gospark/internal/ui.parseTemplates
             github.com/gospark/gospark/internal/ui.NewHandler
             github.com/gospark/gospark/spark.(*Session).startUI
             main.main
-----------+-------------------------------------------------------
      20ms   github.com/klauspost/compress/zstd.(*doubleFastEncoder).Encode
             github.com/gospark/gospark/internal/eventlog.(*Writer).flush
             github.com/gospark/gospark/internal/events.(*queue).run
-----------+-------------------------------------------------------
      30ms   main.main.func1
             runtime.goexit
-----------+-------------------------------------------------------
`

func TestParseTraces(t *testing.T) {
	s, err := parseTraces([]byte(traces))
	if err != nil {
		t.Fatal(err)
	}
	if s.total != 60*time.Millisecond || s.observe != 30*time.Millisecond {
		t.Errorf("total %v, in observability code %v; want 60ms and 30ms", s.total, s.observe)
	}
	want := []funcTime{
		{"github.com/gospark/gospark/internal/eventlog.(*Writer).flush", 20 * time.Millisecond},
		{"github.com/gospark/gospark/internal/ui.parseTemplates", 10 * time.Millisecond},
	}
	if len(s.top) != len(want) {
		t.Fatalf("heaviest %v, want %v", s.top, want)
	}
	for i := range want {
		if s.top[i] != want[i] {
			t.Errorf("heaviest[%d] = %v, want %v", i, s.top[i], want[i])
		}
	}
}
