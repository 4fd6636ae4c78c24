// Package web is orgiam's read-only dashboard: an HTTP server over the
// SQLite index of any run of a store (the organization tree, principals with
// filters, a principal's policies, trusts and keys, findings, the trust
// graph) and over each run's reports/diff.json (the drift timeline). Every
// list is paged in SQL; pages, styles and the graph are built on the server
// from embedded files (no CDN, no script). It never writes: the index is
// opened read-only.
package web

import (
	"context"
	"crypto/subtle"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/orgiam/orgiam/internal/index"
	"github.com/orgiam/orgiam/internal/snapshot"
	"github.com/orgiam/orgiam/internal/store"
)

//go:embed templates/*.html static/*
var assets embed.FS

// Options configure a Server.
type Options struct {
	Store store.Store
	// IndexPath returns a local path of a run's index.sqlite (a downloaded
	// copy for S3, removed by cleanup).
	IndexPath func(ctx context.Context, run string) (path string, cleanup func(), err error)
	// Token, when set, is required on every request: an
	// "Authorization: Bearer" header, the orgiam_token cookie, or ?token=
	// once (which sets the cookie).
	Token string
	Log   *slog.Logger
	// OpenRuns is how many run indexes are kept open (default 4).
	OpenRuns int
}

// Server serves the dashboard.
type Server struct {
	o     Options
	pages map[string]*template.Template
	mu    sync.Mutex
	open  map[string]*openRun
	tick  uint64
	drift *driftCache
}

type openRun struct {
	db      *index.DB
	cleanup func()
	used    uint64
	built   string // the run's date, for the stale filter
	rc      *runCache
}

// PageSize is the rows of one page of every list.
const PageSize = 50

// New builds a server. It does not check the store: Check does.
func New(o Options) (*Server, error) {
	if o.Store == nil || o.IndexPath == nil {
		return nil, errors.New("web: Store and IndexPath are required")
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.OpenRuns <= 0 {
		o.OpenRuns = 4
	}
	s := &Server{o: o, open: map[string]*openRun{}, drift: newDriftCache()}
	if err := s.parseTemplates(); err != nil {
		return nil, err
	}
	return s, nil
}

// Check opens the index of the latest complete run, so that a store without
// runs, an unreadable index or an index of another schema version is
// reported before the server listens.
func (s *Server) Check(ctx context.Context) (string, error) {
	run, err := snapshot.ResolveRun(ctx, s.o.Store, "")
	if err != nil {
		return "", err
	}
	if _, err := s.db(ctx, run); err != nil {
		return run, err
	}
	return run, nil
}

// Close closes every open index.
func (s *Server) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, r := range s.open {
		r.db.Close()
		r.cleanup()
		delete(s.open, k)
	}
}

// errNoIndex is a run without an index (a 404, not a failure).
var errNoIndex = errors.New("no index")

// db returns the open index of run, opening it (and closing the least
// recently used one) if needed.
func (s *Server) db(ctx context.Context, run string) (*openRun, error) {
	s.mu.Lock()
	s.tick++
	if r, ok := s.open[run]; ok {
		r.used = s.tick
		s.mu.Unlock()
		return r, nil
	}
	s.mu.Unlock()
	path, cleanup, err := s.o.IndexPath(ctx, run)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errNoIndex, err)
	}
	db, err := index.Open(path)
	if err != nil {
		cleanup()
		return nil, err
	}
	date, _, _ := store.ParseRunPrefix(run)
	r := &openRun{db: db, cleanup: cleanup, built: date, rc: &runCache{}}
	// The run's cache is filled before the run is shared, so that no page
	// pays for it but the first of the run.
	if _, err := r.cache(ctx); err != nil {
		db.Close()
		cleanup()
		return nil, err
	}
	s.o.Log.Info("run opened", "run", run, "cache", r.rc.took.Round(time.Millisecond), "administrators", len(r.rc.admins))
	s.mu.Lock()
	defer s.mu.Unlock()
	if other, ok := s.open[run]; ok { // opened meanwhile by another request
		db.Close()
		cleanup()
		other.used = s.tick
		return other, nil
	}
	for len(s.open) >= s.o.OpenRuns {
		var oldest string
		var min uint64
		for k, v := range s.open {
			if oldest == "" || v.used < min {
				oldest, min = k, v.used
			}
		}
		s.open[oldest].db.Close()
		s.open[oldest].cleanup()
		delete(s.open, oldest)
	}
	r.used = s.tick
	s.open[run] = r
	return r, nil
}

// Handler is the dashboard's HTTP handler: the token check, then the pages.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(assets, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	mux.HandleFunc("GET /{$}", s.page(s.tree))
	mux.HandleFunc("GET /account/{id}", s.page(s.account))
	mux.HandleFunc("GET /principals", s.page(s.principals))
	mux.HandleFunc("GET /principal", s.page(s.principal))
	mux.HandleFunc("GET /policy", s.page(s.policyPage))
	mux.HandleFunc("GET /findings", s.page(s.findings))
	mux.HandleFunc("GET /trusts", s.page(s.trusts))
	mux.HandleFunc("GET /drift", s.storePage(s.driftTimeline))
	mux.HandleFunc("GET /drift/run", s.storePage(s.driftRun))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.render(w, r, http.StatusNotFound, "error", &view{Title: "Not found", Error: "There is no page at " + r.URL.Path + "."})
	})
	return s.guard(mux)
}

// guard checks the token, refuses anything but reads, sets the security
// headers, and turns a panic into a 500 page.
func (s *Server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		defer func() {
			if v := recover(); v != nil {
				s.o.Log.Error("dashboard page failed", "path", r.URL.Path, "panic", fmt.Sprint(v))
				http.Error(w, "internal error", http.StatusInternalServerError)
			}
		}()
		if s.o.Token != "" {
			ok, fromQuery := s.authorized(r)
			if !ok {
				h.Set("WWW-Authenticate", `Bearer realm="orgiam"`)
				http.Error(w, "401 unauthorized: this dashboard needs its token (Authorization: Bearer, or ?token= once)", http.StatusUnauthorized)
				return
			}
			if fromQuery {
				// Keep the token out of later URLs and logs: set the cookie
				// and redirect to the same page without it.
				http.SetCookie(w, &http.Cookie{Name: "orgiam_token", Value: s.o.Token, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
				q := r.URL.Query()
				q.Del("token")
				u := *r.URL
				u.RawQuery = q.Encode()
				http.Redirect(w, r, u.String(), http.StatusSeeOther)
				return
			}
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			h.Set("Allow", "GET, HEAD")
			http.Error(w, "405 method not allowed: the dashboard is read-only", http.StatusMethodNotAllowed)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) authorized(r *http.Request) (ok, fromQuery bool) {
	eq := func(v string) bool { return subtle.ConstantTimeCompare([]byte(v), []byte(s.o.Token)) == 1 }
	if a := r.Header.Get("Authorization"); strings.HasPrefix(a, "Bearer ") && eq(strings.TrimPrefix(a, "Bearer ")) {
		return true, false
	}
	if c, err := r.Cookie("orgiam_token"); err == nil && eq(c.Value) {
		return true, false
	}
	if t := r.URL.Query().Get("token"); t != "" && eq(t) {
		return true, true
	}
	return false, false
}
