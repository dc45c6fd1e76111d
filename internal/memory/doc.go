// Package memory divides an executor's memory between task execution
// (shuffle buffers, aggregation maps, sort buffers) and storage (cached
// partitions), after Spark's unified memory manager: usable memory is
// (heap - reserved) * spark.memory.fraction, storage may use what execution
// does not, and each running task may hold at most 1/N of execution memory
// where N is the number of task slots. Code that buffers records asks for
// its budget here and spills to disk when it is reached.
package memory
