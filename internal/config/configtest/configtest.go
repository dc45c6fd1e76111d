// Package configtest builds configurations for tests.
package configtest

import (
	"testing"

	"github.com/gospark/gospark/internal/config"
)

// Conf is a configuration with the properties kv (name, value, name,
// value...) set; a property the registry refuses fails the test.
func Conf(t testing.TB, kv ...string) *config.Conf {
	t.Helper()
	if len(kv)%2 != 0 {
		t.Fatalf("configtest.Conf: odd number of arguments %q", kv)
	}
	c := config.New()
	for i := 0; i < len(kv); i += 2 {
		if err := c.Set(kv[i], kv[i+1]); err != nil {
			t.Fatal(err)
		}
	}
	return c
}
