package main

// The -observe mode: what the driver's web UI and event log cost (issue 14).
//
//	go run ./bench/run -observe [-runs 7] [-workloads wc,kv,pi,sort] [-local 'local[2]']
//	    [-zstd=true] [-before REV] [-fixed N] [-cpuprofile DIR] [-commit REV] -out BENCHMARKS.md
//
// gospark's bench program runs each workload under -local in two variants,
// "off" (spark.ui.enabled=false, spark.eventLog.enabled=false) and "on"
// (the UI on any free port, the event log uncompressed into a temporary
// directory); with -zstd a third, "on+zstd" (the event log compressed with
// zstd), and with -before a fourth, "before" (the bench program built at a
// commit before issue 14). Each round runs every workload in every variant,
// the variants' order rotating from one round to the next, after an
// unmeasured warm-up round. Every answer is checked as in the main mode, and
// every event log is checked: complete (renamed from .inprogress), readable
// to its SparkListenerApplicationEnd, and saying that the UI was enabled.
// Its size and event count are reported, then it is removed.
//
// The workloads' CPU time moves by 10-20% from run to run on a shared
// machine, more than the effect measured. -fixed N measures what does not
// depend on the data, the cost of an application's start, events and stop,
// with N more rounds of a tiny job (pi with 1000 samples), and reports it
// as a mean with its standard error, and as a share of each workload's CPU
// time.
//
// With -cpuprofile, one more run of each workload and variant writes a CPU
// profile (not measured), and so does each round of the tiny job again; the
// report gives the share of CPU samples spent in the observability code.
//
// The section "## UI and event log overhead (issue 14)" of -out is
// replaced (or appended); the rest of the file is left as it is.

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/gospark/gospark/internal/eventlog"
	"github.com/gospark/gospark/internal/events"
)

// observeHeading starts the section -observe writes.
const observeHeading = "## UI and event log overhead (issue 14)"

// overheadGoal is the largest on/off ratio the issue accepts.
const overheadGoal = 1.03

// tinyPiSamples is the size of -fixed's job: pi with so few samples that a
// run is little more than starting, running one job and stopping.
const tinyPiSamples = 1000

// variant is one configuration of the driver's observability.
type variant struct {
	name   string
	prog   string            // gospark's program in the bin directory, if not gospark-bench
	props  map[string]string // besides spark.master
	logDir string            // where its event logs go; "" with the event log off
	codec  string            // the event log's codec, "" uncompressed
}

// logFacts is what a run's event log held.
type logFacts struct {
	bytes  int64 // as stored
	events int   // events replayed
}

// observed is one measured run of a variant.
type observed struct {
	measure
	log logFacts
}

func observeVariants(tmp string, zstd bool, before string) []variant {
	on := func(dir string) map[string]string {
		return map[string]string{"spark.ui.enabled": "true", "spark.ui.port": "0",
			"spark.eventLog.enabled": "true", "spark.eventLog.dir": dir}
	}
	vs := []variant{
		{name: "off", props: map[string]string{"spark.ui.enabled": "false", "spark.eventLog.enabled": "false"}},
		{name: "on", props: on(filepath.Join(tmp, "on")), logDir: filepath.Join(tmp, "on")},
	}
	if zstd {
		p := on(filepath.Join(tmp, "zstd"))
		p["spark.eventLog.compress"] = "true"
		p["spark.eventLog.compression.codec"] = "zstd"
		vs = append(vs, variant{name: "on+zstd", props: p, logDir: filepath.Join(tmp, "zstd"), codec: "zstd"})
	}
	if before != "" {
		vs = append(vs, variant{name: "before", prog: "gospark-bench-before"})
	}
	return vs
}

// observation is what one -observe run ran and measured.
type observation struct {
	o        options
	p        prepared
	variants []variant
	engines  []engine
	results  map[string][]observed // by "variant/workload", one a round
	order    []string              // "variant/workload" of each run, in order
	tiny     map[string][]observed // -fixed's runs by variant, one a round
	profiles []profileShare        // one run of each workload and variant
	tinyProf []profileShare        // -fixed's rounds again, merged by variant
}

// observeOverhead is the -observe mode.
func observeOverhead(ctx context.Context, o options) error {
	if o.runs < 1 {
		return errors.New("-runs: want at least 1")
	}
	p, err := prepare(ctx, o)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "gospark-observe-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	ob := &observation{o: o, p: p, variants: observeVariants(tmp, o.zstd, o.before),
		results: map[string][]observed{}, tiny: map[string][]observed{}}
	if o.before != "" {
		if err := buildGospark(ctx, o.before, filepath.Join(p.bin, "gospark-bench-before")); err != nil {
			return err
		}
	}
	for _, v := range ob.variants {
		if v.logDir != "" {
			if err := os.MkdirAll(v.logDir, 0o755); err != nil {
				return err
			}
		}
		props := map[string]string{"spark.master": o.local}
		maps.Copy(props, v.props)
		conf, err := confWith(props)
		if err != nil {
			return err
		}
		ob.engines = append(ob.engines, engine{name: v.name, gospark: true, conf: conf, prog: v.prog})
	}
	for _, w := range o.workloads { // warm-up: page cache, programs, corpus
		for i := range ob.variants {
			if _, err := ob.once(ctx, i, w, p.expect[w]); err != nil {
				return err
			}
		}
	}
	n := len(ob.variants)
	for r := range o.runs {
		for _, w := range o.workloads {
			for k := range n {
				i := (k + r) % n // each variant takes each place in turn
				m, err := ob.once(ctx, i, w, p.expect[w])
				if err != nil {
					return err
				}
				key := ob.variants[i].name + "/" + w
				ob.results[key] = append(ob.results[key], m)
				ob.order = append(ob.order, key)
				fmt.Fprintf(os.Stderr, "bench: %-8s %-4s run %d: wall %.2fs cpu %.2fs log %d bytes\n", ob.variants[i].name, w, r+1, m.wall, m.cpu, m.log.bytes)
			}
		}
	}
	tinyEnv := fmt.Sprintf("BENCH_PI_SAMPLES=%d", tinyPiSamples)
	var tinyExpect string
	if o.fixed > 0 {
		cmd := exec.CommandContext(ctx, filepath.Join(p.bin, "gen"), "-expect", "pi")
		cmd.Env = append(os.Environ(), tinyEnv)
		b, err := cmd.Output()
		if err != nil {
			return fmt.Errorf("gen -expect pi with %s: %w", tinyEnv, err)
		}
		tinyExpect = string(b)
		for r := range o.fixed {
			for k := range n {
				i := (k + r) % n
				m, err := ob.once(ctx, i, "pi", tinyExpect, tinyEnv)
				if err != nil {
					return err
				}
				ob.tiny[ob.variants[i].name] = append(ob.tiny[ob.variants[i].name], m)
			}
		}
		fmt.Fprintf(os.Stderr, "bench: %d rounds of the tiny job done\n", o.fixed)
	}
	if o.profiles != "" {
		if err := ob.profile(ctx, tinyExpect, tinyEnv); err != nil {
			return err
		}
	}
	return replaceSection(o.out, observeHeading, ob.section())
}

// once runs workload w in variant i and checks its answer and event log.
func (ob *observation) once(ctx context.Context, i int, w, expect string, env ...string) (observed, error) {
	e := ob.engines[i]
	e.env = env
	m, err := runOnce(ctx, ob.p.bin, ob.p.tsv, e, w, ob.p.textDir, expect)
	if err != nil {
		return observed{}, err
	}
	lf, err := checkEventLog(ctx, ob.variants[i])
	if err != nil {
		return observed{}, fmt.Errorf("%s %s: %w", ob.variants[i].name, w, err)
	}
	return observed{measure: m, log: lf}, nil
}

// profile runs each workload once more in each variant with a CPU profile
// (BENCH_CPUPROFILE), and the -fixed rounds again, and reads where the time
// went. The variant "before" is left out: it has none of the code looked for.
func (ob *observation) profile(ctx context.Context, tinyExpect, tinyEnv string) error {
	dir, err := filepath.Abs(ob.o.profiles)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	file := func(parts ...string) string {
		return filepath.Join(dir, strings.ReplaceAll(strings.Join(parts, "-"), "+", "-")+".pprof")
	}
	for _, w := range ob.o.workloads {
		for i, v := range ob.variants {
			if v.name == "before" {
				continue
			}
			path := file(w, v.name)
			if _, err := ob.once(ctx, i, w, ob.p.expect[w], "BENCH_CPUPROFILE="+path); err != nil {
				return err
			}
			s, err := readProfile(ctx, path)
			if err != nil {
				return err
			}
			s.variant, s.workload, s.runs = v.name, w, 1
			ob.profiles = append(ob.profiles, s)
		}
	}
	if ob.o.fixed == 0 {
		return nil
	}
	paths := map[string][]string{}
	for r := range ob.o.fixed {
		for i, v := range ob.variants {
			if v.name == "before" {
				continue
			}
			path := file("tiny", v.name, fmt.Sprint(r))
			if _, err := ob.once(ctx, i, "pi", tinyExpect, tinyEnv, "BENCH_CPUPROFILE="+path); err != nil {
				return err
			}
			paths[v.name] = append(paths[v.name], path)
		}
	}
	for _, v := range ob.variants {
		if v.name == "before" {
			continue
		}
		s, err := readProfile(ctx, paths[v.name]...)
		if err != nil {
			return err
		}
		s.variant, s.workload, s.runs = v.name, "tiny", len(paths[v.name])
		ob.tinyProf = append(ob.tinyProf, s)
	}
	return nil
}

// checkEventLog checks the one event log a run of v left in its directory
// (none when v has the log off), returns its size and event count, and
// removes it.
func checkEventLog(ctx context.Context, v variant) (logFacts, error) {
	if v.logDir == "" {
		return logFacts{}, nil
	}
	logs, err := eventlog.List(v.logDir)
	if err != nil {
		return logFacts{}, err
	}
	if len(logs) != 1 {
		return logFacts{}, fmt.Errorf("want one event log in %s, found %d", v.logDir, len(logs))
	}
	info := logs[0]
	defer os.RemoveAll(info.Path)
	if !info.Completed {
		return logFacts{}, fmt.Errorf("event log %s is still in progress after the application ended", info.Path)
	}
	if info.Codec != v.codec {
		return logFacts{}, fmt.Errorf("event log %s: codec %q, want %q", info.Path, info.Codec, v.codec)
	}
	var n int
	uiEnabled := ""
	info, err = eventlog.Replay(ctx, info.Path, events.ListenerFunc(func(e events.Event) {
		n++
		if env, ok := e.(*events.EnvironmentUpdate); ok {
			uiEnabled = env.SparkProperties["spark.ui.enabled"]
		}
	}))
	if err != nil {
		return logFacts{}, err
	}
	if !info.Ended {
		return logFacts{}, fmt.Errorf("event log %s has no SparkListenerApplicationEnd", info.Path)
	}
	if uiEnabled != "true" {
		return logFacts{}, fmt.Errorf("event log %s: spark.ui.enabled is %q in the environment, want true", info.Path, uiEnabled)
	}
	return logFacts{bytes: info.Size, events: n}, nil
}

// profileShare is where one profiled run spent its CPU.
type profileShare struct {
	variant, workload string
	runs              int           // profiles merged
	total, observe    time.Duration // all samples; samples in the observability code
	top               []funcTime    // the observability code's heaviest functions
}

type funcTime struct {
	name string
	d    time.Duration
}

// observability are the function-name prefixes of the code the UI and the
// event log run: the listener bus and event encoding, the event log, the
// status store, the metrics, the UI, redaction, and the driver's side that
// turns scheduler calls into events.
var observability = []string{
	"github.com/gospark/gospark/internal/events.",
	"github.com/gospark/gospark/internal/eventlog.",
	"github.com/gospark/gospark/internal/status.",
	"github.com/gospark/gospark/internal/metrics.",
	"github.com/gospark/gospark/internal/ui.",
	"github.com/gospark/gospark/internal/redact.",
	"github.com/gospark/gospark/spark.(*appEvents).",
	"github.com/gospark/gospark/spark.taskMetrics",
}

func isObservability(fn string) bool {
	for _, p := range observability {
		if strings.HasPrefix(fn, p) {
			return true
		}
	}
	return false
}

// readProfile reads CPU profiles' stacks, merged (go tool pprof -traces):
// the total sampled time, the time of samples with an observability
// function anywhere on their stack, and those samples' time by the
// innermost such function.
func readProfile(ctx context.Context, paths ...string) (profileShare, error) {
	cmd := exec.CommandContext(ctx, "go", append([]string{"tool", "pprof", "-traces"}, paths...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	text, err := cmd.Output()
	if err != nil {
		return profileShare{}, fmt.Errorf("go tool pprof -traces %s: %w\n%s", strings.Join(paths, " "), err, stderr.String())
	}
	return parseTraces(text)
}

// parseTraces reads go tool pprof -traces' output: samples separated by
// lines of dashes, each starting with its value and innermost function,
// then one caller a line.
func parseTraces(text []byte) (profileShare, error) {
	var s profileShare
	byFunc := map[string]time.Duration{}
	var value time.Duration
	var frames []string
	flush := func() {
		if frames == nil {
			return
		}
		s.total += value
		for _, f := range frames { // innermost first
			if isObservability(f) {
				s.observe += value
				byFunc[f] += value
				break
			}
		}
		frames = nil
	}
	sc := bufio.NewScanner(bytes.NewReader(text))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "-----------+"):
			flush()
		case strings.HasPrefix(line, " ") && frames == nil && strings.TrimSpace(line) != "":
			f := strings.Fields(line)
			if len(f) < 2 {
				continue
			}
			d, err := time.ParseDuration(f[0])
			if err != nil {
				return s, fmt.Errorf("pprof trace line %q: %w", line, err)
			}
			value, frames = d, []string{f[1]}
		case frames != nil && strings.TrimSpace(line) != "":
			frames = append(frames, strings.Fields(line)[0])
		}
	}
	flush()
	if err := sc.Err(); err != nil {
		return s, err
	}
	for f, d := range byFunc {
		s.top = append(s.top, funcTime{f, d})
	}
	slices.SortFunc(s.top, func(a, b funcTime) int { return cmp.Or(cmp.Compare(b.d, a.d), strings.Compare(a.name, b.name)) })
	return s, nil
}

// meanSE is the mean of v and its standard error.
func meanSE(v []float64) (mean, se float64) {
	if len(v) == 0 {
		return 0, 0
	}
	for _, x := range v {
		mean += x
	}
	mean /= float64(len(v))
	if len(v) < 2 {
		return mean, 0
	}
	var ss float64
	for _, x := range v {
		ss += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(ss/float64(len(v)-1)) / math.Sqrt(float64(len(v)))
}

// median of f over the runs of key ("variant/workload").
func (ob *observation) median(key string, f func(observed) float64) float64 {
	ms := ob.results[key]
	v := make([]float64, len(ms))
	for i, m := range ms {
		v[i] = f(m)
	}
	return medianOf(v)
}

// paired is the median and range of the ratios num/den of f over the runs
// of workload w taken in the same round.
func (ob *observation) paired(num, den, w string, f func(observed) float64) (med, lo, hi float64) {
	a, b := ob.results[num+"/"+w], ob.results[den+"/"+w]
	var rs []float64
	for i := range min(len(a), len(b)) {
		if d := f(b[i]); d > 0 {
			rs = append(rs, f(a[i])/d)
		}
	}
	if len(rs) == 0 {
		return 0, 0, 0
	}
	return medianOf(rs), slices.Min(rs), slices.Max(rs)
}

// tinyDiff is the mean and standard error, in seconds, of f of variant v's
// tiny runs less base's of the same round.
func (ob *observation) tinyDiff(v, base string, f func(observed) float64) (mean, se float64) {
	a, b := ob.tiny[v], ob.tiny[base]
	d := make([]float64, 0, len(a))
	for i := range min(len(a), len(b)) {
		d = append(d, f(a[i])-f(b[i]))
	}
	return meanSE(d)
}

func wallOf(m observed) float64 { return m.wall }
func cpuOf(m observed) float64  { return m.cpu }

// section writes the section's Markdown.
func (ob *observation) section() string {
	o, variants := ob.o, ob.variants
	var b strings.Builder
	host, _ := os.Hostname()
	var others []float64
	for _, ms := range ob.results {
		for _, m := range ms {
			others = append(others, m.others)
		}
	}
	fmt.Fprintf(&b, "%s\n\n", observeHeading)
	fmt.Fprintf(&b, "Produced by %s\n", producedBy(o))
	fmt.Fprintf(&b, "at %s on %s, %d CPUs, %s, %s; `make bench` keeps this section as it is.\n\n",
		o.git, time.Now().UTC().Format("2006-01-02 15:04 UTC"), runtime.NumCPU(), runtime.Version(), host)
	fmt.Fprintf(&b, "gospark's bench program ran each workload under `%s` in %d variants, set through `GOSPARK_CONF`:\n\n", o.local, len(variants))
	fmt.Fprintf(&b, "- **off**: `spark.ui.enabled=false`, `spark.eventLog.enabled=false`. The driver still posts its\n")
	fmt.Fprintf(&b, "  listener events to the bus that feeds the status store and the metrics (Spark, too, keeps its\n")
	fmt.Fprintf(&b, "  AppStatusListener without a UI); no HTTP server, no event log.\n")
	fmt.Fprintf(&b, "- **on**: `spark.ui.enabled=true`, `spark.ui.port=0` (any free port), `spark.eventLog.enabled=true`,\n")
	fmt.Fprintf(&b, "  `spark.eventLog.dir` a temporary directory, uncompressed (Spark's default): the whole path, the\n")
	fmt.Fprintf(&b, "  status store, the metrics, the event log writer on its own queue and the UI's HTTP server.\n")
	if o.zstd {
		fmt.Fprintf(&b, "- **on+zstd**: on, with `spark.eventLog.compress=true` (zstd).\n")
	}
	if o.before != "" {
		fmt.Fprintf(&b, "- **before**: the bench program built at commit %s, before issue 14 (no listener bus, status store,\n", o.before)
		fmt.Fprintf(&b, "  metrics, UI or event log), with only `spark.master` set.\n")
	}
	fmt.Fprintf(&b, "\nEach of the %d rounds ran every workload in every variant, one after the other, the variants' order\n", o.runs)
	fmt.Fprintf(&b, "rotating from one round to the next, after one unmeasured warm-up round; one process at a time,\n")
	fmt.Fprintf(&b, "each under treerss. Every answer was checked against `gen -expect`, and every event log was checked:\n")
	fmt.Fprintf(&b, "complete (renamed from `.inprogress`), replayed to its `SparkListenerApplicationEnd`, its environment\n")
	fmt.Fprintf(&b, "saying `spark.ui.enabled=true`; its size and number of events are below (medians). Times are\n")
	fmt.Fprintf(&b, "medians. The ratios in bold are taken per round (a variant's run over off's run of the same round),\n")
	fmt.Fprintf(&b, "then their median and range; the ratio of the medians is given too. CPU time (user+sys of the\n")
	fmt.Fprintf(&b, "process tree) is the steadier figure: other work on this shared 2-CPU machine (here %.2f to %.2f\n", slices.Min(others), slices.Max(others))
	fmt.Fprintf(&b, "CPUs busy outside the measured process on average during a run) stretches wall time first. Nothing\n")
	fmt.Fprintf(&b, "reads the UI during the runs, so its cost is that of a server waiting and of the status store it\n")
	fmt.Fprintf(&b, "would serve. *Max RSS* is the process's largest resident set (wait4's rusage), the largest of the\n")
	fmt.Fprintf(&b, "rounds.\n\n")

	b.WriteString("| workload | variant | wall s | CPU s | **CPU / off**, per round: median (range) | CPU / off, of the medians | wall / off, per round: median (range) | max RSS MiB | events logged | event log bytes |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|\n")
	for _, w := range o.workloads {
		offCPU := ob.median("off/"+w, cpuOf)
		for _, v := range variants {
			key := v.name + "/" + w
			rssMax := 0.0
			for _, m := range ob.results[key] {
				rssMax = max(rssMax, m.ruMaxRSSMiB)
			}
			vw, vc := ob.median(key, wallOf), ob.median(key, cpuOf)
			switch v.name {
			case "off", "before":
				fmt.Fprintf(&b, "| %s | %s | %.2f | %.2f | | %.3f | | %.0f | | |\n", w, v.name, vw, vc, vc/offCPU, rssMax)
				continue
			}
			cm, clo, chi := ob.paired(v.name, "off", w, cpuOf)
			wm, wlo, whi := ob.paired(v.name, "off", w, wallOf)
			ev := ob.median(key, func(m observed) float64 { return float64(m.log.events) })
			size := ob.median(key, func(m observed) float64 { return float64(m.log.bytes) })
			fmt.Fprintf(&b, "| %s | %s | %.2f | %.2f | **%.3f** (%.3f–%.3f) | %.3f | %.3f (%.3f–%.3f) | %.0f | %.0f | %s |\n",
				w, v.name, vw, vc, cm, clo, chi, vc/offCPU, wm, wlo, whi, rssMax, ev, thousands(int64(size)))
		}
	}
	var spread []float64
	for _, w := range o.workloads {
		for _, v := range variants {
			if v.name != "off" {
				_, lo, hi := ob.paired(v.name, "off", w, cpuOf)
				spread = append(spread, lo, hi)
			}
		}
	}
	lo, hi := slices.Min(spread), slices.Max(spread)
	fmt.Fprintf(&b, "\nFrom one round to the next the CPU ratios move between %.2f and %.2f", lo, hi)
	if hi-lo > 2*(overheadGoal-1) {
		fmt.Fprintf(&b, ": on this machine the runs'\nCPU time itself moves by that much (see each run below), so %d rounds cannot tell a 3%% difference\nfrom none.", o.runs)
	} else {
		b.WriteString(".")
	}
	if o.fixed > 0 {
		lo, hi := math.MaxInt, 0
		for key, ms := range ob.results {
			if v, _, _ := strings.Cut(key, "/"); v == "on" {
				for _, m := range ms {
					lo, hi = min(lo, m.log.events), max(hi, m.log.events)
				}
			}
		}
		fmt.Fprintf(&b, " What the UI and the event log add does not grow with the data, though: these workloads\n")
		fmt.Fprintf(&b, "log %d to %d events. It is measured precisely below, then compared with each workload's CPU time.\n", lo, hi)
		ob.writeFixed(&b)
	} else {
		b.WriteString("\n\n")
		ob.writeDirectVerdict(&b)
	}
	if len(ob.tinyProf) > 0 || len(ob.profiles) > 0 {
		ob.writeProfiles(&b)
	}
	b.WriteString("\nEach run of the workloads, in order:\n\n| round | variant | workload | wall s | CPU s | max RSS MiB | other CPUs busy | event log bytes |\n|---|---|---|---|---|---|---|---|\n")
	seen := map[string]int{}
	for _, key := range ob.order {
		m := ob.results[key][seen[key]]
		seen[key]++
		v, w, _ := strings.Cut(key, "/")
		size := ""
		if m.log.bytes > 0 {
			size = thousands(m.log.bytes)
		}
		fmt.Fprintf(&b, "| %d | %s | %s | %.2f | %.2f | %.0f | %.2f | %s |\n", seen[key], v, w, m.wall, m.cpu, m.ruMaxRSSMiB, m.others, size)
	}
	return b.String()
}

// writeFixed reports the tiny job's rounds: the cost per application, and
// what it comes to on each workload, with the verdict.
func (ob *observation) writeFixed(b *strings.Builder) {
	o := ob.o
	var evs []float64
	for _, m := range ob.tiny["on"] {
		evs = append(evs, float64(m.log.events))
	}
	fmt.Fprintf(b, "\n**Cost per application.** In the same run, %d more rounds ran a tiny job in every variant (pi with\n", o.fixed)
	fmt.Fprintf(b, "%d samples: the application starts, runs one job, logs %.0f events and stops), the order rotating as\n", tinyPiSamples, medianOf(evs))
	fmt.Fprintf(b, "above; answers and event logs checked likewise. Means ± standard error; *less off* is the mean of\n")
	fmt.Fprintf(b, "each round's difference. (The kernel counts CPU time in whole 10 ms ticks; the mean over many runs\n")
	fmt.Fprintf(b, "is still right, as a run starts at any point between two ticks.)\n\n")
	b.WriteString("| variant | CPU ms | CPU less off, ms | wall ms | wall less off, ms | max RSS MiB, median |\n|---|---|---|---|---|---|\n")
	for _, v := range ob.variants {
		ms := ob.tiny[v.name]
		cpu := make([]float64, len(ms))
		wall := make([]float64, len(ms))
		rss := make([]float64, len(ms))
		for i, m := range ms {
			cpu[i], wall[i], rss[i] = m.cpu, m.wall, m.ruMaxRSSMiB
		}
		cm, cse := meanSE(cpu)
		wm, wse := meanSE(wall)
		dc, dw := "", ""
		if v.name != "off" {
			d, se := ob.tinyDiff(v.name, "off", cpuOf)
			dc = fmt.Sprintf("%+.1f ± %.1f", 1000*d, 1000*se)
			d, se = ob.tinyDiff(v.name, "off", wallOf)
			dw = fmt.Sprintf("%+.1f ± %.1f", 1000*d, 1000*se)
		}
		fmt.Fprintf(b, "| %s | %.1f ± %.1f | %s | %.1f ± %.1f | %s | %.0f |\n", v.name, 1000*cm, 1000*cse, dc, 1000*wm, 1000*wse, dw, medianOf(rss))
	}
	fmt.Fprintf(b, "\nThat cost over each workload's median CPU time with the UI and event log off (± one standard error\n")
	fmt.Fprintf(b, "of the cost); the goal is under 3%%:\n\n")
	var cols []string
	for _, v := range ob.variants {
		if v.name != "off" && v.name != "before" {
			cols = append(cols, v.name)
		}
	}
	b.WriteString("| workload | off CPU s |")
	for _, c := range cols {
		fmt.Fprintf(b, " %s: cost / CPU | within 3%% |", c)
	}
	if o.before != "" {
		b.WriteString(" off less before: cost / CPU |")
	}
	b.WriteString("\n|---|---|" + strings.Repeat("---|---|", len(cols)))
	if o.before != "" {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	type miss struct {
		w, v string
		pct  float64
	}
	var misses []miss
	held := 0
	for _, w := range o.workloads {
		off := ob.median("off/"+w, cpuOf)
		fmt.Fprintf(b, "| %s | %.2f |", w, off)
		for _, c := range cols {
			d, se := ob.tinyDiff(c, "off", cpuOf)
			pct := 100 * d / off
			ok := "yes"
			if pct >= 100*(overheadGoal-1) {
				ok = "**no**"
				misses = append(misses, miss{w, c, pct})
			} else {
				held++
			}
			fmt.Fprintf(b, " %.2f%% ± %.2f | %s |", pct, 100*se/off, ok)
		}
		if o.before != "" {
			d, se := ob.tinyDiff("off", "before", cpuOf)
			fmt.Fprintf(b, " %.2f%% ± %.2f |", 100*d/off, 100*se/off)
		}
		b.WriteString("\n")
	}
	b.WriteString("\n")
	if len(misses) == 0 {
		fmt.Fprintf(b, "**The goal (under 3%%) holds** for every workload and variant.\n")
		return
	}
	var names []string
	for _, m := range misses {
		names = append(names, fmt.Sprintf("%s %s (%.1f%%)", m.w, m.v, m.pct))
	}
	fmt.Fprintf(b, "**The goal (under 3%%) holds on %d of %d** and not on %s, where the cost per application\n", held, held+len(misses), strings.Join(names, ", "))
	fmt.Fprintf(b, "above is a larger share of the CPU time; its parts follow.\n")
}

// writeDirectVerdict judges the goal from the workloads' own ratios, when
// the cost per application was not measured.
func (ob *observation) writeDirectVerdict(b *strings.Builder) {
	var over []string
	for _, w := range ob.o.workloads {
		for _, v := range ob.variants {
			if v.name == "off" || v.name == "before" {
				continue
			}
			if m, _, _ := ob.paired(v.name, "off", w, cpuOf); m >= overheadGoal {
				over = append(over, fmt.Sprintf("%s %s (%.3f)", w, v.name, m))
			}
		}
	}
	if len(over) == 0 {
		fmt.Fprintf(b, "**The goal (under 3%%) holds** on every workload's median CPU ratio per round.\n")
		return
	}
	fmt.Fprintf(b, "**The median CPU ratio per round reaches 3%% or more** on %s; see the spread above before\n", strings.Join(over, ", "))
	fmt.Fprintf(b, "reading it as a cost, and measure the cost per application with -fixed.\n")
}

func (ob *observation) writeProfiles(b *strings.Builder) {
	fmt.Fprintf(b, "\n**Where the time goes.** After the measured runs, CPU profiles (`BENCH_CPUPROFILE`, into `%s`, not\n", ob.o.profiles)
	fmt.Fprintf(b, "measured) of one more run of each workload and variant")
	if len(ob.tinyProf) > 0 {
		fmt.Fprintf(b, " and of %d more rounds of the tiny job (merged by variant)", ob.o.fixed)
	}
	fmt.Fprintf(b, ". *In\nobservability code* is the time of the samples with one of these on their stack (`go tool pprof\n")
	fmt.Fprintf(b, "-traces`): packages `internal/events` (bus, JSON), `eventlog`, `status`, `metrics`, `ui`, `redact`, and\n")
	fmt.Fprintf(b, "the driver's `spark.(*appEvents)` and `spark.taskMetrics`. Not in it: the garbage collector's work on\n")
	fmt.Fprintf(b, "what they allocate, and package initialisation (before `main`, so outside the profile). *Heaviest*\n")
	fmt.Fprintf(b, "names the innermost such function of those samples. Per application: the profiles' time over the\n")
	fmt.Fprintf(b, "runs merged.\n\n")
	b.WriteString("| job | variant | CPU sampled per application, ms | in observability code, ms | share | heaviest, ms per application |\n|---|---|---|---|---|---|\n")
	for _, p := range append(slices.Clone(ob.tinyProf), ob.profiles...) {
		per := func(d time.Duration) float64 { return float64(d.Milliseconds()) / float64(max(1, p.runs)) }
		var top []string
		for _, f := range p.top[:min(3, len(p.top))] {
			top = append(top, fmt.Sprintf("`%s` %.1f", strings.TrimPrefix(f.name, "github.com/gospark/gospark/"), per(f.d)))
		}
		share := "–"
		if p.total > 0 {
			share = fmt.Sprintf("%.1f%%", 100*p.observe.Seconds()/p.total.Seconds())
		}
		job := p.workload
		if job == "tiny" {
			job = fmt.Sprintf("tiny (%d runs)", p.runs)
		}
		fmt.Fprintf(b, "| %s | %s | %.1f | %.1f | %s | %s |\n", job, p.variant, per(p.total), per(p.observe), share, strings.Join(top, ", "))
	}
}

func medianOf(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	v = slices.Clone(v)
	slices.Sort(v)
	if len(v)%2 == 0 {
		return (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	return v[len(v)/2]
}

// thousands writes n with commas: 1,234,567.
func thousands(n int64) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 && s[i-1] != '-' {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// replaceSection replaces the section of the Markdown file at path that
// starts with the line heading, up to the next heading of the same level
// or the end, with section; it appends section when there is none.
func replaceSection(path, heading, section string) error {
	old, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	text := string(old)
	section = strings.TrimRight(section, "\n") + "\n"
	start := -1
	if strings.HasPrefix(text, heading+"\n") {
		start = 0
	} else if i := strings.Index(text, "\n"+heading+"\n"); i >= 0 {
		start = i + 1
	}
	if start < 0 {
		if text != "" {
			text = strings.TrimRight(text, "\n") + "\n\n"
		}
		return os.WriteFile(path, []byte(text+section), 0o644)
	}
	end := len(text)
	if i := strings.Index(text[start+len(heading):], "\n## "); i >= 0 {
		end = start + len(heading) + i + 1
		section += "\n"
	}
	return os.WriteFile(path, []byte(text[:start]+section+text[end:]), 0o644)
}
