package config

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// seedProperties are the properties the seed documents name (the fork's user
// guides and the modern Spark page). Each must be registered, as a property,
// an alias or a prefix family.
var seedProperties = []string{
	"spark.app.name",
	"spark.master",
	"spark.submit.deployMode",
	"spark.executor.instances",
	"spark.executorEnv.X",
	"spark.files",
	"spark.jars",
	"spark.dynamicAllocation.enabled",
	"spark.shuffle.service.enabled",
	"spark.kubernetes.namespace",
	"spark.kubernetes.context",
	"spark.kubernetes.container.image",
	"spark.kubernetes.driver.docker.image",
	"spark.kubernetes.executor.docker.image",
	"spark.kubernetes.initcontainer.docker.image",
	"spark.kubernetes.docker.image.pullPolicy",
	"spark.kubernetes.submit.caCertFile",
	"spark.kubernetes.submit.clientKeyFile",
	"spark.kubernetes.submit.clientCertFile",
	"spark.kubernetes.submit.serviceAccountName",
	"spark.kubernetes.submit.waitAppCompletion",
	"spark.kubernetes.submission.waitAppCompletion",
	"spark.kubernetes.executor.memoryOverhead",
	"spark.kubernetes.driver.memoryOverhead",
	"spark.kubernetes.driver.submissionServerMemory",
	"spark.kubernetes.driver.labels",
	"spark.kubernetes.driver.annotations",
	"spark.kubernetes.driver.label.something",
	"spark.kubernetes.driver.annotation.something",
	"spark.kubernetes.executor.label.something",
	"spark.kubernetes.executor.annotation.something",
	"spark.kubernetes.node.selector.identifier",
	"spark.kubernetes.driverEnv.X",
	"spark.kubernetes.driver.limit.cores",
	"spark.kubernetes.executor.limit.cores",
	"spark.kubernetes.driverSubmitTimeout",
	"spark.kubernetes.driver.service.exposeUiPort",
	"spark.kubernetes.driver.serviceManagerType",
	"spark.kubernetes.report.interval",
	"spark.kubernetes.driver.pod.name",
	"spark.kubernetes.shuffle.namespace",
	"spark.kubernetes.shuffle.labels",
	"spark.kubernetes.allocation.batch.size",
	"spark.kubernetes.allocation.batch.delay",
	"spark.kubernetes.authenticate.submission.caCertFile",
	"spark.kubernetes.authenticate.submission.clientKeyFile",
	"spark.kubernetes.authenticate.submission.clientCertFile",
	"spark.kubernetes.authenticate.submission.oauthToken",
	"spark.kubernetes.authenticate.driver.caCertFile",
	"spark.kubernetes.authenticate.driver.clientKeyFile",
	"spark.kubernetes.authenticate.driver.clientCertFile",
	"spark.kubernetes.authenticate.driver.oauthToken",
	"spark.kubernetes.authenticate.driver.serviceAccountName",
	"spark.kubernetes.authenticate.resourceStagingServer.caCertFile",
	"spark.kubernetes.authenticate.resourceStagingServer.clientKeyFile",
	"spark.kubernetes.authenticate.resourceStagingServer.clientCertFile",
	"spark.kubernetes.authenticate.resourceStagingServer.oauthToken",
	"spark.kubernetes.authenticate.resourceStagingServer.oauthTokenFile",
	"spark.kubernetes.authenticate.resourceStagingServer.useServiceAccountCredentials",
	"spark.kubernetes.resourceStagingServer.port",
	"spark.kubernetes.resourceStagingServer.uri",
	"spark.kubernetes.resourceStagingServer.internal.uri",
	"spark.kubernetes.mountdependencies.jarsDownloadDir",
	"spark.kubernetes.mountdependencies.filesDownloadDir",
	"spark.kubernetes.executor.apiPollingInterval",
	"spark.kubernetes.executor.deleteOnTermination",
	"spark.kubernetes.executor.volumes.hostPath.data.options.path",
	"spark.kubernetes.file.upload.path",
	"spark.kubernetes.test.master",
	"spark.docker.test.driverImage",
	"spark.docker.test.executorImage",
	"spark.docker.test.persistMinikube",
	"spark.ssl.kubernetes.submit.keyStore",
	"spark.ssl.kubernetes.submit.trustStore",
	"spark.ssl.kubernetes.resourceStagingServer.enabled",
	"spark.ssl.kubernetes.resourceStagingServer.keyStore",
	"spark.ssl.kubernetes.resourceStagingServer.trustStore",
	"spark.ssl.kubernetes.resourceStagingServer.trustStorePassword",
	"spark.ssl.kubernetes.resourceStagingServer.trustStoreType",
	"spark.ssl.kubernetes.resourceStagingServer.keyPem",
	"spark.ssl.kubernetes.resourceStagingServer.serverCertPem",
	"spark.ssl.kubernetes.resourceStagingServer.clientCertPem",
	"spark.ssl.kubernetes.resourceStagingServer.keyStorePasswordFile",
	"spark.ssl.kubernetes.resourceStagingServer.keyPasswordFile",
	"spark.ssl.kubernetes.resourceStagingServer.internal.trustStore",
	"spark.ssl.kubernetes.resourceStagingServer.internal.trustStorePassword",
	"spark.ssl.kubernetes.resourceStagingServer.internal.trustStoreType",
	"spark.ssl.kubernetes.resourceStagingServer.internal.clientCertPem",
}

func TestSeedPropertiesRegistered(t *testing.T) {
	for _, n := range seedProperties {
		if _, ok := Lookup(n); !ok {
			t.Errorf("%s is named by the seed documents but not registered", n)
		}
	}
}

// TestSeedDefaults checks the defaults the seeds' property tables give.
func TestSeedDefaults(t *testing.T) {
	c := New()
	for name, want := range map[string]string{
		"spark.kubernetes.namespace":                                                       "default",
		"spark.kubernetes.shuffle.namespace":                                               "default",
		"spark.kubernetes.allocation.batch.size":                                           "5",
		"spark.kubernetes.allocation.batch.delay":                                          "1s",
		"spark.kubernetes.report.interval":                                                 "1s",
		"spark.kubernetes.submission.waitAppCompletion":                                    "true",
		"spark.kubernetes.authenticate.driver.serviceAccountName":                          "default",
		"spark.kubernetes.authenticate.resourceStagingServer.useServiceAccountCredentials": "true",
		"spark.kubernetes.resourceStagingServer.port":                                      "10000",
		"spark.kubernetes.mountdependencies.jarsDownloadDir":                               "/var/spark-data/spark-jars",
		"spark.kubernetes.mountdependencies.filesDownloadDir":                              "/var/spark-data/spark-files",
		"spark.kubernetes.container.image.pullPolicy":                                      "IfNotPresent",
		"spark.kubernetes.driver.submissionServerMemory":                                   "256m",
		"spark.kubernetes.driverSubmitTimeout":                                             "60s",
		"spark.kubernetes.driver.service.exposeUiPort":                                     "false",
		"spark.kubernetes.driver.serviceManagerType":                                       "NodePort",
		"spark.master":                                "local[*]",
		"spark.submit.deployMode":                     "client",
		"spark.executor.instances":                    "2",
		"spark.io.compression.codec":                  "lz4",
		"spark.reducer.maxSizeInFlight":               "48m",
		"spark.shuffle.service.port":                  "7337",
		"spark.dynamicAllocation.executorIdleTimeout": "60s",
	} {
		if got := c.String(name); got != want {
			t.Errorf("default of %s = %q, want %q", name, got, want)
		}
	}
}

func TestRegistryConsistent(t *testing.T) {
	for _, p := range All() {
		if strings.TrimSpace(p.Doc) == "" {
			t.Errorf("%s has no Doc", p.Name)
		}
		if p.Fallback != "" {
			f, ok := Lookup(p.Fallback)
			switch {
			case !ok:
				t.Errorf("%s falls back to unregistered %s", p.Name, p.Fallback)
			case f.Kind != p.Kind:
				t.Errorf("%s (%v) falls back to %s of another kind (%v)", p.Name, p.Kind, f.Name, f.Kind)
			case p.Default != "":
				t.Errorf("%s has both a default and a fallback", p.Name)
			}
		}
		for _, a := range p.Aliases {
			if q, ok := Lookup(a); !ok || q != p {
				t.Errorf("alias %s of %s resolves to %v", a, p.Name, q)
			}
		}
		if q, ok := Lookup(p.Name); !ok || q != p {
			t.Errorf("Lookup(%s) = %v", p.Name, q)
		}
	}
}

func TestRegisterRejects(t *testing.T) {
	tests := []struct {
		name string
		p    Property
		want string
	}{
		{"not spark", Property{Name: "gospark.x", Doc: "x"}, "does not start with spark."},
		{"duplicate", Property{Name: "spark.master", Doc: "x"}, `"spark.master" registered twice`},
		{"duplicate alias", Property{Name: "spark.test.new", Aliases: []string{"spark.kubernetes.driver.docker.image"}}, "registered twice"},
		{"bad default", Property{Name: "spark.test.n", Kind: Int, Default: "many"}, "bad default"},
		{"default fails validation", Property{Name: "spark.test.n", Kind: Int, Default: "0", Validate: positiveInt}, "bad default"},
		{"prefix without dot", Property{Name: "spark.test.env", Prefix: true}, "must end with a dot"},
		{"bad unit", Property{Name: "spark.test.b", Kind: Bytes, ByteUnit: "x"}, "byte unit"},
		{"both marks", Property{Name: "spark.test.m", NotImplemented: "a", Superseded: "b"}, "both not implemented and superseded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), tt.want) {
					t.Errorf("panic = %v, want one mentioning %q", r, tt.want)
				}
				if _, ok := Lookup(tt.p.Name); ok && tt.p.Name != "spark.master" {
					t.Errorf("rejected property %s was registered", tt.p.Name)
				}
			}()
			Register(tt.p)
		})
	}
}

func TestKindString(t *testing.T) {
	for k, want := range map[Kind]string{String: "string", Bool: "bool", Int: "int", Bytes: "bytes", Duration: "duration", Double: "double", Kind(42): "Kind(42)"} {
		if got := k.String(); got != want {
			t.Errorf("Kind(%d) = %q, want %q", int(k), got, want)
		}
	}
}

func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test directory")
		}
		dir = parent
	}
}

// TestDocsUpToDate fails when docs/configuration.md differs from what the
// registry generates.
func TestDocsUpToDate(t *testing.T) {
	var want bytes.Buffer
	if err := WriteMarkdown(&want); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(repoRoot(t), "docs", "configuration.md")
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v; generate it with: go run ./internal/config/gendocs > docs/configuration.md", err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Errorf("docs/configuration.md is out of date; regenerate it with: go run ./internal/config/gendocs > docs/configuration.md")
	}
	rows := map[string]string{}
	for _, line := range strings.Split(want.String(), "\n") {
		if name, ok := strings.CutPrefix(line, "| `"); ok {
			name, _, _ = strings.Cut(name, "`")
			rows[strings.TrimSuffix(name, "*")] = line
		}
	}
	for _, p := range All() {
		row, ok := rows[p.Name]
		if !ok {
			t.Errorf("the reference does not list %s", p.Name)
			continue
		}
		mark := ""
		switch {
		case p.NotImplemented != "":
			mark = "**Not implemented yet** (" + p.NotImplemented + ")"
		case p.Superseded != "":
			mark = "**Superseded** (" + p.Superseded + ")"
		}
		if got := strings.Contains(row, "**"); mark != "" && !strings.Contains(row, cell(mark)) || mark == "" && got {
			t.Errorf("the reference's row of %s does not show its mark %q:\n%s", p.Name, mark, row)
		}
	}
}

// getterKinds maps the Conf methods (and the spark package's helpers) that
// take a property name as their first argument to the kind they read; -1
// means any kind.
var getterKinds = map[string]Kind{
	"String": -1, "Has": -1, "Set": -1, "SetIfMissing": -1, "GetConf": -1, "Conf": -1,
	"Bool": Bool, "Int": Int, "Bytes": Bytes, "Duration": Duration, "Float": Double,
}

// TestUsedPropertiesRegistered scans the repository's Go code for property
// names written as literals in calls such as conf.Int("spark.task.cpus") and
// fails when one is not registered, is an old name, or is read with a getter
// of the wrong kind.
func TestUsedPropertiesRegistered(t *testing.T) {
	problems, checked, err := checkPropertyUses(repoRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Error(p)
	}
	if checked == 0 {
		t.Error("found no property reads at all; the scanner is broken")
	}
	t.Logf("checked %d property names in code", checked)
}

// TestCheckPropertyUses runs the scanner on code with known mistakes.
func TestCheckPropertyUses(t *testing.T) {
	root := filepath.Join("testdata", "uses")
	problems, checked, err := checkPropertyUses(root)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`uses.go:11: Int("spark.task.cpu"): property not registered in internal/config`,
		`uses.go:12: String("spark.kubernetes.driver.docker.image"): old name; use spark.kubernetes.driver.container.image`,
		`uses.go:13: Int("spark.executor.memory"): the property is bytes`,
		`uses.go:14: Set("spark.nope"): property not registered in internal/config`,
		`uses.go:15: Conf("spark.kubernets.namespace"): property not registered in internal/config`,
	}
	if checked != 8 {
		t.Errorf("checked %d names, want 8", checked)
	}
	if strings.Join(problems, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(problems, "\n"), strings.Join(want, "\n"))
	}
}

// checkPropertyUses parses the non-test Go files under root (skipping
// testdata, vendor and hidden directories) and reports, as "file:line: ..."
// relative to root, every literal property name passed to a getter that is
// unknown, an alias, or of another kind than the getter reads.
func checkPropertyUses(root string) (problems []string, checked int, err error) {
	fset := token.NewFileSet()
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if path != root && (name == "testdata" || name == "vendor" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			problems = append(problems, fmt.Sprintf("parsing %s: %v", path, err))
			return nil
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) == 0 {
				return true
			}
			var fn string
			switch f := call.Fun.(type) {
			case *ast.SelectorExpr:
				fn = f.Sel.Name
			case *ast.Ident:
				fn = f.Name
			}
			kind, ok := getterKinds[fn]
			if !ok {
				return true
			}
			lit, ok := call.Args[0].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			name, err := strconv.Unquote(lit.Value)
			if err != nil || !strings.HasPrefix(name, "spark.") {
				return true
			}
			checked++
			pos := fset.Position(lit.Pos())
			rel, _ := filepath.Rel(root, pos.Filename)
			at := fmt.Sprintf("%s:%d: %s(%q)", filepath.ToSlash(rel), pos.Line, fn, name)
			p, alias, ok := lookup(name)
			switch {
			case !ok:
				problems = append(problems, at+": property not registered in internal/config")
			case alias:
				problems = append(problems, at+": old name; use "+p.Name)
			case kind >= 0 && p.Kind != kind:
				problems = append(problems, fmt.Sprintf("%s: the property is %v", at, p.Kind))
			}
			return true
		})
		return nil
	})
	return problems, checked, err
}

// TestInertPropertiesMarked checks that the registry is honest: a property
// that no code outside internal/config uses must be marked NotImplemented
// or Superseded (so that setting it warns), and a marked property must not
// be used (when its feature is built, remove the mark). See propertyUses
// for what counts as a use.
func TestInertPropertiesMarked(t *testing.T) {
	uses, err := propertyUses(repoRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	var inert int
	for _, p := range All() {
		at, used := uses[p.Name]
		switch {
		case !used && !p.Inert():
			t.Errorf("no code outside internal/config uses %s: read it where it takes effect, or mark it NotImplemented (a feature to come) or Superseded", p.Name)
		case used && p.Inert():
			t.Errorf("%s is marked as having no effect (%s%s) but %s uses it: remove the mark if it works now", p.Name, p.NotImplemented, p.Superseded, at)
		}
		if p.Inert() {
			inert++
		}
	}
	t.Logf("%d of %d properties are marked not implemented or superseded", inert, len(All()))
}

// TestPropertyUses runs the scanner of TestInertPropertiesMarked on code
// that builds names in each way it recognizes.
func TestPropertyUses(t *testing.T) {
	uses, err := propertyUses(filepath.Join("testdata", "uses"))
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]bool{
		"spark.executor.memory":                             true,  // a literal
		"spark.kubernetes.driver.limit.cores":               true,  // fmt.Sprintf("spark.kubernetes.%s.limit.cores", role)
		"spark.kubernetes.executor.limit.cores":             true,  // the same
		"spark.kubernetes.driver.label.":                    true,  // a family, by its prefix
		"spark.ssl.kubernetes.resourceStagingServer.keyPem": true,  // prefix + "keyPem"
		"spark.ui.port":                                     false, // only in a comment and a longer string
		"spark.dynamicAllocation.enabled":                   false, // not mentioned
	} {
		if _, got := uses[name]; got != want {
			t.Errorf("uses[%s] found = %v, want %v", name, got, want)
		}
	}
}

// propertyUses finds, in the non-test Go files under root outside
// internal/config (skipping testdata, vendor and hidden directories), where
// each registered property's name is built: a string literal equal to it, a
// literal prefix of it joined to a literal with the rest (rss +
// "keyPem"), or a format with %s that produces it
// ("spark.kubernetes.%s.limit.cores"). It returns "file:line" of one use per
// property name. Names only inside longer strings (messages) or comments do
// not count.
func propertyUses(root string) (map[string]string, error) {
	lits := map[string]string{} // literal -> file:line of one occurrence
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			name := d.Name()
			if path != root && (name == "testdata" || name == "vendor" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || rel == "internal/config") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return fmt.Errorf("parsing %s: %w", path, err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil {
				return true
			}
			if _, seen := lits[s]; !seen {
				lits[s] = fmt.Sprintf("%s:%d", rel, fset.Position(lit.Pos()).Line)
			}
			return true
		})
		return nil
	})
	if err != nil {
		return nil, err
	}
	var formats []*regexp.Regexp
	var formatAt []string
	for s, at := range lits {
		if strings.HasPrefix(s, "spark.") && strings.Contains(s, "%s") {
			parts := strings.Split(s, "%s")
			for i := range parts {
				parts[i] = regexp.QuoteMeta(parts[i])
			}
			formats = append(formats, regexp.MustCompile("^"+strings.Join(parts, "[A-Za-z]+")+"$"))
			formatAt = append(formatAt, at)
		}
	}
	uses := map[string]string{}
	for _, p := range All() {
		n := p.Name
		if at, ok := lits[n]; ok {
			uses[n] = at
			continue
		}
		for i := len("spark."); i < len(n); i++ {
			at, ok := lits[n[:i]]
			if _, rest := lits[n[i:]]; ok && rest {
				uses[n] = at
				break
			}
		}
		if _, ok := uses[n]; ok {
			continue
		}
		for i, re := range formats {
			if re.MatchString(n) {
				uses[n] = formatAt[i]
				break
			}
		}
	}
	return uses, nil
}
