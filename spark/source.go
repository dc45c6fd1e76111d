package spark

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/klauspost/compress/gzip"

	"github.com/gospark/gospark/internal/task"
)

// Parallelize distributes a copy of data over slices partitions (the plan's
// default parallelism when slices <= 0), as Spark's parallelize.
func Parallelize[T any](p *Plan, data []T, slices int) *Dataset[T] {
	if p != nil && slices <= 0 {
		slices = p.parallelism
	}
	data = append([]T(nil), data...)
	n := len(data)
	return newSource(p, "Parallelize", slices, func(ctx context.Context, tc *task.Context, part int, out func([]T) error) error {
		out = countInput(tc.M(), out)
		lo, hi := n*part/slices, n*(part+1)/slices
		for i := lo; i < hi; i += batchSize {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := out(data[i:min(i+batchSize, hi)]); err != nil {
				return err
			}
		}
		return nil
	})
}

// Range is the integers in [start, end) over slices partitions (the plan's
// default parallelism when slices <= 0).
func Range(p *Plan, start, end int64, slices int) *Dataset[int64] {
	if p != nil && slices <= 0 {
		slices = p.parallelism
	}
	n := max(end-start, 0)
	return newSource(p, "Range", slices, func(ctx context.Context, tc *task.Context, part int, out func([]int64) error) error {
		out = countInput(tc.M(), out)
		lo := start + n*int64(part)/int64(slices)
		hi := start + n*int64(part+1)/int64(slices)
		buf := make([]int64, batchSize)
		for i := lo; i < hi; i += batchSize {
			if err := ctx.Err(); err != nil {
				return err
			}
			b := buf[:min(batchSize, hi-i)]
			for j := range b {
				b[j] = i + int64(j)
			}
			if err := out(b); err != nil {
				return err
			}
		}
		return nil
	})
}

// textSplit is a byte range of one input file.
type textSplit struct {
	path       string
	start, end int64 // end < 0: to the end of the file
}

// hadoopBlockSize is the split size Hadoop uses for local files
// (fs.local.block.size); larger files are read by several tasks.
const hadoopBlockSize = 32 << 20

// TextFile reads lines of text files, as Spark's textFile: path is a file, a
// directory (its visible files), a glob, or a comma-separated list of
// those. Files ending in .gz are decompressed and read whole; others are
// split into ranges of at most 32 MiB, with at least minPartitions splits in
// all (default min(parallelism, 2) when minPartitions <= 0). Lines end at
// "\n", and a trailing "\r" is removed.
func TextFile(p *Plan, path string, minPartitions int) *Dataset[string] {
	if err := p.check(); err != nil {
		return errDataset[string](fmt.Errorf("TextFile: %w", err))
	}
	if minPartitions <= 0 {
		minPartitions = min(p.parallelism, 2)
	}
	splits, err := textSplits(path, minPartitions)
	if err != nil {
		return errDataset[string](fmt.Errorf("TextFile %s: %w", path, err))
	}
	if len(splits) == 0 {
		return errDataset[string](fmt.Errorf("TextFile: input path %s matches no files", path))
	}
	return newSource(p, "TextFile", len(splits), func(ctx context.Context, tc *task.Context, part int, out func([]string) error) error {
		return readLines(ctx, splits[part], tc.M(), out)
	})
}

func textFiles(path string) ([]string, error) {
	var files []string
	for _, pat := range strings.Split(path, ",") {
		pat = strings.TrimSpace(strings.TrimPrefix(pat, "file://"))
		if pat == "" {
			continue
		}
		matches, err := filepath.Glob(pat)
		if err != nil {
			return nil, fmt.Errorf("bad pattern %q: %w", pat, err)
		}
		if len(matches) == 0 {
			return nil, fmt.Errorf("input path does not exist: %s", pat)
		}
		for _, m := range matches {
			st, err := os.Stat(m)
			if err != nil {
				return nil, err
			}
			if !st.IsDir() {
				files = append(files, m)
				continue
			}
			ents, err := os.ReadDir(m)
			if err != nil {
				return nil, err
			}
			for _, e := range ents {
				// Hidden and underscore files (_SUCCESS, .crc) are not data.
				if e.IsDir() || strings.HasPrefix(e.Name(), ".") || strings.HasPrefix(e.Name(), "_") {
					continue
				}
				files = append(files, filepath.Join(m, e.Name()))
			}
		}
	}
	slices.Sort(files)
	return slices.Compact(files), nil
}

// fileSizes returns the files' sizes and their total, each counting extra
// bytes more.
func fileSizes(files []string, extra int64) ([]int64, int64, error) {
	sizes := make([]int64, len(files))
	var total int64
	for i, f := range files {
		st, err := os.Stat(f)
		if err != nil {
			return nil, 0, err
		}
		sizes[i] = st.Size()
		total += st.Size() + extra
	}
	return sizes, total, nil
}

func textSplits(path string, minPartitions int) ([]textSplit, error) {
	files, err := textFiles(path)
	if err != nil {
		return nil, err
	}
	sizes, total, err := fileSizes(files, 0)
	if err != nil {
		return nil, err
	}
	goal := total / int64(max(minPartitions, 1))
	splitSize := max(min(goal, hadoopBlockSize), 1)
	var splits []textSplit
	for i, f := range files {
		if strings.HasSuffix(f, ".gz") || sizes[i] == 0 {
			splits = append(splits, textSplit{path: f, end: -1})
			continue
		}
		for off := int64(0); off < sizes[i]; {
			n := splitSize
			// Hadoop lets the last split grow by up to 10% rather than
			// leave a sliver.
			if float64(sizes[i]-off) <= float64(splitSize)*1.1 {
				n = sizes[i] - off
			}
			splits = append(splits, textSplit{path: f, start: off, end: off + n})
			off += n
		}
	}
	return splits, nil
}

// TextFileBlocks reads the same lines as TextFile, each record a block of
// whole lines joined by "\n" (no "\n" after the last). A block of an
// uncompressed file is the whole lines among blockSize bytes read at once,
// or one line longer than that; a .gz file's blocks are lines added until
// the block holds at least blockSize bytes. For consumers that split lines
// themselves (Python workers), it saves making a string per line.
func TextFileBlocks(p *Plan, path string, minPartitions, blockSize int) *Dataset[[]byte] {
	if err := p.check(); err != nil {
		return errDataset[[]byte](fmt.Errorf("TextFileBlocks: %w", err))
	}
	if minPartitions <= 0 {
		minPartitions = min(p.parallelism, 2)
	}
	splits, err := textSplits(path, minPartitions)
	if err != nil {
		return errDataset[[]byte](fmt.Errorf("TextFile %s: %w", path, err))
	}
	if len(splits) == 0 {
		return errDataset[[]byte](fmt.Errorf("TextFile: input path %s matches no files", path))
	}
	return newSource(p, "TextFile", len(splits), func(ctx context.Context, tc *task.Context, part int, out func([][]byte) error) error {
		return readBlocks(ctx, splits[part], tc.M(), blockSize, out)
	})
}

// FilePacking is how Spark SQL's file sources (spark.read.text) group
// files into partitions, rather than Hadoop's one split per block of each
// file: spark.sql.files.maxPartitionBytes, spark.sql.files.openCostInBytes,
// and MinPartitions, the partitions aimed at (spark.sql.files.minPartitionNum,
// else the default parallelism).
type FilePacking struct {
	MaxPartitionBytes, OpenCostInBytes int64
	MinPartitions                      int
}

// TextFileBlocksPacked is TextFileBlocks over the files of path grouped
// into partitions as Spark SQL's file sources group them: a file is cut
// into pieces of at most min(MaxPartitionBytes, max(OpenCostInBytes, the
// files' bytes and open costs over MinPartitions)) (a .gz file is one
// piece), and the pieces, longest first, fill partitions in turn while a
// partition's pieces and an open cost per piece stay within that size. A
// partition reads its pieces' lines one piece after another.
func TextFileBlocksPacked(p *Plan, path string, pk FilePacking, blockSize int) *Dataset[[]byte] {
	if err := p.check(); err != nil {
		return errDataset[[]byte](fmt.Errorf("TextFileBlocksPacked: %w", err))
	}
	parts, err := packedSplits(path, pk)
	if err != nil {
		return errDataset[[]byte](fmt.Errorf("TextFile %s: %w", path, err))
	}
	return newSource(p, "TextFile", len(parts), func(ctx context.Context, tc *task.Context, part int, out func([][]byte) error) error {
		for _, sp := range parts[part] {
			if err := readBlocks(ctx, sp, tc.M(), blockSize, out); err != nil {
				return err
			}
		}
		return nil
	})
}

// packedSplits lists the partitions of TextFileBlocksPacked, each the
// splits it reads.
func packedSplits(path string, pk FilePacking) ([][]textSplit, error) {
	files, err := textFiles(path)
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("input path %s matches no files", path)
	}
	sizes, total, err := fileSizes(files, pk.OpenCostInBytes)
	if err != nil {
		return nil, err
	}
	perCore := total / int64(max(pk.MinPartitions, 1))
	maxSplit := max(min(pk.MaxPartitionBytes, max(pk.OpenCostInBytes, perCore)), 1)
	type piece struct {
		split textSplit
		size  int64
	}
	var pieces []piece
	for i, f := range files {
		if strings.HasSuffix(f, ".gz") {
			pieces = append(pieces, piece{textSplit{path: f, end: -1}, sizes[i]})
			continue
		}
		for off := int64(0); off < sizes[i]; off += maxSplit {
			n := min(maxSplit, sizes[i]-off)
			pieces = append(pieces, piece{textSplit{path: f, start: off, end: off + n}, n})
		}
	}
	slices.SortStableFunc(pieces, func(a, b piece) int { return cmp.Compare(b.size, a.size) })
	var parts [][]textSplit
	var cur []textSplit
	var curSize int64
	for _, pc := range pieces {
		if len(cur) > 0 && curSize+pc.size > maxSplit {
			parts, cur, curSize = append(parts, cur), nil, 0
		}
		cur = append(cur, pc.split)
		curSize += pc.size + pk.OpenCostInBytes
	}
	if len(cur) > 0 || len(parts) == 0 { // files all empty: one empty partition
		parts = append(parts, cur)
	}
	return parts, nil
}

// readLines pushes the lines that start in split, in batches of strings.
func readLines(ctx context.Context, s textSplit, m *task.Metrics, out func([]string) error) error {
	batch := make([]string, 0, batchSize)
	return scanLines(ctx, s, m, func(line []byte) bool {
		batch = append(batch, string(line))
		return len(batch) == batchSize
	}, func() (int, error) {
		n := len(batch)
		if n == 0 {
			return 0, nil
		}
		err := out(batch)
		batch = batch[:0]
		return n, err
	})
}

// readBlocks pushes the lines that start in split, joined into blocks
// (TextFileBlocks).
func readBlocks(ctx context.Context, s textSplit, m *task.Metrics, blockSize int, out func([][]byte) error) error {
	if !strings.HasSuffix(s.path, ".gz") {
		return readPlainBlocks(ctx, s, m, blockSize, out)
	}
	buf := make([]byte, 0, blockSize+blockSize/4)
	lines := 0
	return scanLines(ctx, s, m, func(line []byte) bool {
		if lines > 0 {
			buf = append(buf, '\n')
		}
		buf = append(buf, line...)
		lines++
		return len(buf) >= blockSize
	}, func() (int, error) {
		n := lines
		if n == 0 {
			return 0, nil
		}
		err := out([][]byte{bytes.Clone(buf)})
		buf, lines = buf[:0], 0
		return n, err
	})
}

// readPlainBlocks is readBlocks for an uncompressed file: it reads the
// split blockSize bytes at a time and pushes the whole lines among them as
// they are, without going line by line. The lines are scanLines': the
// first (partial) line is skipped unless the split starts the file, the
// last is the one that holds the split's end, and a "\r" before a line's
// end is dropped.
func readPlainBlocks(ctx context.Context, s textSplit, m *task.Metrics, blockSize int, out func([][]byte) error) error {
	blockSize = max(blockSize, 1)
	f, err := os.Open(s.path)
	if err != nil {
		return fmt.Errorf("TextFile: %w", err)
	}
	defer f.Close()
	if _, err := f.Seek(s.start, io.SeekStart); err != nil {
		return fmt.Errorf("TextFile %s: %w", s.path, err)
	}
	// buf holds the bytes read and not yet pushed; pos is buf[0]'s offset
	// in the file.
	buf := make([]byte, 0, blockSize)
	pos, eof := s.start, false
	fill := func(want int) error {
		if cap(buf) < want {
			buf = append(make([]byte, 0, want), buf...)
		}
		for !eof && len(buf) < want {
			n, err := f.Read(buf[len(buf):want])
			buf = buf[:len(buf)+n]
			if err == io.EOF {
				eof = true
			} else if err != nil {
				return fmt.Errorf("TextFile %s: %w", s.path, err)
			}
		}
		return nil
	}
	for s.start > 0 { // skip the partial first line
		if err := fill(blockSize); err != nil {
			return err
		}
		i := bytes.IndexByte(buf, '\n')
		if i < 0 && eof {
			return nil
		}
		if i < 0 {
			pos += int64(len(buf))
			buf = buf[:0]
			continue
		}
		pos += int64(i + 1)
		buf = buf[:copy(buf, buf[i+1:])]
		break
	}
	for s.end < 0 || pos <= s.end {
		if err := fill(max(blockSize, len(buf))); err != nil {
			return err
		}
		if len(buf) == 0 {
			break
		}
		// cut: the length of the whole lines to push, "\n" included: those
		// in blockSize bytes, or the first line if it is longer.
		cut, lim := -1, min(len(buf), blockSize)
		if i := bytes.LastIndexByte(buf[:lim], '\n'); i >= 0 {
			cut = i + 1
		} else if i := bytes.IndexByte(buf[lim:], '\n'); i >= 0 {
			cut = lim + i + 1
		} else if eof {
			cut = len(buf) // the file's last line, with no "\n"
		}
		if cut < 0 { // a line longer than what is read: read more
			if err := fill(2 * len(buf)); err != nil {
				return err
			}
			continue
		}
		last := false
		if s.end >= 0 && pos+int64(cut)-1 >= s.end {
			// The line that holds the split's end is its last.
			if i := bytes.IndexByte(buf[s.end-pos:cut], '\n'); i >= 0 {
				cut = int(s.end-pos) + i + 1
			}
			last = true
		}
		block := buf[:cut:cut]
		rest := buf[cut:]
		buf = append(make([]byte, 0, max(blockSize, len(rest))), rest...)
		pos += int64(cut)
		lines := bytes.Count(block, []byte{'\n'})
		if block[len(block)-1] == '\n' {
			block = block[:len(block)-1]
		} else {
			lines++ // the file's last line, with no "\n"
		}
		if bytes.IndexByte(block, '\r') >= 0 {
			block = dropCRs(block)
		}
		m.InputBytes.Add(int64(cut))
		m.InputRecords.Add(int64(lines))
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := out([][]byte{block}); err != nil {
			return err
		}
		if last {
			break
		}
	}
	return nil
}

// dropCRs removes, in place, the "\r" at the end of each of the block's
// "\n"-separated lines.
func dropCRs(block []byte) []byte {
	b, w := block, 0
	for len(b) > 0 {
		line, rest, found := bytes.Cut(b, []byte{'\n'})
		line = bytes.TrimSuffix(line, []byte{'\r'})
		w += copy(block[w:], line)
		if found {
			block[w] = '\n'
			w++
		}
		b = rest
	}
	return block[:w]
}

// scanLines hands add each line that starts in split, without its "\n"
// and a "\r" before it, in a slice valid only during the call. A split not
// at the start of its file skips its first (partial) line; a split reads
// the line that starts at its end, which the next split skips. When add
// reports true, and at the end, scanLines calls emit, which pushes what
// add kept and returns how many lines that was: those lines and the bytes
// they take in the file (for a .gz file, the compressed bytes read) count
// as the task's input.
func scanLines(ctx context.Context, s textSplit, m *task.Metrics, add func([]byte) bool, emit func() (int, error)) error {
	f, err := os.Open(s.path)
	if err != nil {
		return fmt.Errorf("TextFile: %w", err)
	}
	defer f.Close()
	var r io.Reader = f
	var gzRead *readCounter
	if strings.HasSuffix(s.path, ".gz") {
		gzRead = &readCounter{r: f}
		gz, err := gzip.NewReader(bufio.NewReaderSize(gzRead, 256<<10))
		if err != nil {
			return fmt.Errorf("TextFile %s: %w", s.path, err)
		}
		defer gz.Close()
		r = gz
	} else if s.start > 0 {
		if _, err := f.Seek(s.start, io.SeekStart); err != nil {
			return fmt.Errorf("TextFile %s: %w", s.path, err)
		}
	}
	br := bufio.NewReaderSize(r, 1<<20)
	pos := s.start
	if s.start > 0 {
		skipped, err := skipLine(br)
		if err != nil && err != io.EOF {
			return fmt.Errorf("TextFile %s: %w", s.path, err)
		}
		pos += skipped
	}
	// Bytes count from the first line this split reads, so that the
	// splits of a file add up to its size.
	base, counted := pos, int64(0)
	flush := func() error {
		records, err := emit()
		read := pos - base
		if gzRead != nil {
			read = gzRead.n
		}
		m.InputBytes.Add(read - counted)
		counted = read
		m.InputRecords.Add(int64(records))
		return err
	}
	var long []byte
	for s.end < 0 || pos <= s.end {
		line, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			long = append(long[:0], line...)
			for err == bufio.ErrBufferFull {
				line, err = br.ReadSlice('\n')
				long = append(long, line...)
			}
			line = long
		}
		if err != nil && err != io.EOF {
			return fmt.Errorf("TextFile %s: %w", s.path, err)
		}
		if len(line) == 0 && err == io.EOF {
			break
		}
		pos += int64(len(line))
		line = bytes.TrimSuffix(line, []byte{'\n'})
		line = bytes.TrimSuffix(line, []byte{'\r'})
		if add(line) {
			if cerr := ctx.Err(); cerr != nil {
				return cerr
			}
			if err := flush(); err != nil {
				return err
			}
		}
		if err == io.EOF {
			break
		}
	}
	return flush()
}

// readCounter counts the bytes read through it.
type readCounter struct {
	r io.Reader
	n int64
}

func (c *readCounter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func skipLine(br *bufio.Reader) (int64, error) {
	var n int64
	for {
		b, err := br.ReadSlice('\n')
		n += int64(len(b))
		if err != bufio.ErrBufferFull {
			return n, err
		}
	}
}
