// Package spark is gospark's public API: typed, partitioned datasets with
// Spark's transformations and actions, run by a driver over executors.
//
// A program registers plan functions at package initialization:
//
//	var wordCounts = spark.Func1(func(p *spark.Plan, path string) *spark.Dataset[spark.KV[string, int]] {
//		words := spark.FlatMap(spark.TextFile(p, path, 0), strings.Fields)
//		return spark.ReduceByKey(spark.Map(words, func(w string) spark.KV[string, int] {
//			return spark.KV[string, int]{Key: w, Value: 1}
//		}), func(a, b int) int { return a + b })
//	})
//
// and calls them from main on a Session, then runs actions on the result:
//
//	sess, err := spark.NewSession(ctx)
//	...
//	counts, err := spark.Collect(ctx, wordCounts.Call(sess, "input.txt"))
//
// Go cannot ship closures to other processes, so every dataset is built by a
// registered function: an executor given the function and its arguments
// rebuilds the same plan and finds the same datasets by id. A dataset built
// any other way (with a nil Plan, or after its function returned) carries an
// error that every action reports, in local mode as on a cluster.
//
// Transformations are functions rather than methods because Go methods
// cannot introduce type parameters. Records move through a task in batches;
// functions passed to transformations must not keep the slices they are given.
package spark
