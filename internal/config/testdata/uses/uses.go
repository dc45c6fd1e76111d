// Package uses holds property reads for TestCheckPropertyUses.
package uses

import "github.com/gospark/gospark/internal/config"

func Conf(name, value string) {}

func reads(c *config.Conf, name string) {
	_ = c.Int("spark.task.cpus")
	_ = c.Bytes("spark.executor.memory")
	_ = c.Int("spark.task.cpu")
	_ = c.String("spark.kubernetes.driver.docker.image")
	_ = c.Int("spark.executor.memory")
	_ = c.Set("spark.nope", "x")
	Conf("spark.kubernets.namespace", "x")
	_ = c.String("spark.executorEnv." + name)
	_ = c.String("spark.executorEnv.HOME")
	_ = c.String("not.spark")
}
