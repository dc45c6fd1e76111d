package master

import (
	"errors"
	"runtime"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want Master
	}{
		{"local", Master{Kind: Local, Threads: 1}},
		{"local[4]", Master{Kind: Local, Threads: 4}},
		{"local[*]", Master{Kind: Local, Threads: runtime.NumCPU()}},
		{"local[2,3]", Master{Kind: Local, Threads: 2, MaxFailures: 3}},
		{"local[*, 5]", Master{Kind: Local, Threads: runtime.NumCPU(), MaxFailures: 5}},
		{"local-cluster[2,1,1024]", Master{Kind: LocalCluster, Executors: 2, CoresPerExecutor: 1, MemoryMiB: 1024}},
		{"local-cluster[ 3 , 2 , 512 ]", Master{Kind: LocalCluster, Executors: 3, CoresPerExecutor: 2, MemoryMiB: 512}},
		{"k8s://1.2.3.4:443", Master{Kind: Kubernetes, APIServer: "https://1.2.3.4:443"}},
		{"k8s://example.com", Master{Kind: Kubernetes, APIServer: "https://example.com"}},
		{"k8s://https://example.com:6443", Master{Kind: Kubernetes, APIServer: "https://example.com:6443"}},
		{"k8s://http://127.0.0.1:8080", Master{Kind: Kubernetes, APIServer: "http://127.0.0.1:8080"}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			tt.want.Raw = tt.in
			if got != tt.want {
				t.Errorf("Parse(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		in      string
		mention string // besides the flag names and the allowed forms
	}{
		{"", ""},
		{"yarn", ""},
		{"spark://host:7077", ""},
		{"Local", ""},
		{"local[]", "threads"},
		{"local[0]", "threads"},
		{"local[-1]", "threads"},
		{"local[two]", "threads"},
		{"local[4", ""},
		{"local[1,2,3]", ""},
		{"local[2,0]", "failures"},
		{"local[2,x]", "failures"},
		{"local-cluster[2,1]", "local-cluster needs"},
		{"local-cluster[0,1,1024]", "executors"},
		{"local-cluster[2,0,1024]", "cores"},
		{"local-cluster[2,1,1g]", "memory"},
		{"k8s://", "no API server"},
		{"k8s://ftp://host", `scheme "ftp"`},
		{"k8s://https://", "no API server host"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := Parse(tt.in)
			if err == nil {
				t.Fatalf("Parse(%q) succeeded, want an error", tt.in)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error %v does not wrap ErrInvalid", err)
			}
			msg := err.Error()
			for _, want := range []string{"--master", "spark.master", Forms, tt.mention} {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q does not mention %q", msg, want)
				}
			}
		})
	}
}

func TestKindString(t *testing.T) {
	for k, want := range map[Kind]string{Local: "local", LocalCluster: "local-cluster", Kubernetes: "k8s", Kind(9): "Kind(9)"} {
		if got := k.String(); got != want {
			t.Errorf("Kind(%d).String() = %q, want %q", int(k), got, want)
		}
	}
}
