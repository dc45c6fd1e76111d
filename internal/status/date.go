package status

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Date is a time in milliseconds since the Unix epoch, written in JSON as
// Spark's REST API writes java.util.Date: "2026-12-02T05:01:02.345GMT"
// (JacksonMessageWriter's yyyy-MM-dd'T'HH:mm:ss.SSS'GMT', in GMT).
type Date int64

// DateLayout is Spark's date format, without the "GMT" suffix.
const DateLayout = "2006-01-02T15:04:05.000"

// Time returns d as a time.Time in UTC.
func (d Date) Time() time.Time { return time.UnixMilli(int64(d)).UTC() }

// String formats d as Spark does.
func (d Date) String() string { return d.Time().Format(DateLayout) + "GMT" }

// MarshalJSON writes d as Spark's date string.
func (d Date) MarshalJSON() ([]byte, error) { return []byte(strconv.Quote(d.String())), nil }

// UnmarshalJSON reads Spark's date string (or a number of milliseconds).
func (d *Date) UnmarshalJSON(b []byte) error {
	s := string(b)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		*d = Date(n)
		return nil
	}
	u, err := strconv.Unquote(s)
	if err != nil {
		return fmt.Errorf("status: date %s: %w", s, err)
	}
	t, err := time.Parse(DateLayout, strings.TrimSuffix(u, "GMT"))
	if err != nil {
		return fmt.Errorf("status: date %q: %w", u, err)
	}
	*d = Date(t.UnixMilli())
	return nil
}

func datePtr(ms int64) *Date {
	d := Date(ms)
	return &d
}
