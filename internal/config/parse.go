package config

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

var byteUnits = map[string]int64{
	"b": 1,
	"k": 1 << 10, "kb": 1 << 10,
	"m": 1 << 20, "mb": 1 << 20,
	"g": 1 << 30, "gb": 1 << 30,
	"t": 1 << 40, "tb": 1 << 40,
	"p": 1 << 50, "pb": 1 << 50,
}

// splitNumber splits s (trimmed, lower-cased) into an optionally signed run
// of digits and the suffix after it.
func splitNumber(s string, signed bool) (num, suffix string) {
	i := 0
	if signed && strings.HasPrefix(s, "-") {
		i = 1
	}
	j := i
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	if j == i {
		return "", s
	}
	return s[:j], s[j:]
}

// unitFamily describes a kind of quantity written as a whole number and
// an optional unit: sizes or durations.
type unitFamily struct {
	what     string // "size" or "duration", for messages
	signed   bool
	units    map[string]int64
	fallback string // the unit when neither the value nor the property gives one
	want     string // what a value should look like
	allowed  string // the units, for messages
}

var (
	sizes = unitFamily{what: "size", units: byteUnits, fallback: "b",
		want: "a whole number of bytes with an optional unit (b, k, m, g, t, p)", allowed: "b, k, kb, m, mb, g, gb, t, tb, p or pb"}
	durations = unitFamily{what: "duration", signed: true, units: timeUnits, fallback: "ms",
		want: "a whole number with an optional unit (us, ms, s, m, min, h, d)", allowed: "us, ms, s, m, min, h or d"}
)

// parse reads a number with an optional unit of the family; a number
// without a unit is in defaultUnit, or the family's fallback.
func (f unitFamily) parse(s, defaultUnit string) (int64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	num, suffix := splitNumber(t, f.signed)
	if num == "" || num == "-" {
		return 0, fmt.Errorf("%s %q: want %s", f.what, s, f.want)
	}
	if strings.HasPrefix(suffix, ".") {
		return 0, fmt.Errorf("%s %q: fractional values are not supported; use a smaller unit", f.what, s)
	}
	unit := suffix
	if unit == "" {
		unit = strings.ToLower(defaultUnit)
		if unit == "" {
			unit = f.fallback
		}
	}
	mult, ok := f.units[unit]
	if !ok {
		return 0, fmt.Errorf("%s %q: unknown unit %q (want %s)", f.what, s, unit, f.allowed)
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n > math.MaxInt64/mult || n < math.MinInt64/mult {
		return 0, fmt.Errorf("%s %q: too large", f.what, s)
	}
	return n * mult, nil
}

// ParseBytes parses a size the way Spark's byteStringAs does: a whole
// non-negative number with an optional case-insensitive unit b, k, kb, m, mb,
// g, gb, t, tb, p or pb, in powers of 1024. A number without a unit is in
// defaultUnit ("" means bytes). It returns the size in bytes.
func ParseBytes(s, defaultUnit string) (int64, error) { return sizes.parse(s, defaultUnit) }

var timeUnits = map[string]int64{
	"us":  int64(time.Microsecond),
	"ms":  int64(time.Millisecond),
	"s":   int64(time.Second),
	"m":   int64(time.Minute),
	"min": int64(time.Minute),
	"h":   int64(time.Hour),
	"d":   int64(24 * time.Hour),
}

// ParseDuration parses a time the way Spark's timeStringAs does: a whole,
// optionally negative number with an optional case-insensitive unit us, ms,
// s, m, min, h or d. A number without a unit is in defaultUnit ("" means
// milliseconds).
func ParseDuration(s, defaultUnit string) (time.Duration, error) {
	n, err := durations.parse(s, defaultUnit)
	return time.Duration(n), err
}

func parseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, fmt.Errorf("%q is not true or false", s)
}

func parseInt(s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("integer: %w", err)
	}
	return n, nil
}

func parseFloat(s string) (float64, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return 0, fmt.Errorf("number: %w", err)
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("number %q is not finite", s)
	}
	return f, nil
}

// ParseProperties reads a Java .properties file, the format of
// spark-defaults.conf, as far as Spark's files use it: lines whose first
// non-blank character is '#' or '!' are comments; a key ends at the first
// unescaped '=', ':' or blank, and the separator may be surrounded by
// blanks; a line ending in an odd number of backslashes continues on the
// next line (whose leading blanks are skipped); the escapes \t, \n, \r, \f,
// \uXXXX and \<char> are decoded; values are trimmed, as Spark does. When a
// key repeats, the last value wins.
func ParseProperties(r io.Reader) (map[string]string, error) {
	out := map[string]string{}
	br := bufio.NewReader(r)
	var logical strings.Builder
	pending := false // a logical line is being continued
	lineNo, start := 0, 0
	flush := func() error {
		k, v, err := splitProperty(logical.String())
		logical.Reset()
		pending = false
		if err != nil {
			return fmt.Errorf("properties line %d: %w", start, err)
		}
		out[k] = v
		return nil
	}
	for {
		line, rerr := br.ReadString('\n')
		if rerr != nil && !errors.Is(rerr, io.EOF) {
			return nil, fmt.Errorf("reading properties: %w", rerr)
		}
		eof := rerr != nil
		if line == "" && eof {
			break
		}
		lineNo++
		line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
		text := strings.TrimLeft(line, " \t\f")
		if !pending {
			if text == "" || text[0] == '#' || text[0] == '!' {
				if eof {
					break
				}
				continue
			}
			start = lineNo
		}
		backslashes := len(text) - len(strings.TrimRight(text, `\`))
		if backslashes%2 == 1 {
			logical.WriteString(text[:len(text)-1])
			pending = true
		} else {
			logical.WriteString(text)
			if err := flush(); err != nil {
				return nil, err
			}
		}
		if eof {
			break
		}
	}
	if pending {
		if err := flush(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// splitProperty splits one logical line into its unescaped key and value.
func splitProperty(s string) (key, value string, err error) {
	i := 0
	for i < len(s) {
		c := s[i]
		if c == '\\' {
			i += 2
			continue
		}
		if c == '=' || c == ':' || c == ' ' || c == '\t' || c == '\f' {
			break
		}
		i++
	}
	i = min(i, len(s))
	rawKey, rest := s[:i], s[i:]
	rest = strings.TrimLeft(rest, " \t\f")
	if rest != "" && (rest[0] == '=' || rest[0] == ':') {
		rest = strings.TrimLeft(rest[1:], " \t\f")
	}
	if key, err = unescape(rawKey); err != nil {
		return "", "", err
	}
	if value, err = unescape(rest); err != nil {
		return "", "", err
	}
	return key, strings.TrimSpace(value), nil
}

func unescape(s string) (string, error) {
	if !strings.Contains(s, `\`) {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		i++
		if i == len(s) {
			break
		}
		switch s[i] {
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 'f':
			b.WriteByte('\f')
		case 'u':
			if i+5 > len(s) {
				return "", fmt.Errorf("malformed \\uXXXX escape in %q", s)
			}
			r, err := strconv.ParseUint(s[i+1:i+5], 16, 32)
			if err != nil {
				return "", fmt.Errorf("malformed \\uXXXX escape in %q", s)
			}
			b.WriteRune(rune(r))
			i += 4
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String(), nil
}

// FormatProperties writes props in the format ParseProperties reads, one
// sorted line each, escaping what would otherwise change meaning.
func FormatProperties(props map[string]string) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(props)) {
		b.WriteString(escapeProperty(k, true))
		b.WriteByte('=')
		b.WriteString(escapeProperty(props[k], false))
		b.WriteByte('\n')
	}
	return b.String()
}

func escapeProperty(s string, key bool) string {
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\f':
			b.WriteString(`\f`)
		case key && (r == '=' || r == ':' || r == ' '):
			b.WriteByte('\\')
			b.WriteRune(r)
		case key && i == 0 && (r == '#' || r == '!'):
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
