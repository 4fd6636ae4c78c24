package web

import (
	"context"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/orgiam/orgiam/internal/index"
)

// runCache holds what the pages need from a run's index that the schema has
// no SQL index for, computed once when the run is opened (a few scans, a
// few hundred milliseconds at 10,000 accounts) and small (one entry per
// account, plus the administrators' ARNs):
//
//   - per account, the rowid range of its findings, access keys and policy
//     versions. The builder writes an account's rows together, so the range
//     is tight; were it not, the range would only be wider (a page slower),
//     never wrong, since every query also filters on the account.
//   - findings counts per account and per check (the tree and the findings
//     page show them for every page).
//   - the sorted ARNs of the principals with administrator access and of
//     the roles trusted from outside the organization; accounts per OU.
type runCache struct {
	once sync.Once
	err  error
	took time.Duration

	findings map[string]*acctFindings
	keys     map[string][2]int64
	versions map[string][2]int64 // account id, or "aws" for AWS managed policies
	checks   index.Rows
	admins   []string
	external []string // roles trusted from outside every organization of the run
	ous      map[string]ouCount
}

// ouCount counts the accounts directly in one OU (by path; "" for none).
type ouCount struct{ all, ok, failed int }

type acctFindings struct {
	lo, hi     int64
	fail, high int
}

// cache returns the run's cache, computing it on first use.
func (o *openRun) cache(ctx context.Context) (*runCache, error) {
	c := o.rc
	c.once.Do(func() {
		t0 := time.Now()
		c.err = c.fill(ctx, o.db)
		c.took = time.Since(t0)
	})
	return c, c.err
}

func (c *runCache) fill(ctx context.Context, db *index.DB) error {
	atoi64 := func(s string) int64 { n, _ := strconv.ParseInt(s, 10, 64); return n }
	r, err := db.Query(ctx, `SELECT coalesce(account_id, ''), min(rowid), max(rowid), sum(status = 'FAIL'), sum(status = 'FAIL' AND lower(severity) = 'high') FROM findings GROUP BY 1`)
	if err != nil {
		return err
	}
	c.findings = make(map[string]*acctFindings, len(r.Data))
	for _, x := range r.Data {
		c.findings[x[0]] = &acctFindings{lo: atoi64(x[1]), hi: atoi64(x[2]), fail: atoi(x[3]), high: atoi(x[4])}
	}
	if c.checks, err = db.Query(ctx, `SELECT check_id, max(title), max(severity), count(*) FROM findings WHERE status = 'FAIL' GROUP BY check_id ORDER BY count(*) DESC, check_id`); err != nil {
		return err
	}
	r, err = db.Query(ctx, `SELECT account_id, min(rowid), max(rowid) FROM access_keys GROUP BY account_id`)
	if err != nil {
		return err
	}
	c.keys = make(map[string][2]int64, len(r.Data))
	for _, x := range r.Data {
		c.keys[x[0]] = [2]int64{atoi64(x[1]), atoi64(x[2])}
	}
	// policy_versions has no account column: the account is the ARN's.
	r, err = db.Query(ctx, `SELECT rowid, policy_arn FROM policy_versions`)
	if err != nil {
		return err
	}
	c.versions = map[string][2]int64{}
	for _, x := range r.Data {
		k := policyAccount(x[1])
		id := atoi64(x[0])
		rg, ok := c.versions[k]
		if !ok {
			rg = [2]int64{id, id}
		}
		rg[0], rg[1] = min(rg[0], id), max(rg[1], id)
		c.versions[k] = rg
	}
	r, err = db.Query(ctx, adminSQL())
	if err != nil {
		return err
	}
	c.admins = make([]string, 0, len(r.Data))
	for _, x := range r.Data {
		c.admins = append(c.admins, x[0])
	}
	sort.Strings(c.admins)
	r, err = db.Query(ctx, `SELECT DISTINCT role_arn FROM trusts WHERE external_to_org = 1 AND lower(effect) = 'allow' ORDER BY role_arn`)
	if err != nil {
		return err
	}
	c.external = make([]string, 0, len(r.Data))
	for _, x := range r.Data {
		c.external = append(c.external, x[0])
	}
	r, err = db.Query(ctx, `SELECT coalesce(ou_path, ''), count(*), sum(scan_status = 'ok'), sum(scan_status IN ('failed', 'missing')) FROM accounts GROUP BY 1`)
	if err != nil {
		return err
	}
	c.ous = make(map[string]ouCount, len(r.Data))
	for _, x := range r.Data {
		c.ous[x[0]] = ouCount{atoi(x[1]), atoi(x[2]), atoi(x[3])}
	}
	return nil
}

// policyAccount is the account of a managed policy ARN ("aws" for AWS
// managed policies).
func policyAccount(a string) string {
	p, err := arn.Parse(a)
	if err != nil {
		return ""
	}
	if p.AccountID == "aws" || strings.HasPrefix(p.Resource, "policy/") && p.AccountID == "" {
		return "aws"
	}
	return p.AccountID
}

// versionRange is the rowid range of a policy's versions.
func (c *runCache) versionRange(policyArn string) [2]int64 {
	if rg, ok := c.versions[policyAccount(policyArn)]; ok {
		return rg
	}
	return [2]int64{1, 0}
}

func (c *runCache) findingRange(account string) (int64, int64) {
	if f := c.findings[account]; f != nil {
		return f.lo, f.hi
	}
	return 1, 0
}

func (c *runCache) keyRange(account string) (int64, int64) {
	if k, ok := c.keys[account]; ok {
		return k[0], k[1]
	}
	return 1, 0
}
