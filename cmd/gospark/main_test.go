package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	t.Chdir(t.TempDir())
	t.Setenv("SPARK_CONF_DIR", "")
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{"version", []string{"version"}, 0, "gospark ", ""},
		{"version takes no arguments", []string{"version", "x"}, 1, "", "unknown command"},
		{"root help", []string{"--help"}, 0, "submit", ""},
		{"submit help", []string{"submit", "--help"}, 0, "Usage: gospark submit [options]", ""},
		{"help submit", []string{"help", "submit"}, 0, "Usage: gospark submit [options]", ""},
		{"submit passes its own flags through", []string{"submit", "--executor-memory", "abc", "app"}, 1, "",
			`gospark submit: error: --executor-memory: property spark.executor.memory`},
		{"submit unknown option", []string{"submit", "--nope"}, 1, "", "unknown option --nope"},
		{"unknown command", []string{"frobnicate"}, 1, "", `gospark: unknown command "frobnicate"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tt.args, &stdout, &stderr)
			if code != tt.wantCode {
				t.Errorf("code %d, want %d; stderr: %s", code, tt.wantCode, stderr.String())
			}
			if !strings.Contains(stdout.String(), tt.wantStdout) {
				t.Errorf("stdout lacks %q:\n%s", tt.wantStdout, stdout.String())
			}
			if !strings.Contains(stderr.String(), tt.wantStderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.wantStderr, stderr.String())
			}
		})
	}
}
