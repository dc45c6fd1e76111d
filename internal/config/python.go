package config

// Properties of Python applications (PySpark's names and defaults): which
// Python runs the driver program and the workers, and how the executors'
// Python workers behave; and Spark SQL's file partitioning, which
// spark.read.text (only Python programs have it) follows.
// spark.submit.pyFiles is declared with the application properties.

func init() {
	for _, p := range pythonProperties {
		Register(p)
	}
}

var pythonProperties = []Property{
	{Name: "spark.pyspark.python", Kind: String,
		Doc: "Python executable of a Python application's workers on the executors, and of its driver program when spark.pyspark.driver.python is unset. Unset means the PYSPARK_PYTHON environment variable of the driver, else python3. The driver's choice is sent with every Python stage, as in PySpark, so the executors' images must have it."},
	{Name: "spark.pyspark.driver.python", Kind: String,
		Doc: "Python executable of a Python application's driver program. Unset means spark.pyspark.python, then the PYSPARK_DRIVER_PYTHON and PYSPARK_PYTHON environment variables, else python3."},
	{Name: "spark.python.worker.reuse", Kind: Bool, Default: "true",
		Doc: "Keep an executor's Python worker processes for the next Python tasks instead of starting one per task. A worker whose task failed is never reused."},
	{Name: "spark.sql.files.maxPartitionBytes", Kind: Bytes, Default: "128m", ByteUnit: "b", Validate: positiveBytes,
		Doc: "The most bytes of files a partition of spark.read.text takes: files are cut into pieces of at most this size (or of the bytes per core, when smaller), which are packed into partitions as Spark SQL's file sources pack them. SparkContext.textFile partitions as Hadoop does instead."},
	{Name: "spark.sql.files.openCostInBytes", Kind: Bytes, Default: "4m", ByteUnit: "b", Validate: nonNegativeBytes,
		Doc: "What opening a file counts for, in bytes, when spark.read.text packs files into partitions: a partition takes files while their bytes and this much per file stay within spark.sql.files.maxPartitionBytes."},
	{Name: "spark.sql.files.minPartitionNum", Kind: Int, Validate: positiveInt,
		Doc: "The number of partitions spark.read.text aims at at least (the bytes per core are the files' bytes over it). Unset means the default parallelism."},
	{Name: "spark.python.worker.memory", Kind: Bytes, Default: "512m", ByteUnit: "m", Validate: positiveBytes,
		Doc: "Memory a Python worker may use for aggregation (reduceByKey, groupByKey, combineByKey, distinct, join) before it acts: on the map side it sends what it has combined so far to the shuffle and starts again (the reduce side merges the pieces), so map tasks keep within it. The reduce side merges a partition's keys in memory: use more partitions when one partition's distinct keys do not fit."},
}
