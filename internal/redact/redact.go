// Package redact hides secrets before anything shows or stores them: the
// UI, the REST API and the event log. It follows Spark's
// spark.redaction.regex (a property whose name or value matches has its value
// replaced) and spark.redaction.string.regex (matching text in any string
// is replaced).
package redact

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/gospark/gospark/internal/config"
)

// Replacement is what a redacted value becomes, Spark's text.
const Replacement = "*********(redacted)"

// DefaultRegex is spark.redaction.regex's default.
const DefaultRegex = "(?i)secret|password|token|access[.]?key"

// Redactor redacts properties and strings.
type Redactor struct {
	props *regexp.Regexp
	text  *regexp.Regexp // nil when spark.redaction.string.regex is unset
}

// New compiles the two expressions; str may be empty.
func New(props, str string) (*Redactor, error) {
	r := &Redactor{}
	var err error
	if r.props, err = regexp.Compile(props); err != nil {
		return nil, fmt.Errorf("spark.redaction.regex: %w", err)
	}
	if str != "" {
		if r.text, err = regexp.Compile(str); err != nil {
			return nil, fmt.Errorf("spark.redaction.string.regex: %w", err)
		}
	}
	return r, nil
}

// FromConf reads spark.redaction.regex and spark.redaction.string.regex.
func FromConf(c *config.Conf) (*Redactor, error) {
	return New(c.String("spark.redaction.regex"), c.String("spark.redaction.string.regex"))
}

// Default redacts with Spark's default expression.
func Default() *Redactor {
	r, _ := New(DefaultRegex, "")
	return r
}

// Value returns value, or Replacement when the property's name or value
// matches spark.redaction.regex; other text matching
// spark.redaction.string.regex is replaced too.
func (r *Redactor) Value(name, value string) string {
	if r.props.MatchString(name) || r.props.MatchString(value) {
		return Replacement
	}
	return r.String(value)
}

// Props returns a redacted copy of props.
func (r *Redactor) Props(props map[string]string) map[string]string {
	out := make(map[string]string, len(props))
	for k, v := range props {
		out[k] = r.Value(k, v)
	}
	return out
}

// String replaces the parts of s that match spark.redaction.string.regex.
func (r *Redactor) String(s string) string {
	if r.text == nil || s == "" {
		return s
	}
	return r.text.ReplaceAllString(s, Replacement)
}

// Args redacts a command line's "--conf k=v" and "k=v" words by the
// property rule.
func (r *Redactor) Args(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		if k, v, ok := strings.Cut(a, "="); ok {
			out[i] = k + "=" + r.Value(k, v)
			continue
		}
		out[i] = r.String(a)
	}
	return out
}
