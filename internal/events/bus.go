package events

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Listener receives events in the order they were posted, on its own
// goroutine.
type Listener interface {
	OnEvent(Event)
}

// ListenerFunc adapts a function to a Listener.
type ListenerFunc func(Event)

// OnEvent calls f.
func (f ListenerFunc) OnEvent(e Event) { f(e) }

// Bus delivers posted events to every listener asynchronously, each through
// its own bounded queue (Spark's LiveListenerBus with one queue per
// listener: a slow event log does not hold back the UI). Post never blocks:
// when a queue is full the event is dropped for that listener, counted, and
// a warning names the queue, as Spark does with
// spark.scheduler.listenerbus.eventqueue.capacity.
type Bus struct {
	capacity int
	log      *slog.Logger

	mu      sync.Mutex
	queues  []*queue
	stopped bool
}

type queue struct {
	name string
	l    Listener
	ch   chan Event
	done chan struct{}

	mu         sync.Mutex
	posted     int64
	handled    int64
	dropped    int64
	lastWarned time.Time
	cond       *sync.Cond
}

// NewBus returns a bus whose queues hold capacity events each.
func NewBus(capacity int, log *slog.Logger) *Bus {
	if capacity < 1 {
		capacity = 10000
	}
	if log == nil {
		log = slog.Default()
	}
	return &Bus{capacity: capacity, log: log}
}

// AddListener starts delivering events posted from now on to l.
func (b *Bus) AddListener(name string, l Listener) {
	q := &queue{name: name, l: l, ch: make(chan Event, b.capacity), done: make(chan struct{})}
	q.cond = sync.NewCond(&q.mu)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.stopped {
		return
	}
	b.queues = append(b.queues, q)
	go q.run()
}

func (q *queue) run() {
	defer close(q.done)
	for e := range q.ch {
		q.l.OnEvent(e)
		q.mu.Lock()
		q.handled++
		q.cond.Broadcast()
		q.mu.Unlock()
	}
}

// Post queues e for every listener. It does not block; after Stop it does
// nothing.
func (b *Bus) Post(e Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.stopped {
		return
	}
	for _, q := range b.queues {
		select {
		case q.ch <- e:
			q.mu.Lock()
			q.posted++
			q.mu.Unlock()
		default:
			q.mu.Lock()
			q.dropped++
			n := q.dropped
			warn := time.Since(q.lastWarned) > time.Minute
			if warn {
				q.lastWarned = time.Now()
			}
			q.mu.Unlock()
			if warn {
				b.log.Warn("dropping events from a listener queue that is full; raise spark.scheduler.listenerbus.eventqueue.capacity",
					"queue", q.name, "event", e.Name(), "dropped_so_far", n)
			}
		}
	}
}

// Dropped is how many events the named queue dropped.
func (b *Bus) Dropped(name string) int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, q := range b.queues {
		if q.name == name {
			q.mu.Lock()
			defer q.mu.Unlock()
			return q.dropped
		}
	}
	return 0
}

// Drain waits until every listener has handled the events posted before
// the call, or ctx ends.
func (b *Bus) Drain(ctx context.Context) error {
	b.mu.Lock()
	qs := append([]*queue(nil), b.queues...)
	b.mu.Unlock()
	for _, q := range qs {
		q.mu.Lock()
		want := q.posted
		stop := context.AfterFunc(ctx, func() {
			q.mu.Lock()
			q.cond.Broadcast()
			q.mu.Unlock()
		})
		for q.handled < want && ctx.Err() == nil {
			q.cond.Wait()
		}
		q.mu.Unlock()
		stop()
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	return nil
}

// Stop posts nothing more, lets every listener handle what is queued and
// returns when they have, or when ctx ends. Dropped events are reported.
func (b *Bus) Stop(ctx context.Context) error {
	b.mu.Lock()
	if b.stopped {
		b.mu.Unlock()
		return nil
	}
	b.stopped = true
	qs := b.queues
	for _, q := range qs {
		close(q.ch)
	}
	b.mu.Unlock()
	for _, q := range qs {
		select {
		case <-q.done:
		case <-ctx.Done():
			return ctx.Err()
		}
		if n := q.dropped; n > 0 {
			b.log.Warn("a listener missed events: its queue was full", "queue", q.name, "dropped", n)
		}
	}
	return nil
}
