package driverpod

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/rest"

	"github.com/gospark/gospark/internal/clustermgr"
)

func executorLog(m clustermgr.Logs, id string) (string, error) {
	r, err := m.ExecutorLog(context.Background(), id)
	if err != nil {
		return "", err
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	return string(b), err
}

// The log of a started executor is its pod's, until the pod is gone.
func TestExecutorLogIsItsPods(t *testing.T) {
	cs := fake.NewClientset(driverPod())
	unstarted := managerWith(testConf(t), cs)
	if _, err := executorLog(unstarted, "1"); !errors.Is(err, clustermgr.ErrNoLog) {
		t.Errorf("log before Start: %v, want ErrNoLog", err)
	}
	m, created := startManager(t, testConf(t), cs, 1)
	if log, err := executorLog(m, "1"); err != nil || log != "fake logs" { // what the fake API server's pods/log says
		t.Fatalf("log of executor 1: %q, %v", log, err)
	}
	for _, id := range []string{"7", "", "UPPER", "1/../2"} {
		if _, err := executorLog(m, id); !errors.Is(err, clustermgr.ErrNoLog) {
			t.Errorf("log of executor %q that has no pod: %v, want ErrNoLog", id, err)
		}
	}
	if err := cs.CoreV1().Pods(appNS).Delete(ctx30s(t), created[0].Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err := executorLog(m, "1")
	if !errors.Is(err, clustermgr.ErrNoLog) || !strings.Contains(err.Error(), "its pod "+created[0].Name+" is gone") {
		t.Errorf("log of executor 1 once its pod is deleted: %v, want ErrNoLog naming the pod", err)
	}
}

// apiServer answers GET of executor pods and their logs, as the API server
// does: logs[name] is a pod's log ("" for a pod whose container has not
// started), a name not in it has no pod.
type apiServer struct {
	logs map[string]string

	mu      sync.Mutex
	queries []string // of the log requests
}

func (a *apiServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	const base = "/api/v1/namespaces/" + appNS + "/pods/"
	name, sub, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, base), "/")
	status := func(code int, reason metav1.StatusReason, msg string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(metav1.Status{TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"},
			Status: metav1.StatusFailure, Code: int32(code), Reason: reason, Message: msg})
	}
	log, ok := a.logs[name]
	switch {
	case r.Method != http.MethodGet || !strings.HasPrefix(r.URL.Path, base):
		status(http.StatusMethodNotAllowed, metav1.StatusReasonMethodNotAllowed, "unexpected "+r.Method+" "+r.URL.Path)
	case !ok:
		status(http.StatusNotFound, metav1.StatusReasonNotFound, fmt.Sprintf("pods %q not found", name))
	case sub == "":
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(&corev1.Pod{TypeMeta: metav1.TypeMeta{Kind: "Pod", APIVersion: "v1"},
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: appNS}})
	case sub == "log":
		a.mu.Lock()
		a.queries = append(a.queries, name+"?"+r.URL.RawQuery)
		a.mu.Unlock()
		if log == "" {
			status(http.StatusBadRequest, metav1.StatusReasonBadRequest,
				fmt.Sprintf("container %q in pod %q is waiting to start: ContainerCreating", "spark-kubernetes-executor", name))
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, log)
	default:
		status(http.StatusNotFound, metav1.StatusReasonNotFound, "no "+sub)
	}
}

// Through a real client: the executor container's log, its last lines
// asked for, at most its last MiB kept from a whole line; a container
// that has not started says so.
func TestExecutorLogThroughTheAPI(t *testing.T) {
	var big strings.Builder
	for i := 0; big.Len() < 3*clustermgr.LogTail; i++ {
		fmt.Fprintf(&big, "time=... level=INFO msg=\"task finished\" task=%d\n", i)
	}
	api := &apiServer{logs: map[string]string{
		"spark-pi-exec-1": "executor 1 started\nregistered with the driver\n",
		"spark-pi-exec-2": big.String(),
		"spark-pi-exec-3": "",
	}}
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	cs, err := kubernetes.NewForConfig(&rest.Config{Host: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	m := managerWith(testConf(t), cs)
	// As Start leaves it (Start itself is tested on the fake client).
	m.cs, m.namespace, m.prefix = cs, appNS, "spark-pi"

	if log, err := executorLog(m, "1"); err != nil || log != "executor 1 started\nregistered with the driver\n" {
		t.Errorf("log of executor 1: %q, %v", log, err)
	}
	log, err := executorLog(m, "2")
	if err != nil || len(log) > clustermgr.LogTail || len(log) < clustermgr.LogTail-100 ||
		!strings.HasSuffix(big.String(), log) || !strings.HasPrefix(log, "time=") {
		t.Errorf("log of executor 2: %d bytes starting %q, %v; want the whole lines of its last MiB", len(log), log[:min(len(log), 30)], err)
	}
	_, err = executorLog(m, "3")
	if err == nil || errors.Is(err, clustermgr.ErrNoLog) || !strings.Contains(err.Error(), "is waiting to start: ContainerCreating") {
		t.Errorf("log of executor 3, not started: %v; want the API server's reason", err)
	}
	if _, err := executorLog(m, "4"); !errors.Is(err, clustermgr.ErrNoLog) || !strings.Contains(err.Error(), "spark-pi-exec-4 is gone") {
		t.Errorf("log of executor 4, no pod: %v; want ErrNoLog", err)
	}
	api.mu.Lock()
	defer api.mu.Unlock()
	for _, q := range api.queries {
		if !strings.Contains(q, "container=spark-kubernetes-executor") || !strings.Contains(q, "tailLines=20000") {
			t.Errorf("log request %q, want the executor container's last 20000 lines", q)
		}
	}
	if len(api.queries) != 3 {
		t.Errorf("log requests %q, want one per existing pod", api.queries)
	}
}

func TestLastBytes(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"", 10, ""},
		{"a\nb\n", 10, "a\nb\n"},
		{"line one\nline two\n", 12, "line two\n"},      // cut: from the first whole line
		{"0123456789abcdef", 4, "cdef"},                 // no newline in the tail: as is
		{strings.Repeat("x\n", 100000), 7, "x\nx\nx\n"}, // longer than twice n, read in chunks
	} {
		got, err := lastBytes(strings.NewReader(tc.in), tc.n)
		if err != nil || string(got) != tc.want {
			t.Errorf("lastBytes(%d bytes, %d) = %q, %v; want %q", len(tc.in), tc.n, got, err, tc.want)
		}
	}
}
