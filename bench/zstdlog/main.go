// Command zstdlog measures what compressing an event log with zstd costs
// its writer under klauspost/compress's encoder options: it writes the
// lines of an uncompressed event log through each encoder, flushing after
// the events that internal/eventlog flushes at once (application, jobs,
// stages, executors, block managers), as that writer does, then closes it.
// One op is a whole log from a new encoder: the setup, the flushes and the
// close. It prints a Markdown table: time and memory allocated per log, and
// the compressed size.
//
//	go run ./bench/zstdlog -log /tmp/spark-events/local-1796189789734
//
// The first row is the writer's encoder as internal/eventlog creates it
// (zstd.WithEncoderConcurrency(1), the default level and 8 MiB window).
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// flushedAtOnce are the events internal/eventlog flushes as soon as they
// are written.
var flushedAtOnce = map[string]bool{
	"SparkListenerApplicationStart": true, "SparkListenerApplicationEnd": true,
	"SparkListenerJobStart": true, "SparkListenerJobEnd": true,
	"SparkListenerStageSubmitted": true, "SparkListenerStageCompleted": true,
	"SparkListenerExecutorAdded": true, "SparkListenerExecutorRemoved": true,
	"SparkListenerBlockManagerAdded": true, "SparkListenerBlockManagerRemoved": true,
	"SparkListenerUnpersistRDD": true, "SparkListenerBlockUpdated": true,
}

type line struct {
	text  []byte // with its newline
	flush bool
}

func readLog(path string) ([]line, int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	var lines []line
	size := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var ev struct{ Event string }
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			return nil, 0, fmt.Errorf("%s: line %d is not an event: %w", path, len(lines)+1, err)
		}
		text := append(bytes.Clone(sc.Bytes()), '\n')
		lines = append(lines, line{text: text, flush: flushedAtOnce[ev.Event]})
		size += len(text)
	}
	return lines, size, sc.Err()
}

// countingWriter counts what it is given.
type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// writeLog compresses lines with opts into w, flushing as the event log does.
func writeLog(w io.Writer, lines []line, opts []zstd.EOption) error {
	enc, err := zstd.NewWriter(w, opts...)
	if err != nil {
		return err
	}
	for _, l := range lines {
		if _, err := enc.Write(l.text); err != nil {
			return err
		}
		if l.flush {
			if err := enc.Flush(); err != nil {
				return err
			}
		}
	}
	return enc.Close()
}

func main() {
	path := flag.String("log", "", "an uncompressed event log (one JSON event a line)")
	flag.Parse()
	if *path == "" {
		fmt.Fprintln(os.Stderr, "usage: zstdlog -log FILE")
		os.Exit(2)
	}
	lines, size, err := readLog(*path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "zstdlog:", err)
		os.Exit(1)
	}
	flushes := 0
	for _, l := range lines {
		if l.flush {
			flushes++
		}
	}
	fmt.Printf("%s: %d events, %d bytes, %d flushed at once\n\n", *path, len(lines), size, flushes)
	fmt.Println("| encoder options (besides WithEncoderConcurrency(1)) | ms per log | MiB allocated per log | compressed bytes |")
	fmt.Println("|---|---|---|---|")
	for _, c := range []struct {
		name string
		opts []zstd.EOption
	}{
		{"none (internal/eventlog's encoder)", nil},
		{"WithWindowSize(1 MiB)", []zstd.EOption{zstd.WithWindowSize(1 << 20)}},
		{"WithEncoderLevel(SpeedFastest)", []zstd.EOption{zstd.WithEncoderLevel(zstd.SpeedFastest)}},
		{"WithLowerEncoderMem(true)", []zstd.EOption{zstd.WithLowerEncoderMem(true)}},
		{"all three", []zstd.EOption{zstd.WithWindowSize(1 << 20), zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithLowerEncoderMem(true)}},
	} {
		opts := append([]zstd.EOption{zstd.WithEncoderConcurrency(1)}, c.opts...)
		var out countingWriter
		if err := writeLog(&out, lines, opts); err != nil {
			fmt.Fprintln(os.Stderr, "zstdlog:", err)
			os.Exit(1)
		}
		var failed error
		r := testing.Benchmark(func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := writeLog(io.Discard, lines, opts); err != nil {
					failed = err
				}
			}
		})
		if failed != nil {
			fmt.Fprintln(os.Stderr, "zstdlog:", failed)
			os.Exit(1)
		}
		fmt.Printf("| %s | %.2f | %.1f | %d |\n", c.name, float64(r.NsPerOp())/1e6, float64(r.AllocedBytesPerOp())/(1<<20), out.n)
	}
}
