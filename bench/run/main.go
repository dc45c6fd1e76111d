// Command run benchmarks gospark against the hand-written Go baseline of
// ../shared/bench on the four shared workloads, in the same run, and writes
// the figures and ratios to a Markdown file.
//
//	go run ./bench/run -shared ../shared -out BENCHMARKS.md [-runs 3] [-workloads wc,kv,pi,sort]
//	    [-local 'local[2]'] [-cluster 'local-cluster[2,1,2048]']
//
// It builds the baseline, treerss and gen from the shared directory and
// gospark's bench program from this repository into bench/out/bin, writes the
// word-count corpus once into bench-data/text, then runs each workload with
// each engine -runs times (alternating which goes first), each under treerss
// for wall time, CPU time of the process tree and peak summed RSS. Every
// run's "result" line is checked against gen's expected answer; a wrong
// answer fails the benchmark. Medians are reported; ratios are gospark over
// baseline.
//
// In the same run, alternating with the others, gospark also runs each
// workload with spark.master set (through GOSPARK_CONF) to -local and to
// -cluster, and the report gives the ratio local-cluster / local of wall
// time, CPU time and peak RSS. The driver starts local-cluster's executors as
// its own child processes and waits for them, so treerss counts them: its
// peak RSS is the sum over the driver and the executors, sampled every
// 50 ms, and its CPU time covers them too. -cluster "" leaves this out.
//
// -commit REV builds gospark's program from that commit's files instead of
// the working tree (which others may be editing). -observe measures what
// the web UI and the event log cost instead, and writes only its own
// section of -out (see observe.go).
package main

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"maps"
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
	runs := flag.Int("runs", 3, "runs of each engine on each workload (-observe: 7 unless set)")
	workloads := flag.String("workloads", "wc,kv,pi,sort", "comma-separated workloads")
	local := flag.String("local", "local[2]", "in-process master that -cluster is compared with (-observe: the master)")
	cluster := flag.String("cluster", "local-cluster[2,1,2048]", `executor-process master compared with -local ("" to leave out)`)
	commit := flag.String("commit", "", "build gospark's bench program from this commit's files (git archive) instead of the working tree")
	before := flag.String("before", "", "-observe: also run gospark's bench program built at this commit (one without the UI and event log) as variant \"before\"")
	observe := flag.Bool("observe", false, "measure the UI and event log's overhead instead (-local only), and write its section of -out")
	zstd := flag.Bool("zstd", true, "-observe: also run with the event log compressed (spark.eventLog.compress=true, zstd)")
	profiles := flag.String("cpuprofile", "", "-observe: after the measured runs, profile one more run of each workload and variant (and the -fixed rounds again) into this directory")
	fixed := flag.Int("fixed", 0, "-observe: also measure the cost per application with this many rounds of a tiny job (pi, 1000 samples)")
	flag.Parse()
	opts := options{shared: *shared, out: *out, runs: *runs, workloads: strings.Split(*workloads, ","),
		local: *local, cluster: *cluster, viaMake: true,
		observe: *observe, zstd: *zstd, profiles: *profiles, fixed: *fixed}
	runsSet := false
	flag.Visit(func(f *flag.Flag) { // make bench sets only these two
		if f.Name != "shared" && f.Name != "out" {
			opts.viaMake = false
		}
		runsSet = runsSet || f.Name == "runs"
	})
	for _, c := range []struct {
		flag, rev string
		to        *string
	}{{"commit", *commit, &opts.commit}, {"before", *before, &opts.before}} {
		if c.rev == "" {
			continue
		}
		rev, err := exec.Command("git", "rev-parse", "--short", "--verify", c.rev+"^{commit}").Output()
		if err != nil {
			fmt.Fprintf(os.Stderr, "bench: -%s %s: %v\n", c.flag, c.rev, err)
			os.Exit(2)
		}
		*c.to = strings.TrimSpace(string(rev))
	}
	opts.git = gitState(opts.commit)
	run := run
	if opts.observe {
		if !runsSet {
			opts.runs = 7
		}
		run = observeOverhead
	}
	if err := run(context.Background(), opts); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

type options struct {
	shared, out    string
	runs           int
	workloads      []string
	local, cluster string // masters compared; cluster "" leaves the comparison out
	viaMake        bool   // make bench's flags: -shared and -out only
	commit         string // build gospark from this commit's files ("": the working tree)
	before         string // -observe: the commit of variant "before" ("": none)
	git            string // the commit built, before building
	observe, zstd  bool   // -observe mode, and its compressed event log variant
	profiles       string // -observe: directory for CPU profiles ("": none)
	fixed          int    // -observe: rounds of the tiny job (0: none)
}

// command is the bench/run command line that o stands for.
func (o options) command() string {
	c := fmt.Sprintf("go run ./bench/run -shared %s -out %s -runs %d -workloads %s", o.shared, o.out, o.runs, strings.Join(o.workloads, ","))
	if o.commit != "" {
		c += " -commit " + o.commit
	}
	if o.observe {
		c += fmt.Sprintf(" -observe -local '%s' -zstd=%t", o.local, o.zstd)
		if o.before != "" {
			c += " -before " + o.before
		}
		if o.fixed > 0 {
			c += fmt.Sprintf(" -fixed %d", o.fixed)
		}
		if o.profiles != "" {
			c += " -cpuprofile " + o.profiles
		}
		return c
	}
	return c + fmt.Sprintf(" -local '%s' -cluster '%s'", o.local, o.cluster)
}

// engine is a program the harness runs: the baseline, or gospark with a
// master (conf is then GOSPARK_CONF's value; "" inherits the environment's).
type engine struct {
	name    string
	gospark bool
	conf    string
	env     []string // more variables (NAME=value) for the run
	prog    string   // gospark's program in the bin directory, if not gospark-bench
}

type measure struct {
	wall, cpu, rssMiB float64
	// From treerss too: the reaped rusage's user+sys and max RSS (of the
	// driver and of every descendant it waited for, but the largest single
	// process, not a sum), and the most processes seen in the tree at once.
	ruCPU, ruMaxRSSMiB float64
	procs              int
	warnings           int     // WARN or ERROR log lines on gospark's stderr
	others             float64 // CPUs kept busy by other processes during the run, on average
}

// busyCPU is the machine's busy CPU time so far (user, nice, system, irq,
// softirq and steal of /proc/stat), in seconds, or -1.
func busyCPU() float64 {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return -1
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return -1
	}
	var ticks float64
	for _, i := range []int{1, 2, 3, 6, 7, 8} {
		v, _ := strconv.ParseFloat(f[i], 64)
		ticks += v
	}
	return ticks / 100 // USER_HZ
}

// confWithMaster is GOSPARK_CONF from the environment with spark.master set.
func confWithMaster(m string) (string, error) {
	return confWith(map[string]string{"spark.master": m})
}

// confWith is GOSPARK_CONF from the environment with set's properties set.
func confWith(set map[string]string) (string, error) {
	props := map[string]string{}
	if s := os.Getenv("GOSPARK_CONF"); s != "" {
		if err := json.Unmarshal([]byte(s), &props); err != nil {
			return "", fmt.Errorf("GOSPARK_CONF: %w", err)
		}
	}
	maps.Copy(props, set)
	b, err := json.Marshal(props)
	return string(b), err
}

// clusterExecutors is N of local-cluster[N,C,M], or 0.
func clusterExecutors(m string) int {
	rest, ok := strings.CutPrefix(m, "local-cluster[")
	if !ok {
		return 0
	}
	n, _, _ := strings.Cut(rest, ",")
	v, _ := strconv.Atoi(strings.TrimSpace(n))
	return v
}

// prepared is what every mode needs before its runs: the programs built
// into bin, the word-count corpus in textDir, each workload's expected
// answer, and the treerss output file.
type prepared struct {
	bin, textDir, tsv string
	expect            map[string]string
}

// prepare builds the baseline, treerss and gen from the shared directory
// and gospark's bench program (from o.commit's files when set, else from
// the working tree), writes the corpus when missing and asks gen for the
// expected answers.
func prepare(ctx context.Context, o options) (prepared, error) {
	var p prepared
	sharedBench, err := filepath.Abs(filepath.Join(o.shared, "bench"))
	if err != nil {
		return p, err
	}
	bin, err := filepath.Abs(filepath.Join("bench", "out", "bin"))
	if err != nil {
		return p, err
	}
	if err := os.MkdirAll(bin, 0o755); err != nil {
		return p, err
	}
	builds := []struct{ dir, name string }{
		{filepath.Join(sharedBench, "baseline"), "baseline"},
		{filepath.Join(sharedBench, "treerss"), "treerss"},
		{filepath.Join(sharedBench, "gen"), "gen"},
	}
	for _, b := range builds {
		cmd := exec.CommandContext(ctx, "go", "build", "-o", filepath.Join(bin, b.name), ".")
		cmd.Dir = b.dir
		cmd.Stderr = os.Stderr
		if err := cmd.Run(); err != nil {
			return p, fmt.Errorf("build %s: %w", b.name, err)
		}
	}
	if err := buildGospark(ctx, o.commit, filepath.Join(bin, "gospark-bench")); err != nil {
		return p, err
	}
	textDir, err := filepath.Abs(filepath.Join("bench-data", "text"))
	if err != nil {
		return p, err
	}
	expect := map[string]string{}
	if slices.Contains(o.workloads, "wc") {
		if _, err := os.Stat(filepath.Join(textDir, "expect.txt")); err != nil {
			fmt.Fprintln(os.Stderr, "bench: writing the word-count corpus to", textDir)
			cmd := exec.CommandContext(ctx, filepath.Join(bin, "gen"), "-text", textDir)
			cmd.Stderr = os.Stderr
			if err := cmd.Run(); err != nil {
				return p, fmt.Errorf("gen -text: %w", err)
			}
		}
		b, err := os.ReadFile(filepath.Join(textDir, "expect.txt"))
		if err != nil {
			return p, err
		}
		expect["wc"] = string(b)
	}
	for _, w := range o.workloads {
		if w == "wc" {
			continue
		}
		b, err := exec.CommandContext(ctx, filepath.Join(bin, "gen"), "-expect", w).Output()
		if err != nil {
			return p, fmt.Errorf("gen -expect %s: %w", w, err)
		}
		expect[w] = string(b)
	}
	tsv := filepath.Join(bin, "..", "results.tsv")
	os.Remove(tsv)
	return prepared{bin: bin, textDir: textDir, tsv: tsv, expect: expect}, nil
}

// buildGospark builds gospark's bench program (./bench/gospark) into out,
// from commit's files when commit is set, else from the working tree.
func buildGospark(ctx context.Context, commit, out string) error {
	src := "."
	if commit != "" {
		var err error
		if src, err = exportCommit(ctx, commit); err != nil {
			return err
		}
		defer os.RemoveAll(src)
	}
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "./bench/gospark")
	cmd.Dir = src
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		if commit != "" {
			return fmt.Errorf("build gospark-bench at %s: %w", commit, err)
		}
		return fmt.Errorf("build gospark-bench: %w", err)
	}
	return nil
}

// exportCommit writes the files of commit (git archive) to a new temporary
// directory and returns it, so that what is measured is a commit and not
// whatever else the working tree holds. The caller removes it.
func exportCommit(ctx context.Context, commit string) (string, error) {
	dir, err := os.MkdirTemp("", "gospark-bench-src-")
	if err != nil {
		return "", err
	}
	tarball := dir + ".tar"
	defer os.Remove(tarball)
	for _, args := range [][]string{{"git", "archive", "--format=tar", "-o", tarball, commit}, {"tar", "-x", "-f", tarball, "-C", dir}} {
		cmd := exec.CommandContext(ctx, args[0], args[1:]...)
		cmd.Stderr = os.Stderr
		if err := cmd.Run(); err != nil {
			os.RemoveAll(dir)
			return "", fmt.Errorf("exporting commit %s: %s: %w", commit, args[0], err)
		}
	}
	return dir, nil
}

func run(ctx context.Context, o options) error {
	runs, workloads := o.runs, o.workloads
	p, err := prepare(ctx, o)
	if err != nil {
		return err
	}
	bin, tsv, textDir, expect := p.bin, p.tsv, p.textDir, p.expect
	results := map[string][]measure{} // engine/workload
	// baseline and gospark (whatever master the environment gives, local[*]
	// by default) as before; then gospark under -local and -cluster.
	engines := []engine{{name: "baseline"}, {name: "gospark", gospark: true}}
	if o.cluster != "" {
		for _, m := range []string{o.local, o.cluster} {
			conf, err := confWithMaster(m)
			if err != nil {
				return err
			}
			engines = append(engines, engine{name: "gospark " + m, gospark: true, conf: conf})
		}
	}
	for r := range runs {
		for _, w := range workloads {
			// Odd runs go in the reverse order, so each pair compared
			// (baseline/gospark, local/cluster) alternates which goes first.
			order := slices.Clone(engines)
			if r%2 == 1 {
				slices.Reverse(order)
			}
			for _, e := range order {
				m, err := runOnce(ctx, bin, tsv, e, w, textDir, expect[w])
				if err != nil {
					return err
				}
				if n := clusterExecutors(strings.TrimPrefix(e.name, "gospark ")); n > 0 && m.procs < n+1 {
					fmt.Fprintf(os.Stderr, "bench: warning: %s %s run %d: treerss saw at most %d processes, want the driver and %d executors\n",
						e.name, w, r+1, m.procs, n)
				}
				fmt.Fprintf(os.Stderr, "bench: %-8s %-4s run %d: wall %.2fs cpu %.2fs rss %.0f MiB procs %d\n", e.name, w, r+1, m.wall, m.cpu, m.rssMiB, m.procs)
				results[e.name+"/"+w] = append(results[e.name+"/"+w], m)
			}
		}
	}
	return writeReport(o, results)
}

func runOnce(ctx context.Context, bin, tsv string, e engine, workload, textDir, expect string) (measure, error) {
	prog := filepath.Join(bin, "baseline")
	if e.gospark {
		prog = filepath.Join(bin, cmp.Or(e.prog, "gospark-bench"))
	}
	cmd := exec.CommandContext(ctx, filepath.Join(bin, "treerss"), "-o", tsv, "-tag", e.name+"\t"+workload, "--", prog, workload)
	cmd.Env = append(os.Environ(), "BENCH_TEXT="+textDir)
	if e.conf != "" {
		cmd.Env = append(cmd.Env, "GOSPARK_CONF="+e.conf)
	}
	cmd.Env = append(cmd.Env, e.env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	busy := busyCPU()
	err := cmd.Run()
	busy = busyCPU() - busy
	if err != nil {
		return measure{}, fmt.Errorf("%s %s: %w\n%s%s", e.name, workload, err, stdout.String(), stderr.String())
	}
	if err := checkResult(stdout.String(), expect); err != nil {
		return measure{}, fmt.Errorf("%s %s: wrong answer: %w", e.name, workload, err)
	}
	m, err := lastTSV(tsv)
	if err != nil {
		return m, err
	}
	if busy >= 0 && m.wall > 0 {
		m.others = max(0, busy-m.cpu) / m.wall
	}
	// gospark logs at WARN and above by default: pass such lines on.
	for _, l := range strings.Split(stderr.String(), "\n") {
		if strings.Contains(l, "level=WARN") || strings.Contains(l, "level=ERROR") {
			m.warnings++
			fmt.Fprintf(os.Stderr, "bench: %s %s stderr: %s\n", e.name, workload, l)
		}
	}
	return m, nil
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
	return measure{wall: num(2), rssMiB: num(3), cpu: num(9),
		ruMaxRSSMiB: num(4), ruCPU: num(5) + num(6), procs: int(num(7))}, nil
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

func writeReport(o options, results map[string][]measure) error {
	out, runs, workloads := o.out, o.runs, o.workloads
	var b strings.Builder
	host, _ := os.Hostname()
	fmt.Fprintf(&b, "# Benchmarks\n\n")
	fmt.Fprintf(&b, "Produced by %s\n", producedBy(o))
	fmt.Fprintf(&b, "at %s on %s, %d CPUs, %s, %s. Each engine ran each workload %d times, alternating which went\n",
		o.git, time.Now().UTC().Format("2006-01-02 15:04 UTC"), runtime.NumCPU(), runtime.Version(), host, runs)
	fmt.Fprintf(&b, "first; figures are medians (peak RSS: the largest). Every run's answer was checked against\n")
	fmt.Fprintf(&b, "`gen -expect`. gospark runs in local mode (`local[*]`, default `spark.driver.memory` 1g) and writes\n")
	fmt.Fprintf(&b, "its shuffles to disk, compressed with lz4; the baseline keeps everything in memory.\n")
	lo, hi := othersRange(results)
	fmt.Fprintf(&b, "Outside the measured process tree (other work on this shared machine, and treerss's own sampling)\n")
	fmt.Fprintf(&b, "%.2f to %.2f CPUs were busy on average during a run (the machine's busy time from /proc/stat less\n", lo, hi)
	fmt.Fprintf(&b, "the run's CPU time, over its wall time). Such work inflates wall time first; CPU time is steadier.\n\n")
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
	if o.cluster != "" {
		writeClusterReport(&b, o, results)
	}
	// The build and test times are measured by bench/buildtimes.sh and
	// bench/coldtest.sh, not here: keep that part of the file as it is.
	if old, err := os.ReadFile(out); err == nil {
		if i := strings.Index(string(old), keptHeading); i >= 0 {
			b.WriteString("\n")
			b.WriteString(string(old[i:]))
		}
	}
	return os.WriteFile(out, []byte(b.String()), 0o644)
}

// keptHeading starts the part of BENCHMARKS.md that make bench keeps.
const keptHeading = "## Build and test times"

// othersRange is the least and most CPU other processes used during a run.
func othersRange(results map[string][]measure) (lo, hi float64) {
	first := true
	for _, ms := range results {
		for _, m := range ms {
			if first || m.others < lo {
				lo = m.others
			}
			if first || m.others > hi {
				hi = m.others
			}
			first = false
		}
	}
	return lo, hi
}

// gitState names the commit measured and says whether files outside bench/
// differed from it; with commit set, that commit's files are built, so
// the working tree does not matter.
func gitState(commit string) string {
	if commit != "" {
		return fmt.Sprintf("commit %s (its files, from git archive)", commit)
	}
	rev, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "an unknown commit (no git)"
	}
	st := fmt.Sprintf("commit %s", strings.TrimSpace(string(rev)))
	out, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output()
	if err != nil {
		return st
	}
	var dirty []string
	for _, l := range strings.Split(string(out), "\n") {
		if len(l) < 4 {
			continue
		}
		if p := l[3:]; !strings.HasPrefix(p, "bench/") && p != "BENCHMARKS.md" {
			dirty = append(dirty, p)
		}
	}
	if len(dirty) > 0 {
		st += fmt.Sprintf(" with uncommitted changes to %s", strings.Join(dirty, ", "))
	}
	return st
}

// producedBy says how the report was produced: the BENCH_* and GOSPARK_CONF
// variables that were set, then make bench and the command it ran (or just
// the command when run with other flags than make bench gives).
func producedBy(o options) string {
	var env []string
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "BENCH_") || k == "GOSPARK_CONF" {
			env = append(env, kv+" ")
		}
	}
	slices.Sort(env)
	if o.viaMake {
		return fmt.Sprintf("`%smake bench` (`%s`)", strings.Join(env, ""), o.command())
	}
	return fmt.Sprintf("`%s%s`", strings.Join(env, ""), o.command())
}

// shuffleHeavy are the workloads whose local-cluster wall time should stay
// within 1.5x of the in-process master's.
var shuffleHeavy = map[string]bool{"wc": true, "kv": true, "sort": true}

// writeClusterReport is the section comparing local-cluster with local.
func writeClusterReport(b *strings.Builder, o options, results map[string][]measure) {
	le, ce := "gospark "+o.local, "gospark "+o.cluster
	n := clusterExecutors(o.cluster)
	fmt.Fprintf(b, "\n## local-cluster / local\n\n")
	fmt.Fprintf(b, "Produced in the same run, by the same command: %s.\nAlongside the runs above, gospark also ran each workload %d times\n", producedBy(o), o.runs)
	fmt.Fprintf(b, "with `spark.master` set through `GOSPARK_CONF` to `%s` (%d executor processes, each with 1 core\n", o.cluster, n)
	fmt.Fprintf(b, "and its own memory manager and shuffle files; map outputs are fetched over authenticated TCP) and to\n")
	fmt.Fprintf(b, "`%s` (one process, two task slots), alternating with each other and with the runs above, in\n", o.local)
	fmt.Fprintf(b, "reverse order on every other run. Every answer was checked against `gen -expect`. Ratios are\n")
	fmt.Fprintf(b, "local-cluster / local: wall and CPU of the medians, peak RSS of the largest peaks; the goal is a\n")
	fmt.Fprintf(b, "wall ratio of at most 1.5 on the shuffle-heavy workloads (wc, kv, sort).\n\n")
	fmt.Fprintf(b, "What the figures cover. The driver starts the executors as its own child processes (the same\n")
	fmt.Fprintf(b, "program, re-run) and waits for them when the session stops, so they are in treerss's process\n")
	fmt.Fprintf(b, "tree. *Peak RSS* is the largest sum of VmRSS over the driver and all its descendants, sampled every\n")
	fmt.Fprintf(b, "50 ms: the memory the whole application held at once. (The rusage max RSS that wait4 returns does\n")
	fmt.Fprintf(b, "cover waited-for descendants, but as the maximum of any single process, not a sum; it is the\n")
	fmt.Fprintf(b, "*largest process* column below.) *CPU* is user+sys of the whole tree: the rusage of the driver,\n")
	fmt.Fprintf(b, "which includes the executors it reaped (the *rusage CPU* column), or the sum of per-process\n")
	fmt.Fprintf(b, "samples if larger. *procs* is the most processes seen in the tree at once (1 + %d executors).\n", n)
	fmt.Fprintf(b, "*other CPUs busy* is the CPU used outside the tree during the run, as in the first section.\n\n")
	fmt.Fprintf(b, "local is `%s`, cluster is `%s`.\n\n", o.local, o.cluster)
	fmt.Fprintf(b, "| workload | local wall s | cluster wall s | wall ratio | local CPU s | cluster CPU s | CPU ratio | local peak RSS MiB | cluster peak RSS MiB | RSS ratio | wall within 1.5× |\n")
	fmt.Fprintf(b, "|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, w := range o.workloads {
		lm, cm := results[le+"/"+w], results[ce+"/"+w]
		lw, cw := median(lm, func(m measure) float64 { return m.wall }), median(cm, func(m measure) float64 { return m.wall })
		lc, cc := median(lm, func(m measure) float64 { return m.cpu }), median(cm, func(m measure) float64 { return m.cpu })
		lr, cr := slices.Max(rss(lm)), slices.Max(rss(cm))
		within := "n/a (not shuffle-heavy)"
		if shuffleHeavy[w] {
			within = "yes"
			if cw/lw > 1.5 {
				within = "**no**"
			}
		}
		fmt.Fprintf(b, "| %s | %.2f | %.2f | **%.2f** | %.2f | %.2f | %.2f | %.0f | %.0f | %.2f | %s |\n",
			w, lw, cw, cw/lw, lc, cc, cc/lc, lr, cr, cr/lr, within)
	}
	b.WriteString("\nEach run, in order:\n\n| master | workload | wall s | CPU s | rusage CPU s | peak RSS MiB | largest process MiB | procs | warnings logged | other CPUs busy |\n|---|---|---|---|---|---|---|---|---|---|\n")
	for _, w := range o.workloads {
		for _, e := range []string{le, ce} {
			for _, m := range results[e+"/"+w] {
				fmt.Fprintf(b, "| %s | %s | %.2f | %.2f | %.2f | %.0f | %.0f | %d | %d | %.2f |\n",
					strings.TrimPrefix(e, "gospark "), w, m.wall, m.cpu, m.ruCPU, m.rssMiB, m.ruMaxRSSMiB, m.procs, m.warnings, m.others)
			}
		}
	}
}

func rss(ms []measure) []float64 {
	v := []float64{0}
	for _, m := range ms {
		v = append(v, m.rssMiB)
	}
	return v
}
