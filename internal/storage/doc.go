// Package storage is an executor's block store for cached (persisted)
// partitions, after Spark's BlockManager. A block is one partition of one
// dataset. MEMORY_ONLY blocks are kept as decoded records when the memory
// manager grants their size and are otherwise not cached (the partition is
// recomputed from lineage next time); MEMORY_AND_DISK blocks that do not fit
// are written to the executor's local directory; DISK_ONLY blocks always are.
package storage
