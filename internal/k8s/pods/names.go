package pods

import (
	"strconv"
	"strings"
	"time"
)

// maxName is the longest name the builder makes: a DNS-1123 label, so that
// the driver's Service (which takes the same prefix) is valid too.
const maxName = 63

// ResourcePrefix turns an application name into the prefix of its pod and
// Service names, as Spark does: lower case, anything but [a-z0-9-] made a
// dash, dashes collapsed, then "-<launch time in hex ms>". The name part is
// cut so that prefix plus the longest suffix the builder adds
// ("-exec-NNNNN") stays a DNS-1123 label, even for a 160-character name.
func ResourcePrefix(appName string, launched time.Time) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(appName) {
		ok := r >= 'a' && r <= 'z' || r >= '0' && r <= '9'
		switch {
		case ok:
			b.WriteRune(r)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
	}
	name := strings.Trim(b.String(), "-")
	if name == "" {
		name = "spark"
	}
	if name[0] >= '0' && name[0] <= '9' {
		name = "spark-" + name // Service names must start with a letter
	}
	suffix := "-" + strconv.FormatInt(launched.UnixMilli(), 16)
	room := maxName - len(suffix) - len("-exec-99999")
	if len(name) > room {
		name = strings.TrimRight(name[:room], "-")
	}
	return name + suffix
}

// DriverPodName is the driver pod's name for a prefix, unless
// spark.kubernetes.driver.pod.name gives one.
func DriverPodName(prefix string) string { return prefix + "-driver" }

// ExecutorPodName is an executor pod's name
// (spark.kubernetes.executor.podNamePrefix, else the resource prefix).
func ExecutorPodName(prefix, executorID string) string { return prefix + "-exec-" + executorID }
