package spark_test

import (
	"context"
	"strings"
	"testing"

	"github.com/gospark/gospark/spark"
)

// byLastDigit sends i to partition i % 10 of 10.
var byLastDigit = spark.Func2(func(p *spark.Plan, n int64, bad bool) *spark.Dataset[int64] {
	return spark.PartitionBy(spark.Range(p, 0, n, 3), 10, func(x *int64) int {
		if bad {
			return 10
		}
		return int(*x % 10)
	})
})

func TestPartitionBy(t *testing.T) {
	s := newSession(t)
	ctx := context.Background()
	d := byLastDigit.Call(s, 5000, false)
	if d.NumPartitions() != 10 {
		t.Fatalf("NumPartitions = %d, want 10", d.NumPartitions())
	}
	got, err := spark.Collect(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 5000 {
		t.Fatalf("%d records, want 5000", len(got))
	}
	for i, x := range got {
		if want := int64(i / 500); x%10 != want {
			t.Fatalf("record %d is %d: in partition %d, want partition %d", i, x, i/500, x%10)
		}
	}
	if _, err := spark.Collect(ctx, byLastDigit.Call(s, 10, true)); err == nil || !strings.Contains(err.Error(), "partition function returned 10") {
		t.Fatalf("out-of-range partition: err = %v", err)
	}
}
