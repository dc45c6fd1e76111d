package pods

import (
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/validation"
)

func TestResourceNames(t *testing.T) {
	at := time.UnixMilli(0x18c2e4a1b2c)
	for _, tc := range []struct{ app, want string }{
		{"Spark Pi", "spark-pi-18c2e4a1b2c"},
		{"GroupBy_Test!!", "groupby-test-18c2e4a1b2c"},
		{"---", "spark-18c2e4a1b2c"},
		{"", "spark-18c2e4a1b2c"},
		{"2nd run", "spark-2nd-run-18c2e4a1b2c"}, // a Service name starts with a letter
	} {
		if got := ResourcePrefix(tc.app, at); got != tc.want {
			t.Errorf("ResourcePrefix(%q) = %q, want %q", tc.app, got, tc.want)
		}
	}
	long := strings.Repeat("Very Long Application Name ", 6)[:160]
	p := ResourcePrefix(long, at)
	for _, name := range []string{DriverPodName(p), ExecutorPodName(p, "99999"), p + "-driver-svc"} {
		if errs := validation.IsDNS1035Label(name); len(errs) > 0 {
			t.Errorf("%q (from a 160-character app name): %v", name, errs)
		}
	}
	if !strings.HasPrefix(p, "very-long-application-name-") || !strings.HasSuffix(p, "-18c2e4a1b2c") {
		t.Errorf("prefix %q does not keep the start of the name and the launch time", p)
	}
}
