package spark

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"unsafe"

	"github.com/gospark/gospark/internal/codec"
	"github.com/gospark/gospark/internal/compress"
	"github.com/gospark/gospark/internal/spill"
	"github.com/gospark/gospark/internal/storage"
	"github.com/gospark/gospark/internal/task"
)

// reserveStep is how much storage memory a partition being cached asks for
// at a time.
const reserveStep = 4 << 20

func runCached[T any](ctx context.Context, d *Dataset[T], tc *task.Context, part int, out func([]T) error) error {
	env := tc.Env
	id := storage.BlockID{Dataset: d.n.id, Partition: part}
	// A cached partition read counts as input, as in Spark: its records and
	// the block's size.
	if b, ok := env.Blocks.Get(id); ok {
		tc.M().InputBytes.Add(b.Size)
		return readBlock(ctx, b, env, countInput(tc.M(), out))
	}
	if env.PeerBlocks != nil {
		// Another executor may hold it (the driver said the partition is
		// cached); recompute when none can send it.
		if data, err := env.PeerBlocks.FetchBlock(ctx, id); err == nil {
			tc.M().InputBytes.Add(int64(len(data)))
			return readEncoded[T](ctx, bytes.NewReader(data), env, countInput(tc.M(), out), id.String())
		}
	}
	level := d.n.level
	enc, encErr := codec.For[T]()
	if level.UseDisk() && encErr != nil {
		return fmt.Errorf("persist %s at %s: %w", d.n.name, level, encErr)
	}
	var size spill.Sizer[T]
	if encErr == nil {
		size = spill.SizerFor(enc)
	} else {
		fixed := int64(unsafe.Sizeof(*new(T)))
		size = func(*T) int64 { return fixed }
	}
	c := &cacher[T]{env: env, id: id, enc: enc, size: size, inMemory: level.UseMemory()}
	if level == storage.DiskOnly {
		if err := c.toDisk(); err != nil {
			return err
		}
	}
	err := d.compute(ctx, tc, part, func(b []T) error {
		if err := c.add(b, level); err != nil {
			return err
		}
		return out(b)
	})
	if err != nil {
		c.abort()
		return err
	}
	return c.commit()
}

// cacher collects a partition while it is computed, in memory while the
// memory manager grants it and then (if the level allows) on disk.
type cacher[T any] struct {
	env      *task.Env
	id       storage.BlockID
	enc      codec.Codec[T]
	size     spill.Sizer[T]
	inMemory bool
	dropped  bool

	kept     []T
	est      int64
	reserved int64
	count    int64

	f    *os.File
	path string
	bufw *bufio.Writer
	fw   frameWriter[T]
}

func (c *cacher[T]) add(b []T, level storage.Level) error {
	c.count += int64(len(b))
	if c.dropped {
		return nil
	}
	if c.inMemory {
		for i := range b {
			c.est += c.size(&b[i])
		}
		for c.est > c.reserved {
			if !c.env.Blocks.Reserve(reserveStep) {
				c.inMemory = false
				break
			}
			c.reserved += reserveStep
		}
		if c.inMemory {
			c.kept = append(c.kept, b...)
			return nil
		}
		// Out of storage memory: move to disk or give up caching.
		kept := c.kept
		c.kept = nil
		c.env.Blocks.Unreserve(c.reserved)
		c.reserved = 0
		if !level.UseDisk() {
			c.dropped = true
			return nil
		}
		if err := c.toDisk(); err != nil {
			return err
		}
		if err := c.write(kept); err != nil {
			return err
		}
	}
	return c.write(b)
}

func (c *cacher[T]) toDisk() error {
	path, err := c.env.Blocks.DiskPath(c.id)
	if err != nil {
		return err
	}
	f, err := os.Create(path + ".tmp")
	if err != nil {
		return fmt.Errorf("cache %s: %w", c.id, err)
	}
	c.f, c.path = f, path
	c.bufw = bufio.NewWriterSize(f, 256<<10)
	c.fw = frameWriter[T]{enc: c.enc, bw: compress.NewBlockWriter(c.bufw, spillCodec(c.env))}
	return nil
}

func spillCodec(env *task.Env) compress.Codec {
	if env.Shuffle != nil && env.Shuffle.SpillCodec != nil {
		return env.Shuffle.SpillCodec
	}
	none, _ := compress.Lookup("none")
	return none
}

func (c *cacher[T]) write(b []T) error {
	if err := c.fw.write(b); err != nil {
		return fmt.Errorf("cache %s: %w", c.id, err)
	}
	return nil
}

func (c *cacher[T]) abort() {
	if c.reserved > 0 {
		c.env.Blocks.Unreserve(c.reserved)
	}
	if c.f != nil {
		c.f.Close()
		os.Remove(c.f.Name())
	}
}

func (c *cacher[T]) commit() error {
	switch {
	case c.dropped:
		return nil
	case c.inMemory:
		// Storage memory is reserved in steps; keep only the block's
		// estimated size, which is also the size it reports.
		if c.reserved > c.est {
			c.env.Blocks.Unreserve(c.reserved - c.est)
			c.reserved = c.est
		}
		var encode func(io.Writer) error
		if c.enc != nil {
			kept, enc, cc := c.kept, c.enc, spillCodec(c.env)
			encode = func(w io.Writer) error {
				fw := frameWriter[T]{enc: enc, bw: compress.NewBlockWriter(w, cc)}
				if err := fw.write(kept); err != nil {
					return err
				}
				return fw.flush()
			}
		}
		c.env.Blocks.PutMemory(c.id, c.kept, c.reserved, c.count, encode)
		return nil
	}
	if err := c.fw.flush(); err != nil {
		c.abort()
		return fmt.Errorf("cache %s: %w", c.id, err)
	}
	if err := c.bufw.Flush(); err != nil {
		c.abort()
		return fmt.Errorf("cache %s: %w", c.id, err)
	}
	size := c.fw.bw.Written()
	if err := c.f.Close(); err != nil {
		os.Remove(c.f.Name())
		return fmt.Errorf("cache %s: %w", c.id, err)
	}
	if err := os.Rename(c.path+".tmp", c.path); err != nil {
		return fmt.Errorf("cache %s: %w", c.id, err)
	}
	c.env.Blocks.PutDisk(c.id, c.path, size, c.count)
	return nil
}

// readBlock pushes a stored partition to out.
func readBlock[T any](ctx context.Context, b *storage.Block, env *task.Env, out func([]T) error) error {
	if b.Path == "" {
		recs, ok := b.Value.([]T)
		if !ok {
			return fmt.Errorf("cached block holds %T, want %T", b.Value, recs)
		}
		for i := 0; i < len(recs); i += batchSize {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := out(recs[i:min(i+batchSize, len(recs))]); err != nil {
				return err
			}
		}
		return nil
	}
	f, err := os.Open(b.Path)
	if err != nil {
		return fmt.Errorf("cached block: %w", err)
	}
	defer f.Close()
	return readEncoded(ctx, bufio.NewReaderSize(f, 256<<10), env, out, b.Path)
}

// frameWriter encodes records into compressed frames of about 64 KiB raw.
type frameWriter[T any] struct {
	enc codec.Codec[T]
	bw  *compress.BlockWriter
	raw []byte
}

func (w *frameWriter[T]) write(b []T) error {
	for i := range b {
		w.raw = w.enc.Append(w.raw, &b[i])
		if len(w.raw) >= 64<<10 {
			if err := w.bw.WriteBlock(w.raw); err != nil {
				return err
			}
			w.raw = w.raw[:0]
		}
	}
	return nil
}

// flush writes the last, partial frame.
func (w *frameWriter[T]) flush() error {
	if len(w.raw) == 0 {
		return nil
	}
	err := w.bw.WriteBlock(w.raw)
	w.raw = w.raw[:0]
	return err
}

// readEncoded pushes a partition in the block store's disk format to out;
// name says where it came from, for errors.
func readEncoded[T any](ctx context.Context, r io.Reader, env *task.Env, out func([]T) error, name string) error {
	return readFrames(ctx, r, spillCodec(env), out, "cached block "+name)
}

// readFrames decodes compressed frames of encoded records (what the cache
// and recordWriter write) into batches for out, reused after it returns.
func readFrames[T any](ctx context.Context, r io.Reader, cc compress.Codec, out func([]T) error, what string) error {
	enc, err := codec.For[T]()
	if err != nil {
		return err
	}
	br := compress.NewBlockReader(r, cc)
	batch := make([]T, 0, batchSize)
	for {
		block, err := br.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		for len(block) > 0 {
			var v T
			n, err := enc.Decode(block, &v)
			if err != nil {
				return fmt.Errorf("%s: %w", what, err)
			}
			block = block[n:]
			batch = append(batch, v)
			if len(batch) == batchSize {
				if err := out(batch); err != nil {
					return err
				}
				batch = batch[:0]
			}
		}
	}
	if len(batch) > 0 {
		return out(batch)
	}
	return nil
}
