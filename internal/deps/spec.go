package deps

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"
)

// Spec is what the init-container fetches, the JSON in the init ConfigMap.
type Spec struct {
	JarsDir  string  `json:"jarsDir"`
	FilesDir string  `json:"filesDir"`
	Staged   *Staged `json:"staged,omitempty"`
	Items    []Item  `json:"items,omitempty"`
	// TimeoutMillis bounds the whole fetch
	// (spark.kubernetes.mountdependencies.mountTimeout).
	TimeoutMillis int64 `json:"timeoutMillis"`
	// Parallel is how many items are fetched at once
	// (spark.kubernetes.mountdependencies.maxSimultaneousDownloads).
	Parallel int `json:"parallel"`
}

// Staged is a bundle on the resource staging server.
type Staged struct {
	URI string `json:"uri"` // spark.kubernetes.resourceStagingServer.internal.uri
	// CACertFile is the PEM certificate to trust over TLS ("" for the
	// system's roots).
	CACertFile string `json:"caCertFile,omitempty"`
	// SecretFile holds the bundle's secret (from the init Secret).
	SecretFile string `json:"secretFile"`
	ID         string `json:"resourceId"`
	SHA256     string `json:"sha256"`
	Size       int64  `json:"size"`
}

// Item is one file fetched on its own: a remote http(s) URL, or a file
// uploaded to spark.kubernetes.file.upload.path (an http(s) URL, or a
// file:// path on a volume mounted in the pods).
type Item struct {
	URI  string `json:"uri"`
	Dir  string `json:"dir"` // JarsDir or FilesDir
	Name string `json:"name"`
	// Size and SHA256 are checked when known (-1 and "" when not).
	Size       int64  `json:"size"`
	SHA256     string `json:"sha256,omitempty"`
	Executable bool   `json:"executable,omitempty"`
}

// Timeout is the spec's time limit.
func (s *Spec) Timeout() time.Duration { return time.Duration(s.TimeoutMillis) * time.Millisecond }

// Marshal is the spec as the init ConfigMap holds it.
func (s *Spec) Marshal() (string, error) {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return "", fmt.Errorf("deps: %w", err)
	}
	return string(b), nil
}

// ReadSpec reads a spec file written by Marshal.
func ReadSpec(file string) (*Spec, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("init-container spec: %w", err)
	}
	var s Spec
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("init-container spec %s: %w", file, err)
	}
	if s.JarsDir == "" || s.FilesDir == "" {
		return nil, fmt.Errorf("init-container spec %s: no download directories", file)
	}
	for _, it := range s.Items {
		if it.Name == "" || it.Name == "." || it.Name == ".." || strings.ContainsAny(it.Name, "/\\\x00") {
			return nil, fmt.Errorf("init-container spec %s: item %s: file name %q is not usable", file, it.URI, it.Name)
		}
		if it.Dir != JarsDir && it.Dir != FilesDir {
			return nil, fmt.Errorf("init-container spec %s: item %s: directory %q is neither %s nor %s", file, it.URI, it.Dir, JarsDir, FilesDir)
		}
	}
	return &s, nil
}
