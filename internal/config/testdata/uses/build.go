package uses

import "fmt"

// Property names built in the ways TestPropertyUses expects the scanner to
// recognize. spark.ui.port is mentioned only in this comment and in a
// longer string below.

const rss = "spark.ssl.kubernetes.resourceStagingServer."

var (
	memory = "spark.executor.memory"
	limit  = fmt.Sprintf("spark.kubernetes.%s.limit.cores", "driver")
	labels = "spark.kubernetes.driver.label."
	key    = rss + "keyPem"
	msg    = "spark.ui.port is not read here"
)
