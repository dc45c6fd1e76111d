package driverpod

import (
	"context"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes/fake"
)

// A driver-only application never gets executor pods from gospark
// driver, even if it asked.
func TestStartRefusesADriverOnlyApplication(t *testing.T) {
	cs := fake.NewClientset(driverPod())
	m := managerWith(testConf(t, "spark.kubernetes.driver.master", "local[*]"), cs)
	err := m.Start(ctx30s(t), testApp(1))
	if err == nil {
		_ = m.Stop(context.Background())
		t.Fatal("Start of a driver-only application succeeded")
	}
	if !strings.Contains(err.Error(), "spark.kubernetes.driver.master=local[*]") {
		t.Errorf("error %v, want it to name spark.kubernetes.driver.master", err)
	}
	if len(cs.Actions()) != 0 {
		t.Errorf("the API server was asked %d things", len(cs.Actions()))
	}
}

func TestExcessGrace(t *testing.T) {
	for _, c := range []struct {
		kv   []string
		want time.Duration
	}{
		{nil, 0},
		{[]string{"spark.dynamicAllocation.enabled", "true"}, 60 * time.Second},
		{[]string{"spark.dynamicAllocation.enabled", "true", "spark.dynamicAllocation.executorIdleTimeout", "5s"}, 5 * time.Second},
		{[]string{"spark.dynamicAllocation.enabled", "true", "spark.dynamicAllocation.executorIdleTimeout", "0"}, time.Nanosecond},
	} {
		if got := excessGrace(testConf(t, c.kv...)); got != c.want {
			t.Errorf("%v: %s, want %s", c.kv, got, c.want)
		}
	}
}
