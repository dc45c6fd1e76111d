package driverpod

import (
	"testing"

	"github.com/gospark/gospark/internal/config"
	"github.com/gospark/gospark/internal/config/configtest"
	"github.com/gospark/gospark/internal/launch"
)

// In client mode the executor pods run the application where their image
// or init-container has it, and read spark.files where the init-container
// puts them, while the driver keeps its own paths.
func TestClientExecutorContract(t *testing.T) {
	driver := configtest.Conf(t, "spark.files", "/home/me/data.txt", "spark.app.name", "notebook")
	c := &clientSide{command: "/var/spark-data/spark-jars/app",
		props: map[string]string{"spark.files": "/var/spark-data/spark-files/data.txt", "spark.jars": ""}}
	in := launch.Executor{AppID: "spark-1", DriverURL: "10.88.0.1:40000", Command: "/tmp/gospark-build-1/app", Args: []string{"10"}, Conf: driver.Encode()}
	out, err := c.executorContract(in)
	if err != nil {
		t.Fatal(err)
	}
	if out.Command != "/var/spark-data/spark-jars/app" || out.DriverURL != in.DriverURL || len(out.Args) != 1 {
		t.Errorf("contract %+v", out)
	}
	if in.Command != "/tmp/gospark-build-1/app" {
		t.Errorf("the driver's contract changed: %+v", in)
	}
	conf, err := config.Decode(out.Conf)
	if err != nil {
		t.Fatal(err)
	}
	if conf.String("spark.files") != "/var/spark-data/spark-files/data.txt" || conf.String("spark.app.name") != "notebook" {
		t.Errorf("executors' configuration %v", conf.All())
	}
	// In the image: nothing changes but what is given.
	same, err := (&clientSide{}).executorContract(in)
	if err != nil || same.Command != in.Command || same.Conf != in.Conf {
		t.Errorf("without changes: %+v, %v", same, err)
	}
}
