package shuffle

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/gospark/gospark/internal/compress"
)

// Options are the shuffle settings of one executor.
type Options struct {
	Codec      compress.Codec // nil when spark.shuffle.compress=false
	SpillCodec compress.Codec // nil when spark.shuffle.spill.compress=false
	BufferSize int            // spark.shuffle.file.buffer
	BlockSize  int            // raw bytes per compressed frame
}

// DefaultBlockSize is the raw size of a shuffle frame before compression.
const DefaultBlockSize = 64 << 10

func (o *Options) blockSize() int {
	if o == nil || o.BlockSize <= 0 {
		return DefaultBlockSize
	}
	return o.BlockSize
}

func (o *Options) bufferSize() int {
	if o == nil || o.BufferSize <= 0 {
		return 32 << 10
	}
	return o.BufferSize
}

func (o *Options) codec() compress.Codec {
	if o == nil || o.Codec == nil {
		return noneCodec()
	}
	return o.Codec
}

func (o *Options) spillCodec() compress.Codec {
	if o == nil || o.SpillCodec == nil {
		return noneCodec()
	}
	return o.SpillCodec
}

func noneCodec() compress.Codec {
	c, err := compress.Lookup("none")
	if err != nil {
		panic(fmt.Sprintf("shuffle: codec none missing: %v", err))
	}
	return c
}

// MapStatus says where one map task's output is and how large each reduce
// partition of it is.
type MapStatus struct {
	ShuffleID  int64
	MapIndex   int
	ExecutorID string
	Addr       string // the executor's block server, when it runs in another process, or the shuffle service's
	// Service says that the external shuffle service at Addr serves the
	// files (spark.shuffle.service.enabled): they outlive the executor.
	Service   bool
	DataFile  string
	IndexFile string
	Sizes     []int64 // compressed bytes per reduce partition
	Records   int64
}

// FetchFailedError reports map output that a reducer could not read. The
// scheduler reacts by unregistering the output and recomputing its map task.
type FetchFailedError struct {
	ShuffleID  int64
	MapIndex   int
	ExecutorID string
	Reduce     int
	// Addr and Service are the failed output's server: with Service, an
	// external shuffle service, whose every output is then suspect.
	Addr    string
	Service bool
	Err     error
}

func (e *FetchFailedError) Error() string {
	return fmt.Sprintf("fetch failed: shuffle %d map %d (executor %s) reduce %d: %v",
		e.ShuffleID, e.MapIndex, e.ExecutorID, e.Reduce, e.Err)
}

func (e *FetchFailedError) Unwrap() error { return e.Err }

// Fetcher opens the byte range of one reduce partition in one map output.
type Fetcher interface {
	Open(ctx context.Context, st *MapStatus, reduce int) (io.ReadCloser, error)
}

// RemoteFetcher is a Fetcher of map output on other machines or
// processes: Read fetches remote blocks ahead, in parallel, holding at
// most MaxInFlight bytes (spark.reducer.maxSizeInFlight).
type RemoteFetcher interface {
	Fetcher
	IsRemote(st *MapStatus) bool
	MaxInFlight() int64
}

// LocalFetcher reads map output files from this machine's disk.
type LocalFetcher struct{}

// Open implements Fetcher.
func (LocalFetcher) Open(_ context.Context, st *MapStatus, reduce int) (io.ReadCloser, error) {
	idx, err := os.ReadFile(st.IndexFile)
	if err != nil {
		return nil, fmt.Errorf("read index: %w", err)
	}
	off, end, err := indexRange(idx, reduce)
	if err != nil {
		return nil, fmt.Errorf("index %s: %w", st.IndexFile, err)
	}
	f, err := os.Open(st.DataFile)
	if err != nil {
		return nil, fmt.Errorf("open data: %w", err)
	}
	return &sectionCloser{SectionReader: io.NewSectionReader(f, off, end-off), f: f}, nil
}

type sectionCloser struct {
	*io.SectionReader
	f *os.File
}

func (s *sectionCloser) Close() error { return s.f.Close() }

// ErrCorruptIndex reports an index file that does not describe its data.
var ErrCorruptIndex = errors.New("corrupt shuffle index")

func indexRange(idx []byte, reduce int) (int64, int64, error) {
	if len(idx)%8 != 0 || (reduce+2)*8 > len(idx) || reduce < 0 {
		return 0, 0, fmt.Errorf("%w: %d bytes, reduce %d", ErrCorruptIndex, len(idx), reduce)
	}
	off := int64(be64(idx[reduce*8:]))
	end := int64(be64(idx[(reduce+1)*8:]))
	if off < 0 || end < off {
		return 0, 0, fmt.Errorf("%w: range %d-%d", ErrCorruptIndex, off, end)
	}
	return off, end, nil
}

func be64(b []byte) uint64 {
	_ = b[7]
	return uint64(b[0])<<56 | uint64(b[1])<<48 | uint64(b[2])<<40 | uint64(b[3])<<32 |
		uint64(b[4])<<24 | uint64(b[5])<<16 | uint64(b[6])<<8 | uint64(b[7])
}

func putBE64(b []byte, v uint64) {
	_ = b[7]
	b[0], b[1], b[2], b[3] = byte(v>>56), byte(v>>48), byte(v>>40), byte(v>>32)
	b[4], b[5], b[6], b[7] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
}

// Dir is where an executor keeps shuffle files.
func Dir(localDir string) string { return filepath.Join(localDir, "shuffle") }

// RemoveShuffle deletes every map output file of a shuffle in dir.
func RemoveShuffle(localDir string, shuffleID int64) error {
	matches, err := filepath.Glob(filepath.Join(Dir(localDir), fmt.Sprintf("shuffle_%d_*", shuffleID)))
	if err != nil {
		return fmt.Errorf("shuffle %d: %w", shuffleID, err)
	}
	var errs []error
	for _, m := range matches {
		if err := os.Remove(m); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
