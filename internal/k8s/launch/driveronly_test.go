package launch

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/gospark/gospark/internal/config"
	"github.com/gospark/gospark/internal/k8s/pods"
)

// A driver-only application's driver runs with the local master; its
// submission keeps its k8s:// master.
func TestPlanDriverOnly(t *testing.T) {
	for _, tc := range []struct{ driverMaster, want string }{
		{"local[*]", "local[*]"},
		{"local[2]", "local[2]"},
		{"", "k8s://https://10.0.0.1:6443"},
	} {
		var kv []string
		if tc.driverMaster != "" {
			kv = []string{"spark.kubernetes.driver.master", tc.driverMaster, "spark.executor.instances", "0"}
		}
		c := conf(t, kv...)
		p, err := NewPlan(c, "local:///opt/gospark/examples/sparkpi", nil, launched)
		if err != nil {
			t.Fatalf("%q: %v", tc.driverMaster, err)
		}
		props, err := config.ParseProperties(strings.NewReader(find[*corev1.ConfigMap](t, p, "driver-conf").Data[pods.ConfFile]))
		if err != nil {
			t.Fatal(err)
		}
		if props["spark.master"] != tc.want {
			t.Errorf("driver master %q: the driver's spark.master is %q, want %q", tc.driverMaster, props["spark.master"], tc.want)
		}
		if c.String("spark.master") != "k8s://https://10.0.0.1:6443" {
			t.Errorf("the submission's own master changed to %q", c.String("spark.master"))
		}
	}
}
