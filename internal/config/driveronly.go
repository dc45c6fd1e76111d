package config

import (
	"regexp"
	"strings"
)

// localMaster matches the local masters spark.kubernetes.driver.master may
// name for a driver-only application: local, local[N], local[*], and the
// same with a task failure limit (local[N,F], local[*,F]).
var localMaster = regexp.MustCompile(`^local(\[(\*|[1-9][0-9]*)(,[1-9][0-9]*)?\])?$`)

// driverMaster accepts the API server URL the driver pod uses, or a local
// master for a driver-only application.
func driverMaster(v string) error {
	if strings.HasPrefix(v, "local") {
		if !localMaster.MatchString(v) {
			return &wantError{"local, local[N], local[*] or local[N,F] (a driver-only application), or an http:// or https:// URL"}
		}
		return nil
	}
	if httpURL(v) != nil {
		return &wantError{"an http:// or https:// URL, or local[*] (a driver-only application)"}
	}
	return nil
}

// DriverOnly returns the local master of a driver-only application
// (spark.kubernetes.driver.master=local[*], say): the application runs
// inside its driver pod with that master, and no executor pod is made.
func DriverOnly(c *Conf) (master string, ok bool) {
	m := c.String("spark.kubernetes.driver.master")
	if localMaster.MatchString(m) {
		return m, true
	}
	return "", false
}
