package pyrun

import (
	"encoding/binary"
	"fmt"
	"iter"
	"sync"

	"github.com/gospark/gospark/spark"
)

// Node kinds of the lineage the Python driver sends (docs/python.md).
const (
	kindParallelize = "parallelize"
	kindTextFile    = "textFile"
	kindPython      = "python"
	kindShuffle     = "shuffle"
	kindUnion       = "union"
	kindCoalesce    = "coalesce"
	kindPersist     = "persist"
)

// Frame modes: what a dataset's records are.
const (
	modePickle      = "pickle"      // a pickled list of Python records
	modeLines       = "lines"       // UTF-8 lines joined by "\n"
	modePartitioned = "partitioned" // 4-byte reduce partition, then a pickled list
)

// Spec is one node of a Python RDD's lineage, the argument of its plan
// function call (gob-encoded to executors, which replay the call).
type Spec struct {
	Kind string
	// Parallelize: one pickled batch per partition.
	Blobs [][]byte
	// TextFile.
	Path          string
	MinPartitions int
	// Packing, when set, partitions the files as spark.read.text does.
	Packing *spark.FilePacking
	// Python: the pickled function f(split, iterator) -> iterator, the
	// frames it reads and writes, the broadcast variables it reads.
	Command    []byte
	In, Out    string
	Broadcasts []int64
	Worker     WorkerConf
	// Shuffle, Coalesce: the number of partitions.
	Partitions int
	// Persist (and any kind): the storage level to keep the result at.
	Level int
}

// WorkerConf is how executors run a Python stage's workers: the driver's
// choices, sent with the stage as PySpark sends its pythonExec.
type WorkerConf struct {
	Python string
	Reuse  bool
	Memory int64
	// PyFiles are the broadcast ids of spark.submit.pyFiles and
	// addPyFile's files, to put on the workers' path.
	PyFiles []int64
	// Acc collects the tasks' pickled accumulator updates.
	Acc *spark.Accumulator[[][]byte]
}

// process is what one process of a Python application keeps for its
// tasks: the broadcast variables and py-files its replayed calls
// registered, and its Python worker pool. It is the only package-level
// state, next to the plan functions' registrations.
type process struct {
	mu     sync.Mutex
	shared map[int64]sharedValue
	pool   *pool
}

// sharedValue is a broadcast variable of the Python program (name empty)
// or a py-file (its base name).
type sharedValue struct {
	name string
	b    *spark.Broadcast[[]byte]
}

var proc = &process{shared: map[int64]sharedValue{}, pool: newPool()}

func (p *process) lookup(id int64) (sharedValue, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	v, ok := p.shared[id]
	if !ok {
		return v, fmt.Errorf("pyrun: broadcast %d was not registered in this process", id)
	}
	return v, nil
}

// Plan functions, registered at package initialization: every process of
// the application (gospark-py) registers them in the same order.
var (
	sourceFn = spark.Func1(buildSource)
	unaryFn  = spark.Func2(buildUnary)
	unionFn  = spark.Func3(buildUnion)
	// sharedFn registers a broadcast variable or py-file in the process
	// that replays it, so that later tasks find it by id.
	sharedFn = spark.Func3(func(p *spark.Plan, id int64, name string, b *spark.Broadcast[[]byte]) *spark.Dataset[[]byte] {
		proc.mu.Lock()
		proc.shared[id] = sharedValue{name: name, b: b}
		proc.mu.Unlock()
		return spark.Parallelize[[]byte](p, nil, 1)
	})
)

func persisted(d *spark.Dataset[[]byte], level int) *spark.Dataset[[]byte] {
	if level == 0 {
		return d
	}
	return d.Persist(spark.StorageLevel(level))
}

func buildSource(p *spark.Plan, s Spec) *spark.Dataset[[]byte] {
	switch s.Kind {
	case kindParallelize:
		blobs := s.Blobs
		if len(blobs) == 0 {
			blobs = [][]byte{emptyBatch}
		}
		return persisted(spark.Parallelize(p, blobs, len(blobs)), s.Level)
	case kindTextFile:
		if s.Packing != nil {
			return persisted(spark.TextFileBlocksPacked(p, s.Path, *s.Packing, lineFrameSize), s.Level)
		}
		return persisted(spark.TextFileBlocks(p, s.Path, s.MinPartitions, lineFrameSize), s.Level)
	}
	// The gateway checks kinds before it calls: this is an invalid dataset.
	return spark.Parallelize[[]byte](p, nil, -1)
}

// emptyBatch is pickle.dumps([]).
var emptyBatch = []byte("\x80\x04]\x94.")

// lineFrameSize is the size a frame of lines reaches (a frame is whole
// lines: one longer line is a frame of its own). Frames of 1 MiB rather
// than 64 KiB cut a word count's context switches from 35,000 to 13,000
// (BENCHMARKS.md): the executor wakes for each frame it feeds a worker.
const lineFrameSize = 1 << 20

func buildUnary(p *spark.Plan, s Spec, parent *spark.Dataset[[]byte]) *spark.Dataset[[]byte] {
	d := spark.Import(p, parent)
	switch s.Kind {
	case kindPython:
		spec := s
		return persisted(spark.MapPartitions(d, func(tc *spark.TaskContext, in iter.Seq[[]byte], emit func([]byte)) error {
			return runTask(tc, &spec, in, emit)
		}), s.Level)
	case kindShuffle:
		n := s.Partitions
		shuffled := spark.PartitionBy(d, n, func(f *[]byte) int {
			if len(*f) < 4 {
				return -1
			}
			return int(binary.BigEndian.Uint32(*f))
		})
		return persisted(spark.Map(shuffled, func(f []byte) []byte { return f[4:] }), s.Level)
	case kindCoalesce:
		return persisted(spark.Coalesce(d, s.Partitions), s.Level)
	case kindPersist:
		return persisted(d, s.Level)
	}
	return spark.Parallelize[[]byte](p, nil, -1)
}

func buildUnion(p *spark.Plan, s Spec, a, b *spark.Dataset[[]byte]) *spark.Dataset[[]byte] {
	return persisted(spark.Union(spark.Import(p, a), spark.Import(p, b)), s.Level)
}
