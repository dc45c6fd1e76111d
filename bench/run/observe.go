package main

// The -observe mode: what the driver's web UI and event log cost (issue 14).
//
//	go run ./bench/run -observe [-runs 7] [-workloads wc,kv,pi,sort] [-local 'local[2]']
//	    [-zstd=true] [-cpuprofile DIR] [-commit REV] -out BENCHMARKS.md
//
// gospark's bench program runs each workload under -local in two variants,
// "off" (spark.ui.enabled=false, spark.eventLog.enabled=false) and "on"
// (the UI on any free port, the event log uncompressed into a temporary
// directory), and with -zstd a third, "on+zstd" (the event log compressed
// with zstd). Each run of the command rotates the order of the variants,
// after an unmeasured warm-up round. Every answer is checked as
// in the main mode, and every event log is checked: complete (renamed from
// .inprogress), readable to its SparkListenerApplicationEnd, and saying that
// the UI was enabled. Its size and event count are reported, then it is
// removed. With -cpuprofile, one more run of each workload and variant
// writes a CPU profile (not measured), and the report gives the share of
// CPU samples spent in the observability code.
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
	variants := observeVariants(tmp, o.zstd, o.before)
	if o.before != "" {
		if err := buildGospark(ctx, o.before, filepath.Join(p.bin, "gospark-bench-before")); err != nil {
			return err
		}
	}
	engines := make([]engine, len(variants))
	for i, v := range variants {
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
		engines[i] = engine{name: v.name, gospark: true, conf: conf, prog: v.prog}
	}
	once := func(i int, w string, extraEnv ...string) (observed, error) {
		e := engines[i]
		e.env = extraEnv
		m, err := runOnce(ctx, p.bin, p.tsv, e, w, p.textDir, p.expect[w])
		if err != nil {
			return observed{}, err
		}
		lf, err := checkEventLog(ctx, variants[i])
		if err != nil {
			return observed{}, fmt.Errorf("%s %s: %w", variants[i].name, w, err)
		}
		return observed{measure: m, log: lf}, nil
	}
	for _, w := range o.workloads { // warm-up: page cache, programs, corpus
		for i := range variants {
			if _, err := once(i, w); err != nil {
				return err
			}
		}
	}
	results := map[string][]observed{} // variant/workload
	var order []string                 // "variant/workload" of each run, in order
	for r := range o.runs {
		for _, w := range o.workloads {
			for k := range variants {
				i := (k + r) % len(variants) // each variant takes each place in turn
				m, err := once(i, w)
				if err != nil {
					return err
				}
				key := variants[i].name + "/" + w
				results[key] = append(results[key], m)
				order = append(order, key)
				fmt.Fprintf(os.Stderr, "bench: %-8s %-4s run %d: wall %.2fs cpu %.2fs log %d bytes\n", variants[i].name, w, r+1, m.wall, m.cpu, m.log.bytes)
			}
		}
	}
	var profiles []profileShare
	if o.profiles != "" {
		if profiles, err = profileVariants(ctx, o, variants, once); err != nil {
			return err
		}
	}
	section := overheadSection(o, variants, results, order, profiles)
	return replaceSection(o.out, observeHeading, section)
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
	total, observe    time.Duration // all samples; samples in the observability code
	top               []funcTime    // the observability code's heaviest functions
}

type funcTime struct {
	name string
	d    time.Duration
}

// profileVariants runs each workload once more in each variant with a CPU
// profile (BENCH_CPUPROFILE) and reads where the time went.
func profileVariants(ctx context.Context, o options, variants []variant, once func(int, string, ...string) (observed, error)) ([]profileShare, error) {
	if err := os.MkdirAll(o.profiles, 0o755); err != nil {
		return nil, err
	}
	var out []profileShare
	for _, w := range o.workloads {
		for i, v := range variants {
			if v.name == "before" {
				continue // none of the code looked for
			}
			path, err := filepath.Abs(filepath.Join(o.profiles, fmt.Sprintf("%s-%s.pprof", w, strings.ReplaceAll(v.name, "+", "-"))))
			if err != nil {
				return nil, err
			}
			if _, err := once(i, w, "BENCH_CPUPROFILE="+path); err != nil {
				return nil, err
			}
			s, err := readProfile(ctx, path)
			if err != nil {
				return nil, err
			}
			s.variant, s.workload = v.name, w
			out = append(out, s)
		}
	}
	return out, nil
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

// readProfile reads a CPU profile's stacks (go tool pprof -traces): the
// total sampled time, the time of samples with an observability function
// anywhere on their stack, and those samples' time by the innermost such
// function.
func readProfile(ctx context.Context, path string) (profileShare, error) {
	cmd := exec.CommandContext(ctx, "go", "tool", "pprof", "-traces", path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	text, err := cmd.Output()
	if err != nil {
		return profileShare{}, fmt.Errorf("go tool pprof -traces %s: %w\n%s", path, err, stderr.String())
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

// overheadSection writes the section's Markdown.
func overheadSection(o options, variants []variant, results map[string][]observed, order []string, profiles []profileShare) string {
	var b strings.Builder
	host, _ := os.Hostname()
	var others []float64
	for _, ms := range results {
		for _, m := range ms {
			others = append(others, m.others)
		}
	}
	lo, hi := slices.Min(others), slices.Max(others)
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
		fmt.Fprintf(&b, "- **before**: the bench program built at commit %s, before issue 14, with only `spark.master` set.\n", o.before)
	}
	fmt.Fprintf(&b, "\nEach of the %d rounds ran every workload in every variant, one after the other, the variants' order\n", o.runs)
	fmt.Fprintf(&b, "rotating from one round to the next, after one unmeasured warm-up round; one process at a\n")
	fmt.Fprintf(&b, "time, each under treerss. Every answer was checked against `gen -expect`, and every event log was\n")
	fmt.Fprintf(&b, "checked: complete (renamed from `.inprogress`), replayed to its `SparkListenerApplicationEnd`, its\n")
	fmt.Fprintf(&b, "environment saying `spark.ui.enabled=true`; its size and number of events are below (medians).\n")
	fmt.Fprintf(&b, "Times are medians. The ratios in bold are taken per round (a variant's run over off's run of the\n")
	fmt.Fprintf(&b, "same round, run minutes apart at most), then their median and range, which cancels most of the\n")
	fmt.Fprintf(&b, "machine's drift; the ratio of the medians is given too. CPU time (user+sys of the process tree) is\n")
	fmt.Fprintf(&b, "the steadier figure: on this shared 2-CPU machine other work (here %.2f to %.2f CPUs busy outside the\n", lo, hi)
	fmt.Fprintf(&b, "measured process on average during a run) stretches wall time first. Nothing reads the UI during the\n")
	fmt.Fprintf(&b, "runs, so its cost is that of a server waiting and of the status store it would serve.\n\n")

	med := func(v, w string, f func(observed) float64) float64 {
		ms := results[v+"/"+w]
		vals := make([]float64, len(ms))
		for i, m := range ms {
			vals[i] = f(m)
		}
		return medianOf(vals)
	}
	wall := func(m observed) float64 { return m.wall }
	cpu := func(m observed) float64 { return m.cpu }
	// paired is the median and range of the ratios v/base of the runs of
	// one round, taken side by side.
	paired := func(v, base, w string, f func(observed) float64) (med, lo, hi float64) {
		num, den := results[v+"/"+w], results[base+"/"+w]
		var rs []float64
		for i := range min(len(num), len(den)) {
			if d := f(den[i]); d > 0 {
				rs = append(rs, f(num[i])/d)
			}
		}
		if len(rs) == 0 {
			return 0, 0, 0
		}
		return medianOf(rs), slices.Min(rs), slices.Max(rs)
	}
	b.WriteString("| workload | variant | wall s | CPU s | **CPU / off**, per run: median (range) | CPU / off, of the medians | wall / off, per run: median (range) | peak RSS MiB | events logged | event log bytes |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|\n")
	type over struct {
		v, w string
		r    float64
	}
	var worstCPU, worstWall over
	for _, w := range o.workloads {
		for _, v := range variants {
			if v.name == "before" {
				continue // in its own table
			}
			ms := results[v.name+"/"+w]
			rssMax := 0.0
			for _, m := range ms {
				rssMax = max(rssMax, m.rssMiB)
			}
			vw, vc := med(v.name, w, wall), med(v.name, w, cpu)
			if v.name == "off" {
				fmt.Fprintf(&b, "| %s | off | %.2f | %.2f | | | | %.0f | | |\n", w, vw, vc, rssMax)
				continue
			}
			cm, clo, chi := paired(v.name, "off", w, cpu)
			wm, wlo, whi := paired(v.name, "off", w, wall)
			ev := med(v.name, w, func(m observed) float64 { return float64(m.log.events) })
			size := med(v.name, w, func(m observed) float64 { return float64(m.log.bytes) })
			fmt.Fprintf(&b, "| %s | %s | %.2f | %.2f | **%.3f** (%.3f–%.3f) | %.3f | %.3f (%.3f–%.3f) | %.0f | %.0f | %s |\n",
				w, v.name, vw, vc, cm, clo, chi, vc/med("off", w, cpu), wm, wlo, whi, rssMax, ev, thousands(int64(size)))
			if cm > worstCPU.r {
				worstCPU = over{v: v.name, w: w, r: cm}
			}
			if wm > worstWall.r {
				worstWall = over{v: v.name, w: w, r: wm}
			}
		}
	}
	b.WriteString("\n")
	switch {
	case worstCPU.r < overheadGoal && worstWall.r < overheadGoal:
		fmt.Fprintf(&b, "**The goal (under 3%%) holds**: the largest CPU ratio (per-run median) is %.3f (%s, %s) and the largest wall ratio %.3f (%s, %s).\n",
			worstCPU.r, worstCPU.w, worstCPU.v, worstWall.r, worstWall.w, worstWall.v)
	case worstCPU.r < overheadGoal:
		fmt.Fprintf(&b, "**The goal (under 3%%) holds on CPU time**: the largest CPU ratio (per-run median) is %.3f (%s, %s); the\n",
			worstCPU.r, worstCPU.w, worstCPU.v)
		fmt.Fprintf(&b, "largest wall ratio, %.3f (%s, %s), is above it (wall time is the noisier figure here; see each run below).\n",
			worstWall.r, worstWall.w, worstWall.v)
	default:
		fmt.Fprintf(&b, "**The goal (under 3%%) does not hold everywhere**: the CPU ratio (per-run median) reaches %.3f (%s, %s).\n",
			worstCPU.r, worstCPU.w, worstCPU.v)
	}
	if o.before != "" {
		fmt.Fprintf(&b, "\nAgainst gospark before issue 14 (**before**: the bench program built at commit %s, which has no\n", o.before)
		fmt.Fprintf(&b, "listener bus, status store, metrics, UI or event log), run in the same rounds with only `spark.master`\n")
		fmt.Fprintf(&b, "set: CPU time over before's, per run: median (range).\n\n")
		b.WriteString("| workload | before wall s | before CPU s | off / before | on / before |")
		if o.zstd {
			b.WriteString(" on+zstd / before |")
		}
		b.WriteString("\n|---|---|---|---|---|")
		if o.zstd {
			b.WriteString("---|")
		}
		b.WriteString("\n")
		for _, w := range o.workloads {
			fmt.Fprintf(&b, "| %s | %.2f | %.2f |", w, med("before", w, wall), med("before", w, cpu))
			for _, v := range variants {
				if v.name == "before" {
					continue
				}
				m, lo, hi := paired(v.name, "before", w, cpu)
				fmt.Fprintf(&b, " %.3f (%.3f–%.3f) |", m, lo, hi)
			}
			b.WriteString("\n")
		}
	}
	if len(profiles) > 0 {
		writeProfiles(&b, o, profiles)
	}
	b.WriteString("\nEach run, in order:\n\n| round | variant | workload | wall s | CPU s | peak RSS MiB | other CPUs busy | event log bytes |\n|---|---|---|---|---|---|---|---|\n")
	seen := map[string]int{}
	for _, key := range order {
		m := results[key][seen[key]]
		seen[key]++
		v, w, _ := strings.Cut(key, "/")
		size := ""
		if m.log.bytes > 0 {
			size = thousands(m.log.bytes)
		}
		fmt.Fprintf(&b, "| %d | %s | %s | %.2f | %.2f | %.0f | %.2f | %s |\n", seen[key], v, w, m.wall, m.cpu, m.rssMiB, m.others, size)
	}
	return b.String()
}

func writeProfiles(b *strings.Builder, o options, profiles []profileShare) {
	fmt.Fprintf(b, "\nWhere the time goes. After the measured runs, one more run of each workload and variant wrote a CPU\n")
	fmt.Fprintf(b, "profile (`BENCH_CPUPROFILE`, into `%s`, not measured). *In observability code* is the time of the\n", o.profiles)
	fmt.Fprintf(b, "samples with one of these on their stack (`go tool pprof -traces`): packages `internal/events` (bus,\n")
	fmt.Fprintf(b, "JSON), `eventlog`, `status`, `metrics`, `ui`, `redact`, and the driver's `spark.(*appEvents)` and\n")
	fmt.Fprintf(b, "`spark.taskMetrics`; the garbage collector's work on what they allocate is not in it. *Heaviest* names\n")
	fmt.Fprintf(b, "the innermost such function of those samples.\n\n")
	b.WriteString("| workload | variant | CPU sampled s | in observability code s | share | heaviest |\n|---|---|---|---|---|---|\n")
	for _, p := range profiles {
		var top []string
		for _, f := range p.top[:min(3, len(p.top))] {
			top = append(top, fmt.Sprintf("`%s` %.2f s", strings.TrimPrefix(f.name, "github.com/gospark/gospark/"), f.d.Seconds()))
		}
		share := "–"
		if p.total > 0 {
			share = fmt.Sprintf("%.2f%%", 100*p.observe.Seconds()/p.total.Seconds())
		}
		fmt.Fprintf(b, "| %s | %s | %.2f | %.3f | %s | %s |\n", p.workload, p.variant, p.total.Seconds(), p.observe.Seconds(),
			share, strings.Join(top, ", "))
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
