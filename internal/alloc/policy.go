package alloc

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Executor is what the policy needs to know of one registered executor.
type Executor struct {
	ID string
	// Running is the number of tasks running on it now; an executor with
	// none is idle.
	Running int
	// IdleSince is when it last became idle: when its last task ended, or
	// when it registered if it never ran one. Ignored while Running > 0;
	// the zero time means not known, and such an executor is not released.
	IdleSince time.Time
	// HasCache says it holds cached partitions (leave out blocks that
	// another process can serve once it is gone): CachedIdleTimeout
	// applies instead of IdleTimeout.
	HasCache bool
	// HasShuffle says it holds shuffle output that is still referenced;
	// with Config.ShuffleTracking, ShuffleTrackingTimeout applies instead
	// of IdleTimeout.
	HasShuffle bool
	// ActiveShuffle says a running job reads shuffle output it holds; with
	// Config.ShuffleTracking it is then not idle at all (Spark's
	// ExecutorMonitor: an executor with active shuffle output is kept).
	ActiveShuffle bool
}

// State is a snapshot of the application taken at Now.
type State struct {
	Now time.Time
	// Pending is the number of tasks waiting for a slot (submitted, not
	// launched); Running the number of tasks running.
	Pending int
	Running int
	// Executors are the registered executors, leaving out those being
	// removed (already in an earlier Decision.Remove, or lost).
	Executors []Executor
	// PendingExecutors is the number requested but not registered yet. It
	// is informational: the target already counts them.
	PendingExecutors int
}

// Removal is an executor to release and why, for the driver's log.
type Removal struct{ ID, Reason string }

// Decision is what Update decided.
type Decision struct {
	// Target is the total number of executors to request from the cluster
	// manager, registered and pending together.
	Target int
	// Changed says Target differs from the previous decision's (from
	// Config.Initial for the first one).
	Changed bool
	// Reason says why Target changed, for the driver's log; empty when it
	// did not.
	Reason string
	// Remove lists the idle executors to release, in order of ID.
	Remove []Removal
}

// Policy is the dynamic allocation policy of one application. It is not
// safe for concurrent use: one goroutine (the driver's allocation loop)
// calls Update.
type Policy struct {
	cfg    Config
	target int
	// toAdd is how many executors the next backlog round adds; it doubles
	// after each round that added exactly that many.
	toAdd int
	// addAt is when the next backlog round is due; the zero time means no
	// tasks are waiting. backlogSince is when they started waiting, and
	// sustained says a round already fired during this backlog.
	addAt        time.Time
	backlogSince time.Time
	sustained    bool
	// initializing holds the target at Config.Initial until the first task
	// shows up or an executor times out, so that the first job does not
	// have to ramp up again from a lowered target.
	initializing bool
}

// New returns a policy whose target is cfg.Initial. It panics when cfg is
// not valid (see Config.Validate); FromConf returns only valid ones.
func New(cfg Config) *Policy {
	if err := cfg.Validate(); err != nil {
		panic("alloc.New: " + err.Error())
	}
	return &Policy{cfg: cfg, target: cfg.Initial, toAdd: 1, initializing: true}
}

// Target is the current total number of executors to have.
func (p *Policy) Target() int { return p.target }

// Update takes a snapshot, adjusts the target and picks the idle
// executors to release. As Spark's schedule: executors that timed out end
// the initial period, the target is updated, then executors are released
// only while at least max(Config.Min, target) remain.
func (p *Policy) Update(s State) Decision {
	old := p.target
	if s.Pending > 0 {
		if p.addAt.IsZero() {
			p.addAt = s.Now.Add(p.cfg.BacklogTimeout)
			p.backlogSince = s.Now
		}
	} else {
		p.addAt, p.backlogSince, p.sustained, p.toAdd = time.Time{}, time.Time{}, false, 1
	}
	if s.Pending > 0 || s.Running > 0 {
		p.initializing = false
	}
	idle := p.timedOut(s)
	if len(idle) > 0 {
		p.initializing = false
	}
	d := Decision{}
	if !p.initializing {
		d.Reason = p.updateTarget(s)
	}
	d.Target, d.Changed = p.target, p.target != old
	if !d.Changed {
		d.Reason = ""
	}
	left := len(s.Executors)
	for _, r := range idle {
		if left-1 < p.cfg.Min || left-1 < p.target {
			continue
		}
		d.Remove = append(d.Remove, r)
		left--
	}
	return d
}

// maxNeeded is the number of executors that would run every running and
// waiting task at once, scaled by Config.Ratio.
func (p *Policy) maxNeeded(s State) int {
	tasks := float64(s.Pending + s.Running)
	return int(math.Ceil(tasks * p.cfg.Ratio / float64(p.cfg.TasksPerExecutor)))
}

// updateTarget lowers the target to what the tasks need, or adds
// executors when a backlog round is due. It returns the reason of a change.
func (p *Policy) updateTarget(s State) string {
	need := p.maxNeeded(s)
	if need < p.target {
		old := p.target
		p.target = max(need, p.cfg.Min)
		p.toAdd = 1
		if p.target == old {
			return ""
		}
		why := fmt.Sprintf("%d running and %d waiting tasks need at most %s", s.Running, s.Pending, plural(need, "executor"))
		if p.target > need {
			why += fmt.Sprintf(", keeping %s=%d", propMin, p.cfg.Min)
		}
		return fmt.Sprintf("requesting %s in total (%d): %s%s", plural(p.target, "executor"), p.target-old, why, p.sizing())
	}
	if p.addAt.IsZero() || s.Now.Before(p.addAt) {
		return ""
	}
	return p.add(s, need)
}

// add runs one backlog round: the target grows by toAdd (from at least the
// number of registered executors), within need, Config.Max and Config.Min.
func (p *Policy) add(s State, need int) string {
	old := p.target
	if old >= p.cfg.Max {
		p.toAdd = 1
		return ""
	}
	asked := max(old, len(s.Executors)) + p.toAdd
	p.target = max(min(asked, need, p.cfg.Max), p.cfg.Min)
	delta := p.target - old
	if delta == 0 {
		p.toAdd = 1
		return ""
	}
	prop := propBacklog
	if p.sustained {
		prop = propSustained
	}
	if delta == p.toAdd {
		p.toAdd *= 2
	} else {
		p.toAdd = 1
	}
	p.addAt = s.Now.Add(p.cfg.SustainedBacklogTimeout)
	p.sustained = true
	why := fmt.Sprintf("requesting %s in total (+%d): %s waiting for a slot for %s (%s)",
		plural(p.target, "executor"), delta, plural(s.Pending, "task"), duration(s.Now.Sub(p.backlogSince)), prop)
	switch {
	case p.target == p.cfg.Max && asked > p.cfg.Max:
		why += fmt.Sprintf("; at %s=%d", propMax, p.cfg.Max)
	case p.target == need && asked > need:
		why += fmt.Sprintf("; %d running and %d waiting tasks need no more executors%s", s.Running, s.Pending, p.sizing())
	}
	return why
}

// sizing explains how tasks turn into executors when it is not one to one.
func (p *Policy) sizing() string {
	var parts []string
	if p.cfg.TasksPerExecutor != 1 {
		parts = append(parts, fmt.Sprintf("%d tasks per executor", p.cfg.TasksPerExecutor))
	}
	if p.cfg.Ratio != 1 {
		parts = append(parts, fmt.Sprintf("%s=%s", propRatio, strconv.FormatFloat(p.cfg.Ratio, 'g', -1, 64)))
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

// timedOut lists the idle executors whose timeout has passed, by ID, each
// with the reason it may be released.
func (p *Policy) timedOut(s State) []Removal {
	var out []Removal
	for _, e := range s.Executors {
		if e.Running > 0 || e.IdleSince.IsZero() || (p.cfg.ShuffleTracking && e.ActiveShuffle) {
			continue
		}
		timeout, prop, what := p.timeout(e)
		if timeout == Forever || s.Now.Sub(e.IdleSince) < timeout {
			continue
		}
		out = append(out, Removal{ID: e.ID, Reason: fmt.Sprintf("idle for %s%s (%s)", duration(timeout), what, prop)})
	}
	slices.SortFunc(out, func(a, b Removal) int { return compareIDs(a.ID, b.ID) })
	return out
}

// timeout is how long e may stay idle, the property that sets it, and
// what it holds: as Spark's ExecutorMonitor, IdleTimeout for an executor
// holding nothing, otherwise the shorter of the timeouts of what it holds
// (cached blocks, tracked shuffle output).
func (p *Policy) timeout(e Executor) (time.Duration, string, string) {
	shuffle := p.cfg.ShuffleTracking && e.HasShuffle
	if !e.HasCache && !shuffle {
		return p.cfg.IdleTimeout, propIdle, ""
	}
	t, prop, what := Forever, "", ""
	if e.HasCache {
		t, prop, what = p.cfg.CachedIdleTimeout, propCachedIdle, " with cached blocks"
	}
	if shuffle && p.cfg.ShuffleTrackingTimeout < t {
		t, prop, what = p.cfg.ShuffleTrackingTimeout, propTrackingTimeout, " with shuffle output"
	}
	return t, prop, what
}

// compareIDs orders executor IDs numerically when both are numbers
// ("2" before "10"), else as strings.
func compareIDs(a, b string) int {
	x, errA := strconv.Atoi(a)
	y, errB := strconv.Atoi(b)
	if errA == nil && errB == nil {
		return cmp.Compare(x, y)
	}
	return strings.Compare(a, b)
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

// duration writes d for a log line: whole seconds as "60s", else rounded
// to the millisecond.
func duration(d time.Duration) string {
	if d%time.Second == 0 {
		return strconv.FormatInt(int64(d/time.Second), 10) + "s"
	}
	return d.Round(time.Millisecond).String()
}
