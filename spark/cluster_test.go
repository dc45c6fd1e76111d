package spark_test

import (
	"context"
	"os"
	"testing"

	"github.com/gospark/gospark/spark"
)

// TestMain lets this test binary be the executors of the sessions its tests
// start with local-cluster masters: started again with GOSPARK_ROLE=executor,
// it serves its driver and exits.
func TestMain(m *testing.M) {
	if r := os.Getenv("GOSPARK_ROLE"); r == "executor" || r == "shuffle-service" {
		_, _ = spark.NewSession(context.Background()) // does not return
	}
	code := m.Run()
	removeBuilt()
	os.Exit(code)
}

// TestOnExecutorProcesses runs the action and transformation tests again
// with two executor processes: same answers, records and results crossing
// process boundaries.
func TestOnExecutorProcesses(t *testing.T) {
	s := newSession(t, spark.Master("local-cluster[2,1,512]"))
	for _, c := range []struct {
		name string
		run  func(*testing.T, *spark.Session)
	}{
		{"Actions", testActions},
		{"NarrowTransformations", testNarrowTransformations},
		{"ShuffleTransformations", testShuffleTransformations},
		{"AccumulatorsAndBroadcast", testAccumulatorsAndBroadcast},
		{"TextFileSplitsAndSave", testTextFileSplitsAndSave},
	} {
		t.Run(c.name, func(t *testing.T) { c.run(t, s) })
	}
}
