package ui

import (
	"context"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/gospark/gospark/internal/status"
)

type handler struct {
	apps    Apps
	o       Options
	version string
	mux     *http.ServeMux
	// templates parses the pages' templates on the first page asked for:
	// an application whose UI nobody opens does not pay for it.
	templates func() map[string]*template.Template
}

// The pages under an application's root (Spark's paths).
var pagePaths = []string{
	"jobs/", "jobs/job/", "stages/", "stages/stage/", "storage/", "storage/rdd/",
	"environment/", "executors/", "executors/log/",
}

// NewHandler serves the pages and the REST API of apps. Live (o.History
// false): "/" redirects to /jobs/, the pages are at Spark's paths (/jobs/,
// /jobs/job/?id=N, /stages/, /stages/stage/?id=N&attempt=M, /storage/,
// /storage/rdd/?id=N, /environment/, /executors/,
// /executors/log/?executorId=X&logType=stderr) and show the first
// application of apps. History: "/" lists the applications
// (?showIncomplete=true for those still running) and each one's pages are
// under /history/<appId>/. Both serve /api/v1 and o.Handlers. Only GET and
// HEAD are answered.
func NewHandler(apps Apps, o Options) http.Handler {
	h := &handler{apps: apps, o: o, version: o.Version, mux: http.NewServeMux(), templates: sync.OnceValue(parseTemplates)}
	if h.version == "" {
		h.version = status.BuildVersion()
	}
	h.mux.HandleFunc("GET /api/v1/", h.serveAPI)
	h.mux.HandleFunc("GET /api/v1", h.serveAPI)
	if o.History {
		h.mux.HandleFunc("GET /{$}", h.serveHistoryList)
		h.mux.HandleFunc("GET /history/{app}/{page...}", h.serveHistoryPage)
		h.mux.HandleFunc("GET /history/{app}", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/history/"+url.PathEscape(r.PathValue("app"))+"/jobs/", http.StatusFound)
		})
	} else {
		h.mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/jobs/", http.StatusFound)
		})
		for _, p := range pagePaths {
			h.mux.HandleFunc("GET /"+p+"{$}", h.serveLivePage)
			h.mux.HandleFunc("GET /"+strings.TrimSuffix(p, "/"), func(w http.ResponseWriter, r *http.Request) {
				u := *r.URL
				u.Path += "/"
				http.Redirect(w, r, u.String(), http.StatusMovedPermanently)
			})
		}
	}
	return h
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	for p, x := range h.o.Handlers {
		if r.URL.Path == p || strings.HasSuffix(p, "/") && strings.HasPrefix(r.URL.Path, p) {
			x.ServeHTTP(w, r)
			return
		}
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	h.mux.ServeHTTP(w, r)
}

// liveStore is the live UI's application: the first (the only) one.
func (h *handler) liveStore(ctx context.Context) (*status.Store, error) {
	apps := h.apps.Applications()
	if len(apps) == 0 {
		return nil, notFound("no application yet")
	}
	return h.apps.Store(ctx, apps[0].ID)
}

func (h *handler) serveLivePage(w http.ResponseWriter, r *http.Request) {
	s, err := h.liveStore(r.Context())
	if err != nil {
		writeError(w, err)
		return
	}
	h.servePage(w, r, s, "", strings.TrimPrefix(r.URL.Path, "/"))
}

func (h *handler) serveHistoryPage(w http.ResponseWriter, r *http.Request) {
	app := r.PathValue("app")
	page := r.PathValue("page")
	base := "/history/" + url.PathEscape(app)
	if page == "" {
		http.Redirect(w, r, base+"/jobs/", http.StatusFound)
		return
	}
	if !strings.HasSuffix(page, "/") {
		for _, p := range pagePaths {
			if page+"/" == p {
				u := *r.URL
				u.Path = base + "/" + p
				http.Redirect(w, r, u.String(), http.StatusMovedPermanently)
				return
			}
		}
	}
	if !isPage(page) {
		http.NotFound(w, r)
		return
	}
	s, err := h.apps.Store(r.Context(), app)
	if err != nil {
		h.renderError(w, nil, "", err)
		return
	}
	h.servePage(w, r, s, base, page)
}

func isPage(p string) bool {
	for _, q := range pagePaths {
		if p == q {
			return true
		}
	}
	return false
}
