//go:build e2e

package e2e

import (
	"io"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// Acceptance 3 of issue 12: the driver pod's first calls to the API server
// are refused for 5 s (its spark.kubernetes.driver.master is a proxy that
// does not listen yet); the driver retries, and the application finishes.
func TestDriverRidesOutAnUnreachableAPIServer(t *testing.T) {
	s := newSubmitEnv(t)
	api, err := url.Parse(s.server)
	if err != nil {
		t.Fatal(err)
	}
	// A port on the node's address that pods reach, free for now.
	probe, err := net.Listen("tcp", net.JoinHostPort(api.Hostname(), "0"))
	if err != nil {
		t.Fatal(err)
	}
	proxyAddr := probe.Addr().String()
	probe.Close()

	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		// Refuse until the driver container runs, and 5 s more.
		deadline := time.Now().Add(4 * time.Minute)
		for time.Now().Before(deadline) {
			out, _ := s.run("-n", s.ns, "get", "pods", "-l", "spark-role=driver",
				"-o", "jsonpath={.items[*].status.containerStatuses[*].state.running.startedAt}")
			if strings.TrimSpace(out) != "" {
				break
			}
			select {
			case <-done:
				return
			case <-time.After(200 * time.Millisecond):
			}
		}
		select {
		case <-done:
			return
		case <-time.After(5 * time.Second):
		}
		ln, err := net.Listen("tcp", proxyAddr)
		if err != nil {
			t.Errorf("proxy: %v", err)
			return
		}
		go func() { <-done; ln.Close() }()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go relay(c, api.Host)
		}
	}()
	defer func() { close(done); wg.Wait() }()

	out, code := s.submit(t, s.base("unreachable-api",
		"--conf", "spark.executor.instances=2",
		"--conf", "spark.kubernetes.driver.master=https://"+proxyAddr,
		"local:///opt/gospark/examples/sparkpi")...)
	if code != 0 {
		t.Fatalf("submit exited %d:\n%s", code, out)
	}
	log := s.driverLog(t)
	if !strings.Contains(log, "Pi is roughly 3.1") {
		t.Errorf("driver log lacks %q:\n%s", "Pi is roughly 3.1", log)
	}
	if !strings.Contains(log, "retrying") || !strings.Contains(log, "connection refused") {
		t.Errorf("driver log does not show the refused calls being retried:\n%s", log)
	}
	s.noExecutorRunning(t)
}

// relay copies bytes both ways between c and the API server.
func relay(c net.Conn, to string) {
	defer c.Close()
	u, err := net.Dial("tcp", to)
	if err != nil {
		return
	}
	defer u.Close()
	go func() { _, _ = io.Copy(u, c) }()
	_, _ = io.Copy(c, u)
}
