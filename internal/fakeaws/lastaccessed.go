package fakeaws

import (
	"fmt"
	"sort"
	"strconv"
	"sync"
	"time"
)

// moto (5.2.1) does not implement GenerateServiceLastAccessedDetails nor
// GetServiceLastAccessedDetails: moto_server answers the first with HTTP
// 500 (seen on these machines, where CreateUser on the same server works),
// so `orgiam policy unused` is tested against this emulation only.

// LastAccessedOptions shape the emulation of IAM's last-accessed data
// (GenerateServiceLastAccessedDetails, GetServiceLastAccessedDetails).
type LastAccessedOptions struct {
	// PollsToComplete is how many GetServiceLastAccessedDetails calls see a
	// job IN_PROGRESS before it is COMPLETED (default 1).
	PollsToComplete int
	// Services are what a job for a principal ARN reports (canned by the
	// test: the emulator does not track use). A principal that exists and
	// has none gets an empty list.
	Services map[string][]ServiceLastAccessed
	// Fail lists principal ARNs whose jobs end FAILED.
	Fail map[string]bool
	// PageSize is the number of services per page (default 100, as AWS's
	// MaxItems default).
	PageSize int
}

// ServiceLastAccessed is one service of a job's answer; a nil time is
// never used.
type ServiceLastAccessed struct {
	Name, Namespace   string
	LastAuthenticated *time.Time
	// Actions: action name (without prefix) → last use (nil: never).
	Actions map[string]*time.Time
}

type laJob struct {
	account, arn string
	polls        int
	created      time.Time
}

type laState struct {
	mu   sync.Mutex
	opts LastAccessedOptions
	jobs map[string]*laJob
	seq  int
}

// SetLastAccessed configures the last-accessed emulation.
func (s *Server) SetLastAccessed(o LastAccessedOptions) {
	s.la.mu.Lock()
	defer s.la.mu.Unlock()
	s.la.opts = o
}

// LastAccessedJobs is the number of jobs started.
func (s *Server) LastAccessedJobs() int {
	s.la.mu.Lock()
	defer s.la.mu.Unlock()
	return len(s.la.jobs)
}

func (d *AccountData) hasPrincipal(arn string) bool {
	for _, u := range d.Users {
		if u.Arn == arn {
			return true
		}
	}
	for _, r := range d.Roles {
		if r.Arn == arn {
			return true
		}
	}
	for _, g := range d.Groups {
		if g.Arn == arn {
			return true
		}
	}
	for _, p := range d.Policies {
		if p.Arn == arn {
			return true
		}
	}
	return false
}

func (s *Server) serveLastAccessed(c *call, d *AccountData) {
	st := &s.la
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.jobs == nil {
		st.jobs = map[string]*laJob{}
	}
	switch c.op {
	case "GenerateServiceLastAccessedDetails":
		arn := c.form.Get("Arn")
		if !d.hasPrincipal(arn) {
			c.fail(404, "NoSuchEntity", fmt.Sprintf("The entity %s cannot be found in account %s.", arn, d.Meta.ID))
			return
		}
		if g := c.form.Get("Granularity"); g != "" && g != "SERVICE_LEVEL" && g != "ACTION_LEVEL" {
			c.fail(400, "InvalidInput", "Granularity must be SERVICE_LEVEL or ACTION_LEVEL")
			return
		}
		st.seq++
		id := fmt.Sprintf("%08x-1111-2222-3333-%012d", st.seq, st.seq)
		st.jobs[id] = &laJob{account: d.Meta.ID, arn: arn, created: s.w.opts.Now}
		c.writeQuery(new(x).el("JobId", id).String())
	case "GetServiceLastAccessedDetails":
		j := st.jobs[c.form.Get("JobId")]
		if j == nil || j.account != d.Meta.ID {
			c.fail(404, "NoSuchEntity", "No job with id "+c.form.Get("JobId")+" in account "+d.Meta.ID+".")
			return
		}
		polls := st.opts.PollsToComplete
		if polls <= 0 {
			polls = 1
		}
		b := new(x).el("JobType", "ACTION_LEVEL").tm("JobCreationDate", &j.created)
		if j.polls < polls {
			j.polls++
			c.writeQuery(b.el("JobStatus", "IN_PROGRESS").open("ServicesLastAccessed").close("ServicesLastAccessed").bool("IsTruncated", false).String())
			return
		}
		if st.opts.Fail[j.arn] {
			c.writeQuery(b.el("JobStatus", "FAILED").tm("JobCompletionDate", &j.created).open("ServicesLastAccessed").close("ServicesLastAccessed").
				open("Error").el("Code", "ServiceFailure").el("Message", "emulated failure").close("Error").bool("IsTruncated", false).String())
			return
		}
		services := st.opts.Services[j.arn]
		size := st.opts.PageSize
		if size <= 0 {
			size = 100
		}
		start := 0
		if m := c.form.Get("Marker"); m != "" {
			n, err := strconv.Atoi(m)
			if err != nil || n < 0 || n > len(services) {
				c.fail(400, "InvalidInput", "Invalid Marker")
				return
			}
			start = n
		}
		end := min(start+size, len(services))
		b.el("JobStatus", "COMPLETED").tm("JobCompletionDate", &j.created).open("ServicesLastAccessed")
		for _, sv := range services[start:end] {
			b.open("member").el("ServiceName", sv.Name).el("ServiceNamespace", sv.Namespace).tm("LastAuthenticated", sv.LastAuthenticated)
			if sv.LastAuthenticated != nil {
				b.el("LastAuthenticatedEntity", j.arn).el("LastAuthenticatedRegion", "us-east-1").int("TotalAuthenticatedEntities", 1)
			} else {
				b.int("TotalAuthenticatedEntities", 0)
			}
			if len(sv.Actions) > 0 {
				names := make([]string, 0, len(sv.Actions))
				for n := range sv.Actions {
					names = append(names, n)
				}
				sort.Strings(names)
				b.open("TrackedActionsLastAccessed")
				for _, n := range names {
					b.open("member").el("ActionName", n).tm("LastAccessedTime", sv.Actions[n])
					if sv.Actions[n] != nil {
						b.el("LastAccessedEntity", j.arn).el("LastAccessedRegion", "us-east-1")
					}
					b.close("member")
				}
				b.close("TrackedActionsLastAccessed")
			}
			b.close("member")
		}
		b.close("ServicesLastAccessed").bool("IsTruncated", end < len(services))
		if end < len(services) {
			b.el("Marker", strconv.Itoa(end))
		}
		c.writeQuery(b.String())
	}
}
