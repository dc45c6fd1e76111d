// Command rpc measures candidate driver<->executor transports for gospark
// (issue 3): gRPC, HTTP/2 cleartext (h2c) and a hand-written framed TCP
// protocol. Servers and clients run in this one process on 127.0.0.1; every
// loop is bounded in count and time and the program exits by itself.
//
// Usage (from bench/rpc):
//
//	go run . -out results.md
package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

const (
	smallReqSize  = 200
	smallRespSize = 100
	blockSize     = 1 << 20
	numBlocks     = 64
)

var (
	// blocks are served by every transport's server; block i starts with
	// the 8-byte id i and ends with its bitwise complement so clients can
	// check they got the right block without a full comparison.
	blocks [][]byte
	// chunkSize is the message/write size used to stream a block over
	// gRPC and h2c (the TCP protocol sends a block as one frame).
	chunkSize = 256 << 10
)

// client is what the benchmark drives; one client holds one connection
// to its peer and is safe for concurrent use.
type client interface {
	// Call sends a small request and returns the small response.
	Call(ctx context.Context, req []byte) ([]byte, error)
	// Fetch reads block id into dst and returns its length.
	Fetch(ctx context.Context, id int, dst []byte) (int, error)
	Close() error
}

type transport struct {
	name  string
	serve func(secret []byte) (addr string, stop func(), err error)
	dial  func(addr string, secret []byte) (client, error)
}

var transports = []transport{
	{"gRPC", serveGRPC(false), dialGRPC(false)},
	{"gRPC tuned", serveGRPC(true), dialGRPC(true)},
	{"h2c", serveH2C(false), dialH2C(false)},
	{"h2c tuned", serveH2C(true), dialH2C(true)},
	{"framed TCP", serveTCP, dialTCP},
}

// handleSmall is the server-side work for a small call, shared by all
// transports: echo the 8-byte sequence number into a 100-byte response.
func handleSmall(req []byte) ([]byte, error) {
	if len(req) != smallReqSize {
		return nil, fmt.Errorf("bad request size %d", len(req))
	}
	resp := make([]byte, smallRespSize)
	copy(resp, req[:8])
	return resp, nil
}

func blockFor(id int) ([]byte, error) {
	if id < 0 || id >= len(blocks) {
		return nil, fmt.Errorf("no block %d", id)
	}
	return blocks[id], nil
}

func makeBlocks() {
	r := rand.New(rand.NewChaCha8([32]byte{1, 2, 3}))
	blocks = make([][]byte, numBlocks)
	for i := range blocks {
		b := make([]byte, blockSize)
		for j := 0; j+8 <= len(b); j += 8 {
			binary.LittleEndian.PutUint64(b[j:], r.Uint64())
		}
		binary.LittleEndian.PutUint64(b, uint64(i))
		binary.LittleEndian.PutUint64(b[len(b)-8:], ^uint64(i))
		blocks[i] = b
	}
}

func checkBlock(id int, b []byte) error {
	if len(b) != blockSize {
		return fmt.Errorf("block %d: got %d bytes", id, len(b))
	}
	if binary.LittleEndian.Uint64(b) != uint64(id) || binary.LittleEndian.Uint64(b[len(b)-8:]) != ^uint64(id) {
		return fmt.Errorf("block %d: wrong content", id)
	}
	return nil
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

type result struct {
	ops     int
	bytes   int64
	elapsed time.Duration
	cpu     time.Duration
	lats    []time.Duration // sorted
}

func (r result) opsPerSec() float64 { return float64(r.ops) / r.elapsed.Seconds() }
func (r result) mbPerSec() float64  { return float64(r.bytes) / 1e6 / r.elapsed.Seconds() }
func (r result) pct(p float64) time.Duration {
	if len(r.lats) == 0 {
		return 0
	}
	i := int(p * float64(len(r.lats)-1))
	return r.lats[i]
}

// runSmall drives conc concurrent callers for dur (at most maxOps calls).
func runSmall(cl client, conc int, dur time.Duration, maxOps int) (result, error) {
	ctx, cancel := context.WithTimeout(context.Background(), dur+30*time.Second)
	defer cancel()
	var issued atomic.Int64
	var firstErr error
	var errOnce sync.Once
	lats := make([][]time.Duration, conc)
	var wg sync.WaitGroup
	runtime.GC()
	cpu0 := cpuTime()
	start := time.Now()
	deadline := start.Add(dur)
	for w := range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := make([]byte, smallReqSize)
			for i := range req {
				req[i] = byte(w + i)
			}
			my := make([]time.Duration, 0, maxOps/conc+1)
			for {
				n := issued.Add(1)
				if n > int64(maxOps) || time.Now().After(deadline) || ctx.Err() != nil {
					break
				}
				binary.LittleEndian.PutUint64(req, uint64(n))
				t0 := time.Now()
				resp, err := cl.Call(ctx, req)
				d := time.Since(t0)
				if err == nil && (len(resp) != smallRespSize || !bytes.Equal(resp[:8], req[:8])) {
					err = fmt.Errorf("bad response (%d bytes)", len(resp))
				}
				if err != nil {
					errOnce.Do(func() { firstErr = err; cancel() })
					break
				}
				my = append(my, d)
			}
			lats[w] = my
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	cpu := cpuTime() - cpu0
	if firstErr != nil {
		return result{}, firstErr
	}
	all := slices.Concat(lats...)
	slices.Sort(all)
	return result{ops: len(all), bytes: int64(len(all)) * (smallReqSize + smallRespSize), elapsed: elapsed, cpu: cpu, lats: all}, nil
}

// runBulk fetches all 64 blocks with conc concurrent fetchers, round after
// round, until dur has passed (at least one round, at most maxRounds).
func runBulk(cl client, conc int, dur time.Duration, maxRounds int) (result, error) {
	ctx, cancel := context.WithTimeout(context.Background(), dur+60*time.Second)
	defer cancel()
	dsts := make([][]byte, conc)
	for i := range dsts {
		dsts[i] = make([]byte, blockSize)
	}
	var total atomic.Int64
	var firstErr error
	var errOnce sync.Once
	runtime.GC()
	cpu0 := cpuTime()
	start := time.Now()
	ops := 0
	for round := 0; round < maxRounds && (round == 0 || time.Since(start) < dur); round++ {
		var next atomic.Int64
		var wg sync.WaitGroup
		for w := range conc {
			wg.Add(1)
			go func() {
				defer wg.Done()
				dst := dsts[w]
				for ctx.Err() == nil {
					id := int(next.Add(1) - 1)
					if id >= numBlocks {
						return
					}
					n, err := cl.Fetch(ctx, id, dst)
					if err == nil {
						err = checkBlock(id, dst[:n])
					}
					if err != nil {
						errOnce.Do(func() { firstErr = err; cancel() })
						return
					}
					total.Add(int64(n))
				}
			}()
		}
		wg.Wait()
		if firstErr != nil {
			return result{}, firstErr
		}
		ops += numBlocks
	}
	elapsed := time.Since(start)
	return result{ops: ops, bytes: total.Load(), elapsed: elapsed, cpu: cpuTime() - cpu0}, nil
}

type scenario struct {
	name string
	bulk bool
	conc int
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func main() {
	out := flag.String("out", "results.md", "Markdown file to write")
	dur := flag.Duration("dur", 2*time.Second, "duration of one measured run")
	reps := flag.Int("reps", 3, "runs per transport and scenario (median reported)")
	maxOps := flag.Int("maxops", 1_000_000, "upper bound on small calls per run")
	maxRounds := flag.Int("maxrounds", 200, "upper bound on 64-block rounds per run")
	chunk := flag.Int("chunk", 256<<10, "message size for streaming a block over gRPC and h2c")
	timeout := flag.Duration("timeout", 10*time.Minute, "abort the whole program after this long")
	flag.Parse()
	chunkSize = *chunk
	if chunkSize <= 0 || blockSize%chunkSize != 0 {
		fmt.Fprintln(os.Stderr, "-chunk must divide 1 MiB")
		os.Exit(2)
	}
	time.AfterFunc(*timeout, func() {
		fmt.Fprintln(os.Stderr, "bench/rpc: overall timeout reached, aborting")
		os.Exit(3)
	})
	if err := run(*out, *dur, *reps, *maxOps, *maxRounds); err != nil {
		fmt.Fprintln(os.Stderr, "bench/rpc:", err)
		os.Exit(1)
	}
}

func run(out string, dur time.Duration, reps, maxOps, maxRounds int) error {
	makeBlocks()
	secret := []byte("gospark-bench-application-secret")
	clients := make([]client, len(transports))
	var authNotes []string
	for i, t := range transports {
		addr, stop, err := t.serve(secret)
		if err != nil {
			return fmt.Errorf("%s: serve: %w", t.name, err)
		}
		defer stop()
		// A client with the wrong secret must get nothing.
		// Both a small call and a block fetch must be refused.
		bad, err := t.dial(addr, []byte("wrong-secret"))
		if err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_, errCall := bad.Call(ctx, make([]byte, smallReqSize))
			_, errFetch := bad.Fetch(ctx, 0, make([]byte, blockSize))
			cancel()
			bad.Close()
			if errCall == nil || errFetch == nil {
				return fmt.Errorf("%s: client with wrong secret was served (call err %v, fetch err %v)", t.name, errCall, errFetch)
			}
			err = errCall
		}
		authNotes = append(authNotes, fmt.Sprintf("%s: wrong secret refused (%v)", t.name, firstLine(err)))
		cl, err := t.dial(addr, secret)
		if err != nil {
			return fmt.Errorf("%s: dial: %w", t.name, err)
		}
		defer cl.Close()
		clients[i] = cl
	}
	for _, n := range authNotes {
		fmt.Println(n)
	}

	scenarios := []scenario{
		{"small RPC", false, 1},
		{"small RPC", false, 16},
		{"block fetch", true, 1},
		{"block fetch", true, 4},
	}
	results := make([][][]result, len(scenarios)) // [scenario][transport][rep]
	for si, sc := range scenarios {
		results[si] = make([][]result, len(transports))
		// Warm-up, not recorded.
		for ti := range transports {
			var err error
			if sc.bulk {
				_, err = runBulk(clients[ti], sc.conc, 0, 1)
			} else {
				_, err = runSmall(clients[ti], sc.conc, 300*time.Millisecond, maxOps)
			}
			if err != nil {
				return fmt.Errorf("%s warm-up %s: %w", transports[ti].name, sc.name, err)
			}
		}
		for rep := range reps {
			// Alternate transports; rotate the starting one each repetition.
			for k := range transports {
				ti := (k + rep) % len(transports)
				var r result
				var err error
				if sc.bulk {
					r, err = runBulk(clients[ti], sc.conc, dur, maxRounds)
				} else {
					r, err = runSmall(clients[ti], sc.conc, dur, maxOps)
				}
				if err != nil {
					return fmt.Errorf("%s %s x%d: %w", transports[ti].name, sc.name, sc.conc, err)
				}
				if sc.bulk {
					fmt.Printf("%-12s %-11s x%-2d rep %d: %8.1f MB/s  cpu %.2fs\n", transports[ti].name, sc.name, sc.conc, rep, r.mbPerSec(), r.cpu.Seconds())
				} else {
					fmt.Printf("%-12s %-11s x%-2d rep %d: %8.0f calls/s p50 %v p99 %v cpu %.2fs\n", transports[ti].name, sc.name, sc.conc, rep, r.opsPerSec(), r.pct(0.5), r.pct(0.99), r.cpu.Seconds())
				}
				results[si][ti] = append(results[si][ti], r)
			}
		}
	}
	return writeReport(out, dur, reps, scenarios, results, authNotes)
}

func firstLine(err error) string {
	if err == nil {
		return "no error"
	}
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 120 {
		s = s[:120] + "…"
	}
	return s
}

func us(d float64) string { return fmt.Sprintf("%.0f", d/1e3) }

func writeReport(out string, dur time.Duration, reps int, scenarios []scenario, results [][][]result, authNotes []string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# RPC transport benchmark (bench/rpc)\n\n")
	fmt.Fprintf(&b, "- Command (from `bench/rpc`): `go run . %s`\n", strings.Join(os.Args[1:], " "))
	fmt.Fprintf(&b, "- Go: %s %s/%s, NumCPU=%d, GOMAXPROCS=%d\n", runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.GOMAXPROCS(0))
	fmt.Fprintf(&b, "- Date: %s\n", time.Now().UTC().Format(time.RFC3339))
	fmt.Fprintf(&b, "- Each cell is the median of %d runs of %v; transports alternate run by run. Client and server share one process over 127.0.0.1, one connection per transport; CPU is user+sys of the whole process (client and server) from getrusage.\n", reps, dur)
	fmt.Fprintf(&b, "- Small RPC: %d-byte request, %d-byte response. Block fetch: %d blocks of 1 MiB per round; gRPC and h2c stream a block in %d KiB messages/writes, framed TCP sends it as one frame. MB/s = 10^6 bytes/s.\n", smallReqSize, smallRespSize, numBlocks, chunkSize>>10)
	fmt.Fprintf(&b, "- Variants: \"gRPC\" and \"h2c\" use library defaults; \"gRPC tuned\" sets 4 MiB stream / 16 MiB connection windows (no BDP estimator) and 256 KiB read/write buffers; \"h2c tuned\" raises the max DATA frame size to 1 MiB (both ends). gRPC uses a hand-written raw []byte codec (encoding.CodecV2, no protobuf); h2c is golang.org/x/net/http2 with prior knowledge.\n")
	fmt.Fprintf(&b, "- Auth: gRPC per-RPC metadata HMAC-SHA256 token, h2c per-request header HMAC-SHA256 token, framed TCP HMAC-SHA256 mutual challenge-response once per connection. Check at start-up: %s.\n\n", strings.Join(authNotes, "; "))

	fmt.Fprintf(&b, "## Small request/response (task launch / status)\n\n")
	fmt.Fprintf(&b, "| Transport | Callers | Calls/s | p50 µs | p99 µs | CPU s/run | CPU µs/call |\n|---|---:|---:|---:|---:|---:|---:|\n")
	for si, sc := range scenarios {
		if sc.bulk {
			continue
		}
		for ti, t := range transports {
			rs := results[si][ti]
			var tput, p50, p99, cpu, cpuPer []float64
			for _, r := range rs {
				tput = append(tput, r.opsPerSec())
				p50 = append(p50, float64(r.pct(0.5)))
				p99 = append(p99, float64(r.pct(0.99)))
				cpu = append(cpu, r.cpu.Seconds())
				cpuPer = append(cpuPer, float64(r.cpu.Microseconds())/float64(r.ops))
			}
			fmt.Fprintf(&b, "| %s | %d | %.0f | %s | %s | %.2f | %.1f |\n", t.name, sc.conc, median(tput), us(median(p50)), us(median(p99)), median(cpu), median(cpuPer))
		}
	}
	fmt.Fprintf(&b, "\n## Block transfer (shuffle fetch, 64 × 1 MiB)\n\n")
	fmt.Fprintf(&b, "| Transport | Concurrent fetches | MB/s | CPU s/run | CPU s per GB |\n|---|---:|---:|---:|---:|\n")
	for si, sc := range scenarios {
		if !sc.bulk {
			continue
		}
		for ti, t := range transports {
			rs := results[si][ti]
			var mb, cpu, cpuPer []float64
			for _, r := range rs {
				mb = append(mb, r.mbPerSec())
				cpu = append(cpu, r.cpu.Seconds())
				cpuPer = append(cpuPer, r.cpu.Seconds()/(float64(r.bytes)/1e9))
			}
			fmt.Fprintf(&b, "| %s | %d | %.0f | %.2f | %.2f |\n", t.name, sc.conc, median(mb), median(cpu), median(cpuPer))
		}
	}
	fmt.Fprintf(&b, "\n## Individual runs\n\n| Scenario | Transport | Conc | Run | Ops | Elapsed s | Throughput | CPU s |\n|---|---|---:|---:|---:|---:|---:|---:|\n")
	for si, sc := range scenarios {
		for ti, t := range transports {
			for ri, r := range results[si][ti] {
				tp := fmt.Sprintf("%.0f calls/s", r.opsPerSec())
				if sc.bulk {
					tp = fmt.Sprintf("%.0f MB/s", r.mbPerSec())
				}
				fmt.Fprintf(&b, "| %s | %s | %d | %d | %d | %.2f | %s | %.2f |\n", sc.name, t.name, sc.conc, ri+1, r.ops, r.elapsed.Seconds(), tp, r.cpu.Seconds())
			}
		}
	}
	if err := os.WriteFile(out, []byte(b.String()), 0o644); err != nil {
		return err
	}
	fmt.Print(b.String())
	return nil
}

var errAuth = errors.New("authentication failed")
