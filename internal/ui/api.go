package ui

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gospark/gospark/internal/redact"
	"github.com/gospark/gospark/internal/status"
)

// apiError is an answer other than 200: 404 for what does not exist, 400
// for a bad parameter. Its message is shown as plain text.
type apiError struct {
	code int
	msg  string
}

func (e *apiError) Error() string { return e.msg }

func notFound(format string, a ...any) error {
	return &apiError{http.StatusNotFound, fmt.Sprintf(format, a...)}
}

func badParam(format string, a ...any) error {
	return &apiError{http.StatusBadRequest, fmt.Sprintf(format, a...)}
}

// writeError answers err: its code when it is an apiError, 404 when it wraps
// ErrNotFound, 503 otherwise (a store that could not be loaded).
func writeError(w http.ResponseWriter, err error) {
	code := http.StatusServiceUnavailable
	var ae *apiError
	switch {
	case errors.As(err, &ae):
		code = ae.code
	case errors.Is(err, ErrNotFound):
		code = http.StatusNotFound
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	fmt.Fprintln(w, err.Error())
}

func writeJSON(w http.ResponseWriter, v any) {
	b, err := marshalSpark(v)
	if err != nil {
		writeError(w, fmt.Errorf("encoding the answer: %w", err))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Write(b)
}

// serveAPI answers /api/v1/<rest>.
func (h *handler) serveAPI(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, "/api/v1")
	parts := strings.Split(strings.Trim(rest, "/"), "/")
	v, err := h.api(r, parts)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, v)
}

func (h *handler) api(r *http.Request, parts []string) (any, error) {
	q := r.URL.Query()
	switch {
	case len(parts) == 1 && parts[0] == "version":
		return status.VersionInfo{Spark: h.version}, nil
	case len(parts) == 1 && parts[0] == "applications":
		return h.applicationList(q)
	case len(parts) >= 2 && parts[0] == "applications":
		s, err := h.apps.Store(r.Context(), parts[1])
		if err != nil {
			return nil, err
		}
		return appResource(s, parts[2:], q)
	}
	return nil, notFound("unknown resource: /api/v1/%s", strings.Join(parts, "/"))
}

// parseSparkDate reads Spark's SimpleDateParam: yyyy-MM-dd'T'HH:mm:ss.SSSz
// (e.g. 2026-01-01T00:00:00.000GMT) or yyyy-MM-dd (GMT).
func parseSparkDate(name, v string) (int64, error) {
	for _, layout := range []string{"2006-01-02T15:04:05.000MST", "2006-01-02T15:04:05.000Z0700", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UnixMilli(), nil
		}
	}
	return 0, badParam("bad value for parameter %q: couldn't parse date %q (want yyyy-MM-dd or yyyy-MM-ddTHH:mm:ss.SSSGMT)", name, v)
}

func dateParam(q url.Values, name, def string) (int64, error) {
	v := q.Get(name)
	if v == "" {
		v = def
	}
	return parseSparkDate(name, v)
}

func (h *handler) applicationList(q url.Values) ([]status.ApplicationInfo, error) {
	includeCompleted, includeRunning := true, true
	if st := q["status"]; len(st) > 0 {
		includeCompleted, includeRunning = false, false
		for _, v := range st {
			switch strings.ToLower(v) {
			case "completed":
				includeCompleted = true
			case "running":
				includeRunning = true
			default:
				return nil, badParam("bad value for parameter \"status\": %q (want completed or running)", v)
			}
		}
	}
	minDate, err := dateParam(q, "minDate", "2010-01-01")
	if err != nil {
		return nil, err
	}
	maxDate, err := dateParam(q, "maxDate", "3000-01-01")
	if err != nil {
		return nil, err
	}
	minEnd, err := dateParam(q, "minEndDate", "2010-01-01")
	if err != nil {
		return nil, err
	}
	maxEnd, err := dateParam(q, "maxEndDate", "3000-01-01")
	if err != nil {
		return nil, err
	}
	limit := -1
	if v := q.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 0 {
			return nil, badParam("bad value for parameter \"limit\": %q (want a number, 0 or more)", v)
		}
	}
	now := time.Now().UnixMilli()
	out := []status.ApplicationInfo{}
	for _, a := range h.apps.Applications() {
		if limit >= 0 && len(out) >= limit {
			break
		}
		if a.ID == "" {
			continue // the live application before its start event
		}
		running := !a.Completed()
		if running && !includeRunning || !running && !includeCompleted {
			continue
		}
		if slices.ContainsFunc(a.Attempts, func(at status.ApplicationAttemptInfo) bool {
			start, end := int64(at.StartTime), int64(at.EndTime)
			startOK := start >= minDate && start <= maxDate
			endOK := running && maxEnd > now || !running && end >= minEnd && end <= maxEnd
			return startOK && endOK
		}) {
			out = append(out, a)
		}
	}
	return out, nil
}

func intSegment(what, v string) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, notFound("unknown %s: %s", what, v)
	}
	return n, nil
}

func boolParam(q url.Values, name string, def bool) (bool, error) {
	v := q.Get(name)
	if v == "" {
		return def, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, badParam("bad value for parameter %q: %q (want true or false)", name, v)
	}
	return b, nil
}

func intParam(q url.Values, name string, def int) (int, error) {
	v := q.Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, badParam("bad value for parameter %q: %q (want a number, 0 or more)", name, v)
	}
	return n, nil
}

// statusParams checks the status query parameters against allowed (Spark's
// enum names, matched in any case) and returns them upper-cased.
func statusParams(q url.Values, allowed ...string) ([]string, error) {
	var out []string
	for _, v := range q["status"] {
		u := strings.ToUpper(v)
		if !slices.Contains(allowed, u) {
			return nil, badParam("bad value for parameter \"status\": %q (want one of %s)",
				v, strings.ToLower(strings.Join(allowed, ", ")))
		}
		out = append(out, u)
	}
	return out, nil
}

// quantilesParam reads a comma-separated list of quantiles in [0, 1].
func quantilesParam(q url.Values) ([]float64, error) {
	v := q.Get("quantiles")
	if v == "" {
		return slices.Clone(status.DefaultQuantiles), nil
	}
	var out []float64
	for _, s := range strings.Split(v, ",") {
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return nil, badParam("bad value for parameter \"quantiles\": expected a double, got %q", s)
		}
		if f < 0 || f > 1 {
			return nil, badParam("bad value for parameter \"quantiles\": %v is not in the range [0, 1]", f)
		}
		out = append(out, f)
	}
	return out, nil
}

// redactedEnvironment hides secrets the event carried by mistake:
// spark.redaction.regex's default applied to every property list once more.
func redactedEnvironment(e status.ApplicationEnvironmentInfo) status.ApplicationEnvironmentInfo {
	r := redact.Default()
	red := func(list [][2]string) [][2]string {
		out := make([][2]string, len(list))
		for i, p := range list {
			out[i] = [2]string{p[0], r.Value(p[0], p[1])}
		}
		return out
	}
	e.SparkProperties = red(e.SparkProperties)
	e.HadoopProperties = red(e.HadoopProperties)
	e.SystemProperties = red(e.SystemProperties)
	e.MetricsProperties = red(e.MetricsProperties)
	e.ClasspathEntries = red(e.ClasspathEntries)
	return e
}

// appResource answers /api/v1/applications/<id>/<parts...>.
func appResource(s *status.Store, parts []string, q url.Values) (any, error) {
	if len(parts) == 0 {
		return s.Application(), nil
	}
	switch parts[0] {
	case "jobs":
		switch len(parts) {
		case 1:
			st, err := statusParams(q, status.JobRunning, status.JobSucceeded, status.JobFailed, status.JobUnknown)
			if err != nil {
				return nil, err
			}
			return s.Jobs(st...), nil
		case 2:
			id, err := intSegment("job", parts[1])
			if err != nil {
				return nil, err
			}
			j, ok := s.Job(id)
			if !ok {
				return nil, notFound("unknown job: %d", id)
			}
			return j, nil
		}
	case "stages":
		return stagesResource(s, parts[1:], q)
	case "executors", "allexecutors":
		if len(parts) == 1 {
			return s.Executors(parts[0] == "executors"), nil
		}
	case "storage":
		if len(parts) < 2 || parts[1] != "rdd" {
			break
		}
		switch len(parts) {
		case 2:
			return s.RDDs(), nil
		case 3:
			id, err := intSegment("rdd", parts[2])
			if err != nil {
				return nil, err
			}
			rdd, ok := s.RDD(id)
			if !ok {
				return nil, notFound("no rdd found w/ id %d", id)
			}
			return rdd, nil
		}
	case "environment":
		if len(parts) == 1 {
			return redactedEnvironment(s.Environment()), nil
		}
	}
	return nil, notFound("unknown resource: %s", strings.Join(parts, "/"))
}

func stagesResource(s *status.Store, parts []string, q url.Values) (any, error) {
	if len(parts) == 0 {
		st, err := statusParams(q, status.StageActive, status.StageComplete, status.StageFailed, status.StagePending, status.StageSkipped)
		if err != nil {
			return nil, err
		}
		details, err := boolParam(q, "details", false)
		if err != nil {
			return nil, err
		}
		list := s.Stages(st...)
		if details {
			for i, sd := range list {
				if d, ok := s.StageAttempt(sd.StageID, sd.AttemptID, true); ok {
					list[i] = d
				}
			}
		}
		return list, nil
	}
	id, err := intSegment("stage", parts[0])
	if err != nil {
		return nil, err
	}
	details, err := boolParam(q, "details", true)
	if err != nil {
		return nil, err
	}
	attempts := s.StageAttempts(id)
	if len(attempts) == 0 {
		return nil, notFound("unknown stage: %d", id)
	}
	if len(parts) == 1 {
		if details {
			for i, sd := range attempts {
				if d, ok := s.StageAttempt(id, sd.AttemptID, true); ok {
					attempts[i] = d
				}
			}
		}
		return attempts, nil
	}
	attempt, err := strconv.Atoi(parts[1])
	if err != nil || attempt < 0 {
		return nil, notFound("unknown attempt for stage %d: %s", id, parts[1])
	}
	if _, ok := s.StageAttempt(id, attempt, false); !ok {
		var found []string
		for _, a := range attempts {
			found = append(found, strconv.Itoa(a.AttemptID))
		}
		return nil, notFound("unknown attempt for stage %d.  Found attempts: [%s]", id, strings.Join(found, ","))
	}
	switch {
	case len(parts) == 2:
		d, _ := s.StageAttempt(id, attempt, details)
		return d, nil
	case len(parts) == 3 && parts[2] == "taskSummary":
		qs, err := quantilesParam(q)
		if err != nil {
			return nil, err
		}
		d, ok := s.TaskSummary(id, attempt, qs)
		if !ok {
			return nil, notFound("No tasks reported metrics for %d / %d yet.", id, attempt)
		}
		return d, nil
	case len(parts) == 3 && parts[2] == "taskList":
		offset, err := intParam(q, "offset", 0)
		if err != nil {
			return nil, err
		}
		length, err := intParam(q, "length", 20)
		if err != nil {
			return nil, err
		}
		sortBy, ok := status.ParseTaskSort(q.Get("sortBy"))
		if !ok {
			return nil, badParam("bad value for parameter \"sortBy\": %q (want ID, runtime or -runtime)", q.Get("sortBy"))
		}
		tasks, _ := s.TaskList(id, attempt, offset, length, sortBy)
		return tasks, nil
	}
	return nil, notFound("unknown resource: stages/%s", strings.Join(parts, "/"))
}
