package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

var historyListeningRE = regexp.MustCompile(`msg="history server listening" addr=(\S+)`)

func TestHistoryServerCommand(t *testing.T) {
	dir := t.TempDir()
	// An application's completed event log, as a driver writes it.
	log := `{"Event":"SparkListenerLogStart","Spark Version":"3.5.1"}
{"Event":"SparkListenerApplicationStart","App Name":"Spark Pi","App ID":"app-20240101000000-0000","Timestamp":1704067200000,"User":"alice"}
{"Event":"SparkListenerApplicationEnd","Timestamp":1704067260000}
`
	if err := os.WriteFile(filepath.Join(dir, "app-20240101000000-0000"), []byte(log), 0o644); err != nil {
		t.Fatal(err)
	}
	props := filepath.Join(t.TempDir(), "history.conf")
	if err := os.WriteFile(props, []byte("spark.history.fs.logDirectory "+dir+"\nspark.history.ui.port 0\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr, stderr, done := startServer(t, ctx, []string{"history-server", "--properties-file", props, "--host", "127.0.0.1",
		"--conf", "spark.history.fs.update.interval=1s"}, historyListeningRE, 60*time.Second)
	if !strings.Contains(stderr.String(), "logDirectory="+dir) {
		t.Errorf("the command does not say which directory it reads:\n%s", stderr.String())
	}

	var body string
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/api/v1/applications")
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		body = string(b)
		if resp.StatusCode == http.StatusOK && strings.Contains(body, "app-20240101000000-0000") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/api/v1/applications: %d %s", resp.StatusCode, body)
		}
		time.Sleep(50 * time.Millisecond)
	}
	var apps []struct {
		ID       string `json:"id"`
		Name     string `json:"name"`
		Attempts []struct {
			Completed bool  `json:"completed"`
			Duration  int64 `json:"duration"`
		} `json:"attempts"`
	}
	if err := json.Unmarshal([]byte(body), &apps); err != nil {
		t.Fatalf("/api/v1/applications: %v\n%s", err, body)
	}
	if len(apps) != 1 || apps[0].Name != "Spark Pi" || len(apps[0].Attempts) != 1 ||
		!apps[0].Attempts[0].Completed || apps[0].Attempts[0].Duration != 60000 {
		t.Errorf("/api/v1/applications: %s", body)
	}

	cancel() // as SIGTERM does
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit code %d after the signal:\n%s", code, stderr.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the command did not stop")
	}
}

func TestHistoryServerCommandMissingDirectory(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope")
	var stdout, stderr syncBuffer
	code := run(context.Background(), []string{"history-server", "--conf", "spark.history.fs.logDirectory=" + missing,
		"--conf", "spark.history.ui.port=0"}, &stdout, &stderr)
	if code == 0 || !strings.Contains(stderr.String(), "spark.history.fs.logDirectory") || !strings.Contains(stderr.String(), missing) {
		t.Errorf("exit code %d, stderr:\n%s\nwant a failure naming the property and %s", code, stderr.String(), missing)
	}
}
