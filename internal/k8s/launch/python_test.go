package launch

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// A Python program: the pods run gospark-py of the Python image with the
// program's path in the pods first, and --py-files are where the pods
// have them, in the driver's configuration (cluster mode) and in the
// executors' (client mode).
func TestPlansOfPythonPrograms(t *testing.T) {
	dir := t.TempDir()
	app := filepath.Join(dir, "job.py")
	helper := filepath.Join(dir, "helper.zip")
	for _, f := range []string{app, helper} {
		if err := os.WriteFile(f, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p, err := NewPlan(conf(t, "spark.submit.pyFiles", helper+",local:///opt/lib/sort.py",
		"spark.kubernetes.file.upload.path", t.TempDir()), app, []string{"7"}, launched)
	if err != nil {
		t.Fatal(err)
	}
	c := p.Driver.Spec.Containers[0]
	if !slices.Equal(c.Command, []string{"/opt/gospark/bin/gospark", "driver", "/opt/gospark/bin/gospark-py"}) ||
		!slices.Equal(c.Args, []string{"/var/spark-data/spark-jars/job.py", "7"}) {
		t.Errorf("driver runs %q %q", c.Command, c.Args)
	}
	if got := p.DriverConf.String("spark.submit.pyFiles"); got != "/var/spark-data/spark-files/helper.zip,/opt/lib/sort.py" {
		t.Errorf("driver's spark.submit.pyFiles %q", got)
	}
	if len(p.Driver.Spec.InitContainers) != 1 {
		t.Errorf("%d init-containers, want 1", len(p.Driver.Spec.InitContainers))
	}

	cp, err := NewClientPlan(clientConf(t, "spark.driver.host", "10.88.0.1", "spark.submit.pyFiles", helper), "", app, []string{"7"}, launched)
	if err != nil {
		t.Fatal(err)
	}
	if cp.ExecutorCommand != "/opt/gospark/bin/gospark-py" || cp.ExecutorProperties["spark.submit.pyFiles"] != "/var/spark-data/spark-files/helper.zip" {
		t.Errorf("client mode: executors run %q with %v", cp.ExecutorCommand, cp.ExecutorProperties)
	}
	if cp.InitConfigMap == nil {
		t.Errorf("client mode: no init-container for the program and its files")
	}
}
