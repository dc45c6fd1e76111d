package config

import (
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Kind is the type of a property's value.
type Kind int

const (
	// String is any text.
	String Kind = iota
	// Bool is true or false.
	Bool
	// Int is a decimal integer.
	Int
	// Bytes is a size such as 512m or 2g (see ParseBytes).
	Bytes
	// Duration is a time such as 500ms, 10s or 2min (see ParseDuration).
	Duration
	// Double is a decimal number such as 0.6.
	Double
)

// String names the kind as the documentation does.
func (k Kind) String() string {
	switch k {
	case String:
		return "string"
	case Bool:
		return "bool"
	case Int:
		return "int"
	case Bytes:
		return "bytes"
	case Duration:
		return "duration"
	case Double:
		return "double"
	default:
		return fmt.Sprintf("Kind(%d)", int(k))
	}
}

// Property declares one spark.* property: its name, type, default, meaning
// and checks. Declare each property once, with Register.
type Property struct {
	Name    string
	Kind    Kind
	Default string // "" means no default
	Doc     string
	// Aliases are older names (often the apache-spark-on-k8s fork's) that
	// are accepted with a warning and stored under Name. When both the old
	// and the current name are set, the current name wins.
	Aliases []string
	// Prefix marks Name (ending in ".") as a family of properties: any
	// non-empty suffix is accepted, e.g. spark.executorEnv.PATH.
	Prefix bool
	// ByteUnit is the unit of a Bytes value written without a suffix: "b",
	// "k" or "m". Empty means bytes.
	ByteUnit string
	// TimeUnit is the unit of a Duration value written without a suffix:
	// "ms" or "s". Empty means milliseconds.
	TimeUnit string
	// Validate, if set, checks a value beyond its kind (a range, a set of
	// choices, a URL form...). It gets the value as the user wrote it.
	Validate func(v string) error
	// Fallback names another property whose value this one takes when it is
	// set neither explicitly nor by a Default (Spark's fallbackConf).
	Fallback string
	// NotImplemented, when set, names the feature this property belongs to
	// that gospark does not have yet (e.g. "dynamic allocation"). The
	// property is still accepted and validated, so that existing
	// spark-defaults files keep working, but setting it has no effect and
	// records one warning (see Conf.Warnings).
	NotImplemented string
	// Superseded, when set, says why the property no longer applies: it
	// belongs to a flow that gospark replaced (the old guide's driver
	// submission server, replaced by the resource staging server). Like a
	// NotImplemented property it is accepted, has no effect and records one
	// warning.
	Superseded string
}

// Inert reports whether setting p has no effect: it is not implemented yet
// or superseded.
func (p *Property) Inert() bool { return p.NotImplemented != "" || p.Superseded != "" }

// inertWarning is the warning recorded when p is set under name, or "" when
// p is not inert.
func (p *Property) inertWarning(name string) string {
	switch {
	case p.NotImplemented != "":
		return fmt.Sprintf("%s is not implemented yet (%s): the value is accepted but has no effect", name, p.NotImplemented)
	case p.Superseded != "":
		return fmt.Sprintf("%s is superseded and has no effect: %s", name, p.Superseded)
	}
	return ""
}

// registry holds every declared property. It is the package's only global
// state; properties are registered from init functions and read afterwards.
var registry = struct {
	sync.RWMutex
	byName   map[string]*Property
	byAlias  map[string]*Property
	prefixes []*Property // sorted by decreasing name length
}{
	byName:  map[string]*Property{},
	byAlias: map[string]*Property{},
}

// Register declares a property and returns it. It panics when the
// declaration is wrong: a name not under "spark.", a name or alias declared
// twice, a prefix name without a trailing dot, or a default that its own kind
// or Validate rejects. Those are programming errors that every test run
// catches.
func Register(p Property) *Property {
	q := &p
	q.Aliases = slices.Clone(p.Aliases)
	if !strings.HasPrefix(q.Name, "spark.") {
		panic(fmt.Sprintf("config: property name %q does not start with spark.", q.Name))
	}
	if q.Prefix && !strings.HasSuffix(q.Name, ".") {
		panic(fmt.Sprintf("config: prefix property %q must end with a dot", q.Name))
	}
	if q.Prefix && len(q.Aliases) > 0 {
		panic(fmt.Sprintf("config: prefix property %q cannot have aliases", q.Name))
	}
	if q.NotImplemented != "" && q.Superseded != "" {
		panic(fmt.Sprintf("config: property %q is marked both not implemented and superseded", q.Name))
	}
	if q.Kind < String || q.Kind > Double {
		panic(fmt.Sprintf("config: property %q has unknown kind %v", q.Name, q.Kind))
	}
	if _, err := ParseBytes("0", q.ByteUnit); err != nil {
		panic(fmt.Sprintf("config: property %q: byte unit: %v", q.Name, err))
	}
	if _, err := ParseDuration("0", q.TimeUnit); err != nil {
		panic(fmt.Sprintf("config: property %q: time unit: %v", q.Name, err))
	}
	if q.Default != "" {
		if err := q.check(q.Name, q.Default); err != nil {
			panic(fmt.Sprintf("config: property %q: bad default: %v", q.Name, err))
		}
	}
	registry.Lock()
	defer registry.Unlock()
	for _, n := range append([]string{q.Name}, q.Aliases...) {
		if registry.byName[n] != nil || registry.byAlias[n] != nil {
			panic(fmt.Sprintf("config: property %q registered twice", n))
		}
	}
	if q.Fallback != "" && q.Fallback == q.Name {
		panic(fmt.Sprintf("config: property %q falls back to itself", q.Name))
	}
	registry.byName[q.Name] = q
	for _, a := range q.Aliases {
		registry.byAlias[a] = q
	}
	if q.Prefix {
		registry.prefixes = append(registry.prefixes, q)
		slices.SortStableFunc(registry.prefixes, func(a, b *Property) int { return len(b.Name) - len(a.Name) })
	}
	return q
}

// Lookup finds the property that governs name: a property of that name, one
// that has name as an alias, or the prefix property name starts with (the
// longest such prefix).
func Lookup(name string) (*Property, bool) {
	p, _, ok := lookup(name)
	return p, ok
}

// lookup is Lookup that also tells whether name is an alias.
func lookup(name string) (p *Property, alias bool, ok bool) {
	registry.RLock()
	defer registry.RUnlock()
	if p := registry.byName[name]; p != nil {
		return p, false, true
	}
	if p := registry.byAlias[name]; p != nil {
		return p, true, true
	}
	for _, p := range registry.prefixes {
		if strings.HasPrefix(name, p.Name) {
			return p, false, true
		}
	}
	return nil, false, false
}

// All returns every registered property, sorted by name.
func All() []*Property {
	registry.RLock()
	defer registry.RUnlock()
	ps := make([]*Property, 0, len(registry.byName))
	for _, p := range registry.byName {
		ps = append(ps, p)
	}
	slices.SortFunc(ps, func(a, b *Property) int { return strings.Compare(a.Name, b.Name) })
	return ps
}

// key is where a value set under name is stored: the property's name, or
// for a prefix property the full name.
func (p *Property) key(name string) string {
	if p.Prefix {
		return name
	}
	return p.Name
}

// check validates v as a value of p (set under name) and returns an *Error
// when it is not one.
func (p *Property) check(name, v string) error {
	if err := p.parseKind(v); err != nil {
		e := &Error{Property: name, Value: v, Want: p.want(), Err: err}
		// A validator that describes its values knows better what to ask
		// for than the kind alone ("a positive integer", not "an integer").
		if p.Validate != nil {
			if w, ok := wantOf(p.Validate(v)); ok {
				e.Want = w
			}
		}
		return e
	}
	if p.Validate != nil {
		if err := p.Validate(v); err != nil {
			e := &Error{Property: name, Value: v, Want: p.want(), Err: err}
			if w, ok := wantOf(err); ok {
				e.Want = w
			}
			return e
		}
	}
	return nil
}

func (p *Property) parseKind(v string) error {
	var err error
	switch p.Kind {
	case Bool:
		_, err = parseBool(v)
	case Int:
		_, err = parseInt(v)
	case Bytes:
		_, err = ParseBytes(v, p.ByteUnit)
	case Duration:
		_, err = ParseDuration(v, p.TimeUnit)
	case Double:
		_, err = parseFloat(v)
	}
	return err
}

// want describes the values of p's kind, for error messages.
func (p *Property) want() string {
	switch p.Kind {
	case Bool:
		return "true or false"
	case Int:
		return "an integer"
	case Bytes:
		return "a size such as 512m or 2g (units b, k, m, g, t, p; " + unitName(p.ByteUnit, byteUnitNames) + " when none is given)"
	case Duration:
		return "a duration such as 500ms, 10s or 2min (units us, ms, s, m, min, h, d; " + unitName(p.TimeUnit, timeUnitNames) + " when none is given)"
	case Double:
		return "a number"
	default:
		return "a string"
	}
}

var (
	byteUnitNames = map[string]string{"": "bytes", "b": "bytes", "k": "KiB", "m": "MiB", "g": "GiB", "t": "TiB", "p": "PiB"}
	timeUnitNames = map[string]string{"": "milliseconds", "us": "microseconds", "ms": "milliseconds", "s": "seconds", "m": "minutes", "min": "minutes", "h": "hours", "d": "days"}
)

func unitName(u string, names map[string]string) string {
	if n, ok := names[strings.ToLower(u)]; ok {
		return n
	}
	return u
}
