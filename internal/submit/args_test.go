package submit

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		check func(t *testing.T, a *Args)
	}{
		{
			name: "options, primary and app args that look like options",
			args: []string{"--master", "local[2]", "--conf", "spark.a=1", "-c", "spark.b=x=y", "--conf=spark.c=3",
				"--name=pi", "-v", "./examples/sparkpi", "10", "--master", "yarn", "-v", "--"},
			check: func(t *testing.T, a *Args) {
				if a.Master != "local[2]" || a.Name != "pi" || !a.Verbose {
					t.Errorf("master %q name %q verbose %v", a.Master, a.Name, a.Verbose)
				}
				if want := []string{"spark.a=1", "spark.b=x=y", "spark.c=3"}; !slices.Equal(a.Conf, want) {
					t.Errorf("Conf = %q, want %q", a.Conf, want)
				}
				if a.Primary != "./examples/sparkpi" {
					t.Errorf("Primary = %q", a.Primary)
				}
				if want := []string{"10", "--master", "yarn", "-v", "--"}; !slices.Equal(a.AppArgs, want) {
					t.Errorf("AppArgs = %q, want %q", a.AppArgs, want)
				}
				if !a.Given("--master") || !a.Given("--conf") || a.Given("--deploy-mode") {
					t.Error("Given is wrong")
				}
			},
		},
		{
			name: "every value option",
			args: []string{"--deploy-mode", "client", "--properties-file", "p.conf", "--num-executors", "3",
				"--executor-memory", "2g", "--executor-cores", "2", "--driver-memory", "512m", "--driver-cores", "1",
				"--files", "a,b", "--kubernetes-namespace", "ns", "--class", "org.Main", "app"},
			check: func(t *testing.T, a *Args) {
				got := []string{a.DeployMode, a.PropertiesFile, a.NumExecutors, a.ExecutorMemory, a.ExecutorCores,
					a.DriverMemory, a.DriverCores, a.Files, a.KubernetesNamespace, a.Class, a.Primary}
				want := []string{"client", "p.conf", "3", "2g", "2", "512m", "1", "a,b", "ns", "org.Main", "app"}
				if !slices.Equal(got, want) {
					t.Errorf("got %q, want %q", got, want)
				}
				if len(a.AppArgs) != 0 {
					t.Errorf("AppArgs = %q", a.AppArgs)
				}
			},
		},
		{
			name: "a value that looks like an option is still the value",
			args: []string{"--num-executors", "-1", "--name", "--verbose", "app"},
			check: func(t *testing.T, a *Args) {
				if a.NumExecutors != "-1" || a.Name != "--verbose" || a.Verbose {
					t.Errorf("NumExecutors %q Name %q Verbose %v", a.NumExecutors, a.Name, a.Verbose)
				}
			},
		},
		{
			name: "double dash ends options",
			args: []string{"--master", "local", "--", "-weird-name", "x"},
			check: func(t *testing.T, a *Args) {
				if a.Primary != "-weird-name" || !slices.Equal(a.AppArgs, []string{"x"}) {
					t.Errorf("Primary %q AppArgs %q", a.Primary, a.AppArgs)
				}
			},
		},
		{
			name: "later option wins",
			args: []string{"--master", "local[1]", "--master", "local[3]"},
			check: func(t *testing.T, a *Args) {
				if a.Master != "local[3]" || a.Primary != "" {
					t.Errorf("Master %q Primary %q", a.Master, a.Primary)
				}
			},
		},
		{
			name: "switches",
			args: []string{"-h", "--version", "--status", "driver-1", "--kill", "driver-2"},
			check: func(t *testing.T, a *Args) {
				if !a.Help || !a.Version || a.Status != "driver-1" || a.Kill != "driver-2" {
					t.Errorf("%+v", a)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := Parse(tt.args)
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, a)
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--bogus", "app"}, "unknown option --bogus"},
		{[]string{"--bogus=1", "app"}, "unknown option --bogus"},
		{[]string{"-x", "app"}, "unknown option -x"},
		{[]string{"--master"}, "option --master needs a value"},
		{[]string{"--conf", "spark.a=1", "--conf"}, "option --conf needs a value"},
		{[]string{"--verbose=true", "app"}, "option --verbose takes no value"},
		{[]string{"--jars"}, "option --jars needs a value"},
		{[]string{"--supervise", "app"}, "option --supervise is not supported"},
		{[]string{"--py-files"}, "option --py-files needs a value"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			_, err := Parse(tt.args)
			var ue *UsageError
			if !errors.As(err, &ue) {
				t.Fatalf("Parse error = %v, want a *UsageError", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}
