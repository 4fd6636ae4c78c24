package web

import (
	"bytes"
	"context"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/orgiam/orgiam/internal/snapshot"
	"github.com/orgiam/orgiam/internal/store"
)

// A page is a list of sections; a section is a table, a key/value list, a
// tree, a form of filters, a preformatted block or a drawing. One template
// renders them all, so every page looks and pages alike.
type view struct {
	Title    string
	Nav      string
	Run      string
	Error    string
	Sections []*section
}

type cell struct {
	Text, Href, Class string
}

type section struct {
	ID, Heading, Note string
	Columns           []string
	Rows              [][]cell
	KV                [][2]cell
	Tree              []*treeNode
	Form              *form
	Pre               string
	SVG               template.HTML
	Pager             *pager
	Empty             string
}

type treeNode struct {
	Label    cell
	Note     string
	Children []*treeNode
}

type form struct {
	Action string
	Hidden [][2]string
	Fields []field
}

type field struct {
	Name, Label, Value string
	Options            [][2]string // value, label: a select when set
}

type pager struct {
	Prev, Next, Info string
}

// errNotFound makes a handler answer 404.
type errNotFound struct{ msg string }

func (e errNotFound) Error() string { return e.msg }

func notFound(format string, args ...any) error {
	return errNotFound{msg: sprintf(format, args...)}
}

// req is one request's context for a handler: its run and index.
type req struct {
	*http.Request
	ctx context.Context
	run string
	or  *openRun
	c   *runCache // nil on the pages that read no index
}

func (r *req) q(name string) string { return strings.TrimSpace(r.URL.Query().Get(name)) }

// link builds a URL to path with the run and the given query pairs.
func (r *req) link(path string, kv ...string) string {
	q := url.Values{}
	q.Set("run", r.run)
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			q.Set(kv[i], kv[i+1])
		}
	}
	return path + "?" + q.Encode()
}

// pageNum reads ?page (0-based internally, 1-based in URLs).
func (r *req) pageNum() int {
	n, err := strconv.Atoi(r.q("page"))
	if err != nil || n < 1 {
		return 0
	}
	if n > 1_000_000 {
		n = 1_000_000
	}
	return n - 1
}

// pagerFor builds the previous/next links of a list fetched with one row
// more than a page (more tells whether that row came).
func (r *req) pagerFor(page int, more bool, info string) *pager {
	p := &pager{Info: info}
	q := r.URL.Query()
	q.Set("run", r.run)
	if page > 0 {
		q.Set("page", strconv.Itoa(page))
		p.Prev = r.URL.Path + "?" + q.Encode()
	}
	if more {
		q.Set("page", strconv.Itoa(page+2))
		p.Next = r.URL.Path + "?" + q.Encode()
	}
	return p
}

type handler func(r *req, v *view) error

// page resolves the run (?run=, default the latest complete run), opens its
// index and runs h; errors become a 404 or 500 page with the reason, never
// a stack trace.
func (s *Server) page(h handler) http.HandlerFunc { return s.pageOf(h, true) }

// storePage is page for the pages that read the store, not an index.
func (s *Server) storePage(h handler) http.HandlerFunc { return s.pageOf(h, false) }

func (s *Server) pageOf(h handler, needIndex bool) http.HandlerFunc {
	return func(w http.ResponseWriter, hr *http.Request) {
		ctx := hr.Context()
		run := strings.TrimSpace(hr.URL.Query().Get("run"))
		v := &view{}
		fail := func(code int, msg string) {
			v.Title, v.Error = http.StatusText(code), msg
			s.render(w, hr, code, "error", v)
		}
		if run == "" {
			latest, err := snapshot.ResolveRun(ctx, s.o.Store, "")
			if err != nil {
				fail(http.StatusNotFound, err.Error())
				return
			}
			run = latest
		} else if _, _, err := store.ParseRunPrefix(run); err != nil {
			fail(http.StatusNotFound, err.Error())
			return
		}
		v.Run = run
		var or *openRun
		var err error
		if needIndex {
			or, err = s.db(ctx, run)
		}
		if errors.Is(err, errNoIndex) {
			fail(http.StatusNotFound, "run "+run+" has no index.sqlite in "+s.o.Store.String()+" (build it with `orgiam index --run "+run+"`)")
			return
		}
		if err != nil {
			s.o.Log.Error("dashboard: index", "run", run, "error", err.Error())
			fail(http.StatusInternalServerError, err.Error())
			return
		}
		r := &req{Request: hr, ctx: ctx, run: run, or: or}
		if or != nil {
			r.c = or.rc
		}
		if err := h(r, v); err != nil {
			var nf errNotFound
			if errors.As(err, &nf) {
				fail(http.StatusNotFound, nf.msg)
				return
			}
			if ctx.Err() != nil {
				return
			}
			s.o.Log.Error("dashboard page", "path", hr.URL.Path, "run", run, "error", err.Error())
			fail(http.StatusInternalServerError, err.Error())
			return
		}
		s.render(w, hr, http.StatusOK, "page", v)
	}
}

func (s *Server) parseTemplates() error {
	funcs := template.FuncMap{
		"navlink": func(v *view, path, name, label string) template.HTML {
			cls := ""
			if v.Nav == name {
				cls = ` class="current"`
			}
			href := path
			if v.Run != "" {
				href += "?run=" + url.QueryEscape(v.Run)
			}
			return template.HTML(`<a href="` + template.HTMLEscapeString(href) + `"` + cls + `>` + template.HTMLEscapeString(label) + `</a>`)
		},
	}
	t, err := template.New("").Funcs(funcs).ParseFS(assets, "templates/*.html")
	if err != nil {
		return err
	}
	s.pages = map[string]*template.Template{"page": t.Lookup("page.html"), "error": t.Lookup("error.html")}
	if s.pages["page"] == nil || s.pages["error"] == nil {
		return errors.New("web: templates page.html and error.html are required")
	}
	return nil
}

func (s *Server) render(w http.ResponseWriter, r *http.Request, code int, name string, v *view) {
	var b bytes.Buffer
	if err := s.pages[name].Execute(&b, v); err != nil {
		s.o.Log.Error("dashboard template", "path", r.URL.Path, "error", err.Error())
		http.Error(w, "internal error rendering the page", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	w.Write(b.Bytes())
}
