// Package deps moves an application's dependencies into its pods. On the
// submitting side, Resolve sorts the primary resource, spark.jars and
// spark.files (and a Python program's spark.submit.pyFiles) into what is
// already in the image (local://), what is remote
// (http:// and https://, fetched by the pods) and what is on the
// submitter's disk; Stage builds a Go package into a linux/amd64 binary and
// uploads the local files, to the resource staging server
// (spark.kubernetes.resourceStagingServer.uri) or to
// spark.kubernetes.file.upload.path, and returns a Spec. In the pods, the
// init-container ("gospark init") reads that Spec from a ConfigMap and
// Fetch downloads everything into the jars and files download directories,
// checking sizes and checksums, before the driver or executor starts.
package deps
