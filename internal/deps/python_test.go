package deps

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A Python program and its --py-files travel as files: the program is no
// binary to check, the Python files land in the files directory, and a
// name shared with spark.files is refused.
func TestPythonProgramAndPyFiles(t *testing.T) {
	dir := t.TempDir()
	app := write(t, filepath.Join(dir, "app.py"), "print('hi')\n")
	helper := write(t, filepath.Join(dir, "helper.py"), "X = 1\n")
	upload := t.TempDir()
	c := conf(t, "spark.submit.pyFiles", helper+",local:///opt/gospark/examples/python/sort.py,http://files.example/deps.zip",
		"spark.kubernetes.file.upload.path", upload)
	r, err := Resolve(c, app)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Primary.Python || len(r.PyFiles) != 3 {
		t.Fatalf("primary %+v, py files %+v", r.Primary, r.PyFiles)
	}
	if got := r.PodList(r.PyFiles); got != "/var/spark-data/spark-files/helper.py,/opt/gospark/examples/python/sort.py,/var/spark-data/spark-files/deps.zip" {
		t.Errorf("pod paths %q", got)
	}
	st, err := Stage(context.Background(), c, r, "ns", nil, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	fetchDirs(t, st.Spec)
	var remote []Item
	local := *st.Spec
	local.Items = nil
	for _, it := range st.Spec.Items {
		if strings.HasPrefix(it.URI, "http://") {
			remote = append(remote, it)
		}
	}
	if len(remote) != 1 || remote[0].Dir != FilesDir || remote[0].Name != "deps.zip" {
		t.Errorf("remote items %+v", remote)
	}
	for _, it := range st.Spec.Items {
		if !strings.HasPrefix(it.URI, "http://") {
			local.Items = append(local.Items, it)
		}
	}
	if err := Fetch(context.Background(), &local, quiet()); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{filepath.Join(local.JarsDir, "app.py"), filepath.Join(local.FilesDir, "helper.py")} {
		if _, err := os.Stat(f); err != nil {
			t.Error(err)
		}
	}

	c = conf(t, "spark.submit.pyFiles", helper, "spark.files", helper, "spark.kubernetes.file.upload.path", upload)
	if _, err := Resolve(c, app); err == nil || !strings.Contains(err.Error(), "would both be /var/spark-data/spark-files/helper.py") {
		t.Errorf("a py file and a file of the same name: %v", err)
	}
}
