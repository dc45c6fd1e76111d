package config

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// ErrUnknownProperty is wrapped by the *Error for a spark.* name that no
// registered property governs.
var ErrUnknownProperty = errors.New("unknown property")

// Error is a configuration error: a property that does not exist or a value
// that does not fit its property.
type Error struct {
	Property string // the name as the user wrote it
	Value    string
	Want     string // what values are allowed; empty when the name is at fault
	Err      error  // the underlying cause
}

func (e *Error) Error() string {
	if e.Want != "" {
		return fmt.Sprintf("property %s: want %s, got %q", e.Property, e.Want, e.Value)
	}
	return fmt.Sprintf("property %s: %v", e.Property, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// wantError is a validation failure that says which values are allowed.
type wantError struct{ want string }

func (e *wantError) Error() string { return "want " + e.want }

// wantOf returns the description of allowed values carried by err.
func wantOf(err error) (string, bool) {
	var w *wantError
	if errors.As(err, &w) {
		return w.want, true
	}
	return "", false
}

// Validators for Property.Validate. Each parses the value itself, so that it
// can describe the allowed values even when the kind check fails.

func positiveInt(v string) error {
	if n, err := parseInt(v); err != nil || n < 1 {
		return &wantError{"a positive integer"}
	}
	return nil
}

func nonNegativeBytes(v string) error {
	if n, err := ParseBytes(v, ""); err != nil || n < 0 {
		return &wantError{"a size of 0 or more such as 0, 512k or 4m"}
	}
	return nil
}

func positiveBytes(v string) error {
	if n, err := ParseBytes(v, ""); err != nil || n < 1 {
		return &wantError{"a positive size such as 512m or 1g"}
	}
	return nil
}

// minBytes accepts sizes of at least min bytes.
func minBytes(min int64) func(string) error {
	want := fmt.Sprintf("a size of at least %dm, such as 128m", min>>20)
	return func(v string) error {
		if n, err := ParseBytes(v, "b"); err != nil || n < min {
			return &wantError{want}
		}
		return nil
	}
}

// validRegexp accepts a Go regular expression (RE2 syntax; Java's
// (?i) and character classes mean the same).
func validRegexp(v string) error {
	if _, err := regexp.Compile(v); err != nil {
		return &wantError{"a regular expression (" + err.Error() + ")"}
	}
	return nil
}

func nonNegativeInt(v string) error {
	if n, err := parseInt(v); err != nil || n < 0 {
		return &wantError{"a non-negative integer"}
	}
	return nil
}

func port(v string) error {
	if n, err := parseInt(v); err != nil || n < 0 || n > 65535 {
		return &wantError{"a port number from 0 to 65535"}
	}
	return nil
}

// between accepts numbers from lo to hi; loIncl and hiIncl say whether the
// bounds themselves are allowed.
func between(lo, hi float64, loIncl, hiIncl bool) func(string) error {
	lb, hb := "(", ")"
	if loIncl {
		lb = "["
	}
	if hiIncl {
		hb = "]"
	}
	want := fmt.Sprintf("a number in %s%s, %s%s", lb, strconv.FormatFloat(lo, 'g', -1, 64), strconv.FormatFloat(hi, 'g', -1, 64), hb)
	return func(v string) error {
		f, err := parseFloat(v)
		if err != nil || f < lo || f > hi || (f == lo && !loIncl) || (f == hi && !hiIncl) {
			return &wantError{want}
		}
		return nil
	}
}

// nonNegativeDuration rejects negative durations (unit is the property's
// TimeUnit).
func nonNegativeDuration(unit string) func(string) error {
	return func(v string) error {
		if d, err := ParseDuration(v, unit); err != nil || d < 0 {
			return &wantError{"a non-negative duration such as 500ms, 10s or 2min (" + unitName(unit, timeUnitNames) + " when no unit is given)"}
		}
		return nil
	}
}

func positiveDuration(unit string) func(string) error {
	return func(v string) error {
		if d, err := ParseDuration(v, unit); err != nil || d <= 0 {
			return &wantError{"a positive duration such as 500ms, 10s or 2min (" + unitName(unit, timeUnitNames) + " when no unit is given)"}
		}
		return nil
	}
}

// oneOf accepts exactly one of choices (case-sensitive).
func oneOf(choices ...string) func(string) error {
	want := "one of " + strings.Join(choices, ", ")
	return func(v string) error {
		for _, c := range choices {
			if v == c {
				return nil
			}
		}
		return &wantError{want}
	}
}

// keyValueList accepts the fork's comma-separated key=value lists, such as
// spark.kubernetes.driver.labels ("a=1,b=2"); empty entries are skipped.
func keyValueList(v string) error {
	for _, kv := range strings.Split(v, ",") {
		kv = strings.TrimSpace(kv)
		if kv == "" {
			continue
		}
		k, _, ok := strings.Cut(kv, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return &wantError{"a comma-separated list of key=value pairs"}
		}
	}
	return nil
}

// httpURL accepts an http:// or https:// URL with a host.
func httpURL(v string) error {
	rest, ok := strings.CutPrefix(v, "https://")
	if !ok {
		rest, ok = strings.CutPrefix(v, "http://")
	}
	if !ok || rest == "" || strings.HasPrefix(rest, "/") {
		return &wantError{"an http:// or https:// URL"}
	}
	return nil
}
