package submit

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// pythonBins puts the built gospark next to a stand-in gospark-py (the
// echo application, which prints its arguments and configuration) in a
// directory of its own, and returns that gospark.
func pythonBins(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for from, to := range map[string]string{gosparkBin: "gospark", echoBin: PythonBinary} {
		b, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, to), b, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "gospark")
}

func TestBinaryRunsPythonWithPyFiles(t *testing.T) {
	bin := pythonBins(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "app.py"), "print('hi')\n")
	writeFile(t, filepath.Join(dir, "lib", "helper.py"), "X = 1\n")
	writeFile(t, filepath.Join(dir, "deps.zip"), "zip")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/mods/remote.py" {
			http.NotFound(w, r)
			return
		}
		io.WriteString(w, "Y = 2\n")
	}))
	defer srv.Close()

	saved := gosparkBin
	gosparkBin = bin
	defer func() { gosparkBin = saved }()
	r := gospark(t, dir, nil, "submit", "--master", "local[2]", "--class", "org.Main",
		"--py-files", "lib/helper.py,file://"+filepath.Join(dir, "deps.zip")+","+srv.URL+"/mods/remote.py",
		"app.py", "10", "--flag")
	if r.code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	// gospark-py runs with the program's path first, then its arguments.
	for _, want := range []string{"role=driver", "arg[0]=" + filepath.Join(dir, "app.py"), "arg[1]=10", "arg[2]=--flag"} {
		if !strings.Contains(r.stdout, want+"\n") {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
	if !strings.Contains(r.stderr, "ignoring --class org.Main: Python applications have no main class") {
		t.Errorf("no --class note:\n%s", r.stderr)
	}
	conf := confOf(t, r.stdout)
	files := strings.Split(conf["spark.submit.pyFiles"], ",")
	if len(files) != 3 || files[0] != filepath.Join(dir, "lib", "helper.py") || files[1] != filepath.Join(dir, "deps.zip") {
		t.Fatalf("spark.submit.pyFiles = %q, want three local paths", conf["spark.submit.pyFiles"])
	}
	// The remote file was downloaded for the run (and removed after it).
	if filepath.Base(files[2]) != "remote.py" || !filepath.IsAbs(files[2]) {
		t.Errorf("remote file became %q", files[2])
	}
	if conf["spark.app.name"] != "app.py" {
		t.Errorf("spark.app.name = %q, want app.py", conf["spark.app.name"])
	}
}

func TestBinaryPythonLocalScheme(t *testing.T) {
	bin := pythonBins(t)
	dir := t.TempDir()
	app := filepath.Join(dir, "pi.py")
	writeFile(t, app, "")
	saved := gosparkBin
	gosparkBin = bin
	defer func() { gosparkBin = saved }()
	r := gospark(t, dir, nil, "submit", "--master", "local-cluster[2,1,1024]",
		"--py-files", "local://"+app, "local://"+app, "3")
	if r.code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "arg[0]="+app+"\narg[1]=3\n") || confOf(t, r.stdout)["spark.submit.pyFiles"] != app {
		t.Errorf("output:\n%s", r.stdout)
	}
}

func TestPreparePythonErrors(t *testing.T) {
	dir := inTempDir(t)
	writeFile(t, filepath.Join(dir, "app.py"), "")
	writeFile(t, filepath.Join(dir, "data.txt"), "")
	if err := os.Mkdir(filepath.Join(dir, "pkg.py"), 0o755); err != nil {
		t.Fatal(err)
	}
	k8s := []string{"--master", "k8s://https://10.0.0.1:6443", "--deploy-mode", "cluster", "--conf", "spark.kubernetes.container.image=gospark-py:dev"}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"missing py-file, local", []string{"--master", "local[2]", "--py-files", "missing.py", "app.py"}, "--py-files: missing.py does not exist"},
		{"missing py-file, local-cluster", []string{"--master", "local-cluster[2,1,1024]", "--py-files", "app.py,file:///nope/dep.zip", "app.py"}, "--py-files: file:///nope/dep.zip does not exist"},
		{"missing py-file, k8s", append(k8s, "--py-files", "missing.egg", "local:///opt/app.py"), "--py-files: missing.egg does not exist"},
		{"missing py-file, property", []string{"--conf", "spark.submit.pyFiles=gone.py", "app.py"}, "spark.submit.pyFiles: gone.py does not exist"},
		{"wrong kind", []string{"--py-files", "data.txt", "app.py"}, "--py-files: data.txt: want a .py, .zip or .egg file"},
		{"bad scheme", []string{"--py-files", "s3://bucket/x.py", "app.py"}, "--py-files: s3://bucket/x.py: scheme s3:// is not supported"},
		{"missing primary, local", []string{"nope.py"}, "application nope.py does not exist"},
		{"missing primary, k8s", append(k8s, "nope.py"), "application nope.py does not exist"},
		{"primary directory", []string{"pkg.py"}, "application pkg.py is not a regular file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := prepare(t, tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Prepare error = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestPreparePythonKubernetes(t *testing.T) {
	dir := inTempDir(t)
	writeFile(t, filepath.Join(dir, "helper.py"), "")
	writeFile(t, filepath.Join(dir, "app.py"), "")
	upload := t.TempDir()
	s, err := prepare(t, "--master", "k8s://https://10.0.0.1:6443", "--deploy-mode", "cluster",
		"--conf", "spark.kubernetes.container.image=gospark-py:dev", "--conf", "spark.kubernetes.file.upload.path="+upload,
		"--py-files", "helper.py,local:///opt/gospark/examples/python/sort.py", "app.py", "5")
	if err != nil {
		t.Fatal(err)
	}
	c := s.Plan.Driver.Spec.Containers[0]
	if strings.Join(c.Command, " ") != "/opt/gospark/bin/gospark driver /opt/gospark/bin/gospark-py" ||
		strings.Join(c.Args, " ") != "/var/spark-data/spark-jars/app.py 5" {
		t.Errorf("driver runs %q %q", c.Command, c.Args)
	}
	if got := s.Plan.DriverConf.String("spark.submit.pyFiles"); got != "/var/spark-data/spark-files/helper.py,/opt/gospark/examples/python/sort.py" {
		t.Errorf("driver's spark.submit.pyFiles = %q", got)
	}
}

// The real thing on local masters: gospark submit runs Spark's pi.py
// example with gospark-py (found next to gospark) and --py-files, on
// local[2] and on local-cluster executor processes.
func TestSubmitPythonPiExample(t *testing.T) {
	if out, err := exec.Command("python3", "-c", "import cloudpickle").CombinedOutput(); err != nil {
		t.Fatalf("python3 with cloudpickle is needed (Debian: apt-get install python3 python3-cloudpickle; make python-deps): %v: %s", err, out)
	}
	dir := t.TempDir()
	b, err := os.ReadFile(gosparkBin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "gospark"), b, 0o755); err != nil {
		t.Fatal(err)
	}
	build := exec.Command("go", "build", "-o", filepath.Join(dir, PythonBinary), "github.com/gospark/gospark/cmd/gospark-py")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building gospark-py: %v\n%s", err, out)
	}
	examples, err := filepath.Abs(filepath.Join("..", "..", "examples", "python"))
	if err != nil {
		t.Fatal(err)
	}
	saved := gosparkBin
	gosparkBin = filepath.Join(dir, "gospark")
	defer func() { gosparkBin = saved }()
	for _, master := range []string{"local[2]", "local-cluster[2,1,1024]"} {
		r := gospark(t, t.TempDir(), nil, "submit", "--master", master,
			"--py-files", filepath.Join(examples, "sort.py"), filepath.Join(examples, "pi.py"), "4")
		if r.code != 0 || !strings.Contains(r.stdout, "Pi is roughly 3.1") {
			t.Errorf("%s: exit %d, want 0 and \"Pi is roughly 3.1\"\nstdout:\n%s\nstderr:\n%s", master, r.code, r.stdout, r.stderr)
		}
	}
}
