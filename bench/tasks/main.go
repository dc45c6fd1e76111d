// Command tasks measures the driver's side of task scheduling: a real
// cluster.Driver behind the real schedulers, with simulated executors
// (internal/cluster/simexec) connected over loopback and authenticated
// with the application's secret. It prints tasks dispatched and completed
// per second, the driver's CPU per task, its memory per executor, and the
// outcome of a heartbeat storm.
//
// The executors run in a child process (this command started again with
// -fleet), so the figures are the driver's alone; -inproc keeps them in
// the driver's process.
//
//	go run ./bench/tasks -executors 1000 -tasks 100000
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gospark/gospark/internal/cluster/simexec"
	"github.com/gospark/gospark/internal/rpc"
)

const secretEnv = "GOSPARK_SIMEXEC_SECRET"

func main() {
	executors := flag.Int("executors", 1000, "simulated executors")
	cores := flag.Int("cores", 1, "cores (task slots) per executor")
	tasks := flag.Int("tasks", 100000, "tiny tasks in the job")
	jobs := flag.Int("jobs", 1, "jobs to run one after another, each of -tasks tasks")
	rounds := flag.Int("storm", 20, "heartbeat storm rounds (every executor heartbeats at once)")
	heartbeat := flag.Duration("heartbeat", 10*time.Second, "spark.executor.heartbeatInterval of the executors")
	timeout := flag.Duration("timeout", 120*time.Second, "spark.network.timeout of the driver")
	inproc := flag.Bool("inproc", false, "run the executors in the driver's process")
	cpuprofile := flag.String("cpuprofile", "", "write the driver's CPU profile of the jobs to this file")
	fleet := flag.String("fleet", "", "internal: run the executors only, for the driver at this address")
	flag.Parse()
	log.SetFlags(0)
	if *fleet != "" {
		if err := runFleet(*fleet, *executors, *cores, *heartbeat); err != nil {
			log.Fatal(err)
		}
		return
	}
	if err := run(*executors, *cores, *tasks, *jobs, *rounds, *heartbeat, *timeout, *inproc, *cpuprofile); err != nil {
		log.Fatal(err)
	}
}

// fleetCtl drives the executors, in this process or in the child.
type fleetCtl interface {
	storm(ctx context.Context, rounds int) error
	launches() (int64, error)
	close() error
}

func run(executors, cores, tasks, jobs, rounds int, heartbeat, timeout time.Duration, inproc bool, cpuprofile string) error {
	ctx := context.Background()
	secret, err := rpc.NewSecret()
	if err != nil {
		return err
	}
	h, err := simexec.NewHarness(simexec.HarnessOptions{Sec: &rpc.Security{Secret: []byte(secret)}, Timeout: timeout})
	if err != nil {
		return err
	}
	defer h.Close()
	heap0, rss0 := memory()

	start := time.Now()
	var f fleetCtl
	if inproc {
		fl, err := simexec.StartFleet(ctx, simexec.FleetOptions{DriverAddr: h.Addr(), Sec: &rpc.Security{Secret: []byte(secret)},
			Executors: executors, Cores: cores, Heartbeat: heartbeat})
		if err != nil {
			return err
		}
		f = inprocFleet{fl}
	} else {
		f, err = startChild(h.Addr(), secret, executors, cores, heartbeat)
		if err != nil {
			return err
		}
	}
	defer f.close()
	regCtx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	err = h.WaitRegistered(regCtx, executors)
	cancel()
	if err != nil {
		return err
	}
	regTime := time.Since(start)
	heap1, rss1 := memory()
	where := "child process"
	if inproc {
		where = "driver's process (figures include the executors)"
	}
	fmt.Printf("executors: %d x %d cores, simulated in the %s; registered in %s (%.0f/s)\n",
		executors, cores, where, regTime.Round(time.Millisecond), float64(executors)/regTime.Seconds())
	fmt.Printf("driver memory per executor: heap %.1f KiB, RSS %.1f KiB (heap %d -> %d MiB, RSS %d -> %d MiB)\n",
		float64(heap1-heap0)/1024/float64(executors), float64(rss1-rss0)/1024/float64(executors),
		heap0>>20, heap1>>20, rss0>>20, rss1>>20)

	if cpuprofile != "" {
		pf, err := os.Create(cpuprofile)
		if err != nil {
			return err
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			return err
		}
	}
	cpu0 := cpuTime()
	var total time.Duration
	for j := range jobs {
		res, err := h.RunJob(ctx, tasks)
		if err != nil {
			return err
		}
		for p, n := range res.Results {
			if n != 1 {
				return fmt.Errorf("job %d: partition %d has %d results", j, p, n)
			}
		}
		total += res.Duration
		fmt.Printf("job %d: %d tasks in %s: %.0f tasks/s\n", j, tasks, res.Duration.Round(time.Millisecond), float64(tasks)/res.Duration.Seconds())
	}
	cpu := cpuTime() - cpu0
	if cpuprofile != "" {
		pprof.StopCPUProfile()
	}
	n := tasks * jobs
	fmt.Printf("tasks: %d in %s: %.0f tasks/s dispatched and completed; driver CPU %.1f µs per task (%.2f cores busy)\n",
		n, total.Round(time.Millisecond), float64(n)/total.Seconds(), float64(cpu.Microseconds())/float64(n), cpu.Seconds()/total.Seconds())
	if l, err := f.launches(); err != nil {
		return err
	} else if l != int64(n) {
		return fmt.Errorf("executors ran %d task attempts, want %d", l, n)
	}

	stormStart := time.Now()
	stormCtx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	err = f.storm(stormCtx, rounds)
	cancel()
	if err != nil {
		return err
	}
	d := time.Since(stormStart)
	fmt.Printf("heartbeat storm: %d rounds of %d simultaneous heartbeats in %s (%.0f heartbeats/s acknowledged)\n",
		rounds, executors, d.Round(time.Millisecond), float64(rounds*executors)/d.Seconds())
	lost := h.Lost()
	fmt.Printf("executors declared lost: %d\n", len(lost))
	if len(lost) > 0 {
		return fmt.Errorf("the driver declared live executors lost: %v", lost)
	}
	return nil
}

// memory is the heap in use after a collection and the resident set.
func memory() (heap, rss uint64) {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	heap = m.HeapInuse + m.StackInuse
	b, err := os.ReadFile("/proc/self/status")
	if err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
				kb, _ := strconv.ParseUint(f[1], 10, 64)
				rss = kb << 10
			}
		}
	}
	return heap, rss
}

// cpuTime is the process's user and system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

type inprocFleet struct{ f *simexec.Fleet }

func (i inprocFleet) storm(ctx context.Context, rounds int) error { return i.f.Storm(ctx, rounds) }
func (i inprocFleet) launches() (int64, error)                    { return i.f.Launches(), nil }
func (i inprocFleet) close() error                                { i.f.Close(); return nil }

// child is the fleet in a child process, driven by lines on its stdin:
// "storm N" and "launches", each answered by one line.
type child struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Reader
}

func startChild(addr, secret string, executors, cores int, heartbeat time.Duration) (*child, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, "-fleet", addr, "-executors", strconv.Itoa(executors), "-cores", strconv.Itoa(cores),
		"-heartbeat", heartbeat.String())
	cmd.Env = append(os.Environ(), secretEnv+"="+secret)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the executors' process: %w", err)
	}
	c := &child{cmd: cmd, in: in, out: bufio.NewReader(out)}
	if line, err := c.out.ReadString('\n'); err != nil || strings.TrimSpace(line) != "ready" {
		c.close()
		return nil, fmt.Errorf("the executors' process did not start: %q %v", line, err)
	}
	return c, nil
}

func (c *child) ask(q string) (string, error) {
	if _, err := fmt.Fprintln(c.in, q); err != nil {
		return "", err
	}
	line, err := c.out.ReadString('\n')
	if err != nil {
		return "", fmt.Errorf("the executors' process: %w", err)
	}
	line = strings.TrimSpace(line)
	if rest, ok := strings.CutPrefix(line, "error "); ok {
		return "", errors.New(rest)
	}
	return line, nil
}

func (c *child) storm(_ context.Context, rounds int) error {
	_, err := c.ask(fmt.Sprintf("storm %d", rounds))
	return err
}

func (c *child) launches() (int64, error) {
	s, err := c.ask("launches")
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(s, 10, 64)
}

func (c *child) close() error {
	c.in.Close()
	return c.cmd.Wait()
}

func runFleet(addr string, executors, cores int, heartbeat time.Duration) error {
	ctx := context.Background()
	f, err := simexec.StartFleet(ctx, simexec.FleetOptions{DriverAddr: addr, Sec: &rpc.Security{Secret: []byte(os.Getenv(secretEnv))},
		Executors: executors, Cores: cores, Heartbeat: heartbeat})
	if err != nil {
		return err
	}
	defer f.Close()
	fmt.Println("ready")
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		switch fields := strings.Fields(sc.Text()); {
		case len(fields) == 2 && fields[0] == "storm":
			n, _ := strconv.Atoi(fields[1])
			sctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
			err := f.Storm(sctx, n)
			cancel()
			if err != nil {
				fmt.Println("error", err)
			} else {
				fmt.Println("ok")
			}
		case len(fields) == 1 && fields[0] == "launches":
			fmt.Println(f.Launches())
		default:
			fmt.Println("error unknown command", sc.Text())
		}
	}
	return nil
}
