package submit

import (
	"fmt"
	"strings"
)

// UsageError is an error in the command line itself (an unknown option, a
// missing value), as opposed to an error in what it asks for.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

func usageErrorf(format string, args ...any) error {
	return &UsageError{Msg: fmt.Sprintf(format, args...)}
}

// Args is a parsed "gospark submit" command line. Option values are kept as
// given; Prepare validates them.
type Args struct {
	Master              string
	DeployMode          string
	Name                string
	Conf                []string // "name=value" from --conf, in order
	PropertiesFile      string
	NumExecutors        string
	ExecutorMemory      string
	ExecutorCores       string
	DriverMemory        string
	DriverCores         string
	Files               string
	Jars                string
	PyFiles             string
	KubernetesNamespace string
	Class               string // accepted for compatibility, ignored
	Status              string // submission id for --status
	Kill                string // submission id for --kill
	Verbose             bool
	Help                bool
	Version             bool

	// Primary is the application: a Go package directory or import path,
	// an executable, or a Python program (a name ending in .py). Empty when
	// the command line names none.
	Primary string
	// AppArgs are the arguments after Primary, passed to the application
	// untouched.
	AppArgs []string

	given map[string]bool // options present on the command line
}

// Given reports whether the option (e.g. "--master") was on the command line.
func (a *Args) Given(option string) bool { return a.given[option] }

// option is one spark-submit option gospark knows.
type option struct {
	name        string
	short       string
	value       bool                    // takes a value
	set         func(a *Args, v string) // stores the value (or true, for switches)
	property    string                  // the property the option sets, if any
	field       func(a *Args) string    // the value, for --verbose
	unsupported string                  // why gospark rejects this spark-submit option
}

// options lists gospark submit's options, and spark-submit's options that
// gospark rejects with a reason. Options that set a property are applied in
// this order, after --conf and the properties file.
var options = []option{
	{name: "--master", value: true, property: "spark.master",
		set: func(a *Args, v string) { a.Master = v }, field: func(a *Args) string { return a.Master }},
	{name: "--deploy-mode", value: true, property: "spark.submit.deployMode",
		set: func(a *Args, v string) { a.DeployMode = v }, field: func(a *Args) string { return a.DeployMode }},
	{name: "--name", value: true, property: "spark.app.name",
		set: func(a *Args, v string) { a.Name = v }, field: func(a *Args) string { return a.Name }},
	{name: "--num-executors", value: true, property: "spark.executor.instances",
		set: func(a *Args, v string) { a.NumExecutors = v }, field: func(a *Args) string { return a.NumExecutors }},
	{name: "--executor-memory", value: true, property: "spark.executor.memory",
		set: func(a *Args, v string) { a.ExecutorMemory = v }, field: func(a *Args) string { return a.ExecutorMemory }},
	{name: "--executor-cores", value: true, property: "spark.executor.cores",
		set: func(a *Args, v string) { a.ExecutorCores = v }, field: func(a *Args) string { return a.ExecutorCores }},
	{name: "--driver-memory", value: true, property: "spark.driver.memory",
		set: func(a *Args, v string) { a.DriverMemory = v }, field: func(a *Args) string { return a.DriverMemory }},
	{name: "--driver-cores", value: true, property: "spark.driver.cores",
		set: func(a *Args, v string) { a.DriverCores = v }, field: func(a *Args) string { return a.DriverCores }},
	{name: "--files", value: true, property: "spark.files",
		set: func(a *Args, v string) { a.Files = v }, field: func(a *Args) string { return a.Files }},
	{name: "--jars", value: true, property: "spark.jars",
		set: func(a *Args, v string) { a.Jars = v }, field: func(a *Args) string { return a.Jars }},
	{name: "--py-files", value: true, property: "spark.submit.pyFiles",
		set: func(a *Args, v string) { a.PyFiles = v }, field: func(a *Args) string { return a.PyFiles }},
	{name: "--kubernetes-namespace", value: true, property: "spark.kubernetes.namespace",
		set: func(a *Args, v string) { a.KubernetesNamespace = v }, field: func(a *Args) string { return a.KubernetesNamespace }},
	{name: "--conf", short: "-c", value: true,
		set: func(a *Args, v string) { a.Conf = append(a.Conf, v) }},
	{name: "--properties-file", value: true,
		set: func(a *Args, v string) { a.PropertiesFile = v }},
	{name: "--class", value: true,
		set: func(a *Args, v string) { a.Class = v }},
	{name: "--status", value: true,
		set: func(a *Args, v string) { a.Status = v }},
	{name: "--kill", value: true,
		set: func(a *Args, v string) { a.Kill = v }},
	{name: "--verbose", short: "-v", set: func(a *Args, _ string) { a.Verbose = true }},
	{name: "--help", short: "-h", set: func(a *Args, _ string) { a.Help = true }},
	{name: "--version", set: func(a *Args, _ string) { a.Version = true }},

	{name: "--packages", value: true, unsupported: "Go applications get their dependencies when they are built"},
	{name: "--exclude-packages", value: true, unsupported: "Go applications get their dependencies when they are built"},
	{name: "--repositories", value: true, unsupported: "Go applications get their dependencies when they are built"},
	{name: "--archives", value: true, unsupported: "it is not implemented; use --files"},
	{name: "--driver-java-options", value: true, unsupported: "there is no JVM; use --conf spark.kubernetes.driverEnv.NAME=value for the driver's environment"},
	{name: "--driver-library-path", value: true, unsupported: "there is no JVM"},
	{name: "--driver-class-path", value: true, unsupported: "there is no JVM"},
	{name: "--total-executor-cores", value: true, unsupported: "it applies to Spark standalone and Mesos masters only"},
	{name: "--supervise", unsupported: "it applies to Spark standalone and Mesos masters only"},
	{name: "--queue", value: true, unsupported: "it applies to YARN only"},
	{name: "--principal", value: true, unsupported: "Kerberos is not supported"},
	{name: "--keytab", value: true, unsupported: "Kerberos is not supported"},
	{name: "--proxy-user", value: true, unsupported: "it is not supported"},
}

func findOption(name string) *option {
	for i := range options {
		if o := &options[i]; o.name == name || (o.short != "" && o.short == name) {
			return o
		}
	}
	return nil
}

// Parse parses a "gospark submit" command line (without "submit") the way
// spark-submit does: options come first; the first argument that is not an
// option is the application, and every argument after it belongs to the
// application, even if it looks like an option. "--" ends the options
// explicitly. Values may follow their option as the next argument or after
// "=" (--master=local[2]).
func Parse(args []string) (*Args, error) {
	a := &Args{given: map[string]bool{}}
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if arg == "--" {
			if i+1 < len(args) {
				a.Primary, a.AppArgs = args[i+1], append([]string{}, args[i+2:]...)
			}
			return a, nil
		}
		if !strings.HasPrefix(arg, "-") || arg == "-" {
			a.Primary, a.AppArgs = arg, append([]string{}, args[i+1:]...)
			return a, nil
		}
		name, value, inline := arg, "", false
		if strings.HasPrefix(arg, "--") {
			name, value, inline = strings.Cut(arg, "=")
		}
		o := findOption(name)
		if o == nil {
			return nil, usageErrorf("unknown option %s", name)
		}
		if o.unsupported != "" {
			return nil, usageErrorf("option %s is not supported by gospark submit: %s", o.name, o.unsupported)
		}
		switch {
		case !o.value && inline:
			return nil, usageErrorf("option %s takes no value", o.name)
		case o.value && !inline:
			if i+1 >= len(args) {
				return nil, usageErrorf("option %s needs a value", o.name)
			}
			i++
			value = args[i]
		}
		o.set(a, value)
		a.given[o.name] = true
	}
	return a, nil
}
