package status

import (
	"cmp"
	"slices"
)

// toRemove is how many entries to forget when there are n and the limit is
// limit: at least a tenth of the limit, so that cleaning does not run on
// every event (Spark's calculateNumberToRemove).
func toRemove(n, limit int) int {
	if n <= limit {
		return 0
	}
	return max(limit/10, n-limit)
}

// retainJobs forgets the oldest finished jobs beyond RetainedJobs.
func (s *Store) retainJobs() {
	n := toRemove(len(s.jobs), s.o.RetainedJobs)
	if n == 0 {
		return
	}
	var done []*job
	for _, j := range s.jobs {
		if j.status != JobRunning && j.status != JobUnknown {
			done = append(done, j)
		}
	}
	slices.SortFunc(done, func(a, b *job) int {
		return cmp.Or(cmp.Compare(a.completion, b.completion), cmp.Compare(a.id, b.id))
	})
	for _, j := range done[:min(n, len(done))] {
		delete(s.jobs, j.id)
	}
}

func stageCompletion(st *stage) int64 {
	if st.info.CompletionTime == nil {
		return -1 // skipped stages go first, as in Spark
	}
	return *st.info.CompletionTime
}

// retainStages forgets the oldest finished stage attempts (and their tasks)
// beyond RetainedStages.
func (s *Store) retainStages() {
	n := toRemove(len(s.stages), s.o.RetainedStages)
	if n == 0 {
		return
	}
	var done []stageKey
	for k, st := range s.stages {
		if st.status != StageActive && st.status != StagePending {
			done = append(done, k)
		}
	}
	slices.SortFunc(done, func(a, b stageKey) int {
		return cmp.Or(cmp.Compare(stageCompletion(s.stages[a]), stageCompletion(s.stages[b])),
			cmp.Compare(a.id, b.id), cmp.Compare(a.attempt, b.attempt))
	})
	for _, k := range done[:min(n, len(done))] {
		delete(s.stages, k)
	}
}

func taskEnd(t *task) int64 {
	if t.info.FinishTime > 0 {
		return t.info.FinishTime
	}
	return t.info.LaunchTime
}

// retainTasks forgets a stage attempt's oldest tasks beyond RetainedTasks:
// finished ones first, running ones only when there are still too many.
func (s *Store) retainTasks(st *stage) {
	n := toRemove(len(st.tasks), s.o.RetainedTasks)
	if n == 0 {
		return
	}
	all := make([]*task, 0, len(st.tasks))
	for _, t := range st.tasks {
		all = append(all, t)
	}
	slices.SortFunc(all, func(a, b *task) int {
		if a.ended != b.ended {
			if a.ended {
				return -1
			}
			return 1
		}
		return cmp.Or(cmp.Compare(taskEnd(a), taskEnd(b)), cmp.Compare(a.info.TaskID, b.info.TaskID))
	})
	for _, t := range all[:n] {
		delete(st.tasks, t.info.TaskID)
	}
}

// retainDeadExecutors forgets the executors removed longest ago beyond
// RetainedDeadExecutors.
func (s *Store) retainDeadExecutors() {
	var dead []*executor
	for _, ex := range s.executors {
		if !ex.active {
			dead = append(dead, ex)
		}
	}
	n := toRemove(len(dead), s.o.RetainedDeadExecutors)
	if n == 0 {
		return
	}
	slices.SortFunc(dead, func(a, b *executor) int {
		return cmp.Or(cmp.Compare(a.removeTime, b.removeTime), cmp.Compare(a.id, b.id))
	})
	for _, ex := range dead[:n] {
		delete(s.executors, ex.id)
	}
}
