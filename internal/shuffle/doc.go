// Package shuffle moves records between stages. A map task writes its output
// partitioned for the reducers into one data file and one index file under
// the executor's local directory, as Spark's sort-based shuffle does: the data
// file holds each reduce partition's records contiguously as compressed frames
// (spark.io.compression.codec), the index file holds the R+1 byte offsets of
// those partitions. While a map task buffers more than its memory budget it
// spills to temporary files, which are merged into the data file when the task
// commits. A reducer reads its partition's byte range from every map output;
// an output that cannot be read is reported as a *FetchFailedError so the
// scheduler can recompute the map task that produced it.
package shuffle
