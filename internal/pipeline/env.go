// Package pipeline holds orgiam's steps — plan, discover, scan an account,
// poll its credential report, index, report, finalize (the manifest), notify —
// as plain functions with JSON-serialisable inputs and outputs, and the local
// runner that calls them in-process. The serverless runner wraps the same
// functions as Lambda handlers; large data never travels between steps, only
// keys into the store.
package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"

	"github.com/orgiam/orgiam/internal/awsauth"
	"github.com/orgiam/orgiam/internal/collect"
	"github.com/orgiam/orgiam/internal/config"
	"github.com/orgiam/orgiam/internal/discover"
	"github.com/orgiam/orgiam/internal/fanout"
	"github.com/orgiam/orgiam/internal/store"
)

// Env is what every step needs: settings, credentials, the store, the shared
// rate limiter and a logger. One Env serves a whole run (or a warm Lambda).
type Env struct {
	Cfg     *config.Config
	Auth    *awsauth.Auth
	Store   store.Store
	Limiter *fanout.Limiter
	Log     *slog.Logger
	Now     func() time.Time
	// Version is written into the manifest.
	Version string
	// Lock describes this writer in the run's lock (owner, host, lease; the
	// clock defaults to Now). Only the local runner takes the lock.
	Lock store.LockOptions

	// AccountParallel bounds the calls of one account that run at once
	// (default DefaultAccountParallel).
	AccountParallel int

	// NewClients builds the collectors' clients of an account, and
	// NewOrganizations discover's (tests may replace them).
	NewClients       func(aws.Config) collect.Clients
	NewOrganizations func(aws.Config) discover.OrgAPI

	// PostScan steps run after the scan and before the manifest (index,
	// reports); AfterManifest steps once the run is complete (notify).
	PostScan      []Step
	AfterManifest []Step

	initOnce   sync.Once
	scanParent aws.Config
	listParent aws.Config

	managedMu   sync.Mutex
	managedSeen map[string]bool // run + policy name + version already stored

	objects atomic.Int64
}

func (e *Env) now() time.Time {
	if e.Now != nil {
		return e.Now().UTC()
	}
	return time.Now().UTC()
}

func (e *Env) init() {
	e.initOnce.Do(func() {
		// The intermediate roles are assumed once per run and their
		// credentials cached; each target role is assumed from them.
		e.scanParent = e.Auth.Chain("", e.Cfg.InitialRole)
		e.listParent = e.Auth.Chain("", e.Cfg.ListInitial())
		if e.NewClients == nil {
			e.NewClients = collect.NewClients
		}
		if e.NewOrganizations == nil {
			e.NewOrganizations = func(c aws.Config) discover.OrgAPI { return organizations.NewFromConfig(c) }
		}
		e.managedSeen = map[string]bool{}
		if e.Limiter != nil {
			// Every call of this Env starts from the base credentials: their
			// account is the origin AWS charges.
			e.Limiter.SetOrigin(e.Auth.Identity.Account)
		}
	})
}

// DefaultAccountParallel is how many of one account's independent calls run
// at once: the eight independent collectors all at once, so an account costs
// about four round trips (assume role, the independent calls, the credential
// report, access keys) instead of one per call.
const DefaultAccountParallel = 8

func (e *Env) accountParallel() int {
	if e.AccountParallel > 0 {
		return e.AccountParallel
	}
	return DefaultAccountParallel
}

// Collectors are the run's collectors: every collector, less the
// credential report when --credential-report is false, kept to
// --collectors when that is set. A name no collector has is an error
// naming the setting (the CLI checks it before a run starts).
func (e *Env) Collectors() ([]collect.Collector, error) {
	if !e.Cfg.CredentialReport && slices.Contains(e.Cfg.Collectors, (collect.CredentialReportCollector{}).Name()) {
		return nil, e.Cfg.FieldError("collectors", "credential-report is listed while credential-report is false")
	}
	cs, err := collect.Select(collect.List(collect.Options{CredentialReport: e.Cfg.CredentialReport}), e.Cfg.Collectors)
	if err != nil {
		return nil, e.Cfg.FieldError("collectors", err.Error())
	}
	return cs, nil
}

// collectsReport tells whether the collectors cs include the credential
// report's.
func collectsReport(cs []collect.Collector) bool {
	return slices.ContainsFunc(cs, func(c collect.Collector) bool {
		_, ok := c.(collect.CredentialReportCollector)
		return ok
	})
}

func (e *Env) clients(cfg aws.Config) collect.Clients { return e.NewClients(cfg) }

// CollectRoleARN is the role assumed in an account.
func (e *Env) CollectRoleARN(account string) string {
	return awsauth.RoleARN(e.Auth.Identity.Partition, account, e.Cfg.CollectRolePath, e.Cfg.CollectRole)
}

// AccountConfig is the AWS configuration for an account: base → initial role
// (if any) → collect role, with the external id.
func (e *Env) AccountConfig(account string) aws.Config {
	e.init()
	return e.Auth.Assume(e.scanParent, e.CollectRoleARN(account), e.Cfg.ExternalID)
}

// ObjectsWritten is how many objects this Env has written.
func (e *Env) ObjectsWritten() int64 { return e.objects.Load() }

// putJSON writes v as indented JSON.
func (e *Env) putJSON(ctx context.Context, key string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", key, err)
	}
	return e.put(ctx, key, data)
}

func (e *Env) put(ctx context.Context, key string, data []byte) error {
	if err := e.Store.Put(ctx, key, data); err != nil {
		return err
	}
	e.objects.Add(1)
	return nil
}

func (e *Env) logger() *slog.Logger {
	if e.Log != nil {
		return e.Log
	}
	return slog.Default()
}
