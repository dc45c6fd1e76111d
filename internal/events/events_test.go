package events

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// A TaskEnd encodes with JsonProtocol's field names and decodes back.
func TestTaskEndJSON(t *testing.T) {
	e := &TaskEnd{StageID: 3, StageAttemptID: 1, TaskType: "ShuffleMapTask",
		TaskEndReason: TaskEndReason{Reason: ReasonSuccess},
		TaskInfo:      TaskInfo{TaskID: 42, Index: 2, PartitionID: 2, LaunchTime: 1000, FinishTime: 1500, ExecutorID: "1", Host: "h", Locality: "PROCESS_LOCAL", Accumulables: []Accumulable{}},
		TaskMetrics: &TaskMetrics{ExecutorRunTime: 500, ShuffleWriteMetrics: ShuffleWriteMetrics{ShuffleBytesWritten: 77, ShuffleRecordsWritten: 9},
			InputMetrics: InputMetrics{RecordsRead: 10}, UpdatedBlocks: []UpdatedBlock{}}}
	b, err := Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	line := string(b)
	for _, want := range []string{`"Event":"SparkListenerTaskEnd"`, `"Stage ID":3`, `"Stage Attempt ID":1`, `"Task Type":"ShuffleMapTask"`,
		`"Task End Reason":{"Reason":"Success"}`, `"Task ID":42`, `"Launch Time":1000`, `"Finish Time":1500`,
		`"Executor Run Time":500`, `"Shuffle Bytes Written":77`, `"Shuffle Records Written":9`, `"Records Read":10`} {
		if !strings.Contains(line, want) {
			t.Errorf("encoding lacks %s:\n%s", want, line)
		}
	}
	back, err := Unmarshal(b)
	if err != nil {
		t.Fatal(err)
	}
	got, ok := back.(*TaskEnd)
	if !ok || got.TaskInfo.TaskID != 42 || got.TaskMetrics.ShuffleWriteMetrics.ShuffleBytesWritten != 77 {
		t.Fatalf("decoded %#v", back)
	}
}

// Spark's own lines decode, and unknown events are reported as such.
func TestUnmarshalSparkLines(t *testing.T) {
	e, err := Unmarshal([]byte(`{"Event":"SparkListenerJobEnd","Job ID":4,"Completion Time":99,"Job Result":{"Result":"JobFailed","Exception":{"Message":"boom","Stack Trace":[]}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if je := e.(*JobEnd); je.JobID != 4 || je.JobResult.Result != JobFailed || je.JobResult.Exception.Message != "boom" {
		t.Errorf("JobEnd decoded as %#v", je)
	}
	if _, err := Unmarshal([]byte(`{"Event":"org.apache.spark.sql.execution.ui.SparkListenerSQLExecutionStart"}`)); !errors.Is(err, ErrUnknown) {
		t.Errorf("unknown event: %v, want ErrUnknown", err)
	}
	if _, err := Unmarshal([]byte(`{"Event":`)); err == nil || errors.Is(err, ErrUnknown) {
		t.Errorf("broken line: %v, want a syntax error", err)
	}
}

type slow struct {
	mu      sync.Mutex
	got     []int
	entered chan struct{} // receives once the listener holds its first event
	gate    chan struct{}
}

func (s *slow) OnEvent(e Event) {
	if s.gate != nil {
		select {
		case s.entered <- struct{}{}:
		default:
		}
		<-s.gate
	}
	s.mu.Lock()
	s.got = append(s.got, e.(*JobStart).JobID)
	s.mu.Unlock()
}

// Each listener gets the events in order; a full queue drops events for
// that listener only, and counts them.
func TestBusOrderAndDrops(t *testing.T) {
	b := NewBus(4, slog.New(slog.NewTextHandler(io.Discard, nil)))
	fast := &slow{}
	stuck := &slow{gate: make(chan struct{}), entered: make(chan struct{}, 1)}
	b.AddListener("fast", fast)
	b.AddListener("stuck", stuck)
	for i := range 20 {
		b.Post(&JobStart{JobID: i})
		if i == 0 {
			<-stuck.entered // it holds event 0: its queue is empty again
		}
		if i < 19 {
			// Let the fast listener keep up so that only the stuck one drops.
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			for {
				fast.mu.Lock()
				n := len(fast.got)
				fast.mu.Unlock()
				if n == i+1 || ctx.Err() != nil {
					break
				}
				time.Sleep(time.Millisecond)
			}
			cancel()
		}
	}
	if d := b.Dropped("fast"); d != 0 {
		t.Errorf("fast listener dropped %d events", d)
	}
	// The stuck listener holds one event and its queue four: 15 dropped.
	if d := b.Dropped("stuck"); d != 15 {
		t.Errorf("stuck listener dropped %d events, want 15", d)
	}
	close(stuck.gate)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := b.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	for i, id := range fast.got {
		if id != i {
			t.Fatalf("fast listener got %v, want 0..19 in order", fast.got)
		}
	}
	if len(fast.got) != 20 || len(stuck.got) != 5 || stuck.got[0] != 0 {
		t.Errorf("fast got %d events, stuck got %v", len(fast.got), stuck.got)
	}
	b.Post(&JobStart{JobID: 99}) // after Stop: ignored, no panic
}
