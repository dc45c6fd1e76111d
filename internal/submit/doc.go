// Package submit is gospark's spark-submit: it turns a command line such as
// "gospark submit --master local[4] --conf spark.executor.memory=2g
// ./examples/sparkpi 100" into a running application. Parse reads the
// options the way spark-submit does (options first; everything after the
// application belongs to it); Prepare resolves the properties (dedicated
// options over --conf over the properties file), validates them through
// internal/config and checks the master and deploy mode, so that mistakes
// stop the submission before anything runs; Run builds the application with
// "go build" when it is a package, starts it as the driver with the
// configuration in GOSPARK_CONF and GOSPARK_ROLE=driver, forwards SIGINT and
// SIGTERM to it and returns its exit code. Main strings these together for
// cmd/gospark and for tests. With a k8s:// master, internal/k8s/launch
// makes and follows the driver pod (cluster mode) or the executor pods
// (client mode).
//
// A primary resource ending in .py is a Python program (python.go): its
// application binary is gospark-py, run with the program first, and
// --py-files (spark.submit.pyFiles) are checked here for every master and
// given to the application as local paths.
package submit
