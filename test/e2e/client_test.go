//go:build e2e

package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gospark/gospark/internal/config"
	"github.com/gospark/gospark/internal/k8s/client"
	"github.com/gospark/gospark/internal/master"
)

// TestSubmissionClientReachesTheCluster builds the submission client's
// configuration both ways the seeds allow and lists the node with it.
func TestSubmissionClientReachesTheCluster(t *testing.T) {
	e := setup(t)
	// A master URL without a scheme is https.
	m, err := master.Parse("k8s://10.88.0.1:6443")
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("KUBECONFIG", e.kubeconfig)
	cs, _, err := client.New(config.New(), m.APIServer)
	if err != nil {
		t.Fatal(err)
	}
	nodes, err := cs.CoreV1().Nodes().List(context.Background(), metav1.ListOptions{})
	if err != nil || len(nodes.Items) != 1 {
		t.Fatalf("listing nodes through the kubeconfig: %v, %v", nodes, err)
	}
	// Without a kubeconfig: the submission CA file and token properties.
	b, err := os.ReadFile(e.kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	var token string
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "token: "); ok {
			token = v
		}
	}
	t.Setenv("KUBECONFIG", filepath.Join(t.TempDir(), "none"))
	t.Setenv("HOME", t.TempDir())
	c := config.New()
	for k, v := range map[string]string{
		"spark.kubernetes.authenticate.submission.caCertFile": filepath.Join(e.state, "pki", "ca.crt"),
		"spark.kubernetes.authenticate.submission.oauthToken": token,
	} {
		if err := c.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	cs, _, err = client.New(c, m.APIServer)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CoreV1().Nodes().Get(context.Background(), "gospark-node", metav1.GetOptions{}); err != nil {
		t.Fatalf("getting the node with the submission properties alone: %v", err)
	}
}
