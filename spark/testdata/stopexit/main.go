// Command stopexit is a test application of how a local-cluster
// application ends:
//
//	stopexit job|early|slow <spark.local.dir> <run dir>
//
// It starts a session on local-cluster[2,1,512] with the given
// spark.local.dir, then:
//
//   - job: counts a small dataset and exits 0;
//   - early: waits until both executor processes run, then fails before
//     they could register (they are still setting up) and exits 1;
//   - slow: as early, with executors that never register: each makes its
//     local directory as an executor does and waits to be killed.
//
// Just before it stops the session it prints "stopping <Unix time in ns>"
// on stdout. Each executor process writes an empty file named for its pid
// in <run dir> as it starts, and then tells the driver on the socket
// <run dir>/started.
package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/gospark/gospark/spark"
)

var numbers = spark.Func0(func(p *spark.Plan) *spark.Dataset[int64] { return spark.Range(p, 0, 100, 2) })

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: stopexit job|early|slow <spark.local.dir> <run dir>")
		os.Exit(2)
	}
	mode, localDir, runDir := os.Args[1], os.Args[2], os.Args[3]
	sock := filepath.Join(runDir, "started")
	var ln net.Listener
	if os.Getenv("GOSPARK_ROLE") == "executor" {
		executor(mode, localDir, runDir, sock) // then NewSession makes it the executor
	} else {
		var err error
		if ln, err = net.Listen("unix", sock); err != nil {
			fmt.Fprintln(os.Stderr, "stopexit:", err)
			os.Exit(1)
		}
	}
	ctx := context.Background()
	sess, err := spark.NewSession(ctx, spark.Master("local-cluster[2,1,512]"), spark.Conf("spark.local.dir", localDir))
	if err != nil {
		fmt.Fprintln(os.Stderr, "stopexit:", err)
		os.Exit(1)
	}
	code := 1 // early, slow: the application failed
	switch mode {
	case "job":
		n, err := spark.Count(ctx, numbers.Call(sess))
		if err == nil && n == 100 {
			code = 0
		} else {
			fmt.Fprintf(os.Stderr, "stopexit: Count = %d, %v; want 100\n", n, err)
		}
	default:
		if err := waitForExecutors(ln, 2); err != nil {
			fmt.Fprintln(os.Stderr, "stopexit:", err)
			code = 4
		}
	}
	fmt.Printf("stopping %d\n", time.Now().UnixNano())
	if err := sess.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "stopexit:", err)
		code = 1
	}
	os.Exit(code)
}

// executor is the start of an executor process.
func executor(mode, localDir, runDir, sock string) {
	if err := os.WriteFile(filepath.Join(runDir, strconv.Itoa(os.Getpid())), nil, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "stopexit executor:", err)
	}
	if mode == "slow" {
		// What an executor killed while it registers leaves behind.
		name := "gospark-" + os.Getenv("GOSPARK_APP_ID") + "-exec-" + os.Getenv("GOSPARK_EXECUTOR_ID") + "-"
		if dir, err := os.MkdirTemp(localDir, name); err == nil {
			_ = os.WriteFile(filepath.Join(dir, "data"), []byte("x"), 0o644)
		}
	}
	if c, err := net.Dial("unix", sock); err == nil {
		c.Close()
	}
	if mode == "slow" {
		time.Sleep(time.Hour) // killed before it registers
		os.Exit(5)
	}
}

// waitForExecutors waits until n executor processes said they started.
func waitForExecutors(ln net.Listener, n int) error {
	done := make(chan error, 1)
	go func() {
		for range n {
			c, err := ln.Accept()
			if err != nil {
				done <- err
				return
			}
			c.Close()
		}
		done <- nil
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(30 * time.Second):
		return fmt.Errorf("%d executor processes did not start within 30s", n)
	}
}
