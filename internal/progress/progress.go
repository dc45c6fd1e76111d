package progress

import (
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"
)

const (
	// FirstDelay is how long a stage runs before it is shown.
	FirstDelay = 500 * time.Millisecond
	// UpdatePeriod is the shortest time between two draws.
	UpdatePeriod = 200 * time.Millisecond
	// MaxStages is how many stages are shown side by side; Spark shows
	// the first three.
	MaxStages = 3
	// DefaultWidth is the line width when $COLUMNS is not set.
	DefaultWidth = 80
)

// StageStatus is the progress of one stage.
type StageStatus struct {
	StageID   int
	Total     int       // tasks in the stage
	Completed int       // tasks finished successfully
	Active    int       // tasks running
	Started   time.Time // when the stage was submitted
}

// Render returns the progress line of stages (the first MaxStages of them)
// in width columns, as Spark's ConsoleProgressBar draws it: each stage gets
// width/len(stages) columns holding "[Stage N:", a bar of "=" for the
// completed fraction, ">" at its head and spaces after, and
// "(completed + active) / total]". The bar is left out when the columns do
// not leave room for it.
func Render(stages []StageStatus, width int) string {
	if len(stages) == 0 {
		return ""
	}
	stages = stages[:min(len(stages), MaxStages)]
	per := width / len(stages)
	var b strings.Builder
	for _, s := range stages {
		header := "[Stage " + strconv.Itoa(s.StageID) + ":"
		tailer := "(" + strconv.Itoa(s.Completed) + " + " + strconv.Itoa(s.Active) + ") / " + strconv.Itoa(s.Total) + "]"
		b.WriteString(header)
		if w := per - len(header) - len(tailer); w > 0 {
			done := 0
			if s.Total > 0 {
				done = w * min(max(s.Completed, 0), s.Total) / s.Total
			}
			b.WriteString(strings.Repeat("=", done))
			if done < w {
				b.WriteByte('>')
				b.WriteString(strings.Repeat(" ", w-done-1))
			}
		}
		b.WriteString(tailer)
	}
	return b.String()
}

// Bar draws the progress line on a terminal. Its methods are safe for
// concurrent use; write errors are ignored, as the bar is best effort.
type Bar struct {
	mu        sync.Mutex
	w         io.Writer
	width     int
	last      string // the line on screen, "" if none
	lastWrite time.Time
}

// New returns a bar drawing on w in width columns; a width of 0 or less
// means $COLUMNS, or DefaultWidth when that is not a positive number.
func New(w io.Writer, width int) *Bar {
	if width <= 0 {
		width = columns()
	}
	return &Bar{w: w, width: width}
}

func columns() int {
	if n, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && n > 0 {
		return n
	}
	return DefaultWidth
}

// Update draws the line of the stages that have run for more than
// FirstDelay at now, as Spark does: "\r", the line, "\r", so that a log line
// printed meanwhile overwrites the bar instead of following it. It writes nothing when
// no stage is old enough, when the line has not changed, or when the last
// draw was less than UpdatePeriod ago.
func (b *Bar) Update(now time.Time, stages []StageStatus) {
	shown := make([]StageStatus, 0, len(stages))
	for _, s := range stages {
		if now.Sub(s.Started) > FirstDelay {
			shown = append(shown, s)
		}
	}
	if len(shown) == 0 {
		return
	}
	line := Render(shown, b.width)
	b.mu.Lock()
	defer b.mu.Unlock()
	if line == b.last || (b.last != "" && now.Sub(b.lastWrite) < UpdatePeriod) {
		return
	}
	_, _ = io.WriteString(b.w, "\r"+line+"\r")
	b.last, b.lastWrite = line, now
}

// Finish clears the line, if one was drawn, with "\r", width spaces and
// "\r"; the next Update draws afresh.
func (b *Bar) Finish() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.last == "" {
		return
	}
	_, _ = io.WriteString(b.w, "\r"+strings.Repeat(" ", b.width)+"\r")
	b.last = ""
}

// IsTerminal reports whether f is a terminal, where the bar belongs.
func IsTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }
