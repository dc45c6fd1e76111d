// Command run benchmarks gospark against the hand-written Go baseline of
// ../shared/bench on the four shared workloads, in the same run, and writes
// the figures and ratios to a Markdown file.
//
//	go run ./bench/run -shared ../shared -out BENCHMARKS.md [-runs 3] [-workloads wc,kv,pi,sort]
//
// It builds the baseline, treerss and gen from the shared directory and
// gospark's bench program from this repository into bench/out/bin, writes the
// word-count corpus once into bench-data/text, then runs each workload with
// each engine -runs times (alternating which goes first), each under treerss
// for wall time, CPU time of the process tree and peak summed RSS. Every
// run's "result" line is checked against gen's expected answer; a wrong
// answer fails the benchmark. Medians are reported; ratios are gospark over
// baseline.
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

func main() {
	shared := flag.String("shared", "../shared", "the shared directory (holds bench/)")
	out := flag.String("out", "BENCHMARKS.md", "Markdown file to write")
	runs := flag.Int("runs", 3, "runs of each engine on each workload")
	workloads := flag.String("workloads", "wc,kv,pi,sort", "comma-separated workloads")
	flag.Parse()
	if err := run(context.Background(), *shared, *out, *runs, strings.Split(*workloads, ",")); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

type measure struct {
	wall, cpu, rssMiB float64
}

func run(ctx context.Context, shared, out string, runs int, workloads []string) error {
	sharedBench, err := filepath.Abs(filepath.Join(shared, "bench"))
	if err != nil {
		return err
	}
	bin, err := filepath.Abs(filepath.Join("bench", "out", "bin"))
	if err != nil {
		return err
	}
	if err := os.MkdirAll(bin, 0o755); err != nil {
		return err
	}
	builds := []struct{ dir, name string }{
		{filepath.Join(sharedBench, "baseline"), "baseline"},
		{filepath.Join(sharedBench, "treerss"), "treerss"},
		{filepath.Join(sharedBench, "gen"), "gen"},
		{".", "gospark-bench"},
	}
	for _, b := range builds {
		pkg := "."
		if b.name == "gospark-bench" {
			pkg = "./bench/gospark"
		}
		cmd := exec.CommandContext(ctx, "go", "build", "-o", filepath.Join(bin, b.name), pkg)
		cmd.Dir = b.dir
		cmd.Stderr = os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("build %s: %w", b.name, err)
		}
	}
	textDir, err := filepath.Abs(filepath.Join("bench-data", "text"))
	if err != nil {
		return err
	}
	expect := map[string]string{}
	if slices.Contains(workloads, "wc") {
		if _, err := os.Stat(filepath.Join(textDir, "expect.txt")); err != nil {
			fmt.Fprintln(os.Stderr, "bench: writing the word-count corpus to", textDir)
			cmd := exec.CommandContext(ctx, filepath.Join(bin, "gen"), "-text", textDir)
			cmd.Stderr = os.Stderr
			if err := cmd.Run(); err != nil {
				return fmt.Errorf("gen -text: %w", err)
			}
		}
		b, err := os.ReadFile(filepath.Join(textDir, "expect.txt"))
		if err != nil {
			return err
		}
		expect["wc"] = string(b)
	}
	for _, w := range workloads {
		if w == "wc" {
			continue
		}
		b, err := exec.CommandContext(ctx, filepath.Join(bin, "gen"), "-expect", w).Output()
		if err != nil {
			return fmt.Errorf("gen -expect %s: %w", w, err)
		}
		expect[w] = string(b)
	}
	tsv := filepath.Join(bin, "..", "results.tsv")
	os.Remove(tsv)
	results := map[string][]measure{} // engine/workload
	engines := []string{"baseline", "gospark"}
	for r := range runs {
		for _, w := range workloads {
			order := engines
			if r%2 == 1 {
				order = []string{"gospark", "baseline"}
			}
			for _, e := range order {
				m, err := runOnce(ctx, bin, tsv, e, w, textDir, expect[w])
				if err != nil {
					return err
				}
				fmt.Fprintf(os.Stderr, "bench: %-8s %-4s run %d: wall %.2fs cpu %.2fs rss %.0f MiB\n", e, w, r+1, m.wall, m.cpu, m.rssMiB)
				results[e+"/"+w] = append(results[e+"/"+w], m)
			}
		}
	}
	return writeReport(out, runs, workloads, results)
}

func runOnce(ctx context.Context, bin, tsv, engine, workload, textDir, expect string) (measure, error) {
	prog := filepath.Join(bin, "baseline")
	if engine == "gospark" {
		prog = filepath.Join(bin, "gospark-bench")
	}
	cmd := exec.CommandContext(ctx, filepath.Join(bin, "treerss"), "-o", tsv, "-tag", engine+"\t"+workload, "--", prog, workload)
	cmd.Env = append(os.Environ(), "BENCH_TEXT="+textDir)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return measure{}, fmt.Errorf("%s %s: %w\n%s%s", engine, workload, err, stdout.String(), stderr.String())
	}
	if err := checkResult(stdout.String(), expect); err != nil {
		return measure{}, fmt.Errorf("%s %s: wrong answer: %w", engine, workload, err)
	}
	return lastTSV(tsv)
}

// fieldsOf parses the key=value words of a line.
func fieldsOf(line string) map[string]string {
	m := map[string]string{}
	for _, f := range strings.Fields(line) {
		if k, v, ok := strings.Cut(f, "="); ok {
			m[k] = v
		}
	}
	return m
}

// checkResult compares the "result" line with the expected answer on every
// key they share; a sort must also say sorted=true.
func checkResult(stdout, expect string) error {
	var result string
	for _, l := range strings.Split(stdout, "\n") {
		if strings.HasPrefix(l, "result ") {
			result = l
		}
	}
	if result == "" {
		return errors.New("no result line")
	}
	got, want := fieldsOf(result), fieldsOf(expect)
	shared := 0
	for k, v := range want {
		if g, ok := got[k]; ok {
			shared++
			if g != v {
				return fmt.Errorf("%s=%s, want %s (%q vs %q)", k, g, v, strings.TrimSpace(result), strings.TrimSpace(expect))
			}
		}
	}
	if s, ok := got["sorted"]; ok && s != "true" {
		return errors.New("output not sorted")
	}
	if shared < 2 {
		return fmt.Errorf("result %q shares too little with expected %q", result, expect)
	}
	return nil
}

// lastTSV reads the measurement treerss appended last: tag (2 columns),
// wall, tree peak RSS MiB, largest single RSS MiB, user, sys, procs, rc,
// tree CPU seconds.
func lastTSV(path string) (measure, error) {
	f, err := os.Open(path)
	if err != nil {
		return measure{}, err
	}
	defer f.Close()
	var last string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		last = sc.Text()
	}
	cols := strings.Split(last, "\t")
	if len(cols) < 10 {
		return measure{}, fmt.Errorf("treerss line %q: want 10 columns", last)
	}
	num := func(i int) float64 { v, _ := strconv.ParseFloat(cols[i], 64); return v }
	return measure{wall: num(2), rssMiB: num(3), cpu: num(9)}, nil
}

func median(ms []measure, f func(measure) float64) float64 {
	v := make([]float64, len(ms))
	for i, m := range ms {
		v[i] = f(m)
	}
	slices.Sort(v)
	if len(v) == 0 {
		return 0
	}
	return v[len(v)/2]
}

func writeReport(out string, runs int, workloads []string, results map[string][]measure) error {
	var b strings.Builder
	host, _ := os.Hostname()
	fmt.Fprintf(&b, "# Benchmarks\n\n")
	fmt.Fprintf(&b, "Produced by `make bench` (`go run ./bench/run -shared ../shared -out BENCHMARKS.md -runs %d -workloads %s`)\n",
		runs, strings.Join(workloads, ","))
	fmt.Fprintf(&b, "on %s, %d CPUs, %s, %s. Each engine ran each workload %d times, alternating which went\n",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), runtime.NumCPU(), runtime.Version(), host, runs)
	fmt.Fprintf(&b, "first; figures are medians (peak RSS: the largest). Every run's answer was checked against\n")
	fmt.Fprintf(&b, "`gen -expect`. gospark runs in local mode (`local[*]`, default `spark.driver.memory` 1g) and writes\n")
	fmt.Fprintf(&b, "its shuffles to disk, compressed with lz4; the baseline keeps everything in memory.\n\n")
	fmt.Fprintf(&b, "Ratios are gospark / baseline; the goal is at most 1.3 (1.5 at worst) on wall time.\n\n")
	fmt.Fprintf(&b, "| workload | baseline wall s | gospark wall s | wall ratio | baseline CPU s | gospark CPU s | CPU ratio | baseline peak RSS MiB | gospark peak RSS MiB |\n")
	fmt.Fprintf(&b, "|---|---|---|---|---|---|---|---|---|\n")
	for _, w := range workloads {
		base, gs := results["baseline/"+w], results["gospark/"+w]
		bw, gw := median(base, func(m measure) float64 { return m.wall }), median(gs, func(m measure) float64 { return m.wall })
		bc, gc := median(base, func(m measure) float64 { return m.cpu }), median(gs, func(m measure) float64 { return m.cpu })
		br := slices.Max(rss(base))
		gr := slices.Max(rss(gs))
		fmt.Fprintf(&b, "| %s | %.2f | %.2f | **%.2f** | %.2f | %.2f | %.2f | %.0f | %.0f |\n", w, bw, gw, gw/bw, bc, gc, gc/bc, br, gr)
	}
	b.WriteString("\nEach run, in order:\n\n| engine | workload | wall s | CPU s | peak RSS MiB |\n|---|---|---|---|---|\n")
	for _, w := range workloads {
		for _, e := range []string{"baseline", "gospark"} {
			for _, m := range results[e+"/"+w] {
				fmt.Fprintf(&b, "| %s | %s | %.2f | %.2f | %.0f |\n", e, w, m.wall, m.cpu, m.rssMiB)
			}
		}
	}
	return os.WriteFile(out, []byte(b.String()), 0o644)
}

func rss(ms []measure) []float64 {
	v := []float64{0}
	for _, m := range ms {
		v = append(v, m.rssMiB)
	}
	return v
}
