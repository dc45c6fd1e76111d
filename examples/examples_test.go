// End-to-end tests of the examples: each runs through a built gospark
// binary (`gospark submit`), as a user would, and its output is checked
// against an answer computed here independently of the engine.
package examples_test

import (
	"bufio"
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

var bin string // directory with gospark and the example binaries

// cluster is the master of executor processes the examples also run on:
// every example must give the same answer as under local[2].
const cluster = "local-cluster[2,1,1024]"

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "gospark-examples-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin = dir
	build := exec.Command("go", "build", "-o", dir+"/", "../cmd/gospark", "./sparkpi", "./groupbytest", "./wordcount", "./pagerank", "./sort", "./testdata/flaky", "./testdata/noexec")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building the examples:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type result struct {
	stdout, stderr string
	code           int
	maxRSSMiB      float64 // peak RSS of the largest process in the tree
}

// submit runs `gospark submit args...` and returns what it printed.
func submit(t *testing.T, args ...string) result {
	t.Helper()
	cmd := exec.Command(filepath.Join(bin, "gospark"), append([]string{"submit"}, args...)...)
	cmd.Env = append(os.Environ(), "SPARK_CONF_DIR="+t.TempDir())
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	if cmd.ProcessState == nil {
		t.Fatalf("gospark submit %v did not run: %v", args, err)
	}
	r.code = cmd.ProcessState.ExitCode()
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.maxRSSMiB = float64(ru.Maxrss) / 1024
	}
	return r
}

func app(name string) string { return filepath.Join(bin, name) }

func mustSucceed(t *testing.T, r result) {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("exit code %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

func splitMix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

func TestSparkPi(t *testing.T) {
	for _, master := range []string{"local[2]", "local[*]", "local", cluster} {
		r := submit(t, "--master", master, app("sparkpi"), "10")
		mustSucceed(t, r)
		m := regexp.MustCompile(`^Pi is roughly (3\.1[0-9]*)$`).FindStringSubmatch(lastLine(r.stdout))
		if m == nil {
			t.Fatalf("%s: output %q is not \"Pi is roughly 3.1...\"", master, r.stdout)
		}
		// The same darts, thrown by a plain loop.
		n := int64(100000 * 10)
		var count int64
		unit := func(h uint64) float64 { return float64(h>>11) / (1 << 53) }
		for i := int64(1); i < n; i++ {
			x := unit(splitMix64(uint64(i)))*2 - 1
			y := unit(splitMix64(uint64(i)^0xabcdef12345))*2 - 1
			if x*x+y*y <= 1 {
				count++
			}
		}
		got, _ := strconv.ParseFloat(m[1], 64)
		if want := 4.0 * float64(count) / float64(n-1); got != want {
			t.Fatalf("%s: Pi is roughly %v, want %v", master, got, want)
		}
	}
}

// groupByCount counts the distinct keys GroupByTest's mappers draw.
func groupByCount(mappers, pairs, valSize int) int {
	keys := make(map[int]bool, mappers*pairs)
	for m := range mappers {
		rng := rand.New(rand.NewPCG(uint64(m), 0x6b79))
		for range pairs {
			for j := 0; j < valSize; j += 8 {
				rng.Uint64()
			}
			keys[rng.IntN(math.MaxInt32)] = true
		}
	}
	return len(keys)
}

func TestGroupByTestSeedArguments(t *testing.T) {
	// The seeds' dynamic-allocation example: GroupByTest 10 400000 2.
	want := groupByCount(10, 400000, 2)
	for _, master := range []string{"local[2]", cluster} {
		r := submit(t, "--master", master, app("groupbytest"), "10", "400000", "2")
		mustSucceed(t, r)
		if got := lastLine(r.stdout); got != strconv.Itoa(want) {
			t.Fatalf("%s: GroupByTest printed %q, want %d", master, got, want)
		}
	}
}

func TestGroupByKeyBeyondMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the 1 GiB GroupByKey (4x spark.driver.memory)")
	}
	// 10 mappers x 100,000 pairs x 1000-byte values = 1 GB through
	// GroupByKey with spark.driver.memory=256m (4x).
	r := submit(t, "--master", "local[2]", "--driver-memory", "256m", app("groupbytest"), "10", "100000", "1000", "4")
	mustSucceed(t, r)
	want := groupByCount(10, 100000, 1000)
	if got := lastLine(r.stdout); got != strconv.Itoa(want) {
		t.Fatalf("GroupByTest printed %q, want %d", got, want)
	}
	t.Logf("peak RSS %.0f MiB with spark.driver.memory=256m", r.maxRSSMiB)
	if r.maxRSSMiB <= 0 || r.maxRSSMiB >= 512 {
		t.Fatalf("peak RSS %.0f MiB, want under 512 MiB (2x spark.driver.memory)", r.maxRSSMiB)
	}
}

func TestWordCount(t *testing.T) {
	dir := t.TempDir()
	want := writeCorpus(t, dir, 3, 200_000)
	// The same answer with each shuffle codec (spark.io.compression.codec).
	for _, run := range []struct{ master, codec string }{
		{"local[2]", "lz4"}, {"local[2]", "zstd"}, {"local[2]", "snappy"}, {cluster, "lz4"}, {cluster, "zstd"},
	} {
		codec := run.master + " " + run.codec
		r := submit(t, "--master", run.master, "--conf", "spark.io.compression.codec="+run.codec, app("wordcount"), filepath.Join(dir, "part-*"))
		mustSucceed(t, r)
		got := map[string]int64{}
		for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
			w, c, ok := strings.Cut(line, ": ")
			n, err := strconv.ParseInt(c, 10, 64)
			if !ok || err != nil {
				t.Fatalf("%s: bad output line %q", codec, line)
			}
			got[w] = n
		}
		compareCounts(t, got, want)
	}
	// SaveAsTextFile from executor processes: part files and _SUCCESS.
	out := filepath.Join(t.TempDir(), "counts")
	r := submit(t, "--master", cluster, app("wordcount"), filepath.Join(dir, "part-*"), out)
	mustSucceed(t, r)
	compareCounts(t, readSaved(t, out), want)
	if _, err := os.Stat(filepath.Join(out, "_SUCCESS")); err != nil {
		t.Fatalf("%s: no _SUCCESS: %v", cluster, err)
	}
	r = submit(t, "--conf", "spark.io.compression.codec=lzf", app("wordcount"), filepath.Join(dir, "part-*"))
	if r.code == 0 || !strings.Contains(r.stderr, "spark.io.compression.codec") {
		t.Fatalf("codec lzf: exit %d, stderr %q; want a failure naming spark.io.compression.codec", r.code, r.stderr)
	}
}

// writeCorpus writes files of random words (Zipf-ish over a small
// vocabulary, one .gz file among them) and returns the true counts.
func writeCorpus(t *testing.T, dir string, files, wordsPerFile int) map[string]int64 {
	t.Helper()
	counts := map[string]int64{}
	rng := rand.New(rand.NewPCG(1, 2))
	for f := range files {
		var b strings.Builder
		for i := range wordsPerFile {
			w := fmt.Sprintf("w%d", int(math.Pow(float64(rng.IntN(1000)+1), 1.7))%5000)
			counts[w]++
			b.WriteString(w)
			if i%13 == 12 {
				b.WriteString("\n")
			} else {
				b.WriteString(" ")
			}
		}
		name := filepath.Join(dir, fmt.Sprintf("part-%d.txt", f))
		if err := os.WriteFile(name, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		if f == 0 {
			if out, err := exec.Command("gzip", name).CombinedOutput(); err != nil {
				t.Fatalf("gzip: %v %s", err, out)
			}
			if err := os.Rename(name+".gz", filepath.Join(dir, "part-0.txt.gz")); err != nil {
				t.Fatal(err)
			}
		}
	}
	return counts
}

// readSaved reads the (word,count) lines of wordcount's saved output.
func readSaved(t *testing.T, out string) map[string]int64 {
	t.Helper()
	got := map[string]int64{}
	parts, _ := filepath.Glob(filepath.Join(out, "part-*"))
	if len(parts) == 0 {
		t.Fatal("no part files written")
	}
	for _, p := range parts {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			w, c, ok := strings.Cut(strings.Trim(line, "()"), ",")
			n, err := strconv.ParseInt(c, 10, 64)
			if !ok || err != nil {
				t.Fatalf("bad output line %q", line)
			}
			got[w] += n
		}
	}
	return got
}

func compareCounts(t *testing.T, got, want map[string]int64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d distinct words, want %d", len(got), len(want))
	}
	for w, c := range want {
		if got[w] != c {
			t.Fatalf("count of %q = %d, want %d", w, got[w], c)
		}
	}
}

func TestWordCount200MBSavedWithinMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the 200 MB word count")
	}
	dir := t.TempDir()
	// 8 files of 25 MB: lines of words w0..w99999 drawn by a hash.
	want := map[string]int64{}
	for f := range 8 {
		file, err := os.Create(filepath.Join(dir, fmt.Sprintf("in-%d.txt", f)))
		if err != nil {
			t.Fatal(err)
		}
		w := bufio.NewWriterSize(file, 1<<20)
		var written int
		for i := 0; written < 25<<20; i++ {
			word := "w" + strconv.Itoa(int(splitMix64(uint64(f)<<40|uint64(i))%100000))
			want[word]++
			sep := " "
			if i%11 == 10 {
				sep = "\n"
			}
			n, _ := w.WriteString(word + sep)
			written += n
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		file.Close()
	}
	out := filepath.Join(t.TempDir(), "counts")
	r := submit(t, "--master", "local[2]", app("wordcount"), dir, out)
	mustSucceed(t, r)
	compareCounts(t, readSaved(t, out), want)
	t.Logf("peak RSS %.0f MiB with spark.driver.memory=1g (default)", r.maxRSSMiB)
	if r.maxRSSMiB <= 0 || r.maxRSSMiB >= 2048 {
		t.Fatalf("peak RSS %.0f MiB, want under 2048 MiB (2x the default 1g)", r.maxRSSMiB)
	}
}

func TestPageRank(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(3, 4))
	var edges [][2]string
	var b strings.Builder
	for range 400 {
		e := [2]string{fmt.Sprintf("p%d", rng.IntN(60)), fmt.Sprintf("p%d", rng.IntN(60))}
		edges = append(edges, e)
		fmt.Fprintf(&b, "%s %s\n", e[0], e[1])
	}
	file := filepath.Join(dir, "links.txt")
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	want := pageRank(edges, 5)
	for _, master := range []string{"local[2]", cluster} {
		r := submit(t, "--master", master, app("pagerank"), file, "5")
		mustSucceed(t, r)
		lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
		if len(lines) != len(want) {
			t.Fatalf("%s: %d ranks printed, want %d", master, len(lines), len(want))
		}
		for _, line := range lines {
			var page string
			var rank float64
			if _, err := fmt.Sscanf(line, "%s has rank: %g .", &page, &rank); err != nil {
				t.Fatalf("%s: bad line %q: %v", master, line, err)
			}
			// Sums of floats added in another order may differ in the last bit.
			if w, ok := want[page]; !ok || math.Abs(w-rank) > 1e-9 {
				t.Fatalf("%s: rank of %s = %v, want %v", master, page, rank, w)
			}
		}
	}
}

// pageRank is SparkPageRank's algorithm on plain maps.
func pageRank(edges [][2]string, iters int) map[string]float64 {
	links := map[string][]string{}
	seen := map[[2]string]bool{}
	for _, e := range edges {
		if !seen[e] {
			seen[e] = true
			links[e[0]] = append(links[e[0]], e[1])
		}
	}
	ranks := map[string]float64{}
	for p := range links {
		ranks[p] = 1
	}
	for range iters {
		sums := map[string]float64{}
		for p, urls := range links {
			r, ok := ranks[p]
			if !ok {
				continue
			}
			for _, u := range urls {
				sums[u] += r / float64(len(urls))
			}
		}
		ranks = map[string]float64{}
		for u, s := range sums {
			ranks[u] = 0.15 + 0.85*s
		}
	}
	return ranks
}

func TestSort(t *testing.T) {
	for _, master := range []string{"local[2]", cluster} {
		r := submit(t, "--master", master, app("sort"), "300000", "5")
		mustSucceed(t, r)
		if got := lastLine(r.stdout); got != "sorted 300000 records in 5 partitions: OK" {
			t.Fatalf("%s: sort printed %q", master, got)
		}
	}
}

func TestTaskFailuresRetriedThenFatal(t *testing.T) {
	for _, run := range []struct{ master, mode string }{{"local[2]", "error"}, {"local[2]", "panic"}, {cluster, "error"}, {cluster, "panic"}} {
		mode := run.mode
		// Three failed attempts, the fourth succeeds (spark.task.maxFailures=4).
		r := submit(t, "--master", run.master, app("flaky"), "3", mode)
		mustSucceed(t, r)
		if got := lastLine(r.stdout); got != "100" {
			t.Fatalf("%s: printed %q, want 100", mode, got)
		}
		// Always failing: the job fails after 4 attempts with the task's error.
		r = submit(t, "--master", run.master, app("flaky"), "99", mode)
		if r.code == 0 {
			t.Fatalf("%s: a job whose task always fails exited 0", mode)
		}
		if !strings.Contains(r.stderr, "failed 4 times") || !strings.Contains(r.stderr, "flaky: deliberate "+mode) {
			t.Fatalf("%s: stderr does not report 4 failures and the task's error:\n%s", mode, r.stderr)
		}
		// spark.task.maxFailures=2: the same job fails after 2 attempts.
		r = submit(t, "--master", run.master, "--conf", "spark.task.maxFailures=2", app("flaky"), "2", mode)
		if r.code == 0 || !strings.Contains(r.stderr, "failed 2 times") {
			t.Fatalf("%s: with maxFailures=2, exit %d, stderr:\n%s", mode, r.code, r.stderr)
		}
	}
}

func TestSubmitBuildsPackageDirectory(t *testing.T) {
	// The README's first command, from the repository root.
	cmd := exec.Command(filepath.Join(bin, "gospark"), "submit", "./examples/sparkpi", "4")
	cmd.Dir = ".."
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("submit ./examples/sparkpi: %v\n%s", err, out)
	}
	if !regexp.MustCompile(`(?m)^Pi is roughly 3\.1`).Match(out) {
		t.Fatalf("output %q has no \"Pi is roughly 3.1\" line", out)
	}
	if slices.Contains(strings.Fields(string(out)), "panic:") {
		t.Fatalf("output mentions a panic: %s", out)
	}
}

// inTerminal runs gospark submit under script(1), so that its stderr is a
// pseudo-terminal, and returns everything it wrote there.
func inTerminal(t *testing.T, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath("script"); err != nil {
		t.Fatalf("script(1) from util-linux is needed to give the application a terminal: %v", err)
	}
	quoted := []string{filepath.Join(bin, "gospark"), "submit"}
	for _, a := range args {
		quoted = append(quoted, "'"+strings.ReplaceAll(a, "'", `'\''`)+"'")
	}
	cmd := exec.Command("script", "-qfec", strings.Join(quoted, " "), "/dev/null")
	cmd.Env = append(os.Environ(), "COLUMNS=80")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %v\n%s", args, err, out)
	}
	return string(out)
}

func TestConsoleProgressBar(t *testing.T) {
	// 3000 slices of 100,000 samples keep stage 0 busy for well over the
	// bar's 500 ms delay.
	out := inTerminal(t, "--master", "local[2]", app("sparkpi"), "3000")
	bar := regexp.MustCompile(`\[Stage 0:=*>? *\(\d+ \+ \d+\) / 3000\]`)
	if !bar.MatchString(out) {
		t.Fatalf("no progress bar like [Stage 0:==>   (12 + 2) / 3000] on the terminal:\n%q", out)
	}
	if !strings.Contains(out, "Pi is roughly 3.1") {
		t.Fatalf("no result on the terminal:\n%q", out)
	}
	off := inTerminal(t, "--master", "local[2]", "--conf", "spark.ui.showConsoleProgress=false", app("sparkpi"), "3000")
	if strings.Contains(off, "[Stage") {
		t.Fatalf("spark.ui.showConsoleProgress=false still drew a bar:\n%q", off)
	}
	// Not a terminal: no bar in captured stderr.
	r := submit(t, "--master", "local[2]", app("sparkpi"), "3000")
	mustSucceed(t, r)
	if strings.Contains(r.stderr, "[Stage") {
		t.Fatalf("progress bar written to a stderr that is not a terminal:\n%s", r.stderr)
	}
}
