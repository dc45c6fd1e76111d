package alloc

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gospark/gospark/internal/config"
	"github.com/gospark/gospark/internal/config/configtest"
)

// t0 is the fake clock's origin; tests give times as offsets from it.
var t0 = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// base is a valid configuration with Spark's defaults, except the
// sustained backlog timeout (2s) so that both timeouts show.
func base() Config {
	return Config{
		Min: 0, Max: math.MaxInt32, Initial: 0, Ratio: 1,
		BacklogTimeout: time.Second, SustainedBacklogTimeout: 2 * time.Second,
		IdleTimeout: 60 * time.Second, CachedIdleTimeout: Forever,
		ShuffleTrackingTimeout: Forever, TasksPerExecutor: 1,
	}
}

func with(f func(*Config)) Config {
	c := base()
	f(&c)
	return c
}

// change is a target that Update reported as changed at a time.
type change struct {
	at     time.Duration
	target int
}

func (c change) String() string { return fmt.Sprintf("%v→%d", c.at, c.target) }

// TestTargetOverTime drives a policy every 100 ms, as the driver does, with
// a load that depends on the time, and checks every change of the target.
func TestTargetOverTime(t *testing.T) {
	backlog := func(pending int) func(time.Duration) State {
		return func(time.Duration) State { return State{Pending: pending} }
	}
	tests := []struct {
		name string
		cfg  Config
		load func(at time.Duration) State
		end  time.Duration
		want []change
	}{
		{
			name: "sustained backlog doubles the additions until maxExecutors",
			cfg:  with(func(c *Config) { c.Max = 10 }),
			load: backlog(100),
			end:  12 * time.Second,
			// +1 after schedulerBacklogTimeout, then +2, +4 every
			// sustainedSchedulerBacklogTimeout, then +3 up to the maximum.
			want: []change{{1 * time.Second, 1}, {3 * time.Second, 3}, {5 * time.Second, 7}, {7 * time.Second, 10}},
		},
		{
			name: "the tasks cap the target",
			cfg:  base(),
			load: backlog(5),
			end:  12 * time.Second,
			want: []change{{1 * time.Second, 1}, {3 * time.Second, 3}, {5 * time.Second, 5}},
		},
		{
			name: "additions start from the initial target",
			cfg:  with(func(c *Config) { c.Initial = 2 }),
			load: backlog(100),
			end:  4 * time.Second,
			want: []change{{1 * time.Second, 3}, {3 * time.Second, 5}},
		},
		{
			name: "additions start from the registered executors",
			cfg:  with(func(c *Config) { c.Initial = 1 }),
			load: func(time.Duration) State {
				// 3 registered (more than the target of 1, as after a
				// lost request), all busy.
				return State{Pending: 100, Running: 3, Executors: busy("1", "2", "3")}
			},
			end:  2 * time.Second,
			want: []change{{1 * time.Second, 4}},
		},
		{
			name: "no addition before schedulerBacklogTimeout of a new backlog",
			cfg:  with(func(c *Config) { c.BacklogTimeout = 5 * time.Second }),
			load: backlog(100),
			end:  6 * time.Second,
			want: []change{{5 * time.Second, 1}},
		},
		{
			name: "an empty queue restarts the backlog timer and the step",
			cfg:  base(),
			load: func(at time.Duration) State {
				switch {
				case at < 4*time.Second: // +1 at 1s, +2 at 3s
					return State{Pending: 100}
				case at < 5*time.Second: // every task launched
					return State{Running: 3}
				}
				return State{Pending: 100, Running: 3} // +1 at 6s, +2 at 8s
			},
			end:  9 * time.Second,
			want: []change{{1 * time.Second, 1}, {3 * time.Second, 3}, {6 * time.Second, 4}, {8 * time.Second, 6}},
		},
		{
			name: "the target drops at once when the backlog disappears",
			cfg:  base(),
			load: func(at time.Duration) State {
				if at < 6*time.Second {
					return State{Pending: 100}
				}
				return State{Running: 2}
			},
			end:  8 * time.Second,
			want: []change{{1 * time.Second, 1}, {3 * time.Second, 3}, {5 * time.Second, 7}, {6 * time.Second, 2}},
		},
		{
			name: "the target drops no lower than minExecutors",
			cfg:  with(func(c *Config) { c.Min, c.Initial = 3, 3 }),
			load: func(at time.Duration) State {
				if at < 6*time.Second {
					return State{Pending: 100}
				}
				return State{Running: 1}
			},
			end: 8 * time.Second,
			// At least minExecutors throughout.
			want: []change{{1 * time.Second, 4}, {3 * time.Second, 6}, {5 * time.Second, 10}, {6 * time.Second, 3}},
		},
		{
			name: "ratio 0.5 halves the need",
			cfg:  with(func(c *Config) { c.Initial, c.Ratio = 20, 0.5 }),
			load: backlog(11),
			end:  time.Second,
			want: []change{{0, 6}}, // ceil(11 × 0.5)
		},
		{
			name: "four tasks per executor divide the need",
			cfg:  with(func(c *Config) { c.Initial, c.TasksPerExecutor = 20, 4 }),
			load: backlog(10),
			end:  time.Second,
			want: []change{{0, 3}}, // ceil(10 / 4)
		},
		{
			name: "ratio and tasks per executor together",
			cfg:  with(func(c *Config) { c.Initial, c.Ratio, c.TasksPerExecutor = 20, 0.5, 4 }),
			load: backlog(10),
			end:  time.Second,
			want: []change{{0, 2}}, // ceil(10 × 0.5 / 4)
		},
		{
			name: "the initial target holds until tasks show up",
			cfg:  with(func(c *Config) { c.Initial = 5 }),
			load: func(at time.Duration) State {
				if at < 10*time.Second {
					return State{}
				}
				return State{Running: 1}
			},
			end:  11 * time.Second,
			want: []change{{10 * time.Second, 1}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := New(tc.cfg)
			if got := p.Target(); got != tc.cfg.Initial {
				t.Fatalf("Target() before any update = %d, want Initial %d", got, tc.cfg.Initial)
			}
			var got []change
			prev := p.Target()
			for at := time.Duration(0); at <= tc.end; at += 100 * time.Millisecond {
				s := tc.load(at)
				s.Now = t0.Add(at)
				d := p.Update(s)
				if d.Changed != (d.Target != prev) {
					t.Errorf("at %v: Changed = %v with target %d after %d", at, d.Changed, d.Target, prev)
				}
				if d.Changed {
					got = append(got, change{at, d.Target})
					if d.Reason == "" {
						t.Errorf("at %v: target changed to %d without a reason", at, d.Target)
					}
					t.Logf("at %v: %s", at, d.Reason)
				}
				if p.Target() != d.Target {
					t.Errorf("at %v: Target() = %d, decision says %d", at, p.Target(), d.Target)
				}
				prev = d.Target
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("target changes = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestReasons checks that the driver's log says what happened and which
// property made it happen.
func TestReasons(t *testing.T) {
	p := New(with(func(c *Config) { c.Max = 4 }))
	step := func(at time.Duration, s State) Decision {
		s.Now = t0.Add(at)
		return p.Update(s)
	}
	step(0, State{Pending: 37})
	checks := []struct {
		at   time.Duration
		s    State
		want []string
	}{
		{time.Second, State{Pending: 37}, []string{"requesting 1 executor in total (+1)", "37 tasks waiting for a slot for 1s", "(spark.dynamicAllocation.schedulerBacklogTimeout)"}},
		{3 * time.Second, State{Pending: 37}, []string{"requesting 3 executors in total (+2)", "for 3s", "(spark.dynamicAllocation.sustainedSchedulerBacklogTimeout)"}},
		{5 * time.Second, State{Pending: 37}, []string{"requesting 4 executors in total (+1)", "at spark.dynamicAllocation.maxExecutors=4"}},
		{6 * time.Second, State{Running: 3}, []string{"requesting 3 executors in total (-1)", "3 running and 0 waiting tasks need at most 3 executors"}},
	}
	for _, c := range checks {
		d := step(c.at, c.s)
		for _, w := range c.want {
			if !strings.Contains(d.Reason, w) {
				t.Errorf("at %v: reason %q does not contain %q", c.at, d.Reason, w)
			}
		}
	}
	if d := step(7*time.Second, State{Running: 3}); d.Changed || d.Reason != "" {
		t.Errorf("unchanged target: Changed %v, reason %q", d.Changed, d.Reason)
	}

	q := New(with(func(c *Config) { c.Min, c.Initial, c.Ratio, c.TasksPerExecutor = 2, 8, 0.5, 4 }))
	d := q.Update(State{Now: t0, Running: 1})
	for _, w := range []string{"(-6)", "need at most 1 executor", "keeping spark.dynamicAllocation.minExecutors=2", "4 tasks per executor", "spark.dynamicAllocation.executorAllocationRatio=0.5"} {
		if !strings.Contains(d.Reason, w) {
			t.Errorf("reason %q does not contain %q", d.Reason, w)
		}
	}
}

func idle(id string, since time.Duration) Executor {
	return Executor{ID: id, IdleSince: t0.Add(since)}
}

func busy(ids ...string) []Executor {
	var es []Executor
	for _, id := range ids {
		es = append(es, Executor{ID: id, Running: 1})
	}
	return es
}

// TestRemoval checks which idle executors are released when, with a
// snapshot at each of several times.
func TestRemoval(t *testing.T) {
	cachedAt2m := with(func(c *Config) { c.CachedIdleTimeout = 2 * time.Minute })
	tracking := with(func(c *Config) {
		c.ShuffleTracking, c.ShuffleTrackingTimeout = true, 5*time.Minute
	})
	type check struct {
		at         time.Duration
		want       []string // IDs released
		wantTarget int
	}
	tests := []struct {
		name      string
		cfg       Config
		running   int // tasks running (besides those on the executors)
		executors []Executor
		checks    []check
	}{
		{
			name:      "after executorIdleTimeout, not before",
			cfg:       with(func(c *Config) { c.Initial = 2 }),
			running:   1,
			executors: []Executor{idle("1", 0), {ID: "2", Running: 1}},
			checks: []check{
				{59900 * time.Millisecond, nil, 1},
				{60 * time.Second, []string{"1"}, 1},
			},
		},
		{
			name:      "the idle time counts from IdleSince",
			cfg:       base(),
			executors: []Executor{idle("1", 30*time.Second), idle("2", 0)},
			checks: []check{
				{60 * time.Second, []string{"2"}, 0},
				{90 * time.Second, []string{"1", "2"}, 0}, // "2" again: the driver had not left it out
			},
		},
		{
			name:      "cached executors after cachedExecutorIdleTimeout",
			cfg:       cachedAt2m,
			executors: []Executor{idle("1", 0), {ID: "2", IdleSince: t0, HasCache: true}},
			checks: []check{
				{60 * time.Second, []string{"1"}, 0},
				{119 * time.Second, []string{"1"}, 0},
				{120 * time.Second, []string{"1", "2"}, 0},
			},
		},
		{
			name:      "cached executors never with an infinite cachedExecutorIdleTimeout",
			cfg:       base(),
			executors: []Executor{{ID: "1", IdleSince: t0, HasCache: true}},
			checks:    []check{{1000 * time.Hour, nil, 0}},
		},
		{
			name: "a shorter cachedExecutorIdleTimeout applies as in Spark",
			cfg:  with(func(c *Config) { c.CachedIdleTimeout = 10 * time.Second }),
			executors: []Executor{
				{ID: "1", IdleSince: t0, HasCache: true}, idle("2", 0),
			},
			checks: []check{{10 * time.Second, []string{"1"}, 0}},
		},
		{
			name: "shuffle tracking keeps shuffle holders until shuffleTracking.timeout",
			cfg:  tracking,
			executors: []Executor{
				idle("1", 0),
				{ID: "2", IdleSince: t0, HasShuffle: true},
				{ID: "3", IdleSince: t0, HasShuffle: true, ActiveShuffle: true},
			},
			checks: []check{
				{60 * time.Second, []string{"1"}, 0},
				{299 * time.Second, []string{"1"}, 0},
				{300 * time.Second, []string{"1", "2"}, 0},
				{1000 * time.Hour, []string{"1", "2"}, 0}, // a running job reads 3's output
			},
		},
		{
			name: "shuffle tracking with an infinite timeout keeps shuffle holders",
			cfg:  with(func(c *Config) { c.ShuffleTracking = true }),
			executors: []Executor{
				{ID: "1", IdleSince: t0, HasShuffle: true},
			},
			checks: []check{{1000 * time.Hour, nil, 0}},
		},
		{
			name: "cached blocks and shuffle output: the shorter timeout",
			cfg: with(func(c *Config) {
				c.ShuffleTracking, c.ShuffleTrackingTimeout, c.CachedIdleTimeout = true, 5*time.Minute, Forever
			}),
			executors: []Executor{{ID: "1", IdleSince: t0, HasShuffle: true, HasCache: true}},
			checks: []check{
				{299 * time.Second, nil, 0},
				{300 * time.Second, []string{"1"}, 0},
			},
		},
		{
			name:      "shuffle output does not matter without shuffle tracking",
			cfg:       base(),
			executors: []Executor{{ID: "1", IdleSince: t0, HasShuffle: true, ActiveShuffle: true}},
			checks:    []check{{60 * time.Second, []string{"1"}, 0}},
		},
		{
			name:      "never below minExecutors",
			cfg:       with(func(c *Config) { c.Min, c.Initial = 2, 2 }),
			executors: []Executor{idle("1", 0), idle("2", 0), idle("3", 0)},
			checks:    []check{{60 * time.Second, []string{"1"}, 2}},
		},
		{
			name:      "never below the target",
			cfg:       with(func(c *Config) { c.Initial = 3 }),
			running:   2, // the target drops to the 2 executors needed
			executors: []Executor{{ID: "1", Running: 2}, idle("2", 0), idle("3", 0)},
			checks:    []check{{60 * time.Second, []string{"2"}, 2}},
		},
		{
			name:      "in order of ID, numbers as numbers",
			cfg:       base(),
			executors: []Executor{idle("10", 0), idle("2", 0), idle("3", 0)},
			checks:    []check{{60 * time.Second, []string{"2", "3", "10"}, 0}},
		},
		{
			name:      "an unknown idle time is not an idle timeout",
			cfg:       base(),
			executors: []Executor{{ID: "1"}},
			checks:    []check{{1000 * time.Hour, nil, 0}},
		},
		{
			name:      "a timed-out executor ends the initial period",
			cfg:       with(func(c *Config) { c.Min, c.Initial = 1, 5 }),
			executors: []Executor{idle("1", 0), idle("2", 0), idle("3", 0), idle("4", 0), idle("5", 0)},
			checks: []check{
				{59 * time.Second, nil, 5},
				{60 * time.Second, []string{"1", "2", "3", "4"}, 1},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := New(tc.cfg)
			for _, c := range tc.checks {
				d := p.Update(State{Now: t0.Add(c.at), Running: tc.running, Executors: tc.executors})
				var got []string
				for _, r := range d.Remove {
					got = append(got, r.ID)
					if !strings.Contains(r.Reason, "spark.dynamicAllocation.") || !strings.HasPrefix(r.Reason, "idle for ") {
						t.Errorf("at %v: removal reason %q does not name the timeout property", c.at, r.Reason)
					}
				}
				if !slices.Equal(got, c.want) {
					t.Errorf("at %v: removed %v, want %v", c.at, got, c.want)
				}
				if d.Target != c.wantTarget {
					t.Errorf("at %v: target %d, want %d", c.at, d.Target, c.wantTarget)
				}
			}
		})
	}
}

func TestRemovalReasons(t *testing.T) {
	cfg := with(func(c *Config) {
		c.CachedIdleTimeout, c.ShuffleTracking, c.ShuffleTrackingTimeout = 90*time.Second, true, 1500*time.Millisecond
	})
	p := New(cfg)
	d := p.Update(State{Now: t0.Add(time.Hour), Executors: []Executor{
		idle("1", 0),
		{ID: "2", IdleSince: t0, HasCache: true},
		{ID: "3", IdleSince: t0, HasShuffle: true},
	}})
	want := []Removal{
		{"1", "idle for 60s (spark.dynamicAllocation.executorIdleTimeout)"},
		{"2", "idle for 90s with cached blocks (spark.dynamicAllocation.cachedExecutorIdleTimeout)"},
		{"3", "idle for 1.5s with shuffle output (spark.dynamicAllocation.shuffleTracking.timeout)"},
	}
	if !slices.Equal(d.Remove, want) {
		t.Errorf("removals:\n got %q\nwant %q", d.Remove, want)
	}
}

func TestNewRejectsInvalidConfig(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "spark.executor.cores") {
			t.Errorf("New with TasksPerExecutor 0: panic %v, want one naming spark.executor.cores", r)
		}
	}()
	New(with(func(c *Config) { c.TasksPerExecutor = 0 }))
}

func TestFromConf(t *testing.T) {
	tests := []struct {
		name string
		kv   []string
		want func(*Config)
	}{
		{"Spark's defaults", nil, func(*Config) {}},
		{"initial from initialExecutors", []string{"spark.dynamicAllocation.minExecutors", "1", "spark.dynamicAllocation.initialExecutors", "3"},
			func(c *Config) { c.Min, c.Initial = 1, 3 }},
		{"initial falls back to minExecutors", []string{"spark.dynamicAllocation.minExecutors", "2"},
			func(c *Config) { c.Min, c.Initial = 2, 2 }},
		{"initial at least minExecutors", []string{"spark.dynamicAllocation.minExecutors", "2", "spark.dynamicAllocation.initialExecutors", "1"},
			func(c *Config) { c.Min, c.Initial = 2, 2 }},
		{"initial from spark.executor.instances", []string{"spark.executor.instances", "4", "spark.dynamicAllocation.initialExecutors", "3"},
			func(c *Config) { c.Initial = 4 }},
		{"spark.executor.instances smaller than initialExecutors", []string{"spark.executor.instances", "1", "spark.dynamicAllocation.initialExecutors", "3"},
			func(c *Config) { c.Initial = 3 }},
		{"sustained backlog timeout falls back", []string{"spark.dynamicAllocation.schedulerBacklogTimeout", "5"},
			func(c *Config) { c.BacklogTimeout, c.SustainedBacklogTimeout = 5*time.Second, 5*time.Second }},
		{"timeouts and units", []string{
			"spark.dynamicAllocation.sustainedSchedulerBacklogTimeout", "3",
			"spark.dynamicAllocation.executorIdleTimeout", "30",
			"spark.dynamicAllocation.cachedExecutorIdleTimeout", "120",
			"spark.dynamicAllocation.shuffleTracking.enabled", "true",
			"spark.dynamicAllocation.shuffleTracking.timeout", "1500",
		}, func(c *Config) {
			c.SustainedBacklogTimeout, c.IdleTimeout, c.CachedIdleTimeout = 3*time.Second, 30*time.Second, 2*time.Minute
			c.ShuffleTracking, c.ShuffleTrackingTimeout = true, 1500*time.Millisecond
		}},
		{"shuffle tracking is off with the shuffle service", []string{
			"spark.dynamicAllocation.shuffleTracking.enabled", "true", "spark.shuffle.service.enabled", "true",
		}, func(*Config) {}},
		{"ratio, bounds and cores", []string{
			"spark.dynamicAllocation.executorAllocationRatio", "0.5",
			"spark.dynamicAllocation.maxExecutors", "20",
			"spark.executor.cores", "4",
		}, func(c *Config) { c.Ratio, c.Max, c.TasksPerExecutor = 0.5, 20, 4 }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := FromConf(configtest.Conf(t, tc.kv...))
			if err != nil {
				t.Fatal(err)
			}
			want := Config{
				Max: math.MaxInt32, Ratio: 1,
				BacklogTimeout: time.Second, SustainedBacklogTimeout: time.Second,
				IdleTimeout: time.Minute, CachedIdleTimeout: Forever,
				ShuffleTrackingTimeout: Forever, TasksPerExecutor: 1,
			}
			tc.want(&want)
			if got != want {
				t.Errorf("FromConf:\n got %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestFromConfErrors(t *testing.T) {
	tests := []struct {
		name     string
		kv       []string
		property string
		want     string
	}{
		{"min above max", []string{"spark.dynamicAllocation.minExecutors", "5", "spark.dynamicAllocation.maxExecutors", "3"},
			"spark.dynamicAllocation.minExecutors", "at most spark.dynamicAllocation.maxExecutors (3)"},
		{"max zero", []string{"spark.dynamicAllocation.maxExecutors", "0"},
			"spark.dynamicAllocation.maxExecutors", "a positive integer"},
		{"initial above max", []string{"spark.dynamicAllocation.initialExecutors", "5", "spark.dynamicAllocation.maxExecutors", "3"},
			"spark.dynamicAllocation.initialExecutors", "at most spark.dynamicAllocation.maxExecutors (3)"},
		{"instances above max", []string{"spark.executor.instances", "8", "spark.dynamicAllocation.maxExecutors", "3"},
			"spark.executor.instances", "at most spark.dynamicAllocation.maxExecutors (3)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := FromConf(configtest.Conf(t, tc.kv...))
			var ce *config.Error
			if !errors.As(err, &ce) {
				t.Fatalf("FromConf error = %v, want a *config.Error", err)
			}
			if ce.Property != tc.property || !strings.Contains(err.Error(), tc.property) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("FromConf error = %q (property %s), want one naming %s and %q", err, ce.Property, tc.property, tc.want)
			}
		})
	}
}

// TestRatioBounds checks that a ratio out of (0, 1] is refused with the
// property's name: by the registry when it is set, by Validate for a
// Config built by hand.
func TestRatioBounds(t *testing.T) {
	const prop = "spark.dynamicAllocation.executorAllocationRatio"
	for _, v := range []string{"0", "1.5", "-0.5"} {
		err := config.New().Set(prop, v)
		if err == nil || !strings.Contains(err.Error(), prop) || !strings.Contains(err.Error(), "(0, 1]") {
			t.Errorf("Set(%s, %s) = %v, want an error naming the property and (0, 1]", prop, v, err)
		}
	}
	for _, r := range []float64{0, 1.5, math.NaN()} {
		err := with(func(c *Config) { c.Ratio = r }).Validate()
		if err == nil || !strings.Contains(err.Error(), prop) || !strings.Contains(err.Error(), "(0, 1]") {
			t.Errorf("Validate with Ratio %v = %v, want an error naming %s and (0, 1]", r, err, prop)
		}
	}
	if err := with(func(c *Config) { c.Ratio = 1 }).Validate(); err != nil {
		t.Errorf("Validate with Ratio 1: %v", err)
	}
}

func TestRequirement(t *testing.T) {
	on := []string{"spark.master", "local-cluster[2,1,1024]", "spark.dynamicAllocation.enabled", "true"}
	tests := []struct {
		name string
		kv   []string
		ok   bool
	}{
		{"off", nil, true},
		{"off explicitly, with a cluster master", []string{"spark.master", "k8s://https://kube:6443", "spark.dynamicAllocation.enabled", "false"}, true},
		{"on with a local master, where Spark ignores it", []string{"spark.master", "local[4]", "spark.dynamicAllocation.enabled", "true"}, true},
		{"on with none of the three", on, false},
		{"on with the shuffle service", slices.Concat(on, []string{"spark.shuffle.service.enabled", "true"}), true},
		{"on with shuffle tracking", slices.Concat(on, []string{"spark.dynamicAllocation.shuffleTracking.enabled", "true"}), true},
		{"on with decommissioning", slices.Concat(on, []string{"spark.decommission.enabled", "true", "spark.storage.decommission.enabled", "true"}), true},
		{"on with decommissioning but no block migration", slices.Concat(on, []string{"spark.decommission.enabled", "true"}), false},
		{"on with decommissioning but not of shuffle blocks", append(on,
			"spark.decommission.enabled", "true", "spark.storage.decommission.enabled", "true",
			"spark.storage.decommission.shuffleBlocks.enabled", "false"), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Requirement(configtest.Conf(t, tc.kv...))
			if tc.ok {
				if err != nil {
					t.Errorf("Requirement = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, ErrShuffleUnprotected) {
				t.Fatalf("Requirement = %v, want ErrShuffleUnprotected", err)
			}
			for _, w := range []string{
				"spark.shuffle.service.enabled=true",
				"spark.dynamicAllocation.shuffleTracking.enabled=true",
				"spark.decommission.enabled=true",
				"spark.storage.decommission.shuffleBlocks.enabled=true",
				"spark.storage.decommission.enabled=true",
			} {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Requirement error %q does not mention %s", err, w)
				}
			}
		})
	}
}

func TestEnabled(t *testing.T) {
	for _, tc := range []struct {
		master, enabled string
		want            bool
	}{
		{"local[*]", "true", false},
		{"local", "true", false},
		{"local-cluster[2,1,1024]", "true", true},
		{"k8s://https://kube:6443", "true", true},
		{"k8s://https://kube:6443", "false", false},
	} {
		c := configtest.Conf(t, "spark.master", tc.master, "spark.dynamicAllocation.enabled", tc.enabled)
		if got := Enabled(c); got != tc.want {
			t.Errorf("Enabled(master %s, enabled %s) = %v, want %v", tc.master, tc.enabled, got, tc.want)
		}
	}
}
