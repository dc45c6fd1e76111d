package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The fake nodes' controller is started only on request (never by a plain
// up), its binary, log and pid file are under the state directory, which
// down removes, and down and status find it by its pid file.
func TestFakeNodesIsAnOptionalComponent(t *testing.T) {
	state := t.TempDir()
	c := newCluster(state, "/bin")
	for _, comp := range c.components() {
		if comp.name == fakeNodesName {
			t.Fatalf("%s is started by every up; want it only with -fake-nodes", fakeNodesName)
		}
	}
	comp := c.fakeNodesComponent(50)
	if !strings.HasPrefix(comp.args[0], state+"/") {
		t.Errorf("binary %q is outside the state directory", comp.args[0])
	}
	if !strings.Contains(strings.Join(comp.args, " "), "-nodes=50") {
		t.Errorf("arguments %q do not ask for 50 nodes", comp.args)
	}
	if c.running() {
		t.Fatal("an empty state directory runs something")
	}
	if err := os.MkdirAll(filepath.Join(state, "run"), 0o755); err != nil {
		t.Fatal(err)
	}
	// A live process standing in for the controller: this test's own.
	if err := os.WriteFile(filepath.Join(state, "run", fakeNodesName+".pid"), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := c.pids()[fakeNodesName]; got != os.Getpid() {
		t.Errorf("pids()[%s] = %d, want %d: down would not stop it", fakeNodesName, got, os.Getpid())
	}
}
