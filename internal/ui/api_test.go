package ui_test

import (
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gospark/gospark/internal/status"
	"github.com/gospark/gospark/internal/status/statustest"
	"github.com/gospark/gospark/internal/ui"
)

var update = flag.Bool("update", false, "rewrite testdata/golden from the answers")

const app = "/api/v1/applications/" + statustest.AppID

// goldenEndpoints are the REST API's answers for statustest's application,
// each compared with testdata/golden/<name>.json.
var goldenEndpoints = []struct{ name, path string }{
	{"applications", "/api/v1/applications"},
	{"application", app},
	{"jobs", app + "/jobs"},
	{"jobs_failed", app + "/jobs?status=failed"},
	{"job", app + "/jobs/1"},
	{"stages", app + "/stages"},
	{"stages_failed_details", app + "/stages?status=FAILED&details=true"},
	{"stage", app + "/stages/3"},
	{"stage_attempt", app + "/stages/0/0"},
	{"stage_attempt_no_details", app + "/stages/3/0?details=false"},
	{"task_summary", app + "/stages/0/0/taskSummary"},
	{"task_summary_quantiles", app + "/stages/0/0/taskSummary?quantiles=0,0.5,1.0"},
	{"task_list", app + "/stages/3/0/taskList"},
	{"task_list_sorted", app + "/stages/0/0/taskList?sortBy=-runtime&offset=1&length=1"},
	{"executors", app + "/executors"},
	{"allexecutors", app + "/allexecutors"},
	{"storage_rdds", app + "/storage/rdd"},
	{"storage_rdd", app + "/storage/rdd/100"},
	{"environment", app + "/environment"},
	{"version", "/api/v1/version"},
}

func TestAPIGolden(t *testing.T) {
	srv := serve(t, ui.Single(store(statustest.Events())), ui.Options{})
	for _, ep := range goldenEndpoints {
		t.Run(ep.name, func(t *testing.T) {
			resp, err := srv.Client().Get(srv.URL + ep.path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			raw, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			got := string(raw)
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
				t.Fatalf("%d %s\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), got)
			}
			if !json.Valid([]byte(got)) {
				t.Fatalf("not JSON:\n%s", got)
			}
			file := filepath.Join("testdata", "golden", ep.name+".json")
			if *update {
				if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v (run go test -update to write it)", err)
			}
			if got != string(want) {
				t.Errorf("GET %s differs from %s (go test -update rewrites it):\n%s", ep.path, file, got)
			}
		})
	}
}

// TestAPIShapes decodes answers into the model and checks what users rely on.
func TestAPIShapes(t *testing.T) {
	srv := serve(t, ui.Single(store(statustest.Events())), ui.Options{})
	decode := func(path string, v any) {
		t.Helper()
		body := mustGet(t, srv, path)
		if err := json.Unmarshal([]byte(body), v); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
	}
	var jobs []status.JobData
	decode(app+"/jobs?status=succeeded&status=FAILED", &jobs)
	if len(jobs) != 4 || jobs[0].JobID != 3 {
		t.Fatalf("jobs: %+v", jobs)
	}
	var st status.StageData
	decode(app+"/stages/0/0", &st)
	if len(st.Tasks) != 2 || st.Tasks[1].TaskMetrics.InputMetrics.BytesRead != 4096 || st.ExecutorSummary["1"].SucceededTasks != 1 {
		t.Fatalf("stage 0.0 with details: %+v", st)
	}
	var tasks []status.TaskData
	decode(app+"/stages/0/0/taskList?length=1", &tasks)
	if len(tasks) != 1 || tasks[0].TaskID != 0 {
		t.Fatalf("one task: %+v", tasks)
	}
	var sum status.TaskMetricDistributions
	decode(app+"/stages/0/0/taskSummary?quantiles=0.5", &sum)
	if len(sum.Quantiles) != 1 || sum.ExecutorRunTime[0] != 190 {
		t.Fatalf("median: %+v", sum)
	}
	var v status.VersionInfo
	decode("/api/v1/version", &v)
	if v.Spark != "gospark-test" {
		t.Fatalf("version %q", v.Spark)
	}
	body := mustGet(t, srv, app)
	if !strings.HasPrefix(body, "{\n  \"id\" : \"app-20260101000000-0000\",\n  \"name\" : \"Golden App\",\n  \"attempts\" : [ {\n    \"startTime\" : \"2026-01-01T00:00:00.000GMT\",") {
		t.Fatalf("not Spark's layout:\n%s", body)
	}
}

func TestAPIErrors(t *testing.T) {
	srv := serve(t, ui.Single(store(statustest.Events())), ui.Options{})
	cases := map[string]int{
		"/api/v1/applications/app-nope":                             404,
		"/api/v1/applications/app-nope/jobs":                        404,
		app + "/jobs/42":                                            404,
		app + "/jobs/abc":                                           404,
		app + "/jobs/1/extra":                                       404,
		app + "/jobs?status=done":                                   400,
		app + "/stages?status=running":                              400,
		app + "/stages?details=maybe":                               400,
		app + "/stages/42":                                          404,
		app + "/stages/3/9":                                         404,
		app + "/stages/x/0":                                         404,
		app + "/stages/3/x":                                         404,
		app + "/stages/0/0/taskSummary?quantiles=0.5,abc":           400,
		app + "/stages/0/0/taskSummary?quantiles=1.5":               400,
		app + "/stages/5/0/taskSummary":                             404,
		app + "/stages/0/0/taskList?length=-1":                      400,
		app + "/stages/0/0/taskList?offset=x":                       400,
		app + "/stages/0/0/taskList?sortBy=fastest":                 400,
		app + "/stages/0/0/nothing":                                 404,
		app + "/storage/rdd/7":                                      404,
		app + "/storage/rdd/x":                                      404,
		app + "/storage/blocks":                                     404,
		app + "/nothing":                                            404,
		"/api/v1/applications?status=paused":                        400,
		"/api/v1/applications?minDate=yesterday":                    400,
		"/api/v1/applications?limit=-3":                             400,
		"/api/v1/nothing":                                           404,
		"/api/v1":                                                   404,
		"/api/v1/applications/" + statustest.AppID + "/%2e%2e/jobs": 404,
	}
	for path, want := range cases {
		code, body, _ := get(t, srv, path)
		if code != want {
			t.Errorf("GET %s: %d, want %d (%s)", path, code, want, strings.TrimSpace(body))
		}
	}
	_, body, _ := get(t, srv, app+"/stages/3/9")
	if !strings.Contains(body, "Found attempts: [0,1]") {
		t.Errorf("unknown attempt: %q", body)
	}
}

// TestNoServerErrorsForUserInput tries odd paths and parameters on every
// route; none may answer 5xx.
func TestNoServerErrorsForUserInput(t *testing.T) {
	for _, o := range []ui.Options{{}, {History: true}} {
		apps := history{statustest.AppID: store(statustest.Events()), "app-running": runningApp()}
		srv := serve(t, apps, o)
		prefixes := []string{"/", "/history/" + statustest.AppID + "/", "/history/app-running/", "/history/%00/"}
		pages := []string{"jobs/", "jobs/job/", "stages/", "stages/stage/", "storage/", "storage/rdd/", "environment/",
			"executors/", "executors/log/", "api/v1/applications/" + statustest.AppID + "/stages/0/0/taskList",
			"api/v1/applications/app-running/stages/0/0/taskSummary", "api/v1/applications/app-running/jobs/0",
			"api/v1/applications/app-running/stages"}
		queries := []string{"", "?id=", "?id=-5", "?id=99999999999999999999", "?id=0&attempt=-1", "?id=1&task.page=-1",
			"?id=0&attempt=0&task.page=999999999999", "?executorId=%00&logType=stdout", "?quantiles=NaN", "?quantiles=",
			"?status=", "?details=", "?offset=999999999&length=999999999", "?id=0&attempt=0&task.pageSize=10000", "?sortBy=%ff"}
		for _, p := range prefixes {
			for _, page := range pages {
				for _, q := range queries {
					if code, body, _ := get(t, srv, p+page+q); code >= 500 {
						t.Errorf("GET %s%s%s (history %v): %d %s", p, page, q, o.History, code, body)
					}
				}
			}
		}
	}
}
