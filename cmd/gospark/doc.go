// Command gospark is gospark's command line. "gospark submit" is the
// spark-submit of gospark: it builds or locates an application, resolves its
// spark.* properties and runs it ("gospark submit --help" lists the options);
// "gospark image build" builds the container images for Kubernetes without
// Docker (internal/image); "gospark version" prints the version. The command
// only parses arguments and calls into internal packages, so new
// subcommands are a cobra.Command here plus a package that does the work.
package main
