package config

import (
	"strings"
	"testing"
)

func TestDriverMaster(t *testing.T) {
	for _, tc := range []struct {
		value, only string // only: the local master, "" when not driver-only
		bad         bool
	}{
		{value: "https://kubernetes.default.svc"},
		{value: "http://10.0.0.1:8080"},
		{value: "local", only: "local"},
		{value: "local[*]", only: "local[*]"},
		{value: "local[4]", only: "local[4]"},
		{value: "local[4,2]", only: "local[4,2]"},
		{value: "local[0]", bad: true},
		{value: "local[x]", bad: true},
		{value: "local-cluster[2,1,512]", bad: true},
		{value: "k8s://https://host", bad: true},
		{value: "kubernetes.default.svc", bad: true},
	} {
		c := New()
		err := c.Set("spark.kubernetes.driver.master", tc.value)
		if tc.bad {
			if err == nil || !strings.Contains(err.Error(), "spark.kubernetes.driver.master") || !strings.Contains(err.Error(), "local[*]") {
				t.Errorf("%q: error %v, want one naming the property and local[*]", tc.value, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.value, err)
			continue
		}
		if m, ok := DriverOnly(c); m != tc.only || ok != (tc.only != "") {
			t.Errorf("%q: DriverOnly = %q, %v; want %q", tc.value, m, ok, tc.only)
		}
	}
	if _, ok := DriverOnly(New()); ok {
		t.Error("the default driver master is driver-only")
	}
}
