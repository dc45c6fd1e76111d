package history

import (
	"cmp"
	"container/list"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/gospark/gospark/internal/eventlog"
	"github.com/gospark/gospark/internal/events"
	"github.com/gospark/gospark/internal/status"
	"github.com/gospark/gospark/internal/ui"
)

// Options configure a Provider.
type Options struct {
	// LogDir is the directory of event logs.
	LogDir string
	// UpdateInterval is how often Run scans LogDir (10s when zero).
	UpdateInterval time.Duration
	// Retained is how many applications' replayed stores are kept (50 when
	// zero).
	Retained int
	// Store are the limits of each replayed store (spark.ui.retained*).
	Store status.Options
	// Log receives what goes wrong with single logs; slog.Default when nil.
	Log *slog.Logger
}

// Provider lists the applications of a directory of event logs and replays
// one when asked: it is the history server's ui.Apps. It is safe for
// concurrent use.
type Provider struct {
	o   Options
	log *slog.Logger

	mu      sync.Mutex
	logs    map[string]*logEntry // by log path
	apps    map[string]*logEntry // by application id
	loading map[string]*sync.Mutex
	lru     *list.List // of *cached, most recently used first
	cache   map[string]*list.Element
}

// logEntry is what a scan learnt from one log.
type logEntry struct {
	info   eventlog.Info // as listed (Stat), to tell when the log changed
	app    status.ApplicationInfo
	listed bool // the log names its application
	failed bool // reading it failed (said once per change)
}

// cached is one application's replayed store.
type cached struct {
	id    string
	info  eventlog.Info // the log as it was when replayed
	store *status.Store
}

// NewProvider returns a provider of o.LogDir's applications; call Scan or
// Run to fill its listing.
func NewProvider(o Options) *Provider {
	if o.UpdateInterval <= 0 {
		o.UpdateInterval = 10 * time.Second
	}
	if o.Retained <= 0 {
		o.Retained = 50
	}
	log := o.Log
	if log == nil {
		log = slog.Default()
	}
	return &Provider{
		o:       o,
		log:     log,
		logs:    map[string]*logEntry{},
		apps:    map[string]*logEntry{},
		loading: map[string]*sync.Mutex{},
		lru:     list.New(),
		cache:   map[string]*list.Element{},
	}
}

// Run scans the directory at once and then every update interval until
// ctx ends.
func (p *Provider) Run(ctx context.Context) {
	t := time.NewTicker(p.o.UpdateInterval)
	defer t.Stop()
	for {
		if err := p.Scan(ctx); err != nil && ctx.Err() == nil {
			p.log.Warn("history: cannot list the event log directory", "dir", p.o.LogDir, "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Scan updates the listing from the directory: new and changed logs are
// read, logs that are gone are dropped.
func (p *Provider) Scan(ctx context.Context) error {
	infos, err := eventlog.List(p.o.LogDir)
	if err != nil {
		return err
	}
	p.mu.Lock()
	old := p.logs
	p.mu.Unlock()

	logs := make(map[string]*logEntry, len(infos))
	for _, info := range infos {
		if err := ctx.Err(); err != nil {
			return err
		}
		if e := old[info.Path]; e != nil && sameLog(e.info, info) {
			logs[info.Path] = e
			continue
		}
		logs[info.Path] = p.readListing(ctx, info, old[info.Path])
	}

	apps := map[string]*logEntry{}
	for _, e := range logs {
		if !e.listed {
			continue
		}
		// Two logs of one application id (attempts, or a copy): the one
		// written last wins.
		if cur := apps[e.app.ID]; cur == nil || e.info.LastModified.After(cur.info.LastModified) {
			apps[e.app.ID] = e
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.logs, p.apps = logs, apps
	for id, el := range p.cache {
		if apps[id] == nil {
			p.lru.Remove(el)
			delete(p.cache, id)
		}
	}
	for id := range p.loading {
		if apps[id] == nil {
			delete(p.loading, id)
		}
	}
	return nil
}

// sameLog reports whether a log is unchanged since it was described as a.
func sameLog(a, b eventlog.Info) bool {
	return a.Size == b.Size && a.LastModified.Equal(b.LastModified) && a.Completed == b.Completed
}

// listingEvents are the events the listing reads.
func listingEvents(name string) bool {
	switch name {
	case events.NameLogStart, events.NameApplicationStart, events.NameApplicationEnd:
		return true
	}
	return false
}

// readListing reads what the listing shows of one log. A log that cannot
// be read is reported once (until it changes) and left out.
func (p *Provider) readListing(ctx context.Context, info eventlog.Info, prev *logEntry) *logEntry {
	var l appListing
	_, err := eventlog.ReplayFiltered(ctx, info.Path, listingEvents, &l)
	e := &logEntry{info: info}
	if err != nil {
		if ctx.Err() == nil && (prev == nil || !prev.failed) {
			p.log.Warn("history: cannot read an event log", "path", info.Path, "err", err)
		}
		e.failed = true
		return e
	}
	if l.start == nil || l.start.AppID == "" {
		return e // not started yet, or not an application's log
	}
	e.app, e.listed = l.info(info), true
	return e
}

// appListing collects the events a listing shows, as Spark's
// AppListingListener does.
type appListing struct {
	version string
	start   *events.ApplicationStart
	end     *events.ApplicationEnd
}

func (l *appListing) OnEvent(e events.Event) {
	switch e := e.(type) {
	case *events.LogStart:
		l.version = e.SparkVersion
	case *events.ApplicationStart:
		l.start = e
	case *events.ApplicationEnd:
		l.end = e
	}
}

// info is the application as the REST API lists it. Until it ends, its end
// time is -1 and its duration 0 (Spark's MutableAttemptInfo); its last
// update is when the log last changed.
func (l *appListing) info(log eventlog.Info) status.ApplicationInfo {
	a := status.ApplicationAttemptInfo{
		AttemptID:       l.start.AppAttemptID,
		StartTime:       status.Date(l.start.Timestamp),
		EndTime:         -1,
		LastUpdated:     status.Date(log.LastModified.UnixMilli()),
		SparkUser:       l.start.User,
		AppSparkVersion: l.version,
	}
	if l.end != nil {
		a.EndTime = status.Date(l.end.Timestamp)
		a.Duration = l.end.Timestamp - l.start.Timestamp
		a.Completed = true
	}
	a.StartTimeEpoch, a.EndTimeEpoch, a.LastUpdatedEpoch = int64(a.StartTime), int64(a.EndTime), int64(a.LastUpdated)
	return status.ApplicationInfo{ID: l.start.AppID, Name: l.start.AppName, Attempts: []status.ApplicationAttemptInfo{a}}
}

// Applications lists the applications, most recently ended first and the
// running ones after them, as Spark's history server orders them.
func (p *Provider) Applications() []status.ApplicationInfo {
	p.mu.Lock()
	out := make([]status.ApplicationInfo, 0, len(p.apps))
	for _, e := range p.apps {
		out = append(out, e.app)
	}
	p.mu.Unlock()
	slices.SortFunc(out, func(a, b status.ApplicationInfo) int {
		x, y := a.Attempt(), b.Attempt()
		return cmp.Or(cmp.Compare(y.EndTime, x.EndTime), cmp.Compare(y.StartTime, x.StartTime), cmp.Compare(a.ID, b.ID))
	})
	return out
}

// Store returns the state of application id, replayed from its log, or
// from the cache when the log has not changed since. An application no log
// holds is an error wrapping ui.ErrNotFound.
func (p *Provider) Store(ctx context.Context, id string) (*status.Store, error) {
	p.mu.Lock()
	e := p.apps[id]
	if e == nil {
		p.mu.Unlock()
		return nil, fmt.Errorf("application %s: %w", id, ui.ErrNotFound)
	}
	path := e.info.Path
	load := p.loading[id]
	if load == nil {
		load = &sync.Mutex{}
		p.loading[id] = load
	}
	p.mu.Unlock()

	// One replay of an application at a time; others wait for its result.
	load.Lock()
	defer load.Unlock()
	now, err := eventlog.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("application %s: %w: %w", id, ui.ErrNotFound, err)
	}
	if s := p.cached(id, now); s != nil {
		return s, nil
	}
	o := p.o.Store
	if !now.Completed {
		// Tasks still running are measured up to the log's last change.
		last := now.LastModified
		o.Now = func() time.Time { return last }
	}
	store := status.New(o)
	if _, err := eventlog.Replay(ctx, path, store); err != nil {
		return nil, fmt.Errorf("application %s: %w", id, err)
	}
	p.keep(&cached{id: id, info: now, store: store})
	return store, nil
}

// cached returns the kept store of id if its log is still as it was.
func (p *Provider) cached(id string, now eventlog.Info) *status.Store {
	p.mu.Lock()
	defer p.mu.Unlock()
	el := p.cache[id]
	if el == nil {
		return nil
	}
	c := el.Value.(*cached)
	if c.info.Path != now.Path || !sameLog(c.info, now) {
		p.lru.Remove(el)
		delete(p.cache, id)
		return nil
	}
	p.lru.MoveToFront(el)
	return c.store
}

// keep caches c, forgetting the least recently used stores beyond
// Retained.
func (p *Provider) keep(c *cached) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if el := p.cache[c.id]; el != nil {
		p.lru.Remove(el)
	}
	p.cache[c.id] = p.lru.PushFront(c)
	for p.lru.Len() > p.o.Retained {
		old := p.lru.Remove(p.lru.Back()).(*cached)
		delete(p.cache, old.id)
	}
}
