package shuffle

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/gospark/gospark/internal/codec"
	"github.com/gospark/gospark/internal/compress"
)

// BatchSize is the number of records a reader hands on at once.
const BatchSize = 1024

// ReadMetrics is what Read measured, for its task's metrics (Spark's
// ShuffleReadMetrics). A block is one map output's segment for the reduce
// partition; its bytes are counted as stored (compressed). Local blocks
// are those the Fetcher reads from this executor's disk, remote ones those
// a RemoteFetcher fetched from elsewhere. FetchWait is the time Read was
// blocked waiting for remote blocks.
type ReadMetrics struct {
	LocalBlocks, RemoteBlocks int64
	LocalBytes, RemoteBytes   int64
	Records                   int64
	FetchWait                 time.Duration
}

// Read streams reduce partition reduce of every map output in statuses into
// sink, in map order, in batches of up to BatchSize records. The batch passed
// to sink is reused after sink returns. An output that cannot be opened or
// decoded fails with a *FetchFailedError naming it; an error from sink is
// returned as is. When m is not nil, Read adds what it read to it (also
// when it fails part way).
func Read[T any](ctx context.Context, statuses []*MapStatus, reduce int, opts *Options, f Fetcher,
	dec codec.Codec[T], m *ReadMetrics, sink func([]T) error) error {
	if m == nil {
		m = new(ReadMetrics)
	}
	batch := make([]T, BatchSize)
	n := 0
	open := func(i int) (io.ReadCloser, error) { return f.Open(ctx, statuses[i], reduce) }
	isRemote := func(*MapStatus) bool { return false }
	if rf, ok := f.(RemoteFetcher); ok {
		pf := startPrefetch(ctx, rf, statuses, reduce)
		defer pf.stop()
		open = pf.open
		isRemote = rf.IsRemote
	}
	// Records are counted per batch handed to sink.
	emit := func(b []T) error {
		m.Records += int64(len(b))
		return sink(b)
	}
	for i, st := range statuses {
		if err := ctx.Err(); err != nil {
			return err
		}
		if reduce < len(st.Sizes) && st.Sizes[reduce] == 0 {
			continue
		}
		fail := func(err error) error {
			return &FetchFailedError{ShuffleID: st.ShuffleID, MapIndex: st.MapIndex, ExecutorID: st.ExecutorID, Reduce: reduce,
				Addr: st.Addr, Service: st.Service, Err: err}
		}
		remote := isRemote(st)
		var waitStart time.Time
		if remote {
			waitStart = time.Now()
		}
		rc, err := open(i)
		if remote {
			m.FetchWait += time.Since(waitStart)
		}
		if err != nil {
			return fail(err)
		}
		cr := &countingReader{r: rc}
		br := compress.NewBlockReader(cr, opts.codec())
		for {
			block, err := br.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				rc.Close()
				return fail(err)
			}
			for len(block) > 0 {
				c, err := dec.Decode(block, &batch[n])
				if err != nil {
					rc.Close()
					return fail(fmt.Errorf("decode record: %w", err))
				}
				block = block[c:]
				n++
				if n == len(batch) {
					if err := emit(batch); err != nil {
						m.addBlock(remote, cr.n)
						rc.Close()
						return err
					}
					clear(batch)
					n = 0
				}
			}
		}
		m.addBlock(remote, cr.n)
		if err := rc.Close(); err != nil {
			return fail(err)
		}
	}
	if n > 0 {
		return emit(batch[:n])
	}
	return nil
}

func (m *ReadMetrics) addBlock(remote bool, bytes int64) {
	if remote {
		m.RemoteBlocks++
		m.RemoteBytes += bytes
	} else {
		m.LocalBlocks++
		m.LocalBytes += bytes
	}
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// prefetch fetches the remote blocks of a reduce partition ahead of the
// reader, several at a time, while the fetched but unread bytes stay under
// the fetcher's MaxInFlight (a block larger than that is fetched alone).
type prefetch struct {
	ctx      context.Context
	cancel   context.CancelFunc
	f        RemoteFetcher
	statuses []*MapStatus
	reduce   int
	slots    []chan fetched
	limit    int64

	mu       sync.Mutex
	cond     *sync.Cond
	inflight int64
	wg       sync.WaitGroup
}

type fetched struct {
	rc   io.ReadCloser
	size int64
	err  error
}

// fetchConcurrency is how many block requests a reducer has out at once.
const fetchConcurrency = 5

func startPrefetch(ctx context.Context, f RemoteFetcher, statuses []*MapStatus, reduce int) *prefetch {
	ctx, cancel := context.WithCancel(ctx)
	p := &prefetch{ctx: ctx, cancel: cancel, f: f, statuses: statuses, reduce: reduce,
		slots: make([]chan fetched, len(statuses)), limit: f.MaxInFlight()}
	if p.limit <= 0 {
		p.limit = 48 << 20
	}
	p.cond = sync.NewCond(&p.mu)
	var todo []int
	for i, st := range statuses {
		if f.IsRemote(st) && (reduce >= len(st.Sizes) || st.Sizes[reduce] > 0) {
			p.slots[i] = make(chan fetched, 1)
			todo = append(todo, i)
		}
	}
	stopWake := context.AfterFunc(ctx, func() {
		p.mu.Lock()
		p.cond.Broadcast()
		p.mu.Unlock()
	})
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		defer stopWake()
		sem := make(chan struct{}, fetchConcurrency)
		for _, i := range todo {
			size := int64(0)
			if reduce < len(statuses[i].Sizes) {
				size = statuses[i].Sizes[reduce]
			}
			size = min(size, p.limit)
			p.mu.Lock()
			for p.inflight > 0 && p.inflight+size > p.limit && ctx.Err() == nil {
				p.cond.Wait()
			}
			p.inflight += size
			p.mu.Unlock()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
			}
			if ctx.Err() != nil {
				p.slots[i] <- fetched{size: size, err: ctx.Err()}
				continue
			}
			p.wg.Add(1)
			go func(i int) {
				defer p.wg.Done()
				rc, err := f.Open(ctx, statuses[i], reduce)
				<-sem
				p.slots[i] <- fetched{rc: rc, size: size, err: err}
			}(i)
		}
	}()
	return p
}

func (p *prefetch) release(n int64) {
	p.mu.Lock()
	p.inflight -= n
	p.cond.Broadcast()
	p.mu.Unlock()
}

// open returns map output i: fetched ahead when remote, opened now when not.
func (p *prefetch) open(i int) (io.ReadCloser, error) {
	if p.slots[i] == nil {
		return p.f.Open(p.ctx, p.statuses[i], p.reduce)
	}
	r := <-p.slots[i]
	p.slots[i] = nil
	if r.err != nil {
		p.release(r.size)
		return nil, r.err
	}
	return &releasing{ReadCloser: r.rc, release: func() { p.release(r.size) }}, nil
}

// stop cancels the fetches still out and releases what they hold.
func (p *prefetch) stop() {
	p.cancel()
	p.wg.Wait()
	for _, ch := range p.slots {
		if ch == nil {
			continue
		}
		select {
		case r := <-ch:
			if r.rc != nil {
				r.rc.Close()
			}
		default:
		}
	}
}

type releasing struct {
	io.ReadCloser
	release func()
	once    sync.Once
}

func (r *releasing) Close() error {
	r.once.Do(r.release)
	return r.ReadCloser.Close()
}
