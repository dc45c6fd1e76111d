package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gospark/gospark/internal/shuffle"
	"github.com/gospark/gospark/internal/task"
)

// Stage is a set of tasks computing the same function over the partitions of
// one dataset: a shuffle map stage (ends in a shuffle write) or a result
// stage (ends in the job's action).
type Stage struct {
	ID      int
	Node    Node
	Shuffle *ShuffleDep // nil for a result stage
	Parents []*Stage

	// Guarded by the DAGScheduler's mu: a shuffle map stage is shared by
	// every job that needs it, and jobs run on their own goroutines.
	attempt      int
	used         bool // attempt has been submitted
	fetchFailure int  // consecutive attempts ended by a fetch failure
}

// currentAttempt is the stage's attempt number.
func (d *DAGScheduler) currentAttempt(s *Stage) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return s.attempt
}

// newAttempt is the attempt number of a submission of s: a stage submitted
// again (its output was lost, or a job needs it recomputed) is a new
// attempt, as Spark's makeNewStageAttempt.
func (d *DAGScheduler) newAttempt(s *Stage) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	if s.used {
		s.attempt++
	}
	s.used = true
	return s.attempt
}

// failAttempt starts the stage's next attempt after a fetch failure and
// returns the ended attempt and the count of consecutive failed attempts.
func (d *DAGScheduler) failAttempt(s *Stage) (ended, consecutive int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	s.attempt++
	s.used = false
	s.fetchFailure++
	return s.attempt - 1, s.fetchFailure
}

// Name is the stage's description, "<dataset> (<kind>)".
func (s *Stage) Name() string {
	if s.Shuffle != nil {
		return fmt.Sprintf("%s (shuffle %d)", s.Node.Name(), s.Shuffle.ID)
	}
	return s.Node.Name()
}

// DAGScheduler turns jobs into stages and stages into tasks.
type DAGScheduler struct {
	tasks       *TaskScheduler
	tracker     *MapOutputTracker
	maxAttempts int
	listener    Listener
	onAccums    func(map[int64]any)
	log         *slog.Logger

	mu            sync.Mutex
	nextStage     int
	nextJob       int
	shuffleStages map[int64]*Stage
	// active lists, per running job, the shuffles its stages read or
	// write (shuffle tracking keeps the executors that hold them).
	active map[int][]int64
}

// Options configure a DAG scheduler.
type Options struct {
	MaxStageAttempts int                 // spark.stage.maxConsecutiveAttempts
	Listener         Listener            // may be nil
	OnAccums         func(map[int64]any) // applies successful tasks' accumulator updates
	Log              *slog.Logger
}

// NewDAGScheduler returns a scheduler that runs tasks through ts.
func NewDAGScheduler(ts *TaskScheduler, tracker *MapOutputTracker, o Options) *DAGScheduler {
	if o.Listener == nil {
		o.Listener = NopListener{}
	}
	if o.MaxStageAttempts < 1 {
		o.MaxStageAttempts = 4
	}
	if o.OnAccums == nil {
		o.OnAccums = func(map[int64]any) {}
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	return &DAGScheduler{tasks: ts, tracker: tracker, maxAttempts: o.MaxStageAttempts, listener: o.Listener,
		onAccums: o.OnAccums, log: o.Log, shuffleStages: make(map[int64]*Stage)}
}

// Tracker is the scheduler's map output tracker.
func (d *DAGScheduler) Tracker() *MapOutputTracker { return d.tracker }

// ExecutorLost forgets the map outputs of an executor that is gone, so that
// the stages needing them recompute them, and logs which they were.
// Outputs that an external shuffle service serves, or that a
// decommissioned executor handed to peers, are not its any more and stay.
func (d *DAGScheduler) ExecutorLost(executorID, reason string) {
	lost := d.tracker.UnregisterExecutor(executorID)
	if strings.HasPrefix(reason, "decommissioned") {
		d.log.Info("executor left", "executor", executorID, "reason", reason)
	} else {
		d.log.Warn("executor lost", "executor", executorID, "reason", reason)
	}
	for _, id := range slices.Sorted(maps.Keys(lost)) {
		d.log.Warn("map outputs lost with their executor", "executor", executorID, "shuffle", id, "maps", lost[id])
	}
}

func (d *DAGScheduler) newStageLocked(n Node, sd *ShuffleDep) *Stage {
	// Parents first, so that they get the lower ids, as in Spark.
	parents := d.parentStagesLocked(n)
	s := &Stage{ID: d.nextStage, Node: n, Shuffle: sd, Parents: parents}
	d.nextStage++
	return s
}

// parentStagesLocked finds the shuffle map stages that n's lineage reads,
// creating them on first use; a shuffle's stage is shared by every job.
func (d *DAGScheduler) parentStagesLocked(n Node) []*Stage {
	var parents []*Stage
	seen := map[int64]bool{}
	var visit func(Node)
	visit = func(n Node) {
		if seen[n.ID()] {
			return
		}
		seen[n.ID()] = true
		for _, dep := range n.Deps() {
			if dep.Shuffle == nil {
				visit(dep.Parent)
				continue
			}
			s, ok := d.shuffleStages[dep.Shuffle.ID]
			if !ok {
				s = d.newStageLocked(dep.Parent, dep.Shuffle)
				d.shuffleStages[dep.Shuffle.ID] = s
			}
			parents = append(parents, s)
		}
	}
	visit(n)
	return parents
}

func allCached(n Node) bool {
	for p := range n.NumPartitions() {
		if !n.Cached(p) {
			return false
		}
	}
	return n.NumPartitions() > 0
}

// missingParents lists the parent stages whose output is not available,
// skipping lineage that is entirely cached.
func (d *DAGScheduler) missingParents(s *Stage) []*Stage {
	var missing []*Stage
	seen := map[int64]bool{}
	var visit func(Node)
	visit = func(n Node) {
		if seen[n.ID()] {
			return
		}
		seen[n.ID()] = true
		if allCached(n) {
			return
		}
		for _, dep := range n.Deps() {
			if dep.Shuffle == nil {
				visit(dep.Parent)
				continue
			}
			d.mu.Lock()
			ps := d.shuffleStages[dep.Shuffle.ID]
			d.mu.Unlock()
			if len(d.tracker.Missing(dep.Shuffle.ID, dep.Parent.NumPartitions())) > 0 {
				missing = append(missing, ps)
			}
		}
	}
	visit(s.Node)
	return missing
}

type event struct {
	result   *Result
	resubmit bool
}

// job is the state of one RunJob call; it lives on RunJob's goroutine.
type job struct {
	d          *DAGScheduler
	id         int
	ctx        context.Context
	final      *Stage
	partitions []int
	result     task.Func
	action     *Action
	onResult   func(p int, v any) error

	events   chan event
	done     chan struct{}
	waiting  map[*Stage]bool
	running  map[*Stage]bool
	pending  map[*Stage]map[int]bool
	finished map[int]bool
	inflight int
	failed   map[*Stage]bool
	// open holds the stage attempts submitted to listeners and not yet
	// reported completed, with the task count each was submitted with.
	open map[stageAttempt]int
	// attempts is the attempt of each stage this job submitted last: a
	// stage another job shares may have moved on to a later attempt.
	attempts map[*Stage]int
}

type stageAttempt struct{ stage, attempt int }

// RunJob computes the given partitions of final, calling result in a task
// for each and onResult (on the caller's goroutine) with its value. It
// returns when every partition is done, when a task fails for good, or when
// ctx ends.
func (d *DAGScheduler) RunJob(ctx context.Context, final Node, partitions []int, result task.Func, action *Action, onResult func(p int, v any) error) error {
	d.mu.Lock()
	id := d.nextJob
	d.nextJob++
	fs := d.newStageLocked(final, nil)
	if d.active == nil {
		d.active = make(map[int][]int64)
	}
	d.active[id] = stageShuffles(fs)
	d.mu.Unlock()
	defer func() {
		d.mu.Lock()
		delete(d.active, id)
		d.mu.Unlock()
	}()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	j := &job{
		d: d, id: id, ctx: ctx, final: fs, partitions: partitions, result: result, action: action, onResult: onResult,
		events: make(chan event, 256), done: make(chan struct{}),
		waiting: map[*Stage]bool{}, running: map[*Stage]bool{}, pending: map[*Stage]map[int]bool{},
		finished: map[int]bool{}, failed: map[*Stage]bool{}, open: map[stageAttempt]int{}, attempts: map[*Stage]int{},
	}
	defer close(j.done)
	d.listener.JobStart(id, d.jobStages(fs, len(partitions)))
	d.log.Debug("job started", "job", id, "final_stage", fs.ID, "partitions", len(partitions))
	err := j.run(cancel)
	j.closeStages(err)
	d.listener.JobEnd(id, err)
	return err
}

// jobStages describes every stage of final's lineage to listeners, final
// first, as Spark's JobStart lists them.
func (d *DAGScheduler) jobStages(final *Stage, numPartitions int) []StageInfo {
	var out []StageInfo
	seen := map[int]bool{}
	var walk func(*Stage)
	walk = func(s *Stage) {
		if seen[s.ID] {
			return
		}
		seen[s.ID] = true
		n := s.Node.NumPartitions()
		if s == final {
			n = numPartitions
		}
		out = append(out, d.stageInfo(s, d.currentAttempt(s), n))
		for _, p := range s.Parents {
			walk(p)
		}
	}
	walk(final)
	return out
}

// stageInfo describes an attempt of s.
func (d *DAGScheduler) stageInfo(s *Stage, attempt, numTasks int) StageInfo {
	info := StageInfo{ID: s.ID, Attempt: attempt, Name: s.Name(), NumTasks: numTasks, ParentIDs: []int{}}
	for _, p := range s.Parents {
		info.ParentIDs = append(info.ParentIDs, p.ID)
	}
	seen := map[int64]bool{}
	var walk func(Node)
	walk = func(n Node) {
		if seen[n.ID()] {
			return
		}
		seen[n.ID()] = true
		ds := DatasetInfo{ID: n.ID(), Name: n.Name(), Partitions: n.NumPartitions(), ParentIDs: []int64{}}
		if l, ok := n.(Leveled); ok {
			ds.Level = l.StorageLevel()
		}
		for _, dep := range n.Deps() {
			ds.ParentIDs = append(ds.ParentIDs, dep.Parent.ID())
		}
		info.Datasets = append(info.Datasets, ds)
		for _, dep := range n.Deps() {
			if dep.Shuffle == nil {
				walk(dep.Parent)
			}
		}
	}
	walk(s.Node)
	return info
}

// stageEnded tells listeners that a submitted stage attempt ended, once.
func (j *job) stageEnded(s *Stage, attempt int, err error) {
	key := stageAttempt{s.ID, attempt}
	n, ok := j.open[key]
	if !ok {
		return
	}
	delete(j.open, key)
	j.d.listener.StageCompleted(j.d.stageInfo(s, attempt, n), err)
}

// closeStages ends the stage attempts still open when the job ends: the
// final stage's when the job succeeded, failed ones otherwise.
func (j *job) closeStages(err error) {
	if len(j.open) == 0 {
		return
	}
	stages := map[int]*Stage{j.final.ID: j.final}
	j.d.mu.Lock()
	for _, s := range j.d.shuffleStages {
		stages[s.ID] = s
	}
	j.d.mu.Unlock()
	cause := err
	if cause == nil {
		cause = fmt.Errorf("job %d ended before the stage completed", j.id)
	}
	for _, key := range slices.SortedFunc(maps.Keys(j.open), func(a, b stageAttempt) int { return a.stage - b.stage }) {
		s := stages[key.stage]
		if s == nil {
			delete(j.open, key)
			continue
		}
		if err == nil && s == j.final {
			j.stageEnded(s, key.attempt, nil)
			continue
		}
		j.stageEnded(s, key.attempt, cause)
	}
}

// ActiveShuffles lists the shuffles that running jobs read or write.
func (d *DAGScheduler) ActiveShuffles() map[int64]bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make(map[int64]bool)
	for _, ids := range d.active {
		for _, id := range ids {
			out[id] = true
		}
	}
	return out
}

// stageShuffles lists the shuffles of s's lineage.
func stageShuffles(s *Stage) []int64 {
	seen := map[int]bool{}
	var ids []int64
	var walk func(*Stage)
	walk = func(s *Stage) {
		if seen[s.ID] {
			return
		}
		seen[s.ID] = true
		if s.Shuffle != nil {
			ids = append(ids, s.Shuffle.ID)
		}
		for _, p := range s.Parents {
			walk(p)
		}
	}
	walk(s)
	return ids
}

func (j *job) run(cancel context.CancelFunc) error {
	if len(j.partitions) == 0 {
		return nil
	}
	abort := func(err error) error {
		cancel()
		// Wait for running attempts to notice the cancellation so that no
		// task outlives its job.
		for j.inflight > 0 {
			ev := <-j.events
			if ev.result != nil {
				j.inflight--
			}
		}
		return err
	}
	if err := j.submit(j.final); err != nil {
		return abort(err)
	}
	for len(j.finished) < len(j.partitions) {
		select {
		case <-j.ctx.Done():
			return abort(fmt.Errorf("job %d cancelled: %w", j.id, context.Cause(j.ctx)))
		case ev := <-j.events:
			if ev.resubmit {
				if err := j.resubmitFailed(); err != nil {
					return abort(err)
				}
				continue
			}
			j.inflight--
			if err := j.handle(ev.result); err != nil {
				return abort(err)
			}
		}
	}
	return abort(nil)
}

func (j *job) send(ev event) {
	select {
	case j.events <- ev:
	case <-j.done:
	}
}

// submit runs a stage, or its missing parents first.
func (j *job) submit(s *Stage) error {
	if j.waiting[s] || j.running[s] {
		return nil
	}
	missing := j.d.missingParents(s)
	if len(missing) == 0 {
		return j.submitTasks(s)
	}
	for _, p := range missing {
		if err := j.submit(p); err != nil {
			return err
		}
	}
	j.waiting[s] = true
	return nil
}

func (j *job) submitTasks(s *Stage) error {
	var parts []int
	if s.Shuffle != nil {
		parts = j.d.tracker.Missing(s.Shuffle.ID, s.Node.NumPartitions())
	} else {
		for _, p := range j.partitions {
			if !j.finished[p] {
				parts = append(parts, p)
			}
		}
	}
	if len(parts) == 0 {
		return j.stageDone(s)
	}
	j.running[s] = true
	pend := make(map[int]bool, len(parts))
	j.pending[s] = pend
	run, kind, action := j.result, task.Result, j.action
	if s.Shuffle != nil {
		run, kind, action = s.Shuffle.Map, task.ShuffleMap, nil
		if j.d.tracker.Registered(s.Shuffle.ID) {
			j.d.log.Warn("recomputing lost map outputs", "stage", s.ID, "shuffle", s.Shuffle.ID, "maps", parts)
		}
		if s.Shuffle.Prepare != nil {
			if err := s.Shuffle.Prepare(j.ctx); err != nil {
				return fmt.Errorf("stage %d (%s): %w", s.ID, s.Name(), err)
			}
		}
	}
	attempt := j.d.newAttempt(s)
	j.attempts[s] = attempt
	tasks := make([]*Task, len(parts))
	for i, p := range parts {
		pend[p] = true
		tasks[i] = &Task{ID: j.d.tasks.NewTaskID(), JobID: j.id, StageID: s.ID, StageAttempt: attempt, Partition: p, Kind: kind, Run: run,
			Node: s.Node, Shuffle: s.Shuffle, Action: action}
	}
	j.inflight += len(tasks)
	j.open[stageAttempt{s.ID, attempt}] = len(tasks)
	j.d.listener.StageSubmitted(j.d.stageInfo(s, attempt, len(tasks)))
	j.d.log.Info("stage submitted", "job", j.id, "stage", s.ID, "attempt", attempt, "tasks", len(tasks), "name", s.Name())
	j.d.tasks.Submit(j.ctx, tasks,
		j.d.listener.TaskStart,
		j.d.listener.TaskEnd,
		func(r Result) { j.send(event{result: &r}) })
	return nil
}

func (j *job) stageOf(t *Task) *Stage {
	if t.StageID == j.final.ID {
		return j.final
	}
	j.d.mu.Lock()
	defer j.d.mu.Unlock()
	for _, s := range j.d.shuffleStages {
		if s.ID == t.StageID {
			return s
		}
	}
	return nil
}

func (j *job) handle(r *Result) error {
	t := r.Task
	s := j.stageOf(t)
	if s == nil {
		return fmt.Errorf("job %d: result for unknown stage %d", j.id, t.StageID)
	}
	var ff *shuffle.FetchFailedError
	switch {
	case r.Err == nil:
		j.d.onAccums(r.Accums)
		if s.Shuffle != nil {
			st, ok := r.Value.(*shuffle.MapStatus)
			if !ok {
				return fmt.Errorf("stage %d: map task returned %T, want *shuffle.MapStatus", s.ID, r.Value)
			}
			st.ExecutorID = r.ExecutorID
			j.d.tracker.Register(s.Node.NumPartitions(), st)
		} else if !j.finished[t.Partition] {
			j.finished[t.Partition] = true
			if err := j.onResult(t.Partition, r.Value); err != nil {
				return err
			}
		}
		if t.StageAttempt == j.attempts[s] {
			delete(j.pending[s], t.Partition)
		}
		if j.running[s] && len(j.pending[s]) == 0 {
			delete(j.running, s)
			if s.Shuffle != nil && len(j.d.tracker.Missing(s.Shuffle.ID, s.Node.NumPartitions())) > 0 {
				// Some output was lost while the stage ran: run it again,
				// as a new attempt.
				j.stageEnded(s, t.StageAttempt, nil)
				return j.submit(s)
			}
			if s.Shuffle != nil {
				return j.stageDone(s)
			}
		}
		return nil
	case errors.As(r.Err, &ff):
		if t.StageAttempt != j.attempts[s] || j.failed[s] {
			return nil // an older attempt of a stage already resubmitted
		}
		j.d.log.Warn("fetch failed; recomputing lost map output",
			"task", t.Name(), "shuffle", ff.ShuffleID, "map", ff.MapIndex, "executor", ff.ExecutorID, "error", ff.Err)
		delete(j.running, s)
		_, consecutive := j.d.failAttempt(s)
		j.stageEnded(s, t.StageAttempt, r.Err)
		if consecutive >= j.d.maxAttempts {
			return &StageFailedError{StageID: s.ID, Attempts: consecutive, Err: r.Err}
		}
		// As Spark without an external shuffle service, a fetch failure
		// means the executor's files for the shuffle are gone: drop all of
		// them so that one resubmission recomputes everything lost.
		var lost []int
		if ff.Service && ff.Addr != "" {
			// The node's shuffle service failed: every output it serves
			// is suspect, as Spark drops a host's outputs.
			byShuffle := j.d.tracker.UnregisterServer(ff.Addr)
			for _, id := range slices.Sorted(maps.Keys(byShuffle)) {
				j.d.log.Warn("map outputs lost with their shuffle service", "service", ff.Addr, "shuffle", id, "maps", byShuffle[id], "cause", "fetch failure")
			}
			lost = byShuffle[ff.ShuffleID]
		} else if ff.ExecutorID != "" {
			lost = j.d.tracker.UnregisterShuffleOnExecutor(ff.ShuffleID, ff.ExecutorID)
		}
		if ff.MapIndex >= 0 {
			j.d.tracker.Unregister(ff.ShuffleID, ff.MapIndex)
			if !slices.Contains(lost, ff.MapIndex) {
				lost = append(lost, ff.MapIndex)
				slices.Sort(lost)
			}
		}
		if ff.ExecutorID != "" && !ff.Service {
			j.d.log.Warn("map outputs lost with their executor", "executor", ff.ExecutorID, "shuffle", ff.ShuffleID, "maps", lost, "cause", "fetch failure")
		}
		j.failed[s] = true
		// Spark waits a little before resubmitting so that more fetch
		// failures of the same loss arrive first.
		time.AfterFunc(200*time.Millisecond, func() { j.send(event{resubmit: true}) })
		return nil
	default:
		if j.ctx.Err() != nil {
			return fmt.Errorf("job %d cancelled: %w", j.id, context.Cause(j.ctx))
		}
		j.stageEnded(s, t.StageAttempt, r.Err)
		return r.Err
	}
}

func (j *job) resubmitFailed() error {
	failed := j.failed
	j.failed = map[*Stage]bool{}
	for s := range failed {
		j.d.log.Info("resubmitting stage after fetch failure", "stage", s.ID, "attempt", j.d.currentAttempt(s),
			"missing_parents", len(j.d.missingParents(s)))
		if err := j.submit(s); err != nil {
			return err
		}
	}
	return nil
}

// stageDone marks a map stage complete and starts the stages waiting on it.
func (j *job) stageDone(s *Stage) error {
	j.d.mu.Lock()
	s.fetchFailure = 0
	j.d.mu.Unlock()
	if attempt, ok := j.attempts[s]; ok {
		j.stageEnded(s, attempt, nil)
	}
	for w := range j.waiting {
		if len(j.d.missingParents(w)) == 0 {
			delete(j.waiting, w)
			if err := j.submitTasks(w); err != nil {
				return err
			}
		}
	}
	return nil
}
