package pyrun

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gospark/gospark/spark"
)

// The worker protocol (docs/python.md). Per task, to the worker's stdin: a
// JSON header frame (taskHeader), the pickled function frame, one frame
// per broadcast value the worker has not had yet (in the header's order),
// the input frames, then the endOfData marker. From its stdout: output
// frames, then either endOfData and a frame of pickled accumulator
// updates (empty when none), or pythonError and a frame with the
// formatted traceback (after which the worker exits). The worker may end
// its output before it has read all its input (take): the executor then
// stops sending and the worker skips input up to the end marker.
type taskHeader struct {
	Split     int      `json:"split"`
	Attempt   int      `json:"attempt"`
	Stage     int      `json:"stage"`
	TaskID    int64    `json:"task"`
	In        string   `json:"in"`
	Out       string   `json:"out"`
	NewBcasts []int64  `json:"bcast"`
	Paths     []string `json:"paths"`
	Memory    int64    `json:"mem"`
}

// ErrWorkerExited is the error of a task whose Python worker ended in the
// middle of it.
var ErrWorkerExited = errors.New("Python worker exited unexpectedly")

// TaskError is a Python exception raised by a task; Error is the worker's
// formatted traceback.
type TaskError struct{ Traceback string }

func (e *TaskError) Error() string {
	return "Python task failed:\n" + strings.TrimRight(e.Traceback, "\n")
}

// pool keeps idle Python workers per Python executable.
type pool struct {
	mu   sync.Mutex
	idle map[string][]*worker
	// pkgDir is the directory holding the pyspark package (extracted once).
	pkgDir string
	pkgErr error
	once   sync.Once
}

// workerPipeSize is the buffer asked for the pipes to and from a worker.
const workerPipeSize = 1 << 20

func newPool() *pool { return &pool{idle: map[string][]*worker{}} }

type worker struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	in     *bufio.Writer
	out    *bufio.Reader
	exited chan struct{} // closed when the process has been waited for
	bcasts map[int64]bool
}

func (p *pool) get(python string) (*worker, error) {
	p.mu.Lock()
	if ws := p.idle[python]; len(ws) > 0 {
		w := ws[len(ws)-1]
		p.idle[python] = ws[:len(ws)-1]
		p.mu.Unlock()
		select {
		case <-w.exited:
			return p.start(python) // died while idle
		default:
			return w, nil
		}
	}
	p.mu.Unlock()
	return p.start(python)
}

func (p *pool) put(python string, w *worker) {
	p.mu.Lock()
	p.idle[python] = append(p.idle[python], w)
	p.mu.Unlock()
}

// prestart starts n workers of python and keeps them idle. It does not
// wait for them to be ready (a task's input waits in the pipe); a worker
// that cannot start is left to the first task that needs one to report.
func (p *pool) prestart(python string, n int) {
	for range n {
		w, err := p.start(python)
		if err != nil {
			return
		}
		p.put(python, w)
	}
}

// close ends the idle workers: each exits at the end of its input, or is
// killed after the grace period; close returns when all are reaped.
func (p *pool) close(grace time.Duration) {
	p.mu.Lock()
	var ws []*worker
	for py, idle := range p.idle {
		ws = append(ws, idle...)
		delete(p.idle, py)
	}
	p.mu.Unlock()
	for _, w := range ws {
		w.stdin.Close()
	}
	deadline := time.NewTimer(grace)
	defer deadline.Stop()
	for _, w := range ws {
		select {
		case <-w.exited:
		case <-deadline.C:
			w.kill()
			// The deadline has fired: kill the rest without waiting.
			deadline.Reset(0)
		}
	}
}

func (p *pool) start(python string) (*worker, error) {
	p.once.Do(func() { p.pkgDir, p.pkgErr = ExtractPackage() })
	if p.pkgErr != nil {
		return nil, p.pkgErr
	}
	cmd := exec.Command(python, "-m", "pyspark.worker")
	cmd.Env = workerEnv(os.Environ(), p.pkgDir)
	cmd.Stderr = os.Stderr // the executor's log
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	setPipeSize(stdin, workerPipeSize)
	setPipeSize(stdout, workerPipeSize)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the Python worker (%s, from spark.pyspark.python or PYSPARK_PYTHON): %w", python, err)
	}
	w := &worker{cmd: cmd, stdin: stdin, in: bufio.NewWriterSize(stdin, 256<<10),
		out: bufio.NewReaderSize(stdout, 256<<10), exited: make(chan struct{}), bcasts: map[int64]bool{}}
	go func() {
		_ = cmd.Wait()
		close(w.exited)
	}()
	return w, nil
}

// workerEnv is the environment of Python processes: the pyspark package
// first on PYTHONPATH, and a fixed string hash seed so that every worker
// partitions keys alike (PySpark's portable_hash needs it).
func workerEnv(env []string, pkgDir string) []string {
	out := make([]string, 0, len(env)+2)
	path, seed := pkgDir, false
	for _, kv := range env {
		switch {
		case strings.HasPrefix(kv, "PYTHONPATH="):
			if old := strings.TrimPrefix(kv, "PYTHONPATH="); old != "" {
				path += string(os.PathListSeparator) + old
			}
			continue
		case strings.HasPrefix(kv, "PYTHONHASHSEED="):
			seed = true
		}
		out = append(out, kv)
	}
	if !seed {
		out = append(out, "PYTHONHASHSEED=0")
	}
	return append(out, "PYTHONPATH="+path)
}

// kill ends the worker and waits for it.
func (w *worker) kill() {
	_ = w.cmd.Process.Kill()
	w.stdin.Close()
	<-w.exited
}

// exitError describes how the worker ended, once it has.
func (w *worker) exitError() error {
	<-w.exited
	st := w.cmd.ProcessState
	if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return fmt.Errorf("%w (killed by signal %d: %v)", ErrWorkerExited, int(ws.Signal()), ws.Signal())
	}
	return fmt.Errorf("%w (exit status %d)", ErrWorkerExited, st.ExitCode())
}

// item is what the reader goroutine hands over: an output frame, the end
// of the task's output with its accumulator updates, or an error.
type item struct {
	data  []byte
	end   bool
	accum []byte
	err   error
}

// runTask runs one partition of a Python stage in a worker.
func runTask(tc *spark.TaskContext, s *Spec, in iter.Seq[[]byte], emit func([]byte)) error {
	conf := s.Worker
	paths, err := pyFilePaths(conf.PyFiles)
	if err != nil {
		return err
	}
	w, err := proc.pool.get(conf.Python)
	if err != nil {
		return err
	}
	accum, err := w.run(tc, s, paths, in, emit)
	if err != nil {
		w.kill()
		return err
	}
	if len(accum) > 0 && conf.Acc != nil {
		conf.Acc.Add(tc, [][]byte{accum})
	}
	if conf.Reuse {
		proc.pool.put(conf.Python, w)
	} else {
		w.stdin.Close() // the worker exits at the end of its input
	}
	return nil
}

func (w *worker) run(tc *spark.TaskContext, s *Spec, paths []string, in iter.Seq[[]byte], emit func([]byte)) ([]byte, error) {
	h := taskHeader{Split: tc.Partition(), Attempt: tc.Attempt(), Stage: tc.StageID(), TaskID: tc.TaskID(),
		In: s.In, Out: s.Out, Paths: paths, Memory: s.Worker.Memory}
	var values [][]byte
	for _, id := range s.Broadcasts {
		if w.bcasts[id] {
			continue
		}
		v, err := proc.lookup(id)
		if err != nil {
			return nil, err
		}
		b, err := value(v.b)
		if err != nil {
			return nil, err
		}
		h.NewBcasts = append(h.NewBcasts, id)
		values = append(values, b)
	}
	hdr, err := json.Marshal(h)
	if err != nil {
		return nil, err
	}
	// The header, function and broadcast values go first: the worker reads
	// them all before it writes anything.
	send := func() error {
		if err := writeFrame(w.in, hdr); err != nil {
			return err
		}
		if err := writeFrame(w.in, s.Command); err != nil {
			return err
		}
		for _, v := range values {
			if err := writeFrame(w.in, v); err != nil {
				return err
			}
		}
		return w.in.Flush()
	}
	if err := send(); err != nil {
		return nil, w.exitError()
	}
	for _, id := range h.NewBcasts {
		w.bcasts[id] = true
	}

	quit := make(chan struct{})
	defer close(quit)
	items := make(chan item, 16)
	go w.read(items, quit)
	// The writer goroutine writes input frames as they come and acknowledges
	// each, so that the frame is not used after the iterator moves on.
	reqs := make(chan []byte)
	acks := make(chan error, 2)
	go func() {
		for f := range reqs {
			acks <- writeFrame(w.in, f)
		}
		err := writeMarker(w.in, endOfData)
		if err == nil {
			err = w.in.Flush()
		}
		acks <- err
	}()

	var accum []byte
	var failure error
	done := false
	// handle takes one item from the reader; it reports whether the task's
	// output is complete.
	handle := func(it item) {
		switch {
		case it.err != nil:
			failure, done = it.err, true
		case it.end:
			accum, done = it.accum, true
		default:
			emit(it.data)
		}
	}
	// wait sends f (or, with f nil, the end of input) and waits for the
	// writer, taking output meanwhile. It reports false when the task has
	// failed.
	wait := func() bool {
		for {
			select {
			case err := <-acks:
				if err != nil && failure == nil {
					// The worker stopped reading its input: its output
					// says why (a traceback), else how it ended. (It may
					// be gone before its last words are read.)
					for !done {
						handle(<-items)
					}
					if failure == nil {
						failure = w.exitError()
					}
				}
				return failure == nil
			case it := <-items:
				handle(it)
				if failure != nil {
					return false
				}
			}
		}
	}
	// The input stops early when the output has ended (a function that
	// reads only part of its input, as take's): the worker skips the rest
	// up to the end marker.
	inputOK := true
	for f := range in {
		sent := false
		for !sent && failure == nil && !done {
			select {
			case reqs <- f:
				sent = true
			case it := <-items:
				handle(it)
			}
		}
		if failure != nil || (sent && !wait()) {
			inputOK = false
			break
		}
		if done {
			break
		}
	}
	close(reqs)
	if inputOK {
		wait()
	}
	for !done {
		handle(<-items)
	}
	if failure != nil {
		return nil, failure
	}
	return accum, nil
}

// read turns the worker's output into items until the end of the task.
func (w *worker) read(items chan<- item, quit <-chan struct{}) {
	give := func(it item) bool {
		select {
		case items <- it:
			return true
		case <-quit:
			return false
		}
	}
	fail := func(err error) {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, os.ErrClosed) {
			err = w.exitError()
		}
		give(item{err: err})
	}
	for {
		n, err := readHeader(w.out)
		if err != nil {
			fail(err)
			return
		}
		switch n {
		case endOfData:
			acc, err := readFrame(w.out)
			if err != nil {
				fail(err)
				return
			}
			give(item{end: true, accum: acc})
			return
		case pythonError:
			tb, err := readFrame(w.out)
			if err != nil {
				fail(err)
				return
			}
			give(item{err: &TaskError{Traceback: string(tb)}})
			return
		}
		p, err := readBody(w.out, n)
		if err != nil {
			fail(err)
			return
		}
		if !give(item{data: p}) {
			return
		}
	}
}

// value reads a broadcast value, turning the panic of a failed fetch into
// an error.
func value(b *spark.Broadcast[[]byte]) (v []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("pyrun: %v", r)
		}
	}()
	return b.Value(), nil
}

// pyFilePaths materializes the py-files in this process (once, in a
// directory named by their content) and returns the entries to put on
// the workers' sys.path: the directory of a .py, the .zip or .egg itself.
func pyFilePaths(ids []int64) ([]string, error) {
	var paths []string
	for _, id := range ids {
		v, err := proc.lookup(id)
		if err != nil {
			return nil, err
		}
		data, err := value(v.b)
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(data)
		dir := filepath.Join(cacheRoot(), "files", hex.EncodeToString(sum[:12]))
		file := filepath.Join(dir, v.name)
		if _, err := os.Stat(file); err != nil {
			if err := writeAtomic(dir, v.name, data); err != nil {
				return nil, fmt.Errorf("py-file %s: %w", v.name, err)
			}
		}
		if strings.HasSuffix(v.name, ".py") {
			paths = append(paths, dir)
		} else {
			paths = append(paths, file)
		}
	}
	return paths, nil
}

func writeAtomic(dir, name string, data []byte) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(f.Name())
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return err
	}
	return os.Rename(f.Name(), filepath.Join(dir, name))
}
