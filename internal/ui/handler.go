package ui

import "net/http"

// NewHandler serves the pages and the REST API of apps.
func NewHandler(apps Apps, o Options) http.Handler {
	mux := http.NewServeMux()
	for p, h := range o.Handlers {
		mux.Handle(p, h)
	}
	return mux
}
