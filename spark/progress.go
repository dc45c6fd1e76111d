package spark

import (
	"io"
	"os"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/gospark/gospark/internal/progress"
	"github.com/gospark/gospark/internal/scheduler"
)

// consoleProgress feeds scheduler events to the console progress bar.
type consoleProgress struct {
	bar  *progress.Bar
	quit chan struct{}
	done chan struct{}

	mu     sync.Mutex
	stages map[int]*progress.StageStatus
}

func newConsoleProgress(w io.Writer) *consoleProgress {
	width := 80
	if n, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && n > 0 {
		width = n
	}
	c := &consoleProgress{bar: progress.New(w, width), quit: make(chan struct{}), done: make(chan struct{}),
		stages: make(map[int]*progress.StageStatus)}
	go c.loop()
	return c
}

func (c *consoleProgress) loop() {
	defer close(c.done)
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-c.quit:
			return
		case now := <-t.C:
			c.bar.Update(now, c.snapshot())
		}
	}
}

func (c *consoleProgress) snapshot() []progress.StageStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]progress.StageStatus, 0, len(c.stages))
	for _, s := range c.stages {
		out = append(out, *s)
	}
	slices.SortFunc(out, func(a, b progress.StageStatus) int { return a.StageID - b.StageID })
	return out
}

func (c *consoleProgress) stop() {
	close(c.quit)
	<-c.done
	c.bar.Finish()
}

func (c *consoleProgress) JobStart(int, []scheduler.StageInfo) {}

func (c *consoleProgress) JobEnd(int, error) {
	c.mu.Lock()
	clear(c.stages)
	c.mu.Unlock()
	c.bar.Finish()
}

func (c *consoleProgress) StageSubmitted(s scheduler.StageInfo) {
	c.mu.Lock()
	c.stages[s.ID] = &progress.StageStatus{StageID: s.ID, Total: s.NumTasks, Started: time.Now()}
	c.mu.Unlock()
}

func (c *consoleProgress) StageCompleted(s scheduler.StageInfo, _ error) {
	c.mu.Lock()
	delete(c.stages, s.ID)
	c.mu.Unlock()
}

func (c *consoleProgress) TaskStart(t *scheduler.Task, _ string) {
	c.mu.Lock()
	if s, ok := c.stages[t.StageID]; ok {
		s.Active++
	}
	c.mu.Unlock()
}

func (c *consoleProgress) TaskEnd(r scheduler.Result) {
	c.mu.Lock()
	if s, ok := c.stages[r.Task.StageID]; ok {
		s.Active--
		if r.Err == nil {
			s.Completed++
		}
	}
	c.mu.Unlock()
}
