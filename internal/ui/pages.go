package ui

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gospark/gospark/internal/redact"
	"github.com/gospark/gospark/internal/status"
)

//go:embed templates/*.html
var templateFS embed.FS

// TasksPerPage is how many tasks a stage page shows at a time unless
// task.pageSize says otherwise.
const TasksPerPage = 100

// maxLogBytes is how much of the end of a log the log page shows.
const maxLogBytes = 1 << 20

// parseTemplates returns each page's template: the layout, the shared
// partials and the page's "content".
func parseTemplates() map[string]*template.Template {
	funcs := template.FuncMap{"progress": func(pct, done, total, active, failed, killed, skipped int) progressBar {
		return progressBar{pct, done, total, active, failed, killed, skipped}
	}}
	base := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html"))
	out := map[string]*template.Template{}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	for _, n := range names {
		name := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if name == "layout" {
			continue
		}
		out[name] = template.Must(template.Must(base.Clone()).ParseFS(templateFS, n))
	}
	return out
}

// progressBar is the tasks cell of the job and stage tables.
type progressBar struct {
	Pct, Done, Total, Active, Failed, Killed, Skipped int
}

type tab struct {
	ID, Name, Href string
	Active         bool
}

type link struct {
	Text, Href string
	Current    bool
}

// pageData is what the layout renders around a page's content.
type pageData struct {
	Title          string
	AppName, AppID string
	Base           string
	Refresh        int
	Tabs           []tab
	History        bool
	Version        string
	Body           any
}

func (h *handler) newPage(s *status.Store, base, title, active string, body any) pageData {
	p := pageData{Title: title, Base: base, History: h.o.History, Version: h.version, Body: body}
	if s != nil {
		app := s.Application()
		p.AppName, p.AppID = app.Name, app.ID
		if !app.Completed() && h.o.RefreshSeconds > 0 {
			p.Refresh = h.o.RefreshSeconds
		}
		for _, t := range [][2]string{{"jobs", "Jobs"}, {"stages", "Stages"}, {"storage", "Storage"}, {"environment", "Environment"}, {"executors", "Executors"}} {
			p.Tabs = append(p.Tabs, tab{ID: t[0], Name: t[1], Href: base + "/" + t[0] + "/", Active: t[0] == active})
		}
	}
	return p
}

func (h *handler) render(w http.ResponseWriter, code int, name string, p pageData) {
	var buf bytes.Buffer
	if err := h.templates()[name].ExecuteTemplate(&buf, "layout", p); err != nil {
		writeError(w, fmt.Errorf("rendering %s: %w", name, err))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	w.Write(buf.Bytes())
}

// renderError shows err as a page: 404 for what does not exist, 400 for a
// bad parameter.
func (h *handler) renderError(w http.ResponseWriter, s *status.Store, base string, err error) {
	code := http.StatusServiceUnavailable
	var ae *apiError
	switch {
	case errors.As(err, &ae):
		code = ae.code
	case errors.Is(err, ErrNotFound):
		code = http.StatusNotFound
	}
	h.render(w, code, "error", h.newPage(s, base, http.StatusText(code), "", err.Error()))
}

func (h *handler) servePage(w http.ResponseWriter, r *http.Request, s *status.Store, base, page string) {
	var (
		name, title, active string
		body                any
		err                 error
	)
	q := r.URL.Query()
	switch page {
	case "jobs/":
		name, title, active, body = "jobs", "Spark Jobs", "jobs", h.jobsPage(s, base)
	case "jobs/job/":
		name, active = "job", "jobs"
		var jp *jobPage
		if jp, err = h.jobPage(s, base, q); err == nil {
			title, body = fmt.Sprintf("Details for Job %d", jp.Job.ID), jp
		}
	case "stages/":
		name, title, active, body = "stages", "Stages for All Jobs", "stages", h.stagesPage(s, base)
	case "stages/stage/":
		name, active = "stage", "stages"
		var sp *stagePage
		if sp, err = h.stagePage(s, base, q); err == nil {
			title, body = fmt.Sprintf("Details for Stage %d (Attempt %d)", sp.Stage.ID, sp.Stage.Attempt), sp
		}
	case "storage/":
		name, title, active, body = "storage", "Storage", "storage", h.storagePage(s, base)
	case "storage/rdd/":
		name, active = "rdd", "storage"
		var rp *rddPage
		if rp, err = h.rddPage(s, q); err == nil {
			title, body = "RDD Storage Info for "+rp.RDD.Name, rp
		}
	case "environment/":
		name, title, active, body = "environment", "Environment", "environment", h.environmentPage(s)
	case "executors/":
		name, title, active, body = "executors", "Executors", "executors", h.executorsPage(s, base)
	case "executors/log/":
		h.serveLog(w, r, s, base)
		return
	}
	if err != nil {
		h.renderError(w, s, base, err)
		return
	}
	h.render(w, http.StatusOK, name, h.newPage(s, base, title, active, body))
}

func idParam(q url.Values, name string) (int, error) {
	v := q.Get(name)
	if v == "" {
		return 0, badParam("missing parameter %q", name)
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, badParam("bad value for parameter %q: %q (want a number)", name, v)
	}
	return n, nil
}

// Jobs.

type jobRow struct {
	ID                                  int
	Status, Name, Description, Group    string
	Href                                string
	Submitted, Duration                 string
	StagesDone, StagesTotal, StagesSkip int
	TasksDone, TasksTotal, TasksFailed  int
	TasksKilled, TasksSkipped           int
	TasksActive, Pct                    int
}

type jobTable struct {
	ID, Title string
	Rows      []jobRow
}

func pct(done, total int) int {
	if total <= 0 {
		return 0
	}
	return min(100, done*100/total)
}

func (h *handler) jobRow(base string, j status.JobData, now int64) jobRow {
	r := jobRow{
		ID: j.JobID, Status: j.Status, Name: j.Name, Description: j.Description, Group: j.JobGroup,
		Href:       fmt.Sprintf("%s/jobs/job/?id=%d", base, j.JobID),
		Submitted:  formatDatePtr(j.SubmissionTime),
		Duration:   "-",
		StagesDone: j.NumCompletedStages, StagesTotal: len(j.StageIDs) - j.NumSkippedStages, StagesSkip: j.NumSkippedStages,
		TasksDone: j.NumCompletedTasks, TasksTotal: j.NumTasks - j.NumSkippedTasks, TasksFailed: j.NumFailedTasks,
		TasksKilled: j.NumKilledTasks, TasksSkipped: j.NumSkippedTasks, TasksActive: j.NumActiveTasks,
	}
	r.Pct = pct(r.TasksDone, r.TasksTotal)
	if j.SubmissionTime != nil {
		end := now
		if j.CompletionTime != nil {
			end = int64(*j.CompletionTime)
		}
		r.Duration = formatDuration(max(0, end-int64(*j.SubmissionTime)))
	}
	return r
}

type jobsPage struct {
	User, Started, Uptime string
	Completed             bool
	Tables                []jobTable
}

func (h *handler) jobsPage(s *status.Store, base string) *jobsPage {
	app := s.Application()
	at := app.Attempt()
	end := s.NowMillis()
	if app.Completed() {
		end = int64(at.EndTime)
	}
	p := &jobsPage{User: at.SparkUser, Started: formatDate(int64(at.StartTime)), Completed: app.Completed(),
		Uptime: formatDuration(max(0, end-int64(at.StartTime)))}
	tables := map[string]*jobTable{
		status.JobRunning:   {ID: "active-jobs", Title: "Active Jobs"},
		status.JobSucceeded: {ID: "completed-jobs", Title: "Completed Jobs"},
		status.JobFailed:    {ID: "failed-jobs", Title: "Failed Jobs"},
	}
	now := s.NowMillis()
	for _, j := range s.Jobs() {
		if t := tables[j.Status]; t != nil {
			t.Rows = append(t.Rows, h.jobRow(base, j, now))
		}
	}
	for _, st := range []string{status.JobRunning, status.JobSucceeded, status.JobFailed} {
		p.Tables = append(p.Tables, *tables[st])
	}
	return p
}

type jobPage struct {
	Job    jobRow
	Tables []stageTable
}

func (h *handler) jobPage(s *status.Store, base string, q url.Values) (*jobPage, error) {
	id, err := idParam(q, "id")
	if err != nil {
		return nil, err
	}
	j, ok := s.Job(id)
	if !ok {
		return nil, notFound("No information to display for job %d", id)
	}
	return &jobPage{Job: h.jobRow(base, j, s.NowMillis()), Tables: h.stageTables(s, base, s.JobStages(id))}, nil
}

// Stages.

type stageRow struct {
	ID, Attempt                              int
	Status, Name, Description, Details, Href string
	Submitted, Duration                      string
	TasksDone, TasksTotal, TasksFailed       int
	TasksKilled, TasksActive, Pct            int
	Input, Output, ShuffleRead, ShuffleWrite cell
	FailureReason, FailureShort              string
}

type stageTable struct {
	ID, Title   string
	Rows        []stageRow
	ShowFailure bool
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	if len(line) > 200 {
		line = line[:200] + "…"
	}
	return line
}

func (h *handler) stageRow(base string, st status.StageData, now int64) stageRow {
	r := stageRow{
		ID: st.StageID, Attempt: st.AttemptID, Status: st.Status, Name: st.Name, Description: st.Description,
		Details:   st.Details,
		Href:      fmt.Sprintf("%s/stages/stage/?id=%d&attempt=%d", base, st.StageID, st.AttemptID),
		Submitted: formatDatePtr(st.SubmissionTime), Duration: "-",
		TasksDone: st.NumCompleteTasks, TasksTotal: st.NumTasks, TasksFailed: st.NumFailedTasks,
		TasksKilled: st.NumKilledTasks, TasksActive: st.NumActiveTasks,
		Input:         bytesOrEmpty(st.InputBytes),
		Output:        bytesOrEmpty(st.OutputBytes),
		ShuffleRead:   bytesOrEmpty(st.ShuffleReadBytes),
		ShuffleWrite:  bytesOrEmpty(st.ShuffleWriteBytes),
		FailureReason: st.FailureReason, FailureShort: firstLine(st.FailureReason),
	}
	r.Pct = pct(r.TasksDone, r.TasksTotal)
	if st.SubmissionTime != nil {
		end := now
		if st.CompletionTime != nil {
			end = int64(*st.CompletionTime)
		}
		r.Duration = formatDuration(max(0, end-int64(*st.SubmissionTime)))
	}
	return r
}

func (h *handler) stageTables(s *status.Store, base string, stages []status.StageData) []stageTable {
	order := []string{status.StageActive, status.StagePending, status.StageComplete, status.StageSkipped, status.StageFailed}
	tables := map[string]*stageTable{
		status.StageActive:   {ID: "active-stages", Title: "Active Stages"},
		status.StagePending:  {ID: "pending-stages", Title: "Pending Stages"},
		status.StageComplete: {ID: "completed-stages", Title: "Completed Stages"},
		status.StageSkipped:  {ID: "skipped-stages", Title: "Skipped Stages"},
		status.StageFailed:   {ID: "failed-stages", Title: "Failed Stages", ShowFailure: true},
	}
	now := s.NowMillis()
	for _, st := range stages {
		if t := tables[st.Status]; t != nil {
			t.Rows = append(t.Rows, h.stageRow(base, st, now))
		}
	}
	var out []stageTable
	for _, st := range order {
		out = append(out, *tables[st])
	}
	return out
}

func (h *handler) stagesPage(s *status.Store, base string) []stageTable {
	return h.stageTables(s, base, s.Stages())
}

type summaryRow struct {
	Name  string
	Cells []cell
}

type execStageRow struct {
	ID, Address                     string
	TaskTime                        cell
	Total, Failed, Succeeded, Kill  int
	Input, Output, ShuffleRead      cell
	ShuffleWrite, SpillMem, SpillDk cell
	Logs                            []link
}

type taskRow struct {
	Index                                    int
	ID                                       int64
	Attempt                                  int
	Status, Locality, Executor, Host, Launch string
	Duration, SchedulerDelay                 cell
	Input, Output, ShuffleRead, ShuffleWrite cell
	SpillMem, SpillDisk                      cell
	Error, ErrorFirst                        string
	Logs                                     []link
}

type kv struct {
	Name  string
	Value cell
}

type stagePage struct {
	Stage                   stageRow
	Pool                    string
	Totals                  []kv
	Jobs, Attempts          []link
	Summary                 []summaryRow
	SummaryCount            int
	Executors               []execStageRow
	Tasks                   []taskRow
	TaskCount, Page, Pages  int
	PageSize                int
	First, Prev, Next, Last string
	PageLinks, SortLinks    []link
	Sort                    string
}

// logLinks are the links to an executor's logs the pages show: through the
// log page when Options.ExecutorLog is set (not for the driver), else the
// executor's own log URLs when they are web addresses.
func (h *handler) logLinks(base, execID string, logs map[string]string) []link {
	var out []link
	for _, which := range []string{"stdout", "stderr"} {
		if h.o.ExecutorLog != nil && execID != "driver" {
			// ExecutorLog serves executors' logs; the driver's is its
			// process's or pod's own output.
			out = append(out, link{Text: which, Href: base + "/executors/log/?executorId=" + url.QueryEscape(execID) + "&logType=" + which})
			continue
		}
		if u := logs[which]; strings.HasPrefix(u, "http://") || strings.HasPrefix(u, "https://") {
			out = append(out, link{Text: which, Href: u})
		}
	}
	return out
}

func (h *handler) stagePage(s *status.Store, base string, q url.Values) (*stagePage, error) {
	id, err := idParam(q, "id")
	if err != nil {
		return nil, err
	}
	attempts := s.StageAttempts(id)
	if len(attempts) == 0 {
		return nil, notFound("No information to display for stage %d", id)
	}
	attempt := attempts[len(attempts)-1].AttemptID
	if q.Get("attempt") != "" {
		if attempt, err = idParam(q, "attempt"); err != nil {
			return nil, err
		}
	}
	st, ok := s.StageAttempt(id, attempt, false)
	if !ok {
		return nil, notFound("No information to display for stage %d (attempt %d)", id, attempt)
	}
	page, err := intParam(q, "task.page", 1)
	if err != nil {
		return nil, err
	}
	size, err := intParam(q, "task.pageSize", TasksPerPage)
	if err != nil {
		return nil, err
	}
	if size < 1 || size > 10000 {
		return nil, badParam("bad value for parameter \"task.pageSize\": %d (want 1 to 10000)", size)
	}
	sortBy, ok := status.ParseTaskSort(q.Get("task.sort"))
	if !ok {
		return nil, badParam("bad value for parameter \"task.sort\": %q (want ID, runtime or -runtime)", q.Get("task.sort"))
	}
	now := s.NowMillis()
	p := &stagePage{Stage: h.stageRow(base, st, now), Pool: st.SchedulingPool, PageSize: size, Sort: sortBy}
	p.Totals = []kv{
		{"Total Time Across All Tasks", durationCell(st.ExecutorRunTime)},
		{"Input Size / Records", bytesRecords(st.InputBytes, st.InputRecords)},
		{"Output Size / Records", bytesRecords(st.OutputBytes, st.OutputRecords)},
		{"Shuffle Read Size / Records", bytesRecords(st.ShuffleReadBytes, st.ShuffleReadRecords)},
		{"Shuffle Write Size / Records", bytesRecords(st.ShuffleWriteBytes, st.ShuffleWriteRecords)},
		{"Spill (Memory)", bytesOrEmpty(st.MemoryBytesSpilled)},
		{"Spill (Disk)", bytesOrEmpty(st.DiskBytesSpilled)},
	}
	for _, j := range s.StageJobs(id, attempt) {
		p.Jobs = append(p.Jobs, link{Text: strconv.Itoa(j), Href: fmt.Sprintf("%s/jobs/job/?id=%d", base, j)})
	}
	if len(attempts) > 1 {
		for _, a := range attempts {
			p.Attempts = append(p.Attempts, link{Text: fmt.Sprintf("%d (%s)", a.AttemptID, a.Status),
				Href: fmt.Sprintf("%s/stages/stage/?id=%d&attempt=%d", base, id, a.AttemptID), Current: a.AttemptID == attempt})
		}
	}
	quantiles := []float64{0, 0.25, 0.5, 0.75, 1}
	if d, ok := s.TaskSummary(id, attempt, quantiles); ok {
		p.Summary = summaryRows(d, st)
		p.SummaryCount = s.SucceededTasks(id, attempt)
	}

	executors := map[string]status.ExecutorSummary{}
	for _, e := range s.Executors(false) {
		executors[e.ID] = e
	}
	if sums, ok := s.ExecutorStageSummaries(id, attempt); ok {
		ids := make([]string, 0, len(sums))
		for e := range sums {
			ids = append(ids, e)
		}
		slices.SortFunc(ids, func(a, b string) int { return compareExecutors(a, b) })
		for _, e := range ids {
			es := sums[e]
			ex := executors[e]
			p.Executors = append(p.Executors, execStageRow{
				ID: e, Address: ex.HostPort, TaskTime: durationCell(es.TaskTime),
				Total: es.SucceededTasks + es.FailedTasks + es.KilledTasks, Failed: es.FailedTasks,
				Succeeded: es.SucceededTasks, Kill: es.KilledTasks,
				Input:        bytesRecords(es.InputBytes, es.InputRecords),
				Output:       bytesRecords(es.OutputBytes, es.OutputRecords),
				ShuffleRead:  bytesRecords(es.ShuffleRead, es.ShuffleReadRecords),
				ShuffleWrite: bytesRecords(es.ShuffleWrite, es.ShuffleWriteRecords),
				SpillMem:     bytesOrEmpty(es.MemoryBytesSpilled), SpillDk: bytesOrEmpty(es.DiskBytesSpilled),
				Logs: h.logLinks(base, e, ex.ExecutorLogs),
			})
		}
	}

	p.TaskCount, _ = s.TaskCount(id, attempt)
	p.Pages = max(1, (p.TaskCount+size-1)/size)
	p.Page = min(max(1, page), p.Pages)
	pageHref := func(n int, sort string) string {
		v := url.Values{}
		v.Set("id", strconv.Itoa(id))
		v.Set("attempt", strconv.Itoa(attempt))
		v.Set("task.page", strconv.Itoa(n))
		v.Set("task.sort", sort)
		if size != TasksPerPage {
			v.Set("task.pageSize", strconv.Itoa(size))
		}
		return base + "/stages/stage/?" + v.Encode()
	}
	if p.Page > 1 {
		p.First, p.Prev = pageHref(1, sortBy), pageHref(p.Page-1, sortBy)
	}
	if p.Page < p.Pages {
		p.Next, p.Last = pageHref(p.Page+1, sortBy), pageHref(p.Pages, sortBy)
	}
	for n := max(1, p.Page-5); n <= min(p.Pages, p.Page+5); n++ {
		p.PageLinks = append(p.PageLinks, link{Text: strconv.Itoa(n), Href: pageHref(n, sortBy), Current: n == p.Page})
	}
	for _, so := range []string{status.SortByID, status.SortByRuntime, status.SortByRuntimeDesc} {
		p.SortLinks = append(p.SortLinks, link{Text: so, Href: pageHref(1, so), Current: so == sortBy})
	}
	tasks, _ := s.TaskList(id, attempt, (p.Page-1)*size, size, sortBy)
	for _, t := range tasks {
		row := taskRow{
			Index: t.Index, ID: t.TaskID, Attempt: t.Attempt, Status: t.Status, Locality: t.TaskLocality,
			Executor: t.ExecutorID, Host: t.Host, Launch: formatDate(int64(t.LaunchTime)),
			SchedulerDelay: durationCell(t.SchedulerDelay),
			Error:          t.ErrorMessage, ErrorFirst: firstLine(t.ErrorMessage),
			Logs: h.logLinks(base, t.ExecutorID, t.ExecutorLogs),
		}
		if t.Duration != nil {
			row.Duration = durationCell(*t.Duration)
		}
		if m := t.TaskMetrics; m != nil {
			row.Input = bytesRecords(m.InputMetrics.BytesRead, m.InputMetrics.RecordsRead)
			row.Output = bytesRecords(m.OutputMetrics.BytesWritten, m.OutputMetrics.RecordsWritten)
			row.ShuffleRead = bytesRecords(m.ShuffleReadMetrics.LocalBytesRead+m.ShuffleReadMetrics.RemoteBytesRead, m.ShuffleReadMetrics.RecordsRead)
			row.ShuffleWrite = bytesRecords(m.ShuffleWriteMetrics.BytesWritten, m.ShuffleWriteMetrics.RecordsWritten)
			row.SpillMem = bytesOrEmpty(m.MemoryBytesSpilled)
			row.SpillDisk = bytesOrEmpty(m.DiskBytesSpilled)
		}
		p.Tasks = append(p.Tasks, row)
	}
	return p, nil
}

func compareExecutors(a, b string) int {
	switch {
	case a == b:
		return 0
	case a == status.DriverID:
		return -1
	case b == status.DriverID:
		return 1
	}
	na, ea := strconv.Atoi(a)
	nb, eb := strconv.Atoi(b)
	if ea == nil && eb == nil {
		return na - nb
	}
	return strings.Compare(a, b)
}

// summaryRows are the stage page's "Summary Metrics for N Completed Tasks":
// min, 25th percentile, median, 75th percentile and max.
func summaryRows(d status.TaskMetricDistributions, st status.StageData) []summaryRow {
	durs := func(v []float64) []cell {
		out := make([]cell, len(v))
		for i, x := range v {
			out[i] = durationCell(int64(x))
		}
		return out
	}
	byts := func(v []float64) []cell {
		out := make([]cell, len(v))
		for i, x := range v {
			out[i] = bytesCell(int64(x))
		}
		return out
	}
	pairs := func(b, r []float64) []cell {
		out := make([]cell, len(b))
		for i := range b {
			out[i] = bytesRecords(int64(b[i]), int64(r[i]))
			if out[i].Text == "" {
				out[i] = cell{Text: "0 B / 0", Title: "0 bytes, 0 records"}
			}
		}
		return out
	}
	na := make([]cell, len(d.Quantiles))
	for i := range na {
		na[i] = cell{Text: "n/a", Title: "Go has no per-task garbage collection time"}
	}
	rows := []summaryRow{
		{"Duration", durs(d.Duration)},
		{"Scheduler Delay", durs(d.SchedulerDelay)},
		{"Task Deserialization Time", durs(d.ExecutorDeserializeTime)},
		{"GC Time", na},
		{"Result Serialization Time", durs(d.ResultSerializationTime)},
		{"Getting Result Time", durs(d.GettingResultTime)},
		{"Peak Execution Memory", byts(d.PeakExecutionMemory)},
	}
	if st.InputBytes > 0 || st.InputRecords > 0 {
		rows = append(rows, summaryRow{"Input Size / Records", pairs(d.InputMetrics.BytesRead, d.InputMetrics.RecordsRead)})
	}
	if st.OutputBytes > 0 || st.OutputRecords > 0 {
		rows = append(rows, summaryRow{"Output Size / Records", pairs(d.OutputMetrics.BytesWritten, d.OutputMetrics.RecordsWritten)})
	}
	if st.ShuffleReadBytes > 0 || st.ShuffleReadRecords > 0 {
		rows = append(rows, summaryRow{"Shuffle Read Size / Records", pairs(d.ShuffleReadMetrics.ReadBytes, d.ShuffleReadMetrics.ReadRecords)})
	}
	if st.ShuffleWriteBytes > 0 || st.ShuffleWriteRecords > 0 {
		rows = append(rows, summaryRow{"Shuffle Write Size / Records", pairs(d.ShuffleWriteMetrics.WriteBytes, d.ShuffleWriteMetrics.WriteRecords)})
	}
	if st.MemoryBytesSpilled > 0 || st.DiskBytesSpilled > 0 {
		rows = append(rows, summaryRow{"Spill (Memory)", byts(d.MemoryBytesSpilled)}, summaryRow{"Spill (Disk)", byts(d.DiskBytesSpilled)})
	}
	return rows
}

// Storage.

type rddRow struct {
	ID                 int
	Name, Href, Level  string
	Cached, Partitions int
	Fraction           string
	Memory, Disk       cell
}

func rddRowOf(base string, r status.RDDStorageInfo) rddRow {
	frac := "0%"
	if r.NumPartitions > 0 {
		frac = fmt.Sprintf("%.0f%%", float64(r.NumCachedPartitions)*100/float64(r.NumPartitions))
	}
	return rddRow{ID: r.ID, Name: r.Name, Href: fmt.Sprintf("%s/storage/rdd/?id=%d", base, r.ID), Level: r.StorageLevel,
		Cached: r.NumCachedPartitions, Partitions: r.NumPartitions, Fraction: frac,
		Memory: bytesCell(r.MemoryUsed), Disk: bytesCell(r.DiskUsed)}
}

func (h *handler) storagePage(s *status.Store, base string) []rddRow {
	var out []rddRow
	for _, r := range s.RDDs() {
		out = append(out, rddRowOf(base, r))
	}
	return out
}

type distRow struct {
	Address                 string
	Memory, Remaining, Disk cell
}

type partRow struct {
	Block, Level, Executors string
	Memory, Disk            cell
}

type rddPage struct {
	RDD          rddRow
	Distribution []distRow
	Partitions   []partRow
}

func (h *handler) rddPage(s *status.Store, q url.Values) (*rddPage, error) {
	id, err := idParam(q, "id")
	if err != nil {
		return nil, err
	}
	r, ok := s.RDD(id)
	if !ok {
		return nil, notFound("No information to display for RDD %d", id)
	}
	p := &rddPage{RDD: rddRowOf("", r)}
	for _, d := range r.DataDistribution {
		p.Distribution = append(p.Distribution, distRow{Address: d.Address, Memory: bytesCell(d.MemoryUsed),
			Remaining: bytesCell(d.MemoryRemaining), Disk: bytesCell(d.DiskUsed)})
	}
	for _, pi := range r.Partitions {
		p.Partitions = append(p.Partitions, partRow{Block: pi.BlockName, Level: pi.StorageLevel,
			Executors: strings.Join(pi.Executors, ", "), Memory: bytesCell(pi.MemoryUsed), Disk: bytesCell(pi.DiskUsed)})
	}
	return p, nil
}

// Environment.

type propTable struct {
	ID, Title string
	Rows      [][2]string
}

func (h *handler) environmentPage(s *status.Store) []propTable {
	e := redactedEnvironment(s.Environment())
	r := redact.Default()
	var runtime [][2]string
	for _, p := range s.RuntimeInformation() {
		runtime = append(runtime, [2]string{p[0], r.Value(p[0], p[1])})
	}
	return []propTable{
		{"runtime-information", "Runtime Information", runtime},
		{"spark-properties", "Spark Properties", e.SparkProperties},
		{"hadoop-properties", "Hadoop Properties", e.HadoopProperties},
		{"system-properties", "System Properties", e.SystemProperties},
		{"metrics-properties", "Metrics Properties", e.MetricsProperties},
		{"classpath-entries", "Classpath Entries", e.ClasspathEntries},
	}
}

// Executors.

type execRow struct {
	ID, Address, Status, RemoveReason string
	Active                            bool
	RDDBlocks, Cores                  int
	StorageMemory                     cell
	Disk                              cell
	ActiveTasks, FailedTasks          int
	CompletedTasks, TotalTasks        int
	TaskTime                          cell
	Input, ShuffleRead, ShuffleWrite  cell
	Added, Removed                    string
	Logs                              []link
}

type execTotals struct {
	Name                             string
	Count, RDDBlocks, Cores          int
	StorageMemory, Disk              cell
	ActiveTasks, FailedTasks         int
	CompletedTasks, TotalTasks       int
	TaskTime                         cell
	Input, ShuffleRead, ShuffleWrite cell
}

type executorsPage struct {
	Totals []execTotals
	Rows   []execRow
}

func (h *handler) executorsPage(s *status.Store, base string) *executorsPage {
	p := &executorsPage{}
	type sums struct {
		n, blocks, cores, active, failed, completed, total int
		mem, maxMem, disk, taskTime, input, read, write    int64
	}
	var act, dead sums
	for _, e := range s.Executors(false) {
		r := execRow{
			ID: e.ID, Address: e.HostPort, Active: e.IsActive, Status: "Active", RemoveReason: e.RemoveReason,
			RDDBlocks: e.RDDBlocks, Cores: e.TotalCores,
			StorageMemory: cell{Text: humanBytes(e.MemoryUsed) + " / " + humanBytes(e.MaxMemory),
				Title: fmt.Sprintf("%d of %d bytes", e.MemoryUsed, e.MaxMemory)},
			Disk:        bytesCell(e.DiskUsed),
			ActiveTasks: e.ActiveTasks, FailedTasks: e.FailedTasks, CompletedTasks: e.CompletedTasks, TotalTasks: e.TotalTasks,
			TaskTime: durationCell(e.TotalDuration),
			Input:    bytesCell(e.TotalInputBytes), ShuffleRead: bytesCell(e.TotalShuffleRead), ShuffleWrite: bytesCell(e.TotalShuffleWrite),
			Added: formatDate(int64(e.AddTime)), Removed: formatDatePtr(e.RemoveTime),
			Logs: h.logLinks(base, e.ID, e.ExecutorLogs),
		}
		sm := &act
		if !e.IsActive {
			r.Status = "Dead"
			sm = &dead
		}
		sm.n++
		sm.blocks += e.RDDBlocks
		sm.cores += e.TotalCores
		sm.active += e.ActiveTasks
		sm.failed += e.FailedTasks
		sm.completed += e.CompletedTasks
		sm.total += e.TotalTasks
		sm.mem += e.MemoryUsed
		sm.maxMem += e.MaxMemory
		sm.disk += e.DiskUsed
		sm.taskTime += e.TotalDuration
		sm.input += e.TotalInputBytes
		sm.read += e.TotalShuffleRead
		sm.write += e.TotalShuffleWrite
		p.Rows = append(p.Rows, r)
	}
	all := sums{n: act.n + dead.n, blocks: act.blocks + dead.blocks, cores: act.cores + dead.cores,
		active: act.active + dead.active, failed: act.failed + dead.failed, completed: act.completed + dead.completed,
		total: act.total + dead.total, mem: act.mem + dead.mem, maxMem: act.maxMem + dead.maxMem, disk: act.disk + dead.disk,
		taskTime: act.taskTime + dead.taskTime, input: act.input + dead.input, read: act.read + dead.read, write: act.write + dead.write}
	for _, x := range []struct {
		name string
		s    sums
	}{{"Active", act}, {"Dead", dead}, {"Total", all}} {
		p.Totals = append(p.Totals, execTotals{
			Name: x.name, Count: x.s.n, RDDBlocks: x.s.blocks, Cores: x.s.cores,
			StorageMemory: cell{Text: humanBytes(x.s.mem) + " / " + humanBytes(x.s.maxMem), Title: fmt.Sprintf("%d of %d bytes", x.s.mem, x.s.maxMem)},
			Disk:          bytesCell(x.s.disk), ActiveTasks: x.s.active, FailedTasks: x.s.failed,
			CompletedTasks: x.s.completed, TotalTasks: x.s.total, TaskTime: durationCell(x.s.taskTime),
			Input: bytesCell(x.s.input), ShuffleRead: bytesCell(x.s.read), ShuffleWrite: bytesCell(x.s.write),
		})
	}
	return p
}

// Executor logs.

type logPage struct {
	ExecutorID, Which string
	Content           string
	Truncated         bool
	Shown, Total      int64
	Unavailable       string
	Other, Raw        string
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	buf   []byte
	max   int
	total int64
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.total += int64(len(p))
	t.buf = append(t.buf, p...)
	if len(t.buf) > 2*t.max {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) bytes() []byte {
	if len(t.buf) > t.max {
		return t.buf[len(t.buf)-t.max:]
	}
	return t.buf
}

func (h *handler) serveLog(w http.ResponseWriter, r *http.Request, s *status.Store, base string) {
	q := r.URL.Query()
	execID := q.Get("executorId")
	which := q.Get("logType")
	if which == "" {
		which = "stderr"
	}
	if execID == "" {
		h.renderError(w, s, base, badParam("missing parameter \"executorId\""))
		return
	}
	if which != "stdout" && which != "stderr" {
		h.renderError(w, s, base, badParam("bad value for parameter \"logType\": %q (want stdout or stderr)", which))
		return
	}
	if _, ok := s.Executor(execID); !ok {
		h.renderError(w, s, base, notFound("unknown executor: %s", execID))
		return
	}
	p := &logPage{ExecutorID: execID, Which: which}
	other := "stdout"
	if which == "stdout" {
		other = "stderr"
	}
	logHref := func(which string, raw bool) string {
		v := url.Values{}
		v.Set("executorId", execID)
		v.Set("logType", which)
		if raw {
			v.Set("raw", "true")
		}
		return base + "/executors/log/?" + v.Encode()
	}
	p.Other, p.Raw = logHref(other, false), logHref(which, true)
	title := fmt.Sprintf("Log of executor %s (%s)", execID, which)
	page := func() pageData {
		pd := h.newPage(s, base, title, "executors", p)
		pd.Refresh = 0 // a log page does not reload itself
		return pd
	}
	if h.o.ExecutorLog == nil {
		p.Unavailable = "Executor logs are not available from this UI: the cluster manager does not keep them here."
		h.render(w, http.StatusNotFound, "log", page())
		return
	}
	rc, err := h.o.ExecutorLog(r.Context(), s.Application().ID, execID, which)
	if err != nil {
		code := http.StatusServiceUnavailable
		if errors.Is(err, ErrNotFound) || errors.Is(err, fs.ErrNotExist) {
			code = http.StatusNotFound
		}
		p.Unavailable = fmt.Sprintf("The %s of executor %s cannot be read: %v", which, execID, err)
		h.render(w, code, "log", page())
		return
	}
	defer rc.Close()
	if raw, _ := strconv.ParseBool(q.Get("raw")); raw {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		io.Copy(w, rc)
		return
	}
	tail := &tailBuffer{max: maxLogBytes}
	if _, err := io.Copy(tail, rc); err != nil {
		p.Unavailable = fmt.Sprintf("Reading the %s of executor %s failed: %v", which, execID, err)
	}
	b := tail.bytes()
	p.Content, p.Shown, p.Total = string(b), int64(len(b)), tail.total
	p.Truncated = p.Total > p.Shown
	h.render(w, http.StatusOK, "log", page())
}

// History.

type appRow struct {
	ID, Href, Name, Started, Ended string
	Duration, User, LastUpdated    string
	Completed                      bool
}

type historyPage struct {
	ShowIncomplete bool
	Toggle         string
	Apps           []appRow
}

func (h *handler) serveHistoryList(w http.ResponseWriter, r *http.Request) {
	show, _ := strconv.ParseBool(r.URL.Query().Get("showIncomplete"))
	p := &historyPage{ShowIncomplete: show, Toggle: "/?showIncomplete=true"}
	if show {
		p.Toggle = "/"
	}
	for _, a := range h.apps.Applications() {
		if a.Completed() == show {
			continue
		}
		at := a.Attempt()
		row := appRow{ID: a.ID, Href: "/history/" + url.PathEscape(a.ID) + "/jobs/", Name: a.Name,
			Started: formatDate(int64(at.StartTime)), Ended: "-", Duration: "-", User: at.SparkUser,
			LastUpdated: formatDate(int64(at.LastUpdated)), Completed: a.Completed()}
		if a.Completed() {
			row.Ended = formatDate(int64(at.EndTime))
			row.Duration = formatDuration(at.Duration)
		} else {
			row.Ended = "incomplete"
		}
		p.Apps = append(p.Apps, row)
	}
	title := "History Server"
	h.render(w, http.StatusOK, "history", h.newPage(nil, "", title, "", p))
}
