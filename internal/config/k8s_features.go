package config

// Kubernetes properties that Spark 3.x and 4.x added after the seed
// documents (Spark's docs/running-on-kubernetes.md is the reference for
// their names, defaults and meaning): pod templates, secrets as
// environment variables, on-demand volumes, allocation limits, client
// mode, batch schedulers.

func init() {
	for _, p := range kubernetesFeatureProperties {
		Register(p)
	}
}

var kubernetesFeatureProperties = []Property{
	// Pod templates.
	{Name: "spark.kubernetes.driver.podTemplateFile", Kind: String,
		Doc: "A file (on the submitting machine) holding a Pod in YAML or JSON that the driver pod is built on: everything in it is kept (tolerations, affinity, priority class, sidecars, init-containers, volumes, security context) except what gospark sets, as Spark's pod template rules say. A template that is not a valid Pod fails at submit."},
	{Name: "spark.kubernetes.executor.podTemplateFile", Kind: String,
		Doc: "A file holding a Pod in YAML or JSON that the executor pods are built on, as spark.kubernetes.driver.podTemplateFile for the driver. Submit reads it and passes it to the driver."},
	{Name: "spark.kubernetes.driver.podTemplateContainerName", Kind: String,
		Doc: "The container of the driver's pod template that runs the driver. Unset means the template's first container."},
	{Name: "spark.kubernetes.executor.podTemplateContainerName", Kind: String,
		Doc: "The container of the executors' pod template that runs the executor. Unset means the template's first container."},

	// Secrets and service accounts.
	{Name: "spark.kubernetes.driver.secretKeyRef.", Prefix: true, Kind: String,
		Doc: "spark.kubernetes.driver.secretKeyRef.ENV=NAME:KEY sets the environment variable ENV of the driver container to the value of KEY in the secret NAME."},
	{Name: "spark.kubernetes.executor.secretKeyRef.", Prefix: true, Kind: String,
		Doc: "spark.kubernetes.executor.secretKeyRef.ENV=NAME:KEY sets the environment variable ENV of the executor containers to the value of KEY in the secret NAME."},
	{Name: "spark.kubernetes.authenticate.executor.serviceAccountName", Kind: String,
		Doc: "Service account of the executor pods. Unset means the driver's (spark.kubernetes.authenticate.driver.serviceAccountName), as in Spark 3.1 and later."},
	{Name: "spark.driver.memoryOverheadFactor", Kind: Double, Validate: between(0, 1, false, false),
		Doc: "The driver pod's memory overhead as a fraction of spark.driver.memory when spark.driver.memoryOverhead is unset (at least 384 MiB), as in Spark 3.3 and later. Unset means spark.kubernetes.memoryOverheadFactor."},
	{Name: "spark.executor.memoryOverheadFactor", Kind: Double, Validate: between(0, 1, false, false),
		Doc: "The executor pods' memory overhead as a fraction of spark.executor.memory when spark.executor.memoryOverhead is unset (at least 384 MiB), as in Spark 3.3 and later. Unset means spark.kubernetes.memoryOverheadFactor."},

	// Volumes.
	{Name: "spark.kubernetes.driver.ownPersistentVolumeClaim", Kind: Bool, Default: "true",
		Doc: "Make the driver pod, not the executor pod, the owner of on-demand claims (claimName=OnDemand) of executor pods, so that a claim outlives the executor it was made for."},
	{Name: "spark.kubernetes.driver.reusePersistentVolumeClaim", Kind: Bool, Default: "true",
		Doc: "Give a new executor pod an on-demand claim the driver owns that no live executor pod uses, instead of making a new claim. Needs spark.kubernetes.driver.ownPersistentVolumeClaim."},
	{Name: "spark.kubernetes.legacy.useReadWriteOnceAccessMode", Kind: Bool, Default: "false",
		Doc: "Make on-demand claims (claimName=OnDemand) ReadWriteOnce, as Spark 3 did, instead of ReadWriteOncePod (one pod at a time), for storage that does not offer ReadWriteOncePod."},
	{Name: "spark.kubernetes.local.dirs.tmpfs", Kind: Bool, Default: "false",
		Doc: "Back the emptyDir local directories (SPARK_LOCAL_DIRS) of the driver and executor pods with memory (medium Memory); their use then counts against the pods' memory."},

	// Allocation and lifecycle.
	{Name: "spark.kubernetes.allocation.maxPendingPods", Kind: Int, Default: "2147483647", Validate: positiveInt,
		Doc: "The most executor pods the driver lets be pending (requested or created but not yet running) at once; allocation waits while that many are."},
	{Name: "spark.kubernetes.allocation.executor.timeout", Kind: Duration, Default: "600s", TimeUnit: "ms", Validate: positiveDuration("ms"),
		Doc: "How long a newly requested executor pod may take to appear in the driver's listings and leave Pending (milliseconds when no unit is given; at least five spark.kubernetes.allocation.batch.delay). A pod not seen by then, one the API server keeps refusing (a quota, asked again every batch delay meanwhile), or one still Pending (unschedulable, a missing claim) is deleted, the reason logged and reported, a new one requested, and the timeout counts as an executor failure (spark.executor.maxNumFailures), so that a request that cannot be satisfied ends the application instead of waiting for ever."},
	{Name: "spark.kubernetes.executor.missingPodDetectDelta", Kind: Duration, Default: "30s", TimeUnit: "ms", Validate: positiveDuration("ms"),
		Doc: "How long a registered executor's pod may be missing from the driver's listings (watch and polling) before the executor is removed (milliseconds when no unit is given). A deletion the driver hears of removes the executor at once; this catches those it missed. Not counted as an executor failure."},
	{Name: "spark.kubernetes.driver.service.deleteOnTermination", Kind: Bool, Default: "true",
		Doc: "Delete the driver's Services (its headless Service, and the UI's NodePort Service with spark.kubernetes.driver.service.exposeUiPort) when the application in the driver pod exits. False keeps them until the driver pod, their owner, is deleted."},

	// Client mode.
	{Name: "spark.driver.bindAddress", Kind: String, Fallback: "spark.driver.host",
		Doc: "Address the driver listens on for its executors in client mode on Kubernetes, and where gospark submit serves the application's files to the executor pods. Unset means spark.driver.host. Executors still connect to spark.driver.host, so this is for a host whose reachable address is not its own (a NAT, a Service in front of a pod)."},

	// Batch schedulers.
	{Name: "spark.kubernetes.scheduler.name", Kind: String,
		Doc: "The scheduler (schedulerName) of the driver and executor pods. Unset means the cluster's default scheduler."},
	{Name: "spark.kubernetes.driver.scheduler.name", Kind: String,
		Doc: "The scheduler of the driver pod; wins over spark.kubernetes.scheduler.name."},
	{Name: "spark.kubernetes.executor.scheduler.name", Kind: String,
		Doc: "The scheduler of the executor pods; wins over spark.kubernetes.scheduler.name."},
	{Name: "spark.kubernetes.scheduler.volcano.podGroupTemplateFile", Kind: String,
		Doc: "A file (on the submitting machine) holding a Volcano PodGroup (YAML or JSON, apiVersion scheduling.volcano.sh/v1beta1) whose labels, annotations and spec (queue, minMember, minResources, priorityClassName, ...) the application's PodGroup <appId>-podgroup gets, as given: like Spark, gospark computes nothing into it. Read only when spark.kubernetes.driver.pod.featureSteps has VolcanoFeatureStep; a file that is not a PodGroup fails at submit."},
	{Name: "spark.kubernetes.driver.pod.featureSteps", Kind: String,
		Doc: "Extra feature steps of the driver pod, comma-separated class names. gospark runs no JVM classes: it knows Spark's org.apache.spark.deploy.k8s.features.VolcanoFeatureStep, which annotates the pod with its Volcano PodGroup (scheduling.k8s.io/group-name) and makes the PodGroup <appId>-podgroup before the driver pod, owned by it (submit fails, creating nothing, when the cluster has no Volcano PodGroup CRD), and refuses any other class."},
	{Name: "spark.kubernetes.executor.pod.featureSteps", Kind: String,
		Doc: "Extra feature steps of the executor pods, comma-separated, as spark.kubernetes.driver.pod.featureSteps."},
}
