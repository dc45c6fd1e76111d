package shuffle

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/gospark/gospark/internal/codec"
	"github.com/gospark/gospark/internal/compress"
)

// BatchSize is the number of records a reader hands on at once.
const BatchSize = 1024

// Read streams reduce partition reduce of every map output in statuses into
// sink, in map order, in batches of up to BatchSize records. The batch passed
// to sink is reused after sink returns. An output that cannot be opened or
// decoded fails with a *FetchFailedError naming it; an error from sink is
// returned as is.
func Read[T any](ctx context.Context, statuses []*MapStatus, reduce int, opts *Options, f Fetcher,
	dec codec.Codec[T], sink func([]T) error) error {
	batch := make([]T, BatchSize)
	n := 0
	for _, st := range statuses {
		if err := ctx.Err(); err != nil {
			return err
		}
		if reduce < len(st.Sizes) && st.Sizes[reduce] == 0 {
			continue
		}
		fail := func(err error) error {
			return &FetchFailedError{ShuffleID: st.ShuffleID, MapIndex: st.MapIndex, ExecutorID: st.ExecutorID, Reduce: reduce, Err: err}
		}
		rc, err := f.Open(ctx, st, reduce)
		if err != nil {
			return fail(err)
		}
		br := compress.NewBlockReader(rc, opts.codec())
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
					if err := sink(batch); err != nil {
						rc.Close()
						return err
					}
					clear(batch)
					n = 0
				}
			}
		}
		if err := rc.Close(); err != nil {
			return fail(err)
		}
	}
	if n > 0 {
		return sink(batch[:n])
	}
	return nil
}
