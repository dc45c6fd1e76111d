// Package master parses master URLs, the value of spark-submit's --master
// flag and of the spark.master property. Call Parse and switch on the
// returned Master's Kind: Local runs the whole application inside the driver
// process with Threads task slots ("local", "local[4]", "local[*]", and
// "local[4,3]" where 3 overrides spark.task.maxFailures); LocalCluster runs
// Executors separate executor processes on this machine, each with
// CoresPerExecutor task slots and MemoryMiB of memory
// ("local-cluster[2,1,1024]"); Kubernetes talks to the API server at
// APIServer ("k8s://host:443" becomes https://host:443, an explicit http:// or
// https:// scheme is kept). Anything else is an error wrapping ErrInvalid that
// lists the accepted forms, so callers can show it to users as is.
package master
