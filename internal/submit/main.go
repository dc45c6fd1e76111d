package submit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"regexp"
	"runtime/debug"
	"slices"
	"time"

	"github.com/gospark/gospark/internal/k8s/launch"
)

// Main runs "gospark submit" with args (the arguments after "submit") and
// returns the process's exit code: the application's, or 1 when the command
// line or the configuration is wrong, in which case nothing runs and the
// error is on stderr.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	a, err := Parse(args)
	if err != nil {
		printError(stderr, err)
		return 1
	}
	if a.Help {
		WriteUsage(stdout)
		return 0
	}
	if a.Version {
		fmt.Fprintln(stdout, "gospark", Version())
		return 0
	}
	if a.Class != "" {
		kind := "Go"
		if IsPython(a.Primary) {
			kind = "Python"
		}
		fmt.Fprintf(stderr, "gospark submit: note: ignoring --class %s: %s applications have no main class\n", a.Class, kind)
	}
	s, err := Prepare(a)
	if err != nil {
		printError(stderr, err)
		return 1
	}
	for _, w := range s.Conf.Warnings() {
		fmt.Fprintln(stderr, "Warning:", w)
	}
	if a.Verbose {
		s.WriteVerbose(stderr)
	}
	if a.Status != "" || a.Kill != "" {
		if err := manage(ctx, s, stdout); err != nil {
			fmt.Fprintln(stderr, "gospark submit: error:", err)
			return 1
		}
		return 0
	}
	if s.ClientPlan != nil {
		code, err := runClient(ctx, s, stdout, stderr)
		if err != nil {
			fmt.Fprintln(stderr, "gospark submit: error:", err)
		}
		return code
	}
	if s.Plan != nil {
		code, err := launch.Submit(ctx, s.Kube, s.Plan, s.Conf, stdout)
		if err != nil {
			fmt.Fprintln(stderr, "gospark submit: error:", err)
		}
		return code
	}
	code, err := Run(ctx, s, stdout, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "gospark submit: error:", err)
	}
	return code
}

// manage serves --status and --kill.
func manage(ctx context.Context, s *Submission, stdout io.Writer) error {
	id := s.Args.Status
	if s.Args.Kill != "" {
		id = s.Args.Kill
	}
	ns, glob, err := launch.ParseSubmissionID(id, s.Conf.String("spark.kubernetes.namespace"))
	if err != nil {
		return err
	}
	if s.Args.Status != "" {
		return launch.Status(ctx, s.Kube, ns, glob, stdout)
	}
	grace := time.Duration(-1)
	if s.Conf.Has("spark.kubernetes.appKillPodDeletionGracePeriod") {
		grace = s.Conf.Duration("spark.kubernetes.appKillPodDeletionGracePeriod")
	}
	return launch.Kill(ctx, s.Kube, ns, glob, grace, stdout)
}

func printError(w io.Writer, err error) {
	fmt.Fprintln(w, "gospark submit: error:", err)
	var ue *UsageError
	if errors.As(err, &ue) {
		fmt.Fprintln(w, "Run 'gospark submit --help' for usage.")
	}
}

// Version is gospark's version, from the build information.
func Version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown)"
	}
	v := bi.Main.Version
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += " " + s.Value[:12]
		}
	}
	return v
}

// WriteUsage writes gospark submit's help.
func WriteUsage(w io.Writer) {
	fmt.Fprint(w, usage)
}

const usage = `Usage: gospark submit [options] <app package dir | app binary | app.py> [app arguments]
       gospark submit --kill <namespace>:<driver pod glob> --master k8s://...
       gospark submit --status <namespace>:<driver pod glob> --master k8s://...

Runs a gospark application, as spark-submit runs a Spark one. The application
is a Go main package (a directory such as ./examples/sparkpi, or an import
path), which is built first, or an executable. Everything after it is passed
to the application untouched. A program ending in .py is a Python
application (PySpark's API): it runs with gospark-py (found next to
gospark, else on PATH, else built from the gospark module here; in pods
/opt/gospark/bin/gospark-py of the Python image, gospark-py:dev), with
--py-files on its Python path. On Kubernetes (--deploy-mode cluster with a
k8s:// master) the driver runs in a pod and starts the executor pods; the
application is its path inside the container image (local:///path), or a
local package or binary (built for linux/amd64 and uploaded), or an
http(s):// URL. Local files go to the resource staging server
(spark.kubernetes.resourceStagingServer.uri) or to
spark.kubernetes.file.upload.path, and an init-container in each pod
downloads them. With --deploy-mode client and a k8s:// master the driver
runs here (on this host, or in the pod gospark submit runs in) and only
executor pods are made: they connect back to spark.driver.host (required
outside a pod; in a pod it defaults to the pod's IP), and gospark submit
serves them the application and --files itself unless a staging server
or upload path is set. Their pods are removed when the driver ends, even
if it or gospark submit is killed.

Options:
  --master MASTER_URL         local, local[N], local[*] (the default: one task
                              slot per CPU), local[N,F] (F attempts per task),
                              local-cluster[N,C,M] (N executors with C cores
                              and M MiB), or k8s://https://host:port (https
                              when no scheme is given; k8s://http://... for
                              kubectl proxy)
  --deploy-mode MODE          client (the default) runs the driver here,
                              also with a k8s:// master (executor pods);
                              cluster runs it in the cluster (k8s:// only)
  --name NAME                 application name (default: the binary's name)
  --conf, -c NAME=VALUE       set a spark.* property; repeatable
  --properties-file FILE      read properties from FILE instead of
                              $SPARK_CONF_DIR/spark-defaults.conf or
                              conf/spark-defaults.conf
  --files FILES               comma-separated files shipped with the
                              application (paths, file://, local:// or
                              http(s):// URLs); code finds them with
                              Session.File(name) or TaskContext.File(name),
                              and in pods they are in the working directory
  --py-files FILES            comma-separated .py, .zip or .egg files put on
                              the Python path of the driver and the Python
                              workers (same forms as --files)
  --jars FILES                comma-separated files placed beside the
                              application binary in pods
                              (spark.kubernetes.mountdependencies.jarsDownloadDir)
  --driver-memory MEM         memory of the driver, e.g. 512m or 2g (default 1g)
  --driver-cores NUM          cores of the driver (default 1)
  --executor-memory MEM       memory per executor, e.g. 512m or 2g (default 1g)
  --executor-cores NUM        cores per executor (default 1)
  --num-executors NUM         number of executors (default 2)
  --kubernetes-namespace NS   namespace of the driver and executor pods
  --class CLASS               ignored: Go and Python applications have no
                              main class
  --kill ID, --status ID      kill or query submissions (k8s:// only): ID is
                              namespace:pod, pod a glob such as spark-pi*;
                              without namespace, spark.kubernetes.namespace
  --verbose, -v               print the parsed arguments and properties
  --help, -h                  print this help
  --version                   print gospark's version

Options win over --conf, which wins over the properties file. An unknown
spark.* property or a malformed value stops the submission before anything
runs. The properties are listed in docs/configuration.md.
`

var sensitive = regexp.MustCompile(`(?i)secret|password|token|credential`)

// WriteVerbose prints what --verbose shows: the parsed arguments and the
// effective properties, with secrets redacted.
func (s *Submission) WriteVerbose(w io.Writer) {
	file := s.PropertiesFile
	if file == "" {
		file = "(none)"
	}
	fmt.Fprintf(w, "Using properties file: %s\n", file)
	fmt.Fprintln(w, "Parsed arguments:")
	field := func(name, value string) {
		if value == "" {
			value = "(none)"
		}
		fmt.Fprintf(w, "  %-24s%s\n", name, value)
	}
	prop := func(name, property string) { field(name, s.Conf.All()[property]) }
	prop("master", "spark.master")
	prop("deployMode", "spark.submit.deployMode")
	prop("name", "spark.app.name")
	prop("executorMemory", "spark.executor.memory")
	prop("executorCores", "spark.executor.cores")
	prop("numExecutors", "spark.executor.instances")
	prop("driverMemory", "spark.driver.memory")
	prop("driverCores", "spark.driver.cores")
	prop("files", "spark.files")
	prop("jars", "spark.jars")
	prop("pyFiles", "spark.submit.pyFiles")
	prop("kubernetesNamespace", "spark.kubernetes.namespace")
	field("propertiesFile", s.PropertiesFile)
	field("primaryResource", s.Args.Primary)
	field("childArgs", fmt.Sprintf("%q", s.Args.AppArgs))
	field("verbose", "true")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Spark properties used, including those specified through --conf and those from the properties file:")
	all := s.Conf.All()
	for _, k := range slices.Sorted(maps.Keys(all)) {
		v := all[k]
		if sensitive.MatchString(k) {
			v = "*********(redacted)"
		}
		fmt.Fprintf(w, "  %s=%s\n", k, v)
	}
	fmt.Fprintln(w)
}
