package main

import (
	"strings"
	"testing"
)

// The provisioner is one of the cluster's processes: started last by up
// (after the API server it talks to), stopped first by down, and
// everything it uses or makes is under the state directory, which down
// removes.
func TestProvisionerIsAComponent(t *testing.T) {
	c := newCluster("/state", "/bin")
	comps := c.components()
	last := comps[len(comps)-1]
	if last.name != "provisioner" {
		t.Fatalf("last component %q, want the provisioner", last.name)
	}
	for _, a := range last.args {
		if strings.Contains(a, "/") && !strings.Contains(a, "/state/") {
			t.Errorf("provisioner argument %q is outside the state directory", a)
		}
	}
	if !strings.Contains(strings.Join(last.args, " "), "-class="+StorageClass) {
		t.Errorf("provisioner arguments %q do not name class %s", last.args, StorageClass)
	}
}
