package cluster

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gospark/gospark/internal/rpc"
	"github.com/gospark/gospark/internal/shuffle"
	"github.com/gospark/gospark/internal/storage"
	"github.com/gospark/gospark/internal/task"
)

// Frame kinds of block migration: a leaving executor puts a map output
// (its data and index files) or a cached partition on a peer.
const (
	frameShufflePut = 'P'
	frameBlockPut   = 'C'
)

// errLeaving refuses blocks handed to an executor that is leaving too.
var errLeaving = errors.New("block server: this executor is decommissioning; hand the blocks to another")

// outputName is the base name of a map output's files:
// shuffle_<shuffle>_<map>_<task>.
var outputName = regexp.MustCompile(`^shuffle_([0-9]+)_([0-9]+)_([0-9]+)$`)

// decommission is what an executor told to leave does with
// spark.decommission.enabled: it tells the driver (no more tasks), lets
// its running tasks finish, hands its map outputs and cached blocks to
// peers, and says where they went. Past the force-kill timeout it gives up
// on what is left.
func (x *Executor) decommission(ctx context.Context) {
	opts := x.opts
	if opts.Decommission.ForceKill > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, opts.Decommission.ForceKill)
		defer cancel()
	}
	opts.Log.Info("decommissioning: no more tasks; waiting for the running ones")
	x.leaving.Store(true)
	if err := x.conn.Send(&message{Kind: msgDecommissioning, ExecutorID: opts.ID, Reason: "SIGTERM"}); err != nil {
		opts.Log.Warn("telling the driver the executor is leaving", "error", err)
		return
	}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		x.mu.Lock()
		n := len(x.tasks)
		x.mu.Unlock()
		if n == 0 {
			break
		}
		select {
		case <-ctx.Done():
			opts.Log.Warn("decommissioning: tasks still running at spark.executor.decommission.forceKillTimeout; leaving anyway", "tasks", n)
			return
		case <-tick.C:
		}
	}
	var moves []Move
	var blocks []MovedBlock
	if opts.Decommission.Shuffle || opts.Decommission.RDD {
		moves, blocks = x.migrate(ctx)
	}
	if err := x.conn.Send(&message{Kind: msgMigrated, ExecutorID: opts.ID, Moves: moves, Blocks: blocks}); err != nil {
		opts.Log.Warn("telling the driver where the blocks went", "error", err)
	}
}

// migrate hands the executor's map outputs and cached blocks to peers,
// round robin, and returns where each went.
func (x *Executor) migrate(ctx context.Context) ([]Move, []MovedBlock) {
	log := x.opts.Log
	r, err := x.request(ctx, &message{PeersReq: true})
	if err != nil || len(r.Peers) == 0 {
		log.Warn("decommissioning: no executor to take the blocks; they leave with this one", "error", err)
		return nil, nil
	}
	peers := r.Peers
	next := 0
	// each tries the peers in turn, starting with the next one, until one
	// takes the block (a peer that is leaving too refuses it).
	each := func(put func(Peer) error) (Peer, error) {
		var errs []error
		for range peers {
			p := peers[next%len(peers)]
			next++
			err := put(p)
			if err == nil {
				return p, nil
			}
			errs = append(errs, fmt.Errorf("executor %s: %w", p.ID, err))
			if ctx.Err() != nil {
				break
			}
		}
		return Peer{}, errors.Join(errs...)
	}
	var moves []Move
	var blocks []MovedBlock
	var shuffleBytes, blockBytes int64
	start := time.Now()
	if x.opts.Decommission.Shuffle {
		for _, base := range committedOutputs(shuffle.Dir(x.env.LocalDir)) {
			if ctx.Err() != nil {
				break
			}
			var mv Move
			_, err := each(func(p Peer) error {
				var err error
				mv, err = x.moveOutput(ctx, base, p)
				return err
			})
			if err != nil {
				log.Warn("decommissioning: handing a map output to a peer", "output", base, "error", err)
				continue
			}
			moves = append(moves, mv)
			shuffleBytes += mv.Bytes
		}
	}
	if x.opts.Decommission.RDD && x.env.Blocks != nil {
		for _, id := range x.env.Blocks.List() {
			if ctx.Err() != nil {
				break
			}
			var n int64
			peer, err := each(func(p Peer) error {
				var err error
				n, err = x.moveBlock(ctx, id, p)
				return err
			})
			if err != nil {
				log.Warn("decommissioning: handing a cached block to a peer", "block", id.String(), "error", err)
				continue
			}
			blocks = append(blocks, MovedBlock{Block: id, To: peer.ID, Bytes: n})
			blockBytes += n
		}
	}
	log.Info("decommissioning: blocks handed to peers", "shuffleOutputs", len(moves), "shuffleBytes", shuffleBytes,
		"cachedBlocks", len(blocks), "cachedBytes", blockBytes, "peers", len(peers), "took", time.Since(start).Round(time.Millisecond))
	return moves, blocks
}

// committedOutputs lists the base names of the complete map outputs in
// dir (both files renamed into place), in name order.
func committedOutputs(dir string) []string {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	have := make(map[string]bool)
	for _, e := range ents {
		have[e.Name()] = true
	}
	var out []string
	for name := range have {
		base, ok := strings.CutSuffix(name, ".index")
		if ok && outputName.MatchString(base) && have[base+".data"] {
			out = append(out, base)
		}
	}
	sort.Strings(out)
	return out
}

func (x *Executor) moveOutput(ctx context.Context, base string, peer Peer) (Move, error) {
	dir := shuffle.Dir(x.env.LocalDir)
	index, err := os.ReadFile(filepath.Join(dir, base+".index"))
	if err != nil {
		return Move{}, err
	}
	data, err := os.ReadFile(filepath.Join(dir, base+".data"))
	if err != nil {
		return Move{}, err
	}
	req := binary.AppendUvarint(nil, uint64(len(base)))
	req = append(req, base...)
	req = binary.AppendUvarint(req, uint64(len(index)))
	req = append(req, index...)
	req = append(req, data...)
	answer, err := x.fetcher.put(ctx, peer.BlockAddr, frameShufflePut, req)
	if err != nil {
		return Move{}, err
	}
	dataFile, rest, ok1 := readString(answer)
	indexFile, _, ok2 := readString(rest)
	if !ok1 || !ok2 {
		return Move{}, errors.New("malformed answer from the peer")
	}
	m := outputName.FindStringSubmatch(base)
	sid, _ := strconv.ParseInt(m[1], 10, 64)
	mi, _ := strconv.Atoi(m[2])
	return Move{ShuffleID: sid, MapIndex: mi, DataBase: base + ".data", To: peer.ID, Addr: peer.BlockAddr,
		DataFile: dataFile, IndexFile: indexFile, Bytes: int64(len(data) + len(index))}, nil
}

func (x *Executor) moveBlock(ctx context.Context, id storage.BlockID, peer Peer) (int64, error) {
	data, count, err := blockBytes(x.env.Blocks, id)
	if err != nil {
		return 0, err
	}
	req := binary.AppendVarint(nil, id.Dataset)
	req = binary.AppendUvarint(req, uint64(id.Partition))
	req = binary.AppendUvarint(req, uint64(count))
	req = append(req, data...)
	if _, err := x.fetcher.put(ctx, peer.BlockAddr, frameBlockPut, req); err != nil {
		return 0, err
	}
	return int64(len(data)), nil
}

func readString(b []byte) (string, []byte, bool) {
	l, n := binary.Uvarint(b)
	if n <= 0 || uint64(len(b)-n) < l {
		return "", nil, false
	}
	return string(b[n : n+int(l)]), b[n+int(l):], true
}

// put sends a migration frame to a peer's block server and returns its
// answer.
func (f *Fetcher) put(ctx context.Context, addr string, kind byte, req []byte) ([]byte, error) {
	c, err := f.get(addr)
	if err != nil {
		return nil, err
	}
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	if err := rpc.WriteFrame(c, kind, req); err != nil {
		c.Close()
		return nil, fmt.Errorf("sending to %s: %w", addr, err)
	}
	k, payload, err := rpc.ReadFrame(c, nil)
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("answer from %s: %w", addr, err)
	}
	if stop() {
		f.release(addr, c)
	}
	if k == frameError {
		return nil, fmt.Errorf("%s: %s", addr, payload)
	}
	return payload, nil
}

// acceptOutput stores a map output a leaving peer hands over, under its
// own name in this executor's shuffle directory, and answers with the
// files' paths.
func acceptOutput(w io.Writer, env *task.Env, req []byte) error {
	base, rest, ok := readString(req)
	if !ok || !outputName.MatchString(base) {
		return errors.New("block server: malformed map output")
	}
	il, n := binary.Uvarint(rest)
	if n <= 0 || uint64(len(rest)-n) < il {
		return errors.New("block server: malformed map output")
	}
	index, data := rest[n:n+int(il)], rest[n+int(il):]
	if len(index)%8 != 0 || len(index) < 16 {
		return errors.New("block server: malformed map output index")
	}
	dir := shuffle.Dir(env.LocalDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	dataPath, indexPath := filepath.Join(dir, base+".data"), filepath.Join(dir, base+".index")
	if err := writeAtomic(dir, dataPath, data); err != nil {
		return err
	}
	if err := writeAtomic(dir, indexPath, index); err != nil {
		return err
	}
	answer := binary.AppendUvarint(nil, uint64(len(dataPath)))
	answer = append(answer, dataPath...)
	answer = binary.AppendUvarint(answer, uint64(len(indexPath)))
	answer = append(answer, indexPath...)
	return rpc.WriteFrame(w, frameData, answer)
}

// acceptBlock stores a cached partition a leaving peer hands over, on
// disk.
func acceptBlock(w io.Writer, env *task.Env, req []byte) error {
	ds, n := binary.Varint(req)
	if n <= 0 {
		return errors.New("block server: malformed block")
	}
	req = req[n:]
	part, n := binary.Uvarint(req)
	if n <= 0 || part > 1<<31 {
		return errors.New("block server: malformed block")
	}
	req = req[n:]
	count, n := binary.Uvarint(req)
	if n <= 0 {
		return errors.New("block server: malformed block")
	}
	data := req[n:]
	if env.Blocks == nil {
		return errors.New("block server: no block store")
	}
	id := storage.BlockID{Dataset: ds, Partition: int(part)}
	if env.Blocks.Contains(id) {
		return rpc.WriteFrame(w, frameData, nil)
	}
	path, err := env.Blocks.DiskPath(id)
	if err != nil {
		return err
	}
	if err := writeAtomic(filepath.Dir(path), path, data); err != nil {
		return err
	}
	env.Blocks.PutDisk(id, path, int64(len(data)), int64(count))
	return rpc.WriteFrame(w, frameData, nil)
}

func writeAtomic(dir, path string, data []byte) error {
	f, err := os.CreateTemp(dir, filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
