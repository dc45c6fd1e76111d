package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestGettersDefaults(t *testing.T) {
	c := New()
	if got := c.String("spark.master"); got != "local[*]" {
		t.Errorf("spark.master = %q", got)
	}
	if got := c.String("spark.app.name"); got != "" {
		t.Errorf("spark.app.name = %q, want empty", got)
	}
	if got := c.Bytes("spark.executor.memory"); got != 1<<30 {
		t.Errorf("spark.executor.memory = %d", got)
	}
	if got := c.Bytes("spark.shuffle.file.buffer"); got != 32<<10 {
		t.Errorf("spark.shuffle.file.buffer = %d", got)
	}
	if got := c.Int("spark.task.maxFailures"); got != 4 {
		t.Errorf("spark.task.maxFailures = %d", got)
	}
	if got := c.Int("spark.default.parallelism"); got != 0 {
		t.Errorf("spark.default.parallelism = %d, want 0 (no default)", got)
	}
	if got := c.Bool("spark.shuffle.compress"); !got {
		t.Error("spark.shuffle.compress = false")
	}
	if got := c.Bool("spark.dynamicAllocation.enabled"); got {
		t.Error("spark.dynamicAllocation.enabled = true")
	}
	if got := c.Float("spark.memory.fraction"); got != 0.6 {
		t.Errorf("spark.memory.fraction = %v", got)
	}
	if got := c.Duration("spark.network.timeout"); got != 120*time.Second {
		t.Errorf("spark.network.timeout = %v", got)
	}
	if got := c.Duration("spark.kubernetes.allocation.batch.delay"); got != time.Second {
		t.Errorf("spark.kubernetes.allocation.batch.delay = %v", got)
	}
	if got := c.Bytes("spark.executor.memoryOverhead"); got != 0 {
		t.Errorf("spark.executor.memoryOverhead = %d, want 0 (no default)", got)
	}
	if got := c.String("spark.kubernetes.driver.label.app"); got != "" {
		t.Errorf("unset prefix property = %q", got)
	}
	var zero Conf
	if got := zero.Int("spark.executor.instances"); got != 2 {
		t.Errorf("zero Conf spark.executor.instances = %d", got)
	}
}

func TestSetTyped(t *testing.T) {
	tests := []struct {
		name, value string
		get         func(*Conf) any
		want        any
	}{
		{"spark.executor.memory", "2g", func(c *Conf) any { return c.Bytes("spark.executor.memory") }, int64(2 << 30)},
		{"spark.executor.memory", "512", func(c *Conf) any { return c.Bytes("spark.executor.memory") }, int64(512 << 20)},
		{"spark.shuffle.file.buffer", "64", func(c *Conf) any { return c.Bytes("spark.shuffle.file.buffer") }, int64(64 << 10)},
		{"spark.files.maxPartitionBytes", "4096", func(c *Conf) any { return c.Bytes("spark.files.maxPartitionBytes") }, int64(4096)},
		{"spark.kubernetes.allocation.batch.delay", "5", func(c *Conf) any { return c.Duration("spark.kubernetes.allocation.batch.delay") }, 5 * time.Second},
		{"spark.kubernetes.allocation.batch.delay", "250ms", func(c *Conf) any { return c.Duration("spark.kubernetes.allocation.batch.delay") }, 250 * time.Millisecond},
		{"spark.kubernetes.report.interval", "500", func(c *Conf) any { return c.Duration("spark.kubernetes.report.interval") }, 500 * time.Millisecond},
		{"spark.kubernetes.allocation.batch.size", " 7 ", func(c *Conf) any { return c.Int("spark.kubernetes.allocation.batch.size") }, 7},
		{"spark.shuffle.compress", "FALSE", func(c *Conf) any { return c.Bool("spark.shuffle.compress") }, false},
		{"spark.memory.fraction", "0.75", func(c *Conf) any { return c.Float("spark.memory.fraction") }, 0.75},
		{"spark.memory.storageFraction", "0", func(c *Conf) any { return c.Float("spark.memory.storageFraction") }, 0.0},
		{"spark.io.compression.codec", "zstd", func(c *Conf) any { return c.String("spark.io.compression.codec") }, "zstd"},
		{"spark.master", "local-cluster[2,1,1024]", func(c *Conf) any { return c.String("spark.master") }, "local-cluster[2,1,1024]"},
		{"spark.log.level", "info", func(c *Conf) any { return c.String("spark.log.level") }, "info"},
		{"spark.kubernetes.driver.labels", "a=1, b=2,", func(c *Conf) any { return c.String("spark.kubernetes.driver.labels") }, "a=1, b=2,"},
		{"spark.executor.instances", "0", func(c *Conf) any { return c.Int("spark.executor.instances") }, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name+"="+tt.value, func(t *testing.T) {
			c := New()
			if err := c.Set(tt.name, tt.value); err != nil {
				t.Fatalf("Set: %v", err)
			}
			if !c.Has(tt.name) {
				t.Error("Has = false after Set")
			}
			if got := tt.get(c); got != tt.want {
				t.Errorf("got %v (%T), want %v (%T)", got, got, tt.want, tt.want)
			}
			if got := c.String(tt.name); got != tt.value {
				t.Errorf("String = %q, want the value as set %q", got, tt.value)
			}
		})
	}
}

func TestSetErrors(t *testing.T) {
	tests := []struct {
		name, value string
		wantMsg     string
		unknown     bool
	}{
		{"spark.kubernetes.allocation.batch.size", "five",
			`property spark.kubernetes.allocation.batch.size: want a positive integer, got "five"`, false},
		{"spark.kubernetes.allocation.batch.size", "0",
			`property spark.kubernetes.allocation.batch.size: want a positive integer, got "0"`, false},
		{"spark.executor.instances", "-1",
			`property spark.executor.instances: want a non-negative integer, got "-1"`, false},
		{"spark.io.compression.codec", "lzf",
			`property spark.io.compression.codec: want one of lz4, zstd, snappy, got "lzf"`, false},
		{"spark.submit.deployMode", "Cluster",
			`property spark.submit.deployMode: want one of client, cluster, got "Cluster"`, false},
		{"spark.shuffle.compress", "yes",
			`property spark.shuffle.compress: want true or false, got "yes"`, false},
		{"spark.task.cpus", "1.5",
			`property spark.task.cpus: want a positive integer, got "1.5"`, false},
		{"spark.executor.memory", "abc",
			`property spark.executor.memory: want a size such as 512m or 2g (units b, k, m, g, t, p; MiB when none is given), got "abc"`, false},
		{"spark.executor.memory", "1.5g",
			`property spark.executor.memory: want a size such as 512m or 2g (units b, k, m, g, t, p; MiB when none is given), got "1.5g"`, false},
		{"spark.network.timeout", "soon",
			`property spark.network.timeout: want a positive duration such as 500ms, 10s or 2min (seconds when no unit is given), got "soon"`, false},
		{"spark.memory.fraction", "1.5",
			`property spark.memory.fraction: want a number in (0, 1], got "1.5"`, false},
		{"spark.memory.fraction", "NaN",
			`property spark.memory.fraction: want a number in (0, 1], got "NaN"`, false},
		{"spark.memory.storageFraction", "1",
			`property spark.memory.storageFraction: want a number in [0, 1), got "1"`, false},
		{"spark.shuffle.service.port", "70000",
			`property spark.shuffle.service.port: want a port number from 0 to 65535, got "70000"`, false},
		{"spark.kubernetes.container.image.pullPolicy", "sometimes",
			`property spark.kubernetes.container.image.pullPolicy: want one of Always, IfNotPresent, Never, got "sometimes"`, false},
		{"spark.kubernetes.docker.image.pullPolicy", "sometimes",
			`property spark.kubernetes.docker.image.pullPolicy: want one of Always, IfNotPresent, Never, got "sometimes"`, false},
		{"spark.kubernetes.shuffle.labels", "app",
			`property spark.kubernetes.shuffle.labels: want a comma-separated list of key=value pairs, got "app"`, false},
		{"spark.kubernetes.resourceStagingServer.uri", "host:31000",
			`property spark.kubernetes.resourceStagingServer.uri: want an http:// or https:// URL, got "host:31000"`, false},
		{"spark.log.level", "loud",
			`property spark.log.level: want one of ALL, TRACE, DEBUG, INFO, WARN, ERROR, FATAL, OFF, got "loud"`, false},
		{"spark.master", "yarn",
			`property spark.master: want a master URL, one of local, local[N], local[*], local[N,F], local-cluster[N,C,M], k8s://https://<api-server-host>:<port>, got "yarn"`, false},
		{"spark.kubernets.namespace", "x",
			`property spark.kubernets.namespace: unknown property; did you mean spark.kubernetes.namespace?`, true},
		{"spark.executor.memroy", "1g",
			`property spark.executor.memroy: unknown property; did you mean spark.executor.memory?`, true},
		{"spark.kubernetes.driver.docker.imag", "x",
			`property spark.kubernetes.driver.docker.imag: unknown property; did you mean spark.kubernetes.driver.container.image?`, true},
		{"spark.kubernetes.driver.lable.app", "x",
			`property spark.kubernetes.driver.lable.app: unknown property; did you mean spark.kubernetes.driver.label.app?`, true},
		{"spark.executorenv.PATH", "x",
			`property spark.executorenv.PATH: unknown property; did you mean spark.executorEnv.PATH?`, true},
		{"spark.completely.different.thing", "x",
			`property spark.completely.different.thing: unknown property`, true},
		{"spark.executorEnv.", "x",
			`property spark.executorEnv.: unknown property: spark.executorEnv. is a family of properties; add a name after it, as in spark.executorEnv.NAME`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name+"="+tt.value, func(t *testing.T) {
			c := New()
			err := c.Set(tt.name, tt.value)
			if err == nil {
				t.Fatal("Set succeeded, want an error")
			}
			if err.Error() != tt.wantMsg {
				t.Errorf("error\n got %s\nwant %s", err, tt.wantMsg)
			}
			var ce *Error
			if !errors.As(err, &ce) || ce.Property != tt.name || ce.Value != tt.value {
				t.Errorf("error %#v is not an *Error for %s=%q", err, tt.name, tt.value)
			}
			if got := errors.Is(err, ErrUnknownProperty); got != tt.unknown {
				t.Errorf("errors.Is(err, ErrUnknownProperty) = %v, want %v", got, tt.unknown)
			}
			if len(c.All()) != 0 {
				t.Errorf("failed Set stored %v", c.All())
			}
			if err := c.SetIfMissing(tt.name, tt.value); err == nil {
				t.Error("SetIfMissing accepted what Set rejects")
			}
		})
	}
}

func TestNonSparkPropertyIgnored(t *testing.T) {
	c := New()
	if err := c.Set("foo.bar", "1"); err != nil {
		t.Fatalf("Set(non-spark) = %v, want nil", err)
	}
	if err := c.Set("foo.bar", "2"); err != nil {
		t.Fatal(err)
	}
	if len(c.All()) != 0 || c.Has("foo.bar") {
		t.Errorf("non-spark property stored: %v", c.All())
	}
	if got, want := c.Warnings(), []string{"Ignoring non-Spark config property: foo.bar"}; !slices.Equal(got, want) {
		t.Errorf("Warnings = %q, want %q", got, want)
	}
	if err := c.Set("", "x"); err == nil {
		t.Error("Set with an empty name succeeded")
	}
}

func TestAliases(t *testing.T) {
	const (
		newName = "spark.kubernetes.driver.container.image"
		oldName = "spark.kubernetes.driver.docker.image"
	)
	type step struct{ name, value string }
	tests := []struct {
		name      string
		steps     []step
		want      string
		wantWarns []string
	}{
		{"old name alone", []step{{oldName, "a"}}, "a",
			[]string{oldName + " is deprecated; use " + newName + " instead"}},
		{"new then old: new wins", []step{{newName, "new"}, {oldName, "old"}}, "new",
			[]string{oldName + " is deprecated and ignored: " + newName + " is also set and wins"}},
		{"old then new: new wins", []step{{oldName, "old"}, {newName, "new"}}, "new",
			[]string{oldName + " is deprecated; use " + newName + " instead"}},
		{"old twice: last wins", []step{{oldName, "1"}, {oldName, "2"}}, "2",
			[]string{oldName + " is deprecated; use " + newName + " instead"}},
		{"new then old then new", []step{{newName, "1"}, {oldName, "2"}, {newName, "3"}}, "3",
			[]string{oldName + " is deprecated and ignored: " + newName + " is also set and wins"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := New()
			for _, s := range tt.steps {
				if err := c.Set(s.name, s.value); err != nil {
					t.Fatal(err)
				}
			}
			if got := c.String(newName); got != tt.want {
				t.Errorf("String(new) = %q, want %q", got, tt.want)
			}
			if got := c.String(oldName); got != tt.want {
				t.Errorf("String(old) = %q, want %q", got, tt.want)
			}
			if !c.Has(oldName) || !c.Has(newName) {
				t.Error("Has is false for one of the names")
			}
			if all := c.All(); len(all) != 1 || all[newName] != tt.want {
				t.Errorf("All = %v, want only %s=%s", all, newName, tt.want)
			}
			if got := c.Warnings(); !slices.Equal(got, tt.wantWarns) {
				t.Errorf("Warnings = %q, want %q", got, tt.wantWarns)
			}
		})
	}

	// Every fork name the seeds use resolves to its modern property.
	for old, cur := range map[string]string{
		"spark.kubernetes.executor.docker.image":      "spark.kubernetes.executor.container.image",
		"spark.kubernetes.initcontainer.docker.image": "spark.kubernetes.initContainer.image",
		"spark.kubernetes.docker.image.pullPolicy":    "spark.kubernetes.container.image.pullPolicy",
		"spark.kubernetes.executor.memoryOverhead":    "spark.executor.memoryOverhead",
		"spark.kubernetes.driver.memoryOverhead":      "spark.driver.memoryOverhead",
		"spark.kubernetes.submit.caCertFile":          "spark.kubernetes.authenticate.submission.caCertFile",
		"spark.kubernetes.submit.clientKeyFile":       "spark.kubernetes.authenticate.submission.clientKeyFile",
		"spark.kubernetes.submit.clientCertFile":      "spark.kubernetes.authenticate.submission.clientCertFile",
		"spark.kubernetes.submit.serviceAccountName":  "spark.kubernetes.authenticate.driver.serviceAccountName",
		"spark.kubernetes.submit.waitAppCompletion":   "spark.kubernetes.submission.waitAppCompletion",
	} {
		p, ok := Lookup(old)
		if !ok || p.Name != cur {
			t.Errorf("Lookup(%s) = %v, %v; want %s", old, p, ok, cur)
		}
	}
}

func TestSetIfMissing(t *testing.T) {
	c := New()
	if err := c.SetIfMissing("spark.app.name", "first"); err != nil {
		t.Fatal(err)
	}
	if err := c.SetIfMissing("spark.app.name", "second"); err != nil {
		t.Fatal(err)
	}
	if got := c.String("spark.app.name"); got != "first" {
		t.Errorf("spark.app.name = %q, want first", got)
	}
	// Set under the old name counts as set for the new one.
	if err := c.Set("spark.kubernetes.executor.docker.image", "old"); err != nil {
		t.Fatal(err)
	}
	if err := c.SetIfMissing("spark.kubernetes.executor.container.image", "new"); err != nil {
		t.Fatal(err)
	}
	if got := c.String("spark.kubernetes.executor.container.image"); got != "old" {
		t.Errorf("image = %q, want old", got)
	}
}

func TestFallback(t *testing.T) {
	c := New()
	if got := c.Int("spark.dynamicAllocation.initialExecutors"); got != 0 {
		t.Errorf("initialExecutors = %d, want minExecutors' default 0", got)
	}
	mustSet(t, c, "spark.dynamicAllocation.minExecutors", "3")
	if got := c.Int("spark.dynamicAllocation.initialExecutors"); got != 3 {
		t.Errorf("initialExecutors = %d, want minExecutors 3", got)
	}
	mustSet(t, c, "spark.dynamicAllocation.initialExecutors", "5")
	if got := c.Int("spark.dynamicAllocation.initialExecutors"); got != 5 {
		t.Errorf("initialExecutors = %d, want 5", got)
	}
	if c.Has("spark.dynamicAllocation.sustainedSchedulerBacklogTimeout") {
		t.Error("Has is true for a fallback value")
	}
	mustSet(t, c, "spark.dynamicAllocation.schedulerBacklogTimeout", "4")
	if got := c.Duration("spark.dynamicAllocation.sustainedSchedulerBacklogTimeout"); got != 4*time.Second {
		t.Errorf("sustainedSchedulerBacklogTimeout = %v, want 4s", got)
	}
	if got := c.String("spark.kubernetes.executor.container.image"); got != "" {
		t.Errorf("executor image = %q, want empty", got)
	}
	mustSet(t, c, "spark.kubernetes.container.image", "gospark:1")
	for _, n := range []string{"spark.kubernetes.driver.container.image", "spark.kubernetes.executor.container.image", "spark.kubernetes.initContainer.image"} {
		if got := c.String(n); got != "gospark:1" {
			t.Errorf("%s = %q, want the generic image", n, got)
		}
	}
	mustSet(t, c, "spark.kubernetes.driver.docker.image", "driver:2")
	if got := c.String("spark.kubernetes.driver.container.image"); got != "driver:2" {
		t.Errorf("driver image = %q, want driver:2", got)
	}
}

func TestPrefixProperties(t *testing.T) {
	c := New()
	mustSet(t, c, "spark.executorEnv.FOO", "bar")
	mustSet(t, c, "spark.executorEnv.PATH", "/bin")
	mustSet(t, c, "spark.kubernetes.driver.label.team", "data")
	mustSet(t, c, "spark.kubernetes.driver.labels", "x=y")
	mustSet(t, c, "spark.kubernetes.driverEnv.A", "1")
	if got := c.WithPrefix("spark.executorEnv."); len(got) != 2 || got["FOO"] != "bar" || got["PATH"] != "/bin" {
		t.Errorf("WithPrefix(spark.executorEnv.) = %v", got)
	}
	if got := c.WithPrefix("spark.kubernetes.driver.label."); len(got) != 1 || got["team"] != "data" {
		t.Errorf("WithPrefix(label.) = %v", got)
	}
	if got := c.WithPrefix("spark.kubernetes.none."); len(got) != 0 {
		t.Errorf("WithPrefix(none) = %v", got)
	}
	if got := c.String("spark.executorEnv.FOO"); got != "bar" {
		t.Errorf("String(spark.executorEnv.FOO) = %q", got)
	}
	if p, ok := Lookup("spark.kubernetes.driver.label.team"); !ok || p.Name != "spark.kubernetes.driver.label." {
		t.Errorf("Lookup(label.team) = %v, %v", p, ok)
	}
	if p, ok := Lookup("spark.kubernetes.driver.labels"); !ok || p.Prefix {
		t.Errorf("Lookup(labels) = %v, %v; want the exact property", p, ok)
	}
}

func TestEncodeDecode(t *testing.T) {
	c := New()
	mustSet(t, c, "spark.app.name", `quote " and \ and ü`)
	mustSet(t, c, "spark.executor.memory", "2g")
	mustSet(t, c, "spark.executorEnv.X", "y=z")
	mustSet(t, c, "spark.kubernetes.driver.docker.image", "img")
	enc := c.Encode()
	if !strings.HasPrefix(enc, "{") || !strings.Contains(enc, `"spark.kubernetes.driver.container.image":"img"`) {
		t.Errorf("Encode = %s", enc)
	}
	if New().Encode() != "{}" {
		t.Errorf("empty Encode = %s", New().Encode())
	}

	t.Setenv(EnvConf, enc)
	d, err := FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := d.All(), c.All(); len(got) != len(want) {
		t.Fatalf("round trip: got %v, want %v", got, want)
	} else {
		for k, v := range want {
			if got[k] != v {
				t.Errorf("round trip %s = %q, want %q", k, got[k], v)
			}
		}
	}
	if len(d.Warnings()) != 0 {
		t.Errorf("decoded Conf has warnings %q", d.Warnings())
	}

	t.Setenv(EnvConf, "")
	if d, err := FromEnv(); err != nil || len(d.All()) != 0 {
		t.Errorf("FromEnv with empty variable = %v, %v", d.All(), err)
	}

	for _, bad := range []struct{ env, want string }{
		{`not json`, "GOSPARK_CONF: decoding configuration"},
		{`{"spark.executor.memory":"lots"}`, `GOSPARK_CONF: property spark.executor.memory: want a size`},
		{`{"spark.nope":"1"}`, `GOSPARK_CONF: property spark.nope: unknown property`},
	} {
		t.Setenv(EnvConf, bad.env)
		_, err := FromEnv()
		if err == nil || !strings.HasPrefix(err.Error(), bad.want) {
			t.Errorf("FromEnv(%s) error = %v, want prefix %q", bad.env, err, bad.want)
		}
	}
}

func TestClone(t *testing.T) {
	c := New()
	mustSet(t, c, "spark.app.name", "a")
	mustSet(t, c, "other", "ignored")
	d := c.Clone()
	mustSet(t, d, "spark.app.name", "b")
	mustSet(t, d, "spark.master", "local[2]")
	if c.String("spark.app.name") != "a" || c.Has("spark.master") {
		t.Errorf("changing the clone changed the original: %v", c.All())
	}
	if d.String("spark.app.name") != "b" || len(d.Warnings()) != 1 {
		t.Errorf("clone = %v, warnings %q", d.All(), d.Warnings())
	}
}

func TestGetterPanics(t *testing.T) {
	tests := []struct {
		name string
		get  func(*Conf)
		want string
	}{
		{"unregistered", func(c *Conf) { c.String("spark.not.a.property") }, "spark.not.a.property is not registered"},
		{"kind", func(c *Conf) { c.Int("spark.executor.memory") }, "spark.executor.memory is bytes, not int"},
		{"bool kind", func(c *Conf) { c.Bool("spark.master") }, "spark.master is string, not bool"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if r == nil || !strings.Contains(fmt.Sprint(r), tt.want) {
					t.Errorf("panic = %v, want one mentioning %q", r, tt.want)
				}
			}()
			tt.get(New())
		})
	}
}

func TestConcurrentUse(t *testing.T) {
	c := New()
	var wg sync.WaitGroup
	for i := range runtime.GOMAXPROCS(0) + 2 {
		wg.Go(func() {
			for j := range 200 {
				name := fmt.Sprintf("spark.executorEnv.V%d_%d", i, j)
				if err := c.Set(name, "x"); err != nil {
					t.Error(err)
					return
				}
				_ = c.Int("spark.executor.cores")
				_ = c.WithPrefix("spark.executorEnv.")
				_ = c.Clone()
			}
		})
	}
	wg.Wait()
	if got, want := len(c.All()), (runtime.GOMAXPROCS(0)+2)*200; got != want {
		t.Errorf("%d values, want %d", got, want)
	}
}

func mustSet(t *testing.T, c *Conf, name, value string) {
	t.Helper()
	if err := c.Set(name, value); err != nil {
		t.Fatal(err)
	}
}

func TestInertPropertiesWarnOnce(t *testing.T) {
	const (
		ni  = "spark.task.cpus"
		sup = "spark.kubernetes.driver.submissionServerMemory"
	)
	niWarn := "spark.task.cpus is not implemented yet (tasks that take more than one slot: every task takes one): the value is accepted but has no effect"
	supWarn := "spark.kubernetes.driver.submissionServerMemory is superseded and has no effect: it configured the old guide's driver submission server, which the resource staging server replaces"

	t.Run("not implemented", func(t *testing.T) {
		c := New()
		mustSet(t, c, ni, "2")
		mustSet(t, c, ni, "3") // set again: still one warning
		if err := c.SetIfMissing(ni, "2"); err != nil {
			t.Fatal(err)
		}
		if got := c.Warnings(); !slices.Equal(got, []string{niWarn}) {
			t.Errorf("warnings = %q, want exactly %q", got, niWarn)
		}
		if c.Int(ni) != 3 { // accepted and stored
			t.Errorf("%s = %d after setting it to 3", ni, c.Int(ni))
		}
	})
	t.Run("superseded", func(t *testing.T) {
		c := New()
		mustSet(t, c, sup, "512m")
		if got := c.Warnings(); !slices.Equal(got, []string{supWarn}) {
			t.Errorf("warnings = %q, want exactly %q", got, supWarn)
		}
		if got := c.Bytes(sup); got != 512<<20 {
			t.Errorf("%s = %d", sup, got)
		}
	})
	t.Run("ssl submit family", func(t *testing.T) {
		c := New()
		mustSet(t, c, "spark.ssl.kubernetes.submit.trustStore", "/ts.jks")
		w := c.Warnings()
		if len(w) != 1 || !strings.HasPrefix(w[0], "spark.ssl.kubernetes.submit.trustStore is superseded and has no effect: ") {
			t.Errorf("warnings = %q", w)
		}
	})
	t.Run("normal property", func(t *testing.T) {
		c := New()
		mustSet(t, c, "spark.executor.memory", "2g")
		mustSet(t, c, "spark.ui.showConsoleProgress", "false")
		mustSet(t, c, "spark.ssl.kubernetes.resourceStagingServer.enabled", "true")
		if got := c.Warnings(); len(got) != 0 {
			t.Errorf("warnings = %q, want none", got)
		}
	})
	t.Run("values still validated", func(t *testing.T) {
		c := New()
		for name, bad := range map[string]string{ni: "maybe", "spark.ui.port": "99999", sup: "lots", "spark.kubernetes.driver.serviceManagerType": "LoadBalancer"} {
			var e *Error
			if err := c.Set(name, bad); !errors.As(err, &e) || e.Property != name {
				t.Errorf("Set(%s, %q) = %v, want an *Error for it", name, bad, err)
			}
		}
		if got := c.Warnings(); len(got) != 0 {
			t.Errorf("rejected values left warnings %q", got)
		}
	})
	t.Run("properties file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "spark-defaults.conf")
		if err := os.WriteFile(path, []byte(ni+" 2\nspark.files.maxPartitionBytes 64m\nspark.executor.memory 2g\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		c, err := FromFile(path)
		if err != nil {
			t.Fatal(err)
		}
		w := c.Warnings()
		if len(w) != 2 || w[1] != niWarn || !strings.HasPrefix(w[0], "spark.files.maxPartitionBytes is not implemented yet") {
			t.Errorf("warnings = %q", w)
		}

		// The driver reads the same file from gospark submit, which warned
		// already: no second warning, also when the application sets the
		// property again.
		t.Setenv(EnvConf, "")
		t.Setenv(EnvConfFile, path)
		d, err := FromEnv()
		if err != nil {
			t.Fatal(err)
		}
		mustSet(t, d, ni, "1")
		if got := d.Warnings(); len(got) != 0 {
			t.Errorf("FromEnv (file) warnings = %q, want none", got)
		}
		if !d.Has("spark.files.maxPartitionBytes") {
			t.Error("FromEnv dropped spark.files.maxPartitionBytes")
		}
	})
	t.Run("passed on by gospark submit", func(t *testing.T) {
		c := New()
		mustSet(t, c, ni, "2")
		t.Setenv(EnvConf, c.Encode())
		d, err := FromEnv()
		if err != nil {
			t.Fatal(err)
		}
		mustSet(t, d, ni, "2")
		if got := d.Warnings(); len(got) != 0 {
			t.Errorf("decoded warnings = %q, want none (gospark submit printed it)", got)
		}
		// A property the application sets that gospark submit did not.
		mustSet(t, d, sup, "1g")
		if got := d.Warnings(); !slices.Equal(got, []string{supWarn}) {
			t.Errorf("warnings = %q, want %q", got, supWarn)
		}
		// A clone remembers what was warned about.
		e := d.Clone()
		mustSet(t, e, sup, "2g")
		mustSet(t, e, ni, "1")
		if got := e.Warnings(); !slices.Equal(got, []string{supWarn}) {
			t.Errorf("clone warnings = %q, want %q", got, supWarn)
		}
	})
}
