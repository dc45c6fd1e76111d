package ui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/gospark/gospark/internal/status"
)

// ErrNotFound is wrapped by Apps.Store for an application it does not have,
// and may be wrapped by Options.ExecutorLog for a log that does not exist.
// The handler answers 404 for both.
var ErrNotFound = errors.New("not found")

// Apps is where the handler finds applications: the live driver's one
// application (Single) or the history server's event logs.
type Apps interface {
	// Applications lists the applications the handler may show, in the
	// order the history page lists them (the history server: most recent
	// first).
	Applications() []status.ApplicationInfo
	// Store returns an application's status store. An unknown appID
	// returns an error wrapping ErrNotFound; other errors (a log that
	// cannot be read) are shown as such. ctx bounds the work (a history
	// server replaying a log).
	Store(ctx context.Context, appID string) (*status.Store, error)
}

// Single is the live driver's one application.
func Single(s *status.Store) Apps { return single{s} }

type single struct{ s *status.Store }

func (a single) Applications() []status.ApplicationInfo {
	return []status.ApplicationInfo{a.s.Application()}
}

func (a single) Store(_ context.Context, appID string) (*status.Store, error) {
	if id := a.s.Application().ID; appID != id {
		return nil, fmt.Errorf("unknown app: %s: %w", appID, ErrNotFound)
	}
	return a.s, nil
}

// Options configure the handler.
type Options struct {
	// History serves the history server's layout: "/" lists the
	// applications and an application's pages are under
	// /history/<appId>/jobs/ and so on. Otherwise "/" redirects to /jobs/
	// and the pages show the first (the only) application of Apps.
	History bool
	// ExecutorLog opens an executor's log ("stdout" or "stderr") for the
	// executors page's links; nil means logs are not available (the page
	// says so). An error wrapping ErrNotFound or fs.ErrNotExist is a 404.
	ExecutorLog func(ctx context.Context, appID, executorID, which string) (io.ReadCloser, error)
	// Handlers are extra paths mounted as they are (e.g.
	// "/metrics/prometheus"); a path ending in "/" serves its subtree.
	Handlers map[string]http.Handler
	// RefreshSeconds makes pages of an application that has not completed
	// reload themselves every so many seconds (0: never).
	RefreshSeconds int
	// Version is what /api/v1/version reports; empty means gospark's
	// version from the build information.
	Version string
}
