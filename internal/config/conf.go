package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
)

// EnvConf is the environment variable through which gospark submit passes
// the resolved configuration to the application, as a JSON object from
// property name to value.
const EnvConf = "GOSPARK_CONF"

// EnvConfFile names a properties file (spark-defaults.conf syntax) that
// holds the configuration instead; the driver pod reads its properties so,
// from the ConfigMap gospark submit mounts.
const EnvConfFile = "GOSPARK_CONF_FILE"

// Conf is a set of property values, like Spark's SparkConf. Values are
// validated when set and stored under their canonical names. The zero value
// is empty and ready to use; a Conf is safe for concurrent use.
type Conf struct {
	mu       sync.RWMutex
	values   map[string]string
	viaAlias map[string]string // canonical name -> the old name its value was set under
	warnings []string
	// inert holds the keys of not-implemented and superseded properties
	// that have been warned about, here or (for a configuration decoded
	// from gospark submit) in the process that set them, so that each is
	// warned about once.
	inert map[string]bool
}

// New returns an empty Conf: every getter returns the property's default.
func New() *Conf { return &Conf{} }

// Set sets a property. An unknown spark.* name, a prefix property without a
// suffix, or a value that does not fit the property is an *Error. An old
// name (alias) is stored under the current name with a warning, unless the
// current name is already set, which wins. A name outside spark.* is ignored
// with a warning, as spark-submit does. A property that is not implemented
// yet or superseded (Property.NotImplemented, Property.Superseded) is
// validated and stored like any other, with one warning that it has no
// effect.
func (c *Conf) Set(name, value string) error { return c.set(name, value, false, false) }

// SetIfMissing sets a property unless it is already set (under its current
// or an old name). The value is validated either way.
func (c *Conf) SetIfMissing(name, value string) error { return c.set(name, value, true, false) }

// set stores value under name. quiet leaves out the warning about an inert
// property, for a configuration that gospark submit has already warned
// about (see Decode), but remembers it as warned about.
func (c *Conf) set(name, value string, ifMissing, quiet bool) error {
	if name == "" {
		return &Error{Property: name, Value: value, Err: errors.New("empty property name")}
	}
	if !strings.HasPrefix(name, "spark.") {
		c.warn("Ignoring non-Spark config property: " + name)
		return nil
	}
	p, alias, ok := lookup(name)
	if !ok {
		return &Error{Property: name, Value: value, Err: unknownProperty(name)}
	}
	if p.Prefix && name == p.Name {
		return &Error{Property: name, Value: value,
			Err: fmt.Errorf("%w: %s is a family of properties; add a name after it, as in %sNAME", ErrUnknownProperty, p.Name, p.Name)}
	}
	if err := p.check(name, value); err != nil {
		return err
	}
	key := p.key(name)
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, set := c.values[key]; set && ifMissing {
		return nil
	}
	if alias {
		if _, set := c.values[key]; set && c.viaAlias[key] == "" {
			c.warnLocked(fmt.Sprintf("%s is deprecated and ignored: %s is also set and wins", name, p.Name))
			return nil
		}
		c.warnLocked(fmt.Sprintf("%s is deprecated; use %s instead", name, p.Name))
		if c.viaAlias == nil {
			c.viaAlias = map[string]string{}
		}
		c.viaAlias[key] = name
	} else {
		delete(c.viaAlias, key)
	}
	if c.values == nil {
		c.values = map[string]string{}
	}
	c.values[key] = value
	if w := p.inertWarning(key); w != "" && !c.inert[key] {
		if c.inert == nil {
			c.inert = map[string]bool{}
		}
		c.inert[key] = true
		if !quiet {
			c.warnLocked(w)
		}
	}
	return nil
}

func (c *Conf) warn(w string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.warnLocked(w)
}

func (c *Conf) warnLocked(w string) {
	if !slices.Contains(c.warnings, w) {
		c.warnings = append(c.warnings, w)
	}
}

// Has reports whether a property was set explicitly (under its current or
// an old name). Defaults do not count.
func (c *Conf) Has(name string) bool {
	p, ok := Lookup(name)
	if !ok {
		return false
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	_, set := c.values[p.key(name)]
	return set
}

// Warnings returns the warnings recorded while setting properties (old
// names, ignored non-spark properties, properties that are not implemented
// yet or superseded), in order and without repeats. gospark submit prints
// them, and so does spark.NewSession for the properties the application
// sets itself; a configuration decoded from gospark submit (Decode,
// FromEnv) does not repeat the warnings about inert properties that
// gospark submit already printed.
func (c *Conf) Warnings() []string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return slices.Clone(c.warnings)
}

// Clone returns an independent copy of c, warnings included.
func (c *Conf) Clone() *Conf {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return &Conf{
		values:   maps.Clone(c.values),
		viaAlias: maps.Clone(c.viaAlias),
		warnings: slices.Clone(c.warnings),
		inert:    maps.Clone(c.inert),
	}
}

// All returns the explicitly set values under their current names.
func (c *Conf) All() map[string]string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make(map[string]string, len(c.values))
	maps.Copy(out, c.values)
	return out
}

// WithPrefix returns the set values whose names start with prefix, keyed by
// the rest of the name: with spark.executorEnv.FOO=bar set,
// WithPrefix("spark.executorEnv.") is {"FOO": "bar"}.
func (c *Conf) WithPrefix(prefix string) map[string]string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := map[string]string{}
	for k, v := range c.values {
		if rest, ok := strings.CutPrefix(k, prefix); ok && rest != "" {
			out[rest] = v
		}
	}
	return out
}

// value returns the effective value of name, following Fallback, and the
// property that supplied it (whose units apply). It panics when name is not
// registered.
func (c *Conf) value(name string, want ...Kind) (string, *Property) {
	p, ok := Lookup(name)
	if !ok {
		panic(fmt.Sprintf("config: property %s is not registered; declare it in internal/config", name))
	}
	if len(want) > 0 && !slices.Contains(want, p.Kind) {
		panic(fmt.Sprintf("config: property %s is %v, not %v", name, p.Kind, want[0]))
	}
	for range 16 {
		c.mu.RLock()
		v, set := c.values[p.key(name)]
		c.mu.RUnlock()
		if set || p.Default != "" || p.Fallback == "" {
			if !set {
				v = p.Default
			}
			return v, p
		}
		next, ok := Lookup(p.Fallback)
		if !ok {
			panic(fmt.Sprintf("config: property %s falls back to unregistered %s", p.Name, p.Fallback))
		}
		p, name = next, p.Fallback
	}
	panic(fmt.Sprintf("config: property %s: fallback chain too long", name))
}

func mustParse[T any](name, v string, parse func(string) (T, error)) T {
	var zero T
	if v == "" {
		return zero
	}
	x, err := parse(v)
	if err != nil {
		panic(fmt.Sprintf("config: property %s: stored value %q: %v", name, v, err))
	}
	return x
}

// String returns the value of a property of any kind as text, or its
// default; "" when it has neither.
func (c *Conf) String(name string) string {
	v, _ := c.value(name)
	return v
}

// Bool returns the value of a Bool property, or its default (false when it
// has none).
func (c *Conf) Bool(name string) bool {
	v, _ := c.value(name, Bool)
	return mustParse(name, v, parseBool)
}

// Int returns the value of an Int property, or its default (0 when it has
// none).
func (c *Conf) Int(name string) int {
	v, _ := c.value(name, Int)
	return mustParse(name, v, parseInt)
}

// Bytes returns the value of a Bytes property in bytes, or its default (0
// when it has none).
func (c *Conf) Bytes(name string) int64 {
	v, p := c.value(name, Bytes)
	return mustParse(name, v, func(s string) (int64, error) { return ParseBytes(s, p.ByteUnit) })
}

// Duration returns the value of a Duration property, or its default (0 when
// it has none).
func (c *Conf) Duration(name string) time.Duration {
	v, p := c.value(name, Duration)
	return mustParse(name, v, func(s string) (time.Duration, error) { return ParseDuration(s, p.TimeUnit) })
}

// Float returns the value of a Double property, or its default (0 when it
// has none).
func (c *Conf) Float(name string) float64 {
	v, _ := c.value(name, Double)
	return mustParse(name, v, parseFloat)
}

// Encode returns the explicitly set values as the JSON object that EnvConf
// carries.
func (c *Conf) Encode() string {
	b, err := json.Marshal(c.All())
	if err != nil { // a map of strings always encodes
		panic(fmt.Sprintf("config: encoding: %v", err))
	}
	return string(b)
}

// Decode is the inverse of Encode: it validates every value as Set does.
// It records no warnings about properties that are not implemented yet or
// superseded: the configuration comes from gospark submit (or a driver),
// which warned about them once already; setting one again on the decoded
// Conf does not warn either.
func Decode(s string) (*Conf, error) {
	var m map[string]string
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return nil, fmt.Errorf("decoding configuration: %w", err)
	}
	c := New()
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if err := c.set(k, m[k], false, true); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// FromEnv returns the configuration that gospark submit passed in EnvConf
// or in the file EnvConfFile names, validated, or an empty Conf when
// neither is set. Like Decode, it does not repeat gospark submit's warnings
// about inert properties.
func FromEnv() (*Conf, error) {
	s := os.Getenv(EnvConf)
	if f := os.Getenv(EnvConfFile); s == "" && f != "" {
		c, err := fromFile(f, true)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", EnvConfFile, err)
		}
		return c, nil
	}
	if s == "" {
		return New(), nil
	}
	c, err := Decode(s)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", EnvConf, err)
	}
	return c, nil
}

// FromFile reads a properties file into a validated Conf.
func FromFile(path string) (*Conf, error) { return fromFile(path, false) }

// fromFile is FromFile; quiet is set's.
func fromFile(path string, quiet bool) (*Conf, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("properties file: %w", err)
	}
	defer f.Close()
	props, err := ParseProperties(f)
	if err != nil {
		return nil, fmt.Errorf("properties file %s: %w", path, err)
	}
	c := New()
	for _, k := range slices.Sorted(maps.Keys(props)) {
		if err := c.set(k, props[k], false, quiet); err != nil {
			return nil, fmt.Errorf("properties file %s: %w", path, err)
		}
	}
	return c, nil
}

// Unset removes an explicitly set value (under its current name), so that
// the property reads as its default again.
func (c *Conf) Unset(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.values, name)
	delete(c.viaAlias, name)
}
