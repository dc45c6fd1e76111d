package submit

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gospark/gospark/internal/config"
	"github.com/gospark/gospark/internal/master"
)

// inTempDir runs the test in an empty directory with SPARK_CONF_DIR unset,
// so that no defaults file is found unless the test writes one.
func inTempDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Chdir(dir)
	t.Setenv("SPARK_CONF_DIR", "")
	return dir
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func prepare(t *testing.T, args ...string) (*Submission, error) {
	t.Helper()
	a, err := Parse(args)
	if err != nil {
		t.Fatalf("Parse(%q): %v", args, err)
	}
	return Prepare(a)
}

func TestPreparePrecedence(t *testing.T) {
	tests := []struct {
		name     string
		defaults string // conf/spark-defaults.conf
		confDir  string // $SPARK_CONF_DIR/spark-defaults.conf; also sets SPARK_CONF_DIR
		propFile string // p.conf, passed with --properties-file
		args     []string
		want     map[string]string
		wantFile string
		warnings []string
	}{
		{
			name: "defaults only",
			args: []string{"app"},
			want: map[string]string{"spark.master": "local[*]", "spark.submit.deployMode": "client", "spark.app.name": "app"},
		},
		{
			name:     "defaults file under conf/",
			defaults: "spark.executor.memory 3g\nspark.master=local[3]\nspark.app.name=fromfile\n",
			args:     []string{"app"},
			want:     map[string]string{"spark.executor.memory": "3g", "spark.master": "local[3]", "spark.app.name": "fromfile"},
			wantFile: filepath.Join("conf", "spark-defaults.conf"),
		},
		{
			name:     "SPARK_CONF_DIR wins over conf/",
			defaults: "spark.executor.memory=3g\n",
			confDir:  "spark.executor.memory=4g\n",
			args:     []string{"app"},
			want:     map[string]string{"spark.executor.memory": "4g"},
			wantFile: filepath.Join("confdir", "spark-defaults.conf"),
		},
		{
			name:     "--properties-file replaces the defaults file",
			defaults: "spark.executor.memory=3g\nspark.executor.cores=3\n",
			propFile: "spark.executor.memory=5g\n",
			args:     []string{"--properties-file", "p.conf", "app"},
			want:     map[string]string{"spark.executor.memory": "5g", "spark.executor.cores": ""},
			wantFile: "p.conf",
		},
		{
			name:     "--conf over file, option over --conf",
			propFile: "spark.executor.memory=5g\nspark.executor.cores=5\nspark.master=local[5]\n",
			args: []string{"--properties-file", "p.conf", "--conf", "spark.executor.memory=6g", "--conf", "spark.executor.cores=6",
				"--executor-cores", "7", "--master", "local[7]", "--conf", "spark.master=local[6]", "app"},
			want:     map[string]string{"spark.executor.memory": "6g", "spark.executor.cores": "7", "spark.master": "local[7]"},
			wantFile: "p.conf",
		},
		{
			name: "every option sets its property",
			args: []string{"--master", "local-cluster[2,1,512]", "--deploy-mode", "client", "--name", "n", "--num-executors", "4",
				"--executor-memory", "2g", "--executor-cores", "2", "--driver-memory", "512m", "--driver-cores", "3",
				"--files", "a.txt,b.txt", "--kubernetes-namespace", "ns", "./some/dir/"},
			want: map[string]string{
				"spark.master": "local-cluster[2,1,512]", "spark.submit.deployMode": "client", "spark.app.name": "n",
				"spark.executor.instances": "4", "spark.executor.memory": "2g", "spark.executor.cores": "2",
				"spark.driver.memory": "512m", "spark.driver.cores": "3", "spark.files": "a.txt,b.txt",
				"spark.kubernetes.namespace": "ns",
			},
		},
		{
			name: "app name from the package directory",
			args: []string{"./examples/sparkpi/"},
			want: map[string]string{"spark.app.name": "sparkpi"},
		},
		{
			name: "app name from a local: URI",
			args: []string{"local:///opt/apps/wordcount"},
			want: map[string]string{"spark.app.name": "wordcount"},
		},
		{
			name:     "non-spark properties are ignored with a warning; old names are moved",
			propFile: "foo.bar=1\nspark.kubernetes.driver.docker.image=img\n",
			args:     []string{"--properties-file", "p.conf", "--conf", "other=2", "app"},
			want:     map[string]string{"foo.bar": "", "other": "", "spark.kubernetes.driver.container.image": "img"},
			wantFile: "p.conf",
			warnings: []string{
				"Ignoring non-Spark config property: foo.bar",
				"spark.kubernetes.driver.docker.image is deprecated; use spark.kubernetes.driver.container.image instead",
				"Ignoring non-Spark config property: other",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := inTempDir(t)
			if tt.defaults != "" {
				writeFile(t, filepath.Join(dir, "conf", "spark-defaults.conf"), tt.defaults)
			}
			if tt.confDir != "" {
				writeFile(t, filepath.Join(dir, "confdir", "spark-defaults.conf"), tt.confDir)
				t.Setenv("SPARK_CONF_DIR", filepath.Join(dir, "confdir"))
			}
			if tt.propFile != "" {
				writeFile(t, filepath.Join(dir, "p.conf"), tt.propFile)
			}
			s, err := prepare(t, tt.args...)
			if err != nil {
				t.Fatal(err)
			}
			all := s.Conf.All()
			for k, v := range tt.want {
				if all[k] != v {
					t.Errorf("%s = %q, want %q", k, all[k], v)
				}
			}
			if tt.wantFile != "" && !strings.HasSuffix(s.PropertiesFile, tt.wantFile) {
				t.Errorf("PropertiesFile = %q, want ...%s", s.PropertiesFile, tt.wantFile)
			}
			if tt.wantFile == "" && s.PropertiesFile != "" {
				t.Errorf("PropertiesFile = %q, want none", s.PropertiesFile)
			}
			if got := s.Conf.Warnings(); !slices.Equal(got, tt.warnings) {
				t.Errorf("Warnings = %q, want %q", got, tt.warnings)
			}
		})
	}
}

func TestPrepareMaster(t *testing.T) {
	inTempDir(t)
	s, err := prepare(t, "--master", "local[3,2]", "app")
	if err != nil {
		t.Fatal(err)
	}
	if s.Master.Kind != master.Local || s.Master.Threads != 3 || s.Master.MaxFailures != 2 {
		t.Errorf("Master = %+v", s.Master)
	}
}

func TestPrepareErrors(t *testing.T) {
	t.Setenv("KUBERNETES_SERVICE_HOST", "") // not in a pod: client mode needs spark.driver.host
	tests := []struct {
		name     string
		propFile string
		args     []string
		want     string
		usage    bool
		unknown  bool
	}{
		{name: "malformed memory", args: []string{"--executor-memory", "abc", "app"},
			want: `--executor-memory: property spark.executor.memory: want a size such as 512m or 2g (units b, k, m, g, t, p; MiB when none is given), got "abc"`},
		{name: "negative executors", args: []string{"--num-executors", "-1", "app"},
			want: `--num-executors: property spark.executor.instances: want a non-negative integer, got "-1"`},
		{name: "zero cores", args: []string{"--executor-cores", "0", "app"},
			want: `--executor-cores: property spark.executor.cores: want a positive integer, got "0"`},
		{name: "bad master", args: []string{"--master", "yarn", "app"},
			want: `--master: property spark.master: want a master URL, one of local, local[N]`},
		{name: "bad deploy mode", args: []string{"--deploy-mode", "remote", "app"},
			want: `--deploy-mode: property spark.submit.deployMode: want one of client, cluster, got "remote"`},
		{name: "unknown property", args: []string{"--conf", "spark.executor.memroy=1g", "app"},
			want: `--conf: property spark.executor.memroy: unknown property; did you mean spark.executor.memory?`, unknown: true},
		{name: "malformed property", args: []string{"--conf", "spark.kubernetes.allocation.batch.size=five", "app"},
			want: `--conf: property spark.kubernetes.allocation.batch.size: want a positive integer, got "five"`},
		{name: "unsupported codec", args: []string{"--conf", "spark.io.compression.codec=lzf", "app"},
			want: `want one of lz4, zstd, snappy, got "lzf"`},
		{name: "conf without equals", args: []string{"--conf", "spark.master", "app"},
			want: `--conf "spark.master": want name=value`, usage: true},
		{name: "bad property in file", propFile: "spark.task.maxFailures=never\n", args: []string{"--properties-file", "p.conf", "app"},
			want: `properties file p.conf: property spark.task.maxFailures: want a positive integer, got "never"`},
		{name: "missing properties file", args: []string{"--properties-file", "nope.conf", "app"},
			want: `--properties-file: open nope.conf: no such file or directory`},
		{name: "cluster mode with local master", args: []string{"--deploy-mode", "cluster", "app"},
			want: `Cluster deploy mode is not compatible with master "local[*]"`},
		{name: "cluster mode with local-cluster master", args: []string{"--deploy-mode", "cluster", "--master", "local-cluster[1,1,512]", "app"},
			want: `Cluster deploy mode is not compatible with master "local-cluster[1,1,512]"`},
		{name: "k8s client mode without driver host", args: []string{"--master", "k8s://https://127.0.0.1:6443", "--conf", "spark.kubernetes.container.image=img", "local:///opt/app"},
			want: `spark.driver.host is not set: in client mode the executor pods connect back to the driver at spark.driver.host`},
		{name: "k8s client mode with a remote application", args: []string{"--master", "k8s://https://127.0.0.1:6443", "--conf", "spark.driver.host=10.0.0.1",
			"--conf", "spark.kubernetes.container.image=img", "https://example.com/app"},
			want: `application https://example.com/app: in client mode the driver runs here, so the application must be here too`},
		{name: "k8s client mode without image", args: []string{"--master", "k8s://https://127.0.0.1:6443", "--conf", "spark.driver.host=10.0.0.1", "local:///opt/app"},
			want: `spark.kubernetes.container.image (or spark.kubernetes.executor.container.image) must name the image`},
		{name: "k8s client mode with a bad pod name", args: []string{"--master", "k8s://https://127.0.0.1:6443", "--conf", "spark.driver.host=10.0.0.1",
			"--conf", "spark.kubernetes.container.image=img", "--conf", "spark.kubernetes.driver.pod.name=Not_OK", "local:///opt/app"},
			want: `spark.kubernetes.driver.pod.name="Not_OK"`},
		{name: "k8s local application without an upload target", args: []string{"--master", "k8s://https://127.0.0.1:6443", "--deploy-mode", "cluster", "/bin/sh"},
			want: `/bin/sh is on this machine, not in the image: set spark.kubernetes.resourceStagingServer.uri`},
		{name: "k8s missing local application", args: []string{"--master", "k8s://https://127.0.0.1:6443", "--deploy-mode", "cluster", "app"},
			want: `application app: stat app: no such file or directory`},
		{name: "k8s missing image", args: []string{"--master", "k8s://127.0.0.1:6443", "--deploy-mode", "cluster", "local:///opt/app"},
			want: `spark.kubernetes.container.image (or spark.kubernetes.driver.container.image) must name the image of the driver pod`},
		{name: "k8s unknown volume type", args: []string{"--master", "k8s://127.0.0.1:6443", "--deploy-mode", "cluster",
			"--conf", "spark.kubernetes.container.image=img", "--conf", "spark.kubernetes.executor.volumes.nfs.data.mount.path=/data", "local:///opt/app"},
			want: `spark.kubernetes.executor.volumes.nfs.data: volume type "nfs": want emptyDir, hostPath or persistentVolumeClaim`},
		{name: "k8s bad memory", args: []string{"--master", "k8s://127.0.0.1:6443", "--deploy-mode", "cluster", "--executor-memory", "lots", "local:///opt/app"},
			want: `--executor-memory: property spark.executor.memory`},
		{name: "k8s bad namespace", args: []string{"--master", "k8s://127.0.0.1:6443", "--deploy-mode", "cluster", "--kubernetes-namespace", "Not_OK",
			"--conf", "spark.kubernetes.container.image=img", "local:///opt/app"},
			want: `spark.kubernetes.namespace="Not_OK"`},
		{name: "k8s malformed master", args: []string{"--master", "k8s://", "--deploy-mode", "cluster", "local:///opt/app"},
			want: `--master: property spark.master`},
		{name: "status with local master", args: []string{"--status", "spark-pi-1"},
			want: `--status spark-pi-1: needs a k8s:// master (spark.master is "local[*]")`},
		{name: "kill with local master", args: []string{"--master", "local[2]", "--kill", "spark-pi-1"},
			want: `--kill spark-pi-1: needs a k8s:// master (spark.master is "local[2]")`},
		{name: "kill with a bad glob", args: []string{"--master", "k8s://localhost:6443", "--kill", "spark:pi-[1"},
			want: `--kill: submission ID "spark:pi-[1": bad pattern`},
		{name: "no application", args: []string{"--master", "local"},
			want: `no application given`, usage: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := inTempDir(t)
			if tt.propFile != "" {
				writeFile(t, filepath.Join(dir, "p.conf"), tt.propFile)
			}
			s, err := prepare(t, tt.args...)
			if err == nil {
				t.Fatalf("Prepare succeeded with %v", s.Conf.All())
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error\n got %s\nwant it to contain %s", err, tt.want)
			}
			var ue *UsageError
			if got := errors.As(err, &ue); got != tt.usage {
				t.Errorf("usage error = %v, want %v", got, tt.usage)
			}
			if got := errors.Is(err, config.ErrUnknownProperty); got != tt.unknown {
				t.Errorf("unknown property = %v, want %v", got, tt.unknown)
			}
		})
	}
}
