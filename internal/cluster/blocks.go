package cluster

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/gospark/gospark/internal/rpc"
	"github.com/gospark/gospark/internal/shuffle"
	"github.com/gospark/gospark/internal/storage"
	"github.com/gospark/gospark/internal/task"
)

// Frame kinds of the block protocol.
const (
	frameShuffleReq = 'S'
	frameBlockReq   = 'B'
	frameData       = 'D'
	frameError      = 'E'
)

// serveBlocks answers block requests on one authenticated connection:
// each request names a map output (its data and index files, which must
// be this executor's) and a reduce partition; the answer is that
// partition's bytes.
//
// A leaving executor (leaving set) refuses blocks that others hand over:
// they would leave with it; the sender picks another peer.
func serveBlocks(c net.Conn, env *task.Env, leaving *atomic.Bool, log *slog.Logger) {
	defer c.Close()
	r := bufio.NewReaderSize(c, 16<<10)
	w := bufio.NewWriterSize(c, 256<<10)
	dir := shuffle.Dir(env.LocalDir)
	var buf []byte
	for {
		kind, req, err := rpc.ReadFrame(r, buf)
		if err != nil {
			return
		}
		buf = req
		var answer func() error
		switch kind {
		case frameShuffleReq:
			answer = func() error { return answerShuffle(w, dir, req) }
		case frameBlockReq:
			answer = func() error { return answerBlock(w, env.Blocks, req) }
		case frameShufflePut, frameBlockPut:
			put := acceptOutput
			if kind == frameBlockPut {
				put = acceptBlock
			}
			answer = func() error {
				if leaving != nil && leaving.Load() {
					return errLeaving
				}
				return put(w, env, req)
			}
		default:
			log.Warn("block server: unknown request", "kind", kind, "remote", c.RemoteAddr().String())
			return
		}
		if err := answer(); err != nil {
			if errors.Is(err, errHalfSent) {
				log.Warn("block server", "error", err)
				return
			}
			if werr := rpc.WriteFrame(w, frameError, []byte(err.Error())); werr != nil {
				return
			}
		}
		if err := w.Flush(); err != nil {
			return
		}
	}
}

func answerShuffle(w io.Writer, dir string, req []byte) error {
	reduce, dataFile, indexFile, err := decodeShuffleReq(req)
	if err != nil {
		return err
	}
	for _, f := range []string{dataFile, indexFile} {
		if rel, err := filepath.Rel(dir, f); err != nil || strings.HasPrefix(rel, "..") || filepath.IsAbs(rel) {
			return fmt.Errorf("%s is not a shuffle file of this executor", f)
		}
	}
	st := &shuffle.MapStatus{DataFile: dataFile, IndexFile: indexFile}
	rc, err := shuffle.LocalFetcher{}.Open(context.Background(), st, reduce)
	if err != nil {
		return err
	}
	defer rc.Close()
	sr, ok := rc.(interface{ Size() int64 })
	if !ok {
		return errors.New("block server: unsized block")
	}
	if err := rpc.WriteFrameHeader(w, frameData, sr.Size()); err != nil {
		return err
	}
	n, err := io.Copy(w, rc)
	if err == nil && n != sr.Size() {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		return fmt.Errorf("%w: %w", errHalfSent, err)
	}
	return nil
}

// answerBlock sends a cached partition in the block store's disk format.
func answerBlock(w io.Writer, blocks *storage.Manager, req []byte) error {
	ds, n := binary.Varint(req)
	part, m := binary.Uvarint(req[max(n, 0):])
	if n <= 0 || m <= 0 {
		return errors.New("block server: malformed block request")
	}
	id := storage.BlockID{Dataset: ds, Partition: int(part)}
	data, _, err := blockBytes(blocks, id)
	if err != nil {
		return err
	}
	return rpc.WriteFrame(w, frameData, data)
}

// blockBytes is a cached partition in the block store's disk format, and
// its record count.
func blockBytes(blocks *storage.Manager, id storage.BlockID) ([]byte, int64, error) {
	if blocks == nil {
		return nil, 0, fmt.Errorf("no block %s", id)
	}
	b, ok := blocks.Get(id)
	if !ok {
		return nil, 0, fmt.Errorf("no block %s", id)
	}
	switch {
	case b.Path != "":
		data, err := os.ReadFile(b.Path)
		return data, b.Count, err
	case b.Encode != nil:
		var buf bytes.Buffer
		err := b.Encode(&buf)
		return buf.Bytes(), b.Count, err
	}
	return nil, 0, fmt.Errorf("block %s cannot be encoded", id)
}

// errHalfSent is a failure after the answer's header went out: the
// connection must end so that the client sees it.
var errHalfSent = errors.New("block server: block cut short")

func encodeShuffleReq(reduce int, dataFile, indexFile string) []byte {
	b := binary.AppendUvarint(nil, uint64(reduce))
	b = binary.AppendUvarint(b, uint64(len(dataFile)))
	b = append(b, dataFile...)
	b = binary.AppendUvarint(b, uint64(len(indexFile)))
	return append(b, indexFile...)
}

func decodeShuffleReq(b []byte) (reduce int, dataFile, indexFile string, err error) {
	bad := errors.New("block server: malformed request")
	r, n := binary.Uvarint(b)
	if n <= 0 {
		return 0, "", "", bad
	}
	b = b[n:]
	str := func() (string, bool) {
		l, n := binary.Uvarint(b)
		if n <= 0 || uint64(len(b)-n) < l {
			return "", false
		}
		s := string(b[n : n+int(l)])
		b = b[n+int(l):]
		return s, true
	}
	d, ok1 := str()
	i, ok2 := str()
	if !ok1 || !ok2 {
		return 0, "", "", bad
	}
	return int(r), d, i, nil
}

// Fetcher reads map output: this executor's own from its disk, other
// executors' from their block servers, over pooled connections.
type Fetcher struct {
	self        string
	sec         *rpc.Security
	maxInFlight int64
	service     ServiceFetcher // map output an external shuffle service serves

	mu   sync.Mutex
	idle map[string][]net.Conn
}

// NewFetcher returns a fetcher for executor self.
func NewFetcher(self string, sec *rpc.Security, maxInFlight int64) *Fetcher {
	return &Fetcher{self: self, sec: sec, maxInFlight: maxInFlight, idle: make(map[string][]net.Conn)}
}

// IsRemote implements shuffle.RemoteFetcher.
func (f *Fetcher) IsRemote(st *shuffle.MapStatus) bool { return st.ExecutorID != f.self }

// MaxInFlight implements shuffle.RemoteFetcher.
func (f *Fetcher) MaxInFlight() int64 { return f.maxInFlight }

// Open implements shuffle.Fetcher.
func (f *Fetcher) Open(ctx context.Context, st *shuffle.MapStatus, reduce int) (io.ReadCloser, error) {
	if !f.IsRemote(st) {
		return shuffle.LocalFetcher{}.Open(ctx, st, reduce)
	}
	var b []byte
	var err error
	if st.Service {
		if f.service == nil {
			return nil, fmt.Errorf("map output of executor %s is served by the shuffle service at %s, and this executor has no client for it", st.ExecutorID, st.Addr)
		}
		base := strings.TrimSuffix(filepath.Base(st.DataFile), ".data")
		b, err = f.service.Fetch(ctx, st.Addr, st.ExecutorID, base, reduce)
	} else {
		b, err = f.fetch(ctx, st, reduce)
	}
	if err != nil {
		return nil, err
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

func (f *Fetcher) fetch(ctx context.Context, st *shuffle.MapStatus, reduce int) ([]byte, error) {
	if st.Addr == "" {
		return nil, fmt.Errorf("executor %s has no block server address", st.ExecutorID)
	}
	c, err := f.get(st.Addr)
	if err != nil {
		return nil, err
	}
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	if err := rpc.WriteFrame(c, frameShuffleReq, encodeShuffleReq(reduce, st.DataFile, st.IndexFile)); err != nil {
		c.Close()
		return nil, fmt.Errorf("requesting from %s: %w", st.Addr, err)
	}
	kind, payload, err := rpc.ReadFrame(c, nil)
	if err != nil {
		c.Close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("fetching from %s: %w", st.Addr, err)
	}
	if stop() {
		f.release(st.Addr, c)
	}
	if kind == frameError {
		return nil, fmt.Errorf("executor %s: %s", st.ExecutorID, payload)
	}
	return payload, nil
}

// fetchBlock fetches a cached partition from the block server at addr.
func (f *Fetcher) fetchBlock(ctx context.Context, addr string, id storage.BlockID) ([]byte, error) {
	c, err := f.get(addr)
	if err != nil {
		return nil, err
	}
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	req := binary.AppendVarint(nil, id.Dataset)
	req = binary.AppendUvarint(req, uint64(id.Partition))
	if err := rpc.WriteFrame(c, frameBlockReq, req); err != nil {
		c.Close()
		return nil, fmt.Errorf("requesting %s from %s: %w", id, addr, err)
	}
	kind, payload, err := rpc.ReadFrame(c, nil)
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("fetching %s from %s: %w", id, addr, err)
	}
	if stop() {
		f.release(addr, c)
	}
	if kind == frameError {
		return nil, fmt.Errorf("%s from %s: %s", id, addr, payload)
	}
	return payload, nil
}

func (f *Fetcher) get(addr string) (net.Conn, error) {
	f.mu.Lock()
	if cs := f.idle[addr]; len(cs) > 0 {
		c := cs[len(cs)-1]
		f.idle[addr] = cs[:len(cs)-1]
		f.mu.Unlock()
		return c, nil
	}
	f.mu.Unlock()
	c, err := f.sec.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	return rpc.Buffered(c), nil
}

func (f *Fetcher) release(addr string, c net.Conn) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.idle[addr]) >= 8 {
		c.Close()
		return
	}
	f.idle[addr] = append(f.idle[addr], c)
}

// Close closes the pooled connections.
func (f *Fetcher) Close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, cs := range f.idle {
		for _, c := range cs {
			c.Close()
		}
	}
	f.idle = nil
}
