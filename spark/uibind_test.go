package spark

import (
	"testing"

	"github.com/gospark/gospark/internal/config"
	"github.com/gospark/gospark/internal/launch"
	"github.com/gospark/gospark/internal/master"
)

// The UI of a driver in its pod listens on every address, whatever its
// master: a driver-only application (spark.kubernetes.driver.master=local[*])
// runs local[*] there, and its spark.driver.host, the driver's Service,
// may not resolve yet when it starts.
func TestUIBindHost(t *testing.T) {
	conf := config.New()
	if err := conf.Set("spark.driver.host", "app-driver-svc.ns.svc"); err != nil {
		t.Fatal(err)
	}
	local := &Session{conf: conf, master: master.Master{Kind: master.Local}}
	t.Setenv(launch.EnvPodIP, "")
	if got := local.uiBindHost(); got != "app-driver-svc.ns.svc" {
		t.Errorf("local master outside a pod: %q, want spark.driver.host", got)
	}
	t.Setenv(launch.EnvPodIP, "10.88.0.7")
	if got := local.uiBindHost(); got != "" {
		t.Errorf("local master in a driver pod: %q, want every address", got)
	}
}
