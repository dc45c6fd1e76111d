package config

import (
	"strings"

	"github.com/gospark/gospark/internal/master"
)

// This file declares every spark.* property gospark knows. Names and
// defaults follow Spark and the seed documents (the apache-spark-on-k8s
// fork's guides); where the fork and modern Spark name a property
// differently, the modern name is the property and the fork's name an alias.
// After adding or changing a property, regenerate the reference:
//
//	go run ./internal/config/gendocs > docs/configuration.md

func validMaster(v string) error {
	if _, err := master.Parse(v); err != nil {
		return &wantError{"a master URL, one of " + master.Forms}
	}
	return nil
}

func logLevel(v string) error {
	switch strings.ToUpper(strings.TrimSpace(v)) {
	case "ALL", "TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL", "OFF":
		return nil
	}
	return &wantError{"one of ALL, TRACE, DEBUG, INFO, WARN, ERROR, FATAL, OFF"}
}

// Features that properties belong to but gospark does not have yet
// (Property.NotImplemented). docs/architecture.md lists what is not built.
const (
	niTaskCPUs        = "tasks that take more than one slot: every task takes one"
	niSplitBySize     = "splitting input files by size: TextFile splits them by its minPartitions argument"
	niStorageFraction = "evicting cached blocks for execution: cached blocks are never evicted for it, tasks spill sooner instead"
	niForkTests       = "the fork's integration-test settings: gospark's end-to-end tests (make e2e) take the cluster from KUBECONFIG and build their own images"
	niKeyStores       = "Java key stores: the resource staging server takes a PEM key and certificate (keyPem, serverCertPem)"
	niTrustStores     = "Java trust stores: give a PEM certificate with clientCertPem or internal.clientCertPem"
	niTLSChoice       = "choosing the resource staging server's TLS versions and cipher suites: Go's defaults apply"
)

// Why the properties of the old guide's submission flow, in which gospark
// submit would send the application to an HTTP server in the driver pod,
// no longer apply (Property.Superseded): local dependencies go to the
// resource staging server (or spark.kubernetes.file.upload.path) instead,
// and init-containers fetch them.
const (
	supSubmissionServer = "it configured the old guide's driver submission server, which the resource staging server replaces"
	supSubmitTimeout    = "it bounded the wait for the old guide's driver submission server, which the resource staging server replaces; gospark submit uploads before it creates the driver pod"
	supServiceManager   = "it chose how the submitter reached the old guide's driver submission server, which the resource staging server replaces; gospark submit never connects to the driver pod"
	supSubmitTLS        = "it configured TLS of the old guide's driver submission server, which the resource staging server replaces; see spark.ssl.kubernetes.resourceStagingServer.*"
)

func init() {
	for _, p := range appProperties {
		Register(p)
	}
	for _, p := range kubernetesProperties {
		Register(p)
	}
	for _, p := range sslProperties("spark.ssl.kubernetes.submit.", "submitting to the driver pod's submission server (old guide)") {
		p.Superseded = supSubmitTLS
		Register(p)
	}
	for _, p := range sslProperties(rss, "the resource staging server") {
		switch strings.TrimPrefix(p.Name, rss) {
		case "keyStorePassword", "keyPassword", "keyStoreType":
			p.NotImplemented = niKeyStores
		case "trustStorePassword", "trustStoreType":
			p.NotImplemented = niTrustStores
		case "protocol", "enabledAlgorithms":
			p.NotImplemented = niTLSChoice
		}
		Register(p)
	}
	for _, p := range stagingServerTLSProperties {
		Register(p)
	}
}

var appProperties = []Property{
	// Application and deployment.
	{Name: "spark.master", Kind: String, Default: "local[*]", Validate: validMaster,
		Doc: "Where the application runs: local (one task slot), local[N], local[*] (one slot per CPU), local[N,F] (F task attempts), local-cluster[N,C,M] (N executor processes with C cores and M MiB each) or k8s://<api server URL>. spark-submit's --master sets it."},
	{Name: "spark.app.name", Kind: String,
		Doc: "Name of the application, shown in logs and the UI and used in pod names. gospark submit uses the application binary's name when it is not set (--name sets it)."},
	{Name: "spark.app.id", Kind: String,
		Doc: "Unique id of the application run; on Kubernetes it is the spark-app-selector label of its pods. gospark submit sets it for cluster mode; unset means one is made when the session starts."},
	{Name: "spark.submit.deployMode", Kind: String, Default: "client", Validate: oneOf("client", "cluster"),
		Doc: "client runs the driver on the submitting machine; cluster runs it inside the cluster (Kubernetes only). --deploy-mode sets it."},
	{Name: "spark.driver.memory", Kind: Bytes, Default: "1g", ByteUnit: "m",
		Doc: "Memory of the driver process (MiB when no unit is given). In local mode the driver also runs the tasks, so this is their memory too. --driver-memory sets it."},
	{Name: "spark.driver.cores", Kind: Int, Default: "1", Validate: positiveInt,
		Doc: "CPU cores of the driver (its pod's CPU request in cluster mode). --driver-cores sets it."},
	{Name: "spark.driver.memoryOverhead", Kind: Bytes, ByteUnit: "m", Aliases: []string{"spark.kubernetes.driver.memoryOverhead"},
		Doc: "Memory added to the driver pod beyond spark.driver.memory, for everything that is not the heap (MiB when no unit is given). Unset means spark.kubernetes.memoryOverheadFactor of the driver memory, at least 384 MiB."},
	{Name: "spark.executor.memory", Kind: Bytes, Default: "1g", ByteUnit: "m",
		Doc: "Memory of each executor (MiB when no unit is given). --executor-memory sets it."},
	{Name: "spark.executor.cores", Kind: Int, Default: "1", Validate: positiveInt,
		Doc: "Task slots (and CPU cores requested) per executor. --executor-cores sets it."},
	{Name: "spark.executor.instances", Kind: Int, Default: "2", Validate: nonNegativeInt,
		Doc: "Number of executors to start when dynamic allocation is off; with it on, the initial number is at least this when it is set (see spark.dynamicAllocation.initialExecutors). --num-executors sets it."},
	{Name: "spark.executor.memoryOverhead", Kind: Bytes, ByteUnit: "m", Aliases: []string{"spark.kubernetes.executor.memoryOverhead"},
		Doc: "Memory added to each executor pod beyond spark.executor.memory, for everything that is not the heap (MiB when no unit is given). Unset means spark.kubernetes.memoryOverheadFactor of the executor memory, at least 384 MiB."},
	{Name: "spark.executorEnv.", Prefix: true, Kind: String,
		Doc: "spark.executorEnv.NAME=value sets the environment variable NAME in every executor process."},
	{Name: "spark.files", Kind: String,
		Doc: "Comma-separated files to ship with the application (--files sets it). Each is copied (paths, file://, local://) or downloaded (http://, https://) into the application's files directory; code finds it with Session.File(name) or TaskContext.File(name), as Spark's SparkFiles.get. On Kubernetes, local files are uploaded by gospark submit (resource staging server or spark.kubernetes.file.upload.path), the init-container fetches them, and they are also in the working directory of the driver and executors."},
	{Name: "spark.jars", Kind: String,
		Doc: "Comma-separated jars of JVM applications (--jars sets it). For Go applications on Kubernetes, files placed beside the application binary in the pods (spark.kubernetes.mountdependencies.jarsDownloadDir), uploaded or fetched like spark.files; unused in local modes."},
	{Name: "spark.submit.pyFiles", Kind: String,
		Doc: "Comma-separated .py, .zip or .egg files of a Python application (--py-files sets it): paths, file://, local:// or http(s):// URLs, put on the Python path of the driver and of every Python worker. gospark submit checks that local ones exist and makes them local paths before the application starts: on Kubernetes they are uploaded and fetched by the init-container as spark.files are (local:// ones are in the image), and the driver and executors see the paths in their pods."},
	{Name: "spark.local.dir", Kind: String, Default: "/tmp",
		Doc: "Scratch directory (or comma-separated directories) for shuffle files, spills and cached blocks. Use fast local disks."},
	{Name: "spark.log.level", Kind: String, Validate: logLevel,
		Doc: "Log level of the driver and executors: ALL, TRACE, DEBUG, INFO, WARN, ERROR, FATAL or OFF. Unset means the GOSPARK_LOG_LEVEL environment variable, else WARN."},

	// Scheduling.
	{Name: "spark.scheduler.minRegisteredResourcesRatio", Kind: Double, Validate: between(0, 1, true, true),
		Doc: "Share of the requested executor cores that must have registered before the first job's tasks are scheduled (waiting at most spark.scheduler.maxRegisteredResourcesWaitingTime). Unset: 0.8 on Kubernetes, 0 for local-cluster, as in Spark."},
	{Name: "spark.scheduler.maxRegisteredResourcesWaitingTime", Kind: Duration, Default: "30s", TimeUnit: "ms", Validate: positiveDuration("ms"),
		Doc: "Longest wait for spark.scheduler.minRegisteredResourcesRatio before scheduling anyway (milliseconds when no unit is given)."},
	{Name: "spark.task.maxFailures", Kind: Int, Default: "4", Validate: positiveInt,
		Doc: "How many times one task may fail before its job is aborted. The F of a local[N,F] master overrides it."},
	{Name: "spark.task.cpus", Kind: Int, Default: "1", Validate: positiveInt,
		NotImplemented: niTaskCPUs,
		Doc:            "Task slots each task occupies."},
	{Name: "spark.stage.maxConsecutiveAttempts", Kind: Int, Default: "4", Validate: positiveInt,
		Doc: "How many times in a row a stage may be retried after fetch failures before its job is aborted."},
	{Name: "spark.default.parallelism", Kind: Int, Validate: positiveInt,
		Doc: "Default number of partitions of datasets created without an explicit count and of shuffles. Unset means the total number of task slots."},

	// Shuffle, compression and memory.
	{Name: "spark.io.compression.codec", Kind: String, Default: "lz4", Validate: oneOf("lz4", "zstd", "snappy"),
		Doc: "Codec for shuffle output, spills and broadcast blocks: lz4, zstd or snappy."},
	{Name: "spark.shuffle.compress", Kind: Bool, Default: "true",
		Doc: "Whether to compress map output files with spark.io.compression.codec."},
	{Name: "spark.shuffle.spill.compress", Kind: Bool, Default: "true",
		Doc: "Whether to compress data spilled to disk during shuffles with spark.io.compression.codec."},
	{Name: "spark.shuffle.file.buffer", Kind: Bytes, Default: "32k", ByteUnit: "k",
		Doc: "Buffer size of each shuffle output stream (KiB when no unit is given). Larger buffers mean fewer disk writes."},
	{Name: "spark.reducer.maxSizeInFlight", Kind: Bytes, Default: "48m", ByteUnit: "m",
		Doc: "Most map output a reduce task fetches at the same time (MiB when no unit is given)."},
	{Name: "spark.files.maxPartitionBytes", Kind: Bytes, Default: "128m",
		NotImplemented: niSplitBySize,
		Doc:            "Most bytes of input files packed into one partition when reading files."},
	{Name: "spark.memory.fraction", Kind: Double, Default: "0.6", Validate: between(0, 1, false, true),
		Doc: "Share of the process memory (less a fixed reserve) that execution and storage use together; the rest is left to user data structures. Lower values spill and evict sooner."},
	{Name: "spark.memory.storageFraction", Kind: Double, Default: "0.5", Validate: between(0, 1, true, false),
		NotImplemented: niStorageFraction,
		Doc:            "Share of the unified memory region that cached blocks keep even when execution needs memory."},
	{Name: "spark.shuffle.service.enabled", Kind: Bool, Default: "false",
		Doc: "Serve shuffle files through the external shuffle service, so executors can be removed without losing their map output. Dynamic allocation needs it."},
	{Name: "spark.shuffle.service.port", Kind: Int, Default: "7337", Validate: port,
		Doc: "Port of the external shuffle service."},

	// Dynamic allocation (internal/alloc).
	{Name: "spark.dynamicAllocation.enabled", Kind: Bool, Default: "false",
		Doc: "Add executors while tasks wait for a slot and remove idle ones, between minExecutors and maxExecutors. Ignored with local[N] masters, as in Spark. Needs a way to keep shuffle output when executors go: spark.shuffle.service.enabled, spark.dynamicAllocation.shuffleTracking.enabled, or spark.decommission.enabled with spark.storage.decommission.enabled and spark.storage.decommission.shuffleBlocks.enabled; the application does not start without one."},
	{Name: "spark.dynamicAllocation.minExecutors", Kind: Int, Default: "0", Validate: nonNegativeInt,
		Doc: "Fewest executors dynamic allocation keeps: idle executors are not removed below it."},
	{Name: "spark.dynamicAllocation.maxExecutors", Kind: Int, Default: "2147483647", Validate: nonNegativeInt,
		Doc: "Most executors dynamic allocation requests (the default means no limit). Must be positive and at least minExecutors when dynamic allocation is on."},
	{Name: "spark.dynamicAllocation.initialExecutors", Kind: Int, Fallback: "spark.dynamicAllocation.minExecutors", Validate: nonNegativeInt,
		Doc: "Executors to request when the application starts with dynamic allocation on. As in Spark, the largest of this, minExecutors and spark.executor.instances (when set) is used; it must not exceed maxExecutors."},
	{Name: "spark.dynamicAllocation.executorAllocationRatio", Kind: Double, Default: "1.0", Validate: between(0, 1, false, true),
		Doc: "Share of the executors that would run every running and waiting task at once that dynamic allocation asks for: 1 means one task slot per task, 0.5 half as many executors. Lower it when tasks are short, so that fewer executors start only to sit idle."},
	{Name: "spark.dynamicAllocation.executorIdleTimeout", Kind: Duration, Default: "60s", TimeUnit: "s", Validate: nonNegativeDuration("s"),
		Doc: "How long an executor without cached blocks (or, with shuffle tracking, shuffle output) may sit idle before dynamic allocation removes it (seconds when no unit is given)."},
	{Name: "spark.dynamicAllocation.cachedExecutorIdleTimeout", Kind: Duration, TimeUnit: "s", Validate: nonNegativeDuration("s"),
		Doc: "How long an executor holding cached blocks may sit idle before dynamic allocation removes it (seconds when no unit is given). Unset means infinity, Spark's default: executors with cached blocks are kept."},
	{Name: "spark.dynamicAllocation.shuffleTracking.enabled", Kind: Bool, Default: "false",
		Doc: "Let dynamic allocation work without the external shuffle service by keeping executors that hold shuffle output: never removed while a running job reads it, otherwise after spark.dynamicAllocation.shuffleTracking.timeout. Off by default, as in Spark 3.0 to 3.3 and as the Spark documentation's requirements for dynamic allocation read (Spark 3.4 turned it on): choose it, the shuffle service or decommissioning explicitly. Has no effect when spark.shuffle.service.enabled is true."},
	{Name: "spark.dynamicAllocation.shuffleTracking.timeout", Kind: Duration, TimeUnit: "ms", Validate: nonNegativeDuration("ms"),
		Doc: "With shuffle tracking, how long an idle executor holding shuffle output that no running job reads is kept (milliseconds when no unit is given). Unset means infinity, Spark's default: it stays as long as its shuffle output is referenced."},
	{Name: "spark.dynamicAllocation.schedulerBacklogTimeout", Kind: Duration, Default: "1s", TimeUnit: "s", Validate: positiveDuration("s"),
		Doc: "How long tasks must wait for a slot before dynamic allocation asks for more executors (seconds when no unit is given)."},
	{Name: "spark.dynamicAllocation.sustainedSchedulerBacklogTimeout", Kind: Duration, TimeUnit: "s", Fallback: "spark.dynamicAllocation.schedulerBacklogTimeout", Validate: positiveDuration("s"),
		Doc: "Interval between further requests for executors while the backlog lasts; each request asks for twice as many as the one before (seconds when no unit is given)."},

	// Decommissioning.
	{Name: "spark.decommission.enabled", Kind: Bool, Default: "false",
		Doc: "Shut executors down gracefully: an executor that dynamic allocation removes is decommissioned (it takes no new tasks and, with spark.storage.decommission.enabled, hands its blocks to other executors) instead of killed."},
	{Name: "spark.storage.decommission.enabled", Kind: Bool, Default: "false",
		Doc: "Migrate the blocks of a decommissioning executor to other executors: its shuffle output (spark.storage.decommission.shuffleBlocks.enabled) and cached blocks (spark.storage.decommission.rddBlocks.enabled)."},
	{Name: "spark.storage.decommission.shuffleBlocks.enabled", Kind: Bool, Default: "true",
		Doc: "Migrate the shuffle output of a decommissioning executor, with spark.storage.decommission.enabled."},
	{Name: "spark.storage.decommission.rddBlocks.enabled", Kind: Bool, Default: "true",
		Doc: "Migrate the cached blocks of a decommissioning executor, with spark.storage.decommission.enabled."},
	{Name: "spark.executor.decommission.killInterval", Kind: Duration, TimeUnit: "s", Validate: nonNegativeDuration("s"),
		Doc: "How long after it is decommissioned an executor is expected to be gone, killed by something outside Spark such as a reclaimed spot node (seconds when no unit is given); the driver kills one still there after it. Unset means no limit."},
	{Name: "spark.executor.decommission.forceKillTimeout", Kind: Duration, TimeUnit: "s", Validate: nonNegativeDuration("s"),
		Doc: "How long a decommissioning executor may take to hand over its blocks before it is made to exit (seconds when no unit is given). Unset means no limit; low values leave migrations unfinished."},

	// Networking, security, heartbeats.
	{Name: "spark.driver.host", Kind: String,
		Doc: "Host name or address executors use to reach the driver. Unset means 127.0.0.1 in local modes and, on Kubernetes, the driver's service in cluster mode; in client mode it is required (an address of the submitting machine that pods reach), except when gospark submit runs in a pod, where it defaults to the pod's IP."},
	{Name: "spark.driver.port", Kind: Int, Default: "0", Validate: port,
		Doc: "Port of the driver's RPC endpoint; 0 picks a free port."},
	{Name: "spark.executor.heartbeatInterval", Kind: Duration, Default: "10s", Validate: positiveDuration("ms"),
		Doc: "How often executors report to the driver that they are alive (milliseconds when no unit is given). Must be well below spark.network.timeout."},
	{Name: "spark.network.timeout", Kind: Duration, Default: "120s", TimeUnit: "s", Validate: positiveDuration("s"),
		Doc: "Default timeout of network operations, and how long the driver waits for an executor's heartbeat before declaring it lost (seconds when no unit is given)."},
	{Name: "spark.authenticate", Kind: Bool, Default: "false",
		Doc: "Require a shared secret on connections between the driver, executors and the shuffle service. Unset, it is on for local-cluster and k8s:// masters (executors in other processes) and off for local[N]."},
	{Name: "spark.network.crypto.enabled", Kind: Bool, Default: "false",
		Doc: "Encrypt the connections between the driver and executors (TLS 1.3 with ephemeral certificates, bound to the spark.authenticate secret, which must be on)."},
	{Name: "spark.driver.maxResultSize", Kind: Bytes, Default: "1g", ByteUnit: "b",
		Doc: "Most bytes one task of an action may send back to the driver (records of Collect, Reduce, Foreach, CountByKey, Take); 0 means no limit."},
	{Name: "spark.authenticate.secret", Kind: String,
		Doc: "The shared secret for spark.authenticate. On Kubernetes one is generated when unset."},

	// Monitoring.
	{Name: "spark.ui.enabled", Kind: Bool, Default: "true",
		Doc: "Serve the driver's web UI (Jobs, Stages, Storage, Environment, Executors), Spark's REST API under /api/v1 and the Prometheus endpoints on spark.ui.port."},
	{Name: "spark.ui.port", Kind: Int, Default: "4040", Validate: port,
		Doc: "Port of the driver's web UI. When it is taken the next ones are tried, up to spark.port.maxRetries (0 picks any free port)."},
	{Name: "spark.port.maxRetries", Kind: Int, Default: "16", Validate: nonNegativeInt,
		Doc: "How many ports after spark.ui.port the driver tries when the port is taken."},
	{Name: "spark.ui.showConsoleProgress", Kind: Bool, Default: "true",
		Doc: "Draw a progress bar of running stages on the driver's terminal (only when stderr is a terminal)."},
	{Name: "spark.ui.retainedJobs", Kind: Int, Default: "1000", Validate: positiveInt,
		Doc: "How many finished jobs the UI and the REST API remember; older ones are forgotten."},
	{Name: "spark.ui.retainedStages", Kind: Int, Default: "1000", Validate: positiveInt,
		Doc: "How many finished stages the UI and the REST API remember; older ones are forgotten."},
	{Name: "spark.ui.retainedTasks", Kind: Int, Default: "100000", Validate: positiveInt,
		Doc: "How many tasks of each stage attempt the UI and the REST API remember, as in Spark; the oldest finished tasks are forgotten first (the stage's totals stay)."},
	{Name: "spark.ui.retainedDeadExecutors", Kind: Int, Default: "100", Validate: positiveInt,
		Doc: "How many removed executors the UI and /allexecutors remember."},
	{Name: "spark.ui.prometheus.enabled", Kind: Bool, Default: "true",
		Doc: "Serve the executors' metrics at /metrics/executors/prometheus on the UI's port (on by default, as in Spark 4). The driver's own metrics are always at /metrics/prometheus (the PrometheusServlet sink's path)."},
	{Name: "spark.metrics.namespace", Kind: String,
		Doc: "Prefix of the driver's metric names; unset, the application id, as in Spark."},
	{Name: "spark.redaction.regex", Kind: String, Default: "(?i)secret|password|token|access[.]?key", Validate: validRegexp,
		Doc: "Properties whose name or value matches have their value replaced (by nine asterisks and (redacted), as in Spark) in the UI, the REST API and the event log."},
	{Name: "spark.redaction.string.regex", Kind: String, Validate: validRegexp,
		Doc: "Text matching it is redacted from strings the UI shows and the event log stores (e.g. a token inside a URL)."},
	{Name: "spark.scheduler.listenerbus.eventqueue.capacity", Kind: Int, Default: "10000", Validate: positiveInt,
		Doc: "Events each listener (UI status, event log, metrics) may have queued; beyond it events are dropped for that listener with a warning."},
	{Name: "spark.eventLog.enabled", Kind: Bool, Default: "false",
		Doc: "Write the application's events to spark.eventLog.dir so that the history server can show it after it ends."},
	{Name: "spark.eventLog.dir", Kind: String, Default: "/tmp/spark-events",
		Doc: "Directory (a path or file:// URI) the event log is written to when spark.eventLog.enabled is true. It must exist."},
	{Name: "spark.eventLog.compress", Kind: Bool, Default: "false",
		Doc: "Compress the event log with spark.eventLog.compression.codec."},
	{Name: "spark.eventLog.compression.codec", Kind: String, Default: "zstd", Validate: oneOf("lz4", "zstd", "snappy"),
		Doc: "Codec of a compressed event log; the file name ends in .<codec>. zstd logs (standard frames) and uncompressed logs are interchangeable with Spark's history server; gospark's lz4 and snappy logs use the codecs' standard stream formats, which Spark's Java-specific lz4/snappy streams are not."},
	{Name: "spark.eventLog.overwrite", Kind: Bool, Default: "false",
		Doc: "Replace an existing event log of the same application id instead of failing."},
	{Name: "spark.eventLog.logBlockUpdates.enabled", Kind: Bool, Default: "false",
		Doc: "Also log every cached block's update (SparkListenerBlockUpdated), so the history server's Storage page shows cached datasets."},
	{Name: "spark.eventLog.buffer.kb", Kind: Bytes, Default: "100k", ByteUnit: "k", Validate: positiveBytes,
		Doc: "Buffer size of the event log writer."},
	{Name: "spark.eventLog.rolling.enabled", Kind: Bool, Default: "false",
		Doc: "Write the event log as a directory eventlog_v2_<appId> of files of at most spark.eventLog.rolling.maxFileSize."},
	{Name: "spark.eventLog.rolling.maxFileSize", Kind: Bytes, Default: "128m", ByteUnit: "b", Validate: minBytes(10 << 20),
		Doc: "Largest file of a rolling event log (at least 10m)."},
	{Name: "spark.history.fs.logDirectory", Kind: String, Default: "/tmp/spark-events",
		Doc: "Directory (a path or file:// URI) the history server reads event logs from."},
	{Name: "spark.history.ui.port", Kind: Int, Default: "18080", Validate: port,
		Doc: "Port of the history server's UI and REST API."},
	{Name: "spark.history.fs.update.interval", Kind: Duration, Default: "10s", TimeUnit: "s", Validate: positiveDuration("s"),
		Doc: "How often the history server looks for new and updated event logs."},
	{Name: "spark.history.retainedApplications", Kind: Int, Default: "50", Validate: positiveInt,
		Doc: "How many applications' replayed state the history server keeps in memory; others are replayed again when asked for."},
}

var kubernetesProperties = []Property{
	// Cluster access.
	{Name: "spark.kubernetes.namespace", Kind: String, Default: "default",
		Doc: "Namespace of the driver and executor pods. spark-submit's --kubernetes-namespace sets it."},
	{Name: "spark.kubernetes.context", Kind: String,
		Doc: "Kubeconfig context to use when talking to the API server. Unset means the kubeconfig's current context."},

	// Images.
	{Name: "spark.kubernetes.container.image", Kind: String,
		Doc: "Image of the driver, executor and init containers, unless a per-role image is set."},
	{Name: "spark.kubernetes.driver.container.image", Kind: String, Aliases: []string{"spark.kubernetes.driver.docker.image"}, Fallback: "spark.kubernetes.container.image",
		Doc: "Image of the driver container."},
	{Name: "spark.kubernetes.executor.container.image", Kind: String, Aliases: []string{"spark.kubernetes.executor.docker.image"}, Fallback: "spark.kubernetes.container.image",
		Doc: "Image of the executor containers."},
	{Name: "spark.kubernetes.initContainer.image", Kind: String, Aliases: []string{"spark.kubernetes.initcontainer.docker.image"}, Fallback: "spark.kubernetes.container.image",
		Doc: "Image of the init-container that downloads remote and staged dependencies before the driver and executors start."},
	{Name: "spark.kubernetes.container.image.pullPolicy", Kind: String, Default: "IfNotPresent", Aliases: []string{"spark.kubernetes.docker.image.pullPolicy"},
		Validate: oneOf("Always", "IfNotPresent", "Never"),
		Doc:      "When the kubelet pulls the images: Always, IfNotPresent or Never."},
	{Name: "spark.kubernetes.container.image.pullSecrets", Kind: String,
		Doc: "Comma-separated names of secrets in the namespace used to pull the images from a private registry."},

	// Submission.
	{Name: "spark.kubernetes.submission.waitAppCompletion", Kind: Bool, Default: "true", Aliases: []string{"spark.kubernetes.submit.waitAppCompletion"},
		Doc: "In cluster mode, keep gospark submit running and reporting until the application ends. false returns as soon as the driver pod is created."},
	{Name: "spark.kubernetes.report.interval", Kind: Duration, Default: "1s", Validate: positiveDuration("ms"),
		Doc: "How often gospark submit reports the driver's status in cluster mode (milliseconds when no unit is given)."},
	{Name: "spark.kubernetes.driver.pod.name", Kind: String,
		Doc: "Name of the driver pod. Unset means spark.app.name with a unique suffix. In client mode, the name of the pod the driver runs in, if it does."},
	{Name: "spark.kubernetes.executor.podNamePrefix", Kind: String,
		Doc: "Prefix of executor pod names. Unset means one derived from spark.app.name."},
	{Name: "spark.kubernetes.file.upload.path", Kind: String,
		Doc: "Directory (shared storage path or URL) to which gospark submit uploads local dependencies in cluster mode when no resource staging server is configured."},
	{Name: "spark.kubernetes.driverSubmitTimeout", Kind: Duration, Default: "60s", TimeUnit: "s", Validate: positiveDuration("s"),
		Superseded: supSubmitTimeout,
		Doc:        "How long to wait for the driver pod to start running before giving up (old guide; seconds when no unit is given)."},
	{Name: "spark.kubernetes.driver.submissionServerMemory", Kind: Bytes, Default: "256m", ByteUnit: "m",
		Superseded: supSubmissionServer,
		Doc:        "Memory of the driver's submission server in the old guide's submission flow (MiB when no unit is given)."},
	{Name: "spark.kubernetes.driver.service.exposeUiPort", Kind: Bool, Default: "false",
		Doc: "Make the driver's Service a NodePort, so that the UI (port spark-ui, 4040) is reachable on every node (old guide). Off because node ports are scarce; kubectl port-forward reaches the UI without it."},
	{Name: "spark.kubernetes.driver.serviceManagerType", Kind: String, Default: "NodePort", Validate: oneOf("NodePort", "ExternalAnnotation"),
		Superseded: supServiceManager,
		Doc:        "How the submitter reaches the driver in the old guide's submission flow: NodePort (a node port on any node) or ExternalAnnotation (a service annotated spark-job.alpha.apache.org/provideExternalUri, whose resolvedExternalUri annotation an external process fills in)."},

	// Authentication to the API server.
	{Name: "spark.kubernetes.authenticate.submission.caCertFile", Kind: String, Aliases: []string{"spark.kubernetes.submit.caCertFile"},
		Doc: "CA certificate file (a path on the submitting machine) to trust the API server's TLS certificate when submitting."},
	{Name: "spark.kubernetes.authenticate.submission.clientKeyFile", Kind: String, Aliases: []string{"spark.kubernetes.submit.clientKeyFile"},
		Doc: "Client key file (a path on the submitting machine) to authenticate to the API server when submitting."},
	{Name: "spark.kubernetes.authenticate.submission.clientCertFile", Kind: String, Aliases: []string{"spark.kubernetes.submit.clientCertFile"},
		Doc: "Client certificate file (a path on the submitting machine) to authenticate to the API server when submitting."},
	{Name: "spark.kubernetes.authenticate.submission.oauthToken", Kind: String,
		Doc: "OAuth bearer token (the token itself) to authenticate to the API server when submitting."},
	{Name: "spark.kubernetes.authenticate.submission.oauthTokenFile", Kind: String,
		Doc: "File holding the OAuth bearer token to authenticate to the API server when submitting."},
	{Name: "spark.kubernetes.authenticate.driver.caCertFile", Kind: String,
		Doc: "CA certificate file the driver uses to trust the API server when it creates executors. A path on the submitting machine; it is uploaded to the driver pod."},
	{Name: "spark.kubernetes.authenticate.driver.clientKeyFile", Kind: String,
		Doc: "Client key file the driver uses to authenticate to the API server. A path on the submitting machine; it is uploaded to the driver pod as a secret."},
	{Name: "spark.kubernetes.authenticate.driver.clientCertFile", Kind: String,
		Doc: "Client certificate file the driver uses to authenticate to the API server. A path on the submitting machine; it is uploaded to the driver pod."},
	{Name: "spark.kubernetes.authenticate.driver.oauthToken", Kind: String,
		Doc: "OAuth bearer token (the token itself) the driver uses to authenticate to the API server; it is passed to the driver pod as a secret."},
	{Name: "spark.kubernetes.authenticate.driver.oauthTokenFile", Kind: String,
		Doc: "File on the submitting machine holding the OAuth token the driver uses; its content is passed to the driver pod as a secret."},
	{Name: "spark.kubernetes.authenticate.driver.mounted.caCertFile", Kind: String,
		Doc: "Path inside the driver pod of the CA certificate the driver trusts for the API server, when it is already mounted there (instead of spark.kubernetes.authenticate.driver.caCertFile)."},
	{Name: "spark.kubernetes.authenticate.driver.mounted.clientKeyFile", Kind: String,
		Doc: "Path inside the driver pod of the client key the driver authenticates to the API server with, when it is already mounted there."},
	{Name: "spark.kubernetes.authenticate.driver.mounted.clientCertFile", Kind: String,
		Doc: "Path inside the driver pod of the client certificate the driver authenticates to the API server with, when it is already mounted there."},
	{Name: "spark.kubernetes.authenticate.driver.mounted.oauthTokenFile", Kind: String,
		Doc: "Path inside the driver pod of a file with the OAuth token the driver authenticates to the API server with, when it is already mounted there."},
	{Name: "spark.kubernetes.driver.master", Kind: String, Default: "https://kubernetes.default.svc", Validate: driverMaster,
		Doc: "API server URL the driver uses from inside its pod to create and watch executor pods, or a local master (local[*], local[N]) for a driver-only application: it runs inside the driver pod with that master, and no executor pod is made (spark.executor.instances=0 is then right)."},
	{Name: "spark.kubernetes.submission.connectionTimeout", Kind: Duration, Default: "10s", TimeUnit: "ms", Validate: positiveDuration("ms"),
		Doc: "Time gospark submit's Kubernetes client waits to connect to the API server (DNS lookup included) before it retries (milliseconds when no unit is given). Connection failures, 429 and 503 are retried, and 5xx for idempotent requests, with backoff for at most 30 s."},
	{Name: "spark.kubernetes.submission.requestTimeout", Kind: Duration, Default: "10s", TimeUnit: "ms", Validate: positiveDuration("ms"),
		Doc: "Time gospark submit's Kubernetes client waits for one API request (milliseconds when no unit is given); an idempotent request that takes longer is retried. Watches are not bound by it."},
	{Name: "spark.kubernetes.driver.connectionTimeout", Kind: Duration, Default: "10s", TimeUnit: "ms", Validate: positiveDuration("ms"),
		Doc: "Time the driver pod's Kubernetes client (which manages the executor pods) waits to connect to the API server before it retries (milliseconds when no unit is given); retries as for spark.kubernetes.submission.connectionTimeout."},
	{Name: "spark.kubernetes.driver.requestTimeout", Kind: Duration, Default: "10s", TimeUnit: "ms", Validate: positiveDuration("ms"),
		Doc: "Time the driver pod's Kubernetes client waits for one API request (milliseconds when no unit is given); an idempotent request that takes longer is retried. Watches are not bound by it."},
	{Name: "spark.kubernetes.appKillPodDeletionGracePeriod", Kind: Duration, TimeUnit: "s", Validate: nonNegativeDuration("s"),
		Doc: "Grace period gospark submit --kill gives the driver pod (seconds when no unit is given). Unset means the pod's own terminationGracePeriodSeconds."},
	{Name: "spark.kubernetes.authenticate.driver.serviceAccountName", Kind: String, Default: "default", Aliases: []string{"spark.kubernetes.submit.serviceAccountName"},
		Doc: "Service account of the driver pod, whose permissions it uses to create and watch executor pods. Cannot be combined with the driver's certificate or token files."},
	{Name: "spark.kubernetes.authenticate.resourceStagingServer.caCertFile", Kind: String,
		Doc: "CA certificate file the resource staging server uses to trust the API server, which it watches to clean up unused bundles."},
	{Name: "spark.kubernetes.authenticate.resourceStagingServer.clientKeyFile", Kind: String,
		Doc: "Client key file the resource staging server uses to authenticate to the API server."},
	{Name: "spark.kubernetes.authenticate.resourceStagingServer.clientCertFile", Kind: String,
		Doc: "Client certificate file the resource staging server uses to authenticate to the API server."},
	{Name: "spark.kubernetes.authenticate.resourceStagingServer.oauthToken", Kind: String,
		Doc: "OAuth token (the token itself) the resource staging server uses; not together with oauthTokenFile."},
	{Name: "spark.kubernetes.authenticate.resourceStagingServer.oauthTokenFile", Kind: String,
		Doc: "File holding the OAuth token the resource staging server uses; not together with oauthToken. Takes precedence over the service account token."},
	{Name: "spark.kubernetes.authenticate.resourceStagingServer.useServiceAccountCredentials", Kind: Bool, Default: "true",
		Doc: "Let the resource staging server authenticate with its pod's service account token and CA certificate. Set false when it runs outside Kubernetes."},

	// Driver and executor pods.
	{Name: "spark.kubernetes.driver.label.", Prefix: true, Kind: String,
		Doc: "spark.kubernetes.driver.label.KEY=value adds the label KEY=value to the driver pod. gospark's own labels (spark-app-selector, spark-role) cannot be overridden."},
	{Name: "spark.kubernetes.driver.annotation.", Prefix: true, Kind: String,
		Doc: "spark.kubernetes.driver.annotation.KEY=value adds the annotation KEY=value to the driver pod."},
	{Name: "spark.kubernetes.executor.label.", Prefix: true, Kind: String,
		Doc: "spark.kubernetes.executor.label.KEY=value adds the label KEY=value to every executor pod. gospark's own labels cannot be overridden."},
	{Name: "spark.kubernetes.executor.annotation.", Prefix: true, Kind: String,
		Doc: "spark.kubernetes.executor.annotation.KEY=value adds the annotation KEY=value to every executor pod."},
	{Name: "spark.kubernetes.driver.labels", Kind: String, Validate: keyValueList,
		Doc: "The fork's older form of driver labels: a comma-separated list of key=value pairs. For a key given both ways, spark.kubernetes.driver.label.KEY wins."},
	{Name: "spark.kubernetes.driver.annotations", Kind: String, Validate: keyValueList,
		Doc: "The fork's older form of driver annotations: a comma-separated list of key=value pairs. For a key given both ways, spark.kubernetes.driver.annotation.KEY wins."},
	{Name: "spark.kubernetes.node.selector.", Prefix: true, Kind: String,
		Doc: "spark.kubernetes.node.selector.KEY=value adds KEY=value to the node selector of the driver and executor pods, so they run only on matching nodes."},
	{Name: "spark.kubernetes.driverEnv.", Prefix: true, Kind: String,
		Doc: "spark.kubernetes.driverEnv.NAME=value sets the environment variable NAME in the driver container."},
	{Name: "spark.kubernetes.driver.limit.cores", Kind: String,
		Doc: "Hard CPU limit of the driver pod, as a Kubernetes quantity (e.g. 1 or 500m). Unset means no limit."},
	{Name: "spark.kubernetes.executor.limit.cores", Kind: String,
		Doc: "Hard CPU limit of each executor pod, as a Kubernetes quantity. Unset means no limit."},
	{Name: "spark.kubernetes.driver.request.cores", Kind: String,
		Doc: "CPU request of the driver pod as a Kubernetes quantity; unset means spark.driver.cores."},
	{Name: "spark.kubernetes.executor.request.cores", Kind: String,
		Doc: "CPU request of each executor pod as a Kubernetes quantity; unset means spark.executor.cores."},
	{Name: "spark.kubernetes.memoryOverheadFactor", Kind: Double, Default: "0.1", Validate: between(0, 1, false, false),
		Doc: "Share of the driver or executor memory added to its pod as overhead when spark.driver.memoryOverhead or spark.executor.memoryOverhead is unset (at least 384 MiB)."},
	{Name: "spark.kubernetes.driver.secrets.", Prefix: true, Kind: String,
		Doc: "spark.kubernetes.driver.secrets.NAME=PATH mounts the secret NAME of the namespace at PATH in the driver pod."},
	{Name: "spark.kubernetes.executor.secrets.", Prefix: true, Kind: String,
		Doc: "spark.kubernetes.executor.secrets.NAME=PATH mounts the secret NAME of the namespace at PATH in the executor pods."},
	{Name: "spark.kubernetes.driver.volumes.", Prefix: true, Kind: String,
		Doc: "Volumes of the driver pod: spark.kubernetes.driver.volumes.TYPE.NAME.mount.path, .mount.readOnly, .options.path (hostPath), .options.claimName (persistentVolumeClaim), .options.medium (emptyDir)."},
	{Name: "spark.kubernetes.executor.volumes.", Prefix: true, Kind: String,
		Doc: "Volumes of the executor pods, in the same form as spark.kubernetes.driver.volumes."},

	// Executor pods.
	{Name: "spark.kubernetes.allocation.batch.size", Kind: Int, Default: "5", Validate: positiveInt,
		Doc: "How many executor pods to create in each allocation round."},
	{Name: "spark.kubernetes.allocation.batch.delay", Kind: Duration, Default: "1s", TimeUnit: "s", Validate: positiveDuration("s"),
		Doc: "Time between executor allocation rounds. The fork counts a bare number in seconds, and so does gospark (modern Spark counts it in milliseconds)."},
	{Name: "spark.kubernetes.executor.apiPollingInterval", Kind: Duration, Default: "30s", Validate: positiveDuration("ms"),
		Doc: "How often the driver lists its executor pods, in addition to watching them, to catch missed events (milliseconds when no unit is given)."},
	{Name: "spark.executor.maxNumFailures", Kind: Int, Validate: positiveInt,
		Doc: "How many executor failures (pods that failed, were evicted by the kubelet, OOM-killed or could not start; not deleted pods, nor executors that exited with code 0, which were told to go) the application tolerates before it fails. Unset means twice spark.executor.instances (with dynamic allocation, twice spark.dynamicAllocation.maxExecutors: no limit at its default), at least 3."},
	{Name: "spark.kubernetes.executor.deleteOnTermination", Kind: Bool, Default: "true",
		Doc: "Delete executor pods when they end. When false they are kept for debugging and labelled spark-exec-inactive=true."},
	{Name: "spark.kubernetes.executor.decommissionLabel", Kind: String,
		Doc: "Label put on an executor pod when it is decommissioned (spark.decommission.enabled), for pod disruption budgets and pod-deletion-cost. Unset means none."},
	{Name: "spark.kubernetes.executor.decommissionLabelValue", Kind: String,
		Doc: "Value of the spark.kubernetes.executor.decommissionLabel label."},

	// Dependencies.
	{Name: "spark.kubernetes.resourceStagingServer.port", Kind: Int, Default: "10000", Validate: port,
		Doc: "Port the resource staging server listens on."},
	{Name: "spark.kubernetes.resourceStagingServer.uri", Kind: String, Validate: httpURL,
		Doc: "URL of the resource staging server to which gospark submit uploads local dependencies. It must be reachable from the submitting machine (and from the pods, unless internal.uri is set)."},
	{Name: "spark.kubernetes.resourceStagingServer.internal.uri", Kind: String, Validate: httpURL, Fallback: "spark.kubernetes.resourceStagingServer.uri",
		Doc: "URL at which init-containers inside the cluster reach the resource staging server, when it differs from the one the submitter uses."},
	{Name: "spark.kubernetes.mountdependencies.jarsDownloadDir", Kind: String, Default: "/var/spark-data/spark-jars",
		Doc: "Directory in the driver and executor containers into which the init-container downloads jars (an emptyDir volume)."},
	{Name: "spark.kubernetes.mountdependencies.filesDownloadDir", Kind: String, Default: "/var/spark-data/spark-files",
		Doc: "Directory in the driver and executor containers into which the init-container downloads files (an emptyDir volume)."},
	{Name: "spark.kubernetes.mountdependencies.mountTimeout", Kind: Duration, Default: "5min", TimeUnit: "min", Validate: positiveDuration("min"),
		Doc: "How long the init-container may take to download all dependencies before it fails the pod (minutes when no unit is given)."},
	{Name: "spark.kubernetes.mountdependencies.maxSimultaneousDownloads", Kind: Int, Default: "5", Validate: positiveInt,
		Doc: "How many dependencies the init-container downloads at once."},
	{Name: "spark.kubernetes.initContainer.configMapName", Kind: String,
		Doc: "Set by gospark submit: the ConfigMap holding what the init-container fetches. The driver gives its executors the same init-container."},
	{Name: "spark.kubernetes.initContainer.secretName", Kind: String,
		Doc: "Set by gospark submit: the Secret holding the resource staging server's secret and certificate for the init-container."},
	{Name: "spark.kubernetes.resourceStagingServer.initialAccessExpirationTimeout", Kind: Duration, Default: "30min", Validate: positiveDuration("ms"),
		Doc: "The staging server deletes a bundle no pod has used within this time after its upload, assuming its application never started (milliseconds when no unit is given)."},
	{Name: "spark.kubernetes.resourceStagingServer.apiServer.url", Kind: String, Default: "https://kubernetes.default.svc", Validate: httpURL,
		Doc: "API server the resource staging server watches pods through, to delete bundles whose application's pods are gone."},
	{Name: "spark.kubernetes.resourceStagingServer.apiServer.caCertFile", Kind: String,
		Doc: "CA certificate the resource staging server trusts the API server with (instead of its service account's)."},
	{Name: "spark.kubernetes.resourceStagingServer.storageDir", Kind: String, Default: "/var/spark-data/resource-staging-server",
		Doc: "Directory the resource staging server keeps bundles in. Uploads are written beside it and appear only when complete."},
	{Name: "spark.kubernetes.resourceStagingServer.maxBundleSize", Kind: Bytes, Default: "1g", Validate: positiveBytes,
		Doc: "Largest upload the resource staging server accepts (bytes when no unit is given); larger ones are refused with 413."},
	{Name: "spark.kubernetes.resourceStagingServer.cleanupInterval", Kind: Duration, Default: "30s", Validate: positiveDuration("ms"),
		Doc: "How often the resource staging server looks for bundles to delete (milliseconds when no unit is given)."},

	// External shuffle service.
	{Name: "spark.kubernetes.shuffle.namespace", Kind: String, Default: "default",
		Doc: "Namespace of the external shuffle service pods used with dynamic allocation."},
	{Name: "spark.kubernetes.shuffle.labels", Kind: String, Validate: keyValueList,
		Doc: "Comma-separated key=value labels that select the shuffle service pods; they must match exactly one pod on each node that runs executors."},

	// Tests.
	{Name: "spark.kubernetes.test.master", Kind: String,
		NotImplemented: niForkTests,
		Doc:            "Master URL (k8s://...) of an existing cluster the end-to-end tests run against, instead of the one they start."},
	{Name: "spark.docker.test.driverImage", Kind: String,
		NotImplemented: niForkTests,
		Doc:            "Driver image the end-to-end tests use instead of building one."},
	{Name: "spark.docker.test.executorImage", Kind: String,
		NotImplemented: niForkTests,
		Doc:            "Executor image the end-to-end tests use instead of building one."},
	{Name: "spark.docker.test.persistMinikube", Kind: Bool, Default: "false",
		NotImplemented: niForkTests,
		Doc:            "Keep the test cluster running after the end-to-end tests, to save time between runs."},
}

// sslProperties declares Spark's TLS settings under one namespace prefix.
func sslProperties(prefix, what string) []Property {
	return []Property{
		{Name: prefix + "enabled", Kind: Bool, Default: "false",
			Doc: "Use TLS for " + what + "."},
		{Name: prefix + "keyStore", Kind: String,
			Doc: "Key store holding the server's key and certificate for " + what + ". A local:// URI names a file in the container image; a plain path or file:// a file on the submitting machine, mounted as a secret."},
		{Name: prefix + "keyStorePassword", Kind: String,
			Doc: "Password of the key store for " + what + "."},
		{Name: prefix + "keyPassword", Kind: String,
			Doc: "Password of the private key in the key store for " + what + "."},
		{Name: prefix + "keyStoreType", Kind: String,
			Doc: "Type of the key store for " + what + " (e.g. JKS or PKCS12)."},
		{Name: prefix + "trustStore", Kind: String,
			Doc: "Trust store with the certificates a client of " + what + " trusts."},
		{Name: prefix + "trustStorePassword", Kind: String,
			Doc: "Password of the trust store for " + what + "."},
		{Name: prefix + "trustStoreType", Kind: String,
			Doc: "Type of the trust store for " + what + "."},
		{Name: prefix + "protocol", Kind: String,
			Doc: "TLS protocol version for " + what + " (e.g. TLSv1.2). Unset means Go's default."},
		{Name: prefix + "enabledAlgorithms", Kind: String,
			Doc: "Comma-separated cipher suites allowed for " + what + ". Unset means Go's defaults."},
	}
}

const rss = "spark.ssl.kubernetes.resourceStagingServer."

var stagingServerTLSProperties = []Property{
	{Name: rss + "keyPem", Kind: String,
		Doc: "PEM private key of the resource staging server's TLS certificate. Needs serverCertPem; not together with keyStore."},
	{Name: rss + "serverCertPem", Kind: String,
		Doc: "PEM certificate of the resource staging server. Needs keyPem; not together with keyStore."},
	{Name: rss + "clientCertPem", Kind: String,
		Doc: "PEM certificate the submitter trusts when uploading to the resource staging server over TLS (instead of a trust store)."},
	{Name: rss + "keyStorePasswordFile", Kind: String,
		NotImplemented: niKeyStores,
		Doc:            "File in the staging server's container holding the key store password, e.g. from a mounted secret."},
	{Name: rss + "keyPasswordFile", Kind: String,
		NotImplemented: niKeyStores,
		Doc:            "File in the staging server's container holding the key password, e.g. from a mounted secret."},
	{Name: rss + "internal.trustStore", Kind: String, Fallback: rss + "trustStore",
		Doc: "Trust store init-containers use to reach the staging server over TLS. local:// means a file already in the image; a plain path or file:// is mounted from the submitting machine as a secret."},
	{Name: rss + "internal.trustStorePassword", Kind: String, Fallback: rss + "trustStorePassword",
		NotImplemented: niTrustStores,
		Doc:            "Password of the init-containers' trust store."},
	{Name: rss + "internal.trustStoreType", Kind: String, Fallback: rss + "trustStoreType",
		NotImplemented: niTrustStores,
		Doc:            "Type of the init-containers' trust store."},
	{Name: rss + "internal.enabled", Kind: Bool, Fallback: rss + "enabled",
		Doc: "Use TLS when init-containers download from the staging server. Unset means the value of spark.ssl.kubernetes.resourceStagingServer.enabled."},
	{Name: rss + "internal.clientCertPem", Kind: String, Fallback: rss + "clientCertPem",
		Doc: "PEM certificate init-containers trust when downloading from the staging server over TLS. local:// means a file already in the image; a plain path or file:// is mounted from the submitting machine as a secret."},
}
