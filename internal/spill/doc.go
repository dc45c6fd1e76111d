// Package spill holds the data structures that keep a task inside its memory
// budget by spilling to disk, after Spark's ExternalAppendOnlyMap and
// ExternalSorter. Map aggregates values by key (reduceByKey, groupByKey,
// aggregateByKey, cogroup); when its estimated size passes the budget it
// writes its entries sorted by key hash to a run file and starts again, and
// its output merges the runs, combining entries with equal keys. Sorter
// sorts records the same way with a comparison function. Sizes are estimates
// (see Sizer): the goal is a bounded footprint, not exact accounting.
package spill
