package ui

import (
	"fmt"
	"strconv"
	"time"

	"github.com/gospark/gospark/internal/status"
)

// humanBytes writes a byte count with binary units: "512 B", "1.2 MiB".
func humanBytes(n int64) string {
	if n < 0 {
		return "-" + humanBytes(-n)
	}
	if n < 1024 {
		return strconv.FormatInt(n, 10) + " B"
	}
	units := []string{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	v := float64(n) / 1024
	i := 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	return fmt.Sprintf("%.1f %s", v, units[i])
}

// formatDuration writes milliseconds as Spark's UI does: "45 ms", "0.3 s",
// "12 s", "1.5 min", "2.0 h".
func formatDuration(ms int64) string {
	if ms < 100 {
		return fmt.Sprintf("%d ms", ms)
	}
	sec := float64(ms) / 1000
	if sec < 1 {
		return fmt.Sprintf("%.1f s", sec)
	}
	if sec < 60 {
		return fmt.Sprintf("%.0f s", sec)
	}
	min := sec / 60
	if min < 10 {
		return fmt.Sprintf("%.1f min", min)
	}
	if min < 60 {
		return fmt.Sprintf("%.0f min", min)
	}
	return fmt.Sprintf("%.1f h", min/60)
}

// formatDate writes a time as the UI shows it (UTC).
func formatDate(ms int64) string {
	return time.UnixMilli(ms).UTC().Format("2006/01/02 15:04:05")
}

func formatDatePtr(d *status.Date) string {
	if d == nil {
		return "-"
	}
	return formatDate(int64(*d))
}

// cell is a table cell: its text, and the exact value as a tooltip.
type cell struct {
	Text, Title string
}

func bytesCell(n int64) cell {
	return cell{Text: humanBytes(n), Title: strconv.FormatInt(n, 10) + " bytes"}
}

// bytesRecords is Spark's "size / records" cell; empty when both are 0.
func bytesRecords(b, rec int64) cell {
	if b == 0 && rec == 0 {
		return cell{}
	}
	return cell{Text: humanBytes(b) + " / " + strconv.FormatInt(rec, 10),
		Title: strconv.FormatInt(b, 10) + " bytes, " + strconv.FormatInt(rec, 10) + " records"}
}

// bytesOrEmpty is a byte cell, empty when 0 (Spark's stage tables).
func bytesOrEmpty(n int64) cell {
	if n == 0 {
		return cell{}
	}
	return bytesCell(n)
}

func durationCell(ms int64) cell {
	return cell{Text: formatDuration(ms), Title: strconv.FormatInt(ms, 10) + " ms"}
}
