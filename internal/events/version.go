package events

import "runtime/debug"

// Version is gospark's module version as the binary's build information
// has it: the main module's when the binary is gospark's own, the
// dependency's when an application links gospark; "(devel)" for a build
// from a work tree. The event log's SparkListenerLogStart, the status
// store's appSparkVersion and the REST API's /version report it where Spark
// reports its own version.
func Version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown)"
	}
	v := bi.Main.Version
	if bi.Main.Path != "github.com/gospark/gospark" {
		v = ""
		for _, d := range bi.Deps {
			if d.Path == "github.com/gospark/gospark" {
				v = d.Version
			}
		}
	}
	if v == "" {
		v = "(devel)"
	}
	return v
}
