package pyrun

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/gospark/gospark/internal/config"
	"github.com/gospark/gospark/spark"
)

// Environment of the Python driver program: where the gateway listens and
// the secret that opens it.
const (
	EnvGateway = "GOSPARK_PY_GATEWAY"
	EnvSecret  = "GOSPARK_PY_SECRET"
)

// request is one call of the Python driver (docs/python.md); Blobs binary
// frames follow it.
type request struct {
	Op    string            `json:"op"`
	Blobs int               `json:"blobs"`
	Conf  map[string]string `json:"conf,omitempty"`
	Node  *nodeRequest      `json:"node,omitempty"`
	ID    int64             `json:"id,omitempty"`
	N     int               `json:"n,omitempty"`
	Path  string            `json:"path,omitempty"`
}

// nodeRequest is a node of a Python RDD's lineage; parallelize's batches
// and python's function come as the request's binary frames.
type nodeRequest struct {
	Kind          string  `json:"kind"`
	Parents       []int64 `json:"parents"`
	Path          string  `json:"path"`
	MinPartitions int     `json:"minPartitions"`
	In            string  `json:"in"`
	Out           string  `json:"out"`
	Broadcasts    []int64 `json:"broadcasts"`
	// Packed: a textFile node of spark.read.text, partitioned as Spark
	// SQL's file sources.
	Packed     bool `json:"packed"`
	Partitions int  `json:"partitions"`
	Level      int  `json:"level"`
}

// response answers a request: Accums frames of accumulator updates, then
// Blobs data frames follow it.
type response struct {
	OK          bool   `json:"ok"`
	Error       string `json:"error,omitempty"`
	ID          int64  `json:"id,omitempty"`
	Partitions  int    `json:"partitions,omitempty"`
	Parallelism int    `json:"parallelism,omitempty"`
	// ExplicitParallelism says spark.default.parallelism is set (the
	// default number of reduce partitions is then that, else the parent's).
	ExplicitParallelism bool   `json:"explicitParallelism,omitempty"`
	AppID               string `json:"appId,omitempty"`
	AppName             string `json:"appName,omitempty"`
	Master              string `json:"master,omitempty"`
	Accums              int    `json:"accums,omitempty"`
	Blobs               int    `json:"blobs,omitempty"`
}

// Gateway is the driver's server for the Python driver program.
type Gateway struct {
	ctx     context.Context
	conf    *config.Conf // what gospark submit passed
	pyFiles []string     // spark.submit.pyFiles, local paths
	secret  string
	ln      net.Listener

	mu      sync.Mutex
	sess    *spark.Session
	stopped bool
	nodes   map[int64]*spark.Dataset[[]byte]
	worker  WorkerConf
	accSeen int
	// nextShared numbers broadcast variables and py-files.
	nextShared int64
}

// NewGateway listens on a loopback port with a fresh secret.
func NewGateway(ctx context.Context, conf *config.Conf, pyFiles []string) (*Gateway, error) {
	var b [24]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("pyrun: gateway: %w", err)
	}
	g := &Gateway{ctx: ctx, conf: conf, pyFiles: pyFiles, secret: hex.EncodeToString(b[:]), ln: ln,
		nodes: map[int64]*spark.Dataset[[]byte]{}}
	go g.serve()
	return g, nil
}

// Env is what the Python driver needs to reach the gateway.
func (g *Gateway) Env() []string {
	return []string{EnvGateway + "=" + g.ln.Addr().String(), EnvSecret + "=" + g.secret}
}

// Close stops listening and stops the session if the program did not.
func (g *Gateway) Close() error {
	g.ln.Close()
	g.mu.Lock()
	s := g.sess
	stopped := g.stopped
	g.stopped = true
	g.mu.Unlock()
	if s != nil && !stopped {
		return s.Stop()
	}
	return nil
}

func (g *Gateway) serve() {
	for {
		c, err := g.ln.Accept()
		if err != nil {
			return
		}
		go g.handle(c)
	}
}

func (g *Gateway) handle(c net.Conn) {
	defer c.Close()
	r := bufio.NewReaderSize(c, 256<<10)
	w := bufio.NewWriterSize(c, 256<<10)
	secret, err := readFrame(r)
	if err != nil || subtle.ConstantTimeCompare(secret, []byte(g.secret)) != 1 {
		return
	}
	for {
		head, err := readFrame(r)
		if err != nil {
			return
		}
		var req request
		var blobs [][]byte
		err = json.Unmarshal(head, &req)
		for i := 0; err == nil && i < req.Blobs; i++ {
			var b []byte
			if b, err = readFrame(r); err == nil {
				blobs = append(blobs, b)
			}
		}
		if err != nil {
			return
		}
		resp, out, err := g.call(&req, blobs)
		var accums [][]byte
		if err != nil {
			resp = response{Error: err.Error()}
		} else {
			resp.OK = true
			accums = g.newAccums()
		}
		resp.Accums, resp.Blobs = len(accums), len(out)
		body, _ := json.Marshal(resp)
		if writeFrame(w, body) != nil {
			return
		}
		for _, b := range slices.Concat(accums, out) {
			if writeFrame(w, b) != nil {
				return
			}
		}
		if w.Flush() != nil {
			return
		}
	}
}

// newAccums returns the accumulator updates of tasks that ended since the
// last call.
func (g *Gateway) newAccums() [][]byte {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.worker.Acc == nil {
		return nil
	}
	all := g.worker.Acc.Value()
	out := all[g.accSeen:]
	g.accSeen = len(all)
	return out
}

func (g *Gateway) session() (*spark.Session, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.sess == nil {
		return nil, errors.New("no SparkContext: create one with SparkSession.builder.getOrCreate()")
	}
	if g.stopped {
		return nil, errors.New("the SparkContext was stopped")
	}
	return g.sess, nil
}

func (g *Gateway) dataset(id int64) (*spark.Dataset[[]byte], error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	d, ok := g.nodes[id]
	if !ok {
		return nil, fmt.Errorf("no dataset %d", id)
	}
	return d, nil
}

// linesFn turns frames of lines into lines, for saveAsTextFile.
var linesFn = spark.Func1(func(p *spark.Plan, d *spark.Dataset[[]byte]) *spark.Dataset[string] {
	return spark.FlatMap(spark.Import(p, d), func(f []byte) []string { return strings.Split(string(f), "\n") })
})

func (g *Gateway) call(req *request, blobs [][]byte) (response, [][]byte, error) {
	ctx := g.ctx
	if req.Op == "start" {
		return g.start(req.Conf)
	}
	s, err := g.session()
	if err != nil {
		return response{}, nil, err
	}
	switch req.Op {
	case "node":
		if req.Node == nil {
			return response{}, nil, errors.New("node: no node")
		}
		d, err := g.node(s, req.Node, blobs)
		if err != nil {
			return response{}, nil, err
		}
		return response{ID: d.ID(), Partitions: d.NumPartitions()}, nil, nil
	case "collect":
		d, err := g.dataset(req.ID)
		if err != nil {
			return response{}, nil, err
		}
		out, err := spark.Collect(ctx, d)
		return response{}, out, err
	case "take":
		d, err := g.dataset(req.ID)
		if err != nil {
			return response{}, nil, err
		}
		out, err := spark.Take(ctx, d, req.N)
		return response{}, out, err
	case "save":
		d, err := g.dataset(req.ID)
		if err != nil {
			return response{}, nil, err
		}
		return response{}, nil, spark.SaveAsTextFile(ctx, linesFn.Call(s, d), req.Path)
	case "unpersist":
		d, err := g.dataset(req.ID)
		if err != nil {
			return response{}, nil, err
		}
		d.Unpersist()
		return response{}, nil, nil
	case "broadcast":
		if len(blobs) != 1 {
			return response{}, nil, errors.New("broadcast: want one value")
		}
		id, err := g.share(s, "", blobs[0])
		return response{ID: id}, nil, err
	case "addPyFile":
		return response{}, nil, g.addPyFile(s, req.Path)
	case "parallelism":
		return response{Parallelism: s.DefaultParallelism()}, nil, nil
	case "stop":
		g.mu.Lock()
		stopped := g.stopped
		g.stopped = true
		g.mu.Unlock()
		if !stopped {
			return response{}, nil, s.Stop()
		}
		return response{}, nil, nil
	}
	return response{}, nil, fmt.Errorf("unknown operation %q", req.Op)
}

// start creates the session (SparkSession.builder.getOrCreate()) with the
// builder's properties over gospark submit's, or returns the running one.
func (g *Gateway) start(builder map[string]string) (response, [][]byte, error) {
	g.mu.Lock()
	s := g.sess
	g.mu.Unlock()
	if s == nil {
		conf := g.conf.Clone()
		var opts []spark.SessionOption
		for _, k := range slices.Sorted(maps.Keys(builder)) {
			if err := conf.Set(k, builder[k]); err != nil {
				return response{}, nil, err
			}
			opts = append(opts, spark.Conf(k, builder[k]))
		}
		python := workerPython(conf)
		var err error
		s, err = spark.NewSession(g.ctx, opts...)
		if err != nil {
			return response{}, nil, err
		}
		wc := WorkerConf{Python: python, Reuse: conf.Bool("spark.python.worker.reuse"),
			Memory: conf.Bytes("spark.python.worker.memory"),
			Acc:    spark.NewAccumulator(s, "python accumulators", nil, func(a, b [][]byte) [][]byte { return append(a, b...) })}
		g.mu.Lock()
		g.sess, g.worker = s, wc
		g.mu.Unlock()
		for _, f := range g.pyFiles {
			if err := g.addPyFile(s, f); err != nil {
				return response{}, nil, err
			}
		}
	}
	explicit, _ := s.GetConf("spark.default.parallelism")
	return response{AppID: s.AppID(), AppName: s.AppName(), Master: s.Master(), Parallelism: s.DefaultParallelism(),
		ExplicitParallelism: explicit != ""}, nil, nil
}

// share broadcasts a value (name "") or a py-file to the executors.
func (g *Gateway) share(s *spark.Session, name string, v []byte) (int64, error) {
	b, err := spark.NewBroadcast(s, v)
	if err != nil {
		return 0, err
	}
	g.mu.Lock()
	g.nextShared++
	id := g.nextShared
	g.mu.Unlock()
	if d := sharedFn.Call(s, id, name, b); d.Err() != nil {
		return 0, d.Err()
	}
	return id, nil
}

// addPyFile ships a .py, .zip or .egg to the executors' Python workers.
func (g *Gateway) addPyFile(s *spark.Session, path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("addPyFile: %w", err)
	}
	id, err := g.share(s, filepath.Base(path), data)
	if err != nil {
		return err
	}
	g.mu.Lock()
	g.worker.PyFiles = append(g.worker.PyFiles, id)
	g.mu.Unlock()
	return nil
}

func (g *Gateway) node(s *spark.Session, n *nodeRequest, blobs [][]byte) (*spark.Dataset[[]byte], error) {
	parents := make([]*spark.Dataset[[]byte], len(n.Parents))
	for i, id := range n.Parents {
		d, err := g.dataset(id)
		if err != nil {
			return nil, err
		}
		parents[i] = d
	}
	spec := Spec{Kind: n.Kind, Level: n.Level}
	var d *spark.Dataset[[]byte]
	want := 1
	switch n.Kind {
	case kindParallelize:
		want = 0
		spec.Blobs = blobs
		d = sourceFn.Call(s, spec)
	case kindTextFile:
		want = 0
		spec.Path, spec.MinPartitions = n.Path, n.MinPartitions
		if n.Packed {
			pk, err := filePacking(s)
			if err != nil {
				return nil, err
			}
			spec.Packing = &pk
		}
		d = sourceFn.Call(s, spec)
	case kindPython:
		if len(blobs) != 1 {
			return nil, errors.New("python node: want the function")
		}
		if !slices.Contains([]string{modePickle, modeLines}, n.In) || !slices.Contains([]string{modePickle, modeLines, modePartitioned}, n.Out) {
			return nil, fmt.Errorf("python node: bad modes %q -> %q", n.In, n.Out)
		}
		g.mu.Lock()
		spec.Worker = g.worker
		spec.Worker.PyFiles = slices.Clone(g.worker.PyFiles)
		g.mu.Unlock()
		spec.Command, spec.In, spec.Out, spec.Broadcasts = blobs[0], n.In, n.Out, n.Broadcasts
	case kindShuffle, kindCoalesce:
		spec.Partitions = n.Partitions
		if n.Partitions < 1 {
			return nil, fmt.Errorf("%s: want at least 1 partition, got %d", n.Kind, n.Partitions)
		}
	case kindPersist:
	case kindUnion:
		want = 2
	default:
		return nil, fmt.Errorf("unknown node kind %q", n.Kind)
	}
	if len(parents) != want {
		return nil, fmt.Errorf("%s node: want %d parents, got %d", n.Kind, want, len(parents))
	}
	switch want {
	case 1:
		d = unaryFn.Call(s, spec, parents[0])
	case 2:
		d = unionFn.Call(s, spec, parents[0], parents[1])
	}
	if err := d.Err(); err != nil {
		return nil, err
	}
	g.mu.Lock()
	g.nodes[d.ID()] = d
	g.mu.Unlock()
	return d, nil
}

// filePacking is the session's spark.sql.files.* properties, as
// spark.read.text's partitioning takes them.
func filePacking(s *spark.Session) (spark.FilePacking, error) {
	var pk spark.FilePacking
	for _, b := range []struct {
		name string
		to   *int64
	}{{"spark.sql.files.maxPartitionBytes", &pk.MaxPartitionBytes}, {"spark.sql.files.openCostInBytes", &pk.OpenCostInBytes}} {
		v, err := s.GetConf(b.name)
		if err != nil {
			return pk, err
		}
		if *b.to, err = config.ParseBytes(v, "b"); err != nil {
			return pk, fmt.Errorf("%s: %w", b.name, err)
		}
	}
	pk.MinPartitions = s.DefaultParallelism()
	if v, err := s.GetConf("spark.sql.files.minPartitionNum"); err != nil {
		return pk, err
	} else if v != "" {
		if pk.MinPartitions, err = strconv.Atoi(v); err != nil {
			return pk, fmt.Errorf("spark.sql.files.minPartitionNum: %w", err)
		}
	}
	return pk, nil
}
